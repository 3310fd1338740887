"""Drift between generations' posteriors, and the Dirichlet moments it rests on.

Between two Dirichlet posteriors the KL is a closed form; a posterior known only through
draws (the PyMC paths) is moment-matched to a Dirichlet first. Between two
Normal-Inverse-Gamma posteriors, ``KL = KL_IG(alpha1, beta1 || alpha2, beta2) +
E_1[KL(N(mu1, sigma2 / kappa1) || N(mu2, sigma2 / kappa2))]``, the second term being
``(kappa2 / kappa1 - 1 - log(kappa2 / kappa1)) / 2 + kappa2 (mu1 - mu2)^2 alpha1 / (2 beta1)``.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "dirichlet_from_draws",
    "dirichlet_kl",
    "dirichlet_variance",
    "inverse_gamma_kl",
    "nig_kl",
]


def dirichlet_kl(a, b, axis=-1):
    """KL(Dir(a) || Dir(b)) in closed form, over ``axis``."""
    from scipy.special import digamma, gammaln

    a_sum, b_sum = a.sum(axis=axis), b.sum(axis=axis)
    a_sum_k = np.expand_dims(a_sum, axis)
    return (
        gammaln(a_sum)
        - np.sum(gammaln(a), axis=axis)
        - gammaln(b_sum)
        + np.sum(gammaln(b), axis=axis)
        + np.sum((a - b) * (digamma(a) - digamma(a_sum_k)), axis=axis)
    )


def dirichlet_variance(a: np.ndarray) -> np.ndarray:
    """Marginal variances of ``Dirichlet(a)`` over the last axis: ``m (1 - m) / (A + 1)``.

    Examples
    --------
    >>> dirichlet_variance(np.array([1.0, 1.0])).tolist()  # Beta(1, 1): 1/12
    [0.08333333333333333, 0.08333333333333333]
    """
    total = a.sum(axis=-1, keepdims=True)
    m = a / total
    return m * (1 - m) / (total + 1)


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


def inverse_gamma_kl(a1, b1, a2, b2) -> np.ndarray:
    """KL(InvGamma(a1, b1) || InvGamma(a2, b2)) (shape, scale), elementwise.

    Examples
    --------
    >>> float(inverse_gamma_kl(2.0, 3.0, 2.0, 3.0))
    0.0
    """
    from scipy.special import digamma, gammaln

    kl = (a1 - a2) * digamma(a1) - gammaln(a1) + gammaln(a2) + a2 * (np.log(b1) - np.log(b2))
    return kl + a1 * (b2 - b1) / b1


def nig_kl(first: tuple, second: tuple) -> np.ndarray:
    """KL(NIG(first) || NIG(second)) with parameters ``(mu, kappa, alpha, beta)``."""
    mu1, k1, a1, b1 = first
    mu2, k2, a2, b2 = second
    kl_ig = inverse_gamma_kl(a1, b1, a2, b2)
    ratio = k2 / k1
    kl_normal = 0.5 * (ratio - 1 - np.log(ratio)) + 0.5 * k2 * (mu1 - mu2) ** 2 * a1 / b1
    return kl_ig + kl_normal
