"""Next-token language model with context: an order-k Markov (n-gram) family.

Training data at generation t are ``n_t`` sequences of ``L`` tokens, each from the truth
with probability ``alpha_t`` and otherwise written by the previous model; the fit sees
only the transition counts ``(context, next token)``, so rarely visited contexts get few
counts. The sample size of a setting counts sequences. Analytic facts (tested):

- ``mle``: row frequencies; a context never seen gets the row named by ``unseen``
  (``uniform``, or ``marginal``: the training set's token frequencies).
- ``conjugate``: an independent ``Dirichlet(a0)`` per row, posterior ``Dirichlet(a0 + c_row)``.
- ``pymc``: the same model in PyMC (the categorical Gamma-Poisson form, one row per
  (replicate, context)), compiled once.
- ``pymc-hierarchical``: rows share a learned base: ``theta_c ~ Dirichlet(kappa m)``,
  ``m ~ Dirichlet(1)``, ``log kappa ~ N(log V, 1.5)``; not conjugate: NUTS samples
  ``(m, kappa)`` with the rows integrated out, and each draw's rows come from their exact
  conditional ``Dirichlet(kappa m + c_row)`` (see ``markov.pymc_models``).
- Synthetic sequences: ``ancestral`` draws one whole transition array from the posterior;
  ``plugin`` and ``predictive`` use the posterior mean (a fresh parameter draw per token
  has the posterior mean's law, as in the categorical model).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import ClassVar

import numpy as np
import xarray as xr

from bayescollapse.metrics import markov_distances
from bayescollapse.models.curation import Curation
from bayescollapse.models.decoding import check_token_decoding
from bayescollapse.models.markov.chain import make_markov_truth, sequence_counts, stationary
from bayescollapse.models.markov.curation import (
    CuratingSequenceWriter,
    sequence_curation_record,
    transition_rewards,
)
from bayescollapse.models.params import param
from bayescollapse.models.probability_fits import (
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

__all__ = ["MarkovLM", "SequenceWriter", "UNITS", "VARIABLES"]

UNSEEN = ("uniform", "marginal")
#: the longest training sequence (writing one costs a step per token and context)
MAX_SEQUENCE_LENGTH = 1_000_000

_RGEN = ("setting", "replicate", "generation")
_ROWS = (*_RGEN, "context", "token")

VARIABLES: dict[str, tuple[tuple[str, ...], str]] = {
    "theta_mean": (_ROWS, "fitted transition probabilities P_t(token | context)"),
    "train_count": (_ROWS, "transition counts of the generation's training sequences"),
    "real_count": (_RGEN, "fresh real sequences in the generation's newest batch"),
    "kl_rate": (_RGEN, "sum_c pi*(c) KL(P*(.|c) || P_t(.|c)) in nats"),
    "kl_rate_reverse": (_RGEN, "sum_c pi*(c) KL(P_t(.|c) || P*(.|c)) in nats"),
    "tv_rate": (_RGEN, "sum_c pi*(c) TV(P*(.|c), P_t(.|c))"),
    "unigram_tv": (_RGEN, "TV between the stationary token marginals of model and truth"),
    "entropy_rate": (_RGEN, "entropy rate of the model in nats (its own stationary law)"),
    "contexts_lost": (_RGEN, "contexts with no training transition"),
    "transitions_lost": (_RGEN, "true transitions (P* > 0) with zero training count"),
    "hdi_width_mean": (_RGEN, "mean width of the transition probabilities' HDIs"),
    "hdi_coverage": (
        _RGEN,
        "share of the true transition probabilities in (0, 1) inside their HDIs (a true 0 "
        "sits on the boundary of the posterior's support and is left out)",
    ),
    "kl_posterior_to_prev": (_RGEN, "sum over contexts of KL(posterior_t || posterior_t-1)"),
    "theta_hdi_lower": (_ROWS, "lower end of each transition probability's HDI"),
    "theta_hdi_upper": (_ROWS, "upper end of each transition probability's HDI"),
    "central_coverage": (
        (*_RGEN, "level"),
        "share of true transition probabilities inside their central credible intervals",
    ),
    "pit": (
        _ROWS,
        "posterior CDF at the true transition probability (exact, or the randomised rank "
        "among the draws); NaN for a true probability of 0 or 1",
    ),
    "contraction": (_RGEN, "1 - mean posterior variance / prior variance of the rows"),
    **sampler_variables({"theta": (_ROWS, "each transition probability")}),
    "reward_mean": (_RGEN, "a sequence's expected reward under the fitted chain (curated)"),
    "reward_max_share": (
        _RGEN,
        "stationary chance that the fitted chain's next token is one of its context's best",
    ),
    "acceptance_rate": (
        _RGEN,
        "accepted candidates over candidates drawn for the generation's data (filter)",
    ),
}


UNITS = {
    name: NATS for name in ("kl_rate", "kl_rate_reverse", "entropy_rate", "kl_posterior_to_prev")
}


@dataclass(frozen=True)
class SequenceWriter:
    """Writes whole sequences from transition rows; returns their transition counts.

    ``sizes[r]`` sequences of ``length`` tokens per replicate; counts of shape (R, C, V).
    """

    order: int
    length: int

    def counts(self, probs, sizes, rng):
        """Transition counts of freshly written sequences."""
        return sequence_counts(probs, sizes, order=self.order, length=self.length, rng=rng)


@dataclass(frozen=True)
class MarkovParams:
    """The Markov model's own parameters (flags and TOML keys derive from them)."""

    num_tokens: int = param(20, "vocabulary size V", flag="tokens", metavar="V")
    order: int = param(1, "context length k, 0 to 3", metavar="K")
    sequence_length: int = param(20, "tokens per training sequence L", metavar="L")
    prior_concentration: float = param(
        1.0, "Dirichlet prior a0 per row entry (> 0)", prior="a0", metavar="A0"
    )
    unseen: str = param("uniform", "the MLE row of a context never seen", choices=UNSEEN)


