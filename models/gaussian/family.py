"""Gaussian model with unknown mean and variance: the family, its data and its fits.

A training set is its sufficient statistics per replicate: ``n``, the mean and ``m2``,
the sum of squared deviations. Analytic facts (checked by the tests):

- MLE: ``mu = mean``, ``sigma2 = m2 / n``; ``unbiased``: ``sigma2 = m2 / (n - 1)``.
- Normal-Inverse-Gamma prior ``mu | sigma2 ~ N(mu0, sigma2 / kappa0)``,
  ``sigma2 ~ InvGamma(alpha0, beta0)``; posterior ``kappa_n = kappa0 + n``,
  ``mu_n = (kappa0 mu0 + n mean) / kappa_n``, ``alpha_n = alpha0 + n / 2``,
  ``beta_n = beta0 + m2 / 2 + kappa0 n (mean - mu0)^2 / (2 kappa_n)``. Marginals:
  ``sigma2 ~ InvGamma(alpha_n, beta_n)``, ``mu ~ t_{2 alpha_n}(mu_n, beta_n / (alpha_n kappa_n))``;
  the predictive of one point is ``t_{2 alpha_n}(mu_n, beta_n (kappa_n + 1) / (alpha_n kappa_n))``.
- Jeffreys prior ``p(mu, sigma2) ~ 1 / sigma2`` is the limit ``kappa0 = 0``,
  ``alpha0 = -1/2``, ``beta0 = 0`` of the same update: ``sigma2 ~ InvGamma((n-1)/2, m2/2)``,
  ``mu | sigma2 ~ N(mean, sigma2 / n)``.
- Sampling ``m`` points of ``N(mu, s^2)`` gives ``mean ~ N(mu, s^2 / m)`` and
  ``m2 ~ s^2 chi2(m - 1)``, independent: the loop draws these exactly, without points,
  except in mode ``predictive`` (a fresh parameter draw per point), where it draws points.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import xarray as xr

from bayescollapse.errors import InputError
from bayescollapse.models.curation import Curation, curated_points, point_rewards
from bayescollapse.models.decoding import check_gaussian_decoding
from bayescollapse.models.face import FamilyFace, PathPanel, largest_training_set
from bayescollapse.models.gaussian.fits import (
    GaussianPool,
    GaussianStats,
    GaussianTruth,
    NIGPosterior,
    PointGaussian,
    SampledGaussian,
    nig_update,
    points_given_stats,
)
from bayescollapse.models.gaussian.record import UNITS, VARIABLES, gaussian_record
from bayescollapse.models.params import param
from bayescollapse.models.registry import register_family, register_method, register_pymc_model
from bayescollapse.models.sampling import SamplerSettings, check_sampler_settings

__all__ = [
    "Gaussian",
    "GaussianStats",
    "GaussianTruth",
    "NIGPosterior",
    "PRIORS",
    "PointGaussian",
    "SampledGaussian",
    "nig_update",
]

PRIORS = ("nig", "jeffreys", "weakly-informative")


@dataclass(frozen=True)
class GaussianParams:
    """The Gaussian model's own parameters: its prior (flags and TOML keys derive from them)."""

    prior: str = param(
        "nig",
        "nig (conjugate and pymc) | jeffreys (conjugate) | weakly-informative (pymc)",
        choices=PRIORS,
        prior="prior",
    )
    prior_mean: float = param(0.0, "NIG mu0, or the weakly informative mean", prior="mu0")
    prior_kappa: float = param(0.01, "NIG kappa0 (> 0)", prior="kappa0")
    prior_alpha: float = param(1.0, "NIG alpha0 (> 0)", prior="alpha0")
    prior_beta: float = param(1.0, "NIG beta0 (> 0)", prior="beta0")
    prior_mu_sd: float = param(10.0, "weakly informative sd of mu (> 0)", prior="mu_sd")
    prior_sigma_scale: float = param(
        10.0, "weakly informative HalfNormal scale of sigma (> 0)", prior="sigma_scale"
    )


