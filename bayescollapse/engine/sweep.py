"""Sweeps that outgrow one process: units of work on Dask distributed, one resumable Zarr store.

A unit of work is one (setting, replicate block) run through all generations
(:func:`bayescollapse.engine.loop.run_unit`); its random streams are its own, so the results do
not depend on the number of workers, the order in which units finish, or retries. The
store is laid out like :func:`bayescollapse.run_tree`'s output::

    STORE.zarr/
        results/                      the results Dataset (dims, names, attrs as ``run``)
        posteriors/<label>/generation_<t>/block_<b>/<ArviZ group>   kept posteriors
        sweep_units/<s>_<b>/          each unit's status, in the attrs of a Zarr group

It is created first, every results variable chunked one unit per chunk and NaN (its fill
value: nothing is written for it until a unit is done); each unit
then writes its own region, then its status file (``done``, or ``failed`` with the
error). Rerunning the same sweep computes only the units not ``done``: after a crash or a
``kill -9`` nothing finished is lost, and the resumed store equals an uninterrupted run.
A store written by another configuration is refused unless ``overwrite``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import xarray as xr

from bayescollapse.engine.config import RunConfig, kept_generations, node_name
from bayescollapse.engine.loop import finish_results, place_rows, results_arrays, run_unit, units
from bayescollapse.engine.memory import check_memory
from bayescollapse.engine.rng import STREAMS_VERSION, fresh_seed
from bayescollapse.io.storage import locked, refuse_if_full

__all__ = ["SweepReport", "open_client", "run_distributed", "store_status", "sweep"]

#: the group of the units' status records (each a Zarr group whose attrs hold it)
STATUS_DIR = "sweep_units"
#: attrs that differ between runs of one configuration (not part of its identity)
_VOLATILE = ("created_at",)


@dataclass
class SweepReport:
    """What a sweep did.

    Attributes
    ----------
    store : pathlib.Path
        The Zarr store.
    run, skipped : list of (setting, block)
        Units computed now, and units found done and skipped.
    failed : dict
        ``(setting, block) -> error message`` of the units that failed.
    dashboard : str
        The Dask dashboard address (empty if there is none).
    """

    store: Path
    run: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    failed: dict = field(default_factory=dict)
    dashboard: str = ""


def _write_group(folder: Path, attributes: dict) -> None:
    """Write a Zarr v3 group with ``attributes`` atomically (its ``zarr.json`` renamed in)."""
    folder.mkdir(parents=True, exist_ok=True)
    meta = {"zarr_format": 3, "node_type": "group", "attributes": attributes}
    tmp = folder / f".zarr.json.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(meta))
    os.replace(tmp, folder / "zarr.json")


def _write_status(store: Path, s: int, b: int, status: str, error: str = "") -> None:
    """Record a unit's status (``done`` or ``failed`` with its error) in the store."""
    record = {"setting": s, "block": b, "status": status, "error": error}
    _write_group(store / STATUS_DIR / f"{s}_{b}", record)


def store_status(store: str | os.PathLike) -> dict[tuple[int, int], dict]:
    """Return the status of every unit that has one: ``(setting, block) -> record``.

    A record has ``status`` (``done`` or ``failed``) and ``error``. A unit without a
    record has not finished: its region of the results is NaN.
    """
    folder = Path(store) / STATUS_DIR
    out = {}
    for path in sorted(folder.glob("*/zarr.json")) if folder.is_dir() else ():
        record = json.loads(path.read_text())["attributes"]
        out[record["setting"], record["block"]] = record
    return out


def _encoding(ds: xr.Dataset, config: RunConfig) -> dict:
    """Chunks of one unit: a setting and a replicate block (or one block) per chunk."""
    sizes = {"setting": 1, "replicate": config.replicate_block, "block": 1}
    return {
        name: {"chunks": tuple(sizes.get(d, ds.sizes[d]) for d in var.dims)}
        for name, var in ds.data_vars.items()
    }


def _identity(config_json: str) -> dict:
    """Return a configuration without its seed: what must match to resume a store.

    The stored text is read back as a configuration and written again, so a store written
    before a configuration's form changed (the family's keys at the top level, before they
    moved to ``params``) resumes under the same configuration today.
    """
    data = json.loads(config_json)
    try:
        data = json.loads(RunConfig.from_dict(data).to_json())
    except ValueError:  # not readable today: compared as it is (and so refused)
        pass
    data.pop("seed", None)
    return data


