"""The seams of the package: what the generation loop asks of a model family and a fit.

The loop (:mod:`bayescollapse.engine.loop`), the schemes, the results schema and the method
registry depend on these protocols only. A new family implements :class:`Family`; a new
way of fitting an existing family registers a factory of :class:`Fitter` objects (see
:mod:`bayescollapse.models.registry`) whose fits satisfy :class:`Fit` (point estimates) or
:class:`PosteriorFit` (Bayesian), plus what the family's ``record`` reads (the family's
own fit protocol, e.g. :class:`ProbabilityFit` for the categorical and Markov families).

The protocols are ``runtime_checkable``: ``isinstance(obj, Family)`` checks that every
member is present (the tests hold every shipped family and fit to them).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
import xarray as xr

__all__ = [
    "Family",
    "Fit",
    "Fitter",
    "FitterFactory",
    "GaussianFit",
    "GaussianPosterior",
    "PosteriorFit",
    "ProbabilityFit",
    "ProbabilityPosterior",
    "PyMCFamily",
]


@runtime_checkable
class Fit(Protocol):
    """A fitted model of one generation, for a block of R replicates.

    Attributes
    ----------
    bayesian : bool
        False for a point estimate, True for a posterior (then :class:`PosteriorFit`).
    diagnostics : dict of str to numpy.ndarray
        Extra result variables the fit provides (sampler diagnostics; may be empty).
    """

    bayesian: ClassVar[bool]
    diagnostics: dict

    def synthetic(
        self, sizes: np.ndarray, *, mode: str, rng: np.random.Generator, decoding: Any = ...
    ) -> Any:
        """Write the next generation's synthetic data.

        Parameters
        ----------
        sizes : numpy.ndarray of int, shape (R,)
            Items to write per replicate.
        mode : {"ancestral", "predictive", "plugin"}
            How parameter uncertainty enters (see :mod:`bayescollapse.engine.schemes`); a point
            estimate writes every mode as ``plugin``.
        rng : numpy.random.Generator
            The cell's ``fit`` stream.
        decoding : bayescollapse.models.decoding.Decoding, default plain sampling
            How the law written from is decoded (temperature, top-k, top-p; a variance
            scale for the Gaussian). The loop passes it always; at its defaults the data
            must be exactly those of plain sampling.

        Returns
        -------
        object
            A data set in the family's data form (counts, or sufficient statistics).
        """
        ...


@runtime_checkable
class PosteriorFit(Fit, Protocol):
    """A posterior: exact (conjugate) or known through draws (PyMC).

    An exact posterior sets the class attribute ``exact_cdf = True``: its central-interval
    coverage then comes from :meth:`cdf` (``central_intervals`` is not called per
    generation; it stays for users); a posterior known through draws sets it False.
    """

    exact_cdf: ClassVar[bool]

    @property
    def carried_prior(self) -> Any:
        """The prior of the next generation under ``prior_update='carry'``."""
        ...

    def posterior_groups(
        self, *, draws: int, chains: int, rng: np.random.Generator
    ) -> dict[str, xr.Dataset]:
        """Return the ArviZ groups to keep.

        ``posterior`` (chain, draw, replicate, ...) and, for a sampler, ``sample_stats``.
        Exact posteriors draw ``chains x draws`` from ``rng``.
        """
        ...

    def hdi(self) -> Any:
        """Highest-density intervals at the family's ``hdi_prob``."""
        ...

    def central_intervals(self, levels) -> Any:
        """Central credible intervals at each of ``levels``."""
        ...

    def cdf(self, values, *, rng: np.random.Generator | None = None) -> Any:
        """Posterior CDF at ``values`` (the PIT of the truth); randomised for draws."""
        ...


