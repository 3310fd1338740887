"""Fits of the Gaussian mixture: point estimates, the complete-data posterior, NUTS draws.

Every fit gives ``weights_mean``, ``mu_mean``, ``sigma_mean`` and ``sigma2_mean`` per
replicate and component (R, J), components in the order they are matched to the truth
(by mean for EM and NUTS; by label for the complete-data fits, whose labels are the true
components), and writes synthetic points with their labels.

- :class:`PointMixture`: EM's maximum likelihood, or the complete-data MLE.
- :class:`CompleteDataPosterior`: the exact posterior given the labels, weights
  ``Dirichlet(a0 + counts)`` and each component normal-inverse-gamma
  (:func:`~bayescollapse.models.gaussian.fits.nig_update` of the component's points).
- :class:`SampledMixture`: draws of a PyMC model, relabelled by mean draw by draw; the
  share of draws that needed it is the replicate's ``label_switching``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import ClassVar

import numpy as np
import xarray as xr

from bayescollapse.metrics.drift import dirichlet_from_draws
from bayescollapse.metrics.intervals import (
    beta_hdi,
    draws_cdf,
    draws_central_intervals,
    sorted_draws,
    sorted_hdi,
)
from bayescollapse.models.decoding import PLAIN, Decoding
from bayescollapse.models.gaussian.fits import (
    NIGPosterior,
    invgamma_mean,
    invgamma_sqrt_mean,
    nig_draws,
    nig_from_draws,
    nig_predictive_scale,
)
from bayescollapse.models.mixture.data import MixturePoints, draw_mixture
from bayescollapse.models.probability_fits import check_mode

__all__ = ["CompleteDataPosterior", "PointMixture", "SampledMixture", "mixture_prior_update"]

_DRAW_DIMS = ("chain", "draw", "replicate", "component")


@dataclass(frozen=True)
class PointMixture:
    """A point estimate per replicate: ``weights``, ``mu``, ``sigma`` (R, J)."""

    weights: np.ndarray
    mu: np.ndarray
    sigma: np.ndarray
    diagnostics: dict = field(default_factory=dict)
    bayesian: ClassVar[bool] = False

    @property
    def weights_mean(self) -> np.ndarray:
        """The fitted weights."""
        return self.weights

    @property
    def mu_mean(self) -> np.ndarray:
        """The fitted means."""
        return self.mu

    @property
    def sigma_mean(self) -> np.ndarray:
        """The fitted sds."""
        return self.sigma

    @property
    def sigma2_mean(self) -> np.ndarray:
        """The fitted variances."""
        return self.sigma**2

    def synthetic(self, sizes, *, mode: str, rng, decoding: Decoding = PLAIN) -> MixturePoints:
        """Draw labelled points from the fitted mixture (every mode is plug-in here)."""
        check_mode(mode)
        return draw_mixture(self.weights, self.mu, decoding.scale_sigma(self.sigma), sizes, rng)


def mixture_prior_update(prior: tuple, stats) -> tuple[np.ndarray, ...]:
    """Return the complete-data posterior ``(a, mu, kappa, alpha, beta)``, each (R, J).

    ``a = a0 + count``; each component's NIG is updated by its points' count, mean and
    sum of squares (a weighted refit's pseudo-counts enter as counts).

    Examples
    --------
    >>> from bayescollapse.models.mixture.data import ComponentStats
    >>> one = np.ones((1, 1))
    >>> stats = ComponentStats(4 * one, one, 2 * one)
    >>> [float(v[0, 0]) for v in mixture_prior_update((one, 0 * one, one, one, one), stats)]
    [5.0, 0.8, 5.0, 3.0, 2.4]
    """
    from bayescollapse.models.gaussian.fits import GaussianStats, nig_update

    a0, mu0, kappa0, alpha0, beta0 = prior
    nig = nig_update((mu0, kappa0, alpha0, beta0), GaussianStats(stats.count, stats.mean, stats.m2))
    return (a0 + stats.count, *nig)


def _flat(values) -> np.ndarray:
    return np.asarray(values).reshape(-1)


@dataclass(frozen=True)
class CompleteDataPosterior:
    """The exact posterior given the labels: ``a`` (Dirichlet) and NIG ``mu, kappa, alpha, beta``.

    Each of shape (R, J). ``prior`` is the prior it was updated from.
    """

    a: np.ndarray
    mu: np.ndarray
    kappa: np.ndarray
    alpha: np.ndarray
    beta: np.ndarray
    hdi_prob: float = 0.94
    prior: tuple | None = None
    diagnostics: dict = field(default_factory=dict)
    bayesian: ClassVar[bool] = True
    exact_cdf: ClassVar[bool] = True
    label_switching: ClassVar[None] = None

    @property
    def _nig(self) -> NIGPosterior:
        """The components' NIG posteriors flattened to (R * J,)."""
        return NIGPosterior(*map(_flat, self.nig), hdi_prob=self.hdi_prob)

    def _shaped(self, values) -> np.ndarray:
        return np.asarray(values).reshape(*np.shape(values)[:-1], *self.mu.shape)

    @property
    def weights_mean(self) -> np.ndarray:
        """Posterior mean of the weights, ``a / sum a``."""
        return self.a / self.a.sum(axis=1, keepdims=True)

    @property
    def mu_mean(self) -> np.ndarray:
        """Posterior mean of each component's mean."""
        return self.mu

    @property
    def sigma2_mean(self) -> np.ndarray:
        """Posterior mean of each component's variance (inf for ``alpha <= 1``)."""
        return invgamma_mean(self.alpha, self.beta)

    @property
    def sigma_mean(self) -> np.ndarray:
        """Posterior mean of each component's sd."""
        return invgamma_sqrt_mean(self.alpha, self.beta)

    @property
    def carried_prior(self) -> tuple[np.ndarray, ...]:
        """The prior of the next generation under ``prior_update='carry'``."""
        return self.a, *self.nig

    @property
    def nig(self) -> tuple[np.ndarray, ...]:
        """The components' NIG posteriors ``(mu, kappa, alpha, beta)``, each (R, J)."""
        return self.mu, self.kappa, self.alpha, self.beta

    @property
    def drift_form(self) -> tuple[np.ndarray, tuple]:
        """The Dirichlet and the components' NIGs (exact here), for the drift."""
        return self.a, self.nig

    def hdi(self) -> tuple[np.ndarray, np.ndarray]:
        """Exact HDIs of the weights (Beta marginals), means (t) and sds, each (R, 3J)."""
        total = self.a.sum(axis=1, keepdims=True)
        w = beta_hdi(self.a, total - self.a, self.hdi_prob)
        nig = self._nig.hdi()
        return tuple(
            np.concatenate([w[i], self._shaped(nig["mu"][i]), self._shaped(nig["sigma"][i])], 1)
            for i in (0, 1)
        )

    def cdf(self, truth, *, rng=None) -> np.ndarray:
        """Exact posterior CDFs at the true weights, means and sds (R, 3J)."""
        from scipy.special import betainc

        total = self.a.sum(axis=1, keepdims=True)
        w = betainc(self.a, total - self.a, truth.weights)
        tiled = SimpleNamespace(
            mu=_flat(np.broadcast_to(truth.mu, self.mu.shape)),
            sigma=_flat(np.broadcast_to(truth.sigma, self.mu.shape)),
        )
        nig = self._nig.cdf(tiled)
        return np.concatenate([w, self._shaped(nig["mu"]), self._shaped(nig["sigma"])], axis=1)

    def central_intervals(self, levels) -> tuple[np.ndarray, np.ndarray]:
        """Exact central intervals, each (level, R, 3J)."""
        from scipy.special import betaincinv

        q = np.asarray(levels, float)[:, None, None]
        total = self.a.sum(axis=1, keepdims=True)
        nig = self._nig.central_intervals(levels)
        out = []
        for i, tail in enumerate(((1 - q) / 2, (1 + q) / 2)):
            w = betaincinv(self.a, total - self.a, tail)
            parts = (self._shaped(nig["mu"][i]), self._shaped(nig["sigma"][i]))
            out.append(np.concatenate([w, *parts], axis=-1))
        return tuple(out)

    def _draw(self, shape: tuple, rng) -> tuple[np.ndarray, ...]:
        """Exact draws of (weights, mu, sigma), each of ``shape`` + (R, J)."""
        g = rng.standard_gamma(np.broadcast_to(self.a, (*shape, *self.a.shape)))
        mu, sigma2 = nig_draws(self.nig, shape, rng)
        return g / g.sum(axis=-1, keepdims=True), mu, np.sqrt(sigma2)

    def posterior_groups(self, *, draws: int, chains: int, rng) -> dict:
        """ArviZ ``posterior`` group for storage: exact draws of the weights, means and sds."""
        parts = self._draw((chains, draws), rng)
        names = ("weights", "mu", "sigma")
        pairs = zip(names, parts, strict=True)
        return {"posterior": xr.Dataset({n: (_DRAW_DIMS, v) for n, v in pairs})}

    def synthetic(self, sizes, *, mode: str, rng, decoding: Decoding = PLAIN) -> MixturePoints:
        """Draw labelled points from the posterior.

        ``ancestral``: one draw of (weights, means, sds) per replicate writes the set;
        ``plugin``: the posterior mean weights and means, sds ``sqrt(E sigma^2)``;
        ``predictive``: each point's label from the mean weights (the Dirichlet's
        predictive), its value from that component's Student-t predictive.
        """
        check_mode(mode)
        if mode == "ancestral":
            weights, mu, sigma = (v[0] for v in self._draw((1,), rng))
            return draw_mixture(weights, mu, decoding.scale_sigma(sigma), sizes, rng)
        if mode == "plugin":
            sigma = decoding.scale_sigma(np.sqrt(self.sigma2_mean))
            return draw_mixture(self.weights_mean, self.mu, sigma, sizes, rng)
        points = draw_mixture(self.weights_mean, self.mu, np.ones_like(self.mu), sizes, rng)
        scale = nig_predictive_scale(self.nig, decoding.variance_scale)
        label = np.maximum(points.z, 0)
        pick = np.take_along_axis
        t = rng.standard_t(pick(2 * self.alpha, label, 1), size=points.x.shape)
        x = pick(self.mu, label, 1) + pick(scale, label, 1) * t
        return MixturePoints(np.where(points.z >= 0, x, np.nan), points.z, points.weight)


@dataclass(frozen=True)
class SampledMixture:
    """A posterior known through draws of ``weights``, ``mu``, ``sigma`` (any PyMC model).

    The draws are relabelled by their means, draw by draw (an ordered model's already
    are); ``label_switching`` (R,) is the share of draws whose labels that changed.
    """

    tree: xr.DataTree
    hdi_prob: float
    diagnostics: dict = field(default_factory=dict)
    bayesian: ClassVar[bool] = True
    exact_cdf: ClassVar[bool] = False

    def __post_init__(self) -> None:
        post = self.tree["posterior"]
        raw = [
            post[n].transpose("replicate", "chain", "draw", "component").values
            for n in ("weights", "mu", "sigma")
        ]
        reps, chains, draws, comps = raw[1].shape
        order = np.argsort(raw[1], axis=-1)
        switched = (order != np.arange(comps)).any(axis=-1)
        parts = [np.take_along_axis(v, order, -1).reshape(reps, -1, comps) for v in raw]
        object.__setattr__(self, "_parts", parts)
        object.__setattr__(self, "label_switching", switched.reshape(reps, -1).mean(axis=1))

    @property
    def weights_mean(self) -> np.ndarray:
        """Posterior mean of the weights."""
        return self._parts[0].mean(axis=1)

    @property
    def mu_mean(self) -> np.ndarray:
        """Posterior mean of the means."""
        return self._parts[1].mean(axis=1)

    @property
    def sigma_mean(self) -> np.ndarray:
        """Posterior mean of the sds."""
        return self._parts[2].mean(axis=1)

    @property
    def sigma2_mean(self) -> np.ndarray:
        """Posterior mean of the variances."""
        return (self._parts[2] ** 2).mean(axis=1)

    @property
    def carried_prior(self):
        """Not defined: a mixture's posterior is not in its prior's family."""
        raise ValueError("prior_update 'carry' is not defined for a mixture fitted by NUTS")

    @property
    def drift_form(self) -> tuple[np.ndarray, tuple]:
        """Moment-matched Dirichlet and NIGs of the relabelled draws, for the drift."""
        w, mu, sigma = self._parts
        return dirichlet_from_draws(np.moveaxis(w, 1, 0)), nig_from_draws(mu, sigma, axis=1)

    def _stacked(self) -> np.ndarray:
        """Draws of every parameter, (sample, R, 3J)."""
        return np.moveaxis(np.concatenate(self._parts, axis=-1), 1, 0)

    def hdi(self) -> tuple[np.ndarray, np.ndarray]:
        """HDIs of the weights, means and sds from the relabelled draws, each (R, 3J)."""
        return sorted_hdi(sorted_draws(self._stacked()), self.hdi_prob)

    def cdf(self, truth, *, rng=None) -> np.ndarray:
        """PIT of the truth among the relabelled draws (R, 3J)."""
        return draws_cdf(self._stacked(), truth.values, rng=rng)

    def central_intervals(self, levels) -> tuple[np.ndarray, np.ndarray]:
        """Central intervals from the relabelled draws, each (level, R, 3J)."""
        return draws_central_intervals(self._stacked(), levels)

    def posterior_groups(self, **_) -> dict:
        """ArviZ groups for storage: the NUTS draws as sampled and the sampler's statistics."""
        return {name: self.tree[name].to_dataset() for name in ("posterior", "sample_stats")}

    def synthetic(self, sizes, *, mode: str, rng, decoding: Decoding = PLAIN) -> MixturePoints:
        """Draw labelled points from the draws.

        ``ancestral``: one draw per replicate; ``plugin``: the posterior means (sds
        ``sqrt(E sigma^2)``); ``predictive``: a draw picked afresh for every point.
        """
        check_mode(mode)
        w, mu, sigma = self._parts
        reps = np.arange(w.shape[0])
        if mode == "plugin":
            scale = decoding.scale_sigma(np.sqrt(self.sigma2_mean))
            return draw_mixture(self.weights_mean, self.mu_mean, scale, sizes, rng)
        if mode == "ancestral":
            pick = rng.integers(w.shape[1], size=w.shape[0])
            chosen = (v[reps, pick] for v in (w, mu, sigma))
        else:
            pick = rng.integers(w.shape[1], size=(w.shape[0], int(np.max(sizes, initial=0))))
            chosen = (v[reps[:, None], pick] for v in (w, mu, sigma))
        weights, means, sds = chosen
        return draw_mixture(weights, means, decoding.scale_sigma(sds), sizes, rng)
