"""Closed-form expected curves for the categorical MLE loop.

Notation: ``P*`` the truth, ``H(P) = 1 - sum_i P_i^2``, ``P_t`` the MLE (frequencies) of
generation t, ``D_t = E||P_t - P*||^2``.

Derivation of the mixture recursion. Given ``P_{t-1}``, the training counts are
``Multinomial(n_t, Q_t)`` with ``Q_t = a_t P* + (1 - a_t) P_{t-1}``, so
``E[P_t | P_{t-1}] = Q_t`` and the multinomial covariance adds ``(1 - ||Q_t||^2) / n_t``::

    E[||P_t - P*||^2 | P_{t-1}] = (1 - a_t)^2 ||P_{t-1} - P*||^2 + (1 - ||Q_t||^2) / n_t.

Since ``E[P_0] = P*`` and ``E[P_t] = a_t P* + (1 - a_t) E[P_{t-1}]``, ``E[P_t] = P*`` for all
t, hence ``E||Q_t||^2 = ||P*||^2 + (1 - a_t)^2 D_{t-1}`` and::

    D_0 = H(P*) / n_0,
    D_t = (1 - a_t)^2 (1 - 1/n_t) D_{t-1} + H(P*) / n_t.

It also gives ``E[H(P_t)] = H(P*) - D_t``. With ``a_t = 0`` (pure synthetic) this is
``E[H(P_t)] = H(P*) prod_{s <= t} (1 - 1/n_s)``, the known law ``H_0 (1 - 1/n)^t``
conditional on generation 0.

References
----------
Bakshi, S. and Chakraborty, A. (2026). From collapse to improvement: statistical
perspectives on the evolutionary dynamics of iterative training on contaminated sources.
arXiv:2602.10531.
"""

from __future__ import annotations

import numpy as np

__all__ = ["mle_sq_error", "mle_gini_simpson", "mle_sq_error_floor", "gini_simpson_of"]


def gini_simpson_of(probs: np.ndarray) -> float:
    """``H(P) = 1 - sum P_i^2``."""
    p = np.asarray(probs, dtype=float)
    return float(1.0 - np.sum(p**2))


def mle_sq_error(
    truth: np.ndarray, real_fraction: np.ndarray, sample_size: np.ndarray
) -> np.ndarray:
    """Exact ``D_t = E||P_t - P*||^2`` of the mixture (and replace) scheme under MLE.

    Parameters
    ----------
    truth : numpy.ndarray, shape (K,)
        ``P*``.
    real_fraction : numpy.ndarray, shape (T + 1,)
        ``a_t`` for t = 0..T (the value at t = 0 is ignored: generation 0 is real data).
    sample_size : numpy.ndarray, shape (T + 1,)
        ``n_t`` for t = 0..T.

    Returns
    -------
    numpy.ndarray
        ``D_t`` for t = 0..T.

    Examples
    --------
    >>> mle_sq_error([0.5, 0.5], [1, 0, 0], [10, 10, 10]).round(4).tolist()
    [0.05, 0.095, 0.1355]
    """
    h_star = gini_simpson_of(truth)
    a = np.asarray(real_fraction, dtype=float)
    n = np.asarray(sample_size, dtype=float)
    d = np.empty(n.size)
    d[0] = h_star / n[0]
    for t in range(1, n.size):  # a scalar recursion over generations, not tokens
        d[t] = (1 - a[t]) ** 2 * (1 - 1 / n[t]) * d[t - 1] + h_star / n[t]
    return d


def mle_gini_simpson(
    truth: np.ndarray, real_fraction: np.ndarray, sample_size: np.ndarray
) -> np.ndarray:
    """Exact ``E[H(P_t)] = H(P*) - D_t`` for t = 0..T under MLE (mixture or replace)."""
    return gini_simpson_of(truth) - mle_sq_error(truth, real_fraction, sample_size)


def mle_sq_error_floor(truth: np.ndarray, real_fraction: float, sample_size: int) -> float:
    """Limit of ``D_t`` for constant ``a > 0`` and ``n``: the fixed point of the recursion.

    ``D_inf = (H(P*) / n) / (1 - (1 - a)^2 (1 - 1/n))``; for ``a = 0`` it is ``H(P*)``
    (the chain ends on one token).
    """
    a, n = float(real_fraction), float(sample_size)
    h_star = gini_simpson_of(truth)
    return (h_star / n) / (1 - (1 - a) ** 2 * (1 - 1 / n))
