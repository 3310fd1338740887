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

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import xarray as xr

from bayescollapse.metrics.tails import ranks, zipf_exponent
from bayescollapse.metrics.token_row import token_metrics
from bayescollapse.models.categorical.truth import make_truth
from bayescollapse.models.counts import multinomial_counts, subsample_counts
from bayescollapse.models.curation import (
    CURATION_VARIABLES,
    Curation,
    curated_counts,
    token_curation_record,
    token_rewards,
)
from bayescollapse.models.decoding import check_token_decoding
from bayescollapse.models.params import param
from bayescollapse.models.probability_fits import (
    SYNTHETIC_MODES,
    DirichletPosterior,
    PointProbabilities,
    ProbabilityFace,
    SampledPosterior,
    check_theta_sums,
    probability_posterior_row,
)
from bayescollapse.models.registry import register_family, register_method, register_pymc_model
from bayescollapse.models.sampling import (
    NATS,
    SamplerSettings,
    check_num_tokens,
    check_sampler_settings,
    sampler_variables,
)

__all__ = [
    "CategoricalParams",
    "DirichletCategorical",
    "MultinomialWriter",
    "SYNTHETIC_MODES",
    "UNITS",
    "VARIABLES",
]


_RGEN = ("setting", "replicate", "generation")
_RGENTOK = (*_RGEN, "token")

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
    "surviving_tokens": (_RGEN, "tokens of the truth's support seen in the training data"),
    "first_lost_rank": (
        _RGEN,
        "rank by true probability (1 = most probable) of the most probable lost token; "
        "NaN while none is lost",
    ),
    "tail_mass_lost": (
        _RGEN,
        "true mass beyond rank tail_rank minus the fitted mass there (what the tail lost)",
    ),
    "tail_exponent": (
        _RGEN,
        "Zipf exponent of theta_mean: slope of -log theta on log true rank (positive entries)",
    ),
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
    **sampler_variables({"theta": (_RGENTOK, "each token probability")}),
    **CURATION_VARIABLES,
}

#: CF units of the variables that have any other than "1"
UNITS = {name: NATS for name in ("kl_truth_to_model", "kl_model_to_truth", "entropy")} | {
    "kl_posterior_to_prev": NATS
}


@dataclass(frozen=True)
class MultinomialWriter:
    """Writes ``sizes[r]`` tokens per replicate as counts ``Multinomial(sizes[r], probs[r])``."""

    def counts(self, probs: np.ndarray, sizes: np.ndarray, rng: np.random.Generator):
        """Token counts, shape (R, K)."""
        return multinomial_counts(sizes, probs, rng=rng)


WRITER = MultinomialWriter()


@dataclass(frozen=True)
class CategoricalParams:
    """The Dirichlet-categorical model's own parameters (flags and TOML keys derive from them)."""

    num_tokens: int = param(20, "vocabulary size K", flag="tokens", metavar="K")
    prior_concentration: float = param(
        1.0, "symmetric Dirichlet prior a0 per token (> 0)", prior="a0", metavar="A0"
    )
    tail_rank: int = param(
        0,
        "the tail metrics' tail: the tokens of true rank above R (0: half the vocabulary)",
        metavar="R",
    )