@runtime_checkable
class ProbabilityFit(Protocol):
    """What the categorical and Markov families' ``record`` reads of any fit.

    ``mean`` has shape (R, K) (categorical) or (R, C, V) (Markov). Posterior fits also
    give ``var`` (marginal variances), ``dirichlet`` (the exact or moment-matched
    Dirichlet, for the drift) and ``prior`` (its Dirichlet prior, or None when the prior
    is not Dirichlet; contraction is then not defined).
    """

    @property
    def mean(self) -> np.ndarray:
        """Fitted probabilities (the MLE, or the posterior mean)."""
        ...


@runtime_checkable
class ProbabilityPosterior(ProbabilityFit, Protocol):
    """What the probability families' ``record`` reads of a posterior fit, beyond the mean."""

    @property
    def var(self) -> np.ndarray:
        """Marginal posterior variances, shaped like ``mean``."""
        ...

    @property
    def dirichlet(self) -> np.ndarray:
        """The exact (or moment-matched) Dirichlet concentration, for the drift."""
        ...

    @property
    def prior(self) -> np.ndarray | None:
        """The Dirichlet prior, or None when the prior is not Dirichlet (no contraction)."""
        ...


@runtime_checkable
class GaussianFit(Protocol):
    """What the Gaussian family's ``record`` reads of any fit (each of shape (R,)).

    Posterior fits also give ``nig`` (exact or moment-matched Normal-Inverse-Gamma
    parameters, for the drift) and ``mu_var``.
    """

    @property
    def mu_mean(self) -> np.ndarray:
        """Fitted mean (MLE, or posterior mean of mu)."""
        ...

    @property
    def sigma2_mean(self) -> np.ndarray:
        """Fitted variance."""
        ...

    @property
    def sigma_mean(self) -> np.ndarray:
        """Fitted standard deviation."""
        ...


@runtime_checkable
class GaussianPosterior(GaussianFit, Protocol):
    """What the Gaussian family's ``record`` reads of a posterior fit, beyond the means."""

    @property
    def nig(self) -> tuple[np.ndarray, ...]:
        """The exact (or moment-matched) Normal-Inverse-Gamma parameters, for the drift."""
        ...

    @property
    def mu_var(self) -> np.ndarray:
        """The posterior variance of mu."""
        ...


@runtime_checkable
class Fitter(Protocol):
    """Fits one family, set up once for a replicate block (a PyMC model compiled once)."""

    def fit(self, data: Any, *, prior: Any, rng: np.random.Generator) -> Fit:
        """Fit a block's training data.

        Parameters
        ----------
        data : object
            The training sets of the block's R replicates in the family's data form.
        prior : object
            The prior of this generation (the family's ``initial_prior``, or the carried
            posterior); point estimators ignore it.
        rng : numpy.random.Generator
            The cell's ``fit`` stream (sampler seeds).

        The fitter of a method registered as ``sampled`` (a PyMC model; see
        :class:`~bayescollapse.models.registry.Method`) also takes ``diagnose`` (bool) and
        ``cores`` (int or None): the run passes ``diagnose=False`` at the generations its
        ``diagnostics_every`` schedule skips, where the fitter leaves out its costly
        per-parameter diagnostics, and ``cores`` to limit a sampler run's threads.
        """
        ...


#: ``factory(family, replicates) -> Fitter``: what a registered method provides
FitterFactory = Callable[[Any, int], Fitter]


