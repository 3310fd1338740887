"""The Dirichlet-categorical model in PyMC, sampled with NUTS (nutpie), compiled once.

Model, per replicate r and token k (replicates are a model dimension, so one sampler
run fits a whole block)::

    h[r, k] ~ Gamma(a[r, k] + 1, 1)
    u[r, k] ~ Uniform(0, 1)
    g[r, k] = h[r, k] * u[r, k] ** (1 / a[r, k])      # g ~ Gamma(a, 1)
    c[r, k] ~ Poisson(g[r, k])                         # observed counts
    theta[r] = g[r] / sum(g[r])                        # ~ Dirichlet(a[r] + c[r])

It is exact: with independent ``g_k ~ Gamma(a_k, 1)`` and ``c_k ~ Poisson(g_k)``,
``g_k | c ~ Gamma(a_k + c_k, 2)`` independently, so ``theta | c ~ Dirichlet(a + c)``, the
conjugate posterior. The plain ``pm.Dirichlet`` + Multinomial model diverges on the
zero-count tokens that collapse creates; the boosted-Gamma form ``h * u**(1/a)`` removes
the extreme left tail of ``log g`` and ran with no divergence in the measurements of
``shared/TOOLING.md``. The prior ``a`` and the counts are ``pm.Data``: the model is
compiled once and refitted every generation with ``with_data``.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import ClassVar

import arviz as az
import numpy as np
import pymc as pm
import xarray as xr

from bayescollapse.metrics import dirichlet_from_draws, randomised_pit
from bayescollapse.models.categorical import DirichletCategorical, _check_mode
from bayescollapse.models.sampling import compile_model, quiet_pymc, sample_nuts

__all__ = ["PyMCDirichletFitter", "PyMCPosterior", "build_model", "build_predictive_model"]


def build_model(num_tokens: int, replicates: int) -> pm.Model:
    """Return the PyMC model for a block of ``replicates`` with data ``counts`` and ``prior``."""
    coords = {"replicate": np.arange(replicates), "token": np.arange(num_tokens)}
    zeros = np.zeros((replicates, num_tokens), dtype=np.int64)
    with pm.Model(coords=coords) as model:
        counts = pm.Data("counts", zeros, dims=("replicate", "token"))
        prior = pm.Data("prior", np.ones((replicates, num_tokens)), dims=("replicate", "token"))
        h = pm.Gamma("h", alpha=prior + 1.0, beta=1.0, dims=("replicate", "token"))
        u = pm.Uniform("u", 0.0, 1.0, dims=("replicate", "token"))
        g = h * u ** (1.0 / prior)
        pm.Deterministic("theta", g / g.sum(axis=-1, keepdims=True), dims=("replicate", "token"))
        pm.Poisson("obs", g, observed=counts, dims=("replicate", "token"))
    return model


def build_predictive_model(num_tokens: int, replicates: int) -> pm.Model:
    """Forward model for synthetic sets: ``synthetic ~ Multinomial(draw_size, theta)``.

    ``theta`` and ``draw_size`` are read from the trace handed to
    ``pm.sample_posterior_predictive``, one synthetic count vector per trace draw.
    """
    coords = {"replicate": np.arange(replicates), "token": np.arange(num_tokens)}
    with pm.Model(coords=coords) as model:
        size = pm.Flat("draw_size", dims=("replicate",))
        theta = pm.Flat("theta", dims=("replicate", "token"))
        pm.Multinomial("synthetic", n=size, p=theta, dims=("replicate", "token"))
    return model


@dataclass(frozen=True)
class PyMCPosterior:
    """A NUTS posterior for one replicate block.

    Attributes
    ----------
    tree : xarray.DataTree
        ArviZ groups ``posterior`` (``theta`` only) and ``sample_stats``.
    prior, counts : numpy.ndarray, shape (R, K)
        What the posterior conditions on; the exact target is ``Dirichlet(prior + counts)``.
    diagnostics : dict of str to numpy.ndarray
        ``r_hat_max``, ``ess_bulk_min`` over tokens and ``divergences`` of the block's
        sampler run, each of shape (R,).
    """

    tree: xr.DataTree
    prior: np.ndarray
    counts: np.ndarray
    hdi_prob: float
    predictive_model: pm.Model = field(repr=False)
    diagnostics: dict = field(default_factory=dict)
    bayesian: ClassVar[bool] = True

    @property
    def theta(self) -> xr.DataArray:
        """Posterior draws of theta, dims (chain, draw, replicate, token)."""
        return self.tree["posterior"]["theta"]

    @property
    def mean(self) -> np.ndarray:
        """Posterior mean, estimated from the draws."""
        return self.theta.mean(("chain", "draw")).values

    @property
    def sd(self) -> np.ndarray:
        """Posterior standard deviation, estimated from the draws."""
        return self.theta.std(("chain", "draw")).values

    @property
    def dirichlet(self) -> np.ndarray:
        """Moment-matched Dirichlet of the draws (see ``metrics.dirichlet_from_draws``)."""
        return dirichlet_from_draws(self._flat())

    @property
    def carried_prior(self) -> np.ndarray:
        """Prior for the next generation under ``carry``: the exact target ``prior + counts``."""
        return self.prior + self.counts

    def _flat(self) -> np.ndarray:
        """Draws with chain and draw stacked first: shape (S, R, K)."""
        theta = self.theta.transpose("chain", "draw", "replicate", "token").values
        return theta.reshape(-1, *theta.shape[2:])

    def central_intervals(self, levels) -> tuple[np.ndarray, np.ndarray]:
        """Central credible intervals from the draws' quantiles, shape (level, R, K)."""
        q = np.asarray(levels, float)
        draws = self._flat()
        return np.quantile(draws, (1 - q) / 2, axis=0), np.quantile(draws, (1 + q) / 2, axis=0)

    def cdf(self, values: np.ndarray, *, rng: np.random.Generator | None = None) -> np.ndarray:
        """PIT of ``values`` (K,) from the draws, shape (R, K).

        With ``rng``, the randomised rank (:func:`bayescollapse.metrics.randomised_pit`),
        uniform under calibration like the exact CDF; without, the share of draws at or
        below the value.
        """
        if rng is None:
            return (self._flat() <= values).mean(axis=0)
        return randomised_pit(self._flat(), values, rng=rng)

    def posterior_groups(self, **_) -> dict:
        """ArviZ groups for storage: the NUTS draws and the sampler's statistics."""
        return {name: self.tree[name].to_dataset() for name in ("posterior", "sample_stats")}

    def hdi(self) -> tuple[np.ndarray, np.ndarray]:
        """Marginal HDIs at ``hdi_prob`` from the draws (ArviZ)."""
        bounds = az.hdi(self.theta, prob=self.hdi_prob)
        return bounds.sel(ci_bound="lower").values, bounds.sel(ci_bound="upper").values

    def synthetic(self, sizes: np.ndarray, *, mode: str, rng: np.random.Generator) -> np.ndarray:
        """Draw synthetic counts with ``pm.sample_posterior_predictive``.

        ``ancestral``: one posterior draw (chosen at random) generates the whole set.
        ``predictive``: each token gets its own posterior draw; the ``sizes[r]`` tokens are
        allotted to draws uniformly (a multinomial), and each draw generates its share.
        ``plugin``: the posterior mean generates the set.
        """
        _check_mode(mode)
        sizes = np.asarray(sizes, dtype=np.int64)
        theta = self.theta.transpose("chain", "draw", "replicate", "token")
        if mode == "ancestral":
            chain = int(rng.integers(theta.sizes["chain"]))
            draw = int(rng.integers(theta.sizes["draw"]))
            theta = theta.isel(chain=[chain], draw=[draw])
            shares = sizes[None, None, :]
        elif mode == "plugin":
            theta = theta.mean(("chain", "draw")).expand_dims(chain=[0], draw=[0])
            shares = sizes[None, None, :]
        else:
            n_chain, n_draw = theta.sizes["chain"], theta.sizes["draw"]
            uniform = np.full(n_chain * n_draw, 1.0 / (n_chain * n_draw))
            shares = rng.multinomial(sizes, uniform).T.reshape(n_chain, n_draw, -1)
        trace = xr.Dataset(
            {
                "theta": theta,
                "draw_size": (("chain", "draw", "replicate"), shares.astype(float)),
            }
        )
        with quiet_pymc():
            out = pm.sample_posterior_predictive(
                trace,
                model=self.predictive_model,
                var_names=["synthetic"],
                random_seed=rng,
                progressbar=False,
            )
        return (
            out["posterior_predictive"]["synthetic"].sum(("chain", "draw")).values.astype(np.int64)
        )


