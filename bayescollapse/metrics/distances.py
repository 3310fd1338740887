"""Distances of a fitted model to the truth, as array cores.

Every core takes NumPy arrays and an ``axis`` (the token axis, last by default) and
returns one value per leading index (replicate). All divergences are closed forms;
``0 log 0 = 0`` and a KL that is infinite is ``inf``.

Closed forms of the Gaussian family: for ``N = N(mu, s^2)`` against ``N* = N(mu*, s*^2)``,
``KL(N* || N) = log(s / s*) + (s*^2 + (mu* - mu)^2) / (2 s^2) - 1/2``, and the
2-Wasserstein distance is ``sqrt((mu - mu*)^2 + (s - s*)^2)``.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "categorical_distances",
    "entropy",
    "gaussian_distances",
    "gini_simpson",
    "hellinger",
    "kl",
    "kl_normal",
    "markov_distances",
    "sq_l2",
    "tv",
]


def tv(p, q, axis=-1):
    """Total variation distance ``0.5 * sum |p - q|``."""
    return 0.5 * np.sum(np.abs(p - q), axis=axis)


def kl(p, q, axis=-1):
    """KL(p || q) of categorical distributions; ``inf`` where ``q = 0 < p``."""
    from scipy.special import xlogy

    with np.errstate(divide="ignore"):
        terms = xlogy(p, p) - xlogy(p, q)  # p > 0 = q gives +inf
    return np.sum(terms, axis=axis)


def hellinger(p, q, axis=-1):
    """Hellinger distance ``sqrt(0.5 sum (sqrt p - sqrt q)^2)``."""
    return np.sqrt(0.5 * np.sum((np.sqrt(p) - np.sqrt(q)) ** 2, axis=axis))


def sq_l2(p, q, axis=-1):
    """Squared Euclidean distance ``sum (p - q)^2``."""
    return np.sum((p - q) ** 2, axis=axis)


def entropy(p, axis=-1):
    """Shannon entropy in nats."""
    from scipy.special import xlogy

    return -np.sum(xlogy(p, p), axis=axis)


def gini_simpson(p, axis=-1):
    """Return the paper's Gini-Simpson index ``H(P) = 1 - sum P_i^2``."""
    return 1.0 - np.sum(p**2, axis=axis)


def categorical_distances(
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
    # the logs of the fit are taken once and shared by both KLs and the entropy; sums over
    # the truth's tokens are matrix-vector products (the same values as kl() and entropy())
    support = truth > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        log_point = np.log(point)  # -inf at 0
        point_log_point = np.where(point > 0, point * log_point, 0.0).sum(axis=-1)
        log_truth = np.log(np.where(support, truth, 1.0))  # 0 where P* = 0
    truth_log_truth = truth[support] @ log_truth[support]
    cross = log_point[:, support] @ truth[support]  # -inf once a true token has p = 0
    outside = np.any(point[:, ~support] > 0, axis=-1)  # mass where P* = 0: KL(P || P*) = inf
    kl_model = np.where(outside, np.inf, point_log_point - point @ log_truth)
    return {
        "tv_to_truth": tv(point, truth),
        "kl_truth_to_model": truth_log_truth - cross,
        "kl_model_to_truth": kl_model,
        "hellinger_to_truth": hellinger(point, truth),
        "sq_l2_to_truth": sq_l2(point, truth),
        "entropy": -point_log_point,
        "gini_simpson": gini_simpson(point),
        "lost_tokens": lost.sum(axis=-1).astype(float),
        "lost_mass": lost @ truth,
    }


def markov_distances(
    model: np.ndarray,
    truth: np.ndarray,
    counts: np.ndarray,
    *,
    pi_truth: np.ndarray,
    pi_model: np.ndarray,
) -> dict[str, np.ndarray]:
    """Per-replicate distances of fitted transition rows to the true chain.

    Parameters
    ----------
    model : numpy.ndarray, shape (R, C, V)
        Fitted rows ``P_t(token | context)``.
    truth : numpy.ndarray, shape (C, V)
        True rows.
    counts : numpy.ndarray, shape (R, C, V)
        Training transition counts.
    pi_truth : numpy.ndarray, shape (C,)
        Stationary law of the true context chain (the weights of the rates).
    pi_model : numpy.ndarray, shape (R, C)
        Stationary law of each fitted chain (for its entropy rate and unigram law).

    Returns
    -------
    dict of str to numpy.ndarray
        Each value has shape (R,): ``kl_rate = sum_c pi*(c) KL(P*(.|c) || P_t(.|c))``,
        its reverse, the TV rate, the unigram TV, the model's entropy rate, and the
        contexts and true transitions with no training count.
    """
    unigram_truth = pi_truth @ truth
    unigram_model = np.einsum("rc,rcv->rv", pi_model, model)
    # kl() and entropy() per row, from logs taken once (0 where the law is 0)
    support, positive = truth > 0, model > 0
    log_truth = np.log(np.where(support, truth, 1.0))
    log_model = np.log(np.where(positive, model, 1.0))
    model_log_model = np.einsum("rcv,rcv->rc", model, log_model)
    forward = np.einsum("cv,cv->c", truth, log_truth) - np.einsum("cv,rcv->rc", truth, log_model)
    forward[(support & ~positive).any(axis=-1)] = np.inf  # a true transition the model lost
    reverse = model_log_model - np.einsum("rcv,cv->rc", model, log_truth)
    reverse[(positive & ~support).any(axis=-1)] = np.inf  # the model's mass where P* is 0
    return {
        "kl_rate": forward @ pi_truth,
        "kl_rate_reverse": reverse @ pi_truth,
        "tv_rate": tv(truth, model) @ pi_truth,
        "unigram_tv": tv(unigram_model, unigram_truth),
        "entropy_rate": -np.sum(pi_model * model_log_model, axis=-1),
        "contexts_lost": (counts.sum(axis=-1) == 0).sum(axis=-1).astype(float),
        "transitions_lost": ((truth > 0) & (counts == 0)).sum(axis=(-2, -1)).astype(float),
    }


def kl_normal(mu1, s1, mu2, s2):
    """KL(N(mu1, s1^2) || N(mu2, s2^2))."""
    return np.log(s2 / s1) + (s1**2 + (mu1 - mu2) ** 2) / (2 * s2**2) - 0.5


def gaussian_distances(mu, sigma2, truth_mu: float, truth_sigma: float) -> dict[str, np.ndarray]:
    """Per-replicate distances of ``N(mu, sigma2)`` to the true ``N(truth_mu, truth_sigma^2)``."""
    s = np.sqrt(sigma2)
    with np.errstate(divide="ignore"):
        return {
            "mu_sq_error": (mu - truth_mu) ** 2,
            "abs_mu_error": np.abs(mu - truth_mu),
            "sigma_ratio": s / truth_sigma,
            "log_var_ratio": np.log(sigma2 / truth_sigma**2),
            "kl_truth_to_model": kl_normal(truth_mu, truth_sigma, mu, s),
            "kl_model_to_truth": kl_normal(mu, s, truth_mu, truth_sigma),
            "w2_to_truth": np.sqrt((mu - truth_mu) ** 2 + (s - truth_sigma) ** 2),
        }