@register_family
@dataclass(frozen=True)
class MarkovLM(MarkovParams, SamplerSettings, ProbabilityFace):
    """Order-k Markov next-token model over ``num_tokens`` tokens.

    Parameters
    ----------
    num_tokens : int
        Vocabulary size V.
    order : int
        Context length k (0 to 3); ``V**k`` contexts.
    sequence_length : int
        Tokens per training sequence L.
    prior_concentration : float
        Dirichlet prior per row entry (conjugate and pymc).
    unseen : {"uniform", "marginal"}
        The MLE row of a context never seen in the training set.
    draws, tune, chains, target_accept, hdi_prob, coverage_levels
        Sampler and summary settings.
    """

    params: ClassVar[type] = MarkovParams
    name: ClassVar[str] = "markov"
    r_hat_variables: ClassVar[tuple[str, ...]] = ("theta_r_hat",)
    units: ClassVar[dict] = UNITS
    default_truth: ClassVar[str] = "zipf-rows:1:0"
    variables: ClassVar[dict] = VARIABLES
    labels: ClassVar[dict[str, str]] = {
        **ProbabilityFace.labels,
        "kl_rate": "KL rate of P_t from P* (nats)",
        "kl_rate_reverse": "KL rate of P* from P_t (nats)",
        "tv_rate": "TV rate of P_t from P*",
        "entropy_rate": "entropy rate of P_t (nats)",
    }
    plot_metric: ClassVar[str] = "kl_rate"
    coverage_metric: ClassVar[str] = "hdi_coverage"
    summary_columns: ClassVar[tuple[tuple[str, str], ...]] = (
        ("KL rate", "kl_rate"),
        ("TV rate", "tv_rate"),
        ("unigram TV", "unigram_tv"),
        ("entropy rate", "entropy_rate"),
        ("contexts lost", "contexts_lost"),
        ("transitions lost", "transitions_lost"),
        ("P* in HDI", "hdi_coverage"),
    )

    def __post_init__(self) -> None:
        check_num_tokens(self.num_tokens)
        if self.order not in (0, 1, 2, 3):
            raise ValueError(f"order must be 0, 1, 2 or 3, got {self.order!r}")
        if self.num_tokens**self.order > 20_000:
            raise ValueError(f"{self.num_tokens}**{self.order} contexts is too many (max 20000)")
        if not (
            isinstance(self.sequence_length, int)
            and 1 <= self.sequence_length <= MAX_SEQUENCE_LENGTH
        ):
            raise ValueError(
                f"sequence_length must be an integer in 1..{MAX_SEQUENCE_LENGTH:,}, got "
                f"{self.sequence_length!r}"
            )
        if not self.prior_concentration > 0:
            raise ValueError(f"prior_concentration must be > 0, got {self.prior_concentration!r}")
        if self.unseen not in UNSEEN:
            raise ValueError(f"unseen {self.unseen!r} is not one of {', '.join(UNSEEN)}")
        check_sampler_settings(self)

    @classmethod
    def warnings(cls, ds) -> list[str]:
        """Warn of a reducible true chain: its stationary law depends on the start."""
        if not ds["truth_stationary"].attrs.get("irreducible", 1):
            return [
                "the true chain is reducible; its stationary law (and the stationary-weighted "
                "metrics) depend on the start"
            ]
        return []

    @property
    def contexts(self) -> int:
        """Number of contexts ``V**k``."""
        return self.num_tokens**self.order

    @property
    def writer(self) -> SequenceWriter:
        """Writes the family's sequences."""
        return SequenceWriter(self.order, self.sequence_length)

    def make_truth(self, spec):
        """Return the true chain (see ``markov_chain.make_markov_truth``)."""
        return make_markov_truth(spec, self.num_tokens, self.order)

    def truth_variables(self, truth) -> tuple[dict, dict]:
        """Return the data variables and coords that record the truth in the results."""
        return {
            "truth": (("context", "token"), truth.probs, {"description": "true P*(token|context)"}),
            "truth_stationary": (
                ("context",),
                truth.stationary,
                {
                    "description": "stationary law of the true context chain",
                    "irreducible": int(truth.irreducible),
                },
            ),
        }, {
            "context": np.arange(self.contexts),
            "token": np.arange(self.num_tokens),
            "level": list(self.coverage_levels),
        }

    @property
    def dim_sizes(self) -> dict[str, int]:
        """Sizes of the family's inner dims."""
        return {
            "context": self.contexts,
            "token": self.num_tokens,
            "level": len(self.coverage_levels),
        }

    def sample_truth(self, truth, sizes, *, rng):
        """Transition counts of ``sizes[r]`` fresh sequences from the truth."""
        return self.writer.counts(truth.probs, sizes, rng)

    @staticmethod
    def combine(a, b):
        """Return the union of two transition-count data sets."""
        return a + b

    @staticmethod
    def subsample(pool, sizes, *, rng):
        """Refuse: a subsample must draw whole sequences, which the counts do not keep."""
        raise ValueError(
            "scheme 'accumulate-subsample' is not supported for the markov model (it would "
            "have to subsample whole sequences); use 'accumulate' or 'mixture'"
        )

    def real_pool(self, truth, sizes, *, rng) -> tuple:
        """Refuse a fixed real pool, as :meth:`resample` does."""
        return self.resample(None, None, rng=None)

    @staticmethod
    def resample(pool, sizes, *, rng):
        """Refuse: resampling a pool must draw whole sequences, which the counts do not keep."""
        raise ValueError(
            "real_data 'fixed' and 'resampled' are not supported for the markov model (they "
            "would have to draw whole sequences from the pool); use real_data 'fresh'"
        )

    @staticmethod
    def weigh(data, weight: float):
        """Return the transition counts with every item counting ``weight``."""
        return data if weight == 1 else data * float(weight)

    def initial_prior(self, replicates: int) -> np.ndarray:
        """Return the prior concentration of every row, shape (R, C, V)."""
        return np.full(
            (replicates, self.contexts, self.num_tokens), float(self.prior_concentration)
        )

    def check_setting(self, setting) -> None:
        """Refuse settings this family cannot run."""
        if setting.scheme == "accumulate-subsample":
            self.subsample(None, None, rng=None)
        if setting.real_data != "fresh":
            self.resample(None, None, rng=None)
        check_token_decoding(setting, self.name)

    @staticmethod
    def data_to_dataset(counts) -> xr.Dataset:
        """Return a data set as an ArviZ-style group."""
        return xr.Dataset({"counts": (("replicate", "context", "token"), np.asarray(counts))})

    def observed_dataset(self, counts, *, rng) -> xr.Dataset:
        """Return the transition counts as observations: NaN in contexts never visited.

        An unvisited context's row holds no data (its predictive is all zeros), so it is
        not an observation: ArviZ's LOO and PIT leave it out.
        """
        counts = np.asarray(counts, dtype=float)
        visited = counts.sum(axis=-1, keepdims=True) > 0
        return self.data_to_dataset(np.where(visited, counts, np.nan))

    def predictive_dataset(self, posterior, observed, *, rng) -> xr.Dataset:
        """Posterior predictive transition counts, one set per posterior draw.

        Each row ``c`` of replicate ``r`` gets ``Multinomial(n_rc, theta_rc)`` with
        ``n_rc`` its observed number of transitions: the predictive given how often each
        context was visited (cheap; whole sequences would also move the visits).
        """
        theta = posterior["theta"].transpose("chain", "draw", "replicate", "context", "token")
        visits = observed["counts"].sum("token").values.astype(np.int64)  # NaN rows: 0
        counts = rng.multinomial(np.broadcast_to(visits, theta.shape[:-1]), theta.values)
        return xr.Dataset({"counts": (theta.dims, counts)})

    def curation_of(self, setting, truth):
        """Return the setting's curation, its reward per transition (default ``rank``)."""
        curation = Curation.parse(setting.curation)
        if curation.plain:
            return curation
        return curation.resolved(transition_rewards(setting.reward or "rank", truth))

    def curate(self, fit, sizes, curation, *, mode, rng, decoding) -> tuple:
        """Keep curated whole sequences among the fit's candidates (``models.markov.curation``)."""
        writer = CuratingSequenceWriter(self.order, self.sequence_length, curation)
        counts = replace(fit, writer=writer).synthetic(sizes, mode=mode, rng=rng, decoding=decoding)
        return counts, writer.report

    def truth_reward(self, curation, truth) -> float:
        """Return a sequence's expected reward under the true chain (stationary start)."""
        pi = truth.stationary
        return float(
            self.sequence_length * np.einsum("c,cv,cv->", pi, truth.probs, curation.values)
        )

    def curation_record(self, fit, curation, data, truth) -> dict:
        """Return a sequence's expected reward, the best-token share, the acceptance rate."""
        return sequence_curation_record(fit, curation, data, self.sequence_length, self.order)

    def record(
        self, fit, data, truth, previous_fit, summarise_posterior: bool, *, rng=None
    ) -> dict:
        """One generation's row of results: every variable's value per replicate.

        ``rng`` (the cell's metric stream) randomises the PIT of sampled posteriors.
        """
        row = {
            "theta_mean": fit.mean,
            "train_count": data.data.astype(float),
            "real_count": data.real.astype(float),
            **markov_distances(
                fit.mean,
                truth.probs,
                data.data,
                pi_truth=truth.stationary,
                pi_model=stationary(fit.mean, self.order),
            ),
        }
        if fit.bayesian and summarise_posterior:
            row.update(
                probability_posterior_row(
                    fit,
                    truth.probs,
                    previous_fit,
                    levels=self.coverage_levels,
                    axis=(-2, -1),
                    rng=rng,
                )
            )
        row.update(fit.diagnostics)
        return row

    @staticmethod
    def validate(ds) -> None:
        """Family-specific checks of a results dataset: every fitted law sums to 1."""
        check_theta_sums(ds)

    # -- what PyMC models of the family read and give (see protocols.PyMCFamily) --
    pymc_variables: ClassVar[tuple[str, ...]] = ("theta",)
    pymc_data_names: ClassVar[tuple[str, ...]] = ("counts", "prior")
    pymc_prior_data: ClassVar[tuple[str, ...]] = ("prior",)

    def model_key(self) -> tuple:
        """Return what a built model depends on: the vocabulary size, the order, the Gamma form.

        Concentrations below 1 need the boosted Gamma form (see ``categorical.pymc_models``).
        """
        return (self.num_tokens, self.order, self.prior_concentration < 1)

    def pymc_coords(self, replicates: int) -> dict[str, np.ndarray]:
        """Coords ``replicate``, ``context`` and ``token`` of a block's model."""
        return {
            "replicate": np.arange(replicates),
            "context": np.arange(self.contexts),
            "token": np.arange(self.num_tokens),
        }

    @staticmethod
    def pymc_data(data, prior) -> dict[str, np.ndarray]:
        """Return the data: ``counts`` (R, C, V), fractional when weighted, and rows' ``prior``."""
        return {"counts": np.asarray(data, float), "prior": np.asarray(prior, float)}

    def sampled_posterior(self, tree, *, prior, data, diagnostics) -> SampledPosterior:
        """Wrap a sampler's draws of ``theta`` (rows) as a posterior fit."""
        return SampledPosterior(
            tree, self.writer, self.hdi_prob, prior, np.asarray(data), diagnostics=diagnostics
        )