def _prepare(config: RunConfig, store: Path, *, overwrite: bool) -> RunConfig:
    """Create the store, or check that it was written by ``config``; return it seeded.

    Raises
    ------
    ValueError
        If the store exists, holds another configuration, and ``overwrite`` is False.
    """
    if store.exists() and not overwrite:
        try:
            with xr.open_dataset(store, engine="zarr", group="results", consolidated=False) as old:
                stored = old.attrs["config"]
                streams = int(old.attrs.get("streams_version", 1))
        except (OSError, KeyError, ValueError) as err:
            raise ValueError(
                f"{store} exists and is not a sweep store ({type(err).__name__}); "
                "pass overwrite (CLI: --overwrite) to replace it"
            ) from None
        if _identity(stored) != _identity(config.to_json()):
            raise ValueError(
                f"{store} was written by a different configuration; pass overwrite "
                "(CLI: --overwrite) to replace it, or choose another store"
            )
        if streams != STREAMS_VERSION:
            raise ValueError(
                f"{store} was drawn with random streams version {streams}, and this release "
                f"draws version {STREAMS_VERSION}; pass overwrite (CLI: --overwrite) to "
                "recompute it"
            )
        seed = json.loads(stored)["seed"]
        if config.seed is not None and config.seed != seed:
            raise ValueError(
                f"{store} was written with seed {seed}, not {config.seed}; pass overwrite "
                "(CLI: --overwrite) to replace it"
            )
        return config.with_seed(seed)
    config = config if config.seed is not None else config.with_seed(fresh_seed())
    template = finish_results(results_arrays(config), config)
    store.parent.mkdir(parents=True, exist_ok=True)
    tmp = store.with_name(f".{store.name}.creating")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        _write_template(tmp, template, config)
    except BaseException as err:
        shutil.rmtree(tmp, ignore_errors=True)  # no half-made store stays behind
        if isinstance(err, Exception):
            refuse_if_full(err, tmp, store, 2**20)
        raise
    if store.exists():  # overwrite: the old store goes only once the new one is whole
        old = store.with_name(f".{store.name}.replaced")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(store, old)
        os.replace(tmp, store)
        shutil.rmtree(old) if old.is_dir() else old.unlink()
    else:
        os.replace(tmp, store)  # a store exists only once its template is whole
    return config


def _write_template(tmp: Path, template: xr.Dataset, config: RunConfig) -> None:
    """Write a new store's attributes, status folder and results template into ``tmp``."""
    import dask.array

    xr.Dataset(attrs=template.attrs).to_zarr(tmp, consolidated=False)
    _write_group(tmp / STATUS_DIR, {"units": len(units(config))})
    # the data variables as lazy Dask arrays, never computed: only their metadata is
    # written (unwritten chunks read as the fill value, NaN), so a template costs neither
    # the memory nor the time of the results it will hold
    encoding = _encoding(template, config)
    lazy = template.copy()
    written_by_units = config.family().variables
    for name, enc in encoding.items():  # the truth and the coordinates are written now
        if name not in written_by_units:
            continue
        variable = template[name].variable  # all NaN: no unit has written it yet
        empty = dask.array.full(variable.shape, np.nan, dtype=variable.dtype, chunks=enc["chunks"])
        lazy[name] = xr.Variable(variable.dims, empty, variable.attrs, variable.encoding)
    lazy.to_zarr(tmp, group="results", encoding=encoding, consolidated=False, compute=False)


