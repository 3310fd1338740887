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

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import xarray as xr
from scipy.special import gammaincc, gammaincinv, gammaln, stdtr, stdtrit

from bayescollapse.metrics import unimodal_hdi
from bayescollapse.models.categorical import SYNTHETIC_MODES, _check_mode
from bayescollapse.models.gaussian_metrics import VARIABLES, gaussian_record, nig_kl
from bayescollapse.models.sampling import SamplerSettings, check_sampler_settings

__all__ = ["Gaussian", "GaussianStats", "GaussianTruth", "NIGPosterior", "PointGaussian"]

METHODS = ("mle", "unbiased", "conjugate", "pymc")
PRIORS = ("nig", "jeffreys", "weakly-informative")


@dataclass(frozen=True)
class GaussianTruth:
    """The true ``N(mu, sigma^2)``."""

    mu: float
    sigma: float


@dataclass(frozen=True)
class GaussianStats:
    """Sufficient statistics per replicate: ``n``, ``mean`` and ``m2`` (each shape (R,))."""

    n: np.ndarray
    mean: np.ndarray
    m2: np.ndarray

    @staticmethod
    def of_normal(mu, sigma, sizes, *, rng: np.random.Generator) -> GaussianStats:
        """Draw the exact statistics of ``sizes[r]`` points of ``N(mu[r], sigma[r]^2)``."""
        n = np.asarray(sizes, dtype=np.int64)
        mu, sigma = np.broadcast_to(mu, n.shape), np.broadcast_to(sigma, n.shape)
        z = rng.standard_normal(n.shape)
        chi2 = 2.0 * rng.standard_gamma(np.maximum(n - 1, 0) / 2.0)  # chi2(n - 1); 0 when n <= 1
        mean = np.where(n > 0, mu + sigma * z / np.sqrt(np.maximum(n, 1)), 0.0)
        return GaussianStats(n, mean, sigma**2 * chi2)

    @staticmethod
    def of_points(points: np.ndarray, sizes: np.ndarray) -> GaussianStats:
        """Statistics of the first ``sizes[r]`` entries of each row of ``points`` (R, N)."""
        n = np.asarray(sizes, dtype=np.int64)
        mask = np.arange(points.shape[1]) < n[:, None]
        mean = np.where(mask, points, 0.0).sum(axis=1) / np.maximum(n, 1)
        m2 = np.where(mask, (points - mean[:, None]) ** 2, 0.0).sum(axis=1)
        return GaussianStats(n, mean, m2)

    def __add__(self, other: GaussianStats) -> GaussianStats:
        """Statistics of the union of two data sets (pooled mean and sum of squares)."""
        n = self.n + other.n
        delta = other.mean - self.mean
        safe = np.maximum(n, 1)
        mean = self.mean + delta * other.n / safe
        m2 = self.m2 + other.m2 + delta**2 * self.n * other.n / safe
        return GaussianStats(n, mean, m2)


def _predictive_points(sizes, draw, rng) -> GaussianStats:
    """Draw ``sizes[r]`` points per replicate, each with ``draw(shape)`` -> points."""
    sizes = np.asarray(sizes, dtype=np.int64)
    points = draw((sizes.size, max(int(sizes.max(initial=0)), 1)))
    return GaussianStats.of_points(points, sizes)


@dataclass(frozen=True)
class PointGaussian:
    """A point estimate ``N(mu, sigma2)`` per replicate (MLE or unbiased)."""

    mu: np.ndarray
    sigma2: np.ndarray
    bayesian: ClassVar[bool] = False

    @property
    def mu_mean(self) -> np.ndarray:
        """The fitted mean."""
        return self.mu

    @property
    def sigma2_mean(self) -> np.ndarray:
        """The fitted variance."""
        return self.sigma2

    @property
    def sigma_mean(self) -> np.ndarray:
        """The fitted standard deviation."""
        return np.sqrt(self.sigma2)

    def synthetic(self, sizes: np.ndarray, *, mode: str, rng: np.random.Generator) -> GaussianStats:
        """Draw ``sizes[r]`` points from the fitted normal (every mode is plug-in here)."""
        _check_mode(mode)
        return GaussianStats.of_normal(self.mu, np.sqrt(self.sigma2), sizes, rng=rng)


def _invgamma_sqrt_ppf(q, alpha, beta):
    """Quantile of sigma when sigma2 ~ InvGamma(alpha, beta)."""
    with np.errstate(divide="ignore"):
        return np.sqrt(beta / gammaincinv(alpha, 1.0 - q))


