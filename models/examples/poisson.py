"""A Poisson count family, written as a plug-in: the proof that a model class is one module.

Import it (``--plugin bayescollapse.models.examples.poisson``, ``plugins = [...]`` in TOML,
or ``RunConfig(plugins=(...,))``) and the model ``poisson`` runs like a built-in one:
its own flags (``--prior-shape``, ``--prior-rate``), TOML keys, validation, memory
estimate, figures, tables, theory curve and the ``mle``, ``conjugate`` and ``pymc``
methods. Nothing in the core names it.

Data: each replicate's training set is its sufficient statistics, the number of counts
``n`` and their sum ``total``. The truth is a rate ``lambda*`` (``rate:3``).

Analytic facts (checked by ``tests/models/test_poisson_example.py``):

- MLE: ``lambda_hat = total / n``.
- Conjugate posterior: ``Gamma(a0 + total, b0 + n)`` (shape, rate) for the prior
  ``Gamma(a0, b0)``; mean ``a / b``, variance ``a / b^2``.
- Synthetic data: ``plugin`` writes ``Poisson(m lambda)`` totals at the fitted rate;
  ``ancestral`` draws one rate per replicate from the posterior; ``predictive`` a fresh
  rate per count, whose total is ``NegativeBinomial(m a, b / (b + 1))``.
- The MLE's mean squared error under the mixture loop (real fraction ``alpha_t``,
  ``n_t`` counts) follows ``D_0 = lambda*/n_0`` and
  ``D_t = lambda*/n_t + D_{t-1} ((1 - alpha_t)^2 + alpha_t (1 - alpha_t) / n_t)``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import xarray as xr

from bayescollapse.metrics.intervals import (
    calibration,
    draws_cdf,
    sorted_central_intervals,
    sorted_draws,
    sorted_hdi,
    unimodal_hdi,
)
from bayescollapse.models.face import FamilyFace, PathPanel, largest_training_set
from bayescollapse.models.params import param
from bayescollapse.models.probability_fits import check_mode
from bayescollapse.models.registry import register_family, register_method, register_pymc_model
from bayescollapse.models.sampling import SamplerSettings, check_sampler_settings, sampler_variables

__all__ = ["GammaPosterior", "Poisson", "PoissonParams", "PoissonStats", "mle_mse_recursion"]

_RGEN = ("setting", "replicate", "generation")


@dataclass(frozen=True)
class PoissonStats:
    """Sufficient statistics of a block's training sets: counts ``n`` and their ``total``."""

    n: np.ndarray
    total: np.ndarray

    def __add__(self, other: PoissonStats) -> PoissonStats:
        return PoissonStats(self.n + other.n, self.total + other.total)


def _poisson_totals(sizes, rate, rng) -> PoissonStats:
    """``sizes[r]`` counts of rate ``rate[r]``: their total is ``Poisson(sizes[r] rate[r])``."""
    sizes = np.asarray(sizes, dtype=np.int64)
    return PoissonStats(sizes.astype(float), rng.poisson(sizes * rate).astype(float))


@dataclass(frozen=True)
class PointRate:
    """A point estimate of the rate (the MLE)."""

    rate_mean: np.ndarray
    diagnostics: dict = field(default_factory=dict)
    bayesian: ClassVar[bool] = False

    def synthetic(self, sizes, *, mode: str, rng: np.random.Generator, decoding=None):
        """Write ``sizes[r]`` counts per replicate at the fitted rate (every mode a plug-in)."""
        check_mode(mode)
        return _poisson_totals(sizes, self.rate_mean, rng)


