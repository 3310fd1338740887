"""Distances to the truth, uncertainty and drift: array cores with xarray wrappers.

Every core takes NumPy arrays and an ``axis`` (the token axis, last by default) and
returns one value per leading index (replicate). The public wrappers of the same names
take labelled :class:`xarray.DataArray` objects and a core ``dim``.
All divergences are closed forms; ``0 log 0 = 0`` and a KL that is infinite is ``inf``.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy.optimize.elementwise import find_root
from scipy.special import betaincinv, digamma, gammaln, xlog1py, xlogy

__all__ = [
    "tv_distance",
    "kl_categorical",
    "hellinger_distance",
    "squared_l2",
    "shannon_entropy",
    "gini_simpson",
    "dirichlet_kl",
    "beta_hdi",
    "unimodal_hdi",
    "pit_uniformity_pvalue",
    "covered_share",
    "randomised_pit",
    "dirichlet_from_draws",
    "distance_metrics",
    "posterior_metrics",
]


def _tv(p, q, axis=-1):
    return 0.5 * np.sum(np.abs(p - q), axis=axis)


def _kl(p, q, axis=-1):
    with np.errstate(divide="ignore"):
        terms = xlogy(p, p) - xlogy(p, q)  # p > 0 = q gives +inf
    return np.sum(terms, axis=axis)


def _hellinger(p, q, axis=-1):
    return np.sqrt(0.5 * np.sum((np.sqrt(p) - np.sqrt(q)) ** 2, axis=axis))


def _sq_l2(p, q, axis=-1):
    return np.sum((p - q) ** 2, axis=axis)


def _entropy(p, axis=-1):
    return -np.sum(xlogy(p, p), axis=axis)


def _gini_simpson(p, axis=-1):
    return 1.0 - np.sum(p**2, axis=axis)


def _dirichlet_kl(a, b, axis=-1):
    """KL(Dir(a) || Dir(b)) in closed form."""
    a_sum, b_sum = a.sum(axis=axis), b.sum(axis=axis)
    a_sum_k = np.expand_dims(a_sum, axis)
    return (
        gammaln(a_sum)
        - np.sum(gammaln(a), axis=axis)
        - gammaln(b_sum)
        + np.sum(gammaln(b), axis=axis)
        + np.sum((a - b) * (digamma(a) - digamma(a_sum_k)), axis=axis)
    )


def unimodal_hdi(ppf, logpdf, params: tuple, prob: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact highest-density interval of a unimodal (or monotone) distribution, elementwise.

    The HDI ``[F^-1(p), F^-1(p + prob)]`` has equal densities at both ends. The log-density
    gap ``g(p) = log f(F^-1(p + prob)) - log f(F^-1(p))`` decreases in the lower tail mass
    ``p`` for a unimodal density, so the HDI is the root of ``g`` on ``[0, 1 - prob]``
    (found for all elements at once by :func:`scipy.optimize.elementwise.find_root`), or an
    end of that range when the density is monotone (``g(0) <= 0``: the HDI starts at the
    lower end of the support; ``g(1 - prob) >= 0``: it ends at the upper end).

    Parameters
    ----------
    ppf : callable
        ``ppf(q, *params)``, the quantile function, elementwise.
    logpdf : callable
        ``logpdf(x, *params)``, the log-density up to a constant, ``-inf`` outside the support.
    params : tuple of numpy.ndarray
        The distribution's parameters, broadcast together.
    prob : float
        Probability mass of the interval.

    Returns
    -------
    lower, upper : numpy.ndarray
        Arrays of the broadcast shape of ``params``.
    """
    params = np.broadcast_arrays(*[np.asarray(p, float) for p in params])
    shape, top = params[0].shape, 1.0 - prob

    def gap(p, *par):
        lo, hi = ppf(p, *par), ppf(p + prob, *par)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_ratio = logpdf(hi, *par) - logpdf(lo, *par)
        return np.clip(np.nan_to_num(log_ratio, nan=0.0), -1e8, 1e8)  # only the sign matters

    at_zero, at_top = gap(np.zeros(shape), *params), gap(np.full(shape, top), *params)
    p = np.where(at_zero <= 0, 0.0, top)
    inside = (at_zero > 0) & (at_top < 0)
    if inside.any():
        sub = tuple(par[inside] for par in params)
        root = find_root(
            gap,
            (np.zeros(sub[0].shape), np.full(sub[0].shape, top)),
            args=sub,
            tolerances={"xatol": 1e-13, "xrtol": 1e-10},
        )
        p[inside] = root.x
    return ppf(p, *params), ppf(p + prob, *params)