@register_family
@dataclass(frozen=True)
class DirichletCategorical(CategoricalParams, SamplerSettings, ProbabilityFace):
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
    tail_rank : int
        ``r`` of the tail metrics: the tail is the tokens of true rank greater than ``r``
        (see :mod:`bayescollapse.metrics.tails`); 0 (the default) takes half the vocabulary.
    """

    params: ClassVar[type] = CategoricalParams
    labels: ClassVar[dict[str, str]] = {
        **ProbabilityFace.labels,
        "sq_l2_to_truth": "E ||P_t - P*||^2",
    }
    curve_variables: ClassVar[tuple[str, ...]] = ("sq_l2_to_truth", "gini_simpson")
    name: ClassVar[str] = "dirichlet-categorical"
    r_hat_variables: ClassVar[tuple[str, ...]] = ("theta_r_hat",)
    units: ClassVar[dict] = UNITS
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
        rank = self.tail_rank
        if not isinstance(rank, int | np.integer) or isinstance(rank, bool) or rank < 0:
            raise ValueError(f"tail_rank {rank!r} is not an integer >= 0 (0: half of K)")
        if rank >= self.num_tokens:
            raise ValueError(
                f"tail_rank {rank} leaves no tail among {self.num_tokens} tokens; "
                f"it must be below num_tokens"
            )
        object.__setattr__(self, "tail_rank", int(rank) or self.num_tokens // 2)
        if not self.prior_concentration > 0:
            raise ValueError(f"prior_concentration must be > 0, got {self.prior_concentration!r}")
        check_sampler_settings(self)

    @property
    def writer(self) -> MultinomialWriter:
        """Writes the family's data (token counts)."""
        return WRITER

    @classmethod
    def expected_curve(cls, ds, setting: str) -> dict[str, np.ndarray] | None:
        """Return the exact expected ``sq_l2_to_truth`` and ``gini_simpson`` of a setting, or None.

        Under ``mixture`` and ``replace``: the MLE (``mle`` and other point estimates) and the
        conjugate posterior (``conjugate``, and ``pymc``, which targets it), by
        :func:`~bayescollapse.theory.closed_forms.categorical_moments`; under ``accumulate``
        the MLE (:func:`~bayescollapse.theory.closed_forms.accumulate_mle_sq_error`).
        """
        from bayescollapse.theory.closed_forms import (
            accumulate_mle_sq_error,
            categorical_moments,
            gini_simpson_of,
        )

        row = ds.sel(setting=setting)
        scheme, truth = str(row["scheme"].values), ds["truth"].values
        a, n = row["real_fraction"].values, row["sample_size"].values
        if scheme == "accumulate":
            if str(row["fit_method"].values) != "mle":
                return None
            d = accumulate_mle_sq_error(truth, a, n)
            return {"sq_l2_to_truth": d, "gini_simpson": gini_simpson_of(truth) - d}
        if scheme not in ("mixture", "replace"):
            return None
        bayesian = bool(row["bayesian"])
        moments = categorical_moments(
            truth,
            a,
            n,
            prior_concentration=float(row["prior_concentration"]) if bayesian else 0.0,
            synthetic=str(row["synthetic"].values) if bayesian else "plugin",
        )
        return {"sq_l2_to_truth": moments["sq_error"], "gini_simpson": moments["gini_simpson"]}

    def make_truth(self, spec) -> np.ndarray:
        """``P*`` from a recipe or values (see :func:`~.truth.make_truth`)."""
        return make_truth(spec, self.num_tokens)

    def truth_variables(self, truth: np.ndarray) -> tuple[dict, dict]:
        """Return the data variables and coords that record the truth in the results."""
        data = {
            "truth": (("token",), truth, {"description": "the true distribution P*"}),
            "truth_tail_exponent": (
                (),
                float(zipf_exponent(truth, ranks(truth))),
                {"description": "Zipf exponent of P* fitted as tail_exponent is"},
            ),
        }
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

    @staticmethod
    def real_pool(truth: np.ndarray, sizes: np.ndarray, *, rng) -> tuple:
        """Draw a fixed real pool (generation 0's real data): the pool and the data, one array."""
        data = multinomial_counts(sizes, truth, rng=rng)
        return data, data

    @staticmethod
    def resample(pool: np.ndarray, sizes: np.ndarray, *, rng) -> np.ndarray:
        """``sizes[r]`` items drawn with replacement from the pool (its empirical law)."""
        return multinomial_counts(sizes, pool / pool.sum(axis=-1, keepdims=True), rng=rng)

    @staticmethod
    def weigh(data: np.ndarray, weight: float) -> np.ndarray:
        """Return the counts with every item counting ``weight`` (fractional counts)."""
        return data if weight == 1 else data * float(weight)

    def record(
        self, fit, data, truth, previous_fit, summarise_posterior: bool, *, rng=None
    ) -> dict:
        """One generation's row of results: every variable's value per replicate.

        ``rng`` (the cell's metric stream) randomises the PIT of sampled posteriors.
        """
        row = {
            "theta_mean": fit.mean,
            "train_count": data.data,
            "real_count": data.real,
            **token_metrics(fit.mean, truth, data.data, tail_rank=self.tail_rank),
        }
        if fit.bayesian:
            row["theta_sd"] = np.sqrt(fit.var)
        if fit.bayesian and summarise_posterior:
            row.update(
                probability_posterior_row(
                    fit, truth, previous_fit, levels=self.coverage_levels, axis=-1, rng=rng
                )
            )
        row.update(fit.diagnostics)
        return row

    @staticmethod
    def data_to_dataset(counts: np.ndarray) -> xr.Dataset:
        """Return a data set as an ArviZ-style group (observed_data, posterior_predictive)."""
        return xr.Dataset({"counts": (("replicate", "token"), np.asarray(counts))})

    def predictive_dataset(self, posterior, observed, *, rng) -> xr.Dataset:
        """Draw posterior predictive counts, one training set per posterior draw.

        Each is ``Multinomial(n_r, theta)``, ``n_r`` the observed size of replicate ``r``.
        """
        theta = posterior["theta"].transpose("chain", "draw", "replicate", "token")
        sizes = observed["counts"].sum("token").values
        counts = rng.multinomial(np.broadcast_to(sizes, theta.shape[:-1]), theta.values)
        return xr.Dataset({"counts": (theta.dims, counts)})

    @staticmethod
    def validate(ds) -> None:
        """Family-specific checks of a results dataset: every fitted law sums to 1."""
        check_theta_sums(ds)

    def check_setting(self, setting) -> None:
        """Every scheme, method and real pool runs here; decoding is by token law."""
        check_token_decoding(setting, self.name)

    def curation_of(self, setting, truth):
        """Return the setting's curation, its reward per token (default ``rank``)."""
        curation = Curation.parse(setting.curation)
        if curation.plain:
            return curation
        curation = curation.resolved(token_rewards(setting.reward or "rank", truth))
        if curation.rule == "filter" and not truth @ curation.values > 0:
            raise ValueError(
                f"curation 'filter' with reward {setting.reward!r} accepts no token the truth "
                "puts mass on: it would never keep a candidate"
            )
        return curation

    @staticmethod
    def truth_reward(curation, truth) -> float:
        """Return ``E_{P*} r``."""
        return float(truth @ curation.values)

    @staticmethod
    def curate(fit, sizes, curation, *, mode, rng, decoding) -> tuple:
        """Keep the curated tokens among iid candidates (see ``curated_counts``)."""

        def write(m):
            return fit.synthetic(m, mode=mode, rng=rng, decoding=decoding)

        return curated_counts(write, sizes, curation, rng)

    @staticmethod
    def curation_record(fit, curation, data, truth) -> dict:
        """Return the expected reward, mass on its maximisers, distance to the target."""
        return token_curation_record(fit, curation, data, truth)

    def initial_prior(self, replicates: int) -> np.ndarray:
        """Return the prior concentration for every replicate, shape (R, K)."""
        return np.full((replicates, self.num_tokens), float(self.prior_concentration))

    # -- what PyMC models of the family read and give (see protocols.PyMCFamily) --
    pymc_variables: ClassVar[tuple[str, ...]] = ("theta",)
    pymc_data_names: ClassVar[tuple[str, ...]] = ("counts", "prior")
    pymc_prior_data: ClassVar[tuple[str, ...]] = ("prior",)

    def model_key(self) -> tuple:
        """Return what a built model depends on: the vocabulary size and the Gamma form.

        Concentrations below 1 need the boosted Gamma form (see ``categorical.pymc_models``).
        """
        return (self.num_tokens, self.prior_concentration < 1)

    def pymc_coords(self, replicates: int) -> dict[str, np.ndarray]:
        """Coords ``replicate`` and ``token`` of a block's model."""
        return {"replicate": np.arange(replicates), "token": np.arange(self.num_tokens)}

    @staticmethod
    def pymc_data(data, prior) -> dict[str, np.ndarray]:
        """Return the data: ``counts`` (R, K), fractional when weighted, and ``prior`` (R, K)."""
        return {"counts": np.asarray(data, float), "prior": np.asarray(prior, float)}

    def sampled_posterior(self, tree, *, prior, data, diagnostics) -> SampledPosterior:
        """Wrap a sampler's draws of ``theta`` as a posterior fit."""
        return SampledPosterior(
            tree, WRITER, self.hdi_prob, prior, np.asarray(data), diagnostics=diagnostics
        )


