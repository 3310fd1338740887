"""The results schema: names, the builder, ``validate_results`` and NetCDF save/open.

One :class:`xarray.Dataset` per run, dims ordered outer to inner::

    setting, replicate, generation[, token]

shared by every model family, plus the family's inner dims (``token`` for the categorical
model). Generation 0 is the fit to real data only. Each family's ``variables`` lists its
variables with their dims and descriptions. A variable with one value per sampler run
(``divergences``) has dims (setting, block, generation): replicate ``r`` belongs to block
``r // replicate_block``, and the block's replicates share one run.

Variables a run never wrote (say ``theta_r_hat`` in a run without a sampler) are NaN, held
as read-only views that take no memory: ``ds.copy(deep=True)`` before writing into them.
Saved files leave them out (and compress the rest); :func:`open_results` puts them back.

Every variable has CF attrs ``long_name`` and ``units`` (``1`` for probabilities, shares
and counts; ``nats`` for information; none for quantities in the data's own unit), and
the attrs record the seed, the configuration, the results ``schema_version``, the
``streams_version`` (:data:`bayescollapse.engine.rng.STREAMS_VERSION`), the plugin
modules and the versions of Python and the libraries (like msprime's provenance).

Per-setting coordinates say how each setting was run: ``group`` (its regime),
``fit_label``, ``scheme``, ``fit_method`` (not ``method``, which ``Dataset.sel`` takes as a
keyword), ``synthetic``, ``prior_update``, ``bayesian``, ``prior_label`` and the value of
every prior parameter of the model (``prior_concentration``; for the Gaussian model
``prior`` and its hyperparameters), so a prior can be a setting axis; how the synthetic
data were decoded (``temperature``, ``top_k``, ``top_p``, ``variance_scale``), where the
real data came from (``real_data``) and the weight of the real items in the refits
(``real_weight_schedule`` and ``real_weight`` per generation, NaN where unweighted).
"""

from __future__ import annotations

import contextlib
import functools
import os
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

if TYPE_CHECKING:
    from bayescollapse.io.storage import Reservation

import bayescollapse
from bayescollapse.engine.records import recorded_config
from bayescollapse.engine.rng import STREAMS_VERSION
from bayescollapse.engine.schedules import real_weight_values
from bayescollapse.io.integrity import Damaged, refuse_damage, strip, verify
from bayescollapse.io.storage import engine_for, write_atomic
from bayescollapse.models import REGISTRY

__all__ = [
    "DIMS",
    "ResultArrays",
    "build_results",
    "concat_runs",
    "open_results",
    "results_attrs",
    "save_results",
    "validate_results",
]

#: the outer dims every model's results share, ordered outer to inner
DIMS = ("setting", "replicate", "generation")

_ATTRS = ("seed", "bayescollapse_version", "config", "created_at", "model")

#: version of the results layout: 2 adds the provenance attrs, CF attrs, the /results node
SCHEMA_VERSION = 2
#: libraries whose versions every result records
LIBRARIES = (
    "numpy",
    "scipy",
    "xarray",
    "pymc",
    "pytensor",
    "numba",
    "nutpie",
    "arviz",
    "arviz-base",
)


@functools.cache
def _versions() -> tuple[tuple[str, str], ...]:
    import platform

    # the CPU's architecture too: compiled code (PyMC's) may round differently on another
    out = [("python_version", platform.python_version()), ("machine", platform.machine())]
    for name in LIBRARIES:
        try:
            out.append((f"{name}_version", version(name)))
        except PackageNotFoundError:
            out.append((f"{name}_version", "not installed"))
    return tuple(out)


def provenance() -> dict[str, str]:
    """Versions of Python and the libraries a result depends on, as attrs.

    Examples
    --------
    >>> sorted(provenance())[:2]
    ['arviz-base_version', 'arviz_version']
    """
    return dict(_versions())  # read once per process


def _cf_attrs(description: str, units: str | None) -> dict[str, str]:
    """CF attributes of a variable: its ``long_name`` (and ``description``), and ``units``."""
    attrs = {"long_name": description, "description": description}
    if units is not None:
        attrs["units"] = units
    return attrs


def variable_shapes(
    family, settings: int, replicates: int, generations: int, blocks: int = 1
) -> dict[str, tuple[int, ...]]:
    """Return the shape of every variable of ``family`` in a run of these sizes."""
    sizes = {
        "setting": settings,
        "replicate": replicates,
        "generation": generations + 1,
        "block": blocks,
        **family.dim_sizes,
    }
    return {name: tuple(sizes[d] for d in dims) for name, (dims, _) in family.variables.items()}


