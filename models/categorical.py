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
import xarray as xr
from scipy.special import betainc, betaincinv

from bayescollapse.counts import multinomial_counts, subsample_counts
from bayescollapse.metrics import (
    beta_hdi,
    covered_share,
    distance_metrics,
    interior_pit,
    posterior_metrics,
)
from bayescollapse.models.sampling import (
    SamplerSettings,
    check_num_tokens,
    check_sampler_settings,
)
from bayescollapse.truth import make_truth

__all__ = [
    "DirichletCategorical",
    "DirichletPosterior",
    "METHODS",
    "PointFit",
    "SYNTHETIC_MODES",
    "VARIABLES",
]

SYNTHETIC_MODES = ("ancestral", "predictive", "plugin")
METHODS = ("mle", "conjugate", "pymc")

_RGEN = ("setting", "replicate", "generation")
_RGENTOK = (*_RGEN, "token")
#: a variable with one value per sampler run: every replicate of a block shares the run
BLOCK_DIMS = ("setting", "block", "generation")

#: name -> (dims, description). Variables a method does not produce are NaN for it.
VARIABLES: dict[str, tuple[tuple[str, ...], str]] = {
    "theta_mean": (_RGENTOK, "fitted token probabilities: MLE frequencies or posterior mean"),
    "theta_sd": (_RGENTOK, "posterior standard deviation of each token probability"),
    "train_count": (_RGENTOK, "training counts of the generation"),
    "real_count": (_RGEN, "fresh real samples in the generation's newest batch"),
    "tv_to_truth": (_RGEN, "total variation distance of theta_mean to the truth"),
    "kl_truth_to_model": (_RGEN, "KL(P* || theta_mean) in nats; inf once a true token is lost"),
    "kl_model_to_truth": (_RGEN, "KL(theta_mean || P*) in nats"),
    "hellinger_to_truth": (_RGEN, "Hellinger distance of theta_mean to the truth"),
    "sq_l2_to_truth": (_RGEN, "squared L2 distance ||theta_mean - P*||^2"),
    "entropy": (_RGEN, "Shannon entropy of theta_mean in nats"),
    "gini_simpson": (_RGEN, "1 - sum theta_mean^2 (the paper's H)"),
    "lost_tokens": (_RGEN, "tokens with zero training count in the generation"),
    "lost_mass": (_RGEN, "true probability mass of the lost tokens"),
    "hdi_width_mean": (_RGEN, "mean width over tokens of the marginal HDIs"),
    "hdi_coverage": (
        _RGEN,
        "fraction of the tokens with true probability in (0, 1) whose HDI covers it "
        "(a true 0 sits on the boundary of the posterior's support and is left out)",
    ),
    "kl_posterior_to_prev": (_RGEN, "KL(posterior_t || posterior_t-1); Dirichlet closed form"),
    "contraction": (_RGEN, "1 - mean over tokens of posterior variance / prior variance"),
    "theta_hdi_lower": (_RGENTOK, "lower end of each token probability's HDI"),
    "theta_hdi_upper": (_RGENTOK, "upper end of each token probability's HDI"),
    "central_coverage": (
        (*_RGEN, "level"),
        "fraction of the tokens with true probability in (0, 1) that the central credible "
        "interval covers",
    ),
    "pit": (
        _RGENTOK,
        "posterior CDF at the true probability (exact, or the randomised rank among the "
        "draws); NaN for a true probability of 0",
    ),
    "theta_ess_bulk": (_RGENTOK, "bulk ESS of each token probability (pymc)"),
    "theta_ess_tail": (_RGENTOK, "tail ESS of each token probability (pymc)"),
    "theta_r_hat": (_RGENTOK, "R-hat of each token probability (pymc)"),
    "theta_mcse_mean": (_RGENTOK, "Monte Carlo SE of each posterior mean (pymc)"),
    "r_hat_max": (_RGEN, "largest R-hat over tokens (pymc)"),
    "ess_bulk_min": (_RGEN, "smallest bulk ESS over tokens (pymc)"),
    "ess_tail_min": (_RGEN, "smallest tail ESS over tokens (pymc)"),
    "divergences": (
        BLOCK_DIMS,
        "divergent transitions of the sampler run that fitted the replicate block (pymc)",
    ),
}


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

    def synthetic(self, sizes: np.ndarray, *, mode: str, rng: np.random.Generator) -> np.ndarray:
        """Draw ``sizes[r]`` tokens from the fitted model (every mode is plug-in here)."""
        _check_mode(mode)
        return multinomial_counts(sizes, self.probs, rng=rng)


