"""Distances between one-dimensional Gaussian mixtures, and the shape of a fitted one.

Mixtures are given per replicate as ``weights``, ``mu``, ``sigma`` of shape (R, J);
components of weight 0 are ignored (a lost component's mean and sd may be NaN).

- :func:`mixture_w2`: the 2-Wasserstein distance, ``(int_0^1 (F^-1(u) - G^-1(u))^2 du)^1/2``.
  With ``u = Phi(v)`` it is ``int phi(v) (F^-1 - G^-1)^2(Phi(v)) dv``, taken by the
  trapezoid rule on ``v`` in [-8, 8] at step 1/16 (the mass beyond is 1e-15), each
  quantile found as :func:`mixture_quantiles` says. For two normals it is exact to 1e-9.
- :func:`mixture_kl`: ``KL(P || Q) = sum_j w_j E_{N(mu_j, sigma_j)} log p/q`` by
  Gauss-Hermite quadrature with :data:`HERMITE_NODES` nodes per component of P: exact for
  two normals (the log ratio is a quadratic).
- :func:`mixture_modes`: the local maxima of the density on a grid of
  :data:`MODE_GRID` points over ``[min(mu - 4 sigma), max(mu + 4 sigma)]``.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "HERMITE_NODES",
    "NEWTON_STEPS",
    "QUANTILE_GRID",
    "log_sum_exp",
    "MODE_GRID",
    "mixture_cdf",
    "mixture_kl",
    "mixture_log_density",
    "mixture_log_pdf",
    "mixture_modes",
    "mixture_quantiles",
    "mixture_sf",
    "mixture_w2",
    "W2_LEVELS",
]

HERMITE_NODES = 64
MODE_GRID = 1024
#: points of the table of the CDF a quantile is first read from
QUANTILE_GRID = 256
#: Newton steps that polish each quantile
NEWTON_STEPS = 3
#: the levels ``v`` of the W2 rule (``u = Phi(v)``)
W2_LEVELS = np.linspace(-8.0, 8.0, 257)
_LOG_ROOT_2PI = 0.5 * np.log(2 * np.pi)


def _live(weights, mu, sigma) -> tuple[np.ndarray, ...]:
    """Parameters with weight-0 components made harmless (weight 0, mean 0, sd 1)."""
    dead = ~(np.asarray(weights) > 0)
    return (
        np.where(dead, 0.0, weights),
        np.where(dead, 0.0, mu),
        np.where(dead, 1.0, sigma),
    )


def mixture_cdf(x, weights, mu, sigma) -> np.ndarray:
    """Return the mixture CDF at ``x`` (R, G), parameters (R, J): shape (R, G)."""
    from scipy.special import ndtr  # not at import: an MLE run of another model needs no SciPy

    w, m, s = (np.asarray(v)[:, None, :] for v in _live(weights, mu, sigma))
    return (w * ndtr((x[..., None] - m) / s)).sum(axis=-1) / w.sum(axis=-1)


def mixture_sf(x, weights, mu, sigma) -> np.ndarray:
    """Return the mixture survival function ``1 - F`` at ``x`` (R, G), without cancellation.

    It is the CDF of the mirrored mixture at ``-x``.
    """
    return mixture_cdf(-x, weights, -np.asarray(mu), sigma)


def mixture_log_density(x, weights, mu, sigma) -> np.ndarray:
    """Return the per-component terms ``log w_j + log N(x; mu_j, sigma_j)``, components last.

    ``x`` broadcasts against the parameters with one more axis (points) before the last.
    """
    with np.errstate(divide="ignore"):
        log_w = np.log(weights)
    z = (x[..., None] - mu[..., None, :]) / sigma[..., None, :]
    return log_w[..., None, :] - np.log(sigma)[..., None, :] - _LOG_ROOT_2PI - 0.5 * z**2


def mixture_log_pdf(x, weights, mu, sigma) -> np.ndarray:
    """Return the mixture log-density at ``x`` (R, G), parameters (R, J): shape (R, G)."""
    w, m, s = _live(weights, mu, sigma)
    return log_sum_exp(mixture_log_density(x, w / w.sum(axis=-1, keepdims=True), m, s))


def _span(weights, mu, sigma, width: float) -> tuple[np.ndarray, np.ndarray]:
    """Return ``min(mu - width sigma)`` and ``max(mu + width sigma)`` over live components."""
    live = weights > 0
    lo = np.where(live, mu - width * sigma, np.inf).min(axis=1)
    return lo, np.where(live, mu + width * sigma, -np.inf).max(axis=1)


def log_sum_exp(terms: np.ndarray) -> np.ndarray:
    """Return ``log sum exp`` over the last axis (a few components: no library overhead)."""
    top = terms.max(axis=-1)
    top = np.where(np.isfinite(top), top, 0.0)
    return top + np.log(np.exp(terms - top[..., None]).sum(axis=-1))


def _probit_cdf(x, w, m, s) -> np.ndarray:
    """Return ``Phi^-1(F(x))``, from the survival function above the median (no cancellation)."""
    from scipy.special import ndtri  # not at import: an MLE run of another model needs no SciPy

    lower = mixture_cdf(x, w, m, s)
    upper = mixture_sf(x, w, m, s)
    with np.errstate(divide="ignore"):
        return np.where(lower < 0.5, ndtri(lower), -ndtri(upper))


def mixture_quantiles(v, weights, mu, sigma) -> np.ndarray:
    """Return the quantiles at levels ``Phi(v)`` (v of shape (G,)) per replicate, (R, G).

    ``g(x) = Phi^-1(F(x))`` is tabulated on :data:`QUANTILE_GRID` points over
    ``[min(mu - 12 sigma), max(mu + 12 sigma)]`` and inverted by linear interpolation
    (``g`` is linear in a normal's tails), then :data:`NEWTON_STEPS` Newton steps on
    ``g(x) = v`` (``g' = f / phi(g)``) polish each quantile; a step that does not bring
    ``g`` closer to ``v`` is not taken.
    """
    w, m, s = _live(weights, mu, sigma)
    v = np.asarray(v, float)
    lo, hi = _span(w, m, s, 12)
    grid = lo[:, None] + (hi - lo)[:, None] * np.linspace(0.0, 1.0, QUANTILE_GRID)
    table = _probit_cdf(grid, w, m, s)
    x = np.stack([np.interp(v, table[r], grid[r]) for r in range(grid.shape[0])])
    miss = _probit_cdf(x, w, m, s) - v
    for _ in range(NEWTON_STEPS):
        density = np.exp(mixture_log_pdf(x, w, m, s))
        slope = density * np.sqrt(2 * np.pi) * np.exp(0.5 * (miss + v) ** 2)
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            step = np.clip(x - miss / slope, lo[:, None], hi[:, None])
        new_miss = _probit_cdf(step, w, m, s) - v
        better = np.abs(new_miss) < np.abs(miss)
        x, miss = np.where(better, step, x), np.where(better, new_miss, miss)
    return x


def mixture_w2(first: tuple, second: tuple, *, second_quantiles=None) -> np.ndarray:
    """2-Wasserstein distance between two mixtures per replicate (module text), (R,).

    ``second_quantiles`` (1 or R, G), the second's :func:`mixture_quantiles` at the rule's
    levels (:data:`W2_LEVELS`), may be given when already computed (a fixed truth).
    """
    if second_quantiles is None:
        second_quantiles = mixture_quantiles(W2_LEVELS, *second)
    gap = mixture_quantiles(W2_LEVELS, *first) - second_quantiles
    integrand = np.exp(-0.5 * W2_LEVELS**2) / np.sqrt(2 * np.pi) * gap**2
    return np.sqrt(np.trapezoid(integrand, W2_LEVELS, axis=1))


def mixture_kl(first: tuple, second: tuple) -> np.ndarray:
    """``KL(first || second)`` per replicate by Gauss-Hermite quadrature (module text), (R,)."""
    nodes, node_weights = np.polynomial.hermite_e.hermegauss(HERMITE_NODES)
    node_weights = node_weights / node_weights.sum()
    w, m, s = _live(*first)
    w = w / w.sum(axis=1, keepdims=True)
    x = (m[..., None] + s[..., None] * nodes).reshape(m.shape[0], -1)  # (R, J * H)
    ratio = mixture_log_pdf(x, *first) - mixture_log_pdf(x, *second)
    mass = (w[..., None] * node_weights).reshape(m.shape[0], -1)
    return (mass * ratio).sum(axis=1)


def mixture_modes(weights, mu, sigma) -> np.ndarray:
    """Count the local maxima of each replicate's mixture density (module text), (R,)."""
    w, m, s = _live(weights, mu, sigma)
    lo, hi = _span(w, m, s, 4)
    grid = lo[:, None] + (hi - lo)[:, None] * np.linspace(0, 1, MODE_GRID)
    slope = np.diff(mixture_log_pdf(grid, w, m, s), axis=1)
    return ((slope[:, :-1] > 0) & (slope[:, 1:] <= 0)).sum(axis=1)
