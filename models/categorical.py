"""Dirichlet-categorical next-token model: the family and its MLE and conjugate fits.

Analytic facts (checked by the tests):

- MLE: ``theta_hat = c / n`` (token frequencies).
- Conjugate posterior: ``Dirichlet(a + c)`` for prior ``Dirichlet(a)`` and counts ``c``;
  mean ``(a + c) / A``, marginal ``theta_k ~ Beta(a_k + c_k, A - a_k - c_k)`` with
  ``A = sum(a + c)``, variance ``m_k (1 - m_k) / (A + 1)``.
- Posterior predictive of one token: ``Categorical(posterior mean)``. Hence n tokens
  drawn with a fresh parameter draw each (mode ``predictive``) are
  ``Multinomial(n, posterior mean)``, the same law as mode ``plugin``; mode
  ``ancestral`` (one parameter draw for the whole set) gives
  ``DirichletMultinomial(n, a + c)``, which is overdispersed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from bayescollapse.counts import multinomial_counts
from bayescollapse.metrics import beta_hdi

__all__ = ["DirichletCategorical", "PointFit", "DirichletPosterior", "SYNTHETIC_MODES", "METHODS"]

SYNTHETIC_MODES = ("ancestral", "predictive", "plugin")
METHODS = ("mle", "conjugate", "pymc")


def _check_mode(mode: str) -> None:
    if mode not in SYNTHETIC_MODES:
        raise ValueError(f"synthetic mode {mode!r} is not one of {', '.join(SYNTHETIC_MODES)}")


@dataclass(frozen=True)
class PointFit:
    """A point estimate (the MLE): token probabilities per replicate, shape (R, K)."""

    probs: np.ndarray
    bayesian: ClassVar[bool] = False

    @property
    def mean(self) -> np.ndarray:
        """The fitted probabilities."""
        return self.probs

    def synthetic_counts(
        self, sizes: np.ndarray, *, mode: str, rng: np.random.Generator
    ) -> np.ndarray:
        """Draw ``sizes[r]`` tokens from the fitted model (every mode is plug-in here)."""
        _check_mode(mode)
        return multinomial_counts(sizes, self.probs, rng=rng)


@dataclass(frozen=True)
class DirichletPosterior:
    """Exact posterior ``Dirichlet(concentration)`` per replicate, shape (R, K)."""

    concentration: np.ndarray
    hdi_prob: float = 0.94
    bayesian: ClassVar[bool] = True
    diagnostics: dict = field(default_factory=dict)

    @property
    def mean(self) -> np.ndarray:
        """Posterior mean ``a / sum(a)``."""
        return self.concentration / self.concentration.sum(axis=-1, keepdims=True)

    @property
    def sd(self) -> np.ndarray:
        """Marginal posterior standard deviations."""
        m = self.mean
        return np.sqrt(m * (1 - m) / (self.concentration.sum(axis=-1, keepdims=True) + 1))

    @property
    def dirichlet(self) -> np.ndarray:
        """The Dirichlet concentration (exact here)."""
        return self.concentration

    @property
    def carried_prior(self) -> np.ndarray:
        """The prior the next generation uses under ``prior_update='carry'``."""
        return self.concentration

    def hdi(self) -> tuple[np.ndarray, np.ndarray]:
        """Exact marginal HDIs at ``hdi_prob`` from the Beta marginals."""
        a = self.concentration
        return beta_hdi(a, a.sum(axis=-1, keepdims=True) - a, self.hdi_prob)

    def synthetic_counts(
        self, sizes: np.ndarray, *, mode: str, rng: np.random.Generator
    ) -> np.ndarray:
        """Draw ``sizes[r]`` synthetic tokens per replicate from the posterior predictive."""
        _check_mode(mode)
        if mode == "ancestral":
            g = rng.standard_gamma(self.concentration)
            return multinomial_counts(sizes, g / g.sum(axis=-1, keepdims=True), rng=rng)
        return multinomial_counts(sizes, self.mean, rng=rng)  # predictive == plugin in law


@dataclass(frozen=True)
class DirichletCategorical:
    """Unigram next-token model over ``num_tokens`` tokens with a Dirichlet prior.

    Parameters
    ----------
    num_tokens : int
        Vocabulary size K.
    prior_concentration : float
        Symmetric Dirichlet prior ``a0`` per token (> 0).
    draws, tune, chains : int
        NUTS settings of the ``pymc`` path (draws and tuning steps per chain).
    target_accept : float
        NUTS target acceptance rate of the ``pymc`` path.
    hdi_prob : float
        Probability of the marginal HDIs reported for Bayesian paths.
    """

    num_tokens: int
    prior_concentration: float = 1.0
    draws: int = 500
    tune: int = 500
    chains: int = 2
    target_accept: float = 0.8
    hdi_prob: float = 0.94
    name: ClassVar[str] = "dirichlet-categorical"

    def __post_init__(self) -> None:
        if not (isinstance(self.num_tokens, int | np.integer) and self.num_tokens >= 2):
            raise ValueError(f"num_tokens must be an integer >= 2, got {self.num_tokens!r}")
        if not self.prior_concentration > 0:
            raise ValueError(f"prior_concentration must be > 0, got {self.prior_concentration!r}")
        for name in ("draws", "tune"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        if self.chains < 2:
            raise ValueError(f"chains must be >= 2 (R-hat needs two), got {self.chains!r}")
        if not 0 < self.target_accept < 1:
            raise ValueError(f"target_accept must lie in (0, 1), got {self.target_accept!r}")
        if not 0 < self.hdi_prob < 1:
            raise ValueError(f"hdi_prob must lie in (0, 1), got {self.hdi_prob!r}")

    def initial_prior(self, replicates: int) -> np.ndarray:
        """Return the prior concentration for every replicate, shape (R, K)."""
        return np.full((replicates, self.num_tokens), float(self.prior_concentration))

    def fitter(self, method: str, replicates: int):
        """Return a fitter for ``method``, set up once for blocks of ``replicates``.

        The ``pymc`` fitter compiles its model here, once, and refits it with new data
        every generation.
        """
        if method == "mle":
            return _MLEFitter()
        if method == "conjugate":
            return _ConjugateFitter(self.hdi_prob)
        if method == "pymc":
            from bayescollapse.models.categorical_pymc import PyMCDirichletFitter

            return PyMCDirichletFitter(self, replicates)
        raise ValueError(f"method {method!r} is not one of {', '.join(METHODS)}")


class _MLEFitter:
    def fit(self, counts: np.ndarray, *, prior: np.ndarray, rng: np.random.Generator) -> PointFit:
        totals = counts.sum(axis=-1, keepdims=True)
        return PointFit(counts / totals)


@dataclass(frozen=True)
class _ConjugateFitter:
    hdi_prob: float

    def fit(
        self, counts: np.ndarray, *, prior: np.ndarray, rng: np.random.Generator
    ) -> DirichletPosterior:
        return DirichletPosterior(prior + counts, hdi_prob=self.hdi_prob)
