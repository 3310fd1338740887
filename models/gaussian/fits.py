"""Fits of the Gaussian family: its data, point estimates and posteriors.

- :class:`GaussianStats`: a training set as its sufficient statistics ``(n, mean, m2)``.
- :class:`PointGaussian`: a point estimate (MLE, unbiased, or a user's).
- :class:`NIGPosterior`: the exact Normal-Inverse-Gamma (or Jeffreys) posterior.
- :class:`SampledGaussian`: a posterior of (mu, sigma) known through draws (any PyMC model).

The closed forms are in :mod:`bayescollapse.models.gaussian.family`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import xarray as xr

from bayescollapse.metrics import (
    draws_cdf,
    draws_central_intervals,
    draws_hdi,
    unimodal_hdi,
)
from bayescollapse.models.decoding import PLAIN, Decoding
from bayescollapse.models.probability_fits import check_mode

__all__ = [
    "GaussianPool",
    "GaussianStats",
    "GaussianTruth",
    "NIGPosterior",
    "PointGaussian",
    "SampledGaussian",
    "invgamma_mean",
    "invgamma_sqrt_logpdf",
    "invgamma_sqrt_mean",
    "invgamma_sqrt_ppf",
    "nig_draws",
    "nig_from_draws",
    "nig_predictive_scale",
    "nig_update",
    "points_given_stats",
]


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


def points_given_stats(stats: GaussianStats, rng: np.random.Generator) -> np.ndarray:
    """Draw points with exactly the statistics ``stats``, from their law given them.

    Given its ``n``, mean and ``m2``, a normal sample's residuals are uniform on the
    sphere of radius ``sqrt(m2)`` in the plane orthogonal to the ones vector, whatever
    ``mu`` and ``sigma`` (the statistics are sufficient; Basu's theorem): centred
    standard normals scaled to that radius are such a draw. So statistics drawn exactly
    and then points drawn given them have the law of the points themselves, when the
    points share one normal law (generation 0, the replace loop); a set mixing real and
    synthetic points gets the exchangeable points with its statistics, all that a fit
    reading the statistics can see.

    Returns
    -------
    numpy.ndarray
        Shape (R, max n), row r's first ``n[r]`` entries the points, NaN after.
    """
    n = np.asarray(stats.n, dtype=np.int64)
    mask = np.arange(max(int(n.max(initial=0)), 1)) < n[:, None]
    z = np.where(mask, rng.standard_normal(mask.shape), 0.0)
    residuals = np.where(mask, z - z.sum(axis=1, keepdims=True) / np.maximum(n, 1)[:, None], 0.0)
    squares = (residuals**2).sum(axis=1)
    scale = np.sqrt(np.divide(stats.m2, squares, out=np.zeros_like(squares), where=squares > 0))
    return np.where(mask, stats.mean[:, None] + residuals * scale[:, None], np.nan)


@dataclass(frozen=True)
class GaussianPool:
    """A fixed corpus of real points per replicate, ``points`` of shape (R, N).

    The pool of ``real_data`` ``fixed`` and ``resampled``: kept as points, since the
    statistics of a subsample are not determined by the pool's statistics.
    """

    points: np.ndarray

    @property
    def stats(self) -> GaussianStats:
        """The statistics of the whole pool."""
        reps, size = self.points.shape
        return GaussianStats.of_points(self.points, np.full(reps, size))

    def draw(self, sizes, *, replace: bool, rng: np.random.Generator) -> GaussianStats:
        """Statistics of ``sizes[r]`` points drawn from each replicate's pool.

        Without replacement: the first ``sizes[r]`` of a random permutation (so at most the
        pool's size); with replacement: independent uniform picks.
        """
        sizes = np.asarray(sizes, dtype=np.int64)
        reps, size = self.points.shape
        width = max(int(sizes.max(initial=0)), 1)
        if replace:
            pick = rng.integers(size, size=(reps, width))
        else:
            if np.any(sizes > size):
                raise ValueError(f"cannot draw {int(sizes.max())} points from a pool of {size}")
            pick = np.argsort(rng.random((reps, size)), axis=1)[:, :width]
        chosen = np.take_along_axis(self.points, pick, axis=1)
        return GaussianStats.of_points(chosen, sizes)


def _predictive_points(sizes, draw, rng) -> GaussianStats:
    """Draw ``sizes[r]`` points per replicate, each with ``draw(shape)`` -> points."""
    sizes = np.asarray(sizes, dtype=np.int64)
    points = draw((sizes.size, max(int(sizes.max(initial=0)), 1)))
    return GaussianStats.of_points(points, sizes)


@dataclass(frozen=True)
class PointLaw:
    """How a fit writes its synthetic points, per replicate.

    Either iid ``N(mu[r], sigma[r]^2)`` (``draw`` None: the statistics of a set are drawn
    exactly, without the points), or by ``draw(shape)`` -> points (R, N) (a fresh
    parameter draw per point).
    """

    mu: np.ndarray | None = None
    sigma: np.ndarray | None = None
    draw: Callable | None = None

    def stats(self, sizes, rng: np.random.Generator) -> GaussianStats:
        """Return the statistics of ``sizes[r]`` points per replicate."""
        if self.draw is None:
            return GaussianStats.of_normal(self.mu, self.sigma, sizes, rng=rng)
        return _predictive_points(sizes, self.draw, rng)

    def points(self, shape: tuple, rng: np.random.Generator) -> np.ndarray:
        """Return points of shape (R, N): ``N`` per replicate (candidates to curate)."""
        if self.draw is None:
            return self.mu[:, None] + self.sigma[:, None] * rng.standard_normal(shape)
        return self.draw(shape)


def nig_update(prior: tuple, data: GaussianStats) -> tuple[np.ndarray, ...]:
    """Return the Normal-Inverse-Gamma posterior ``(mu, kappa, alpha, beta)`` of ``prior`` and data.

    Examples
    --------
    >>> stats = GaussianStats(np.array([4]), np.array([1.0]), np.array([2.0]))
    >>> [float(x[0]) for x in nig_update((0.0, 1.0, 1.0, 1.0), stats)]
    [0.8, 5.0, 3.0, 2.4]
    """
    mu0, kappa0, alpha0, beta0 = prior
    n = data.n
    kappa = kappa0 + n
    mu = (kappa0 * mu0 + n * data.mean) / kappa
    beta = beta0 + data.m2 / 2 + kappa0 * n * (data.mean - mu0) ** 2 / (2 * kappa)
    return mu, kappa, alpha0 + n / 2, beta


@dataclass(frozen=True)
class PointGaussian:
    """A point estimate ``N(mu, sigma2)`` per replicate (MLE or unbiased)."""

    mu: np.ndarray
    sigma2: np.ndarray
    bayesian: ClassVar[bool] = False
    diagnostics: dict = field(default_factory=dict)

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

    def synthetic(
        self, sizes: np.ndarray, *, mode: str, rng: np.random.Generator, decoding: Decoding = PLAIN
    ) -> GaussianStats:
        """Draw ``sizes[r]`` points from the fitted normal (every mode is plug-in here).

        ``decoding.variance_scale`` ``c`` draws them from ``N(mu, c sigma2)``.
        """
        return self.point_law(mode=mode, rng=rng, decoding=decoding).stats(sizes, rng)

    def point_law(self, *, mode: str, rng, decoding: Decoding = PLAIN) -> PointLaw:
        """Return how :meth:`synthetic` writes points: the fitted normal, decoded."""
        check_mode(mode)
        return PointLaw(self.mu, decoding.scale_sigma(np.sqrt(self.sigma2)))


def invgamma_sqrt_ppf(q, alpha, beta):
    """Quantile of sigma when sigma2 ~ InvGamma(alpha, beta)."""
    from scipy.special import gammaincinv

    with np.errstate(divide="ignore"):
        return np.sqrt(beta / gammaincinv(alpha, 1.0 - q))


def invgamma_mean(alpha, beta):
    """Return E sigma2 for sigma2 ~ InvGamma(alpha, beta): ``beta / (alpha - 1)``, or inf."""
    with np.errstate(divide="ignore"):
        return np.where(alpha > 1, beta / (alpha - 1), np.inf)


def invgamma_sqrt_mean(alpha, beta):
    """Return E sigma for sigma2 ~ InvGamma(alpha, beta).

    It is ``sqrt(beta) Gamma(alpha - 1/2) / Gamma(alpha)``.
    """
    from scipy.special import gammaln

    return np.sqrt(beta) * np.exp(gammaln(alpha - 0.5) - gammaln(alpha))


def invgamma_sqrt_logpdf(s, alpha, beta):
    """Log-density of sigma (up to a constant) when sigma2 ~ InvGamma(alpha, beta)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = -(2 * alpha + 1) * np.log(s) - beta / s**2
    return np.where((s > 0) & np.isfinite(s), out, -np.inf)


def nig_draws(nig: tuple, shape: tuple, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Draw ``(mu, sigma2)`` from NIG ``(mu, kappa, alpha, beta)``, of ``shape`` + its shape.

    ``sigma2 ~ InvGamma(alpha, beta)`` first, then ``mu | sigma2 ~ N(mu_n, sigma2 / kappa)``.
    """
    mu, kappa, alpha, beta = nig
    full = (*shape, *np.shape(mu))
    sigma2 = beta / rng.standard_gamma(np.broadcast_to(alpha, full))
    return mu + np.sqrt(sigma2 / kappa) * rng.standard_normal(full), sigma2


def nig_predictive_scale(nig: tuple, variance_scale: float = 1.0) -> np.ndarray:
    """Return the scale of the NIG's Student-t predictive (``2 alpha`` degrees of freedom).

    A point drawn with variance ``c sigma2`` about a fresh parameter draw has squared scale
    ``beta (1 + c kappa) / (alpha kappa)`` (``c = 1``: ``beta (kappa + 1) / (alpha kappa)``).
    """
    _, kappa, alpha, beta = nig
    c = variance_scale
    spread = kappa + 1 if c == 1 else 1 + c * kappa
    return np.sqrt(beta * spread / (alpha * kappa))


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
    #: ``cdf`` is exact: the central coverage comes from it (see ``calibration``)
    exact_cdf: ClassVar[bool] = True

    @property
    def mu_mean(self) -> np.ndarray:
        """Posterior mean of mu."""
        return self.mu

    @property
    def sigma2_mean(self) -> np.ndarray:
        """Posterior mean of sigma2, ``beta / (alpha - 1)`` (inf for ``alpha <= 1``)."""
        return invgamma_mean(self.alpha, self.beta)

    @property
    def sigma_mean(self) -> np.ndarray:
        """Posterior mean of sigma, ``sqrt(beta) Gamma(alpha - 1/2) / Gamma(alpha)``."""
        return invgamma_sqrt_mean(self.alpha, self.beta)

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
        from scipy.special import stdtrit

        q = np.asarray(levels, float)[:, None]
        half = stdtrit(2 * self.alpha, (1 + q) / 2) * self._mu_scale()
        lo_sigma = invgamma_sqrt_ppf((1 - q) / 2, self.alpha, self.beta)
        hi_sigma = invgamma_sqrt_ppf((1 + q) / 2, self.alpha, self.beta)
        return {"mu": (self.mu - half, self.mu + half), "sigma": (lo_sigma, hi_sigma)}

    def cdf(self, truth, *, rng=None) -> dict[str, np.ndarray]:
        """Posterior CDFs of mu and sigma at the true values (the PIT), each (R,); exact."""
        from scipy.special import gammaincc, stdtr

        return {
            "mu": stdtr(2 * self.alpha, (truth.mu - self.mu) / self._mu_scale()),
            "sigma": gammaincc(self.alpha, self.beta / truth.sigma**2),
        }

    def hdi(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Exact HDIs of mu (Student-t, symmetric) and sigma (from the inverse gamma)."""
        from scipy.special import stdtrit

        scale = np.sqrt(self.beta / (self.alpha * self.kappa))
        half = stdtrit(2 * self.alpha, 0.5 + self.hdi_prob / 2) * scale
        sigma = unimodal_hdi(
            invgamma_sqrt_ppf, invgamma_sqrt_logpdf, (self.alpha, self.beta), self.hdi_prob
        )
        return {"mu": (self.mu - half, self.mu + half), "sigma": sigma}

    def posterior_groups(self, *, draws: int, chains: int, rng) -> dict:
        """ArviZ ``posterior`` group for storage: exact draws of (mu, sigma)."""
        mu, sigma2 = nig_draws(self.nig, (chains, draws), rng)
        dims = ("chain", "draw", "replicate")
        return {"posterior": xr.Dataset({"mu": (dims, mu), "sigma": (dims, np.sqrt(sigma2))})}

    def synthetic(
        self, sizes: np.ndarray, *, mode: str, rng: np.random.Generator, decoding: Decoding = PLAIN
    ) -> GaussianStats:
        """Draw ``sizes[r]`` synthetic points per replicate from the posterior predictive.

        ``ancestral``: one ``(mu, sigma2)`` posterior draw per replicate writes the set
        (exact statistics). ``plugin``: ``N(mu_n, E sigma2)``. ``predictive``: each point
        from the Student-t predictive (a fresh parameter draw per point), as points. A
        variance scale ``c`` (``decoding``) draws each point with variance ``c sigma2``
        around its parameter's mean: the predictive's squared scale becomes
        ``beta (1 + c kappa) / (alpha kappa)``.
        """
        return self.point_law(mode=mode, rng=rng, decoding=decoding).stats(sizes, rng)

    def point_law(self, *, mode: str, rng, decoding: Decoding = PLAIN) -> PointLaw:
        """Return how :meth:`synthetic` writes points in ``mode`` (see there)."""
        check_mode(mode)
        if mode == "ancestral":
            mu, sigma2 = nig_draws(self.nig, (), rng)
            return PointLaw(mu, decoding.scale_sigma(np.sqrt(sigma2)))
        if mode == "plugin":
            return PointLaw(self.mu, decoding.scale_sigma(np.sqrt(self.sigma2_mean)))
        scale = nig_predictive_scale(self.nig, decoding.variance_scale)
        df = 2 * self.alpha

        def draw(shape):
            return self.mu[:, None] + scale[:, None] * rng.standard_t(df[:, None], size=shape)

        return PointLaw(draw=draw)


def nig_from_draws(mu: np.ndarray, sigma: np.ndarray, *, axis: int) -> tuple[np.ndarray, ...]:
    """Return the NIG ``(mu, kappa, alpha, beta)`` matching draws' moments along ``axis``.

    sigma^2's mean and variance give alpha and beta (an inverse gamma's), the variance of
    mu gives kappa (``Var mu = beta / ((alpha - 1) kappa)``).
    """
    s2 = sigma**2
    m, v = s2.mean(axis=axis), s2.var(axis=axis)
    alpha = m**2 / v + 2
    beta = m * (alpha - 1)
    kappa = beta / ((alpha - 1) * mu.var(axis=axis))
    return mu.mean(axis=axis), kappa, alpha, beta


@dataclass(frozen=True)
class SampledGaussian:
    """A posterior of (mu, sigma) known through draws (any PyMC model of the family).

    ``prior`` is the NIG prior the model read as data, or None (another prior).
    """

    tree: xr.DataTree
    prior: tuple | None
    data: GaussianStats
    hdi_prob: float
    diagnostics: dict = field(default_factory=dict)
    bayesian: ClassVar[bool] = True
    exact_cdf: ClassVar[bool] = False  # the PIT is a randomised rank among draws

    def _draws(self, name: str) -> np.ndarray:
        """Draws of ``name``, shape (replicate, chain * draw)."""
        da = self.tree["posterior"][name].transpose("replicate", "chain", "draw")
        return da.values.reshape(da.sizes["replicate"], -1)

    @property
    def mu_mean(self) -> np.ndarray:
        """Posterior mean of mu."""
        return self._draws("mu").mean(axis=1)

    @property
    def sigma2_mean(self) -> np.ndarray:
        """Posterior mean of sigma2."""
        return (self._draws("sigma") ** 2).mean(axis=1)

    @property
    def sigma_mean(self) -> np.ndarray:
        """Posterior mean of sigma."""
        return self._draws("sigma").mean(axis=1)

    @property
    def nig(self) -> tuple[np.ndarray, ...]:
        """Moment-matched NIG of the draws (see :func:`nig_from_draws`)."""
        return nig_from_draws(self._draws("mu"), self._draws("sigma"), axis=1)

    @property
    def carried_prior(self) -> tuple[np.ndarray, ...]:
        """The exact NIG posterior the sampler targets (``nig`` prior only)."""
        if self.prior is None:
            raise ValueError("prior_update 'carry' needs a model with the NIG prior as data")
        return nig_update(self.prior, self.data)

    def posterior_groups(self, **_) -> dict:
        """ArviZ groups for storage: the NUTS draws and the sampler's statistics."""
        return {name: self.tree[name].to_dataset() for name in ("posterior", "sample_stats")}

    @property
    def mu_var(self) -> np.ndarray:
        """Posterior variance of mu, from the draws."""
        return self._draws("mu").var(axis=1)

    def central_intervals(self, levels) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Central credible intervals of mu and sigma from the draws, each (level, R)."""
        return {n: draws_central_intervals(self._draws(n).T, levels) for n in ("mu", "sigma")}

    def cdf(self, truth, *, rng: np.random.Generator | None = None) -> dict[str, np.ndarray]:
        """PIT of the true mu and sigma from the draws, each (R,) (see ``draws_cdf``)."""
        return {
            name: draws_cdf(self._draws(name).T, value, rng=rng)
            for name, value in (("mu", truth.mu), ("sigma", truth.sigma))
        }

    def hdi(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """HDIs of mu and sigma from the draws (ArviZ)."""
        return {n: draws_hdi(self.tree["posterior"][n], self.hdi_prob) for n in ("mu", "sigma")}

    def synthetic(
        self, sizes: np.ndarray, *, mode: str, rng: np.random.Generator, decoding: Decoding = PLAIN
    ) -> GaussianStats:
        """Draw synthetic statistics from the posterior draws.

        ``ancestral``: one posterior draw per replicate; ``plugin``: the posterior means;
        ``predictive``: a fresh posterior draw per point. A variance scale ``c``
        (``decoding``) draws each point with variance ``c sigma^2``.
        """
        return self.point_law(mode=mode, rng=rng, decoding=decoding).stats(sizes, rng)

    def point_law(self, *, mode: str, rng, decoding: Decoding = PLAIN) -> PointLaw:
        """Return how :meth:`synthetic` writes points in ``mode`` (see there)."""
        check_mode(mode)
        mu, sigma = self._draws("mu"), decoding.scale_sigma(self._draws("sigma"))
        rows = np.arange(mu.shape[0])
        if mode == "ancestral":
            pick = rng.integers(mu.shape[1], size=mu.shape[0])
            return PointLaw(mu[rows, pick], sigma[rows, pick])
        if mode == "plugin":
            return PointLaw(self.mu_mean, decoding.scale_sigma(np.sqrt(self.sigma2_mean)))

        def draw(shape):
            pick = rng.integers(mu.shape[1], size=shape)
            return mu[rows[:, None], pick] + sigma[rows[:, None], pick] * rng.standard_normal(shape)

        return PointLaw(draw=draw)
