"""The generation driver: model-agnostic, batched over replicates.

For each setting and replicate block, generation 0 fits real data; generation t >= 1
forms a training set from the truth and fit t - 1 (see :mod:`bayescollapse.engine.schemes`),
fits it, and records metrics. Every (setting, block, generation) cell draws from its own
streams (:func:`bayescollapse.engine.rng.cell_streams`), so the results do not depend on the order
in which cells run, and a setting run alone gives the same numbers as in a larger study.
The real data come from a stream keyed by the setting's scheme and schedules only, so
settings that differ in how they fit are paired: they see the same real data.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr
from threadpoolctl import threadpool_limits

from bayescollapse.engine.config import RunConfig, Setting, kept_generations
from bayescollapse.engine.memory import check_memory
from bayescollapse.engine.progress import Progress, cells, watched
from bayescollapse.engine.rng import cell_streams, fresh_seed, stable_key
from bayescollapse.engine.schemes import initial_training_set, next_training_set
from bayescollapse.io.results import ResultArrays, build_results, variable_shapes
from bayescollapse.models.protocols import Family, Fitter
from bayescollapse.models.registry import get_method, make_fitter

__all__ = [
    "UnitPlan",
    "check_config",
    "finish_results",
    "place_rows",
    "results_arrays",
    "run",
    "run_block",
    "run_collecting",
    "run_unit",
    "units",
]


def run(
    config: RunConfig,
    *,
    progress: Progress = None,
    memory_limit: int | str | None = None,
) -> xr.Dataset:
    """Run every setting of ``config`` and return the labelled results.

    Parameters
    ----------
    config : RunConfig
        The study. When its seed is None a fresh seed is drawn and recorded.
    progress : callable or bool, optional
        A bar over the (setting, block, generation) cells: by default shown when someone
        is watching (a terminal or a notebook), ``False`` silences it, ``True`` forces
        it; or a callable, called with 1 after every cell.
    memory_limit : int or str, optional
        The most memory the run may need (bytes, or a size such as ``"64G"``); by default
        the memory available. A run estimated to need more is refused before it starts
        (see :mod:`bayescollapse.engine.memory`).

    Returns
    -------
    xarray.Dataset
        Validated results (see :mod:`bayescollapse.io.results`); ``attrs['config']`` holds the
        configuration with its seed, from which the run is reproduced exactly. Posteriors
        are not kept here: for a configuration with ``keep_posteriors``, use
        :func:`bayescollapse.run_tree`, which returns them with the results as one
        DataTree (``run`` warns and ignores the setting).

    Examples
    --------
    >>> from bayescollapse import RunConfig, Setting, run
    >>> cfg = RunConfig(settings=(Setting(method="mle", real_fraction="zero", scheme="replace"),),
    ...                 generations=3, replicates=2, seed=1)
    >>> ds = run(cfg)
    >>> ds["tv_to_truth"].sizes["generation"]
    4
    """
    check_config(config)
    if config.keep_posteriors != "none":
        warnings.warn(
            f"run() returns the results only; keep_posteriors={config.keep_posteriors!r} "
            "needs run_tree(config), which returns them with the kept posteriors",
            UserWarning,
            stacklevel=2,
        )
    with watched(progress, cells(config)) as advance:
        return run_collecting(config, progress=advance, keep=False, memory_limit=memory_limit)[0]


def run_collecting(
    config: RunConfig,
    *,
    progress: Callable[[int], None] | None = None,
    keep: bool = True,
    memory_limit: int | str | None = None,
) -> tuple[xr.Dataset, dict[tuple[int, int, int], dict[str, xr.Dataset]]]:
    """Run ``config``; also return the posteriors its ``keep_posteriors`` asks for.

    ``memory_limit`` is that of :func:`run`.

    Returns
    -------
    results : xarray.Dataset
        As :func:`run`.
    posteriors : dict
        ``(setting index, generation, block) -> {group name: Dataset}``, one entry per
        sampler run (a replicate block: ArviZ's ``sample_stats`` describe one run), with
        the ArviZ groups
        ``posterior`` (and ``sample_stats`` for a sampler), ``observed_data`` (the
        training set, each item counted once even in a weighted refit, whose fit saw
        them weighted: the ``real_weight`` coordinate of the results),
        ``posterior_predictive`` (one replicate of the training set per posterior draw)
        and ``synthetic_data`` (the synthetic set this generation's model wrote for the
        next one; absent for the last generation), with the block's replicate indices.
        Empty when ``keep`` is False. Point-estimate methods have no posterior to keep.
    """
    check_config(config)
    if config.seed is None:
        config = config.with_seed(fresh_seed())
    check_memory(config, memory_limit, posteriors=keep)
    kept = kept_generations(config.keep_posteriors, config.generations) if keep else frozenset()
    posteriors: dict[tuple[int, int, int], dict[str, xr.Dataset]] = {}
    arrays = results_arrays(config)
    for s, b in units(config):
        _, groups = run_unit(config, s, b, kept=kept, progress=progress, into=arrays)
        posteriors.update({(s, t, b): parts for t, parts in groups.items()})
    return finish_results(arrays, config), posteriors


def check_config(config) -> None:
    """Refuse, in one line, a configuration that is not a RunConfig."""
    if not isinstance(config, RunConfig):
        raise TypeError(
            f"config must be a RunConfig (RunConfig.from_dict reads a dict), got "
            f"{type(config).__name__} {config!r:.60}"
        )


def units(config: RunConfig) -> list[tuple[int, int]]:
    """Return the units of work of a run: every (setting index, replicate block) pair.

    A unit runs one replicate block of one setting through all generations; its random
    streams are its own, so units can run in any order, anywhere.
    """
    return [(s, b) for s in range(len(config.settings)) for b in range(config.blocks)]


def schedules(config: RunConfig) -> tuple[np.ndarray, np.ndarray]:
    """Return the values of ``alpha_t`` and ``n_t`` per setting, shape (setting, generation)."""
    alphas, sizes, _ = config.schedule_values()
    return alphas, sizes


#: fitters of this process, set up once (a PyMC model compiled once) and reused by units
#: of every run in it (a Dask worker's too): the cache of compiled models, not run state
_FITTERS: dict[tuple, Fitter] = {}


@dataclass(frozen=True)
class UnitPlan:
    """What a unit of one setting needs, taken from the configuration's kept pieces.

    Attributes
    ----------
    setting : Setting
        The setting.
    family : Family
        The family, with the setting's own prior parameters.
    truth : object
        The family's truth (built once per configuration).
    real_fraction, sample_size, real_weight : numpy.ndarray
        ``alpha_t``, ``n_t`` and ``w_t`` (NaN: unweighted) per generation.
    seed : int
        The run's seed.
    replicates : int
        The block size.
    decoding : bayescollapse.models.decoding.Decoding
        How the setting's synthetic data are decoded (made once, not every generation).
    summarise_posterior : bool
        Whether posterior summaries are recorded (``RunConfig.posterior_metrics``).
    sampled : bool
        Whether the method samples (:attr:`~bayescollapse.models.registry.Method.sampled`):
        its fitter then takes ``diagnose`` and ``cores``.
    cores : int or None
        Threads of a sampler run (None: one per chain); the draws do not depend on it.
    keys : dict
        The setting's stream keys: ``data_key`` (its real data, shared by settings of the
        same scheme and schedules) and ``fit_key`` (its own draws).
    """

    setting: Setting
    family: Family
    truth: Any
    real_fraction: np.ndarray
    sample_size: np.ndarray
    real_weight: np.ndarray
    seed: int
    replicates: int
    decoding: Any
    curation: Any
    summarise_posterior: bool = True
    sampled: bool = False
    cores: int | None = None
    keys: dict = field(default_factory=dict)

    @classmethod
    def of(cls, config: RunConfig, s: int, *, cores: int | None = None) -> UnitPlan:
        """Prepare setting ``s`` of ``config`` (its seed set)."""
        setting = config.settings[s]
        family = config.family_for(setting)
        alphas, sizes, weights = config.schedule_values()
        truth = config.make_truth()
        return cls(
            setting,
            family,
            truth,
            alphas[s],
            sizes[s],
            weights[s],
            config.seed,
            config.replicate_block,
            setting.decoding,
            family.curation_of(setting, truth),
            config.posterior_metrics,
            get_method(family.name, setting.method).sampled,
            cores,
            {
                "data_key": stable_key(setting.data_key_text()),
                "fit_key": stable_key(setting.stream_key_text()),
            },
        )

    @property
    def generations(self) -> int:
        """Generations of the unit, 0 included."""
        return self.real_fraction.size

    def fit_options(self, t: int) -> dict:
        """Keywords of generation ``t``'s fit: a sampler's diagnostics schedule and cores."""
        if not self.sampled:
            return {}
        options = {} if self.cores is None else {"cores": self.cores}
        if not self.family.diagnosed(t, self.generations - 1):
            options["diagnose"] = False
        return options


def run_unit(
    config: RunConfig,
    s: int,
    b: int,
    *,
    kept: frozenset[int] = frozenset(),
    progress: Callable[[int], None] | None = None,
    into: ResultArrays | None = None,
    cores: int | None = None,
    fitters: dict | None = None,
) -> tuple[dict[str, np.ndarray], dict[int, dict[str, xr.Dataset]]]:
    """Run replicate block ``b`` of setting ``s`` of ``config`` (its seed set).

    Returns what :func:`run_block` returns; with ``into`` (the run's arrays) the values go
    straight into their place there instead, and the returned rows are empty. The fitter
    is set up once and kept in ``fitters`` (by default the process's cache, so later
    units and runs of the same method, family and block size reuse a compiled model).
    ``cores`` limits a sampler run's threads (a Dask worker passes 1).
    """
    plan = UnitPlan.of(config, s, cores=cores)
    fitters = _FITTERS if fitters is None else fitters
    key = (plan.setting.method, plan.family, plan.replicates)
    if key not in fitters:
        fitters[key] = make_fitter(plan.family, plan.setting.method, plan.replicates)
    sink = None if into is None else _unit_sink(into, s, b)
    # one BLAS thread: a generation's linear algebra is small (a stationary law's solve,
    # matrix-vector sums), where a second thread only adds hand-offs (measured: the Markov
    # benchmark took 2.7 or 3.9 ms a generation at random with two threads, 2.7 with one);
    # parallel work is the sweep's, one unit per Dask worker
    with threadpool_limits(limits=1, user_api="blas"):
        return run_block(plan, fitters[key], block=b, kept=kept, progress=progress, sink=sink)


def _unit_sink(into: ResultArrays, s: int, b: int) -> Callable[[str, int, np.ndarray], None]:
    """Return a writer of one unit's values into its place in the run's arrays."""
    views: dict[str, tuple] = {}  # the unit's part of each array, looked up once

    def sink(name: str, t: int, value) -> None:
        view, written, per_block = views.get(name) or views.setdefault(
            name, (*into.unit(name, s, b), name in into.per_block)
        )
        if per_block:  # (generation,): one value per block
            view[t] = value
        else:
            view[:, t] = value
        written[t] = True

    return sink


def results_arrays(config: RunConfig) -> ResultArrays:
    """Return the run's results arrays, each allocated when a unit first writes it."""
    family = config.family()
    return ResultArrays(
        variable_shapes(
            family, len(config.settings), config.replicates, config.generations, config.blocks
        ),
        blocks=config.blocks,
        per_block=[name for name, (dims, _) in family.variables.items() if "block" in dims],
    )


def place_rows(arrays: ResultArrays, rows: dict, s: int, b: int) -> None:
    """Put one unit's rows (see :func:`run_block`: NaN where not written) into the arrays."""
    for name, values in rows.items():
        part, written = arrays.unit(name, s, b)
        part[...] = values
        written[:] = True


def finish_results(arrays: ResultArrays, config: RunConfig) -> xr.Dataset:
    """Label a run's arrays as its validated results Dataset."""
    family = config.family()
    alphas, sizes = schedules(config)
    return build_results(
        arrays,
        config=config,
        family=family,
        truth=config.make_truth(),
        real_fraction=alphas,
        sample_size=sizes,
    )


def run_block(
    plan: UnitPlan,
    fitter: Fitter,
    *,
    block: int,
    kept: frozenset[int] = frozenset(),
    progress: Callable[[int], None] | None = None,
    sink: Callable[[str, int, np.ndarray], None] | None = None,
) -> tuple[dict[str, np.ndarray], dict[int, dict[str, xr.Dataset]]]:
    """Run replicate block ``block`` of a prepared setting through every generation.

    The setting's scheme, decoding, weights and ``real_data`` shape the training sets (see
    :mod:`bayescollapse.engine.schemes`). ``sink(name, generation, value)``, if given,
    receives each generation's values as they are made (the run's arrays, with no copy
    held here); otherwise they are gathered into ``rows``.

    Returns
    -------
    rows : dict of str to numpy.ndarray
        Per variable, an array with dims (replicate, generation[, ...]) for the block
        (dims (generation,) for a value per sampler run); empty when ``sink`` is given.
    groups : dict
        For each generation in ``kept`` whose fit is Bayesian, its ArviZ groups (see
        :func:`run_collecting`), with replicate coordinates of this block. Drawing them
        uses a stream of its own, so keeping posteriors never changes the results.
    """
    family, setting = plan.family, plan.setting
    rows: dict[str, np.ndarray] = {}
    store = sink or _gatherer(rows, plan.generations)
    prior = family.initial_prior(plan.replicates)
    data = previous_fit = None
    groups: dict[int, dict[str, xr.Dataset]] = {}
    # a sampler that can start a generation from the previous one's adaptation (the PyMC
    # paths, see bayescollapse.models.warm_start) gets the block's state
    new_warm_start = getattr(fitter, "new_warm_start", None) if plan.sampled else None
    warm = {} if new_warm_start is None else {"warm": new_warm_start()}
    for t in range(plan.generations):
        streams = cell_streams(plan.seed, block=block, generation=t, **plan.keys)
        data = _training_set(plan, t, data, previous_fit, streams)
        options = plan.fit_options(t) | warm
        fit = fitter.fit(data.data, prior=prior, rng=streams.fit, **options)
        recorded = family.record(
            fit, data, plan.truth, previous_fit, plan.summarise_posterior, rng=streams.metric
        )
        if not plan.curation.plain:
            recorded.update(family.curation_record(fit, plan.curation, data, plan.truth))
        for name, value in recorded.items():
            store(name, t, value)
        if t - 1 in groups:
            groups[t - 1]["synthetic_data"] = family.data_to_dataset(data.synthetic)
        if t in kept and fit.bayesian:
            groups[t] = _kept_groups(family, fit, data, streams.store)
        if setting.prior_update == "carry":
            prior = fit.carried_prior
        previous_fit = fit
        if progress is not None:
            progress(1)
    offset = np.arange(block * plan.replicates, (block + 1) * plan.replicates)
    labelled = {
        t: {
            name: ds.assign_coords(replicate=offset) if "replicate" in ds.dims else ds
            for name, ds in parts.items()
        }
        for t, parts in groups.items()
    }
    return rows, labelled


def _gatherer(rows: dict, generations: int) -> Callable[[str, int, np.ndarray], None]:
    """Return a writer of a block's values into ``rows`` (allocated when first written)."""

    def gather(name: str, t: int, value) -> None:
        value = np.asarray(value, dtype=float)
        if name not in rows:  # never-written variables cost nothing
            shape = (generations,) if value.ndim == 0 else (value.shape[0], generations)
            rows[name] = np.full((*shape, *value.shape[1:]), np.nan)
        if value.ndim == 0:
            rows[name][t] = value
        else:
            rows[name][:, t] = value

    return gather


def _training_set(plan: UnitPlan, t: int, previous, previous_fit, streams):
    """Return generation ``t``'s training set: real data alone at 0, then the setting's scheme."""
    setting = plan.setting
    if t == 0:
        return initial_training_set(
            plan.family,
            plan.truth,
            int(plan.sample_size[0]),
            plan.replicates,
            rng=streams.real,
            real_data=setting.real_data,
        )
    return next_training_set(
        setting.scheme,
        previous,
        previous_fit,
        family=plan.family,
        truth=plan.truth,
        real_fraction=float(plan.real_fraction[t]),
        sample_size=int(plan.sample_size[t]),
        synthetic=setting.synthetic,
        real_rng=streams.real,
        rng=streams.fit,
        decoding=plan.decoding,
        curation=plan.curation,
        real_weight=float(plan.real_weight[t]),
        real_data=setting.real_data,
    )


def _kept_groups(family, fit, data, rng) -> dict[str, xr.Dataset]:
    """Return the ArviZ groups of a kept generation: posterior, its predictive, the data."""
    kept = fit.posterior_groups(draws=family.nuts_draws, chains=family.chains, rng=rng)
    observed = family.observed_dataset(data.items, rng=rng)  # each item once, even if weighted
    groups = {
        **kept,
        "posterior_predictive": family.predictive_dataset(kept["posterior"], observed, rng=rng),
        "observed_data": observed,
    }
    extra = {
        "log_likelihood": family.log_likelihood(kept["posterior"], observed),
        "constant_data": family.constant_dataset(observed),
    }
    return {**groups, **{name: ds for name, ds in extra.items() if ds is not None}}
