"""Closed-form expected curves of the generation loop, and their limits.

Notation: ``P*`` the truth over K tokens, ``H(P) = 1 - sum_i P_i^2``, ``P_t`` the fitted
model of generation t (MLE frequencies, or posterior mean), ``D_t = E||P_t - P*||^2``,
``a_t`` the real fraction, ``n_t`` the sample size. Every curve here is exact (no
asymptotics) for the ``mixture`` and ``replace`` schemes; the tests check them against
simulation at every generation.

Categorical MLE. Given ``P_{t-1}``, the training counts are ``Multinomial(n_t, Q_t)``
with ``Q_t = a_t P* + (1 - a_t) P_{t-1}``, so ``E[P_t | P_{t-1}] = Q_t`` and the multinomial
covariance adds ``(1 - ||Q_t||^2) / n_t``. Since ``E[P_0] = P*`` and
``E[P_t] = a_t P* + (1 - a_t) E[P_{t-1}]``, ``E[P_t] = P*`` for all t, hence
``E||Q_t||^2 = ||P*||^2 + (1 - a_t)^2 D_{t-1}`` and::

    D_0 = H(P*) / n_0,
    D_t = (1 - a_t)^2 (1 - 1/n_t) D_{t-1} + H(P*) / n_t,

and ``E[H(P_t)] = H(P*) - D_t``; with ``a_t = 0`` that is ``H(P*) prod_{s<=t} (1 - 1/n_s)``.

Categorical conjugate (prior ``Dirichlet(a0)`` refitted each generation). The posterior
mean is ``P_t = (1 - w_t) u + w_t c_t / n_t`` with ``u`` uniform and
``w_t = n_t / (n_t + K a0)``: linear in the counts, so the first two moments
``m_t = E[P_t]`` and ``S_t = E||P_t||^2`` follow an exact recursion. The synthetic set is
drawn from ``G``: ``G = P_{t-1}`` for ``plugin`` and ``predictive`` (the same law), or
``G = theta ~ Dirichlet(A P_{t-1})`` with ``A = n_{t-1} + K a0`` for ``ancestral``, where
``E||theta||^2 = (A ||P_{t-1}||^2 + 1) / (A + 1)``. With ``Q = a P* + (1 - a) G``::

    m_t = (1 - w) u + w (a P* + (1 - a) m_{t-1})
    E||Q||^2 = a^2 ||P*||^2 + 2 a (1 - a) <P*, m_{t-1}> + (1 - a)^2 E||G||^2
    S_t = (1 - w^2) / K + w^2 ((1 - 1/n) E||Q||^2 + 1/n)
    D_t = S_t - 2 <P*, m_t> + ||P*||^2,   E[H(P_t)] = 1 - S_t.

``a0 = 0`` gives the MLE recursion above. The ``pymc`` path targets the same posterior,
so it has the same expected curves.

Gaussian MLE (mean, and variance with divisor ``n - ddof``). Given the previous fit, the
training set is ``n`` iid draws from ``a N(mu*, s*^2) + (1 - a) N(mu_{t-1}, s_{t-1}^2)``,
whose variance is ``a s*^2 + (1 - a) s_{t-1}^2 + a (1 - a) (mu_{t-1} - mu*)^2``. With
``M_t = E(mu_t - mu*)^2`` and ``V_t = E s_t^2``::

    E var_t = a s*^2 + (1 - a) V_{t-1} + a (1 - a) M_{t-1}
    M_t = (1 - a)^2 M_{t-1} + E var_t / n,     V_t = E var_t (n - 1) / (n - ddof),

from ``M_0 = s*^2 / n_0`` and ``V_0 = s*^2 (n_0 - 1) / (n_0 - ddof)``. Pure synthetic MLE
(``ddof = 0``) gives ``V_t = s*^2 ((n - 1)/n)^(t + 1)``; the unbiased fit (``ddof = 1``)
keeps ``V_t = s*^2``.

Every curve here assumes plain loops: fresh real data every generation, plain sampling
of the synthetic part and every item counted once. A fixed real pool
(``real_data='fixed'``) replaces ``P*`` by the pool's empirical law, whose own error does
not shrink; decoding replaces the previous fit by its decoded law; the weighted Gaussian
MLE has its own exact recursion in :mod:`bayescollapse.theory.weighting`.

References
----------
Bakshi, S. and Chakraborty, A. (2026). From collapse to improvement: statistical
perspectives on the evolutionary dynamics of iterative training on contaminated sources.
arXiv:2602.10531.
Shumailov, I. et al. (2024). AI models collapse when trained on recursively generated
data. Nature 631, 755-759.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "Regime",
    "accumulate_mle_sq_error",
    "categorical_moments",
    "gaussian_mle_moments",
    "gini_simpson_of",
    "mle_gini_simpson",
    "mle_sq_error",
    "mle_sq_error_floor",
    "power_schedule_regime",
]


def gini_simpson_of(probs: np.ndarray) -> float:
    """Return ``H(P) = 1 - sum P_i^2``."""
    p = np.asarray(probs, dtype=float)
    return float(1.0 - np.sum(p**2))


def categorical_moments(
    truth: np.ndarray,
    real_fraction: np.ndarray,
    sample_size: np.ndarray,
    *,
    prior_concentration: float | np.ndarray = 0.0,
    synthetic: str = "plugin",
) -> dict[str, np.ndarray]:
    """Exact expected error and Gini-Simpson index of the categorical loop.

    Parameters
    ----------
    truth : numpy.ndarray, shape (K,)
        ``P*``.
    real_fraction, sample_size : numpy.ndarray, shape (..., T + 1)
        ``a_t`` and ``n_t`` for t = 0..T (``a_0`` is ignored: generation 0 is real data).
        Leading dims batch many schedules at once.
    prior_concentration : float or numpy.ndarray
        Symmetric Dirichlet prior ``a0`` (0 for the MLE), broadcast against the leading dims.
    synthetic : {"plugin", "predictive", "ancestral"}
        How synthetic sets are drawn (``ancestral`` needs ``a0 > 0``).

    Returns
    -------
    dict
        ``sq_error`` (``D_t``) and ``gini_simpson`` (``E[H(P_t)]``), shape (..., T + 1).

    Examples
    --------
    >>> out = categorical_moments([0.5, 0.5], [1, 0, 0], [10, 10, 10])
    >>> out["sq_error"].round(4).tolist()
    [0.05, 0.095, 0.1355]
    """
    if synthetic not in ("plugin", "predictive", "ancestral"):
        raise ValueError(
            f"synthetic mode {synthetic!r} is not one of ancestral, predictive, plugin"
        )
    p = np.asarray(truth, dtype=float)
    k, p2 = p.size, float(p @ p)
    a, n = np.broadcast_arrays(np.asarray(real_fraction, float), np.asarray(sample_size, float))
    a0 = np.broadcast_to(np.asarray(prior_concentration, float), a.shape[:-1])
    if synthetic == "ancestral" and np.any(a0 <= 0):
        raise ValueError(
            "synthetic 'ancestral' needs prior_concentration > 0 (a posterior to draw)"
        )
    ancestral = synthetic == "ancestral"
    w = n / (n + k * a0[..., None])
    d = np.empty(a.shape)
    gini = np.empty(a.shape)
    m = (1 - w[..., :1]) / k + w[..., :1] * p  # E[P_0], shape (..., K)
    s = (1 - w[..., 0] ** 2) / k + w[..., 0] ** 2 * ((1 - 1 / n[..., 0]) * p2 + 1 / n[..., 0])
    d[..., 0], gini[..., 0] = s - 2 * (m @ p) + p2, 1 - s
    for t in range(1, a.shape[-1]):  # a recursion over generations, vectorised over schedules
        at, nt, wt = a[..., t], n[..., t], w[..., t]
        if ancestral:
            big_a = n[..., t - 1] + k * a0
            g2 = (big_a * s + 1) / (big_a + 1)
        else:
            g2 = s
        q2 = at**2 * p2 + 2 * at * (1 - at) * (m @ p) + (1 - at) ** 2 * g2
        m = (1 - wt[..., None]) / k + wt[..., None] * (at[..., None] * p + (1 - at[..., None]) * m)
        s = (1 - wt**2) / k + wt**2 * ((1 - 1 / nt) * q2 + 1 / nt)
        d[..., t], gini[..., t] = s - 2 * (m @ p) + p2, 1 - s
    return {"sq_error": np.maximum(d, 0.0), "gini_simpson": gini}


def mle_sq_error(
    truth: np.ndarray, real_fraction: np.ndarray, sample_size: np.ndarray
) -> np.ndarray:
    """Exact ``D_t = E||P_t - P*||^2`` of the mixture (and replace) scheme under MLE.

    Examples
    --------
    >>> mle_sq_error([0.5, 0.5], [1, 0, 0], [10, 10, 10]).round(4).tolist()
    [0.05, 0.095, 0.1355]
    """
    h_star = gini_simpson_of(truth)
    a = np.asarray(real_fraction, dtype=float)
    n = np.asarray(sample_size, dtype=float)
    d = np.empty(np.broadcast_shapes(a.shape, n.shape))
    d[..., 0] = h_star / n[..., 0]
    for t in range(1, d.shape[-1]):  # a scalar recursion over generations, not tokens
        d[..., t] = (1 - a[..., t]) ** 2 * (1 - 1 / n[..., t]) * d[..., t - 1] + h_star / n[..., t]
    return d


def accumulate_mle_sq_error(
    truth: np.ndarray, real_fraction: np.ndarray, sample_size: np.ndarray
) -> np.ndarray:
    """Exact ``D_t = E||P_t - P*||^2`` of the ``accumulate`` scheme under MLE.

    The pool keeps every earlier item and generation t adds ``n_t`` drawn from
    ``Q_t = a_t P* + (1 - a_t) P_{t-1}``. With ``c_t = n_t / sum_{s<=t} n_s`` the pooled
    frequencies are ``P_t = P_{t-1} + c_t (S_t - P_{t-1})``, ``S_t`` the new items'
    frequencies, so ``P_t - P* = (1 - c_t a_t)(P_{t-1} - P*) + c_t (S_t - Q_t)``, and since
    ``E[P_t] = P*`` (hence ``E[1 - ||Q_t||^2] = H - (1 - a_t)^2 D_{t-1}``)::

        D_t = (1 - c_t a_t)^2 D_{t-1} + c_t^2 (H(P*) - (1 - a_t)^2 D_{t-1}) / n_t.

    At ``c_t = 1`` this is the mixture recursion (:func:`mle_sq_error`). With ``a = 0`` and
    constant n, ``D_t = D_{t-1} + (H - D_{t-1}) / (n (t + 1)^2)``: bounded by
    ``(H / n) pi^2 / 6`` (Gerstgrasser et al. 2024), where replace goes to ``H``.

    Examples
    --------
    >>> accumulate_mle_sq_error([0.5, 0.5], [1, 0, 0], [10, 10, 10]).round(6).tolist()
    [0.05, 0.06125, 0.066125]
    """
    h_star = gini_simpson_of(truth)
    a = np.asarray(real_fraction, dtype=float)
    n = np.asarray(sample_size, dtype=float)
    d = np.empty(np.broadcast_shapes(a.shape, n.shape))
    c = n / np.cumsum(n, axis=-1)
    d[..., 0] = h_star / n[..., 0]
    for t in range(1, d.shape[-1]):
        keep, add = (1 - c[..., t] * a[..., t]) ** 2, c[..., t] ** 2 / n[..., t]
        d[..., t] = keep * d[..., t - 1] + add * (h_star - (1 - a[..., t]) ** 2 * d[..., t - 1])
    return d


def mle_gini_simpson(
    truth: np.ndarray, real_fraction: np.ndarray, sample_size: np.ndarray
) -> np.ndarray:
    """Exact ``E[H(P_t)] = H(P*) - D_t`` for t = 0..T under MLE (mixture or replace)."""
    return gini_simpson_of(truth) - mle_sq_error(truth, real_fraction, sample_size)


def mle_sq_error_floor(truth: np.ndarray, real_fraction: float, sample_size: int) -> float:
    """Limit of ``D_t`` for constant ``a`` and ``n``: the fixed point of the MLE recursion.

    ``D_inf = (H(P*) / n) / (1 - (1 - a)^2 (1 - 1/n))``; for ``a = 0`` it is ``H(P*)``
    (the chain ends on one token).
    """
    a, n = float(real_fraction), float(sample_size)
    return (gini_simpson_of(truth) / n) / (1 - (1 - a) ** 2 * (1 - 1 / n))


def gaussian_mle_moments(
    mu: float,
    sigma2: float,
    real_fraction: np.ndarray,
    sample_size: np.ndarray,
    *,
    ddof: int = 0,
) -> dict[str, np.ndarray]:
    """Exact ``E(mu_t - mu*)^2`` and ``E sigma2_t`` of the Gaussian loop (see module text).

    Parameters
    ----------
    mu, sigma2 : float
        The true mean and variance (``mu`` does not enter: the laws are location-free).
    real_fraction, sample_size : numpy.ndarray, shape (..., T + 1)
        ``a_t`` and ``n_t`` for t = 0..T.
    ddof : {0, 1}
        Variance divisor ``n - ddof``: 0 for the MLE, 1 for the unbiased estimator.

    Returns
    -------
    dict
        ``mean_sq_error`` and ``variance``, shape (..., T + 1).

    Examples
    --------
    >>> out = gaussian_mle_moments(0.0, 1.0, [1, 0, 0], [10, 10, 10])
    >>> out["variance"].round(4).tolist()  # ((n - 1) / n) ** (t + 1)
    [0.9, 0.81, 0.729]
    """
    if ddof not in (0, 1):
        raise ValueError(f"ddof must be 0 (MLE) or 1 (unbiased), got {ddof!r}")
    a, n = np.broadcast_arrays(np.asarray(real_fraction, float), np.asarray(sample_size, float))
    if ddof == 1 and np.any(n < 2):
        raise ValueError("the unbiased variance needs sample sizes >= 2")
    err, var = np.empty(a.shape), np.empty(a.shape)
    err[..., 0] = sigma2 / n[..., 0]
    var[..., 0] = sigma2 * (n[..., 0] - 1) / (n[..., 0] - ddof)
    for t in range(1, a.shape[-1]):
        at, nt = a[..., t], n[..., t]
        mixture_var = at * sigma2 + (1 - at) * var[..., t - 1] + at * (1 - at) * err[..., t - 1]
        err[..., t] = (1 - at) ** 2 * err[..., t - 1] + mixture_var / nt
        var[..., t] = mixture_var * (nt - 1) / (nt - ddof)
    return {"mean_sq_error": err, "variance": var}


@dataclass(frozen=True)
class Regime:
    """Long-run fate of the loop: its name, limiting error and convergence rate.

    ``name`` is ``collapse`` (the error tends to the one-token level ``H(P*)``),
    ``bounded`` (a positive limit below it) or ``recovery`` (the error tends to 0).
    ``limit`` is the limiting ``D_t`` (0 for recovery). ``rate`` is the exponent ``r``
    in ``D_t ~ C t^-r`` for recovery (NaN otherwise), and ``constant`` that ``C`` where
    known.
    """

    name: str
    limit: float
    rate: float = float("nan")
    constant: float = float("nan")


def power_schedule_regime(
    truth: np.ndarray, real_fraction0: float, beta: float, sample_size0: float, gamma: float
) -> Regime:
    """Classify ``a_t = a0 t^-beta``, ``n_t = n0 t^gamma`` (MLE) from the recursion's theory.

    With ``D_t = (1 - a_t)^2 (1 - 1/n_t) D_{t-1} + H/n_t``:

    - ``beta <= 1`` (``sum a_t = inf``: the past is forgotten). The error tracks
      ``H / (n_t (1 - (1 - a_t)^2) + (1 - a_t)^2)``, about ``H / (2 a_t n_t)`` once that is
      small. So ``gamma > beta``: recovery. For ``0 < beta < 1`` the rate is
      ``gamma - beta`` with ``C = H / (2 a0 n0)``; for ``beta = 0`` (constant ``a0``) the
      rate is ``gamma`` with ``C = H / (n0 a0 (2 - a0))``; for ``beta = 1`` the rate is
      ``min(gamma - 1, 2 a0)`` (with ``C = H / (n0 (2 a0 - gamma + 1))`` when
      ``gamma - 1 < 2 a0``).
      ``gamma = beta``: bounded (for ``beta = gamma = 0`` the exact floor
      :func:`mle_sq_error_floor`; else about ``H / (2 a0 n0 + 1)``).
      ``gamma < beta``: collapse (``a_t n_t -> 0``, limit ``H``).
    - ``beta > 1`` (``sum a_t < inf``: finitely much truth is ever mixed in).
      ``gamma > 1`` (``sum 1/n_t < inf``): bounded, a positive limit that depends on the
      early generations (computed here by running the recursion to convergence).
      ``gamma <= 1``: collapse (``prod (1 - 1/n_t) -> 0``), limit ``H``.

    Parameters
    ----------
    truth : numpy.ndarray
        ``P*``.
    real_fraction0, beta, sample_size0, gamma : float
        The schedules' parameters (``0 < a0 <= 1``, ``beta, gamma >= 0``, ``n0 >= 1``).
    """
    if not (0 < real_fraction0 <= 1 and beta >= 0 and gamma >= 0 and sample_size0 >= 1):
        raise ValueError(
            "power schedules need 0 < real_fraction0 <= 1, beta >= 0, gamma >= 0, sample_size0 >= 1"
        )
    h = gini_simpson_of(truth)
    a0, n0 = float(real_fraction0), float(sample_size0)
    if np.isclose(beta, 1.0, rtol=0, atol=1e-9):
        beta = 1.0
    if np.isclose(gamma, beta, rtol=0, atol=1e-9):
        gamma = beta
    if beta <= 1:
        if gamma > beta:
            if beta == 0:
                return Regime("recovery", 0.0, gamma, h / (n0 * a0 * (2 - a0)))
            if beta < 1:
                return Regime("recovery", 0.0, gamma - beta, h / (2 * a0 * n0))
            rate = min(gamma - 1, 2 * a0)
            constant = h / (n0 * (2 * a0 - gamma + 1)) if gamma - 1 < 2 * a0 else float("nan")
            return Regime("recovery", 0.0, rate, constant)
        if gamma == beta:
            if beta == 0:
                return Regime("bounded", mle_sq_error_floor(truth, a0, n0))
            return Regime("bounded", h / (2 * a0 * n0 + 1))
        return Regime("collapse", h)
    if gamma > 1 + 1e-9:
        return Regime("bounded", _bounded_limit(h, a0, beta, n0, gamma))
    return Regime("collapse", h)


def _bounded_limit(
    h: float, a0: float, beta: float, n0: float, gamma: float, horizon: int = 1_000_000
) -> float:
    """``D_t`` of the MLE recursion at ``t = horizon``, in closed form for a linear recursion.

    ``D_T = D_0 prod_{r<=T} c_r + sum_s (H / n_s) prod_{s<r<=T} c_r`` with
    ``c_r = (1 - a_r)^2 (1 - 1/n_r)``, evaluated with cumulative sums of ``log c``. Beyond T
    the value moves by at most ``D_T (2 sum_{r>T} a_r + sum_{r>T} 1/n_r) + H sum_{r>T} 1/n_r``,
    which is small unless ``beta`` or ``gamma`` is close to 1.
    """
    t = np.arange(1, horizon + 1, dtype=float)
    a, n = a0 * t**-beta, n0 * t**gamma
    log_c = 2 * np.log1p(-np.minimum(a, 1 - 1e-300)) + np.log1p(-1 / n)
    after = np.cumsum(log_c[::-1])[::-1]  # after[s] = sum_{r >= s} log c_r
    tail = np.concatenate([after[1:], [0.0]])  # sum_{r > s} log c_r
    return float((h / n0) * np.exp(after[0]) + np.sum(h / n * np.exp(tail)))
