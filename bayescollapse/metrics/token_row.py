"""One generation's token metrics in one pass: distances to the truth and tail metrics.

:func:`token_metrics` returns every value of :func:`~bayescollapse.metrics.distances.
categorical_distances` and :func:`~bayescollapse.metrics.tails.tail_metrics` (their
definitions are there), computed together: the logs of the fit are taken once, the sums
against fixed vectors of the truth (its logs, ranks, tail, support) are one matrix product
per input array, and those vectors are worked out once per truth (:func:`truth_terms`).
The metrics are recorded every generation, so on the MLE path this row is most of what a
generation costs beyond its draws.

A fit with few positive entries (the MLE over a vocabulary much larger than its sample,
say K = 10,000 and n = 1000) is summed over its positive entries only: every metric is a
sum over them plus a constant of the truth (``sum over theta = 0 of P*_k`` is
``1 - sum over theta > 0 of P*_k``), so its cost is that of the entries, not of R K.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = ["TruthTerms", "token_metrics", "truth_terms"]

#: from this many cells up, a fit is first checked for being mostly zero (the check
#: itself costs a pass over the cells, which small fits do not repay) ...
SPARSE_CELLS = 1 << 16
#: ... and summed over its positive entries when they are fewer than this share of cells
SPARSE_SHARE = 0.25


@dataclass(frozen=True)
class TruthTerms:
    """What the metrics need of ``P*`` and the tail rank, worked out once.

    ``on_fit`` has columns (truth on its support, log rank, 1): ``log theta`` times it gives
    the cross term of ``KL(P* || P)`` and the sums of the Zipf slope. ``on_positive`` has
    columns (log rank, log rank squared, 1, in support, outside support). ``on_point`` has
    columns (log truth, 0 off the support; in the tail). ``on_lost`` has columns (1, truth).
    """

    truth: np.ndarray
    on_fit: np.ndarray
    on_positive: np.ndarray
    on_point: np.ndarray
    on_lost: np.ndarray
    sqrt_truth: np.ndarray
    lost_rank: np.ndarray  # rank on the support, K + 1 off it
    truth_log_truth: float
    truth_tail: float
    has_outside: bool
    # per token, for sums over a fit's positive entries (the sparse path)
    log_truth: np.ndarray
    log_rank: np.ndarray
    tail: np.ndarray
    truth_total: float
    truth_squares: float
    true_tokens: float


@lru_cache(maxsize=16)
def _terms(truth_bytes: bytes, tail_rank: int) -> TruthTerms:
    truth = np.frombuffer(truth_bytes, dtype=float)
    k = truth.size
    support = truth > 0
    order = np.argsort(-truth, kind="stable")  # ranks as tails.ranks: ties by token index
    rank = np.empty(k, dtype=np.int64)
    rank[order] = np.arange(1, k + 1)
    log_rank = np.log(rank.astype(float))
    log_truth = np.log(np.where(support, truth, 1.0))  # 0 off the support
    tail = (rank > tail_rank).astype(float)
    on_support = support.astype(float)
    return TruthTerms(
        truth=truth,
        on_fit=np.stack([np.where(support, truth, 0.0), log_rank, np.ones(k)], axis=1),
        on_positive=np.stack(
            [log_rank, log_rank**2, np.ones(k), on_support, 1.0 - on_support], axis=1
        ),
        on_point=np.stack([log_truth, tail], axis=1),
        on_lost=np.stack([np.ones(k), truth, on_support], axis=1),
        sqrt_truth=np.sqrt(truth),
        lost_rank=np.where(support, rank, k + 1),
        truth_log_truth=float(truth[support] @ log_truth[support]),
        truth_tail=float(truth @ tail),
        has_outside=not bool(support.all()),
        log_truth=log_truth,
        log_rank=log_rank,
        tail=tail,
        truth_total=float(truth.sum()),
        truth_squares=float(truth @ truth),
        true_tokens=float(support.sum()),
    )


def truth_terms(truth: np.ndarray, tail_rank: int) -> TruthTerms:
    """Return the :class:`TruthTerms` of ``truth`` and ``tail_rank`` (cached per value)."""
    return _terms(np.ascontiguousarray(truth, dtype=float).tobytes(), int(tail_rank))


def token_metrics(
    point: np.ndarray, truth: np.ndarray, counts: np.ndarray, *, tail_rank: int
) -> dict[str, np.ndarray]:
    """Return the distances and tail metrics of ``point`` against ``truth``, each of shape (R,).

    The arguments are those of :func:`~bayescollapse.metrics.tails.tail_metrics`: the
    fit's (R, K) probabilities, ``P*``, the (R, K) training counts (a token with count 0
    is lost) and the tail rank.

    Examples
    --------
    >>> out = token_metrics(np.array([[0.5, 0.5, 0.0]]), np.array([0.25, 0.25, 0.5]),
    ...                     np.array([[3, 4, 0]]), tail_rank=1)
    >>> out["tv_to_truth"].tolist(), out["kl_truth_to_model"].tolist(), out["lost_mass"].tolist()
    ([0.5], [inf], [0.5])
    """
    terms = truth_terms(truth, tail_rank)
    point = np.asarray(point, dtype=float)
    if point.size >= SPARSE_CELLS:
        entries = np.flatnonzero(point > 0)  # a bool mask first: 4x faster than on floats
        if entries.size < SPARSE_SHARE * point.size:
            return _sparse(point, entries, np.asarray(counts), terms)
    positive = point > 0
    log_fit = np.log(np.where(positive, point, 1.0))  # 0 where theta = 0
    cross, sum_x_log, sum_log = (log_fit @ terms.on_fit).T
    sx, sxx, count, true_positive, outside = (positive @ terms.on_positive).T
    point_log_truth, point_tail = (point @ terms.on_point).T
    lost = counts == 0
    lost_tokens, lost_mass, lost_true = (lost @ terms.on_lost).T
    point_log_point = np.vecdot(point, log_fit)
    difference = point - terms.truth
    root_gap = np.sqrt(point) - terms.sqrt_truth
    first = np.full(lost_true.shape, np.nan)  # NaN while no true token is lost
    if lost_true.any():
        first = np.where(lost, terms.lost_rank, terms.truth.size + 1).min(axis=-1).astype(float)
        first[first > terms.truth.size] = np.nan
    return _row(
        terms,
        tv=0.5 * np.abs(difference).sum(axis=-1),
        cross=cross,
        true_positive=true_positive,
        outside=outside,
        point_log_point=point_log_point,
        point_log_truth=point_log_truth,
        hellinger_sq=0.5 * np.vecdot(root_gap, root_gap),
        sq_l2=np.vecdot(difference, difference),
        sum_sq=np.vecdot(point, point),
        lost=(lost_tokens, lost_mass, lost_true),
        first=first,
        point_tail=point_tail,
        zipf=(count, sx, sxx, sum_log, sum_x_log),
    )


def _sparse(point, entries, counts, terms: TruthTerms) -> dict[str, np.ndarray]:
    """Return the row of :func:`token_metrics` from the positive entries of ``point`` only."""
    reps, k = point.shape
    row, col = np.divmod(entries, k)
    p, q = point.ravel()[entries], terms.truth[col]
    log_p = np.log(p)

    def per_row(values):
        return np.bincount(row, weights=values, minlength=reps)

    on_truth = per_row(q)
    off_truth = terms.truth_total - on_truth  # P* where theta = 0
    seen = np.flatnonzero(counts != 0)  # lost tokens are those of the counts, not the fit
    seen_row, seen_col = np.divmod(seen, k)
    seen_truth = np.bincount(seen_row, weights=terms.truth[seen_col], minlength=reps)
    in_support = terms.on_lost[seen_col, 2]
    seen_true = np.bincount(seen_row, weights=in_support, minlength=reps)
    lost_true = terms.true_tokens - seen_true
    first = np.full(reps, np.nan)  # NaN while no true token is lost
    if lost_true.any():
        by_rank = np.zeros((reps, k + 2), dtype=bool)  # seen, by rank (1..K; K+1 off P*)
        by_rank[seen_row, terms.lost_rank[seen_col]] = True
        by_rank[:, 0] = True
        gap = np.argmin(by_rank[:, : int(terms.true_tokens) + 1], axis=1).astype(float)
        first = np.where(lost_true > 0, gap, np.nan)
    log_rank = terms.log_rank[col]
    return _row(
        terms,
        tv=0.5 * (per_row(np.abs(p - q)) + off_truth),
        cross=per_row(q * log_p),
        true_positive=per_row(q > 0),
        outside=per_row(q == 0),
        point_log_point=per_row(p * log_p),
        point_log_truth=per_row(p * terms.log_truth[col]),
        hellinger_sq=0.5 * (per_row((np.sqrt(p) - terms.sqrt_truth[col]) ** 2) + off_truth),
        sq_l2=per_row((p - q) ** 2) + terms.truth_squares - per_row(q * q),
        sum_sq=per_row(p * p),
        lost=(k - np.bincount(seen_row, minlength=reps), terms.truth_total - seen_truth, lost_true),
        first=first,
        point_tail=per_row(p * terms.tail[col]),
        zipf=(
            np.bincount(row, minlength=reps).astype(float),
            per_row(log_rank),
            per_row(log_rank**2),
            per_row(log_p),
            per_row(log_p * log_rank),
        ),
    )


def _row(
    terms,
    *,
    tv,
    cross,
    true_positive,
    outside,
    point_log_point,
    point_log_truth,
    hellinger_sq,
    sq_l2,
    sum_sq,
    lost,
    first,
    point_tail,
    zipf,
) -> dict[str, np.ndarray]:
    """Assemble the row from the per-replicate sums both paths compute."""
    lost_tokens, lost_mass, lost_true = lost
    count, sx, sxx, sum_log, sum_x_log = zipf
    # the Zipf slope of -log theta on log rank over the positive entries (tails.zipf_exponent)
    denominator = count * sxx - sx * sx
    with np.errstate(invalid="ignore", divide="ignore"):
        slope = (sx * sum_log - count * sum_x_log) / denominator
    fitted = (count >= 2) & (denominator > 1e-12 * np.maximum(count * sxx, 1e-300))
    kl_model = point_log_point - point_log_truth
    return {
        "tv_to_truth": tv,
        "kl_truth_to_model": np.where(
            true_positive < terms.true_tokens, np.inf, terms.truth_log_truth - cross
        ),
        "kl_model_to_truth": np.where(outside > 0, np.inf, kl_model)
        if terms.has_outside
        else kl_model,
        "hellinger_to_truth": np.sqrt(np.maximum(hellinger_sq, 0.0)),
        "sq_l2_to_truth": sq_l2,
        "entropy": -point_log_point,
        "gini_simpson": 1.0 - sum_sq,
        "lost_tokens": np.asarray(lost_tokens, dtype=float),
        "lost_mass": lost_mass,
        "surviving_tokens": terms.true_tokens - lost_true,
        "first_lost_rank": first,
        "tail_mass_lost": terms.truth_tail - point_tail,
        "tail_exponent": np.where(fitted, slope, np.nan),
    }