@dataclass(frozen=True)
class MLEFitter:
    """Row frequencies; a context never seen gets the ``unseen`` row."""

    writer: SequenceWriter
    unseen: str

    def fit(self, counts, *, prior, rng) -> PointProbabilities:
        """Return the MLE rows of each replicate."""
        totals = counts.sum(axis=-1, keepdims=True)
        if self.unseen == "uniform":
            fill = np.full(counts.shape, 1.0 / counts.shape[-1])
        else:
            marginal = counts.sum(axis=-2, keepdims=True)
            fill = np.broadcast_to(marginal / marginal.sum(axis=-1, keepdims=True), counts.shape)
        with np.errstate(invalid="ignore", divide="ignore"):
            probs = np.where(totals > 0, counts / np.where(totals > 0, totals, 1), fill)
        return PointProbabilities(probs, self.writer)


@dataclass(frozen=True)
class ConjugateFitter:
    """The exact posterior ``Dirichlet(prior + counts)`` of every row."""

    writer: SequenceWriter
    hdi_prob: float

    def fit(self, counts, *, prior, rng) -> DirichletPosterior:
        """Return the exact posterior rows of each replicate."""
        return DirichletPosterior(
            prior + counts, self.writer, self.hdi_prob, prior=prior, dims=("context", "token")
        )


register_method(
    MarkovLM.name,
    "mle",
    lambda family, replicates: MLEFitter(family.writer, family.unseen),
    bayesian=False,
    description="row frequencies (maximum likelihood)",
)
register_method(
    MarkovLM.name,
    "conjugate",
    lambda family, replicates: ConjugateFitter(family.writer, family.hdi_prob),
    bayesian=True,
    description="the exact Dirichlet posterior of every row",
)
register_pymc_model(
    MarkovLM.name,
    "pymc",
    "bayescollapse.models.categorical.pymc_models:build_model",
    carry=True,
    description="independent Dirichlet rows in PyMC, NUTS via nutpie",
)
register_pymc_model(
    MarkovLM.name,
    "pymc-hierarchical",
    "bayescollapse.models.markov.pymc_models:build_hierarchical_model",
    complete="bayescollapse.models.markov.pymc_models:draw_rows",
    # carried with 100 steps, its smallest bulk ESS fell 10-20 % below tuning afresh
    # (study 5, 2 x 500 draws); 300 matched it (benchmarks/bench_pymc_carry_models.py)
    retune=300,
    description="rows sharing a learned base distribution (rows integrated out), NUTS via nutpie",
)
