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
  ``m ~ Dirichlet(1)``, ``log kappa ~ N(log V, 1.5)``; not conjugate, sampled by NUTS.
- Synthetic sequences: ``ancestral`` draws one whole transition array from the posterior;
  ``plugin`` and ``predictive`` use the posterior mean (a fresh parameter draw per token
  has the posterior mean's law, as in the categorical model).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import xarray as xr
from scipy.special import betainc, betaincinv, xlogy

from bayescollapse.metrics import (
    _dirichlet_kl,
    _kl,
    _tv,
    beta_hdi,
    covered_share,
    interior_pit,
    randomised_pit,
)
from bayescollapse.models.categorical import _check_mode
from bayescollapse.models.markov_chain import make_markov_truth, sequence_counts, stationary
from bayescollapse.models.sampling import (
    SamplerSettings,
    check_num_tokens,
    check_sampler_settings,
)

__all__ = ["MarkovLM", "MarkovPoint", "MarkovDirichlet", "VARIABLES"]

METHODS = ("mle", "conjugate", "pymc", "pymc-hierarchical")
UNSEEN = ("uniform", "marginal")

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
    "r_hat_max": (_RGEN, "largest R-hat over transition probabilities (pymc)"),
    "theta_r_hat": (_ROWS, "R-hat of each transition probability (pymc)"),
    "ess_bulk_min": (_RGEN, "smallest bulk ESS over transition probabilities (pymc)"),
    "ess_tail_min": (_RGEN, "smallest tail ESS over transition probabilities (pymc)"),
    "divergences": (
        ("setting", "block", "generation"),
        "divergent transitions of the sampler run that fitted the replicate block (pymc)",
    ),
}


@dataclass(frozen=True)
class _Sequences:
    order: int
    length: int

    def counts(self, probs, sizes, rng):
        return sequence_counts(probs, sizes, order=self.order, length=self.length, rng=rng)


@dataclass(frozen=True)
class MarkovPoint:
    """MLE transition rows per replicate, shape (R, C, V)."""

    probs: np.ndarray
    sequences: _Sequences
    bayesian: ClassVar[bool] = False

    @property
    def mean(self) -> np.ndarray:
        """The fitted rows."""
        return self.probs

    def synthetic(self, sizes, *, mode: str, rng):
        """Write ``sizes[r]`` sequences from the fitted chain."""
        _check_mode(mode)
        return self.sequences.counts(self.probs, sizes, rng)


