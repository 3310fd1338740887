"""The Gaussian model in PyMC, sampled with NUTS (nutpie), compiled once per run.

The likelihood is a ``pm.Potential`` on the sufficient statistics of each replicate,
``-n log sigma - (m2 + n (mean - mu)^2) / (2 sigma^2)``, equal to the Normal likelihood of
the points up to a constant; ``n``, ``mean`` and ``m2`` are ``pm.Data`` with a
``replicate`` dim, so one compiled model refits every generation and sample size.

Priors: ``nig`` (the conjugate prior, whose hyperparameters are data too, so ``carry``
works and the conjugate posterior is an exact oracle) or ``weakly-informative``
(``mu ~ N(prior_mean, prior_mu_sd)``, ``sigma ~ HalfNormal(prior_sigma_scale)``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import arviz as az
import numpy as np
import pymc as pm
import pytensor.tensor as pt
import xarray as xr

from bayescollapse.metrics import randomised_pit
from bayescollapse.models.categorical import _check_mode
from bayescollapse.models.gaussian import GaussianStats, _predictive_points
from bayescollapse.models.sampling import compile_model, sample_nuts

__all__ = ["PyMCGaussianFitter", "PyMCGaussianPosterior", "build_gaussian_model"]


def build_gaussian_model(family, replicates: int) -> pm.Model:
    """Return the PyMC model for a block of ``replicates`` (data: n, mean, m2, NIG prior)."""
    coords = {"replicate": np.arange(replicates)}
    ones = np.ones(replicates)
    with pm.Model(coords=coords) as model:
        n = pm.Data("n", ones, dims="replicate")
        mean = pm.Data("mean", 0 * ones, dims="replicate")
        m2 = pm.Data("m2", ones, dims="replicate")
        if family.prior == "nig":
            mu0 = pm.Data("mu0", 0 * ones, dims="replicate")
            kappa0 = pm.Data("kappa0", ones, dims="replicate")
            alpha0 = pm.Data("alpha0", ones, dims="replicate")
            beta0 = pm.Data("beta0", ones, dims="replicate")
            sigma2 = pm.InverseGamma("sigma2", alpha=alpha0, beta=beta0, dims="replicate")
            sigma = pm.Deterministic("sigma", pt.sqrt(sigma2), dims="replicate")
            mu = pm.Normal("mu", mu=mu0, sigma=sigma / pt.sqrt(kappa0), dims="replicate")
        else:
            mu = pm.Normal("mu", mu=family.prior_mean, sigma=family.prior_mu_sd, dims="replicate")
            sigma = pm.HalfNormal("sigma", sigma=family.prior_sigma_scale, dims="replicate")
            sigma2 = sigma**2
        pm.Potential("likelihood", -n * pt.log(sigma) - (m2 + n * (mean - mu) ** 2) / (2 * sigma2))
    return model


@dataclass(frozen=True)
class PyMCGaussianPosterior:
    """A NUTS posterior of (mu, sigma) for one replicate block."""

    tree: xr.DataTree
    prior: tuple
    data: GaussianStats
    hdi_prob: float
    diagnostics: dict = field(default_factory=dict)
    bayesian: ClassVar[bool] = True

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
        """Moment-matched NIG: sigma2's mean and variance give alpha, beta; Var(mu) kappa."""
        s2 = self._draws("sigma") ** 2
        m, v = s2.mean(axis=1), s2.var(axis=1)
        alpha = m**2 / v + 2
        beta = m * (alpha - 1)
        kappa = beta / ((alpha - 1) * self._draws("mu").var(axis=1))
        return self.mu_mean, kappa, alpha, beta

    @property
    def carried_prior(self) -> tuple[np.ndarray, ...]:
        """The exact NIG posterior the sampler targets (``nig`` prior only)."""
        mu0, kappa0, alpha0, beta0 = self.prior
        d = self.data
        kappa = kappa0 + d.n
        mu = (kappa0 * mu0 + d.n * d.mean) / kappa
        beta = beta0 + d.m2 / 2 + kappa0 * d.n * (d.mean - mu0) ** 2 / (2 * kappa)
        return mu, kappa, alpha0 + d.n / 2, beta

    def posterior_groups(self, **_) -> dict:
        """ArviZ groups for storage: the NUTS draws and the sampler's statistics."""
        return {name: self.tree[name].to_dataset() for name in ("posterior", "sample_stats")}

    @property
    def mu_var(self) -> np.ndarray:
        """Posterior variance of mu, from the draws."""
        return self._draws("mu").var(axis=1)

    def central_intervals(self, levels) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Central credible intervals of mu and sigma from the draws, each (level, R)."""
        q = np.asarray(levels, float)
        out = {}
        for name in ("mu", "sigma"):
            draws = self._draws(name)
            out[name] = tuple(np.quantile(draws, p, axis=1) for p in ((1 - q) / 2, (1 + q) / 2))
        return out

    def cdf(self, truth, *, rng: np.random.Generator | None = None) -> dict[str, np.ndarray]:
        """PIT of the true mu and sigma from the draws, each (R,).

        With ``rng``, the randomised rank (:func:`bayescollapse.metrics.randomised_pit`);
        without, the share of draws at or below the true value.
        """
        out = {}
        for name, value in (("mu", truth.mu), ("sigma", truth.sigma)):
            draws = self._draws(name)
            if rng is None:
                out[name] = (draws <= value).mean(axis=1)
            else:
                out[name] = randomised_pit(draws.T, value, rng=rng)
        return out

    def hdi(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """HDIs of mu and sigma from the draws (ArviZ)."""
        out = {}
        for name in ("mu", "sigma"):
            bounds = az.hdi(self.tree["posterior"][name], prob=self.hdi_prob)
            out[name] = (bounds.sel(ci_bound="lower").values, bounds.sel(ci_bound="upper").values)
        return out

    def synthetic(self, sizes: np.ndarray, *, mode: str, rng: np.random.Generator) -> GaussianStats:
        """Draw synthetic statistics from the posterior draws.

        ``ancestral``: one posterior draw per replicate; ``plugin``: the posterior means;
        ``predictive``: a fresh posterior draw per point.
        """
        _check_mode(mode)
        mu, sigma = self._draws("mu"), self._draws("sigma")
        rows = np.arange(mu.shape[0])
        if mode == "ancestral":
            pick = rng.integers(mu.shape[1], size=mu.shape[0])
            return GaussianStats.of_normal(mu[rows, pick], sigma[rows, pick], sizes, rng=rng)
        if mode == "plugin":
            return GaussianStats.of_normal(self.mu_mean, np.sqrt(self.sigma2_mean), sizes, rng=rng)

        def draw(shape):
            pick = rng.integers(mu.shape[1], size=shape)
            return mu[rows[:, None], pick] + sigma[rows[:, None], pick] * rng.standard_normal(shape)

        return _predictive_points(sizes, draw, rng)


class PyMCGaussianFitter:
    """Compile the Gaussian PyMC model once for a block size; refit it each generation."""

    def __init__(self, family, replicates: int) -> None:
        self.family = family
        self.replicates = replicates
        self.compiled = compile_model(build_gaussian_model(family, replicates))

    def fit(self, data: GaussianStats, *, prior, rng: np.random.Generator) -> PyMCGaussianPosterior:
        """Sample the posterior of (mu, sigma) given the block's statistics."""
        fam = self.family
        values = {"n": data.n.astype(float), "mean": data.mean, "m2": data.m2}
        if fam.prior == "nig":
            values.update(zip(("mu0", "kappa0", "alpha0", "beta0"), prior, strict=True))
        tree = sample_nuts(self.compiled, fam, rng=rng, **values)
        posterior = tree["posterior"].to_dataset()[["mu", "sigma"]]
        tree = xr.DataTree.from_dict(
            {
                "posterior": posterior,
                "sample_stats": tree["sample_stats"].to_dataset()[["diverging", "step_size"]],
            }
        )
        r_hat = az.rhat(posterior)
        ess = az.ess(posterior, method="bulk")
        tail = az.ess(posterior, method="tail")
        divergences = float(tree["sample_stats"]["diverging"].sum())
        mcse = az.mcse(posterior, method="mean")
        diagnostics = {
            "r_hat_max": np.maximum(r_hat["mu"].values, r_hat["sigma"].values),
            "ess_bulk_min": np.minimum(ess["mu"].values, ess["sigma"].values),
            "ess_tail_min": np.minimum(tail["mu"].values, tail["sigma"].values),
            "divergences": np.float64(divergences),
        }
        for name in ("mu", "sigma"):
            diagnostics[f"{name}_r_hat"] = r_hat[name].values
            diagnostics[f"{name}_ess_bulk"] = ess[name].values
            diagnostics[f"{name}_ess_tail"] = tail[name].values
            diagnostics[f"{name}_mcse_mean"] = mcse[name].values
        return PyMCGaussianPosterior(tree, prior, data, fam.hdi_prob, diagnostics)
