"""PyMC fits of the Markov family: independent Dirichlet rows, or rows with a learned base.

``pymc``: the categorical Gamma-Poisson model of :mod:`categorical_pymc` with one row per
(replicate, context); its posterior is exactly the conjugate one.

``pymc-hierarchical``: per replicate, ``m ~ Dirichlet(1)`` (the shared base distribution),
``log kappa ~ N(log V, 1.5)``, and every row ``theta_c ~ Dirichlet(kappa m)`` in the same
boosted Gamma-Poisson form (``g = h u^(1 / (kappa m))``, ``c ~ Poisson(g)``,
``theta_c = g_c / sum g_c``). Rows with few counts borrow strength from the others
through ``m`` and ``kappa``; NUTS does the work (no closed form).
Both models are compiled once and refitted with new counts each generation.
"""

from __future__ import annotations

import arviz as az
import numpy as np
import pymc as pm

from bayescollapse.metrics import dirichlet_from_draws
from bayescollapse.models.categorical_pymc import compiled_model
from bayescollapse.models.markov import MarkovDirichlet
from bayescollapse.models.sampling import compile_model, sample_nuts

__all__ = ["MarkovPyMCFitter", "build_hierarchical_model"]


def build_hierarchical_model(replicates: int, contexts: int, tokens: int) -> pm.Model:
    """Return the hierarchical PyMC model for a block (data: ``counts`` (R, C, V))."""
    coords = {
        "replicate": np.arange(replicates),
        "context": np.arange(contexts),
        "token": np.arange(tokens),
    }
    dims = ("replicate", "context", "token")
    with pm.Model(coords=coords) as model:
        counts = pm.Data(
            "counts", np.zeros((replicates, contexts, tokens), dtype=np.int64), dims=dims
        )
        m = pm.Dirichlet("m", a=np.ones((replicates, tokens)), dims=("replicate", "token"))
        log_kappa = pm.Normal("log_kappa", mu=np.log(tokens), sigma=1.5, dims="replicate")
        pm.Deterministic("kappa", pm.math.exp(log_kappa), dims="replicate")
        a = pm.math.exp(log_kappa)[:, None, None] * m[:, None, :]
        h = pm.Gamma("h", alpha=a + 1.0, beta=1.0, dims=dims)
        u = pm.Uniform("u", 0.0, 1.0, dims=dims)
        g = h * u ** (1.0 / a)
        pm.Deterministic("theta", g / g.sum(axis=-1, keepdims=True), dims=dims)
        pm.Poisson("obs", g, observed=counts, dims=dims)
    return model


class MarkovPyMCFitter:
    """Compile the (hierarchical) row model once for a block; refit each generation."""

    def __init__(self, family, replicates: int, *, hierarchical: bool) -> None:
        self.family = family
        self.replicates = replicates
        self.hierarchical = hierarchical
        if hierarchical:
            model = build_hierarchical_model(replicates, family.contexts, family.num_tokens)
            self.compiled = compile_model(model)
        else:  # the categorical model with a row per (replicate, context), compiled once
            self.compiled = compiled_model(family.num_tokens, replicates * family.contexts)

    def fit(self, counts: np.ndarray, *, prior, rng: np.random.Generator) -> MarkovDirichlet:
        """Sample the rows' posterior given ``counts`` (R, C, V)."""
        fam = self.family
        reps, contexts, tokens = counts.shape
        if self.hierarchical:
            tree = sample_nuts(self.compiled, fam, rng=rng, counts=np.asarray(counts, np.int64))
            theta = (
                tree["posterior"]["theta"]
                .transpose("chain", "draw", "replicate", "context", "token")
                .values
            )
        else:
            tree = sample_nuts(
                self.compiled,
                fam,
                rng=rng,
                counts=np.asarray(counts, np.int64).reshape(-1, tokens),
                prior=np.asarray(prior, float).reshape(-1, tokens),
            )
            theta = (
                tree["posterior"]["theta"].transpose("chain", "draw", "replicate", "token").values
            )
        draws = theta.reshape(-1, reps, contexts, tokens)
        posterior_theta = tree["posterior"]["theta"]
        r_hat = az.rhat(posterior_theta).values.reshape(reps, -1)
        ess = az.ess(posterior_theta, method="bulk").values.reshape(reps, -1)
        tail = az.ess(posterior_theta, method="tail").values.reshape(reps, -1)
        divergences = float(tree["sample_stats"]["diverging"].sum())
        diagnostics = {
            "r_hat_max": np.nanmax(r_hat, axis=1),
            "theta_r_hat": r_hat.reshape(reps, contexts, tokens),
            "ess_bulk_min": np.nanmin(ess, axis=1),
            "ess_tail_min": np.nanmin(tail, axis=1),
            "divergences": np.float64(divergences),
        }
        return MarkovDirichlet(
            concentration=dirichlet_from_draws(draws),
            sequences=fam._sequences,
            hdi_prob=fam.hdi_prob,
            prior=None if self.hierarchical else prior,
            draws=draws,
            diagnostics=diagnostics,
            tree=tree,
        )