@dataclass(frozen=True)
class GammaPosterior:
    """The exact posterior ``Gamma(shape, rate)`` of the rate, per replicate."""

    shape: np.ndarray
    rate: np.ndarray
    hdi_prob: float
    prior: tuple
    diagnostics: dict = field(default_factory=dict)
    bayesian: ClassVar[bool] = True
    exact_cdf: ClassVar[bool] = True

    @property
    def rate_mean(self) -> np.ndarray:
        """Posterior mean ``a / b``."""
        return self.shape / self.rate

    @property
    def rate_var(self) -> np.ndarray:
        """Posterior variance ``a / b^2``."""
        return self.shape / self.rate**2

    @property
    def gamma(self) -> tuple[np.ndarray, np.ndarray]:
        """The (shape, rate) of the Gamma posterior (or a moment-matched one)."""
        return self.shape, self.rate

    @property
    def carried_prior(self) -> tuple[np.ndarray, np.ndarray]:
        """The next generation's prior under ``carry``: this posterior."""
        return self.shape, self.rate

    def synthetic(self, sizes, *, mode: str, rng: np.random.Generator, decoding=None):
        """Write synthetic counts: plug-in, one posterior draw (ancestral) or per count."""
        check_mode(mode)
        if mode == "plugin":
            return _poisson_totals(sizes, self.rate_mean, rng)
        if mode == "ancestral":
            return _poisson_totals(sizes, rng.gamma(self.shape, 1 / self.rate), rng)
        sizes = np.asarray(sizes, dtype=np.int64)
        p = self.rate / (self.rate + 1)
        totals = rng.negative_binomial(np.maximum(sizes, 1) * self.shape, p)
        return PoissonStats(sizes.astype(float), np.where(sizes > 0, totals, 0).astype(float))

    def posterior_groups(self, *, draws: int, chains: int, rng) -> dict[str, xr.Dataset]:
        """``chains x draws`` exact draws of the rate, as ArviZ's ``posterior`` group."""
        values = rng.gamma(self.shape, 1 / self.rate, size=(chains, draws, self.shape.size))
        return {"posterior": xr.Dataset({"rate": (("chain", "draw", "replicate"), values)})}

    def hdi(self) -> tuple[np.ndarray, np.ndarray]:
        """Exact HDIs of the Gamma posteriors."""
        from scipy.stats import gamma

        return unimodal_hdi(
            lambda q, a, b: gamma.ppf(q, a, scale=1 / b),
            lambda x, a, b: gamma.logpdf(x, a, scale=1 / b),
            (self.shape, self.rate),
            self.hdi_prob,
        )

    def central_intervals(self, levels) -> tuple[np.ndarray, np.ndarray]:
        """Central intervals, each (level, R)."""
        from scipy.stats import gamma

        q = np.asarray(levels, float)[:, None]
        ends = [gamma.ppf(p, self.shape, scale=1 / self.rate) for p in ((1 - q) / 2, (1 + q) / 2)]
        return ends[0], ends[1]

    def cdf(self, value, *, rng=None) -> np.ndarray:
        """Return the posterior CDF at ``value`` (the PIT of the true rate), exact."""
        from scipy.stats import gamma

        return gamma.cdf(value, self.shape, scale=1 / self.rate)


@dataclass(frozen=True)
class SampledRate:
    """A posterior of the rate known through NUTS draws (the ``pymc`` method)."""

    tree: xr.DataTree
    prior: tuple | None
    data: PoissonStats
    hdi_prob: float
    diagnostics: dict = field(default_factory=dict)
    bayesian: ClassVar[bool] = True
    exact_cdf: ClassVar[bool] = False

    @functools.cached_property
    def draws(self) -> np.ndarray:
        """Draws of the rate, shape (replicate, chain * draw), made once."""
        da = self.tree["posterior"]["rate"].transpose("replicate", "chain", "draw")
        return da.values.reshape(da.sizes["replicate"], -1)

    @property
    def rate_mean(self) -> np.ndarray:
        """Posterior mean from the draws."""
        return self.draws.mean(axis=1)

    @property
    def rate_var(self) -> np.ndarray:
        """Posterior variance from the draws."""
        return self.draws.var(axis=1)

    @property
    def gamma(self) -> tuple[np.ndarray, np.ndarray]:
        """The moment-matched Gamma (shape m^2 / v, rate m / v)."""
        m, v = self.rate_mean, self.rate_var
        return m**2 / v, m / v

    @property
    def carried_prior(self) -> tuple[np.ndarray, np.ndarray]:
        """The exact Gamma posterior the sampler targets (the model reads the prior)."""
        if self.prior is None:
            raise ValueError("prior_update 'carry' needs a model with the Gamma prior as data")
        return self.prior[0] + self.data.total, self.prior[1] + self.data.n

    def synthetic(self, sizes, *, mode: str, rng: np.random.Generator, decoding=None):
        """Write synthetic counts from the draws (one per replicate, or one per count)."""
        check_mode(mode)
        if mode == "plugin":
            return _poisson_totals(sizes, self.rate_mean, rng)
        draws, rows = self.draws, np.arange(self.draws.shape[0])
        if mode == "ancestral":
            pick = rng.integers(draws.shape[1], size=draws.shape[0])
            return _poisson_totals(sizes, draws[rows, pick], rng)
        sizes = np.asarray(sizes, dtype=np.int64)
        pick = rng.integers(draws.shape[1], size=(draws.shape[0], int(sizes.max(initial=0))))
        rates = np.where(np.arange(pick.shape[1]) < sizes[:, None], draws[rows[:, None], pick], 0)
        return PoissonStats(sizes.astype(float), rng.poisson(rates).sum(axis=1).astype(float))

    def posterior_groups(self, **_) -> dict[str, xr.Dataset]:
        """Return the NUTS draws and the sampler's statistics."""
        return {name: self.tree[name].to_dataset() for name in ("posterior", "sample_stats")}

    def hdi(self) -> tuple[np.ndarray, np.ndarray]:
        """HDIs from the draws."""
        return sorted_hdi(sorted_draws(self.draws.T), self.hdi_prob)

    def central_intervals(self, levels) -> tuple[np.ndarray, np.ndarray]:
        """Central intervals from the draws, each (level, R)."""
        return sorted_central_intervals(sorted_draws(self.draws.T), levels)

    def cdf(self, value, *, rng=None) -> np.ndarray:
        """Return the randomised rank of ``value`` among the draws."""
        return draws_cdf(self.draws.T, value, rng=rng)


