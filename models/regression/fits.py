"""Fits of the linear-regression family: least squares, ridge and the exact NIG posterior.

All are batched over replicates (``np.linalg`` on stacks of d x d matrices) and read only
the sufficient statistics (:class:`~bayescollapse.models.regression.data.RegressionStats`).

Normal-inverse-gamma (NIG) prior ``w | sigma^2 ~ N(m0, sigma^2 P0^-1)``,
``sigma^2 ~ InvGamma(a0, b0)``; posterior (Bishop 2006, sec. 3.3; Murphy 2012, sec. 7.6.3)
``Pn = P0 + X'X``, ``mn = Pn^-1 (P0 m0 + X'y)``, ``an = a0 + n / 2``,
``bn = b0 + (y'y + m0' P0 m0 - mn' Pn mn) / 2``. Marginals:
``sigma^2 ~ InvGamma(an, bn)``, ``w_j ~ t_{2 an}(mn_j, bn / an (Pn^-1)_jj)``. The
posterior mean is a ridge estimator with penalty ``P0`` pulled toward ``m0``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import xarray as xr

from bayescollapse.errors import InputError
from bayescollapse.metrics.drift import inverse_gamma_kl
from bayescollapse.metrics.intervals import unimodal_hdi
from bayescollapse.models.decoding import PLAIN, Decoding
from bayescollapse.models.gaussian.fits import (
    invgamma_mean,
    invgamma_sqrt_logpdf,
    invgamma_sqrt_mean,
    invgamma_sqrt_ppf,
)
from bayescollapse.models.probability_fits import check_mode
from bayescollapse.models.regression.data import RegressionStats, labels_on, per_row_stats

__all__ = ["NIGRegression", "PointRegression", "nig_regression_kl", "nig_regression_update"]


@dataclass(frozen=True)
class PointRegression:
    """A point fit: coefficients ``w`` (R, d) and noise variance ``sigma2`` (R,)."""

    w: np.ndarray
    sigma2: np.ndarray
    spectrum: np.ndarray
    diagnostics: dict = field(default_factory=dict)
    design: tuple | None = None  # a fixed design's (X'X, rows), relabelled
    bayesian: ClassVar[bool] = False

    @property
    def w_mean(self) -> np.ndarray:
        """The fitted coefficients."""
        return self.w

    @property
    def sigma2_mean(self) -> np.ndarray:
        """The fitted noise variance."""
        return self.sigma2

    @property
    def sigma_mean(self) -> np.ndarray:
        """Its square root."""
        return np.sqrt(self.sigma2)

    def synthetic(self, sizes, *, mode: str, rng, decoding: Decoding = PLAIN) -> RegressionStats:
        """Fresh rows labelled by the fit: ``y = x . w + N(0, c sigma2)`` (every mode)."""
        check_mode(mode)
        sigma = decoding.scale_sigma(np.sqrt(self.sigma2))
        return labels_on(self.design, self.spectrum, self.w, sigma, sizes, rng)


@dataclass(frozen=True)
class NIGRegression:
    """The exact NIG posterior per replicate.

    Mean ``m`` (R, d), precision ``precision`` (R, d, d), ``a`` and ``b`` (R,).
    """

    m: np.ndarray
    precision: np.ndarray
    a: np.ndarray
    b: np.ndarray
    spectrum: np.ndarray
    hdi_prob: float = 0.94
    prior: tuple | None = None
    diagnostics: dict = field(default_factory=dict)
    design: tuple | None = None  # a fixed design's (X'X, rows), relabelled
    bayesian: ClassVar[bool] = True
    exact_cdf: ClassVar[bool] = True

    @property
    def cov(self) -> np.ndarray:
        """``Pn^-1``: the posterior covariance of ``w`` is ``sigma^2`` times it."""
        return np.linalg.inv(self.precision)

    @property
    def w_mean(self) -> np.ndarray:
        """Posterior mean of w."""
        return self.m

    @property
    def sigma2_mean(self) -> np.ndarray:
        """Posterior mean of sigma^2, ``b / (a - 1)`` (inf for ``a <= 1``)."""
        return invgamma_mean(self.a, self.b)

    @property
    def sigma_mean(self) -> np.ndarray:
        """Posterior mean of sigma, ``sqrt(b) Gamma(a - 1/2) / Gamma(a)``."""
        return invgamma_sqrt_mean(self.a, self.b)

    @property
    def w_var(self) -> np.ndarray:
        """Marginal posterior variances of w, ``b / (a - 1) diag(Pn^-1)`` (R, d)."""
        return self.sigma2_mean[:, None] * np.diagonal(self.cov, axis1=1, axis2=2)

    @property
    def nig(self) -> tuple:
        """The NIG parameters ``(m, P, a, b)`` (exact here), for the drift."""
        return self.m, self.precision, self.a, self.b

    @property
    def carried_prior(self) -> tuple:
        """The prior of the next generation under ``prior_update='carry'``: this posterior."""
        return self.nig

    def _w_scale(self) -> np.ndarray:
        """Scale of the Student-t marginals of w (R, d)."""
        return np.sqrt(self.b / self.a)[:, None] * np.sqrt(np.diagonal(self.cov, axis1=1, axis2=2))

    def hdi(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Exact HDIs of each coefficient (symmetric t) and of sigma."""
        from scipy.special import stdtrit

        half = stdtrit(2 * self.a, 0.5 + self.hdi_prob / 2)[:, None] * self._w_scale()
        sigma = unimodal_hdi(
            invgamma_sqrt_ppf, invgamma_sqrt_logpdf, (self.a, self.b), self.hdi_prob
        )
        return {"w": (self.m - half, self.m + half), "sigma": sigma}

    def central_intervals(self, levels) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Exact central intervals: of w (level, R, d) and sigma (level, R)."""
        from scipy.special import stdtrit

        q = np.asarray(levels, float)[:, None]
        half = stdtrit(2 * self.a, (1 + q) / 2)[..., None] * self._w_scale()
        return {
            "w": (self.m - half, self.m + half),
            "sigma": (
                invgamma_sqrt_ppf((1 - q) / 2, self.a, self.b),
                invgamma_sqrt_ppf((1 + q) / 2, self.a, self.b),
            ),
        }

    def cdf(self, truth, *, rng=None) -> dict[str, np.ndarray]:
        """Posterior CDFs at the true w (R, d) and sigma (R,): the PIT, exact."""
        from scipy.special import gammaincc, stdtr

        z = (truth.w - self.m) / self._w_scale()
        return {
            "w": stdtr(2 * self.a[:, None], z),
            "sigma": gammaincc(self.a, self.b / truth.sigma**2),
        }

    def draw(self, shape: tuple, rng) -> tuple[np.ndarray, np.ndarray]:
        """Draw ``(w, sigma)``: ``w`` of shape (*shape, R, d), ``sigma`` (*shape, R)."""
        sigma2 = self.b / rng.standard_gamma(np.broadcast_to(self.a, (*shape, self.a.size)))
        chol = np.linalg.cholesky(self.cov)
        z = rng.standard_normal((*shape, *self.m.shape))
        w = self.m + np.sqrt(sigma2)[..., None] * np.einsum("rij,...rj->...ri", chol, z)
        return w, np.sqrt(sigma2)

    def posterior_groups(self, *, draws: int, chains: int, rng) -> dict:
        """ArviZ ``posterior`` group for storage: exact draws of (w, sigma)."""
        w, sigma = self.draw((chains, draws), rng)
        return {
            "posterior": xr.Dataset(
                {
                    "w": (("chain", "draw", "replicate", "feature"), w),
                    "sigma": (("chain", "draw", "replicate"), sigma),
                }
            )
        }

    def synthetic(self, sizes, *, mode: str, rng, decoding: Decoding = PLAIN) -> RegressionStats:
        """Fresh rows labelled from the posterior.

        ``ancestral``: one draw of ``(w, sigma)`` per replicate labels the whole set;
        ``plugin``: the posterior mean of w and of sigma^2; ``predictive``: a fresh draw per
        row (rows drawn in chunks: its cost grows with n d^2). A variance scale ``c``
        (``decoding``) multiplies the label noise's variance.
        """
        check_mode(mode)
        if mode == "plugin":
            sigma = decoding.scale_sigma(np.sqrt(self.sigma2_mean))
            return labels_on(self.design, self.spectrum, self.m, sigma, sizes, rng)
        if mode == "ancestral":
            w, sigma = self.draw((), rng)
            scale = decoding.scale_sigma(sigma)
            return labels_on(self.design, self.spectrum, w, scale, sizes, rng)
        return self._predictive(sizes, rng, decoding)

    def _predictive(self, sizes, rng, decoding: Decoding) -> RegressionStats:
        chol = np.linalg.cholesky(self.cov)

        def draw(r, m):
            sigma = np.sqrt(self.b[r] / rng.standard_gamma(self.a[r], m))
            w = self.m[r] + sigma[:, None] * (rng.standard_normal((m, self.m.shape[1])) @ chol[r].T)
            return w, decoding.scale_sigma(sigma)

        return per_row_stats(self.spectrum, sizes, draw, rng)


def nig_regression_update(prior: tuple, data: RegressionStats) -> tuple:
    """Return the NIG posterior ``(mn, Pn, an, bn)`` of prior ``(m0, P0, a0, b0)`` and data."""
    m0, p0, a0, b0 = prior
    pn = p0 + data.xx
    rhs = np.einsum("rij,rj->ri", p0, m0) + data.xy
    mn = np.linalg.solve(pn, rhs[..., None])[..., 0]
    quad0 = np.einsum("ri,rij,rj->r", m0, p0, m0)
    quadn = np.einsum("ri,rij,rj->r", mn, pn, mn)
    an = a0 + data.n / 2
    bn = b0 + np.maximum(data.yy + quad0 - quadn, 0.0) / 2
    return mn, pn, an, bn


def nig_regression_kl(first: tuple, second: tuple) -> np.ndarray:
    """KL(NIG(first) || NIG(second)) of ``(m, P, a, b)`` tuples, per replicate.

    ``KL(IG(a1, b1) || IG(a2, b2)) + E_{sigma^2} KL(N(m1, sigma^2 P1^-1) || N(m2, sigma^2 P2^-1))``
    with ``E 1/sigma^2 = a1 / b1``:
    ``(tr(P2 P1^-1) - d + log det P1 - log det P2) / 2 + a1 / b1 (m1 - m2)' P2 (m1 - m2) / 2``.
    """
    m1, p1, a1, b1 = first
    m2, p2, a2, b2 = second
    d = m1.shape[-1]
    kl_ig = inverse_gamma_kl(a1, b1, a2, b2)
    trace = np.einsum("rii->r", np.linalg.solve(p1, p2))
    logdet = np.linalg.slogdet(p1)[1] - np.linalg.slogdet(p2)[1]
    gap = m1 - m2
    quad = np.einsum("ri,rij,rj->r", gap, p2, gap)
    return kl_ig + 0.5 * (trace - d + logdet) + 0.5 * a1 / b1 * quad


@dataclass(frozen=True)
class LeastSquaresFitter:
    """OLS (``ridge`` 0) or ridge coefficients; sigma^2 = RSS / (n - ``ddof``)."""

    spectrum: np.ndarray
    ridge: float = 0.0
    ddof: int = 0
    name: str = "mle"

    def fit(self, data: RegressionStats, *, prior, rng) -> PointRegression:
        d = data.xy.shape[-1]
        if self.ridge == 0 and np.any(data.n < d + self.ddof):
            raise InputError(
                f"method {self.name!r} needs more rows than features: a training set has "
                f"{int(data.n.min())} rows for d = {d} (use ridge or conjugate)"
            )
        gram = data.xx + self.ridge * np.eye(d)
        w = np.linalg.solve(gram, data.xy[..., None])[..., 0]
        dof = data.n - self.ddof * d
        return PointRegression(w, data.rss(w) / dof, self.spectrum, design=data.design)


@dataclass(frozen=True)
class NIGFitter:
    """The exact NIG posterior."""

    spectrum: np.ndarray
    hdi_prob: float

    def fit(self, data: RegressionStats, *, prior, rng) -> NIGRegression:
        mn, pn, an, bn = nig_regression_update(prior, data)
        return NIGRegression(
            mn, pn, an, bn, self.spectrum, self.hdi_prob, prior=prior, design=data.design
        )
