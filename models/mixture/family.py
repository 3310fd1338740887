"""The Gaussian mixture under retraining: the family, its truth, data, prior and face.

Shumailov et al. (Nature 2024) show collapse first on a mixture of Gaussians refitted by
EM: the tails go, components merge, the variance shrinks. Here a generation's training
set is ``n_t`` points, real ones from the true mixture and synthetic ones written by the
previous fit, each with the label of the component that wrote it
(:mod:`bayescollapse.models.mixture.data`).

The methods:

- ``mle``: EM (:mod:`bayescollapse.models.mixture.em`), labels not seen.
- ``complete-data-mle``: the labels kept, each component's MLE and the label frequencies.
  The weights then follow a Wright-Fisher chain: under ``replace``,
  ``E w_t = w*`` and ``E w_t (1 - w_t) = (1 - 1/n)^(t+1) w* (1 - w*)``
  (:func:`bayescollapse.theory.closed_forms.categorical_moments`, ``a0 = 0``).
- ``complete-data``: the labels kept, the exact posterior (``Dirichlet(a0 + counts)``,
  a normal-inverse-gamma per component): the oracle of the Bayesian paths.
- ``pymc``: the marginalised mixture with ordered means, NUTS; ``pymc-unordered``: the
  means free, where the labels switch (:mod:`bayescollapse.models.mixture.pymc_models`).

Given the path of its counts, each component follows the Gaussian laws
(:func:`bayescollapse.theory.mixture.component_moments`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import ClassVar

import numpy as np
import xarray as xr

from bayescollapse.errors import InputError
from bayescollapse.models.decoding import check_gaussian_decoding
from bayescollapse.models.face import FamilyFace, PathPanel, largest_training_set
from bayescollapse.models.mixture.data import MixturePoints, MixtureTruth, draw_mixture, parse_truth
from bayescollapse.models.mixture.em import em_fit
from bayescollapse.models.mixture.fits import (
    CompleteDataPosterior,
    PointMixture,
    SampledMixture,
    mixture_prior_update,
)
from bayescollapse.models.mixture.record import UNITS, VARIABLES, mixture_record
from bayescollapse.models.params import param
from bayescollapse.models.registry import register_family, register_method, register_pymc_model
from bayescollapse.models.sampling import SamplerSettings, check_sampler_settings

__all__ = ["GaussianMixture", "VAR_FLOOR"]

#: a component's variance is at least this share of its training set's variance
VAR_FLOOR = 1e-6
_DRAW_POINTS = ("chain", "draw", "replicate", "point")


@dataclass(frozen=True)
class MixtureParams:
    """The mixture model's own parameters (flags and TOML keys derive from them)."""

    em_restarts: int = param(4, "EM starts (the data's quantiles, then random points)")
    em_tol: float = param(
        1e-7, "EM stops when the mean log-likelihood per point rises by less", metavar="NATS"
    )
    em_max_iter: int = param(500, "EM iterations at most")
    lost_below: float = param(0.01, "a component of weight below this is counted lost")
    prior_concentration: float = param(1.0, "Dirichlet prior of the weights (> 0)", prior="a0")
    prior_mean: float = param(0.0, "NIG mu0 of every component", prior="mu0")
    prior_kappa: float = param(0.01, "NIG kappa0 (> 0)", prior="kappa0")
    prior_alpha: float = param(2.0, "NIG alpha0 (> 0)", prior="alpha0")
    prior_beta: float = param(1.0, "NIG beta0 (> 0)", prior="beta0")


def _draw_parts(posterior) -> list[np.ndarray]:
    """Return the draws of the weights, means and sds, each (chain, draw, replicate, J)."""
    dims = ("chain", "draw", "replicate", "component")
    return [posterior[n].transpose(*dims).values for n in ("weights", "mu", "sigma")]


