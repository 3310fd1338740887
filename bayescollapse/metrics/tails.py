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

    Computed from masked sums (matrix-vector products), one pass over the probabilities.

    Examples
    --------
    >>> p = np.arange(1, 6) ** -1.5
    >>> float(zipf_exponent(p / p.sum(), np.arange(1, 6)).round(12))
    1.5
    """
    probs = np.asarray(probs, dtype=float)
    keep = probs > 0
    x = np.log(np.asarray(rank, dtype=float))
    with np.errstate(divide="ignore"):
        y = -np.log(np.where(keep, probs, 1.0))  # 0 where left out
    weight = keep.astype(float)
    count = weight.sum(axis=-1)
    sx, sxx = weight @ x, weight @ (x * x)
    sy, sxy = y.sum(axis=-1), y @ x
    denominator = count * sxx - sx * sx
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = (count * sxy - sx * sy) / denominator
    return np.where(
        (count >= 2) & (denominator > 1e-12 * np.maximum(count * sxx, 1e-300)), slope, np.nan
    )


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
    support = truth > 0
    seen = counts > 0
    first = np.where(~seen & support, rank, rank.size + 1).min(axis=-1).astype(float)
    tail = (rank > tail_rank).astype(float)
    return {
        "surviving_tokens": (seen & support).sum(axis=-1).astype(float),
        "first_lost_rank": np.where(first > rank.size, np.nan, first),
        "tail_mass_lost": truth @ tail - point @ tail,
        "tail_exponent": zipf_exponent(point, rank),
    }
