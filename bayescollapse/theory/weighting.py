"""The weight of real data in a refit: the best weight, and the exact error it gives.

A weighted refit (``real_weight`` ``w``; see :mod:`bayescollapse.engine.schemes`) counts each real
item ``w`` and each synthetic item ``1 - w`` (scaled so the larger is 1). For the mean of a
Gaussian fitted by MLE with ``n`` real and ``m`` synthetic points, the real part's share
of the fit is ``W = w n / (w n + (1 - w) m)``, and the stationary error with the variance
treated as known is ``V(W) = sigma^2 (W^2 / n + (1 - W)^2 / m) / (W (2 - W))``, least at
``W* = (sqrt(n^2 + 4 n m) - n) / (2 m)`` (the derivation is in the schemes module):
:func:`optimal_real_weight`. At ``n = m``, ``W* = 1 / phi = 0.618``.

:func:`weighted_gaussian_mle_error` is the exact recursion of the loop itself: the number
of real points of the mixture scheme is ``k ~ Binomial(n_t, alpha_t)``, and the variance
the synthetic points are drawn with is the last fit's weighted MLE, not the truth. Write
``W_k`` for the share at ``k`` real points, ``Lambda_k = l_r k + l_s (n - k)`` for the total
weight (``l_r``, ``l_s`` the item weights), ``M_t = E(mu_t - mu*)^2`` and
``S_t = E sigma2_t``. The weighted mean is ``W xbar_r + (1 - W) xbar_s`` and the weighted
sum of squares about it is ``l_r SS_r + l_s SS_s + Lambda W (1 - W) (xbar_r - xbar_s)^2``;
given the past, ``xbar_r - mu* ~ N(0, sigma^2 / k)``, ``xbar_s - mu_{t-1}`` has variance
``sigma2_{t-1} / (n - k)``, ``E SS_r = (k - 1)^+ sigma^2`` and
``E SS_s = (n - k - 1)^+ sigma2_{t-1}``. Taking expectations (``k`` is independent of the
past)::

    M_t = E_k[W^2 / k] sigma^2 + E_k[(1 - W)^2] M_{t-1} + E_k[(1 - W)^2 / (n - k)] S_{t-1}
    S_t = E_k[l_r (k - 1)^+ / Lambda] sigma^2 + E_k[l_s (n - k - 1)^+ / Lambda] S_{t-1}
          + E_k[W (1 - W) / k] sigma^2 + E_k[W (1 - W) / (n - k)] S_{t-1}
          + E_k[W (1 - W)] M_{t-1}

(a term is 0 where its group is empty), from ``M_0 = sigma^2 / n_0`` and
``S_0 = sigma^2 (n_0 - 1) / n_0``. At ``w = 1/2`` (every item counts once) this is the
unweighted recursion of :func:`bayescollapse.theory.closed_forms.gaussian_mle_moments`.

References
----------
He, H., Xu, S. and Cheng, G. (2025). Golden ratio weighting prevents model collapse.
arXiv:2502.18049.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import binom

from bayescollapse.engine.schemes import item_weights

__all__ = [
    "item_weights",
    "optimal_real_weight",
    "stationary_mean_error",
    "weighted_gaussian_mle_error",
]


def optimal_real_weight(n: float, m: float) -> tuple[float, float]:
    """Return the best share ``W*`` of the real part and the item weight ``w*`` giving it.

    For the Gaussian mean with ``n`` real and ``m`` synthetic points per generation.

    Examples
    --------
    >>> [round(x, 4) for x in optimal_real_weight(100, 100)]  # the inverse golden ratio
    [0.618, 0.618]
    """
    share = (np.sqrt(n * n + 4.0 * n * m) - n) / (2.0 * m)
    return float(share), float(share * m / (share * m + (1.0 - share) * n))


def stationary_mean_error(share, n: float, m: float, sigma2: float = 1.0):
    """Return ``V(W)``, the long-run ``E(mu_t - mu*)^2`` at share ``W`` (variance known).

    Examples
    --------
    >>> [round(float(stationary_mean_error(share, 50, 50)), 5) for share in (1.0, 0.5)]
    [0.02, 0.01333]
    """
    share = np.asarray(share, dtype=float)
    return sigma2 * (share**2 / n + (1 - share) ** 2 / m) / (share * (2 - share))


def weighted_gaussian_mle_error(
    sigma2: float, real_fraction, sample_size, real_weight
) -> dict[str, np.ndarray]:
    """Exact ``E(mu_t - mu*)^2`` and ``E sigma2_t`` of the weighted Gaussian MLE loop.

    Parameters
    ----------
    sigma2 : float
        The true variance.
    real_fraction, sample_size, real_weight : array_like, shape (T + 1,)
        ``alpha_t``, ``n_t`` and ``w_t`` (the mixture scheme; ``w_0`` is not used, and a
        NaN weight means every item counts once, the same as ``w = 1/2``).

    Returns
    -------
    dict
        ``mean_sq_error`` and ``variance``, shape (T + 1,).
    """
    a = np.asarray(real_fraction, float)
    n = np.asarray(sample_size, dtype=np.int64)
    w = np.asarray(real_weight, float)
    err, var = np.empty(a.size), np.empty(a.size)
    err[0], var[0] = sigma2 / n[0], sigma2 * (n[0] - 1) / n[0]
    for t in range(1, a.size):
        lr, ls = (1.0, 1.0) if np.isnan(w[t]) else item_weights(float(w[t]))
        k = np.arange(n[t] + 1, dtype=float)
        s = n[t] - k
        p = binom.pmf(k, n[t], a[t])
        total = lr * k + ls * s
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(total > 0, lr * k / total, 0.0)
            inv_k = np.where(k > 0, 1.0 / k, 0.0)
            inv_s = np.where(s > 0, 1.0 / s, 0.0)
            within_r = np.where(total > 0, lr * np.maximum(k - 1, 0) / total, 0.0)
            within_s = np.where(total > 0, ls * np.maximum(s - 1, 0) / total, 0.0)
        mix = share * (1 - share)
        err[t] = (
            p @ (share**2 * inv_k) * sigma2
            + p @ (1 - share) ** 2 * err[t - 1]
            + p @ ((1 - share) ** 2 * inv_s) * var[t - 1]
        )
        var[t] = (
            p @ within_r * sigma2
            + p @ within_s * var[t - 1]
            + p @ (mix * inv_k) * sigma2
            + p @ (mix * inv_s) * var[t - 1]
            + p @ mix * err[t - 1]
        )
    return {"mean_sq_error": err, "variance": var}