@register_family
@dataclass(frozen=True)
class GaussianMixture(MixtureParams, SamplerSettings, FamilyFace):
    """A mixture of J normals in one dimension with unknown weights, means and sds.

    Parameters
    ----------
    em_restarts, em_tol, em_max_iter : EM's starts and convergence rule.
    lost_below : float
        The weight below which a component counts as lost.
    prior_concentration, prior_mean, prior_kappa, prior_alpha, prior_beta : float
        The prior ``w ~ Dirichlet(a0)``, ``sigma_j^2 ~ InvGamma(alpha0, beta0)``,
        ``mu_j | sigma_j ~ N(mu0, sigma_j^2 / kappa0)`` of the Bayesian methods.
    draws, tune, chains, target_accept, hdi_prob, coverage_levels, diagnostics_every
        Sampler and summary settings.
    """

    #: the number of components J, read from the run's truth by :meth:`from_config`
    components: int = field(default=2, repr=False)
    params: ClassVar[type] = MixtureParams
    name: ClassVar[str] = "gaussian-mixture"
    default_truth: ClassVar[str] = "mixture:0.5:-2:1,0.5:2:1"
    #: the exact posterior, run by a setting that names no method
    default_method: ClassVar[str] = "complete-data"
    variables: ClassVar[dict] = VARIABLES
    units: ClassVar[dict] = UNITS
    plot_metric: ClassVar[str] = "w2_to_truth"
    coverage_metric: ClassVar[str] = "covered"
    r_hat_variables: ClassVar[tuple[str, ...]] = ("weights_r_hat", "mu_r_hat", "sigma_r_hat")
    labels: ClassVar[dict[str, str]] = {
        "w2_to_truth": "W2(fitted mixture, truth)",
        "weight_sq_error": "|w_t - w*|^2",
        "tail_mass": "mass beyond the truth's 1 % and 99 % quantiles",
        "bimodal": "share of fits with two or more modes",
        "covered": "share of truths inside the HDIs",
    }
    curve_variables: ClassVar[tuple[str, ...]] = ("weight_sq_error",)
    summary_columns: ClassVar[tuple[tuple[str, str], ...]] = (
        ("W2", "w2_to_truth"),
        ("KL(P*||P)", "kl_truth_to_model"),
        ("|w-w*|^2", "weight_sq_error"),
        ("tail mass", "tail_mass"),
        ("bimodal", "bimodal"),
        ("lost", "components_lost"),
        ("in HDI", "covered"),
    )

    @classmethod
    def from_config(cls, config) -> GaussianMixture:
        """Build the family from a RunConfig; its number of components from the truth."""
        family = super().from_config(config)
        return replace(family, components=parse_truth(config.truth).components)

    def __post_init__(self) -> None:
        if not (isinstance(self.components, int | np.integer) and self.components >= 2):
            raise ValueError(
                f"a mixture needs >= 2 components, got {self.components!r} "
                "(one normal is the 'gaussian' model)"
            )
        positive = ("prior_concentration", "prior_kappa", "prior_alpha", "prior_beta", "em_tol")
        for name in positive:
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
        for name in ("em_restarts", "em_max_iter"):
            value = getattr(self, name)
            if not (isinstance(value, int | np.integer) and value >= 1):
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if not 0 <= self.lost_below < 1:
            raise ValueError(f"lost_below must be in [0, 1), got {self.lost_below!r}")
        check_sampler_settings(self)

    # -- the truth --
    def make_truth(self, spec) -> MixtureTruth:
        """Read ``mixture:W:MU:SD,...`` or ``random:J:SEED`` (J components)."""
        truth = parse_truth(spec)
        if truth.components != self.components:
            raise ValueError(
                f"truth {spec!r} has {truth.components} components, the model {self.components}"
            )
        return truth

    def truth_variables(self, truth: MixtureTruth) -> tuple[dict, dict]:
        """Return the data variables and coords that record the truth in the results."""
        comp = ("component",)
        names = [f"{p}{j}" for p in ("w", "mu", "sigma") for j in range(truth.components)]
        return {
            "truth_weights": (comp, truth.weights, {"description": "the true weights"}),
            "truth_mu": (comp, truth.mu, {"description": "the true component means"}),
            "truth_sigma": (comp, truth.sigma, {"description": "the true component sds"}),
        }, {
            "level": list(self.coverage_levels),
            "parameter": names,
            "component": np.arange(truth.components),
        }

    @property
    def dim_sizes(self) -> dict[str, int]:
        """Sizes of the family's inner dims."""
        comps = self.components
        return {"level": len(self.coverage_levels), "parameter": 3 * comps, "component": comps}

    # -- data --
    @staticmethod
    def sample_truth(truth: MixtureTruth, sizes, *, rng) -> MixturePoints:
        """Draw ``sizes[r]`` labelled points per replicate from the truth."""
        return draw_mixture(*truth.tiled(np.size(sizes)), sizes, rng)

    @staticmethod
    def combine(a: MixturePoints, b: MixturePoints) -> MixturePoints:
        """Return the union of two sets."""
        return a + b

    @staticmethod
    def weigh(data: MixturePoints, weight: float) -> MixturePoints:
        """Return the set with every point counting ``weight`` (a power likelihood)."""
        return data if weight == 1 else data.scaled(weight)

    def real_pool(self, truth, sizes, *, rng) -> tuple:
        """Draw generation 0's real points as the pool later generations draw from."""
        pool = self.sample_truth(truth, sizes, rng=rng)
        return pool, pool

    @staticmethod
    def subsample(pool: MixturePoints, sizes, *, rng) -> MixturePoints:
        """Points drawn without replacement from a pool."""
        return pool.draw(sizes, replace=False, rng=rng)

    @staticmethod
    def resample(pool: MixturePoints, sizes, *, rng) -> MixturePoints:
        """Points drawn with replacement from a pool."""
        return pool.draw(sizes, replace=True, rng=rng)

    def initial_prior(self, replicates: int) -> tuple[np.ndarray, ...]:
        """Return ``(a0, mu0, kappa0, alpha0, beta0)``, each (R, J)."""
        values = (
            self.prior_concentration,
            self.prior_mean,
            self.prior_kappa,
            self.prior_alpha,
            self.prior_beta,
        )
        return tuple(np.full((replicates, self.components), float(v)) for v in values)

    def record(self, fit, data, truth, previous_fit, summarise_posterior, *, rng=None) -> dict:
        """One generation's row of results (see :func:`mixture_record`)."""
        return mixture_record(
            fit,
            data,
            truth,
            previous_fit,
            summarise_posterior,
            levels=self.coverage_levels,
            lost_below=self.lost_below,
            rng=rng,
        )

    @staticmethod
    def data_to_dataset(points: MixturePoints) -> xr.Dataset:
        """Return a data set as an ArviZ-style group: the points and their labels."""
        dims = ("replicate", "point")
        return xr.Dataset({"x": (dims, points.x), "component": (dims, points.z)})

    @staticmethod
    def observed_dataset(points: MixturePoints, *, rng) -> xr.Dataset:
        """Return the training points ``x`` (replicate, point), NaN padded; labels aside."""
        return xr.Dataset({"x": (("replicate", "point"), points.x)})

    @staticmethod
    def predictive_dataset(posterior, observed, *, rng) -> xr.Dataset:
        """Draw the points again, one set per posterior draw (each replicate's n points)."""
        x = observed["x"].values
        parts = _draw_parts(posterior)
        chains, draws, reps, comps = parts[0].shape
        flat = [v.reshape(-1, comps) for v in parts]
        sizes = np.full(flat[0].shape[0], x.shape[1])
        drawn = draw_mixture(*flat, sizes, rng).x.reshape(chains, draws, reps, -1)
        drawn = np.where(np.isnan(x), np.nan, drawn)
        return xr.Dataset({"x": (_DRAW_POINTS, drawn)})

    @staticmethod
    def log_likelihood(posterior, observed) -> xr.Dataset:
        """Return each point's mixture log-density under each posterior draw (NaN padding)."""
        from bayescollapse.models.mixture.distances import log_sum_exp, mixture_log_density

        x = observed["x"].values
        cells = log_sum_exp(mixture_log_density(np.nan_to_num(x), *_draw_parts(posterior)))
        return xr.Dataset({"x": (_DRAW_POINTS, np.where(np.isnan(x), np.nan, cells))})

    def kept_values(self, config) -> int:
        """Return the parameters, the largest training set's points twice, and J per point.

        The pointwise log-likelihood passes through one term per point and component.
        """
        return 3 * self.components + (2 + self.components) * largest_training_set(config)

    def working_memory(self, config) -> int:
        """Return the default, plus EM's arrays (replicate x restart x point x component)."""
        points = largest_training_set(config)
        cells = 6 * config.replicate_block * points * self.components * self.em_restarts
        return super().working_memory(config) + 8 * cells

    @staticmethod
    def validate(ds) -> None:
        """Family-specific checks of a results dataset."""
        if not bool((ds["truth_sigma"] > 0).all()):
            raise ValueError("truth_sigma must be > 0")

    def check_setting(self, setting) -> None:
        """Refuse settings this family cannot run (one-line errors)."""
        check_gaussian_decoding(setting)

    # -- the face --
    @classmethod
    def path_panels(cls, ds, parameters=None) -> list[PathPanel]:
        """Return the posterior paths of every component's weight, mean and sd."""
        comps = ds.sizes["component"]
        chosen = list(parameters) if parameters is not None else list(range(comps))
        bad = [j for j in chosen if not 0 <= j < comps]
        if bad:
            raise ValueError(f"component {bad[0]} is out of range 0..{comps - 1}")
        return [
            PathPanel(
                f"{name.removesuffix('s') if name == 'weights' else name} {j}",
                {"component": j},
                f"{name}_mean",
                f"{name}_hdi_lower",
                f"{name}_hdi_upper",
                float(ds[f"truth_{truth}"].isel(component=j)),
            )
            for j in chosen
            for name, truth in (("weights", "weights"), ("mu", "mu"), ("sigma", "sigma"))
        ]

    @classmethod
    def warnings(cls, ds) -> list[str]:
        """Warn where EM stopped at its cap, and where NUTS's labels switched."""
        out = []
        for setting in ds["setting"].values:
            row = ds.sel(setting=setting)
            stopped = float((row["em_converged"] == 0).sum()) if "em_converged" in row else 0
            if stopped:
                fits = int(row["em_converged"].notnull().sum())
                out.append(
                    f"{setting}: EM stopped at its iteration cap in {int(stopped)} of {fits} "
                    "fits (raise em_max_iter or em_tol)"
                )
            switched = row["label_switching"] if "label_switching" in row else None
            if switched is not None and float((switched > 0).sum()):
                out.append(
                    f"{setting}: the labels switched in {int((switched > 0).sum())} fits; their "
                    "draws were relabelled by mean (R-hat of the raw draws flags them)"
                )
        return out

    @classmethod
    def describe(cls, ds) -> str:
        """Return ``J=2`` for figure titles."""
        return f"J={ds.sizes['component']}"

    @classmethod
    def expected_curve(cls, ds, setting: str) -> dict[str, np.ndarray] | None:
        """Return the exact expected ``|w_t - w*|^2`` of the complete-data fits, or None.

        The labels' frequencies (``complete-data-mle``) and the Dirichlet posterior mean
        (``complete-data``, any synthetic mode) follow the categorical loop's exact law
        under ``mixture`` and ``replace``
        (:func:`~bayescollapse.theory.closed_forms.categorical_moments`).
        """
        from bayescollapse.theory.closed_forms import categorical_moments

        row = ds.sel(setting=setting)
        method, scheme = str(row["fit_method"].values), str(row["scheme"].values)
        if method not in ("complete-data", "complete-data-mle") or scheme not in (
            "mixture",
            "replace",
        ):
            return None
        alphas = row["real_fraction"].values if scheme == "mixture" else 0 * row["real_fraction"]
        a0 = float(row["prior_concentration"]) if method == "complete-data" else 0.0
        mode = str(row["synthetic"].values) if method == "complete-data" else "plugin"
        law = categorical_moments(
            ds["truth_weights"].values,
            np.asarray(alphas),
            row["sample_size"].values,
            prior_concentration=a0,
            synthetic=mode,
        )
        return {"weight_sq_error": law["sq_error"]}

    # -- what PyMC models of the family read and give (see protocols.PyMCFamily) --
    pymc_variables: ClassVar[tuple[str, ...]] = ("weights", "mu", "sigma")
    pymc_data_names: ClassVar[tuple[str, ...]] = (
        "x",
        "point_weight",
        "a0",
        "mu0",
        "kappa0",
        "alpha0",
        "beta0",
    )
    pymc_prior_data: ClassVar[tuple[str, ...]] = ("a0", "mu0", "kappa0", "alpha0", "beta0")

    def model_key(self) -> tuple:
        """Return what a built model depends on: the number of components."""
        return (self.components,)

    def pymc_coords(self, replicates: int) -> dict[str, np.ndarray]:
        """Coords ``replicate`` and ``component`` of a block's model."""
        return {"replicate": np.arange(replicates), "component": np.arange(self.components)}

    def pymc_data(self, data: MixturePoints, prior) -> dict[str, np.ndarray]:
        """Return the points (0 in the padding), their weights and the prior, by name."""
        names = ("a0", "mu0", "kappa0", "alpha0", "beta0")
        return {
            "x": np.where(data.weight > 0, data.x, 0.0),
            "point_weight": data.weight,
            **dict(zip(names, prior, strict=True)),
        }

    def sampled_posterior(self, tree, *, prior, data, diagnostics):
        """Wrap a sampler's draws of the weights, means and sds as a posterior fit."""
        return SampledMixture(tree, self.hdi_prob, diagnostics)


