"""Absorption times of the replace loop: the MLE loop is a neutral Wright-Fisher population.

Under ``scheme='replace'`` with no real data, the MLE fit of generation t is the token
frequencies of ``n`` draws from the fit of generation t - 1: the counts are a neutral
Wright-Fisher population of ``n`` with ``K`` types. Tokens are lost one by one until one
is left (fixation). Two times, counted in generations from generation 0 (the fit to the
real sample, whose counts are ``Multinomial(n, P*)``):

- the loss of the first token (any of them): the diffusion mean from frequencies ``p`` is
  Littler's (1975) ``2n sum_{S nonempty} (-1)^|S| p_S log p_S``, ``p_S = sum_{i in S} p_i``
  (:func:`first_loss_diffusion`, computed through an integral without cancellation);
- fixation: the diffusion mean ``-2n sum_i (1 - p_i) log(1 - p_i)``
  (:func:`fixation_diffusion`).

Both are diffusion approximations. :func:`absorption_law` gives the exact law of both
times for small ``n`` and ``K``, from the chain's transition matrix, which the report's
study 4 holds simulation to.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations

import numpy as np

__all__ = ["AbsorptionLaw", "absorption_law", "first_loss_diffusion", "fixation_diffusion"]

MAX_STATES = 6000


def fixation_diffusion(p, n: int) -> float:
    """Diffusion mean of the generations until one token is left, from frequencies ``p``.

    Examples
    --------
    >>> round(fixation_diffusion([0.5, 0.5], 100), 4)  # 2n log 2
    138.6294
    """
    p = np.asarray(p, float)
    p = p[p > 0]
    return float(-2 * n * np.sum((1 - p) * np.log1p(-p))) if p.size > 1 else 0.0


def first_loss_diffusion(p, n: int) -> float:
    """Littler's diffusion mean of the generations until the first token is lost.

    The alternating sum over subsets equals ``2n int_0^inf (1/s) d/ds prod_i (1 - e^(-p_i s)) ds``
    (write ``log x`` as Frullani's integral), which is computed here.

    Examples
    --------
    >>> p = np.array([0.3, 0.7])  # two tokens: the first loss is fixation
    >>> bool(np.isclose(first_loss_diffusion(p, 50), fixation_diffusion(p, 50)))
    True
    >>> p = np.array([0.2, 0.3, 0.5])  # against the subset sum, pinned by hand
    >>> subsets = sum((-1) ** len(s) * sum(s) * np.log(sum(s))
    ...               for r in (1, 2) for s in combinations(p, r))
    >>> bool(np.isclose(first_loss_diffusion(p, 50), 100 * subsets))
    True
    """
    from scipy.integrate import quad

    p = np.asarray(p, float)
    if p.size < 2 or np.any(p <= 0):
        return 0.0

    def integrand(s: float) -> float:
        # prod (1 - e^-ps) and its log-derivative sum p / (e^ps - 1), over s
        log_prod = np.sum(np.log(-np.expm1(-p * s)))
        with np.errstate(over="ignore"):  # far out, p / (e^ps - 1) is 0
            return float(np.exp(log_prod) * np.sum(p / np.expm1(p * s)) / s)

    scale = 1 / p.min()
    head, _ = quad(integrand, 0, scale, limit=200)
    tail, _ = quad(integrand, scale, np.inf, limit=200)
    return 2 * n * (head + tail)


@dataclass(frozen=True)
class AbsorptionLaw:
    """Exact survival functions of the two times, at generations 0..``horizon``.

    ``first_loss[t] = P(T_loss > t)``: all ``K`` tokens still present at generation t;
    ``fixation[t] = P(T_fix > t)``: more than one token present.
    """

    first_loss: np.ndarray
    fixation: np.ndarray

    @staticmethod
    def conditional_mean(survival: np.ndarray) -> tuple[float, float]:
        """``E[T | T <= horizon]`` and ``P(T <= horizon)`` from a survival function.

        Examples
        --------
        >>> AbsorptionLaw.conditional_mean(np.array([0.5, 0.25, 0.0]))  # 0, 1, 2 w.p. 1/2, 1/4, 1/4
        (0.75, 1.0)
        """
        mass = -np.diff(np.concatenate([[1.0], survival]))  # P(T = t), t = 0..horizon
        reached = float(mass.sum())
        return float(np.arange(mass.size) @ mass / reached), reached


def _states(n: int, k: int) -> np.ndarray:
    """Every composition of ``n`` into ``k`` non-negative parts, shape (S, k)."""
    bars = np.array(list(combinations(range(n + k - 1), k - 1))).reshape(-1, k - 1)
    edges = np.hstack([np.full((len(bars), 1), -1), bars, np.full((len(bars), 1), n + k - 1)])
    return np.diff(edges, axis=1) - 1


def _log_multinomial(states: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """``log Multinomial(states[j]; n, probs[i])``, shape (len(probs), len(states))."""
    from scipy.special import gammaln

    n = int(states[0].sum())
    with np.errstate(divide="ignore"):
        log_p = np.log(probs)
    log_p = np.where(np.isfinite(log_p), log_p, -1e12)  # 0 log 0 = 0; c log 0 = -inf
    coefficient = gammaln(n + 1) - gammaln(states + 1).sum(axis=1)
    return log_p @ states.T.astype(float) + coefficient


def absorption_law(n: int, truth, horizon: int) -> AbsorptionLaw:
    """Return the exact law of the first-loss and fixation times of the MLE replace loop.

    Generation 0's counts are ``Multinomial(n, truth)``; each later generation's are
    ``Multinomial(n, counts / n)`` of the last.

    Raises
    ------
    ValueError
        If the chain has more than ``MAX_STATES`` states (``C(n + K - 1, K - 1)``).

    Examples
    --------
    >>> law = absorption_law(2, [0.5, 0.5], 3)  # fixed at 0 w.p. 1/2, then 1/2 per step
    >>> law.first_loss.tolist()
    [0.5, 0.25, 0.125, 0.0625]
    """
    from math import comb

    truth = np.asarray(truth, float)
    k = truth.size
    if comb(n + k - 1, k - 1) > MAX_STATES:
        raise ValueError(
            f"the Wright-Fisher chain of n = {n}, K = {k} has {comb(n + k - 1, k - 1)} states; "
            f"at most {MAX_STATES} are solved exactly (use the diffusion means)"
        )
    states = _states(n, k)
    step = np.exp(_log_multinomial(states, states / n))  # (from, to)
    start = np.exp(_log_multinomial(states, truth[None]))[0]
    present = (states > 0).sum(axis=1)
    survival = {}
    for name, alive in (("first_loss", present == k), ("fixation", present > 1)):
        inner = step[np.ix_(alive, alive)]
        mass = start[alive]
        out = [mass.sum()]
        for _ in range(horizon):
            mass = mass @ inner
            out.append(mass.sum())
        survival[name] = np.array(out)
    return AbsorptionLaw(**survival)
