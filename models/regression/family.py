"""Linear regression under retraining: the family, its truth, data, prior and face.

Rows ``x ~ N(0, Sigma)`` in ``d`` dimensions, ``Sigma = diag(spectrum)`` (``isotropic``:
the identity; ``power:B``: ``lambda_j = j^-B``, the spectrum of the scaling-law papers),
labels ``y = x . w* + N(0, sigma*^2)``. A generation's training set is ``n_t`` rows:
real rows labelled by the truth and synthetic rows, on a fresh design, labelled by the
previous fit (see :meth:`~bayescollapse.models.regression.fits.NIGRegression.synthetic`).
Data are the sufficient statistics (:mod:`bayescollapse.models.regression.data`), drawn
exactly at a cost in ``d`` only, so ``n_t`` may be large.

Methods: ``mle`` (least squares, ``sigma^2 = RSS / n``), ``unbiased``
(``RSS / (n - d)``), ``ridge`` (penalty ``ridge_lambda``), ``conjugate`` (the exact
normal-inverse-gamma posterior; :mod:`bayescollapse.models.regression.fits`).

Laws (:mod:`bayescollapse.theory.regression`, checked by the tests): with a fresh
Gaussian design, least squares on ``n > d + 1`` rows labelled by ``(w, s)`` has
``E (w_hat - w)' Sigma (w_hat - w) = s^2 d / (n - d - 1)`` and ``E RSS = s^2 (n - d)``;
the replace loop's excess risk therefore grows linearly in the generations with the
``unbiased`` noise estimate (Dohmatob, Feng and Kempe 2024) and saturates with ``mle``'s,
which shrinks by ``(n - d) / n`` each generation. The paper's mixture with real fraction
``alpha_t`` and accumulating on a fixed design have exact laws too (derived there).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar

import numpy as np
import xarray as xr

from bayescollapse.models.decoding import check_gaussian_decoding
from bayescollapse.models.face import FamilyFace, PathPanel, largest_training_set
from bayescollapse.models.gaussian.fits import invgamma_mean
from bayescollapse.models.params import param
from bayescollapse.models.registry import register_family, register_method, register_pymc_model
from bayescollapse.models.regression.data import (
    RegressionStats,
    RegressionTruth,
    design_gram,
    design_stats,
    labels_on,
    rows_given_stats,
    subsample_batches,
)
from bayescollapse.models.regression.fits import LeastSquaresFitter, NIGFitter
from bayescollapse.models.regression.record import UNITS, VARIABLES, regression_record
from bayescollapse.models.regression.sampled import SampledRegression
from bayescollapse.models.sampling import SamplerSettings, check_sampler_settings

__all__ = ["DESIGNS", "LinearRegression", "spectrum_values"]

DESIGNS = ("fresh", "fixed")


def spectrum_values(spec: str, dim: int) -> np.ndarray:
    """Return the feature variances of ``isotropic`` or ``power:B`` (``j^-B``, j = 1..d).

    Examples
    --------
    >>> spectrum_values("power:1", 3).tolist()
    [1.0, 0.5, 0.3333333333333333]
    """
    if spec == "isotropic":
        return np.ones(dim)
    name, _, exponent = spec.partition(":")
    try:
        if name != "power":
            raise ValueError
        b = float(exponent)
        if not (np.isfinite(b) and b >= 0):
            raise ValueError
    except ValueError:
        raise ValueError(
            f"spectrum {spec!r} is not 'isotropic' or 'power:B' with B a number >= 0"
        ) from None
    return np.arange(1, dim + 1, dtype=float) ** -b


@dataclass(frozen=True)
class RegressionParams:
    """The regression model's own parameters (flags and TOML keys derive from them)."""

    dim: int = param(10, "number of features d", metavar="D")
    spectrum: str = param(
        "isotropic", "feature variances: isotropic | power:B (lambda_j = j^-B)", metavar="SPEC"
    )
    design: str = param(
        "fresh",
        "fresh: new rows every generation | fixed: generation 0's rows relabelled every generation",
        choices=DESIGNS,
    )
    ridge_lambda: float = param(1.0, "penalty of the ridge method (> 0)", metavar="LAMBDA")
    prior_kappa: float = param(
        0.01, "NIG prior precision scale: w | sigma^2 ~ N(0, sigma^2 / kappa0 I)", prior="kappa0"
    )
    prior_alpha: float = param(1.0, "NIG alpha0 (> 0)", prior="alpha0")
    prior_beta: float = param(1.0, "NIG beta0 (> 0)", prior="beta0")