@dataclass(frozen=True)
class EMFitter:
    """EM for a block (see :func:`~bayescollapse.models.mixture.em.em_fit`)."""

    family: GaussianMixture

    def fit(self, data: MixturePoints, *, prior, rng) -> PointMixture:
        """Fit each replicate's points by EM; record its iterations and convergence."""
        fam = self.family
        if np.any(data.n < fam.components):
            raise InputError(
                f"EM needs at least {fam.components} points per training set, "
                f"got {int(data.n.min())}"
            )
        out = em_fit(
            data.x,
            data.weight,
            fam.components,
            rng=rng,
            restarts=fam.em_restarts,
            tol=fam.em_tol,
            max_iter=fam.em_max_iter,
            var_floor=VAR_FLOOR,
        )
        diagnostics = {
            "em_iterations": out.iterations.astype(float),
            "em_converged": out.converged.astype(float),
            "em_log_likelihood": out.log_likelihood,
        }
        return PointMixture(out.weights, out.mu, out.sigma, diagnostics)


@dataclass(frozen=True)
class CompleteDataFitter:
    """The labels kept: each component's MLE (``bayesian`` False) or the exact posterior."""

    family: GaussianMixture
    bayesian: bool

    def fit(self, data: MixturePoints, *, prior, rng):
        """Fit from the labels: frequencies and per-component moments, or the posterior."""
        stats = data.component_stats(self.family.components)
        if self.bayesian:
            a, mu, kappa, alpha, beta = mixture_prior_update(prior, stats)
            return CompleteDataPosterior(
                a, mu, kappa, alpha, beta, hdi_prob=self.family.hdi_prob, prior=prior
            )
        total = data.total_weight[:, None]
        spread = data.moments()[1]
        with np.errstate(invalid="ignore", divide="ignore"):
            var = stats.m2 / stats.count
        alive = stats.count > 0
        floor = VAR_FLOOR * spread[:, None]
        return PointMixture(
            stats.count / total,
            np.where(alive, stats.mean, np.nan),
            np.where(alive, np.sqrt(np.maximum(var, floor)), np.nan),
        )


register_method(
    GaussianMixture.name,
    "mle",
    lambda family, replicates: EMFitter(family),
    bayesian=False,
    description="maximum likelihood by EM (restarts, vectorised over replicates)",
)
register_method(
    GaussianMixture.name,
    "complete-data-mle",
    lambda family, replicates: CompleteDataFitter(family, bayesian=False),
    bayesian=False,
    description="the labels kept: label frequencies and each component's MLE",
)
register_method(
    GaussianMixture.name,
    "complete-data",
    lambda family, replicates: CompleteDataFitter(family, bayesian=True),
    bayesian=True,
    carry=True,
    description="the labels kept: the exact Dirichlet and normal-inverse-gamma posterior",
)
register_pymc_model(
    GaussianMixture.name,
    "pymc",
    "bayescollapse.models.mixture.pymc_models:build_mixture_model",
    description="the marginalised mixture with ordered means in PyMC, NUTS via nutpie",
)
register_pymc_model(
    GaussianMixture.name,
    "pymc-unordered",
    "bayescollapse.models.mixture.pymc_models:build_unordered_model",
    description="the mixture with free means (label switching shown and reported)",
)
