"""Metrics of the tail: what collapse eats first, for Zipf-like truths.

Tokens are ranked by their true probability (rank 1 the most probable; ties by token
index). Per replicate:

- ``surviving_tokens``: tokens of the truth's support still seen in the training data;
- ``first_lost_rank``: the rank of the most probable true token with no training count
  (NaN while none is lost);
- ``tail_mass_lost``: ``sum over ranks > r of (P*_k - theta_k)``, the true mass beyond
  rank ``r`` that the model no longer puts there (negative if it puts more);
- ``tail_exponent``: the Zipf exponent ``s`` of the fitted law, the least-squares slope
  of ``-log theta_k`` on ``log rank_k`` over the tokens with ``theta_k > 0`` (NaN with fewer
  than two); :func:`zipf_exponent` of the truth is what it is compared with (exactly
  ``s`` for the recipe ``zipf:s``).
"""

from __future__ import annotations

import numpy as np

__all__ = ["ranks", "tail_metrics", "zipf_exponent"]


def ranks(truth: np.ndarray) -> np.ndarray:
    """Return each token's rank by true probability, 1 for the most probable (ties by index).

    Examples
    --------
    >>> ranks(np.array([0.2, 0.5, 0.2, 0.1])).tolist()
    [2, 1, 3, 4]
    """
    order = np.argsort(-np.asarray(truth), kind="stable")
    out = np.empty(order.size, dtype=np.int64)
    out[order] = np.arange(1, order.size + 1)
    return out


def zipf_exponent(probs: np.ndarray, rank: np.ndarray) -> np.ndarray:
    """Least-squares slope of ``-log probs`` on ``log rank`` over positive entries (last axis).

    Examples
    --------
    >>> p = np.arange(1, 6) ** -1.5
    >>> float(zipf_exponent(p / p.sum(), np.arange(1, 6)).round(12))
    1.5
    """
    probs = np.asarray(probs, dtype=float)
    keep = probs > 0
    x = np.broadcast_to(np.log(rank), probs.shape)
    with np.errstate(divide="ignore"):
        y = np.where(keep, -np.log(probs), 0.0)
    count = keep.sum(axis=-1)
    safe = np.maximum(count, 1)
    x_mean = np.where(keep, x, 0.0).sum(axis=-1) / safe
    y_mean = y.sum(axis=-1) / safe
    dx = np.where(keep, x - x_mean[..., None], 0.0)
    sxx = (dx**2).sum(axis=-1)
    sxy = (dx * (y - y_mean[..., None])).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((count >= 2) & (sxx > 0), sxy / sxx, np.nan)


def tail_metrics(
    point: np.ndarray, truth: np.ndarray, counts: np.ndarray, *, tail_rank: int
) -> dict[str, np.ndarray]:
    """Return the tail metrics of the module text, each of shape (R,).

    Parameters
    ----------
    point : numpy.ndarray, shape (R, K)
        Fitted probabilities (MLE frequencies or posterior mean).
    truth : numpy.ndarray, shape (K,)
        ``P*``.
    counts : numpy.ndarray, shape (R, K)
        The generation's training counts (a token with count 0 is lost this generation).
    tail_rank : int
        ``r``: the tail is the tokens of rank greater than ``r``.

    Examples
    --------
    >>> truth = np.array([0.5, 0.3, 0.2])
    >>> out = tail_metrics(np.array([[0.6, 0.4, 0.0]]), truth, np.array([[6, 4, 0]]), tail_rank=1)
    >>> [(k, v.round(3).tolist()) for k, v in out.items()]  # doctest: +NORMALIZE_WHITESPACE
    [('surviving_tokens', [2.0]), ('first_lost_rank', [3.0]), ('tail_mass_lost', [0.1]),
     ('tail_exponent', [0.585])]
    """
    rank = ranks(truth)
    lost = (counts == 0) & (truth > 0)
    first = np.where(lost, rank, rank.size + 1).min(axis=-1).astype(float)
    tail = rank > tail_rank
    return {
        "surviving_tokens": ((counts > 0) & (truth > 0)).sum(axis=-1).astype(float),
        "first_lost_rank": np.where(first > rank.size, np.nan, first),
        "tail_mass_lost": np.where(tail, truth - point, 0.0).sum(axis=-1),
        "tail_exponent": zipf_exponent(point, rank),
    }