class ResultArrays(dict):
    """A run's arrays by variable name, each allocated when a unit first writes it.

    An array is allocated empty, and what each unit writes is marked per (setting, unit,
    generation); :meth:`complete` fills what no unit wrote (a generation a schedule
    skipped, a unit not run) with NaN. So each cell is written once: filling every array
    with NaN first, then with the values, doubled the cost of recording large results
    (two R x K arrays a generation at K = 10,000). :meth:`complete` also gives the
    variables the run never wrote as read-only NaN views that take no memory
    (``np.broadcast_to``), so the results keep the whole schema while memory grows only
    with what is written.

    Parameters
    ----------
    shapes : dict of str to tuple of int
        Each variable's shape: (setting, replicate or block, generation, ...).
    blocks : int
        Replicate blocks per setting (the units of a setting).
    per_block : collection of str
        The variables with one value per block (a sampler run), not per replicate.
    """

    def __init__(self, shapes: dict[str, tuple[int, ...]], *, blocks: int = 1, per_block=()):
        super().__init__()
        self.shapes = shapes
        self.blocks = blocks
        self.per_block = frozenset(per_block)
        self.written: dict[str, np.ndarray] = {}

    def writable(self, name: str) -> np.ndarray:
        """Return the array of ``name``, allocated (empty) on first use."""
        if name not in self:
            shape = self.shapes[name]
            self[name] = np.empty(shape)
            self.written[name] = np.zeros((shape[0], self.blocks, shape[2]), dtype=bool)
        return self[name]

    def unit(self, name: str, s: int, b: int) -> tuple[np.ndarray, np.ndarray]:
        """Return unit (s, b)'s part of ``name`` and its marks of written generations.

        The part is a view whose generation axis is the first for a value per block,
        the second (after the unit's replicates) otherwise; set a mark for every
        generation written into it.
        """
        array = self.writable(name)
        if name in self.per_block:
            part = array[s, b]
        else:
            width = array.shape[1] // self.blocks
            part = array[s, b * width : (b + 1) * width]
        return part, self.written[name][s, b]

    def complete(self) -> dict[str, np.ndarray]:
        """Return every array: NaN where no unit wrote, and a zero-memory NaN view if unwritten."""
        for name, marks in self.written.items():
            for s, b in zip(*np.nonzero(~marks.all(axis=-1)), strict=True):
                part, written = self.unit(name, s, b)
                if name in self.per_block:
                    part[~written] = np.nan
                else:
                    part[:, ~written] = np.nan
                written[:] = True
        return {
            name: self[name] if name in self else np.broadcast_to(np.float64(np.nan), shape)
            for name, shape in self.shapes.items()
        }