@runtime_checkable
class Family(Protocol):
    """A model family: its truth, data, prior, results variables and how it records them.

    Class attributes
    ----------------
    name : str
        The family's name (``--model``).
    default_truth : str
        The truth recipe used when a run names none.
    prior_fields : tuple of str
        The family's prior parameters (fields), which a setting may override.
    prior_labels : dict
        Prior field -> its short name in setting labels (``a0`` for ``prior_concentration``).
    variables : dict
        Results variable name -> (dims, description). Dims start with
        ``(setting, replicate, generation)`` (or ``(setting, block, generation)`` for a
        value per sampler run), then the family's inner dims (``dim_sizes``).
    units : dict
        Results variable name -> CF ``units`` string (variables missing are ``1``).
    plot_metric, coverage_metric : str
        The variables plotted by default and read as the coverage.
    summary_columns : tuple of (title, variable)
        The CLI summary table's columns.
    r_hat_variables : tuple of str
        Per-parameter R-hat variables (for the diagnostics rule).

    params : type
        The family's own parameters: a frozen dataclass whose fields (made with
        :func:`bayescollapse.models.params.param`) are its flags and TOML keys; the family
        class derives from it.

    Instance attributes ``draws``, ``chains``, ``hdi_prob`` and ``coverage_levels`` are
    the sampler and summary settings (see :class:`~bayescollapse.models.sampling.SamplerSettings`).

    The *face* (what the core's figures, tables, theory curves, warnings and memory
    estimate ask instead of testing the family's name or its dims) has defaults in
    :class:`bayescollapse.models.face.FamilyFace`: ``labels``, ``curve_variables``,
    ``baseline``, :meth:`path_panels`, :meth:`expected_curve`, :meth:`describe`,
    :meth:`warnings`, :attr:`parameter_count` and :meth:`working_memory`.
    """

    params: ClassVar[type]
    labels: ClassVar[dict[str, str]]
    curve_variables: ClassVar[tuple[str, ...]]
    baseline: ClassVar[str]

    name: ClassVar[str]
    default_truth: ClassVar[str]
    prior_fields: ClassVar[tuple[str, ...]]
    prior_labels: ClassVar[dict[str, str]]
    variables: ClassVar[dict]
    units: ClassVar[dict]
    plot_metric: ClassVar[str]
    coverage_metric: ClassVar[str]
    summary_columns: ClassVar[tuple]
    r_hat_variables: ClassVar[tuple[str, ...]]
    draws: int
    chains: int
    hdi_prob: float
    coverage_levels: tuple[float, ...]

    @classmethod
    def from_config(cls, config) -> Family:
        """Build the family from a :class:`bayescollapse.RunConfig` (fields by name)."""
        ...

    def make_truth(self, spec) -> Any:
        """Return the truth from a recipe string or values; a one-line ValueError if bad."""
        ...

    def truth_variables(self, truth) -> tuple[dict, dict]:
        """Return the data variables and coords that record the truth in the results."""
        ...

    @property
    def dim_sizes(self) -> dict[str, int]:
        """Sizes of the family's inner dims (``token``, ``level``, ...)."""
        ...

    def sample_truth(self, truth, sizes: np.ndarray, *, rng: np.random.Generator) -> Any:
        """Fresh real data: ``sizes[r]`` items per replicate from the truth."""
        ...

    def combine(self, a, b) -> Any:
        """Return the union of two data sets."""
        ...

    def subsample(self, pool, sizes: np.ndarray, *, rng: np.random.Generator) -> Any:
        """``sizes[r]`` items drawn without replacement from a pool (or a ValueError)."""
        ...

    def real_pool(self, truth, sizes: np.ndarray, *, rng: np.random.Generator) -> tuple:
        """Draw generation 0's real data as a fixed pool: ``(pool, training data)``.

        The pool is what :meth:`subsample` and :meth:`resample` draw from later (for
        ``real_data`` fixed and resampled); or a one-line ValueError if the family has none.
        """
        ...

    def resample(self, pool, sizes: np.ndarray, *, rng: np.random.Generator) -> Any:
        """``sizes[r]`` items drawn with replacement from a pool (or a ValueError)."""
        ...

    def weigh(self, data, weight: float) -> Any:
        """Return ``data`` with every item counting ``weight`` (the same object at 1).

        Fractional pseudo-observations: a fit of weighted data is the weighted MLE, or
        the posterior of a power likelihood.
        """
        ...

    def initial_prior(self, replicates: int) -> Any:
        """Return the prior of generation 0, for every replicate."""
        ...

    def record(
        self, fit: Fit, data, truth, previous_fit, summarise_posterior: bool, *, rng=None
    ) -> dict[str, np.ndarray]:
        """One generation's results: each variable's value per replicate (R, ...)."""
        ...

    def data_to_dataset(self, data) -> xr.Dataset:
        """Return a data set as an ArviZ ``observed_data`` group (dims replicate, ...)."""
        ...

    def predictive_dataset(
        self, posterior: xr.Dataset, observed: xr.Dataset, *, rng: np.random.Generator
    ) -> xr.Dataset:
        """Posterior predictive replicates of ``observed``, one per posterior draw.

        Returns the ArviZ ``posterior_predictive`` group: the variables of ``observed``
        with (chain, draw) dims in front.
        """
        ...

    @staticmethod
    def validate(ds: xr.Dataset) -> None:
        """Family-specific checks of a results dataset (raise ValueError).

        Called on the family class (results are checked without building the family).
        """
        ...

    def check_setting(self, setting) -> None:
        """Refuse, with a one-line ValueError, a setting this family cannot run."""
        ...

    def diagnosed(self, generation: int, generations: int) -> bool:
        """Whether a sampler's per-parameter diagnostics are computed at ``generation``."""
        ...

    # -- the face --
    @classmethod
    def path_panels(cls, ds: xr.Dataset, parameters=None) -> list:
        """Panels (:class:`~bayescollapse.models.face.PathPanel`) of the posterior paths."""
        ...

    @classmethod
    def expected_curve(cls, ds: xr.Dataset, setting: str) -> Mapping[str, np.ndarray] | None:
        """Exact expected curves of one plain setting's ``curve_variables``, or None."""
        ...

    @classmethod
    def describe(cls, ds: xr.Dataset) -> str:
        """Return the model's size in a few words for figure titles (may be empty)."""
        ...

    @classmethod
    def warnings(cls, ds: xr.Dataset) -> list[str]:
        """Return what a user should know about a run's results, one line each."""
        ...

    @property
    def parameter_count(self) -> int:
        """Parameters of one replicate's fit (for the memory estimate)."""
        ...

    def working_memory(self, config) -> int:
        """Bytes a unit of ``config`` holds at once beyond the results."""
        ...