@dataclass(frozen=True)
class MarkovDirichlet:
    """Posterior rows ``Dirichlet(concentration[r, c])``, shape (R, C, V).

    Exact for ``conjugate``; for the PyMC paths ``draws`` (S, R, C, V) hold the NUTS
    draws and the concentration is their moment match.
    """

    concentration: np.ndarray
    sequences: _Sequences
    hdi_prob: float
    prior: np.ndarray | None = None
    draws: np.ndarray | None = None
    diagnostics: dict = field(default_factory=dict)
    tree: object = None
    bayesian: ClassVar[bool] = True

    @property
    def mean(self) -> np.ndarray:
        """Posterior mean rows."""
        if self.draws is not None:
            return self.draws.mean(axis=0)
        return self.concentration / self.concentration.sum(axis=-1, keepdims=True)

    @property
    def dirichlet(self) -> np.ndarray:
        """Row concentrations (exact, or moment-matched to the draws)."""
        return self.concentration

    @property
    def carried_prior(self) -> np.ndarray:
        """Prior of the next generation under ``carry``: the posterior concentration.

        For the ``pymc`` path that is the exact target ``prior + counts`` (not the moment
        match), as in the categorical model.
        """
        return self.concentration

    def posterior_groups(self, *, draws: int, chains: int, rng) -> dict:
        """ArviZ groups for storage: exact draws, or the NUTS draws and sampler statistics."""
        if self.tree is not None:
            return {name: self.tree[name].to_dataset() for name in ("posterior", "sample_stats")}
        g = rng.standard_gamma(
            np.broadcast_to(self.concentration, (chains, draws, *self.concentration.shape))
        )
        dims = ("chain", "draw", "replicate", "context", "token")
        return {"posterior": xr.Dataset({"theta": (dims, g / g.sum(axis=-1, keepdims=True))})}

    def hdi(self) -> tuple[np.ndarray, np.ndarray]:
        """Marginal HDIs of every transition probability (exact Beta, or from the draws)."""
        if self.draws is not None:
            import arviz as az

            da = xr.DataArray(
                self.draws[None], dims=("chain", "draw", "replicate", "context", "token")
            )
            bounds = az.hdi(da, prob=self.hdi_prob)
            return bounds.sel(ci_bound="lower").values, bounds.sel(ci_bound="upper").values
        a = self.concentration
        return beta_hdi(a, a.sum(axis=-1, keepdims=True) - a, self.hdi_prob)

    def _beta(self):
        a = self.concentration
        return a, a.sum(axis=-1, keepdims=True) - a

    @property
    def var(self) -> np.ndarray:
        """Posterior variance of every transition probability."""
        if self.draws is not None:
            return self.draws.var(axis=0)
        m = self.mean
        return m * (1 - m) / (self.concentration.sum(axis=-1, keepdims=True) + 1)

    def central_intervals(self, levels) -> tuple[np.ndarray, np.ndarray]:
        """Central credible intervals, shape (level, R, C, V): exact Beta, or draw quantiles."""
        q = np.asarray(levels, float)
        if self.draws is not None:
            return (
                np.quantile(self.draws, (1 - q) / 2, axis=0),
                np.quantile(self.draws, (1 + q) / 2, axis=0),
            )
        a, b = self._beta()
        q = q[:, None, None, None]
        return betaincinv(a, b, (1 - q) / 2), betaincinv(a, b, (1 + q) / 2)

    def cdf(self, values: np.ndarray, *, rng=None) -> np.ndarray:
        """Posterior CDF at ``values`` (C, V): the PIT of the truth, shape (R, C, V).

        For draws, the randomised rank with ``rng`` (see
        :func:`bayescollapse.metrics.randomised_pit`), else the share at or below.
        """
        if self.draws is not None:
            if rng is not None:
                return randomised_pit(self.draws, values, rng=rng)
            return (self.draws <= values).mean(axis=0)
        a, b = self._beta()
        return betainc(a, b, values)

    def synthetic(self, sizes, *, mode: str, rng):
        """Write ``sizes[r]`` sequences from the posterior (see the module docstring)."""
        _check_mode(mode)
        if mode != "ancestral":
            return self.sequences.counts(self.mean, sizes, rng)
        if self.draws is not None:
            probs = self.draws[rng.integers(self.draws.shape[0])]
        else:
            g = rng.standard_gamma(self.concentration)
            probs = g / g.sum(axis=-1, keepdims=True)
        return self.sequences.counts(probs, sizes, rng)