def build_results(
    arrays: dict[str, np.ndarray],
    *,
    config,
    family,
    truth,
    real_fraction: np.ndarray,
    sample_size: np.ndarray,
) -> xr.Dataset:
    """Label the run's arrays once, at the edge.

    Parameters
    ----------
    arrays : dict of str to numpy.ndarray
        One array per entry of ``family.variables``.
    config : RunConfig
        The run's configuration (with its seed set).
    family : object
        The model family (its variables and how it records the truth).
    truth : object
        The family's truth.
    real_fraction, sample_size : numpy.ndarray, shape (setting, generation)
        The schedules' values.
    """
    settings = config.settings
    if isinstance(arrays, ResultArrays):
        arrays = arrays.complete()
    data_vars = {
        name: (dims, arrays[name], _cf_attrs(desc, family.units.get(name, "1")))
        for name, (dims, desc) in family.variables.items()
    }
    truth_vars, inner_coords = family.truth_variables(truth)
    for name, (dims, values, extra) in truth_vars.items():
        data_vars[name] = (dims, values, {**_cf_attrs(extra.pop("description"), None), **extra})
    priors = {
        name: ("setting", [getattr(config.family_for(s), name) for s in settings])
        for name in family.prior_fields
    }
    coords = {
        "setting": [s.name for s in settings],
        "replicate": np.arange(config.replicates),
        "generation": np.arange(config.generations + 1),
        "block": np.arange(config.blocks),
        **inner_coords,
        "group": ("setting", [s.group for s in settings]),
        "fit_label": ("setting", [s.fit_label for s in settings]),
        "scheme": ("setting", [s.scheme for s in settings]),
        "fit_method": ("setting", [s.method for s in settings]),
        "synthetic": ("setting", [s.synthetic for s in settings]),
        "prior_update": ("setting", [s.prior_update for s in settings]),
        "bayesian": ("setting", [s.bayesian for s in settings]),
        "prior_label": ("setting", [s.prior_label for s in settings]),
        **priors,
        "real_fraction_schedule": ("setting", [s.real_fraction for s in settings]),
        "sample_size_schedule": ("setting", [s.sample_size for s in settings]),
        "real_fraction": (("setting", "generation"), real_fraction),
        "sample_size": (("setting", "generation"), sample_size.astype(np.int64)),
        **{
            name: ("setting", [getattr(s, name) for s in settings])
            for name in (
                "temperature",
                "top_k",
                "top_p",
                "variance_scale",
                "real_data",
                "curation",
                "reward",
            )
        },
        "real_weight_schedule": ("setting", [s.real_weight for s in settings]),
        "reward_of_truth": ("setting", [_reward_of_truth(config, s, truth) for s in settings]),
        "diagnosed_variables": ("setting", [_diagnosed(config, s) for s in settings]),
        "real_weight": (
            ("setting", "generation"),
            np.array([real_weight_values(s.real_weight, config.generations) for s in settings]),
        ),
    }
    attrs = {
        "seed": int(config.seed),
        "bayescollapse_version": bayescollapse.__version__,
        "schema_version": SCHEMA_VERSION,
        "streams_version": STREAMS_VERSION,
        "config": config.to_json(),
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "model": config.model,
        # NUTS draws per chain of the pymc paths: --draws, or ceil(--ess / chains)
        "nuts_draws": int(family.nuts_draws),
        "plugins": " ".join(config.plugins),
        "Conventions": "CF-1.11",
        **provenance(),
    }
    ds = xr.Dataset(data_vars, coords=coords, attrs=attrs)
    validate_results(ds)
    return ds


def _diagnosed(config, setting) -> str:
    """Return the variables a setting's sampler diagnostics cover, comma-separated."""
    from bayescollapse.models.registry import diagnosed_variables

    family = config.family_for(setting)
    return ", ".join(diagnosed_variables(family, setting.method, config.replicate_block))


def _reward_of_truth(config, setting, truth) -> float:
    """Return the truth's expected reward under a setting's curation (NaN: not curated)."""
    family = config.family_for(setting)
    curation = family.curation_of(setting, truth)
    return float("nan") if curation.plain else float(family.truth_reward(curation, truth))


def concat_runs(*runs: xr.Dataset) -> xr.Dataset:
    """Put the settings of several runs of one model side by side, for plots and tables.

    Runs may differ in their replicate counts (say 200 cheap conjugate replicates beside 16
    PyMC ones): the missing replicates are NaN, which the plots' NaN-aware means skip. The
    first run's attrs are kept. A per-setting coordinate that only some runs have (one
    written by an older release, before the coordinate existed) is filled in the others
    with NaN, or the empty string for text.
    """
    per_setting = {}
    for ds in runs:
        for name, coord in ds.coords.items():
            if coord.dims == ("setting",) and name != "setting":
                per_setting.setdefault(name, coord.dtype)
    runs = tuple(
        ds.assign_coords(
            {
                name: (
                    "setting",
                    np.full(ds.sizes["setting"], "" if kind.kind in "OUS" else np.nan),
                )
                for name, kind in per_setting.items()
                if name not in ds.coords
            }
        )
        for ds in runs
    )
    return xr.concat(
        list(runs),
        dim="setting",
        join="outer",
        data_vars="minimal",
        coords="minimal",
        compat="override",
        combine_attrs="override",
    )


def validate_results(ds: xr.Dataset) -> None:
    """Check dims, coords, variables and attrs of a results dataset.

    Raises
    ------
    ValueError
        Naming the first thing that is missing or malformed.
    """
    for attr in _ATTRS:
        if attr not in ds.attrs:
            raise ValueError(f"results lack attr {attr!r}")
    recorded_config(ds.attrs["config"])
    family = REGISTRY.get(ds.attrs["model"])
    if family is None:
        raise ValueError(f"results are of unknown model {ds.attrs['model']!r}")
    for dim in DIMS:
        if dim not in ds.dims:
            raise ValueError(f"results lack dim {dim!r}")
    for name, (dims, _) in family.variables.items():
        if name not in ds:
            raise ValueError(f"results lack variable {name!r}")
        if ds[name].dims != dims:
            raise ValueError(f"variable {name!r} has dims {ds[name].dims}, expected {dims}")
    for coord in ("real_fraction", "sample_size", "fit_method", "scheme", "synthetic", "bayesian"):
        if coord not in ds.coords:
            raise ValueError(f"results lack coord {coord!r}")
    if int(ds["generation"][0]) != 0:
        raise ValueError("generation must start at 0 (the fit to real data)")
    family.validate(ds)


