"""A sweep's Zarr store: its template, each unit's writes and status, and its repair.

The layout (see :mod:`bayescollapse.engine.sweep`)::

    STORE.zarr/
        results/                      the results Dataset (dims, names, attrs as ``run``)
        posteriors/<label>/generation_<t>/block_<b>/<ArviZ group>   kept posteriors
        sweep_units/<s>_<b>/          each unit's status, in the attrs of a Zarr group

Every chunk carries a CRC32C checksum and is written even when it holds only NaN
(:mod:`bayescollapse.io.integrity`), so a resumed sweep finds the done units whose
chunks were lost or damaged since, and computes them again (:func:`recover`).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import numpy as np
import xarray as xr

from bayescollapse.engine.config import RunConfig, node_name
from bayescollapse.engine.loop import finish_results, results_arrays, units
from bayescollapse.engine.rng import STREAMS_VERSION, fresh_seed
from bayescollapse.io.integrity import (
    CHECKSUMS_ATTR,
    UNITS_DIR,
    Verification,
    store_status,
    verify,
    with_checksums,
    zarr_encoding,
)
from bayescollapse.io.results import variable_shapes
from bayescollapse.io.storage import refuse_if_full

__all__ = ["STATUS_DIR", "prepare", "recover", "store_status", "write_status", "write_unit"]

#: the group of the units' status records (each a Zarr group whose attrs hold it)
STATUS_DIR = UNITS_DIR


def _write_group(folder: Path, attributes: dict) -> None:
    """Write a Zarr v3 group with ``attributes`` atomically (its ``zarr.json`` renamed in)."""
    folder.mkdir(parents=True, exist_ok=True)
    meta = {"zarr_format": 3, "node_type": "group", "attributes": attributes}
    tmp = folder / f".zarr.json.{os.getpid()}.tmp"
    try:
        tmp.write_text(json.dumps(meta))
        os.replace(tmp, folder / "zarr.json")
    finally:
        tmp.unlink(missing_ok=True)


def write_status(store: Path, s: int, b: int, status: str, error: str = "") -> None:
    """Record a unit's status (``done`` or ``failed`` with its error) in the store."""
    record = {"setting": s, "block": b, "status": status, "error": error}
    _write_group(store / STATUS_DIR / f"{s}_{b}", record)


def _encoding(ds: xr.Dataset, config: RunConfig) -> dict:
    """Chunks of one unit: a setting and a replicate block (or one block) per chunk."""
    sizes = {"setting": 1, "replicate": config.replicate_block, "block": 1}
    return {
        name: {"chunks": tuple(sizes.get(d, ds.sizes[d]) for d in var.dims), **zarr_encoding()}
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


def prepare(config: RunConfig, store: Path, *, overwrite: bool) -> RunConfig:
    """Create the store, or check that it was written by ``config``; return it seeded.

    Raises
    ------
    ValueError
        If the store exists, holds another configuration, and ``overwrite`` is False.
    """
    if store.exists() and not overwrite:
        try:  # the group's own metadata: read even when a variable of it is damaged
            attrs = json.loads((store / "results" / "zarr.json").read_text())["attributes"]
            stored = attrs["config"]
            streams = int(attrs.get("streams_version", 1))
        except (OSError, KeyError, TypeError, ValueError) as err:
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

    attrs = {**template.attrs, CHECKSUMS_ATTR: "crc32c"}
    xr.Dataset(attrs=attrs).to_zarr(tmp, consolidated=False)
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
    lazy = with_checksums(lazy, "zarr")
    lazy.to_zarr(
        tmp,
        group="results",
        encoding=encoding,
        consolidated=False,
        compute=False,
        write_empty_chunks=True,
    )


def write_unit(store: Path, config: RunConfig, rows: dict, groups: dict, s: int, b: int) -> None:
    """Write one unit's rows into its region of the results, and its kept posteriors.

    A variable the unit's method does not produce is written as NaN, so that every chunk
    of a done unit is on disk and a missing one is damage.
    """
    family = config.family()
    block = config.replicate_block
    shapes = variable_shapes(family, 1, block, config.generations, 1)
    by_replicate, by_block = {}, {}
    for name, (dims, _) in family.variables.items():
        if name in rows:  # (R, G, ...) per replicate, or (G,) per sampler run
            values = np.asarray(rows[name])
            lead = values[None, None] if "block" in dims else values[None]
        else:
            lead = np.full(shapes[name], np.nan)
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
            ds.to_zarr(
                store,
                group="results",
                region={**region, **full},
                consolidated=False,
                write_empty_chunks=True,  # a chunk of NaN too: a missing one is damage
            )
    if groups:
        import zarr

        from bayescollapse.io.posteriors import arviz_groups

        label = node_name(config.settings[s].name)
        for t, parts in groups.items():
            node = f"posteriors/{label}/generation_{t}/block_{b}"
            for name, ds in arviz_groups(parts).items():
                with_checksums(ds, "zarr").to_zarr(
                    store,
                    group=f"{node}/{name}",
                    mode="w",
                    consolidated=False,
                    write_empty_chunks=True,
                )
            # the node's own attrs, as run_tree's nodes have them
            zarr.open_group(store, path=node, mode="a").attrs.update(
                {
                    "setting": config.settings[s].name,
                    "setting_index": s,
                    "generation": t,
                    "block": b,
                }
            )


def recover(store: Path, config: RunConfig) -> Verification:
    """Find a resumed store's damage, repair what no unit writes, and reopen damaged units.

    The store is checked in full (:func:`bayescollapse.io.integrity.verify`). Parts that
    the template writes (metadata, coordinates, the truth) are copied back from a fresh
    template of ``config``; a done unit whose chunks or kept posteriors are missing or
    fail their checksums loses its ``done`` record, so the sweep computes it again.

    Returns
    -------
    Verification
        What was found, after the template's parts were repaired; ``damaged_units`` are
        the units to compute again.

    Raises
    ------
    ValueError
        If damage remains that no unit and no template can repair (one line).
    """
    found = verify(store)
    if any(not d.units for d in found.damage):
        tmp = store.with_name(f".{store.name}.repair")
        shutil.rmtree(tmp, ignore_errors=True)
        try:
            _write_template(tmp, finish_results(results_arrays(config), config), config)
            for damage in found.damage:
                if not damage.units and (tmp / damage.node).exists():
                    shutil.copytree(tmp / damage.node, store / damage.node, dirs_exist_ok=True)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        found = verify(store)
        lasting = [d for d in found.damage if not d.units]
        if lasting:
            raise ValueError(
                f"{store} is damaged outside its units ({lasting[0]}); pass overwrite "
                "(CLI: --overwrite) to compute it again"
            )
    for s, b in found.damaged_units:
        shutil.rmtree(store / STATUS_DIR / f"{s}_{b}", ignore_errors=True)
    return found