@dataclass(frozen=True)
class MarkovLM(SamplerSettings):
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

    num_tokens: int
    order: int = 1
    sequence_length: int = 20
    prior_concentration: float = 1.0
    unseen: str = "uniform"
    name: ClassVar[str] = "markov"
    prior_fields: ClassVar[tuple[str, ...]] = ("prior_concentration",)
    r_hat_variables: ClassVar[tuple[str, ...]] = ("theta_r_hat",)
    methods: ClassVar[tuple[str, ...]] = METHODS
    default_truth: ClassVar[str] = "zipf-rows:1:0"
    variables: ClassVar[dict] = VARIABLES
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
        if not (isinstance(self.sequence_length, int) and self.sequence_length >= 1):
            raise ValueError(
                f"sequence_length must be an integer >= 1, got {self.sequence_length!r}"
            )
        if not self.prior_concentration > 0:
            raise ValueError(f"prior_concentration must be > 0, got {self.prior_concentration!r}")
        if self.unseen not in UNSEEN:
            raise ValueError(f"unseen {self.unseen!r} is not one of {', '.join(UNSEEN)}")
        check_sampler_settings(self)

    @property
    def contexts(self) -> int:
        """Number of contexts ``V**k``."""
        return self.num_tokens**self.order

    @property
    def _sequences(self) -> _Sequences:
        return _Sequences(self.order, self.sequence_length)

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
        return self._sequences.counts(truth.probs, sizes, rng)

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

    def initial_prior(self, replicates: int) -> np.ndarray:
        """Return the prior concentration of every row, shape (R, C, V)."""
        return np.full(
            (replicates, self.contexts, self.num_tokens), float(self.prior_concentration)
        )

    def fitter(self, method: str, replicates: int):
        """Return a fitter for ``method``, set up (PyMC: compiled) once for the block size."""
        if method == "mle":
            return _MLEFitter(self._sequences, self.unseen)
        if method == "conjugate":
            return _ConjugateFitter(self._sequences, self.hdi_prob)
        if method in ("pymc", "pymc-hierarchical"):
            from bayescollapse.models.markov_pymc import MarkovPyMCFitter

            return MarkovPyMCFitter(self, replicates, hierarchical=method == "pymc-hierarchical")
        raise ValueError(f"method {method!r} is not one of {', '.join(METHODS)}")

    def check_setting(self, setting) -> None:
        """Refuse settings this family cannot run."""
        if setting.scheme == "accumulate-subsample":
            self.subsample(np.zeros((1, 1, 1)), np.zeros(1), rng=None)
        if setting.method == "pymc-hierarchical" and setting.prior_update == "carry":
            raise ValueError("prior_update 'carry' is not defined for pymc-hierarchical")

    @staticmethod
    def data_to_dataset(counts) -> xr.Dataset:
        """Return a data set as an ArviZ-style group."""
        return xr.Dataset({"counts": (("replicate", "context", "token"), np.asarray(counts))})

    def record(
        self, fit, data, truth, previous_fit, summarise_posterior: bool, *, rng=None
    ) -> dict:
        """One generation's row of results: every variable's value per replicate.

        ``rng`` (the cell's metric stream) randomises the PIT of sampled posteriors.
        """
        counts = data.data
        model = fit.mean
        pi_star = truth.stationary
        pi_model = stationary(model, self.order)
        unigram_star = pi_star @ truth.probs
        unigram_model = np.einsum("rc,rcv->rv", pi_model, model)
        with np.errstate(divide="ignore", invalid="ignore"):
            entropy = -np.sum(xlogy(model, model), axis=-1)
        row = {
            "theta_mean": model,
            "train_count": counts.astype(float),
            "real_count": data.real.astype(float),
            "kl_rate": _kl(truth.probs, model) @ pi_star,
            "kl_rate_reverse": _kl(model, truth.probs) @ pi_star,
            "tv_rate": _tv(truth.probs, model) @ pi_star,
            "unigram_tv": _tv(unigram_model, unigram_star),
            "entropy_rate": np.sum(pi_model * entropy, axis=-1),
            "contexts_lost": (counts.sum(axis=-1) == 0).sum(axis=-1).astype(float),
            "transitions_lost": ((truth.probs > 0) & (counts == 0))
            .sum(axis=(-2, -1))
            .astype(float),
        }
        if fit.bayesian and summarise_posterior:
            lower, upper = fit.hdi()
            row["hdi_coverage"] = covered_share(lower, upper, truth.probs, axis=(-2, -1))
            row["hdi_width_mean"] = (upper - lower).mean(axis=(-2, -1))
            if previous_fit is not None:
                row["kl_posterior_to_prev"] = _dirichlet_kl(
                    fit.dirichlet, previous_fit.dirichlet
                ).sum(axis=-1)
            lo, hi = fit.central_intervals(self.coverage_levels)
            row["central_coverage"] = covered_share(lo, hi, truth.probs, axis=(-2, -1)).T
            row["pit"] = interior_pit(fit.cdf(truth.probs, rng=rng), truth.probs)
            row["theta_hdi_lower"], row["theta_hdi_upper"] = lower, upper
            if fit.prior is not None:
                m0 = fit.prior / fit.prior.sum(axis=-1, keepdims=True)
                prior_var = m0 * (1 - m0) / (fit.prior.sum(axis=-1, keepdims=True) + 1)
                row["contraction"] = 1 - np.mean(fit.var / prior_var, axis=(-2, -1))
        row.update(getattr(fit, "diagnostics", {}))
        return row

    @staticmethod
    def validate(ds) -> None:
        """Family-specific checks of a results dataset."""
        if not np.allclose(ds["theta_mean"].sum("token"), 1.0, atol=1e-8):
            raise ValueError("theta_mean rows do not sum to 1 over tokens")


@dataclass(frozen=True)
class _MLEFitter:
    sequences: _Sequences
    unseen: str

    def fit(self, counts, *, prior, rng) -> MarkovPoint:
        totals = counts.sum(axis=-1, keepdims=True)
        if self.unseen == "uniform":
            fill = np.full(counts.shape, 1.0 / counts.shape[-1])
        else:
            marginal = counts.sum(axis=-2, keepdims=True)
            fill = np.broadcast_to(marginal / marginal.sum(axis=-1, keepdims=True), counts.shape)
        with np.errstate(invalid="ignore", divide="ignore"):
            probs = np.where(totals > 0, counts / np.maximum(totals, 1), fill)
        return MarkovPoint(probs, self.sequences)


@dataclass(frozen=True)
class _ConjugateFitter:
    sequences: _Sequences
    hdi_prob: float

    def fit(self, counts, *, prior, rng) -> MarkovDirichlet:
        return MarkovDirichlet(prior + counts, self.sequences, self.hdi_prob, prior=prior)