@register_family
@dataclass(frozen=True)
class Gaussian(GaussianParams, SamplerSettings, FamilyFace):
    """Normal model ``N(mu, sigma^2)`` with unknown mean and variance.

    Parameters
    ----------
    prior : {"nig", "jeffreys", "weakly-informative"}
        ``nig``: Normal-Inverse-Gamma with ``prior_mean``, ``prior_kappa``,
        ``prior_alpha``, ``prior_beta`` (conjugate and pymc). ``jeffreys``:
        ``p(mu, sigma2) ~ 1/sigma2`` (conjugate only). ``weakly-informative``:
        ``mu ~ N(prior_mean, prior_mu_sd)``, ``sigma ~ HalfNormal(prior_sigma_scale)``
        (pymc only).
    prior_mean, prior_kappa, prior_alpha, prior_beta : float
        NIG hyperparameters.
    prior_mu_sd, prior_sigma_scale : float
        Scales of the weakly informative PyMC prior.
    draws, tune, chains, target_accept : NUTS settings of the ``pymc`` path.
    hdi_prob : float
        Probability of the reported HDIs.
    """

    params: ClassVar[type] = GaussianParams
    labels: ClassVar[dict[str, str]] = {
        "sigma2_mean": "fitted variance sigma_t^2",
        "mu_sq_error": "(mu_t - mu*)^2",
        "sigma_covered": "share of sigma* inside the HDIs",
    }
    curve_variables: ClassVar[tuple[str, ...]] = ("mu_sq_error", "sigma2_mean")
    name: ClassVar[str] = "gaussian"
    r_hat_variables: ClassVar[tuple[str, ...]] = ("mu_r_hat", "sigma_r_hat")
    units: ClassVar[dict] = UNITS
    default_truth: ClassVar[str] = "normal:0:1"
    variables: ClassVar[dict] = VARIABLES
    plot_metric: ClassVar[str] = "sigma2_mean"
    #: what a weighted refit is about (Bertrand et al.'s weighting shrinks the mean's error)
    weighted_metric: ClassVar[str] = "mu_sq_error"
    coverage_metric: ClassVar[str] = "sigma_covered"
    summary_columns: ClassVar[tuple[tuple[str, str], ...]] = (
        ("|mu-mu*|", "abs_mu_error"),
        ("sigma/sigma*", "sigma_ratio"),
        ("KL(N*||N)", "kl_truth_to_model"),
        ("W2", "w2_to_truth"),
        ("mu* in HDI", "mu_covered"),
        ("sigma* in HDI", "sigma_covered"),
    )

    @classmethod
    def path_panels(cls, ds, parameters=None) -> list[PathPanel]:
        """Return the posterior paths of mu and sigma (``parameters``: refused, there are two)."""
        if parameters is not None:
            raise ValueError("the gaussian model draws mu and sigma; it has no tokens to choose")
        return [
            PathPanel(
                v, {}, f"{v}_mean", f"{v}_hdi_lower", f"{v}_hdi_upper", float(ds[f"truth_{v}"])
            )
            for v in ("mu", "sigma")
        ]

    @classmethod
    def expected_curve(cls, ds, setting: str) -> dict[str, np.ndarray] | None:
        """Return the exact expected ``mu_sq_error`` and ``sigma2_mean`` of point fits, or None.

        ``mle`` and ``unbiased`` under ``mixture`` and ``replace``
        (:func:`~bayescollapse.theory.closed_forms.gaussian_mle_moments`).
        """
        from bayescollapse.theory.closed_forms import gaussian_mle_moments

        row = ds.sel(setting=setting)
        method = str(row["fit_method"].values)
        if str(row["scheme"].values) not in ("mixture", "replace") or method not in (
            "mle",
            "unbiased",
        ):
            return None
        moments = gaussian_mle_moments(
            float(ds["truth_mu"]),
            float(ds["truth_sigma"]) ** 2,
            row["real_fraction"].values,
            row["sample_size"].values,
            ddof=int(method == "unbiased"),
        )
        return {"mu_sq_error": moments["mean_sq_error"], "sigma2_mean": moments["variance"]}

    def working_memory(self, config) -> int:
        """Return the default, plus the points of the ``predictive`` mode (block x n_t)."""
        out = super().working_memory(config)
        if any(s.bayesian and s.synthetic == "predictive" for s in config.settings):
            out += 8 * 4 * config.replicate_block * int(config.schedule_values()[1].max())
        return out

    def __post_init__(self) -> None:
        if self.prior not in PRIORS:
            raise ValueError(f"prior {self.prior!r} is not one of {', '.join(PRIORS)}")
        if self.prior == "nig":
            for name in ("prior_kappa", "prior_alpha", "prior_beta"):
                if not getattr(self, name) > 0:
                    raise ValueError(
                        f"{name} must be > 0 for the NIG prior, got {getattr(self, name)!r}"
                    )
        for name in ("prior_mu_sd", "prior_sigma_scale"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        check_sampler_settings(self)

    def make_truth(self, spec) -> GaussianTruth:
        """Read ``normal:MU:SIGMA`` (or a pair of numbers) into the truth."""
        if isinstance(spec, str):
            name, _, rest = spec.partition(":")
            parts = rest.split(":") if rest else []
            try:
                if name != "normal" or len(parts) != 2:
                    raise ValueError
                mu, sigma = float(parts[0]), float(parts[1])
            except ValueError:
                raise ValueError(f"unknown truth {spec!r}: use 'normal:MU:SIGMA'") from None
        else:
            values = [float(x) for x in spec]
            if len(values) != 2:
                raise ValueError(f"a Gaussian truth is (mu, sigma), got {spec!r}")
            mu, sigma = values
        if not np.isfinite(mu):
            raise ValueError(f"truth {spec!r}: the true mean {mu:g} is not a finite number")
        if not (np.isfinite(sigma) and sigma > 0):
            raise ValueError(f"truth {spec!r}: the true sigma {sigma:g} is not a finite number > 0")
        return GaussianTruth(mu, sigma)

    def truth_variables(self, truth: GaussianTruth) -> tuple[dict, dict]:
        """Return the data variables and coords that record the truth in the results."""
        return {
            "truth_mu": ((), truth.mu, {"description": "the true mean"}),
            "truth_sigma": ((), truth.sigma, {"description": "the true standard deviation"}),
        }, {"level": list(self.coverage_levels), "parameter": ["mu", "sigma"]}

    @property
    def dim_sizes(self) -> dict[str, int]:
        """Sizes of the family's inner dims."""
        return {"level": len(self.coverage_levels), "parameter": 2}

    @staticmethod
    def sample_truth(truth: GaussianTruth, sizes: np.ndarray, *, rng) -> GaussianStats:
        """Draw the statistics of ``sizes[r]`` fresh points from the truth."""
        return GaussianStats.of_normal(truth.mu, truth.sigma, sizes, rng=rng)

    @staticmethod
    def combine(a: GaussianStats, b: GaussianStats) -> GaussianStats:
        """Return the statistics of the union of two data sets."""
        return a + b

    @staticmethod
    def real_pool(truth: GaussianTruth, sizes: np.ndarray, *, rng) -> tuple:
        """Draw a fixed real pool as points (generation 0 of ``real_data`` fixed/resampled).

        Returns the pool and generation 0's training data (the pool's statistics). The
        points are drawn from the real-data stream like fresh statistics are, but not the
        same draws: generation 0 of a pooled setting is not paired with a fresh one's.
        """
        width = int(np.max(sizes))
        points = truth.mu + truth.sigma * rng.standard_normal((len(sizes), width))
        pool = GaussianPool(points)
        return pool, pool.stats

    @staticmethod
    def subsample(pool, sizes, *, rng):
        """Points drawn without replacement from a fixed real pool.

        Refused for an accumulated pool of statistics (``accumulate-subsample``), whose
        subsample is not determined by its statistics.
        """
        if isinstance(pool, GaussianPool):
            return pool.draw(sizes, replace=False, rng=rng)
        raise ValueError(
            "scheme 'accumulate-subsample' needs individual points, which the gaussian model "
            "does not keep; use 'accumulate' or 'mixture'"
        )

    @staticmethod
    def resample(pool: GaussianPool, sizes, *, rng) -> GaussianStats:
        """Points drawn with replacement from a fixed real pool."""
        return pool.draw(sizes, replace=True, rng=rng)

    @staticmethod
    def weigh(data: GaussianStats, weight: float) -> GaussianStats:
        """Return the statistics with every point counting ``weight``: ``n`` and ``m2`` scaled.

        Combined with :meth:`combine`, this gives the weighted mean and the weighted sum of
        squares about it, the sufficient statistics of a power likelihood.
        """
        if weight == 1:
            return data
        return GaussianStats(data.n * float(weight), data.mean, data.m2 * float(weight))

    def record(
        self, fit, data, truth, previous_fit, summarise_posterior: bool, *, rng=None
    ) -> dict:
        """One generation's row of results (see :func:`gaussian_record`)."""
        return gaussian_record(
            fit,
            data,
            truth,
            previous_fit,
            summarise_posterior,
            levels=self.coverage_levels,
            prior_mu_var=self._prior_mu_var(fit),
            rng=rng,
        )

    def curation_of(self, setting, truth):
        """Return the setting's curation, its reward a function of x (default ``linear:1``)."""
        curation = Curation.parse(setting.curation)
        if curation.plain:
            return curation
        return curation.resolved(point_rewards(setting.reward or "linear:1"))

    @staticmethod
    def curate(fit, sizes, curation, *, mode, rng, decoding) -> tuple:
        """Keep the curated points among the fit's candidates (see ``curated_points``)."""
        law = fit.point_law(mode=mode, rng=rng, decoding=decoding)
        kept, report = curated_points(lambda shape: law.points(shape, rng), sizes, curation, rng)
        return GaussianStats.of_points(kept, sizes), report

    @staticmethod
    def truth_reward(curation, truth) -> float:
        """Return ``E r(X)`` under the true normal."""
        return float(curation.values.normal_mean(truth.mu, truth.sigma))

    @staticmethod
    def curation_record(fit, curation, data, truth) -> dict:
        """Return ``E r(X)`` under the fitted normal, and the filter's acceptance rate."""
        row = {"reward_mean": curation.values.normal_mean(fit.mu_mean, fit.sigma_mean)}
        row.update(data.curated or {})
        return row

    def _prior_mu_var(self, fit):
        """Prior variance of mu of this fit (None where it is not finite)."""
        if self.prior == "weakly-informative":
            return np.full(fit.mu_mean.shape, self.prior_mu_sd**2)
        prior = fit.prior if fit.bayesian else None
        if self.prior == "jeffreys" or prior is None:
            return None
        _, kappa0, alpha0, beta0 = prior
        with np.errstate(divide="ignore"):
            return np.where(alpha0 > 1, beta0 / ((alpha0 - 1) * kappa0), np.inf)

    def check_setting(self, setting) -> None:
        """Refuse settings this family cannot run (named in a one-line error)."""
        if setting.scheme == "accumulate-subsample":
            self.subsample(None, None, rng=None)
        check_gaussian_decoding(setting)
        if setting.method == "conjugate" and self.prior == "weakly-informative":
            raise ValueError(
                "prior 'weakly-informative' is for the pymc method; the "
                "conjugate method takes prior 'nig' or 'jeffreys'"
            )
        if setting.method == "pymc" and self.prior == "jeffreys":
            raise ValueError(
                "prior 'jeffreys' is improper and conjugate-only; "
                "the pymc method takes prior 'nig' or 'weakly-informative'"
            )
        if setting.prior_update == "carry" and self.prior != "nig" and setting.method == "pymc":
            raise ValueError(
                f"prior_update 'carry' with pymc needs prior 'nig' (a posterior in the prior's "
                f"family), not {self.prior!r}"
            )

    @staticmethod
    def data_to_dataset(stats: GaussianStats) -> xr.Dataset:
        """Return a data set as an ArviZ-style group: its sufficient statistics."""
        return xr.Dataset(
            {name: ("replicate", getattr(stats, name)) for name in ("n", "mean", "m2")}
        )

    @staticmethod
    def validate(ds) -> None:
        """Family-specific checks of a results dataset."""
        if not bool((ds["truth_sigma"] > 0).all()):
            raise ValueError("truth_sigma must be > 0")

    def initial_prior(self, replicates: int) -> tuple[np.ndarray, ...]:
        """Return the NIG prior parameters per replicate (Jeffreys: the improper limit)."""
        if self.prior == "jeffreys":
            values = (0.0, 0.0, -0.5, 0.0)
        else:
            values = (self.prior_mean, self.prior_kappa, self.prior_alpha, self.prior_beta)
        return tuple(np.full(replicates, float(v)) for v in values)

    @staticmethod
    def observed_dataset(stats: GaussianStats, *, rng) -> xr.Dataset:
        """Return the training points ``x`` (replicate, point), NaN past a replicate's n.

        The fit saw only the sufficient statistics; the points are drawn given them
        (:func:`~bayescollapse.models.gaussian.fits.points_given_stats`), so they have
        exactly the statistics the fit saw (and the law of real points when the set's
        points share one law).
        """
        return xr.Dataset({"x": (("replicate", "point"), points_given_stats(stats, rng))})

    @staticmethod
    def predictive_dataset(posterior, observed, *, rng) -> xr.Dataset:
        """Draw posterior predictive points: for each draw of (mu, sigma), ``n_r`` points."""
        mu = posterior["mu"].transpose("chain", "draw", "replicate")
        sigma = posterior["sigma"].transpose("chain", "draw", "replicate")
        x = observed["x"]
        z = rng.standard_normal((*mu.shape, x.sizes["point"]))
        points = mu.values[..., None] + sigma.values[..., None] * z
        points = np.where(np.isnan(x.values), np.nan, points)
        return xr.Dataset({"x": (("chain", "draw", "replicate", "point"), points)})

    @staticmethod
    def log_likelihood(posterior, observed) -> xr.Dataset:
        """Return each point's log-density under each draw of (mu, sigma) (NaN padding kept)."""
        from scipy.stats import norm  # not at import: a run without posteriors needs no scipy

        x = observed["x"]
        cells = xr.apply_ufunc(norm.logpdf, x, posterior["mu"], posterior["sigma"])
        return xr.Dataset({"x": cells.transpose("chain", "draw", *x.dims)})

    def kept_values(self, config) -> int:
        """Return mu, sigma and the largest training set's points twice (predictive and log-lik)."""
        return 2 + 2 * largest_training_set(config)

    # -- what PyMC models of the family read and give (see protocols.PyMCFamily) --
    pymc_variables: ClassVar[tuple[str, ...]] = ("mu", "sigma")
    pymc_data_names: ClassVar[tuple[str, ...]] = (
        "n",
        "mean",
        "m2",
        "mu0",
        "kappa0",
        "alpha0",
        "beta0",
        "mu_sd",
        "sigma_scale",
    )
    pymc_prior_data: ClassVar[tuple[str, ...]] = ("mu0", "kappa0", "alpha0", "beta0")

    def model_key(self) -> tuple:
        """Return what a built model depends on: the kind of prior (its values are data)."""
        return (self.prior,)

    def pymc_coords(self, replicates: int) -> dict[str, np.ndarray]:
        """Coord ``replicate`` of a block's model."""
        return {"replicate": np.arange(replicates)}

    def pymc_data(self, data: GaussianStats, prior) -> dict[str, np.ndarray]:
        """Return every data input a model may declare.

        The statistics ``n``, ``mean``, ``m2``; the NIG prior ``mu0``, ``kappa0``,
        ``alpha0``, ``beta0``; the weakly informative prior's ``mu_sd`` and ``sigma_scale``
        (its mean is ``mu0``).
        """
        size = data.n.shape
        return {
            "n": data.n.astype(float),
            "mean": data.mean,
            "m2": data.m2,
            **dict(zip(("mu0", "kappa0", "alpha0", "beta0"), prior, strict=True)),
            "mu_sd": np.full(size, float(self.prior_mu_sd)),
            "sigma_scale": np.full(size, float(self.prior_sigma_scale)),
        }

    def sampled_posterior(self, tree, *, prior, data, diagnostics):
        """Wrap a sampler's draws of ``mu`` and ``sigma`` as a posterior fit."""
        nig_prior = prior if self.prior == "nig" else None
        return SampledGaussian(tree, nig_prior, data, self.hdi_prob, diagnostics)


@dataclass(frozen=True)
class _PointFitter:
    ddof: int

    def fit(self, data: GaussianStats, *, prior, rng) -> PointGaussian:
        if np.any(data.n < 1 + self.ddof):
            smallest = int(data.n.min())
            raise InputError(
                f"a training set of {smallest} point(s) is too small for the "
                f"{'unbiased' if self.ddof else 'mle'} variance (needs >= {1 + self.ddof})"
            )
        return PointGaussian(data.mean.copy(), data.m2 / (data.n - self.ddof))


@dataclass(frozen=True)
class _NIGFitter:
    hdi_prob: float

    def fit(self, data: GaussianStats, *, prior, rng) -> NIGPosterior:
        mu, kappa, alpha, beta = nig_update(prior, data)
        if np.any(alpha <= 0) or np.any(kappa <= 0):
            raise InputError("the Jeffreys posterior needs training sets of >= 2 points")
        return NIGPosterior(mu, kappa, alpha, beta, hdi_prob=self.hdi_prob, prior=prior)


register_method(
    Gaussian.name,
    "mle",
    lambda family, replicates: _PointFitter(ddof=0),
    bayesian=False,
    description="sample mean and variance (divisor n)",
)
register_method(
    Gaussian.name,
    "unbiased",
    lambda family, replicates: _PointFitter(ddof=1),
    bayesian=False,
    description="sample mean and unbiased variance (divisor n - 1)",
)
register_method(
    Gaussian.name,
    "conjugate",
    lambda family, replicates: _NIGFitter(family.hdi_prob),
    bayesian=True,
    description="the exact Normal-Inverse-Gamma (or Jeffreys) posterior",
)
register_pymc_model(
    Gaussian.name,
    "pymc",
    "bayescollapse.models.gaussian.pymc_models:build_gaussian_model",
    carry=True,
    description="the normal model in PyMC (NIG or weakly informative prior), NUTS via nutpie",
)