@dataclass(frozen=True)
class DirichletPosterior:
    """Exact posterior ``Dirichlet(concentration)`` per replicate, shape (R, K)."""

    concentration: np.ndarray
    hdi_prob: float = 0.94
    prior: np.ndarray | None = None
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

    def _beta(self) -> tuple[np.ndarray, np.ndarray]:
        a = self.concentration
        return a, a.sum(axis=-1, keepdims=True) - a

    def central_intervals(self, levels) -> tuple[np.ndarray, np.ndarray]:
        """Exact central credible intervals, shape (level, R, K), from the Beta marginals."""
        a, b = self._beta()
        q = np.asarray(levels, float)[:, None, None]
        return betaincinv(a, b, (1 - q) / 2), betaincinv(a, b, (1 + q) / 2)

    def cdf(self, values: np.ndarray, *, rng=None) -> np.ndarray:
        """Marginal posterior CDF at ``values`` (K,): the PIT of the truth, shape (R, K).

        Exact, so ``rng`` is not used.
        """
        a, b = self._beta()
        return betainc(a, b, values)

    def posterior_draws(self, size: int, *, rng: np.random.Generator) -> np.ndarray:
        """Exact posterior draws of theta, shape (size, R, K)."""
        g = rng.standard_gamma(
            np.broadcast_to(self.concentration, (size, *self.concentration.shape))
        )
        return g / g.sum(axis=-1, keepdims=True)

    def posterior_groups(self, *, draws: int, chains: int, rng) -> dict:
        """ArviZ ``posterior`` group for storage: exact draws in (chain, draw) layout."""
        theta = self.posterior_draws(draws * chains, rng=rng).reshape(
            chains, draws, *self.concentration.shape
        )
        return {
            "posterior": xr.Dataset({"theta": (("chain", "draw", "replicate", "token"), theta)})
        }

    def synthetic(self, sizes: np.ndarray, *, mode: str, rng: np.random.Generator) -> np.ndarray:
        """Draw ``sizes[r]`` synthetic tokens per replicate from the posterior predictive."""
        _check_mode(mode)
        if mode == "ancestral":
            g = rng.standard_gamma(self.concentration)
            return multinomial_counts(sizes, g / g.sum(axis=-1, keepdims=True), rng=rng)
        return multinomial_counts(sizes, self.mean, rng=rng)  # predictive == plugin in law