@dataclass(frozen=True)
class MLEFitter:
    """Token frequencies ``c / n``."""

    def fit(self, counts: np.ndarray, *, prior, rng) -> PointProbabilities:
        """Return the MLE of each replicate's probabilities."""
        return PointProbabilities(counts / counts.sum(axis=-1, keepdims=True), WRITER)


@dataclass(frozen=True)
class ConjugateFitter:
    """The exact posterior ``Dirichlet(prior + counts)``."""

    hdi_prob: float

    def fit(self, counts: np.ndarray, *, prior, rng) -> DirichletPosterior:
        """Return the exact posterior of each replicate."""
        return DirichletPosterior(prior + counts, WRITER, hdi_prob=self.hdi_prob, prior=prior)


register_method(
    DirichletCategorical.name,
    "mle",
    lambda family, replicates: MLEFitter(),
    bayesian=False,
    description="token frequencies (maximum likelihood)",
)
register_method(
    DirichletCategorical.name,
    "conjugate",
    lambda family, replicates: ConjugateFitter(family.hdi_prob),
    bayesian=True,
    description="the exact Dirichlet posterior",
)
register_pymc_model(
    DirichletCategorical.name,
    "pymc",
    "bayescollapse.models.categorical.pymc_models:build_model",
    carry=True,
    description="the Dirichlet model in PyMC (Gamma-Poisson form), NUTS via nutpie",
)
