"""Fits of probability vectors and rows: what the categorical and Markov families share.

A fit holds, per replicate, a probability vector over tokens (categorical, shape (R, K))
or one per context (Markov, shape (R, C, V)); the last axis is always the token. A
*writer* turns probabilities into the family's data (token counts, or the transition
counts of whole sequences), so the same fit classes serve both families:

- :class:`PointProbabilities`: a point estimate (MLE, or any user's estimator).
- :class:`DirichletPosterior`: the exact posterior ``Dirichlet(concentration)`` per row.
- :class:`SampledPosterior`: a posterior known through draws (any PyMC model).

Synthetic data from a posterior: ``ancestral`` writes the whole set from one posterior
draw; ``predictive`` (a fresh parameter draw per token) and ``plugin`` write from the
posterior mean, which has the same law for independent tokens (the mixture of
categoricals over the posterior is the categorical of the posterior mean).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import ClassVar, Protocol

import numpy as np
import xarray as xr

from bayescollapse.metrics import (
    beta_hdi,
    calibration,
    contraction,
    dirichlet_from_draws,
    dirichlet_variance,
    draws_cdf,
)
from bayescollapse.metrics.drift import dirichlet_kl
from bayescollapse.metrics.intervals import sorted_central_intervals, sorted_draws, sorted_hdi
from bayescollapse.models.decoding import PLAIN, Decoding
from bayescollapse.models.face import FamilyFace, PathPanel

__all__ = [
    "ProbabilityFace",
    "SYNTHETIC_MODES",
    "DirichletPosterior",
    "PointProbabilities",
    "SampledPosterior",
    "Writer",
    "check_mode",
    "check_theta_sums",
    "probability_posterior_row",
]

SYNTHETIC_MODES = ("ancestral", "predictive", "plugin")


def check_mode(mode: str) -> None:
    """Raise a one-line ValueError unless ``mode`` is a synthetic mode."""
    if mode not in SYNTHETIC_MODES:
        raise ValueError(f"synthetic mode {mode!r} is not one of {', '.join(SYNTHETIC_MODES)}")


class Writer(Protocol):
    """Turns probabilities (R, ..., K) into ``sizes[r]`` items of data per replicate."""

    def counts(self, probs: np.ndarray, sizes: np.ndarray, rng: np.random.Generator):
        """Return the data written from ``probs``."""
        ...


@dataclass(frozen=True)
class PointProbabilities:
    """A point estimate: probabilities per replicate, shape (R, ..., K)."""

    probs: np.ndarray
    writer: Writer
    bayesian: ClassVar[bool] = False
    diagnostics: dict = field(default_factory=dict)

    @property
    def mean(self) -> np.ndarray:
        """The fitted probabilities."""
        return self.probs

    def synthetic(self, sizes, *, mode: str, rng: np.random.Generator, decoding: Decoding = PLAIN):
        """Write ``sizes[r]`` items from the fitted model, decoded (every mode is plug-in)."""
        check_mode(mode)
        return self.writer.counts(decoding.probabilities(self.probs), sizes, rng)


def _draw_dirichlet(concentration: np.ndarray, shape: tuple, rng) -> np.ndarray:
    g = rng.standard_gamma(np.broadcast_to(concentration, (*shape, *concentration.shape)))
    return g / g.sum(axis=-1, keepdims=True)


@dataclass(frozen=True)
class DirichletPosterior:
    """Exact posterior ``Dirichlet(concentration)`` per row, shape (R, ..., K).

    ``prior`` is the Dirichlet prior it updated; ``dims`` names the axes after
    ``replicate`` (for the kept posterior's layout).
    """

    concentration: np.ndarray
    writer: Writer
    hdi_prob: float = 0.94
    prior: np.ndarray | None = None
    dims: tuple[str, ...] = ("token",)
    diagnostics: dict = field(default_factory=dict)
    bayesian: ClassVar[bool] = True
    #: ``cdf`` is the exact posterior CDF (central coverage comes from it, see ``calibration``)
    exact_cdf: ClassVar[bool] = True

    @property
    def mean(self) -> np.ndarray:
        """Posterior mean ``a / sum(a)``."""
        return self.concentration / self.concentration.sum(axis=-1, keepdims=True)

    @property
    def var(self) -> np.ndarray:
        """Marginal posterior variances."""
        return dirichlet_variance(self.concentration)

    @property
    def dirichlet(self) -> np.ndarray:
        """The Dirichlet concentration (exact here)."""
        return self.concentration

    @property
    def carried_prior(self) -> np.ndarray:
        """The prior the next generation uses under ``prior_update='carry'``."""
        return self.concentration

    def _beta(self) -> tuple[np.ndarray, np.ndarray]:
        a = self.concentration
        return a, a.sum(axis=-1, keepdims=True) - a

    def hdi(self) -> tuple[np.ndarray, np.ndarray]:
        """Exact marginal HDIs at ``hdi_prob`` from the Beta marginals."""
        return beta_hdi(*self._beta(), self.hdi_prob)

    def central_intervals(self, levels) -> tuple[np.ndarray, np.ndarray]:
        """Exact central credible intervals, shape (level, R, ..., K), from the Beta marginals."""
        from scipy.special import betaincinv

        a, b = self._beta()
        q = np.asarray(levels, float).reshape(-1, *([1] * a.ndim))
        return betaincinv(a, b, (1 - q) / 2), betaincinv(a, b, (1 + q) / 2)

    def cdf(self, values: np.ndarray, *, rng=None) -> np.ndarray:
        """Marginal posterior CDF at ``values``: the PIT of the truth. Exact; ``rng`` unused."""
        from scipy.special import betainc

        return betainc(*self._beta(), values)

    def posterior_groups(self, *, draws: int, chains: int, rng) -> dict:
        """ArviZ ``posterior`` group for storage: exact draws in (chain, draw) layout."""
        theta = _draw_dirichlet(self.concentration, (chains, draws), rng)
        return {
            "posterior": xr.Dataset({"theta": (("chain", "draw", "replicate", *self.dims), theta)})
        }

    def synthetic(self, sizes, *, mode: str, rng: np.random.Generator, decoding: Decoding = PLAIN):
        """Write ``sizes[r]`` synthetic items per replicate from the decoded predictive.

        ``ancestral`` decodes one posterior draw per replicate; the other modes decode
        the posterior mean (the predictive of one token).
        """
        check_mode(mode)
        if mode == "ancestral":
            probs = _draw_dirichlet(self.concentration, (), rng)
        else:
            probs = self.mean
        return self.writer.counts(decoding.probabilities(probs), sizes, rng)


@dataclass(frozen=True)
class SampledPosterior:
    """A posterior known through draws of ``theta``, e.g. from NUTS.

    Attributes
    ----------
    tree : xarray.DataTree
        ArviZ groups ``posterior`` and ``sample_stats`` of the sampler run.
    writer : Writer
        Writes data from probabilities.
    prior : numpy.ndarray or None
        The Dirichlet prior the model read as data (None if its prior is not Dirichlet).
    counts : numpy.ndarray
        The training counts the posterior conditions on.
    """

    tree: xr.DataTree
    writer: Writer
    hdi_prob: float
    prior: np.ndarray | None
    counts: np.ndarray
    diagnostics: dict = field(default_factory=dict)
    bayesian: ClassVar[bool] = True
    exact_cdf: ClassVar[bool] = False  # the PIT is a randomised rank among draws

    @property
    def theta(self) -> xr.DataArray:
        """Posterior draws of theta, dims (chain, draw, replicate, ..., token)."""
        return self.tree["posterior"]["theta"].transpose("chain", "draw", "replicate", ...)

    @functools.cached_property
    def draws(self) -> np.ndarray:
        """Draws with chain and draw stacked first: shape (S, R, ..., K), made once."""
        theta = self.theta.values
        return theta.reshape(-1, *theta.shape[2:])

    @functools.cached_property
    def mean(self) -> np.ndarray:
        """Posterior mean, estimated from the draws, made once."""
        return self.draws.mean(axis=0)

    @functools.cached_property
    def var(self) -> np.ndarray:
        """Posterior variances, estimated from the draws, made once."""
        return self.draws.var(axis=0)

    @functools.cached_property
    def dirichlet(self) -> np.ndarray:
        """Moment-matched Dirichlet of the draws (``metrics.dirichlet_from_draws``), made once."""
        return dirichlet_from_draws(self.draws)

    @property
    def carried_prior(self) -> np.ndarray:
        """Prior for the next generation under ``carry``: the exact target ``prior + counts``."""
        if self.prior is None:
            raise ValueError("prior_update 'carry' needs a model whose prior is Dirichlet data")
        return self.prior + self.counts

    @functools.cached_property
    def ordered(self) -> np.ndarray:
        """The draws sorted per parameter, shape (R, ..., K, S): one sort for every interval."""
        return sorted_draws(self.draws)

    def central_intervals(self, levels) -> tuple[np.ndarray, np.ndarray]:
        """Central credible intervals from the draws' quantiles, shape (level, R, ..., K)."""
        return sorted_central_intervals(self.ordered, levels)

    def cdf(self, values: np.ndarray, *, rng: np.random.Generator | None = None) -> np.ndarray:
        """Return the PIT of ``values`` from the draws (see ``metrics.draws_cdf``)."""
        return draws_cdf(self.draws, values, rng=rng)

    def hdi(self) -> tuple[np.ndarray, np.ndarray]:
        """Marginal HDIs at ``hdi_prob`` from the draws (ArviZ's nearest estimate)."""
        return sorted_hdi(self.ordered, self.hdi_prob)

    def posterior_groups(self, **_) -> dict:
        """ArviZ groups for storage: the NUTS draws and the sampler's statistics."""
        return {name: self.tree[name].to_dataset() for name in ("posterior", "sample_stats")}

    def synthetic(self, sizes, *, mode: str, rng: np.random.Generator, decoding: Decoding = PLAIN):
        """Write synthetic data from the draws, decoded.

        ``ancestral``: from one posterior draw (the same draw index for every replicate of
        the block); otherwise from the posterior mean.
        """
        check_mode(mode)
        if mode == "ancestral":
            draws = self.draws
            probs = draws[rng.integers(draws.shape[0])]
        else:
            probs = self.mean
        return self.writer.counts(decoding.probabilities(probs), sizes, rng)


def check_theta_sums(ds) -> None:
    """Refuse results whose fitted laws (``theta_mean`` over ``token``) do not sum to 1.

    NaN sums (a unit not yet run) pass.
    """
    theta = ds["theta_mean"]
    sums = theta.values.sum(axis=theta.dims.index("token"))
    if not bool((np.isnan(sums) | (np.abs(sums - 1.0) < 1e-8)).all()):
        raise ValueError("theta_mean does not sum to 1 over tokens")


def probability_posterior_row(
    fit, truth: np.ndarray, previous_fit, *, levels, axis, rng
) -> dict[str, np.ndarray]:
    """Return the posterior summaries of a probability fit, per replicate.

    HDI bounds and widths, calibration against the truth (boundary truths left out; see
    :func:`bayescollapse.metrics.covered_share`), drift from the previous generation's
    posterior (Dirichlet KL, summed over the rows) and contraction against a Dirichlet
    prior (NaN when the fit's prior is not Dirichlet).
    """
    lower, upper = fit.hdi()
    exact = fit.exact_cdf
    central = None if exact else fit.central_intervals(levels)  # None: from the exact CDF
    row = calibration(
        (lower, upper), central, fit.cdf(truth, rng=rng), truth, axis=axis, levels=levels
    )
    row["theta_hdi_lower"], row["theta_hdi_upper"] = lower, upper
    if previous_fit is not None and previous_fit.bayesian:
        kl = dirichlet_kl(fit.dirichlet, previous_fit.dirichlet)  # per row
        row["kl_posterior_to_prev"] = kl.reshape(kl.shape[0], -1).sum(axis=1)
    if fit.prior is not None:
        row["contraction"] = contraction(fit.var, dirichlet_variance(fit.prior), axis=axis)
    return row


class ProbabilityFace(FamilyFace):
    """The face the categorical and Markov families share (their tokens' posterior paths)."""

    labels: ClassVar[dict[str, str]] = {
        "hdi_coverage": "share of P* inside the HDIs",
        "tv_to_truth": "TV(P_t, P*)",
        "hellinger_to_truth": "Hellinger(P_t, P*)",
        "kl_model_to_truth": "KL(P_t || P*)",
        "reward_mean": "expected reward E_{P_t} r",
        "entropy": "entropy of P_t (nats)",
    }

    @staticmethod
    def log_likelihood(posterior: xr.Dataset, observed: xr.Dataset) -> xr.Dataset:
        """Return the pointwise log-likelihood of the counts: each cell's marginal law.

        A cell's count (a token's, or a transition's of the Markov model) is
        ``Binomial(n, theta)`` given the posterior draw, ``n`` the replicate's size (the
        context's visits): the law its posterior predictive draws follow. The counts are
        not independent given theta (they add up to ``n``), so the cells' values add up
        to a sum of marginal predictive densities, which ``az.compare`` ranks for fits
        of the same data, not to the joint log-likelihood. Cells the data have no items
        for (NaN, e.g. a context never visited) stay NaN.
        """
        from scipy import stats  # not at import: a run without posteriors needs no scipy

        counts = observed["counts"]
        trials = counts.sum("token")
        cells = xr.apply_ufunc(stats.binom.logpmf, counts, trials, posterior["theta"])
        return xr.Dataset({"counts": cells.transpose("chain", "draw", *counts.dims)})

    @classmethod
    def path_panels(cls, ds, parameters=None) -> list[PathPanel]:
        """Return panels of chosen tokens' probabilities (the first, middle and last by default).

        With contexts (the Markov model), the row of the context the true chain visits most.
        """
        k = ds.sizes["token"]
        tokens = list(parameters) if parameters is not None else sorted({0, k // 2, k - 1})
        bad = [t for t in tokens if not 0 <= t < k]
        if bad:
            raise ValueError(f"token {bad[0]} is out of range 0..{k - 1}")
        where: dict = {}
        if "truth_stationary" in ds:
            where = {"context": int(np.argmax(ds["truth_stationary"].values))}
        label = f"context {where['context']}, " if where else ""
        return [
            PathPanel(
                f"{label}token {t}",
                {**where, "token": t},
                "theta_mean",
                "theta_hdi_lower",
                "theta_hdi_upper",
                float(ds["truth"].sel(**where, token=t)),
            )
            for t in tokens
        ]

    @classmethod
    def describe(cls, ds) -> str:
        """Return the vocabulary size (and the contexts of a Markov model)."""
        contexts = f", {ds.sizes['context']} contexts" if "context" in ds.dims else ""
        return f"K={ds.sizes['token']}{contexts}"

    def working_memory(self, config) -> int:
        """Return the default, plus the items of a few-draw multinomial (n_t below K)."""
        out = super().working_memory(config)
        items = int(config.schedule_values()[1].max())
        if items < self.parameter_count:  # drawn item by item (see models.counts)
            out += 8 * 3 * config.replicate_block * items
        return out