def _write_unit(store: Path, config: RunConfig, rows: dict, groups: dict, s: int, b: int) -> None:
    """Write one unit's rows into its region of the results, and its kept posteriors."""
    variables = config.family().variables
    block = config.replicate_block
    by_replicate, by_block = {}, {}
    for name, values in rows.items():
        dims = variables[name][0]
        values = np.asarray(values)  # (R, G, ...) per replicate, or (G,) per sampler run
        lead = values[None, None] if "block" in dims else values[None]
        (by_block if "block" in dims else by_replicate)[name] = (dims, lead)
    for part, region in (
        (
            by_replicate,
            {"setting": slice(s, s + 1), "replicate": slice(b * block, (b + 1) * block)},
        ),
        (by_block, {"setting": slice(s, s + 1), "block": slice(b, b + 1)}),
    ):
        if part:
            ds = xr.Dataset(part)
            full = {d: slice(None) for d in ds.dims if d not in region}
            ds.to_zarr(store, group="results", region={**region, **full}, consolidated=False)
    if groups:
        from bayescollapse.io.posteriors import arviz_groups

        label = node_name(config.settings[s].name)
        for t, parts in groups.items():
            for name, ds in arviz_groups(parts).items():
                path = f"posteriors/{label}/generation_{t}/block_{b}/{name}"
                ds.to_zarr(store, group=path, mode="w", consolidated=False)


def _unit_task(config_json: str, s: int, b: int, store: str | None) -> tuple:
    """Run one unit on a worker; write it to ``store``, or return its rows when None.

    Never raises for an error inside the unit: the error is recorded (status file) and
    returned, so one failed unit does not stop the others.
    """
    try:
        config = RunConfig.from_dict(json.loads(config_json))  # imports its plugins here
        kept = kept_generations(config.keep_posteriors, config.generations) if store else ()
        # a worker is one core: its sampler runs its chains one after another
        rows, groups = run_unit(config, s, b, kept=kept, cores=1)
        if store is None:
            return "done", rows
        _write_unit(Path(store), config, rows, groups, s, b)
        _write_status(Path(store), s, b, "done")
        return "done", None
    except Exception as err:  # recorded and reported, not raised: the others go on
        message = f"{type(err).__name__}: {err}"
        if store is not None:
            _write_status(Path(store), s, b, "failed", message + "\n" + traceback.format_exc())
        return "failed", message


#: a Dask scheduler's address: PROTOCOL://HOST[:PORT] or HOST:PORT
_ADDRESS = re.compile(r"^((tcp|tls|ws|wss|ucx)://[^\s/]+|[^\s:/]+:\d+)$")


def _check_scheduler(scheduler) -> None:
    """Refuse, in one line, an address that is not a Dask scheduler's."""
    if scheduler is not None and not (isinstance(scheduler, str) and _ADDRESS.match(scheduler)):
        raise ValueError(
            f"scheduler {scheduler!r} is not a Dask scheduler's address "
            "(tcp://HOST:PORT, or HOST:PORT)"
        )


def _check_workers(workers) -> None:
    """Refuse, in one line, a number of workers that is not None or an integer >= 1."""
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
    ):
        raise ValueError(f"workers {workers!r} is not an integer >= 1 (None: one per core)")


