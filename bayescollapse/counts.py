"""Batched samplers for count vectors with a leading replicate axis.

Training sets are count vectors: ``(replicate, token)`` arrays of non-negative integers.
These helpers draw them for every replicate at once, with no per-token Python loop.
"""

from __future__ import annotations

import numpy as np

__all__ = ["multinomial_counts", "subsample_counts"]


def multinomial_counts(
    sizes: np.ndarray, probs: np.ndarray, *, rng: np.random.Generator
) -> np.ndarray:
    """Draw ``Multinomial(sizes[r], probs[r])`` for every replicate r.

    Parameters
    ----------
    sizes : array_like of int, shape (R,)
        Number of samples per replicate (0 allowed).
    probs : array_like, shape (K,) or (R, K)
        Probabilities; each row is renormalised to absorb floating-point error.
    rng : numpy.random.Generator
        Random stream.

    Returns
    -------
    numpy.ndarray
        int64 counts of shape (R, K), each row summing to ``sizes[r]``.
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    p = np.clip(np.asarray(probs, dtype=float), 0.0, None)
    p = p / p.sum(axis=-1, keepdims=True)
    p = np.broadcast_to(p, sizes.shape + p.shape[-1:])
    if p.ndim == 2 and int(sizes.sum()) < p.size // 4:
        return _counts_of_draws(sizes, p, rng)  # few draws, many categories
    return rng.multinomial(sizes, p).astype(np.int64)


def _counts_of_draws(sizes: np.ndarray, p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw ``Multinomial(sizes[r], p[r])`` item by item, for fewer items than categories.

    The cost is O(n log K + R K), not the O(R K) binomials of ``Generator.multinomial``.

    Each row's CDF is shifted by its row number, so all rows form one sorted array and
    every item is one binary search; the counts are a bincount.
    """
    reps, k = p.shape
    shifted = (np.cumsum(p, axis=-1) + np.arange(reps)[:, None]).ravel()
    row = np.repeat(np.arange(reps), sizes)
    index = np.searchsorted(shifted, row + rng.random(row.size), side="right")
    index = np.minimum(index, (row + 1) * k - 1)  # a CDF ending just below 1 stays in its row
    return np.bincount(index, minlength=reps * k).reshape(reps, k).astype(np.int64)


def subsample_counts(
    pool: np.ndarray, sizes: np.ndarray, *, rng: np.random.Generator
) -> np.ndarray:
    """Draw ``sizes[r]`` items without replacement from the pool of counts ``pool[r]``.

    The multivariate hypergeometric draw is made by splitting the token axis in halves:
    the number taken from the left half is hypergeometric given the two halves' totals,
    and so on down a binary tree, so the work is ``ceil(log2 K)`` vectorised calls.

    Parameters
    ----------
    pool : array_like of int, shape (R, K)
        Available items per token.
    sizes : array_like of int, shape (R,)
        Items to take per replicate; at most the pool's total.
    rng : numpy.random.Generator
        Random stream.

    Returns
    -------
    numpy.ndarray
        int64 counts of shape (R, K) with ``0 <= out <= pool`` and rows summing to ``sizes``.
    """
    pool = np.asarray(pool, dtype=np.int64)
    sizes = np.asarray(sizes, dtype=np.int64)
    num_rep, num_tokens = pool.shape
    if np.any(sizes > pool.sum(axis=1)) or np.any(sizes < 0):
        raise ValueError("subsample sizes must lie between 0 and the pool's total")
    levels = max(1, int(np.ceil(np.log2(num_tokens))))
    width = 1 << levels
    padded = np.zeros((num_rep, width), dtype=np.int64)
    padded[:, :num_tokens] = pool
    taken = sizes[:, None]  # (R, groups); one group holding every token at first
    for level in range(levels):
        groups = padded.reshape(num_rep, 1 << level, 2, width >> (level + 1)).sum(axis=3)
        left = (
            rng.hypergeometric(groups[..., 0], groups[..., 1], taken)
            if taken.any()
            else (np.zeros_like(taken))
        )
        taken = np.stack([left, taken - left], axis=-1).reshape(num_rep, 1 << (level + 1))
    return taken[:, :num_tokens]