def save_results(
    ds: xr.Dataset,
    path: str | os.PathLike,
    *,
    overwrite: bool = False,
    reservation: Reservation | None = None,
) -> Path:
    """Validate a run's results and write them atomically to NetCDF, or Zarr for ``.zarr``.

    ``reservation`` is one taken with :func:`bayescollapse.io.storage.reserve` before the run
    (so an unwritable place is refused before the work); without one the path is
    reserved now.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is False.
    """
    validate_results(ds)
    return write_atomic(for_file(ds), path, overwrite=overwrite, reservation=reservation)


def for_file(ds: xr.Dataset) -> xr.Dataset:
    """Return the results as written to a file.

    Variables that are NaN throughout are left out (:func:`with_all_variables` puts them
    back); the writer compresses and checksums the rest.
    """
    family = REGISTRY[ds.attrs["model"]]
    empty = [
        name
        for name in family.variables
        if name in ds
        and not bool(np.isfinite(ds[name].values).any())
        and not bool(np.isinf(ds[name].values).any())
    ]
    return ds.drop_vars(empty)


def with_all_variables(ds: xr.Dataset) -> xr.Dataset:
    """Put back the family's variables a file left out (NaN throughout), as NaN views."""
    family = REGISTRY[ds.attrs["model"]]
    missing = [name for name in family.variables if name not in ds]
    if not missing:
        return ds
    sizes = dict(ds.sizes)
    extra = {}
    for name in missing:
        dims, description = family.variables[name]
        if any(d not in sizes for d in dims):
            continue  # a dim the file does not have: validate_results names it
        shape = tuple(sizes[d] for d in dims)
        extra[name] = (
            dims,
            np.broadcast_to(np.float64(np.nan), shape),
            _cf_attrs(description, family.units.get(name, "1")),
        )
    return ds.assign(extra)


def open_results(path: str | os.PathLike) -> xr.Dataset:
    """Open saved results (NetCDF, or Zarr for ``.zarr``) fully into memory and validate.

    A file written with kept posteriors holds the results in its ``/results`` node
    (:func:`bayescollapse.io.posteriors.open_tree` opens the whole tree); this opens those.
    The results of a family a plug-in registers open once the plug-in is imported (the
    attribute ``plugins`` names it: :func:`results_attrs` reads it first).

    Raises
    ------
    FileNotFoundError
        If nothing is at ``path``.
    ValueError
        If it is not a readable results file.
    """
    ds = _load(path)
    if "model" in ds.attrs and ds.attrs["model"] in REGISTRY:
        ds = with_all_variables(ds)
    validate_results(ds)
    return ds


def results_attrs(path: str | os.PathLike) -> dict:
    """Return the attrs of saved results without checking them (their plug-ins, model)."""
    return dict(_load(path, lazy=True).attrs)


def _load(path: str | os.PathLike, *, lazy: bool = False) -> xr.Dataset:
    """Read the results node of a file into memory (only its attrs when ``lazy``)."""
    path = Path(path)
    engine = engine_for(path)
    if not (path.is_dir() if engine == "zarr" else path.is_file()):
        raise FileNotFoundError(f"no results file at {path}")
    kwargs = {"engine": engine, **({"consolidated": False} if engine == "zarr" else {})}
    try:
        if not lazy and engine == "zarr":  # a chunk missing would read as NaN: check first
            grouped = (path / "results").is_dir()
            refuse_damage(path, verify(path, node="results" if grouped else None))
        with xr.open_dataset(path, **kwargs) as root:
            in_root = "setting" in root.dims
            ds = (root.copy() if lazy else root.load()) if in_root else None
        if not in_root:
            with xr.open_dataset(path, group="results", **kwargs) as node:
                ds = node.copy() if lazy else node.load()
    except Damaged:
        raise
    except (OSError, KeyError, ValueError) as err:
        if not lazy:  # a chunk failing its checksum, unreadable HDF5 data: name the damage
            with contextlib.suppress(OSError, ValueError):
                refuse_damage(path, verify(path))
        raise ValueError(f"{path} is not a readable results file ({err})") from None
    return strip(ds)