@functools.lru_cache(maxsize=8)
def compiled_model(num_tokens: int, replicates: int):
    """Return the compiled model for a block shape, compiled once per process.

    The prior is data, so settings that differ only in their prior share it.
    """
    return compile_model(build_model(num_tokens, replicates))


class PyMCDirichletFitter:
    """Compile the PyMC model once for a block size; refit it each generation."""

    def __init__(self, family: DirichletCategorical, replicates: int) -> None:
        self.family = family
        self.replicates = replicates
        self.compiled = compiled_model(family.num_tokens, replicates)
        self.predictive_model = build_predictive_model(family.num_tokens, replicates)

    def fit(
        self, counts: np.ndarray, *, prior: np.ndarray, rng: np.random.Generator
    ) -> PyMCPosterior:
        """Sample the posterior given ``counts`` and ``prior``, both of shape (R, K)."""
        fam = self.family
        tree = sample_nuts(
            self.compiled, fam, rng=rng, counts=np.asarray(counts, np.int64), prior=prior
        )
        tree = xr.DataTree.from_dict(
            {
                "posterior": tree["posterior"].to_dataset()[["theta"]],
                "sample_stats": tree["sample_stats"].to_dataset()[
                    ["diverging", "step_size", "depth"]
                ],
            }
        )
        theta = tree["posterior"]["theta"]
        divergences = int(tree["sample_stats"]["diverging"].sum())
        r_hat, ess_bulk = az.rhat(theta), az.ess(theta, method="bulk")
        ess_tail = az.ess(theta, method="tail")
        diagnostics = {
            "r_hat_max": r_hat.max("token").values,
            "ess_bulk_min": ess_bulk.min("token").values,
            "divergences": np.float64(divergences),
            "theta_r_hat": r_hat.values,
            "theta_ess_bulk": ess_bulk.values,
            "theta_ess_tail": ess_tail.values,
            "ess_tail_min": ess_tail.min("token").values,
            "theta_mcse_mean": az.mcse(theta, method="mean").values,
        }
        return PyMCPosterior(
            tree=tree,
            prior=prior,
            counts=np.asarray(counts),
            hdi_prob=fam.hdi_prob,
            predictive_model=self.predictive_model,
            diagnostics=diagnostics,
        )