@contextlib.contextmanager
def open_client(
    client=None, *, workers: int | None = None, scheduler: str | None = None
) -> Iterator:
    """Yield a Dask client.

    ``client`` as given, one connected to ``scheduler``, or a ``LocalCluster`` of
    ``workers`` single-threaded processes (default: one per core).
    """
    from distributed import Client, LocalCluster

    if client is not None:
        yield client
        return
    if scheduler:
        _check_scheduler(scheduler)
        try:
            c = Client(scheduler, timeout="10s")
        except (OSError, TimeoutError) as err:
            raise ValueError(f"cannot reach the Dask scheduler at {scheduler} ({err})") from None
        with c:
            yield c
        return
    if workers is not None and (
        isinstance(workers, bool) or not isinstance(workers, int) or workers < 1
    ):
        raise ValueError(f"workers {workers!r} is not an integer >= 1 (None: one per core)")
    n = workers or os.cpu_count() or 1
    with (
        LocalCluster(
            n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


def _submit(client, config: RunConfig, pending, store: str | None):
    """Submit the pending units; yield ``((s, b), status, payload)`` as they finish."""
    from distributed import as_completed

    text = config.to_json()
    futures = {
        client.submit(
            _unit_task, text, s, b, store, key=f"unit-{s}-{b}-{uuid.uuid4().hex}", retries=2
        ): (s, b)
        for s, b in pending
    }
    for future in as_completed(futures):
        unit = futures[future]
        try:
            status, payload = future.result()
        except Exception as err:  # a worker lost more often than the retries allow
            status, payload = "failed", f"{type(err).__name__}: {err}"
            if store is not None:
                _write_status(Path(store), *unit, "failed", payload)
        yield unit, status, payload


def sweep(
    config: RunConfig,
    store: str | os.PathLike,
    *,
    client=None,
    workers: int | None = None,
    scheduler: str | None = None,
    overwrite: bool = False,
    progress: Callable[[int], None] | None = None,
    announce: Callable[[str], None] | None = None,
    on_failure: Callable[[tuple[int, int], str], None] | None = None,
    memory_limit: int | str | None = None,
) -> SweepReport:
    """Run ``config`` on Dask distributed into a resumable Zarr store.

    Parameters
    ----------
    config : RunConfig
        The study (validated in full when it was built). With no seed, a new store draws
        one; an existing store's seed is reused.
    store : path
        The Zarr store (``.zarr``). If it exists and holds this configuration, only the
        units not yet done are computed.
    client : distributed.Client, optional
        A client to use; by default a ``LocalCluster`` of ``workers`` processes, or a
        client of the cluster at ``scheduler``.
    workers : int, optional
        Workers of the local cluster (default: one per core).
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:8786``).
    overwrite : bool
        Replace a store written by another configuration.
    progress : callable, optional
        Called with 1 after each unit finishes (done or failed).
    announce : callable, optional
        Called with the Dask dashboard address once the cluster is up.
    on_failure : callable, optional
        Called with ``(setting, block)`` and the error as soon as a unit fails.
    memory_limit : int or str, optional
        The most memory one unit may need on a worker (default: what is available here);
        the results go to the store, not to memory.

    Returns
    -------
    SweepReport
        Units run, skipped (already done) and failed (with their errors).

    Raises
    ------
    ValueError
        If ``store`` is not a ``.zarr`` path, or holds another configuration.
    """
    store = Path(store)
    if store.suffix != ".zarr":
        raise ValueError(f"{store} must end in .zarr (a sweep writes a Zarr store)")
    _check_workers(workers)  # before the store is made
    _check_scheduler(scheduler)
    check_memory(config, memory_limit, results=False)
    with locked(store):  # one sweep at a time into a store
        return _sweep_locked(
            config, store, client, workers, scheduler, overwrite, progress, announce, on_failure
        )


def _sweep_locked(
    config, store, client, workers, scheduler, overwrite, progress, announce, on_failure
) -> SweepReport:
    """Run the body of :func:`sweep`, its store locked."""
    config = _prepare(config, store, overwrite=overwrite)
    done = {u for u, rec in store_status(store).items() if rec["status"] == "done"}
    report = SweepReport(store, skipped=[u for u in units(config) if u in done])
    pending = [u for u in units(config) if u not in done]
    if not pending:
        return report
    with open_client(client, workers=workers, scheduler=scheduler) as c:
        report.dashboard = getattr(c, "dashboard_link", "") or ""
        if announce is not None:
            announce(report.dashboard)
        for unit, status, payload in _submit(c, config, pending, str(store)):
            if status == "done":
                report.run.append(unit)
            else:
                report.failed[unit] = payload
                if on_failure is not None:
                    on_failure(unit, payload)
            if progress is not None:
                progress(1)
    return report


def run_distributed(
    config: RunConfig,
    *,
    client=None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> xr.Dataset:
    """Run ``config`` on Dask distributed and return the results in memory, like ``run``.

    The units run on the workers and come back as arrays; no store is written. Equal to
    ``run(config)`` array for array.

    Raises
    ------
    RuntimeError
        Naming the first failed unit, if any failed.
    """
    config = config if config.seed is not None else config.with_seed(fresh_seed())
    config = replace(config, keep_posteriors="none")
    arrays = results_arrays(config)
    with open_client(client, workers=workers, scheduler=scheduler) as c:
        for (s, b), status, payload in _submit(c, config, units(config), None):
            if status != "done":
                raise RuntimeError(f"unit (setting {s}, block {b}) failed: {payload}")
            place_rows(arrays, payload, s, b)
            if progress is not None:
                progress(1)
    return finish_results(arrays, config)
