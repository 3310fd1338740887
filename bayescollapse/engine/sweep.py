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
import logging
import os
import re
import traceback
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import xarray as xr

from bayescollapse.engine.config import RunConfig, kept_generations
from bayescollapse.engine.loop import finish_results, place_rows, results_arrays, run_unit, units
from bayescollapse.engine.memory import check_memory
from bayescollapse.engine.progress import Progress, watched
from bayescollapse.engine.rng import fresh_seed
from bayescollapse.engine.sweep_store import (
    prepare,
    recover,
    store_status,
    write_status,
    write_unit,
)
from bayescollapse.io.storage import locked

__all__ = ["SweepReport", "open_client", "run_distributed", "store_status", "sweep"]


@dataclass
class SweepReport:
    """What a sweep did.

    Attributes
    ----------
    store : pathlib.Path
        The Zarr store.
    run, skipped : list of (setting, block)
        Units computed now, and units found done and skipped.
    damaged : list of (setting, block)
        Units found done whose stored results were missing or damaged since: computed
        again (they are in ``run`` too once done).
    failed : dict
        ``(setting, block) -> error message`` of the units that failed.
    dashboard : str
        The Dask dashboard address (empty if there is none).
    """

    store: Path
    run: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    damaged: list = field(default_factory=list)
    failed: dict = field(default_factory=dict)
    dashboard: str = ""


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
        write_unit(Path(store), config, rows, groups, s, b)
        write_status(Path(store), s, b, "done")
        return "done", None
    except Exception as err:  # recorded and reported, not raised: the others go on
        message = f"{type(err).__name__}: {err}"
        if store is not None:
            with contextlib.suppress(OSError):  # a full disk: a unit without a record reruns
                write_status(Path(store), s, b, "failed", message + "\n" + traceback.format_exc())
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
    _check_workers(workers)
    n = workers or os.cpu_count() or 1
    with LocalCluster(
        n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0"
    ) as cluster:
        with Client(cluster) as c:
            yield c
        # a clean finish: every unit is written, so a worker slow to exit (a large process
        # tearing down on a busy machine) may be killed by its nanny without a warning
        nanny = logging.getLogger("distributed.nanny")
        nanny.addFilter(_slow_exit)
        try:
            cluster.close()
        finally:
            nanny.removeFilter(_slow_exit)


def _slow_exit(record: logging.LogRecord) -> bool:
    """Drop the nanny's "Worker process still alive after 4.0 seconds, killing" record."""
    return not record.getMessage().startswith("Worker process still alive after")


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
                with contextlib.suppress(OSError):  # a full disk: a unit without a record reruns
                    write_status(Path(store), *unit, "failed", payload)
        yield unit, status, payload


def sweep(
    config: RunConfig,
    store: str | os.PathLike,
    *,
    client=None,
    workers: int | None = None,
    scheduler: str | None = None,
    overwrite: bool = False,
    progress: Progress = None,
    announce: Callable[[str], None] | None = None,
    on_failure: Callable[[tuple[int, int], str], None] | None = None,
    on_damage: Callable[[list], None] | None = None,
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
    progress : callable or bool, optional
        A bar over the units to run, shown by default when someone is watching (a
        terminal or a notebook), ``False`` to silence it; or a callable, called with 1
        after each unit finishes (done or failed).
    announce : callable, optional
        Called with the Dask dashboard address once the cluster is up.
    on_failure : callable, optional
        Called with ``(setting, block)`` and the error as soon as a unit fails.
    on_damage : callable, optional
        Called, when a resumed store holds done units whose results were lost or damaged
        since, with the damage found (:class:`bayescollapse.io.integrity.Damage`, each
        naming its units) before those units are computed again.
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
    hooks = _Hooks(progress, announce, on_failure, on_damage)
    with locked(store):  # one sweep at a time into a store
        return _sweep_locked(config, store, client, workers, scheduler, overwrite, hooks)


@dataclass(frozen=True)
class _Hooks:
    """The callbacks of :func:`sweep` (see there), each None or a callable."""

    progress: Progress
    announce: Callable | None
    on_failure: Callable | None
    on_damage: Callable | None


def _sweep_locked(config, store, client, workers, scheduler, overwrite, hooks) -> SweepReport:
    """Run the body of :func:`sweep`, its store locked."""
    config = prepare(config, store, overwrite=overwrite)
    damaged = []
    if any(rec["status"] == "done" for rec in store_status(store).values()):
        found = recover(store, config)  # units done, then lost or damaged since
        damaged = sorted(found.damaged_units)
        if damaged and hooks.on_damage is not None:
            hooks.on_damage(found.damage)
    done = {u for u, rec in store_status(store).items() if rec["status"] == "done"}
    report = SweepReport(store, skipped=[u for u in units(config) if u in done], damaged=damaged)
    pending = [u for u in units(config) if u not in done]
    if not pending:
        return report
    with (
        open_client(client, workers=workers, scheduler=scheduler) as c,
        watched(hooks.progress, len(pending), label="units") as advance,
    ):
        report.dashboard = getattr(c, "dashboard_link", "") or ""
        if hooks.announce is not None:
            hooks.announce(report.dashboard)
        for unit, status, payload in _submit(c, config, pending, str(store)):
            if status == "done":
                report.run.append(unit)
            else:
                report.failed[unit] = payload
                if hooks.on_failure is not None:
                    hooks.on_failure(unit, payload)
            if advance is not None:
                advance(1)
    return report


def run_distributed(
    config: RunConfig,
    *,
    client=None,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Progress = None,
) -> xr.Dataset:
    """Run ``config`` on Dask distributed and return the results in memory, like ``run``.

    The units run on the workers and come back as arrays; no store is written. Equal to
    ``run(config)`` array for array. ``progress`` is that of ``run``, counting units.

    Raises
    ------
    RuntimeError
        Naming the first failed unit, if any failed.
    """
    config = config if config.seed is not None else config.with_seed(fresh_seed())
    config = replace(config, keep_posteriors="none")
    arrays = results_arrays(config)
    todo = units(config)
    with (
        open_client(client, workers=workers, scheduler=scheduler) as c,
        watched(progress, len(todo), label="units") as advance,
    ):
        for (s, b), status, payload in _submit(c, config, todo, None):
            if status != "done":
                raise RuntimeError(f"unit (setting {s}, block {b}) failed: {payload}")
            place_rows(arrays, payload, s, b)
            if advance is not None:
                advance(1)
    return finish_results(arrays, config)
