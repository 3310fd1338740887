"""Batched samplers for count vectors with a leading replicate axis.

Training sets are count vectors: ``(replicate, token)`` arrays of non-negative integers.
These helpers draw them for every replicate at once, with no per-token Python loop.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

__all__ = ["alias_table", "multinomial_counts", "subsample_counts"]

#: a category's binomial in ``Generator.multinomial`` costs about as much as this many
#: items drawn one by one from an alias table (measured: 60-115 ns against 10-15 ns)
ITEMS_PER_BINOMIAL = 5

#: the largest law drawn from through an alias table (its set-up is a Python loop over K)
MAX_ALIAS_CATEGORIES = 1 << 16


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
    p = np.maximum(np.asarray(probs, dtype=float), 0.0)
    p = p / p.sum(axis=-1, keepdims=True)
    total = int(sizes.sum())
    if (
        p.ndim == 1
        and sizes.ndim == 1
        and p.size <= MAX_ALIAS_CATEGORIES
        and total < ITEMS_PER_BINOMIAL * sizes.size * p.size
    ):
        return _counts_of_items(sizes, p, rng)  # one law for every row, few items a row
    rows = np.broadcast_to(p, sizes.shape + p.shape[-1:])
    if rows.ndim == 2 and total < rows.size // 4:
        return _counts_of_draws(sizes, rows, rng)  # few draws, many categories
    # one law is passed as it is: Generator.multinomial broadcasts it a little faster
    return rng.multinomial(sizes, p if p.ndim == 1 else rows).astype(np.int64, copy=False)


def alias_table(probs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return Walker's alias table of a law over K categories (Vose's construction).

    Category ``j`` keeps a uniform column ``j`` with probability ``keep[j]`` and gives it
    to ``alias[j]`` otherwise, so ``probs[k] = (keep[k] + sum over j with alias[j] = k of
    (1 - keep[j])) / K``.

    Examples
    --------
    >>> keep, alias = alias_table(np.array([0.5, 0.25, 0.25]))
    >>> [round(float(x), 12) for x in keep], alias.tolist()
    ([1.0, 0.75, 0.75], [0, 0, 0])
    """
    probs = np.ascontiguousarray(probs, dtype=float)
    return _alias(probs.tobytes())


@lru_cache(maxsize=16)
def _alias(probs_bytes: bytes) -> tuple[np.ndarray, np.ndarray]:
    probs = np.frombuffer(probs_bytes, dtype=float)
    k = probs.size
    scaled = (probs * (k / probs.sum())).tolist()
    keep, alias = [1.0] * k, list(range(k))
    small = [j for j in range(k) if scaled[j] < 1.0]
    large = [j for j in range(k) if scaled[j] >= 1.0]
    while small and large:
        j, big = small.pop(), large[-1]
        keep[j], alias[j] = scaled[j], big
        scaled[big] -= 1.0 - scaled[j]
        if scaled[big] < 1.0:
            small.append(large.pop())
    # what is left holds 1 up to rounding, and keeps its whole column
    return np.array(keep), np.array(alias, dtype=np.intp)


def _counts_of_items(sizes: np.ndarray, p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw ``Multinomial(sizes[r], p)`` for every row, item by item from p's alias table.

    One uniform per item: its integer part picks a column of the table, its fraction
    chooses between the column's category and its alias. O(n) for n items, against the
    O(R K) binomials of ``Generator.multinomial``.
    """
    keep, alias = alias_table(p)
    k = p.size
    scaled = rng.random(int(sizes.sum())) * k
    column = scaled.astype(np.intp)
    token = np.where(scaled - column < keep[column], column, alias[column])
    row = np.repeat(np.arange(sizes.size) * k, sizes)
    return np.bincount(row + token, minlength=sizes.size * k).reshape(sizes.size, k)


def _counts_of_draws(sizes: np.ndarray, p: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw ``Multinomial(sizes[r], p[r])`` item by item, for fewer items than categories.

    The cost is O(n log K + R K), not the O(R K) binomials of ``Generator.multinomial``.

    Each row's CDF is shifted by its row number, so all rows form one sorted array and
    every item is one binary search; the counts are a bincount.
    """
    reps, k = p.shape
    entries = np.flatnonzero(p > 0)  # mostly zero rows (an MLE over many tokens): only these
    if entries.size * 4 < p.size:
        return _counts_of_draws_sparse(p, entries, sizes, rng)
    row = np.repeat(np.arange(reps), sizes)
    shifted = (np.cumsum(p, axis=-1) + np.arange(reps)[:, None]).ravel()
    index = np.searchsorted(shifted, row + rng.random(row.size), side="right")
    index = np.minimum(index, (row + 1) * k - 1)  # a CDF ending just below 1 stays in its row
    return np.bincount(index, minlength=reps * k).reshape(reps, k).astype(np.int64)


def _counts_of_draws_sparse(p, entries, sizes, rng) -> np.ndarray:
    """:func:`_counts_of_draws` over the positive entries of ``p`` (flat indices, in order).

    Each row's items are drawn as sorted uniforms (the order statistics of ``m`` uniforms
    are ``S_i / S_{m+1}``, partial sums of ``m + 1`` standard exponentials), so the count
    of an entry is how many fall between its row's CDF values: one search of the sorted
    CDF values among the sorted items, which walks both in order (no cache misses), and
    nothing of size R K but the counts.
    """
    reps, k = p.shape
    owner = entries // k
    cumulative = np.cumsum(p.ravel()[entries])
    first = np.searchsorted(owner, np.arange(reps))  # each row's first entry
    cdf = cumulative - _sum_before(cumulative, first)[owner] + owner  # shifted by r: sorted
    # sorted uniforms, row by row: m_r + 1 exponentials a row, partial sums over the total
    sums = np.cumsum(rng.standard_exponential(int(sizes.sum()) + reps))
    ends = np.cumsum(sizes + 1) - 1  # each row's last partial sum (its total)
    offset = _sum_before(sums, ends - sizes)  # the partial sum before each row's first
    item_row = np.repeat(np.arange(reps), sizes)
    keep = np.ones(sums.size, dtype=bool)
    keep[ends] = False  # the last sum of a row is its total, not an item
    items = (sums[keep] - offset[item_row]) / (sums[ends] - offset)[item_row] + item_row
    below = np.searchsorted(items, cdf, side="right")  # items at or below each CDF value
    # a row's last entry takes every item left in its row (its CDF may round just below
    # 1), so it holds the items through its row, and the next row's first entry counts
    # from there
    below[np.append(first[1:], entries.size) - 1] = np.cumsum(sizes)
    out = np.zeros(reps * k, dtype=np.int64)
    out[entries] = np.diff(below, prepend=0)
    return out.reshape(reps, k)


def _sum_before(cumulative: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Return the running sum just before each of ``starts`` (0 before the first)."""
    return np.concatenate([[0.0], cumulative])[starts]


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