@dataclass(frozen=True)
class DirichletCategorical(SamplerSettings):
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
    name: ClassVar[str] = "dirichlet-categorical"
    prior_fields: ClassVar[tuple[str, ...]] = ("prior_concentration",)
    r_hat_variables: ClassVar[tuple[str, ...]] = ("theta_r_hat",)
    methods: ClassVar[tuple[str, ...]] = METHODS
    default_truth: ClassVar[str] = "zipf:1"
    variables: ClassVar[dict] = VARIABLES
    plot_metric: ClassVar[str] = "sq_l2_to_truth"
    coverage_metric: ClassVar[str] = "hdi_coverage"
    #: (column title, variable) of the summary table; the CLI prints their means
    summary_columns: ClassVar[tuple[tuple[str, str], ...]] = (
        ("TV to P*", "tv_to_truth"),
        ("||P-P*||^2", "sq_l2_to_truth"),
        ("KL(P*||P)", "kl_truth_to_model"),
        ("lost tokens", "lost_tokens"),
        ("P* in HDI", "hdi_coverage"),
    )

    def __post_init__(self) -> None:
        check_num_tokens(self.num_tokens)
        if not self.prior_concentration > 0:
            raise ValueError(f"prior_concentration must be > 0, got {self.prior_concentration!r}")
        check_sampler_settings(self)

    def make_truth(self, spec) -> np.ndarray:
        """``P*`` from a recipe or values (see :func:`bayescollapse.truth.make_truth`)."""
        return make_truth(spec, self.num_tokens)

    def truth_variables(self, truth: np.ndarray) -> tuple[dict, dict]:
        """Return the data variables and coords that record the truth in the results."""
        data = {"truth": (("token",), truth, {"description": "the true distribution P*"})}
        return data, {"token": np.arange(self.num_tokens), "level": list(self.coverage_levels)}

    @property
    def dim_sizes(self) -> dict[str, int]:
        """Sizes of the family's inner dims."""
        return {"token": self.num_tokens, "level": len(self.coverage_levels)}

    def sample_truth(self, truth: np.ndarray, sizes: np.ndarray, *, rng) -> np.ndarray:
        """Draw the counts of ``sizes[r]`` fresh samples from ``P*`` per replicate."""
        return multinomial_counts(sizes, truth, rng=rng)

    @staticmethod
    def combine(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Return the union of two count data sets."""
        return a + b

    @staticmethod
    def subsample(pool: np.ndarray, sizes: np.ndarray, *, rng) -> np.ndarray:
        """``sizes[r]`` items drawn without replacement from the pool."""
        return subsample_counts(pool, sizes, rng=rng)

    def record(
        self, fit, data, truth, previous_fit, summarise_posterior: bool, *, rng=None
    ) -> dict:
        """One generation's row of results: every variable's value per replicate.

        ``rng`` (the cell's metric stream) randomises the PIT of sampled posteriors.
        """
        point = fit.mean
        row = {
            "theta_mean": point,
            "train_count": data.data.astype(float),
            "real_count": data.real.astype(float),
            **distance_metrics(point, truth, data.data),
        }
        if fit.bayesian:
            row["theta_sd"] = fit.sd
        if fit.bayesian and summarise_posterior:
            lower, upper = fit.hdi()
            previous = previous_fit.dirichlet if previous_fit is not None else None
            row.update(posterior_metrics(lower, upper, truth, fit.dirichlet, previous))
            row.update(self._calibration(fit, truth, lower, upper, rng))
        row.update(getattr(fit, "diagnostics", {}))
        return row

    def _calibration(self, fit, truth, lower, upper, rng) -> dict:
        """HDI bounds, central-interval coverage per level, PIT of the truth, contraction.

        Truths on the boundary (probability 0) are left out of coverage and PIT alike for
        every path (see :func:`bayescollapse.metrics.covered_share`).
        """
        lo, hi = fit.central_intervals(self.coverage_levels)
        prior = fit.prior
        m0 = prior / prior.sum(axis=-1, keepdims=True)
        prior_var = m0 * (1 - m0) / (prior.sum(axis=-1, keepdims=True) + 1)
        return {
            "theta_hdi_lower": lower,
            "theta_hdi_upper": upper,
            "central_coverage": covered_share(lo, hi, truth, axis=-1).T,  # (R, level)
            "pit": interior_pit(fit.cdf(truth, rng=rng), truth),
            "contraction": 1 - np.mean(fit.sd**2 / prior_var, axis=-1),
        }

    @staticmethod
    def data_to_dataset(counts: np.ndarray) -> xr.Dataset:
        """Return a data set as an ArviZ-style group (observed_data, posterior_predictive)."""
        return xr.Dataset({"counts": (("replicate", "token"), np.asarray(counts))})

    @staticmethod
    def validate(ds) -> None:
        """Family-specific checks of a results dataset."""
        if not np.allclose(ds["theta_mean"].sum("token"), 1.0, atol=1e-8):
            raise ValueError("theta_mean does not sum to 1 over tokens")

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
        return DirichletPosterior(prior + counts, hdi_prob=self.hdi_prob, prior=prior)