@runtime_checkable
class PyMCFamily(Family, Protocol):
    """A family that user-written PyMC models can fit (see ``register_pymc_model``).

    A model for the family is built by ``build(family, replicates) -> pm.Model`` on the
    coords :meth:`pymc_coords` gives, reads its data from ``pm.Data`` variables named in
    :attr:`pymc_data_names` (it declares the ones it uses; those in
    :attr:`pymc_prior_data` carry the family's prior), and has the sampled variables
    :attr:`pymc_variables`. The built model may depend only on :meth:`model_key`: it is
    compiled once per key and block size, and everything else enters as data. Its
    sampler settings are :class:`~bayescollapse.models.sampling.SamplerSettings`'
    (``nuts_draws``, ``tune``, ``chains``, ``target_accept``, ``adaptation``, ``retune``).
    """

    pymc_variables: ClassVar[tuple[str, ...]]
    pymc_data_names: ClassVar[tuple[str, ...]]
    pymc_prior_data: ClassVar[tuple[str, ...]]

    def model_key(self) -> tuple:
        """Return what a built model's graph depends on (e.g. the vocabulary size)."""
        ...

    def pymc_coords(self, replicates: int) -> dict[str, np.ndarray]:
        """Coords of a block's model: ``replicate`` and the family's parameter dims."""
        ...

    def pymc_data(self, data, prior) -> Mapping[str, np.ndarray]:
        """Every ``pm.Data`` input a model may declare, by name, for one generation."""
        ...

    def sampled_posterior(self, tree: xr.DataTree, *, prior, data, diagnostics) -> PosteriorFit:
        """Wrap a sampler run's draws (``posterior`` has :attr:`pymc_variables`) as a fit.

        ``prior`` is None when the model does not read the family's prior as data.
        """
        ...
