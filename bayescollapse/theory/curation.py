"""Closed forms of curation: the law of a kept item, the expected next fit, its fixed point.

Let ``p`` be the law the model writes candidates from (over tokens ``k``, with reward
``r_k``), and ``q`` the law of the item a rule keeps. The categorical MLE trained on
``m ~ Binomial(n, alpha)`` real items and ``n - m`` kept synthetic items has expectation
``E[P_{t+1} | P_t] = alpha P* + (1 - alpha) q(P_t)`` (real items are never curated).

**best-of:K** (ties uniform among the tied). Let ``F(r) = P_p(R <= r)`` and
``F-(r) = P_p(R < r)`` be the reward's CDF under ``p`` just at and before ``r``. The best of
``K`` iid candidates has reward level ``r`` with probability ``F(r)^K - F-(r)^K``; given
that level, the kept candidate is uniform among the candidates at the level, which are iid
from ``p`` restricted to it. So ``q_k = p_k (F(r_k)^K - F-(r_k)^K) / (F(r_k) - F-(r_k))``.

**bradley-terry:K:BETA**. With weights ``w = exp(BETA r)``, candidate 1 is kept with
probability ``w_1 / (w_1 + S)``, ``S`` the sum of the other ``K - 1`` weights; by symmetry
``q_k = K p_k E[w_k / (w_k + S)]``. Writing ``1 / (w + S) = int_0^inf exp(-s (w + S)) ds``
and ``phi(s) = E_p exp(-s w)`` (so ``E exp(-s S) = phi(s)^(K-1)``),
``q_k = K p_k w_k int_0^inf exp(-s w_k) phi(s)^(K-1) ds``: one integral per token, taken
by adaptive quadrature. (They sum to 1: the integrand summed over ``k`` is
``-d/ds phi(s)^K``.) As ``K`` grows, ``q`` concentrates on the maximisers of ``r``, in
proportion to ``p`` there: the loop climbs the reward (Ferbach et al. 2024, Theorem 2.1:
the expected reward ``E_q r >= E_p r``, strictly unless ``r`` is constant on ``p``'s support).

**filter** (acceptance ``a``). Candidates are kept independently with probability
``a(x)`` until ``n`` are kept: the kept items are iid from ``q_k = p_k a_k / sum_j p_j a_j``,
and the acceptance rate is ``sum_j p_j a_j`` (Feng et al. 2024, arXiv 2406.07515).

**The deterministic map** ``G(P) = alpha P* + (1 - alpha) q(P)`` is the expected MLE step.
With ``alpha > 0`` real data pull it back to the truth, and :func:`fixed_point` solves
``P = G(P)`` by iterating ``G`` from ``P*`` (the large-``n`` limit of the loop, where the
fit's noise vanishes). With ``alpha = 0`` the loop under best-of or Bradley-Terry (``BETA >
0``) tends to ``P_0`` restricted to the maximisers of ``r`` (:func:`reward_target`).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "best_of_law",
    "bradley_terry_law",
    "curated_law",
    "expected_next_mle",
    "expected_reward",
    "filter_law",
    "fixed_point",
    "gaussian_fixed_point",
    "normal_curated_moments",
    "reward_target",
]


def expected_reward(p: np.ndarray, reward: np.ndarray) -> np.ndarray:
    """Return ``E_p r = sum_k p_k r_k`` (over the last axis)."""
    return np.asarray(p, float) @ np.asarray(reward, float)


def best_of_law(p: np.ndarray, reward: np.ndarray, k: int) -> np.ndarray:
    """Return the law of the best of ``k`` iid candidates from ``p`` (ties uniform).

    Per reward level: its mass ``m``, ``F`` the mass at or below it, and every token of
    the level gets ``p_k (F^K - (F - m)^K) / m``; one sort, so ``O(V log V)``.
    """
    p, reward = np.asarray(p, float), np.asarray(reward, float)
    p = p / p.sum()
    levels, level_of = np.unique(reward, return_inverse=True)
    mass = np.bincount(level_of, weights=p, minlength=levels.size)
    at_or_below = np.minimum(np.cumsum(mass), 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = (at_or_below**k - np.maximum(at_or_below - mass, 0.0) ** k) / mass
    return np.where(p > 0, p * np.nan_to_num(share)[level_of], 0.0)


def bradley_terry_law(p: np.ndarray, reward: np.ndarray, k: int, beta: float) -> np.ndarray:
    """Return the law of the item the K-wise Bradley-Terry choice keeps (see the module).

    The integral over ``s > 0`` is taken in ``u = log s``, where the integrand
    ``s exp(-s w_k) phi(s)^(K-1)`` is a smooth bump: composite Gauss-Legendre (64 panels
    of 48 nodes) from ``s = 1e-12`` (below it the integral is ``s`` to within ``s^2``) to
    ``s = 60 / min w`` (above it the integrand is below ``e^-60``), for every token at once.
    """
    p, reward = np.asarray(p, float), np.asarray(reward, float)
    p = p / p.sum()  # q scales as (sum p)^K: off the simplex, rounding would grow
    if k == 1 or beta == 0:
        return p
    support = p > 0
    z = beta * (reward - reward[support].max())  # scaled: the largest weight is 1
    w = np.where(support, np.exp(z), 0.0)
    s0 = 1e-12
    edges = np.linspace(np.log(s0), np.log(60 / w[support].min()), 65)
    nodes, weights = np.polynomial.legendre.leggauss(48)
    half = np.diff(edges)[:, None] / 2
    u = ((edges[:-1, None] + edges[1:, None]) / 2 + half * nodes).ravel()
    du = (half * weights).ravel()
    s = np.exp(u)
    phi = np.exp(-s[:, None] * w[support]) @ p[support]  # E_p exp(-s w), per node
    bump = (s * phi ** (k - 1) * du)[:, None] * np.exp(-s[:, None] * w)  # (nodes, tokens)
    return np.where(support, k * p * w * (bump.sum(axis=0) + s0), 0.0)


def filter_law(p: np.ndarray, accept: np.ndarray) -> np.ndarray:
    """Return ``p`` reweighted by the acceptance ``a`` (the law of a kept candidate)."""
    p, accept = np.asarray(p, float), np.asarray(accept, float)
    rate = float(p @ accept)
    if rate <= 0:
        raise ValueError("the acceptance law is 0 wherever p puts mass")
    return p * accept / rate


def curated_law(rule: str, p, reward, *, k: int = 1, beta: float = 0.0) -> np.ndarray:
    """Return the law of a kept item under ``rule`` (``none`` returns ``p``)."""
    if rule == "none":
        return np.asarray(p, float)
    if rule == "best-of":
        return best_of_law(p, reward, k)
    if rule == "bradley-terry":
        return bradley_terry_law(p, reward, k, beta)
    if rule == "filter":
        return filter_law(p, reward)
    raise ValueError(f"unknown curation rule {rule!r}")


def expected_next_mle(p, truth, alpha: float, rule: str, reward, **options) -> np.ndarray:
    """Return ``E[P_{t+1} | P_t = p] = alpha P* + (1 - alpha) q(p)`` of the categorical MLE."""
    return alpha * np.asarray(truth, float) + (1 - alpha) * curated_law(rule, p, reward, **options)


def fixed_point(
    truth,
    alpha: float,
    rule: str,
    reward,
    *,
    tol: float = 1e-13,
    max_iter: int = 100_000,
    **options,
) -> np.ndarray:
    """Solve ``P = alpha P* + (1 - alpha) q(P)`` by iterating the map from ``P*``.

    Raises
    ------
    ValueError
        If ``alpha`` is not in (0, 1] or the iteration does not settle.
    """
    if not 0 < alpha <= 1:
        raise ValueError(f"alpha must lie in (0, 1] for a fixed point, got {alpha!r}")
    p = np.asarray(truth, float)
    for _ in range(max_iter):
        nxt = expected_next_mle(p, truth, alpha, rule, reward, **options)
        nxt = nxt / nxt.sum()  # the map keeps the simplex; rounding is kept off it
        if np.abs(nxt - p).max() < tol:
            return nxt
        p = nxt
    raise ValueError(f"the map did not settle within {max_iter} iterations")


def reward_target(p0, reward) -> np.ndarray:
    """Return ``p0`` restricted to the maximisers of ``r`` (on its support), renormalised."""
    p0, reward = np.asarray(p0, float), np.asarray(reward, float)
    best = (reward == reward[p0 > 0].max()) & (p0 > 0)
    return np.where(best, p0, 0.0) / p0[best].sum()


def normal_curated_moments(
    mu: float, sigma: float, rule: str, reward, *, k: int = 1, beta: float = 0.0
) -> tuple[float, float]:
    """Return the mean and variance of a point kept from ``N(mu, sigma^2)`` candidates.

    ``reward`` is a function of the point (the filter keeps with probability
    ``exp(reward)``). The normal is discretised over ``mu +- 12 sigma`` (400,001 points;
    8001 for Bradley-Terry) and the discrete laws above are applied to it: the moments
    are exact to about 1e-7 of ``sigma``. Closed forms where they exist: the
    filter with ``reward = -C x^2`` keeps ``N(mu / (1 + 2 C sigma^2), sigma^2 / (1 + 2 C
    sigma^2))``; best-of with a linear reward of positive slope keeps the largest of K
    normals, of mean ``mu + sigma E Z_(K)``.
    """
    # best-of orders the grid by reward: a finer grid keeps its ties' mass (and the jitter
    # of near-ties as mu moves) below 1e-7; the Bradley-Terry choice is smooth in x
    z = np.linspace(-12, 12, 8001 if rule == "bradley-terry" else 400_001)
    x = mu + sigma * z
    p = np.exp(-(z**2) / 2)
    p /= p.sum()
    scores = reward(x)
    law = curated_law(rule, p, np.exp(scores) if rule == "filter" else scores, k=k, beta=beta)
    mean = float(law @ x)
    return mean, float(law @ (x - mean) ** 2)


def gaussian_fixed_point(
    mu_star: float,
    sigma_star: float,
    alpha: float,
    rule: str,
    reward,
    *,
    tol: float = 2e-5,
    max_iter: int = 10_000,
    **options,
) -> tuple[float, float]:
    """Solve the Gaussian MLE's expected map under curation for its fixed ``(mu, sigma^2)``.

    A generation trains on ``alpha`` real points from ``N(mu*, sigma*^2)`` and ``1 - alpha``
    kept points (moments ``m_q, v_q`` of :func:`normal_curated_moments` at the last fit);
    at large ``n`` the MLE is the pooled mean and variance:
    ``mu' = alpha mu* + (1 - alpha) m_q`` and
    ``sigma'^2 = alpha (sigma*^2 + mu*^2) + (1 - alpha) (v_q + m_q^2) - mu'^2``.
    The iteration stops once a step moves both by less than ``tol`` (the moments' grid
    jitters by about 1e-5 under best-of, whose order of the grid changes as ``mu`` moves).
    A linear reward's climb widens the pooled variance, which speeds the climb: that map
    runs away, and is refused.
    """
    if not 0 < alpha <= 1:
        raise ValueError(f"alpha must lie in (0, 1] for a fixed point, got {alpha!r}")
    mu, var = mu_star, sigma_star**2
    for _ in range(max_iter):
        m_q, v_q = normal_curated_moments(mu, np.sqrt(var), rule, reward, **options)
        mu_next = alpha * mu_star + (1 - alpha) * m_q
        var_next = alpha * (sigma_star**2 + mu_star**2) + (1 - alpha) * (v_q + m_q**2) - mu_next**2
        if abs(mu_next - mu) < tol and abs(var_next - var) < tol:
            return mu_next, var_next
        if abs(mu_next - mu_star) > 1e3 * sigma_star or var_next > 1e6 * sigma_star**2:
            raise ValueError(
                f"the map has no fixed point: it runs away (mu {mu_next:.3g}, sigma^2 "
                f"{var_next:.3g}); a linear reward's climb widens the pooled variance, "
                "which speeds the climb"
            )
        mu, var = mu_next, var_next
    raise ValueError(f"the map did not settle within {max_iter} iterations")