def gamma_kl(p: tuple, q: tuple) -> np.ndarray:
    """``KL(Gamma(a1, b1) || Gamma(a2, b2))`` (shape, rate), elementwise.

    Examples
    --------
    >>> float(gamma_kl((np.array(2.0), np.array(3.0)), (np.array(2.0), np.array(3.0))))
    0.0
    """
    from scipy.special import digamma, gammaln

    (a1, b1), (a2, b2) = p, q
    return (
        (a1 - a2) * digamma(a1)
        - gammaln(a1)
        + gammaln(a2)
        + a2 * (np.log(b1) - np.log(b2))
        + a1 * (b2 - b1) / b1
    )


def mle_mse_recursion(rate: float, real_fraction, sample_size) -> np.ndarray:
    """Return the MLE's expected squared error ``E (lambda_hat_t - lambda*)^2`` under the loop.

    ``D_0 = lambda*/n_0``; ``D_t = lambda*/n_t + D_{t-1} ((1 - a_t)^2 + a_t (1 - a_t)/n_t)``.
    The fit is unbiased at every generation, so its mean squared error is its variance.

    Examples
    --------
    >>> mle_mse_recursion(2.0, np.array([1.0, 0.0]), np.array([4, 4])).tolist()
    [0.5, 1.0]
    """
    a = np.asarray(real_fraction, float)
    n = np.asarray(sample_size, float)
    out = np.empty(a.size)
    out[0] = rate / n[0]
    for t in range(1, a.size):
        keep = (1 - a[t]) ** 2 + a[t] * (1 - a[t]) / n[t]
        out[t] = rate / n[t] + out[t - 1] * keep
    return out


VARIABLES = {
    "rate_mean": (_RGEN, "fitted rate: the MLE or the posterior mean"),
    "rate_sq_error": (_RGEN, "(rate_mean - lambda*)^2"),
    "kl_truth_to_model": (_RGEN, "KL(Poisson(lambda*) || Poisson(rate_mean)) in nats"),
    "train_size": (_RGEN, "counts in the generation's training set"),
    "train_total": (_RGEN, "sum of the training counts"),
    "real_count": (_RGEN, "fresh real counts in the generation's newest batch"),
    "rate_sd": (_RGEN, "posterior standard deviation of the rate"),
    "rate_hdi_lower": (_RGEN, "lower end of the rate's HDI"),
    "rate_hdi_upper": (_RGEN, "upper end of the rate's HDI"),
    "rate_covered": (_RGEN, "1 where the HDI covers lambda*, else 0"),
    "central_coverage": ((*_RGEN, "level"), "1 where the central interval covers lambda*"),
    "pit": (_RGEN, "posterior CDF at lambda* (exact, or the randomised rank among draws)"),
    "kl_posterior_to_prev": (_RGEN, "KL(posterior_t || posterior_t-1); Gamma closed form"),
    "contraction": (_RGEN, "1 - posterior variance / prior variance of the rate"),
    **sampler_variables({"rate": (_RGEN, "the rate")}),
}