def _beta_logpdf(x, a, b):
    return xlogy(a - 1, x) + xlog1py(b - 1, -x)


def _beta_ppf(q, a, b):
    return betaincinv(a, b, q)


def beta_hdi(a: np.ndarray, b: np.ndarray, prob: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact highest-density interval of Beta(a, b), elementwise (see :func:`unimodal_hdi`).

    Examples
    --------
    >>> lo, hi = beta_hdi(np.array([3.0]), np.array([3.0]), 0.5)
    >>> bool(abs(lo[0] + hi[0] - 1) < 1e-9)  # symmetric density, symmetric HDI
    True
    """
    return unimodal_hdi(_beta_ppf, _beta_logpdf, (a, b), prob)


def distance_metrics(
    point: np.ndarray, truth: np.ndarray, counts: np.ndarray
) -> dict[str, np.ndarray]:
    """Per-replicate distances of a point estimate to the truth, and lost tokens.

    Parameters
    ----------
    point : numpy.ndarray, shape (R, K)
        Fitted probabilities (MLE frequencies or posterior mean).
    truth : numpy.ndarray, shape (K,)
        The true distribution ``P*``.
    counts : numpy.ndarray, shape (R, K)
        The generation's training counts; a token with count 0 is *lost* this generation.

    Returns
    -------
    dict of str to numpy.ndarray
        Each value has shape (R,).
    """
    lost = counts == 0
    return {
        "tv_to_truth": _tv(point, truth),
        "kl_truth_to_model": _kl(truth, point),
        "kl_model_to_truth": _kl(point, truth),
        "hellinger_to_truth": _hellinger(point, truth),
        "sq_l2_to_truth": _sq_l2(point, truth),
        "entropy": _entropy(point),
        "gini_simpson": _gini_simpson(point),
        "lost_tokens": lost.sum(axis=-1).astype(float),
        "lost_mass": np.sum(np.where(lost, truth, 0.0), axis=-1),
    }


def posterior_metrics(
    lower: np.ndarray,
    upper: np.ndarray,
    truth: np.ndarray,
    dirichlet: np.ndarray,
    previous_dirichlet: np.ndarray | None,
) -> dict[str, np.ndarray]:
    """Per-replicate uncertainty summaries of a Dirichlet-type posterior.

    Parameters
    ----------
    lower, upper : numpy.ndarray, shape (R, K)
        Marginal credible interval of each token's probability.
    truth : numpy.ndarray, shape (K,)
        The true distribution.
    dirichlet, previous_dirichlet : numpy.ndarray, shape (R, K)
        Concentrations of this and the previous generation's posterior (exact, or moment
        matched for sampled posteriors); ``previous_dirichlet`` is None at generation 0.

    Returns
    -------
    dict of str to numpy.ndarray
        ``hdi_width_mean`` (mean over tokens), ``hdi_coverage`` (fraction of the tokens
        with a true probability inside (0, 1) whose interval covers it; see
        :func:`covered_share`) and ``kl_posterior_to_prev``
        (KL(posterior_t || posterior_{t-1}), NaN at generation 0), each of shape (R,).
    """
    drift = (
        np.full(dirichlet.shape[0], np.nan)
        if previous_dirichlet is None
        else _dirichlet_kl(dirichlet, previous_dirichlet)
    )
    return {
        "hdi_width_mean": np.mean(upper - lower, axis=-1),
        "hdi_coverage": covered_share(lower, upper, truth, axis=-1),
        "kl_posterior_to_prev": drift,
    }


def _wrap(core, n_inputs: int, doc: str):
    def wrapper(*arrays: xr.DataArray, dim: str = "token") -> xr.DataArray:
        if len(arrays) != n_inputs:
            raise TypeError(f"{core.__name__.lstrip('_')} takes {n_inputs} DataArray(s)")
        return xr.apply_ufunc(core, *arrays, input_core_dims=[[dim]] * n_inputs)

    wrapper.__doc__ = doc + "\n\nTakes DataArrays and the name of the core dim (default 'token')."
    return wrapper


tv_distance = _wrap(_tv, 2, "Total variation distance ``0.5 * sum |p - q|``.")
kl_categorical = _wrap(_kl, 2, "KL(p || q) of categorical distributions; inf where q = 0 < p.")
hellinger_distance = _wrap(
    _hellinger, 2, "Hellinger distance ``sqrt(0.5 sum (sqrt p - sqrt q)^2)``."
)
squared_l2 = _wrap(_sq_l2, 2, "Squared Euclidean distance ``sum (p - q)^2``.")
shannon_entropy = _wrap(_entropy, 1, "Shannon entropy in nats.")
gini_simpson = _wrap(_gini_simpson, 1, "The paper's ``H(P) = 1 - sum P_i^2``.")
dirichlet_kl = _wrap(_dirichlet_kl, 2, "KL(Dir(a) || Dir(b)) in closed form.")


def dirichlet_from_draws(draws: np.ndarray) -> np.ndarray:
    """Moment-matched Dirichlet concentration from draws of shape (S, ..., K).

    For ``Dirichlet(A m)``, ``Var theta_k = m_k (1 - m_k) / (A + 1)``; ``m`` is the draws'
    mean and ``A + 1`` is estimated as ``sum_k m_k (1 - m_k) / sum_k var_k``. With it,
    the closed-form Dirichlet KL gives a sample-based drift between posteriors known only
    through draws (the ``pymc`` path).
    """
    m, v = draws.mean(axis=0), draws.var(axis=0)
    precision = np.sum(m * (1 - m), axis=-1, keepdims=True) / np.sum(v, axis=-1, keepdims=True)
    return np.maximum(m * (precision - 1), 1e-12)


def pit_uniformity_pvalue(pit: np.ndarray, *, bins: int = 10) -> float:
    """Chi-square p-value that PIT values (posterior CDFs at the truth) are uniform.

    Under calibration the PIT of the truth is uniform on [0, 1] (the SBC rank statistic,
    normalised). The values are binned into ``bins`` equal bins; NaNs are dropped. Values
    from tokens of one replicate are not independent (they share the posterior), so with
    many tokens per replicate the p-value is indicative rather than exact.
    """
    from scipy import stats

    values = np.asarray(pit, float).ravel()
    values = values[np.isfinite(values)]
    if values.size < 5 * bins:
        return float("nan")
    counts, _ = np.histogram(values, bins=bins, range=(0.0, 1.0))
    return float(stats.chisquare(counts).pvalue)


def covered_share(lower, upper, truth, *, axis=-1) -> np.ndarray:
    """Share of true probabilities inside their credible intervals, over interior truths.

    A true probability of exactly 0 or 1 lies on the boundary of the support of every
    Dirichlet (or Beta) posterior with a positive prior: the posterior puts no mass there,
    an exact HDI may still reach it (Beta(a, b) with a <= 1 has its HDI start at 0), and
    an interval from posterior draws never does. Coverage is a statement about interior
    values, so boundary truths are left out for every fitting path alike, and the share is
    over the interior ones (NaN if there are none).

    Parameters
    ----------
    lower, upper : numpy.ndarray
        Interval ends, broadcasting against ``truth``.
    truth : numpy.ndarray
        True probabilities.
    axis : int or tuple of int
        The axes the share is taken over.

    Examples
    --------
    >>> float(covered_share(np.array([0.0, 0.1, 0.5]), np.array([0.2, 0.3, 0.6]),
    ...                     np.array([0.0, 0.2, 0.7])))
    0.5
    """
    truth = np.asarray(truth)
    interior = np.broadcast_to((truth > 0) & (truth < 1), np.broadcast(lower, truth).shape)
    covered = (lower <= truth) & (truth <= upper) & interior
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sum(covered, axis=axis) / np.sum(interior, axis=axis)


def interior_pit(pit: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """Return the PIT with boundary truths (0 or 1) set to NaN (see :func:`covered_share`)."""
    truth = np.asarray(truth)
    return np.where((truth > 0) & (truth < 1), pit, np.nan)


def randomised_pit(draws: np.ndarray, values, *, rng: np.random.Generator) -> np.ndarray:
    """PIT of ``values`` from posterior draws (S, ...), with ties and the rank grid broken.

    With ``r`` draws below the value and ``e`` equal to it, the PIT is
    ``(r + V (e + 1)) / (S + 1)`` with ``V ~ Uniform(0, 1)``. When the value is a draw
    from the posterior (calibration), the rank ``r`` is uniform on ``{0, ..., S}`` and
    this PIT is exactly Uniform(0, 1), like the exact posterior CDF at the value; the
    plain share ``r / S`` is not (it lives on a grid and ties pile up).

    Examples
    --------
    >>> u = randomised_pit(np.arange(4.0)[:, None], np.array([1.5]),
    ...                    rng=np.random.default_rng(0))
    >>> bool(2 / 5 <= u[0] <= 3 / 5)
    True
    """
    draws = np.asarray(draws)
    below = (draws < values).sum(axis=0)
    ties = (draws == values).sum(axis=0)
    v = rng.random(below.shape)
    return (below + v * (ties + 1)) / (draws.shape[0] + 1)
