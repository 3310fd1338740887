"""A regression posterior known through draws of ``(w, sigma)``: any PyMC model of the family."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import xarray as xr

from bayescollapse.metrics.intervals import draws_cdf, draws_central_intervals, draws_hdi
from bayescollapse.models.decoding import PLAIN, Decoding
from bayescollapse.models.probability_fits import check_mode
from bayescollapse.models.regression.data import RegressionStats, labels_on, per_row_stats
from bayescollapse.models.regression.fits import nig_regression_update

__all__ = ["SampledRegression"]


@dataclass(frozen=True)
class SampledRegression:
    """Draws of ``w`` (replicate, feature) and ``sigma`` (replicate) in ``tree["posterior"]``.

    ``prior`` is the NIG prior ``(m0, P0, a0, b0)`` the model read as data, or None (another
    prior: then there is no exact posterior to carry).
    """

    tree: xr.DataTree
    prior: tuple | None
    data: RegressionStats
    spectrum: np.ndarray
    hdi_prob: float
    diagnostics: dict = field(default_factory=dict)
    bayesian: ClassVar[bool] = True
    exact_cdf: ClassVar[bool] = False  # the PIT is a randomised rank among draws

    def _w(self) -> np.ndarray:
        """Draws of w, shape (replicate, sample, feature)."""
        da = self.tree["posterior"]["w"].transpose("replicate", "chain", "draw", "feature")
        return da.values.reshape(da.shape[0], -1, da.shape[-1])

    def _sigma(self) -> np.ndarray:
        """Draws of sigma, shape (replicate, sample)."""
        da = self.tree["posterior"]["sigma"].transpose("replicate", "chain", "draw")
        return da.values.reshape(da.shape[0], -1)

    @property
    def w_mean(self) -> np.ndarray:
        """Posterior mean of w."""
        return self._w().mean(axis=1)

    @property
    def w_var(self) -> np.ndarray:
        """Posterior variances of w (R, d)."""
        return self._w().var(axis=1)

    @property
    def sigma2_mean(self) -> np.ndarray:
        """Posterior mean of sigma^2."""
        return (self._sigma() ** 2).mean(axis=1)

    @property
    def sigma_mean(self) -> np.ndarray:
        """Posterior mean of sigma."""
        return self._sigma().mean(axis=1)

    @property
    def nig(self) -> tuple:
        """Return the moment-matched NIG ``(m, P, a, b)``.

        Sigma^2's mean and variance give a and b, and ``Cov(w) = b / (a - 1) P^-1`` gives P.
        """
        s2 = self._sigma() ** 2
        mean, var = s2.mean(axis=1), s2.var(axis=1)
        a = mean**2 / var + 2
        b = mean * (a - 1)
        w = self._w()
        centred = w - w.mean(axis=1, keepdims=True)
        cov = np.einsum("rsi,rsj->rij", centred, centred) / (w.shape[1] - 1)
        precision = mean[:, None, None] * np.linalg.inv(cov)
        return w.mean(axis=1), precision, a, b

    @property
    def carried_prior(self) -> tuple:
        """The exact NIG posterior the sampler targets (NIG prior only)."""
        if self.prior is None:
            raise ValueError("prior_update 'carry' needs a model with the NIG prior as data")
        return nig_regression_update(self.prior, self.data)

    def posterior_groups(self, **_) -> dict:
        """ArviZ groups for storage: the NUTS draws and the sampler's statistics."""
        return {name: self.tree[name].to_dataset() for name in ("posterior", "sample_stats")}

    def hdi(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """HDIs of each coefficient (R, d) and of sigma (R,), from the draws."""
        post = self.tree["posterior"]
        return {
            "w": draws_hdi(
                post["w"].transpose("chain", "draw", "replicate", "feature"), self.hdi_prob
            ),
            "sigma": draws_hdi(
                post["sigma"].transpose("chain", "draw", "replicate"), self.hdi_prob
            ),
        }

    def central_intervals(self, levels) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Central intervals from the draws: of w (level, R, d) and sigma (level, R)."""
        return {
            "w": draws_central_intervals(np.moveaxis(self._w(), 1, 0), levels),
            "sigma": draws_central_intervals(self._sigma().T, levels),
        }

    def cdf(self, truth, *, rng=None) -> dict[str, np.ndarray]:
        """PIT of the true w (R, d) and sigma (R,) among the draws (randomised with ``rng``)."""
        return {
            "w": draws_cdf(np.moveaxis(self._w(), 1, 0), truth.w, rng=rng),
            "sigma": draws_cdf(self._sigma().T, truth.sigma, rng=rng),
        }

    def synthetic(self, sizes, *, mode: str, rng, decoding: Decoding = PLAIN) -> RegressionStats:
        """Fresh rows labelled from the draws.

        ``ancestral``: one draw per replicate labels its set; ``plugin``: the posterior
        means of w and sigma^2; ``predictive``: a draw picked afresh for every row.
        """
        check_mode(mode)
        w, sigma = self._w(), self._sigma()
        reps = np.arange(w.shape[0])
        if mode == "plugin":
            scale = decoding.scale_sigma(np.sqrt(self.sigma2_mean))
            return labels_on(self.data.design, self.spectrum, self.w_mean, scale, sizes, rng)
        if mode == "ancestral":
            pick = rng.integers(w.shape[1], size=w.shape[0])
            scale = decoding.scale_sigma(sigma[reps, pick])
            return labels_on(self.data.design, self.spectrum, w[reps, pick], scale, sizes, rng)

        def draw(r, m):
            pick = rng.integers(w.shape[1], size=m)
            return w[r, pick], decoding.scale_sigma(sigma[r, pick])

        return per_row_stats(self.spectrum, sizes, draw, rng)