@dataclass(frozen=True)
class PoissonParams:
    """The Poisson model's own parameters: its Gamma prior."""

    prior_shape: float = param(1.0, "Gamma prior shape a0 (> 0)", prior="a0", metavar="A0")
    prior_rate: float = param(0.1, "Gamma prior rate b0 (> 0)", prior="b0", metavar="B0")


@register_family
@dataclass(frozen=True)
class Poisson(PoissonParams, SamplerSettings, FamilyFace):
    """Counts ``Poisson(lambda)`` with a ``Gamma(prior_shape, prior_rate)`` prior on the rate."""

    params: ClassVar[type] = PoissonParams
    name: ClassVar[str] = "poisson"
    default_truth: ClassVar[str] = "rate:3"
    variables: ClassVar[dict] = VARIABLES
    units: ClassVar[dict] = {"kl_truth_to_model": "nats", "kl_posterior_to_prev": "nats"}
    plot_metric: ClassVar[str] = "rate_sq_error"
    coverage_metric: ClassVar[str] = "rate_covered"
    summary_columns: ClassVar[tuple] = (
        ("(rate-rate*)^2", "rate_sq_error"),
        ("KL", "kl_truth_to_model"),
        ("rate* in HDI", "rate_covered"),
    )
    r_hat_variables: ClassVar[tuple[str, ...]] = ("rate_r_hat",)
    labels: ClassVar[dict[str, str]] = {
        "rate_sq_error": "(rate_t - rate*)^2",
        "rate_covered": "share of rate* inside the HDIs",
    }
    curve_variables: ClassVar[tuple[str, ...]] = ("rate_sq_error",)

    def __post_init__(self) -> None:
        for name in ("prior_shape", "prior_rate"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        check_sampler_settings(self)

    def make_truth(self, spec) -> float:
        """Read ``rate:L`` (or one number) into the true rate."""
        try:
            if isinstance(spec, str):
                kind, _, value = spec.partition(":")
                if kind != "rate":
                    raise ValueError
                rate = float(value)
            else:
                (rate,) = (float(x) for x in spec)
        except ValueError:
            raise ValueError(f"unknown poisson truth {spec!r}: use 'rate:L' with L > 0") from None
        if not (np.isfinite(rate) and rate > 0):
            raise ValueError(f"truth {spec!r}: the rate {rate:g} is not a finite number > 0")
        return rate

    def truth_variables(self, truth: float) -> tuple[dict, dict]:
        """Return the true rate, and the coverage levels as coords."""
        return {"truth_rate": ((), truth, {"description": "the true rate lambda*"})}, {
            "level": list(self.coverage_levels)
        }

    @property
    def dim_sizes(self) -> dict[str, int]:
        """The inner dims: the coverage levels."""
        return {"level": len(self.coverage_levels)}

    @staticmethod
    def sample_truth(truth: float, sizes, *, rng) -> PoissonStats:
        """``sizes[r]`` fresh counts from the truth."""
        return _poisson_totals(sizes, truth, rng)

    @staticmethod
    def combine(a: PoissonStats, b: PoissonStats) -> PoissonStats:
        """Return the union of two data sets."""
        return a + b

    @staticmethod
    def weigh(data: PoissonStats, weight: float) -> PoissonStats:
        """Every count counting ``weight`` (a power likelihood)."""
        return data if weight == 1 else PoissonStats(data.n * weight, data.total * weight)

    @staticmethod
    def _no_points(*_, **__):
        raise ValueError(
            "the poisson example keeps counts as (n, total), not one by one: it has no real "
            "pool to reuse and no subsample; use real_data 'fresh' and another scheme"
        )

    real_pool = subsample = resample = _no_points

    def initial_prior(self, replicates: int) -> tuple[np.ndarray, np.ndarray]:
        """Return the Gamma prior (shape, rate) per replicate."""
        return np.full(replicates, self.prior_shape), np.full(replicates, self.prior_rate)

    def record(self, fit, data, truth, previous_fit, summarise_posterior, *, rng=None) -> dict:
        """One generation's values per replicate."""
        m, stats = fit.rate_mean, data.data
        with np.errstate(divide="ignore"):
            kl = truth * (np.log(truth) - np.log(m)) - truth + m
        row = {
            "rate_mean": m,
            "rate_sq_error": (m - truth) ** 2,
            "kl_truth_to_model": kl,
            "train_size": stats.n,
            "train_total": stats.total,
            "real_count": data.real.astype(float),
        }
        if fit.bayesian and summarise_posterior:
            lower, upper = fit.hdi()
            pit = fit.cdf(truth, rng=rng)
            central = None if fit.exact_cdf else fit.central_intervals(self.coverage_levels)
            summary = calibration(
                (lower[:, None], upper[:, None]),
                None if central is None else (central[0][..., None], central[1][..., None]),
                pit[:, None],
                np.array([truth]),
                interior=np.array([True]),  # a rate has no boundary truth
                levels=self.coverage_levels,
            )
            prior_var = self.prior_shape / self.prior_rate**2
            row.update(
                rate_sd=np.sqrt(fit.rate_var),
                rate_hdi_lower=lower,
                rate_hdi_upper=upper,
                rate_covered=((lower <= truth) & (truth <= upper)).astype(float),
                central_coverage=summary["central_coverage"],
                pit=summary["pit"][:, 0],
                contraction=1 - fit.rate_var / prior_var,
            )
            if previous_fit is not None and previous_fit.bayesian:
                row["kl_posterior_to_prev"] = gamma_kl(fit.gamma, previous_fit.gamma)
        row.update(fit.diagnostics)
        return row

    @staticmethod
    def data_to_dataset(data: PoissonStats) -> xr.Dataset:
        """Return a data set as ArviZ's ``observed_data``: its statistics."""
        return xr.Dataset({"n": ("replicate", data.n), "total": ("replicate", data.total)})

    @staticmethod
    def observed_dataset(data: PoissonStats, *, rng) -> xr.Dataset:
        """Return the training counts ``y`` (replicate, item), NaN past a replicate's n.

        The fit saw ``n`` and ``total``; given them, iid Poisson counts are
        ``Multinomial(total, 1/n each)`` whatever the rate, so counts drawn so have
        exactly the statistics the fit saw (and the law of the counts themselves when
        they share one rate; a mixed set gets exchangeable counts).
        """
        n = np.asarray(data.n, dtype=np.int64)
        width = max(int(n.max(initial=0)), 1)
        cells = np.arange(width) < n[:, None]
        probs = cells / np.maximum(n, 1)[:, None]
        counts = rng.multinomial(np.asarray(data.total, dtype=np.int64), probs)
        return xr.Dataset({"y": (("replicate", "item"), np.where(cells, counts, np.nan))})

    @staticmethod
    def predictive_dataset(posterior, observed, *, rng) -> xr.Dataset:
        """One replicate of the training counts per posterior draw of the rate."""
        rate = posterior["rate"].transpose("chain", "draw", "replicate").values
        y = observed["y"]
        counts = rng.poisson(np.broadcast_to(rate[..., None], (*rate.shape, y.sizes["item"])))
        counts = np.where(np.isnan(y.values), np.nan, counts)
        return xr.Dataset({"y": (("chain", "draw", "replicate", "item"), counts)})

    @staticmethod
    def log_likelihood(posterior, observed) -> xr.Dataset:
        """Return each count's Poisson log-probability under each draw of the rate."""
        from scipy.stats import (
            poisson as poisson_law,
        )  # not at import: a run without posteriors needs no scipy

        y = observed["y"]
        cells = xr.apply_ufunc(poisson_law.logpmf, y, posterior["rate"])
        return xr.Dataset({"y": cells.transpose("chain", "draw", *y.dims)})

    def kept_values(self, config) -> int:
        """Return the rate, and the largest training set's counts twice (predictive, log-lik)."""
        return 1 + 2 * largest_training_set(config)

    @staticmethod
    def validate(ds) -> None:
        """Return the true rate is positive."""
        if not float(ds["truth_rate"]) > 0:
            raise ValueError("truth_rate must be > 0")

    def check_setting(self, setting) -> None:
        """Refuse a real pool, the subsampling scheme and any decoding, in one line."""
        if setting.real_data != "fresh" or setting.scheme == "accumulate-subsample":
            self._no_points()
        if setting.decoding.label:
            raise ValueError(
                f"decoding {setting.decoding.label!r} has no meaning for the poisson example; "
                "it writes plain counts"
            )

    # -- the face: what the core's figures and theory ask --
    @classmethod
    def path_panels(cls, ds, parameters=None) -> list[PathPanel]:
        """Return the posterior path of the rate."""
        if parameters is not None:
            raise ValueError("the poisson model has one parameter, the rate")
        truth = float(ds["truth_rate"])
        return [PathPanel("rate", {}, "rate_mean", "rate_hdi_lower", "rate_hdi_upper", truth)]

    @classmethod
    def expected_curve(cls, ds, setting: str) -> dict[str, np.ndarray] | None:
        """Return the MLE's squared error under ``mixture`` and ``replace`` (see the module)."""
        row = ds.sel(setting=setting)
        if str(row["fit_method"].values) != "mle" or str(row["scheme"].values) not in (
            "mixture",
            "replace",
        ):
            return None
        a, n = row["real_fraction"].values, row["sample_size"].values
        return {"rate_sq_error": mle_mse_recursion(float(ds["truth_rate"]), a, n)}

    # -- what its PyMC model reads and gives (see protocols.PyMCFamily) --
    pymc_variables: ClassVar[tuple[str, ...]] = ("rate",)
    pymc_data_names: ClassVar[tuple[str, ...]] = ("n", "total", "shape0", "rate0")
    pymc_prior_data: ClassVar[tuple[str, ...]] = ("shape0", "rate0")

    def model_key(self) -> tuple:
        """Return the model's graph depends on nothing but the block size."""
        return ()

    def pymc_coords(self, replicates: int) -> dict[str, np.ndarray]:
        """Coord ``replicate``."""
        return {"replicate": np.arange(replicates)}

    def pymc_data(self, data: PoissonStats, prior) -> dict[str, np.ndarray]:
        """Return the statistics and the Gamma prior, per replicate."""
        return {"n": data.n, "total": data.total, "shape0": prior[0], "rate0": prior[1]}

    def sampled_posterior(self, tree, *, prior, data, diagnostics) -> SampledRate:
        """Wrap the sampler's draws of ``rate``."""
        return SampledRate(tree, prior, data, self.hdi_prob, diagnostics)


def build_poisson_model(family: Poisson, replicates: int):
    """Return the Gamma-Poisson model on the statistics: ``total log(rate) - n rate``."""
    import pymc as pm

    ones = np.ones(replicates)
    with pm.Model(coords=family.pymc_coords(replicates)) as model:
        n = pm.Data("n", ones, dims="replicate")
        total = pm.Data("total", ones, dims="replicate")
        shape0 = pm.Data("shape0", ones, dims="replicate")
        rate0 = pm.Data("rate0", ones, dims="replicate")
        rate = pm.Gamma("rate", alpha=shape0, beta=rate0, dims="replicate")
        pm.Potential("_likelihood", total * pm.math.log(rate) - n * rate)
    return model


@dataclass(frozen=True)
class _MLEFitter:
    def fit(self, data: PoissonStats, *, prior, rng) -> PointRate:
        if np.any(data.n <= 0):
            raise ValueError("a training set of 0 counts has no MLE of the rate")
        return PointRate(data.total / data.n)


@dataclass(frozen=True)
class _ConjugateFitter:
    hdi_prob: float

    def fit(self, data: PoissonStats, *, prior, rng) -> GammaPosterior:
        return GammaPosterior(prior[0] + data.total, prior[1] + data.n, self.hdi_prob, prior)


register_method(
    "poisson", "mle", lambda fam, r: _MLEFitter(), bayesian=False, description="total / n"
)
register_method(
    "poisson",
    "conjugate",
    lambda fam, r: _ConjugateFitter(fam.hdi_prob),
    bayesian=True,
    description="the exact Gamma posterior",
)
register_pymc_model(
    "poisson",
    "pymc",
    build_poisson_model,
    carry=True,
    description="the Gamma-Poisson model sampled with NUTS",
)