#: dims of a value per posterior draw and training row
_DRAW_ROWS = ("chain", "draw", "replicate", "row")


def _labels_law(posterior, observed) -> tuple[np.ndarray, np.ndarray]:
    """Return each kept row's label mean ``x . w`` and the label sd, per posterior draw."""
    w = posterior["w"].transpose("chain", "draw", "replicate", "feature").values
    sigma = posterior["sigma"].transpose("chain", "draw", "replicate").values
    return np.einsum("rnj,cdrj->cdrn", observed["x"].values, w), sigma[..., None]


@register_family
@dataclass(frozen=True)
class LinearRegression(RegressionParams, SamplerSettings, FamilyFace):
    """Bayesian linear regression ``y = x . w + N(0, sigma^2)`` with unknown w and sigma.

    Parameters
    ----------
    dim : int
        Number of features d.
    spectrum : str
        ``isotropic`` or ``power:B``: the features' variances.
    ridge_lambda : float
        The ridge method's penalty.
    prior_kappa, prior_alpha, prior_beta : float
        The NIG prior ``w | sigma^2 ~ N(0, sigma^2 / kappa0 I)``,
        ``sigma^2 ~ InvGamma(alpha0, beta0)`` of ``conjugate``.
    draws, tune, chains, target_accept, hdi_prob, coverage_levels, diagnostics_every
        Sampler and summary settings.
    """

    #: whether :meth:`combine` keeps each part's statistics (a setting subsamples its
    #: pool: ``accumulate-subsample``); set by :meth:`from_config`
    keep_batches: bool = field(default=False, repr=False)
    params: ClassVar[type] = RegressionParams
    name: ClassVar[str] = "linear-regression"
    default_truth: ClassVar[str] = "random:0:1"
    variables: ClassVar[dict] = VARIABLES
    units: ClassVar[dict] = UNITS
    plot_metric: ClassVar[str] = "excess_risk"
    coverage_metric: ClassVar[str] = "w_covered"
    r_hat_variables: ClassVar[tuple[str, ...]] = ("w_r_hat", "sigma_r_hat")
    labels: ClassVar[dict[str, str]] = {
        "excess_risk": "excess risk (w_t - w*)' Sigma (w_t - w*)",
        "sigma2_mean": "fitted noise variance sigma_t^2",
        "w_covered": "share of w* inside the HDIs",
    }
    curve_variables: ClassVar[tuple[str, ...]] = ("excess_risk", "sigma2_mean")
    summary_columns: ClassVar[tuple[tuple[str, str], ...]] = (
        ("excess risk", "excess_risk"),
        ("|w-w*|^2", "w_sq_error"),
        ("sigma/sigma*", "sigma_ratio"),
        ("w* in HDI", "w_covered"),
        ("sigma* in HDI", "sigma_covered"),
    )

    @classmethod
    def from_config(cls, config) -> LinearRegression:
        """Build the family from a RunConfig; keep the pool's parts if a setting subsamples it."""
        family = super().from_config(config)
        subsamples = any(s.scheme == "accumulate-subsample" for s in config.settings)
        return replace(family, keep_batches=subsamples)

    def __post_init__(self) -> None:
        if not (isinstance(self.dim, int | np.integer) and self.dim >= 1):
            raise ValueError(f"dim must be an integer >= 1, got {self.dim!r}")
        spectrum_values(self.spectrum, 1)
        if self.design not in DESIGNS:
            raise ValueError(f"design {self.design!r} is not one of {', '.join(DESIGNS)}")
        for name in ("ridge_lambda", "prior_kappa", "prior_alpha", "prior_beta"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
        check_sampler_settings(self)

    @property
    def feature_variances(self) -> np.ndarray:
        """The diagonal of Sigma."""
        return spectrum_values(self.spectrum, self.dim)

    # -- the truth --
    def make_truth(self, spec) -> RegressionTruth:
        """Read ``random:SEED:SIGMA`` (w* ~ N(0, I / d) from SEED) or d + 1 numbers (w*, sigma*)."""
        if isinstance(spec, str):
            name, _, rest = spec.partition(":")
            parts = rest.split(":") if rest else []
            try:
                if name != "random" or len(parts) != 2:
                    raise ValueError
                seed, sigma = int(parts[0]), float(parts[1])
            except ValueError:
                raise ValueError(
                    f"unknown truth {spec!r}: use 'random:SEED:SIGMA' or d + 1 numbers "
                    "(the coefficients, then sigma)"
                ) from None
            w = np.random.default_rng(seed).standard_normal(self.dim) / np.sqrt(self.dim)
        else:
            values = np.asarray([float(x) for x in spec])
            if values.size != self.dim + 1:
                raise ValueError(
                    f"a regression truth is d + 1 = {self.dim + 1} numbers (w*, then sigma*), "
                    f"got {values.size}"
                )
            w, sigma = values[:-1], float(values[-1])
        if not np.all(np.isfinite(w)):
            raise ValueError(f"truth {spec!r}: the coefficients must be finite numbers")
        if not (np.isfinite(sigma) and sigma > 0):
            raise ValueError(f"truth {spec!r}: sigma* {sigma:g} is not a finite number > 0")
        return RegressionTruth(w, sigma, self.feature_variances)

    def truth_variables(self, truth: RegressionTruth) -> tuple[dict, dict]:
        """Return the data variables and coords that record the truth in the results."""
        names = [f"w{j}" for j in range(self.dim)] + ["sigma"]
        return {
            "truth_w": (("feature",), truth.w, {"description": "the true coefficients w*"}),
            "truth_sigma": ((), truth.sigma, {"description": "the true noise sd sigma*"}),
            "feature_variance": (
                ("feature",),
                truth.spectrum,
                {"description": "variance of each feature (the diagonal of Sigma)"},
            ),
        }, {
            "level": list(self.coverage_levels),
            "parameter": names,
            "feature": np.arange(self.dim),
        }

    @property
    def dim_sizes(self) -> dict[str, int]:
        """Sizes of the family's inner dims."""
        return {"level": len(self.coverage_levels), "parameter": self.dim + 1, "feature": self.dim}

    # -- data --
    def sample_truth(self, truth: RegressionTruth, sizes, *, rng) -> RegressionStats:
        """Draw the statistics of ``sizes[r]`` fresh rows labelled by the truth.

        With ``design`` ``fixed`` these rows are the design every later generation
        relabels (the statistics carry it); no rows give empty statistics.
        """
        sizes = np.asarray(sizes, dtype=np.int64)
        reps = sizes.size
        w = np.broadcast_to(truth.w, (reps, truth.dim))
        sigma = np.full(reps, truth.sigma)
        if self.design == "fresh" or not sizes.any():
            return design_stats(truth.spectrum, w, sigma, sizes, rng)
        if np.any(sizes <= truth.dim):
            raise ValueError(
                f"design 'fixed' needs more rows than features: {int(sizes.min())} rows for "
                f"d = {truth.dim}"
            )
        design = (design_gram(truth.spectrum, sizes, rng), sizes)
        return labels_on(design, truth.spectrum, w, sigma, sizes, rng)

    def combine(self, a: RegressionStats, b: RegressionStats) -> RegressionStats:
        """Return the statistics of the union of two data sets.

        When a setting subsamples its accumulated pool (``keep_batches``), the parts whose
        rows share one law are kept beside the sum (:func:`subsample_batches`).
        """
        both = a + b
        if not self.keep_batches:
            return both
        parts = tuple(p for s in (a, b) for p in (s.batches or (s,)) if np.any(p.n > 0))
        return replace(both, batches=parts)

    @staticmethod
    def subsample(pool: RegressionStats, sizes, *, rng) -> RegressionStats:
        """Rows drawn without replacement from an accumulated pool's parts."""
        return subsample_batches(pool.batches or (pool,), sizes, rng)

    @staticmethod
    def weigh(data: RegressionStats, weight: float) -> RegressionStats:
        """Return the statistics with every row counting ``weight`` (a power likelihood)."""
        return data if weight == 1 else data.scaled(weight)

    def _no_rows(self, *_, **__):
        raise ValueError(
            "the linear-regression model keeps sufficient statistics, not rows: a fixed or "
            "resampled real pool is not available"
        )

    real_pool = resample = _no_rows

    def initial_prior(self, replicates: int) -> tuple[np.ndarray, ...]:
        """Return the NIG prior ``(m0, P0, a0, b0)`` per replicate: ``m0 = 0``, ``P0 = kappa0 I``.

        The same for every replicate; a carried prior replaces it after generation 0.
        """
        d = self.dim
        return (
            np.zeros((replicates, d)),
            np.broadcast_to(self.prior_kappa * np.eye(d), (replicates, d, d)).copy(),
            np.full(replicates, float(self.prior_alpha)),
            np.full(replicates, float(self.prior_beta)),
        )

    def record(self, fit, data, truth, previous_fit, summarise_posterior, *, rng=None) -> dict:
        """One generation's row of results (see :func:`regression_record`)."""
        prior_w_var = None
        if fit.bayesian and fit.prior is not None:
            _, p0, a0, b0 = fit.prior
            scale = invgamma_mean(a0, b0)  # Var w = E sigma^2 P0^-1
            prior_w_var = scale[:, None] * np.diagonal(np.linalg.inv(p0), axis1=1, axis2=2)
        return regression_record(
            fit,
            data,
            truth,
            previous_fit,
            summarise_posterior,
            levels=self.coverage_levels,
            prior_w_var=prior_w_var,
            rng=rng,
        )

    @staticmethod
    def data_to_dataset(stats: RegressionStats) -> xr.Dataset:
        """Return a data set as an ArviZ-style group: its sufficient statistics."""
        return xr.Dataset(
            {
                "n": ("replicate", np.asarray(stats.n, float)),
                "xx": (("replicate", "feature", "feature_bis"), stats.xx),
                "xy": (("replicate", "feature"), stats.xy),
                "yy": ("replicate", stats.yy),
            }
        )

    @staticmethod
    def observed_dataset(stats: RegressionStats, *, rng) -> xr.Dataset:
        """Return the training labels ``y`` (replicate, row), their rows ``x`` as a coordinate.

        Drawn given the statistics (:func:`~bayescollapse.models.regression.data.rows_given_stats`);
        NaN past a replicate's n.
        ArviZ's ``constant_data`` (:meth:`constant_dataset`) keeps the rows.
        """
        x, y = rows_given_stats(stats, rng)
        return xr.Dataset(
            {"y": (("replicate", "row"), y)},
            coords={"x": (("replicate", "row", "feature"), x)},
        )

    @staticmethod
    def constant_dataset(observed: xr.Dataset) -> xr.Dataset:
        """Return the rows ``x`` the labels are conditioned on (ArviZ's ``constant_data``)."""
        return xr.Dataset({"x": observed["x"].variable})

    @staticmethod
    def predictive_dataset(posterior, observed, *, rng) -> xr.Dataset:
        """Draw the labels again on the same rows, one set per posterior draw of (w, sigma)."""
        mean, sigma = _labels_law(posterior, observed)
        y = mean + sigma * rng.standard_normal(mean.shape)
        return xr.Dataset({"y": (_DRAW_ROWS, y)})

    @staticmethod
    def log_likelihood(posterior, observed) -> xr.Dataset:
        """Return each label's normal log-density given its row, under each draw of (w, sigma)."""
        from scipy.stats import norm  # not at import: a run without posteriors needs no scipy

        mean, sigma = _labels_law(posterior, observed)
        return xr.Dataset({"y": (_DRAW_ROWS, norm.logpdf(observed["y"].values, mean, sigma))})

    @staticmethod
    def validate(ds) -> None:
        """Family-specific checks of a results dataset."""
        if not float(ds["truth_sigma"]) > 0:
            raise ValueError("truth_sigma must be > 0")

    def check_setting(self, setting) -> None:
        """Refuse settings this family cannot run (one-line errors)."""
        if setting.real_data != "fresh":
            self._no_rows()
        check_gaussian_decoding(setting)
        if self.design == "fixed":
            if setting.scheme != "replace" and setting.real_fraction not in ("zero", "0"):
                raise ValueError(
                    f"design 'fixed' relabels generation 0's rows with the previous fit: "
                    f"real_fraction must be 'zero', got {setting.real_fraction!r}"
                )
            if setting.bayesian and setting.synthetic == "predictive":
                raise ValueError(
                    "design 'fixed' keeps the design's X'X, not its rows: synthetic "
                    "'predictive' (parameters drawn per row) needs design 'fresh'"
                )

    # -- the face --
    @classmethod
    def path_panels(cls, ds, parameters=None) -> list[PathPanel]:
        """Return the posterior paths of chosen coefficients (first, middle, last) and sigma."""
        d = ds.sizes["feature"]
        chosen = list(parameters) if parameters is not None else sorted({0, d // 2, d - 1})
        bad = [j for j in chosen if not 0 <= j < d]
        if bad:
            raise ValueError(f"coefficient {bad[0]} is out of range 0..{d - 1}")
        panels = [
            PathPanel(
                f"w{j}",
                {"feature": j},
                "w_mean",
                "w_hdi_lower",
                "w_hdi_upper",
                float(ds["truth_w"].isel(feature=j)),
            )
            for j in chosen
        ]
        sigma = PathPanel(
            "sigma",
            {},
            "sigma_mean",
            "sigma_hdi_lower",
            "sigma_hdi_upper",
            float(ds["truth_sigma"]),
        )
        return [*panels, sigma]

    @classmethod
    def describe(cls, ds) -> str:
        """Return ``d=10`` for figure titles."""
        return f"d={ds.sizes['feature']}"

    @classmethod
    def expected_curve(cls, ds, setting: str) -> dict[str, np.ndarray] | None:
        """Return the exact expected excess risk and noise variance of least squares, or None.

        ``mle`` and ``unbiased`` under ``mixture`` (any ``alpha_t``, ``n_t``) and
        ``replace``, and under ``accumulate`` with no real rows on a fixed design at
        constant n (:mod:`bayescollapse.theory.regression`).
        """
        import json

        from bayescollapse.theory.regression import (
            least_squares_accumulate_fixed,
            least_squares_mixture,
        )

        row = ds.sel(setting=setting)
        method, scheme = str(row["fit_method"].values), str(row["scheme"].values)
        if method not in ("mle", "unbiased") or scheme not in ("mixture", "replace", "accumulate"):
            return None
        ddof = int(method == "unbiased")
        sigma2 = float(ds["truth_sigma"]) ** 2
        sizes, alphas = row["sample_size"].values, row["real_fraction"].values
        d = ds.sizes["feature"]
        if scheme != "accumulate":
            alphas = alphas if scheme == "mixture" else np.zeros(sizes.size)
            return least_squares_mixture(d, sigma2, alphas, sizes, ddof=ddof)
        design = json.loads(ds.attrs.get("config", "{}")).get("params", {}).get("design")
        if design != "fixed" or (alphas[1:] != 0).any() or len(set(sizes.tolist())) != 1:
            return None
        return least_squares_accumulate_fixed(d, sigma2, int(sizes[0]), sizes.size - 1, ddof=ddof)

    # -- what PyMC models of the family read and give (see protocols.PyMCFamily) --
    pymc_variables: ClassVar[tuple[str, ...]] = ("w", "sigma")
    pymc_data_names: ClassVar[tuple[str, ...]] = (
        "n",
        "xx",
        "xy",
        "yy",
        "m0",
        "l0",
        "a0",
        "b0",
        "sigma_alpha",
        "sigma_beta",
        "kappa0",
    )
    pymc_prior_data: ClassVar[tuple[str, ...]] = ("m0", "l0", "a0", "b0")

    def model_key(self) -> tuple:
        """Return what a built model depends on: the number of features."""
        return (self.dim,)

    def pymc_coords(self, replicates: int) -> dict[str, np.ndarray]:
        """Coords ``replicate`` and ``feature`` of a block's model."""
        return {"replicate": np.arange(replicates), "feature": np.arange(self.dim)}

    def pymc_data(self, data: RegressionStats, prior) -> dict[str, np.ndarray]:
        """Return every data input a model may declare.

        The statistics ``n``, ``xx``, ``xy``, ``yy``; the NIG prior as ``m0``, ``l0`` (the
        Cholesky factor of the prior covariance ``P0^-1``), ``a0``, ``b0``; and the
        Student-t example's ``sigma_alpha``, ``sigma_beta`` and ``kappa0`` (the family's
        prior settings, not the carried prior).
        """
        m0, p0, a0, b0 = prior
        size = np.asarray(data.n).shape
        return {
            "n": np.asarray(data.n, float),
            "xx": data.xx,
            "xy": data.xy,
            "yy": data.yy,
            "m0": m0,
            "l0": np.linalg.cholesky(np.linalg.inv(p0)),
            "a0": a0,
            "b0": b0,
            "sigma_alpha": np.full(size, float(self.prior_alpha)),
            "sigma_beta": np.full(size, float(self.prior_beta)),
            "kappa0": np.full(size, float(self.prior_kappa)),
        }

    def sampled_posterior(self, tree, *, prior, data, diagnostics):
        """Wrap a sampler's draws of ``w`` and ``sigma`` as a posterior fit."""
        return SampledRegression(
            tree, prior, data, self.feature_variances, self.hdi_prob, diagnostics
        )

    def working_memory(self, config) -> int:
        """Return the default, plus the parts ``accumulate-subsample`` keeps of its pool.

        Two parts a generation (real and synthetic), each a d x d Gram per replicate.
        """
        out = super().working_memory(config)
        if any(s.scheme == "accumulate-subsample" for s in config.settings):
            parts = 2 * (config.generations + 1)
            out += 8 * parts * config.replicate_block * (self.dim + 1) ** 2
        return out

    def kept_values(self, config) -> int:
        """Return w and sigma, and the largest training set's labels twice (predictive, log-lik)."""
        return self.dim + 1 + 2 * largest_training_set(config)


register_method(
    LinearRegression.name,
    "mle",
    lambda family, replicates: LeastSquaresFitter(family.feature_variances),
    bayesian=False,
    description="least squares, noise variance RSS / n",
)
register_method(
    LinearRegression.name,
    "unbiased",
    lambda family, replicates: LeastSquaresFitter(
        family.feature_variances, ddof=1, name="unbiased"
    ),
    bayesian=False,
    description="least squares, noise variance RSS / (n - d)",
)
register_method(
    LinearRegression.name,
    "ridge",
    lambda family, replicates: LeastSquaresFitter(
        family.feature_variances, ridge=family.ridge_lambda, name="ridge"
    ),
    bayesian=False,
    description="ridge regression (penalty ridge_lambda), noise variance RSS / n",
)
register_method(
    LinearRegression.name,
    "conjugate",
    lambda family, replicates: NIGFitter(family.feature_variances, family.hdi_prob),
    bayesian=True,
    carry=True,
    description="the exact normal-inverse-gamma posterior",
)
register_pymc_model(
    LinearRegression.name,
    "pymc",
    "bayescollapse.models.regression.pymc_models:build_regression_model",
    carry=True,
    description="the NIG regression in PyMC, NUTS via nutpie (oracle: the conjugate posterior)",
)
register_pymc_model(
    LinearRegression.name,
    "pymc-student-t",
    "bayescollapse.models.regression.pymc_models:build_student_t_model",
    description="a non-conjugate example: w_j | sigma ~ t_3(0, sigma / sqrt(kappa0)), NUTS",
)