def _invgamma_sqrt_logpdf(s, alpha, beta):
    """Log-density of sigma (up to a constant) when sigma2 ~ InvGamma(alpha, beta)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = -(2 * alpha + 1) * np.log(s) - beta / s**2
    return np.where((s > 0) & np.isfinite(s), out, -np.inf)


@dataclass(frozen=True)
class NIGPosterior:
    """Exact Normal-Inverse-Gamma posterior per replicate: ``(mu, kappa, alpha, beta)``."""

    mu: np.ndarray
    kappa: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    hdi_prob: float = 0.94
    prior: tuple | None = None
    diagnostics: dict = field(default_factory=dict)
    bayesian: ClassVar[bool] = True

    @property
    def mu_mean(self) -> np.ndarray:
        """Posterior mean of mu."""
        return self.mu

    @property
    def sigma2_mean(self) -> np.ndarray:
        """Posterior mean of sigma2, ``beta / (alpha - 1)`` (inf for ``alpha <= 1``)."""
        with np.errstate(divide="ignore"):
            return np.where(self.alpha > 1, self.beta / (self.alpha - 1), np.inf)

    @property
    def sigma_mean(self) -> np.ndarray:
        """Posterior mean of sigma, ``sqrt(beta) Gamma(alpha - 1/2) / Gamma(alpha)``."""
        return np.sqrt(self.beta) * np.exp(gammaln(self.alpha - 0.5) - gammaln(self.alpha))

    @property
    def nig(self) -> tuple[np.ndarray, ...]:
        """The NIG parameters (exact here)."""
        return self.mu, self.kappa, self.alpha, self.beta

    @property
    def carried_prior(self) -> tuple[np.ndarray, ...]:
        """The prior of the next generation under ``prior_update='carry'``."""
        return self.nig

    def _mu_scale(self) -> np.ndarray:
        return np.sqrt(self.beta / (self.alpha * self.kappa))

    @property
    def mu_var(self) -> np.ndarray:
        """Posterior variance of mu, ``beta / ((alpha - 1) kappa)``."""
        with np.errstate(divide="ignore"):
            return np.where(self.alpha > 1, self.beta / ((self.alpha - 1) * self.kappa), np.inf)

    def central_intervals(self, levels) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Exact central credible intervals of mu and sigma, each of shape (level, R)."""
        q = np.asarray(levels, float)[:, None]
        half = stdtrit(2 * self.alpha, (1 + q) / 2) * self._mu_scale()
        lo_sigma = _invgamma_sqrt_ppf((1 - q) / 2, self.alpha, self.beta)
        hi_sigma = _invgamma_sqrt_ppf((1 + q) / 2, self.alpha, self.beta)
        return {"mu": (self.mu - half, self.mu + half), "sigma": (lo_sigma, hi_sigma)}

    def cdf(self, truth, *, rng=None) -> dict[str, np.ndarray]:
        """Posterior CDFs of mu and sigma at the true values (the PIT), each (R,); exact."""
        return {
            "mu": stdtr(2 * self.alpha, (truth.mu - self.mu) / self._mu_scale()),
            "sigma": gammaincc(self.alpha, self.beta / truth.sigma**2),
        }

    def hdi(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Exact HDIs of mu (Student-t, symmetric) and sigma (from the inverse gamma)."""
        scale = np.sqrt(self.beta / (self.alpha * self.kappa))
        half = stdtrit(2 * self.alpha, 0.5 + self.hdi_prob / 2) * scale
        sigma = unimodal_hdi(
            _invgamma_sqrt_ppf, _invgamma_sqrt_logpdf, (self.alpha, self.beta), self.hdi_prob
        )
        return {"mu": (self.mu - half, self.mu + half), "sigma": sigma}

    def posterior_groups(self, *, draws: int, chains: int, rng) -> dict:
        """ArviZ ``posterior`` group for storage: exact draws of (mu, sigma)."""
        shape = (chains, draws, *self.mu.shape)
        sigma2 = self.beta / rng.standard_gamma(np.broadcast_to(self.alpha, shape))
        mu = self.mu + np.sqrt(sigma2 / self.kappa) * rng.standard_normal(shape)
        dims = ("chain", "draw", "replicate")
        return {"posterior": xr.Dataset({"mu": (dims, mu), "sigma": (dims, np.sqrt(sigma2))})}

    def synthetic(self, sizes: np.ndarray, *, mode: str, rng: np.random.Generator) -> GaussianStats:
        """Draw ``sizes[r]`` synthetic points per replicate from the posterior predictive.

        ``ancestral``: one ``(mu, sigma2)`` posterior draw per replicate writes the set
        (exact statistics). ``plugin``: ``N(mu_n, E sigma2)``. ``predictive``: each point
        from the Student-t predictive (a fresh parameter draw per point), as points.
        """
        _check_mode(mode)
        if mode == "ancestral":
            sigma2 = self.beta / rng.standard_gamma(self.alpha)
            mu = self.mu + np.sqrt(sigma2 / self.kappa) * rng.standard_normal(self.mu.shape)
            return GaussianStats.of_normal(mu, np.sqrt(sigma2), sizes, rng=rng)
        if mode == "plugin":
            return GaussianStats.of_normal(self.mu, np.sqrt(self.sigma2_mean), sizes, rng=rng)
        scale = np.sqrt(self.beta * (self.kappa + 1) / (self.alpha * self.kappa))
        df = 2 * self.alpha

        def draw(shape):
            return self.mu[:, None] + scale[:, None] * rng.standard_t(df[:, None], size=shape)

        return _predictive_points(sizes, draw, rng)


@dataclass(frozen=True)
class Gaussian(SamplerSettings):
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

    prior: str = "nig"
    prior_mean: float = 0.0
    prior_kappa: float = 0.01
    prior_alpha: float = 1.0
    prior_beta: float = 1.0
    prior_mu_sd: float = 10.0
    prior_sigma_scale: float = 10.0
    name: ClassVar[str] = "gaussian"
    prior_fields: ClassVar[tuple[str, ...]] = (
        "prior",
        "prior_mean",
        "prior_kappa",
        "prior_alpha",
        "prior_beta",
        "prior_mu_sd",
        "prior_sigma_scale",
    )
    r_hat_variables: ClassVar[tuple[str, ...]] = ("mu_r_hat", "sigma_r_hat")
    methods: ClassVar[tuple[str, ...]] = METHODS
    default_truth: ClassVar[str] = "normal:0:1"
    variables: ClassVar[dict] = VARIABLES
    plot_metric: ClassVar[str] = "sigma2_mean"
    coverage_metric: ClassVar[str] = "sigma_covered"
    summary_columns: ClassVar[tuple[tuple[str, str], ...]] = (
        ("|mu-mu*|", "abs_mu_error"),
        ("sigma/sigma*", "sigma_ratio"),
        ("KL(N*||N)", "kl_truth_to_model"),
        ("W2", "w2_to_truth"),
        ("mu* in HDI", "mu_covered"),
        ("sigma* in HDI", "sigma_covered"),
    )

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
        if not (np.isfinite(mu) and np.isfinite(sigma) and sigma > 0):
            raise ValueError(f"the true sigma must be finite and > 0, got {sigma:g} (mu {mu:g})")
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
    def subsample(pool, sizes, *, rng):
        """Refuse: a subsample's statistics are not determined by the pool's statistics."""
        raise ValueError(
            "scheme 'accumulate-subsample' needs individual points, which the gaussian model "
            "does not keep; use 'accumulate' or 'mixture'"
        )

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

    def _prior_mu_var(self, fit):
        """Prior variance of mu of this fit (None where it is not finite)."""
        if self.prior == "weakly-informative":
            return np.full(fit.mu_mean.shape, self.prior_mu_sd**2)
        prior = getattr(fit, "prior", None)
        if self.prior == "jeffreys" or prior is None:
            return None
        _, kappa0, alpha0, beta0 = prior
        with np.errstate(divide="ignore"):
            return np.where(alpha0 > 1, beta0 / ((alpha0 - 1) * kappa0), np.inf)

    def check_setting(self, setting) -> None:
        """Refuse settings this family cannot run (named in a one-line error)."""
        if setting.scheme == "accumulate-subsample":
            self.subsample(None, None, rng=None)
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

    def fitter(self, method: str, replicates: int):
        """Return a fitter for ``method``, set up once for blocks of ``replicates``."""
        if method in ("mle", "unbiased"):
            return _PointFitter(ddof=0 if method == "mle" else 1)
        if method == "conjugate":
            if self.prior == "weakly-informative":
                raise ValueError(
                    "prior 'weakly-informative' is for the pymc method; the "
                    "conjugate method takes prior 'nig' or 'jeffreys'"
                )
            return _NIGFitter(self.hdi_prob)
        if method == "pymc":
            if self.prior == "jeffreys":
                raise ValueError(
                    "prior 'jeffreys' is improper and conjugate-only; "
                    "the pymc method takes prior 'nig' or 'weakly-informative'"
                )
            from bayescollapse.models.gaussian_pymc import PyMCGaussianFitter

            return PyMCGaussianFitter(self, replicates)
        raise ValueError(f"method {method!r} is not one of {', '.join(METHODS)}")


@dataclass(frozen=True)
class _PointFitter:
    ddof: int

    def fit(self, data: GaussianStats, *, prior, rng) -> PointGaussian:
        if np.any(data.n < 1 + self.ddof):
            smallest = int(data.n.min())
            raise ValueError(
                f"a training set of {smallest} point(s) is too small for the "
                f"{'unbiased' if self.ddof else 'mle'} variance (needs >= {1 + self.ddof})"
            )
        return PointGaussian(data.mean.copy(), data.m2 / (data.n - self.ddof))


@dataclass(frozen=True)
class _NIGFitter:
    hdi_prob: float

    def fit(self, data: GaussianStats, *, prior, rng) -> NIGPosterior:
        mu0, kappa0, alpha0, beta0 = prior
        n = data.n
        kappa = kappa0 + n
        alpha = alpha0 + n / 2
        if np.any(alpha <= 0) or np.any(kappa <= 0):
            raise ValueError("the Jeffreys posterior needs training sets of >= 2 points")
        mu = (kappa0 * mu0 + n * data.mean) / kappa
        beta = beta0 + data.m2 / 2 + kappa0 * n * (data.mean - mu0) ** 2 / (2 * kappa)
        return NIGPosterior(mu, kappa, alpha, beta, hdi_prob=self.hdi_prob, prior=prior)


__all__ += ["METHODS", "PRIORS", "SYNTHETIC_MODES", "nig_kl"]
