"""Checksums on every stored chunk, and the check that finds a damaged result.

**Written.** Every array of a Zarr result carries a CRC32C checksum per chunk (Zarr's
``crc32c`` codec, after compression); every variable of a NetCDF result HDF5's
Fletcher-32 checksum. A chunk is written even when it holds only NaN (Zarr would skip
it and read the fill value back), and the results record the variables they hold
(attribute ``stored_variables``), so a chunk or variable that is missing is damage,
never an empty value. The attribute ``checksums`` names the checksum.

**Checked.** :func:`verify` reads every chunk of a Zarr store from disk and compares its
checksum (a 100 MB store takes about a second), finds chunk folders whose metadata is
gone, chunks that are missing and variables that were recorded but are not there. In a
sweep store a chunk belongs to a unit (a setting and a replicate block): chunks of the
units not yet done are absent by design, and every damage names its units, so the sweep
recomputes exactly those. A NetCDF file is read variable by variable through HDF5, which
checks each chunk's Fletcher-32 sum. Files written before checksums (no ``checksums``
attribute) are checked for what can be: readability, and no metadata missing.
"""

from __future__ import annotations

import itertools
import json
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "CHECKSUMS_ATTR",
    "Damage",
    "Damaged",
    "Verification",
    "netcdf_encoding",
    "refuse_damage",
    "store_status",
    "strip",
    "verify",
    "with_checksums",
    "zarr_encoding",
]

#: the attribute naming a result's checksum: ``crc32c`` (Zarr) or ``fletcher32`` (NetCDF)
CHECKSUMS_ATTR = "checksums"
#: the attribute listing the data variables a result holds (space-separated)
STORED_ATTR = "stored_variables"
#: the group of a sweep store's unit records (see :mod:`bayescollapse.engine.sweep`)
UNITS_DIR = "sweep_units"


def zarr_encoding() -> dict:
    """Return the encoding of a checksummed Zarr array: Zstandard, then CRC32C."""
    from zarr.codecs import Crc32cCodec, ZstdCodec

    return {"compressors": (ZstdCodec(level=1), Crc32cCodec())}


def netcdf_encoding() -> dict:
    """Return the encoding of a checksummed NetCDF variable: zlib, then Fletcher-32."""
    return {"zlib": True, "complevel": 1, "fletcher32": True}


def with_checksums(data, engine: str):
    """Return a Dataset or DataTree (a shallow copy) to be written with checksums.

    Every variable of every node gets the checksummed encoding of ``engine`` (NetCDF:
    numeric variables only, as HDF5 filters no variable-length strings), every node with
    data variables the attribute :data:`STORED_ATTR` naming them, and the root the
    attribute :data:`CHECKSUMS_ATTR`.
    """
    import xarray as xr

    extra = zarr_encoding() if engine == "zarr" else netcdf_encoding()

    def encoded(ds: xr.Dataset) -> xr.Dataset:
        ds = ds.copy(deep=False)
        for name, variable in ds.variables.items():
            if engine == "zarr" or variable.dtype.kind in "biufc":
                ds[name].encoding = {**variable.encoding, **extra}
        if ds.data_vars:
            ds.attrs[STORED_ATTR] = " ".join(map(str, ds.data_vars))
        return ds

    if isinstance(data, xr.DataTree):
        nodes = {node.path: encoded(node.to_dataset(inherit=False)) for node in data.subtree}
        out = xr.DataTree.from_dict(nodes, name=data.name)
    else:
        out = encoded(data)
    out.attrs = {**out.attrs, CHECKSUMS_ATTR: "crc32c" if engine == "zarr" else "fletcher32"}
    return out


class Damaged(ValueError):
    """A stored result is damaged (a one-line message naming the damage)."""


def strip(data):
    """Drop, in place, the attributes that describe the file rather than the results.

    ``data`` is a Dataset or a DataTree (every node); it is returned.
    """
    import xarray as xr

    nodes = data.subtree if isinstance(data, xr.DataTree) else (data,)
    for node in nodes:
        for name in (CHECKSUMS_ATTR, STORED_ATTR):
            node.attrs.pop(name, None)
    return data


@dataclass(frozen=True)
class Damage:
    """One damaged part of a stored result.

    Attributes
    ----------
    node : str
        The array or group, as a path in the store (``results/tv_to_truth``).
    problem : str
        What is wrong (``2 chunks missing``, ``1 chunk fails its checksum``).
    units : tuple of (setting, block)
        The sweep units whose results the damage touches (empty outside a sweep store,
        and for parts no unit writes).
    """

    node: str
    problem: str
    units: tuple[tuple[int, int], ...] = ()

    def __str__(self) -> str:
        """Say the damage in one line."""
        if not self.units:
            return f"{self.node}: {self.problem}"
        shown = ", ".join(f"setting {s} block {b}" for s, b in self.units[:4])
        more = f" and {len(self.units) - 4} more" if len(self.units) > 4 else ""
        return f"{self.node}: {self.problem} (units {shown}{more})"


@dataclass
class Verification:
    """What :func:`verify` found: the damage, and how much it checked."""

    path: Path
    damage: list[Damage] = field(default_factory=list)
    arrays: int = 0
    chunks: int = 0
    checksum: str = ""

    @property
    def damaged_units(self) -> set[tuple[int, int]]:
        """Return the sweep units that some damage touches."""
        return {unit for d in self.damage for unit in d.units}

    def summary(self) -> str:
        """Say in one line what was checked and found."""
        how = (
            f"{self.checksum} checksums checked"
            if self.checksum
            else "no checksums (written before they were added): readability checked"
        )
        found = f"{len(self.damage)} damaged" if self.damage else "no damage"
        return f"{self.path}: {self.arrays} arrays, {self.chunks} chunks, {how}; {found}"


def verify(path: str | os.PathLike, *, node: str | None = None) -> Verification:
    """Check a stored result (NetCDF, Zarr, or a sweep store) for damage.

    ``node`` limits a Zarr store's check to one node and what is below it (``results``:
    what :func:`bayescollapse.open_results` reads).

    Raises
    ------
    FileNotFoundError
        If nothing is at ``path``.
    ValueError
        If ``path`` is not a NetCDF file or a Zarr store at all.
    """
    from bayescollapse.io.formats import engine_for

    path = Path(path)
    engine = engine_for(path)
    if not path.exists():
        raise FileNotFoundError(f"no results at {path}")
    if engine == "zarr":
        return _verify_zarr(path, node)
    return _verify_netcdf(path)


def refuse_damage(path: Path, found: Verification) -> None:
    """Raise :class:`Damaged` (a ValueError), in one line naming the first damage, if any."""
    if found.damage:
        more = f" and {len(found.damage) - 1} more" if len(found.damage) > 1 else ""
        raise Damaged(
            f"{path} is damaged: {found.damage[0]}{more}; `bayescollapse verify {path}` "
            "lists it all (a sweep store: rerun the sweep to recompute the damaged units)"
        )


# --- Zarr ------------------------------------------------------------------------------


def _read_meta(folder: Path) -> dict | None:
    """Return a node's ``zarr.json``, None when it is missing; raise on an unreadable one."""
    try:
        return json.loads((folder / "zarr.json").read_text())
    except FileNotFoundError:
        return None


def _nodes(root: Path) -> Iterator[tuple[str, Path, dict | None]]:
    """Yield ``(name, folder, metadata)`` of every node below ``root`` (hidden ones skipped).

    A folder without metadata is yielded with None and not entered: its contents cannot
    be read without it.
    """
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        try:
            meta = _read_meta(entry)
        except (OSError, ValueError):
            meta = {"node_type": "unreadable"}
        name = entry.name
        yield name, entry, meta
        if meta is not None and meta.get("node_type") == "group":
            for sub, folder, m in _nodes(entry):
                yield f"{name}/{sub}", folder, m


def _chunk_keys(meta: dict) -> Iterator[tuple[tuple[int, ...], str]]:
    """Yield every chunk's index and its key (the path below the array's folder)."""
    shape = meta["shape"]
    sizes = meta["chunk_grid"]["configuration"]["chunk_shape"]
    encoding = meta.get("chunk_key_encoding", {"name": "default"})
    separator = encoding.get("configuration", {}).get("separator", "/")
    grid = [math.ceil(n / c) if c else 0 for n, c in zip(shape, sizes, strict=True)]
    for index in itertools.product(*(range(g) for g in grid)):
        if encoding.get("name") == "v2":
            key = separator.join(map(str, index)) if index else "0"
        else:
            key = separator.join(("c", *map(str, index)))
        yield index, key


def _checksum_ok(chunk: Path) -> bool:
    """Whether a chunk's last four bytes are the CRC32C of the rest (little-endian)."""
    import google_crc32c

    data = chunk.read_bytes()
    return len(data) >= 4 and google_crc32c.value(data[:-4]) == int.from_bytes(data[-4:], "little")


@dataclass
class _Units:
    """A sweep store's units: which are done, and how chunks and groups map to them."""

    done: set[tuple[int, int]]
    labels: dict[str, int]  # a setting's node name -> its index

    def of_chunk(self, name: str, dims: list[str], index: tuple[int, ...]):
        """Return the unit of a results chunk, None for a chunk no unit writes."""
        if not name.startswith("results/") or "setting" not in dims:
            return None
        block_dim = "block" if "block" in dims else "replicate" if "replicate" in dims else None
        if block_dim is None:
            return None
        return index[dims.index("setting")], index[dims.index(block_dim)]

    def of_node(self, name: str):
        """Return the unit of a kept-posterior node (``posteriors/LABEL/generation_T/block_B``)."""
        parts = name.split("/")
        if len(parts) < 4 or parts[0] != "posteriors" or parts[1] not in self.labels:
            return None
        if not parts[3].startswith("block_") or not parts[3][6:].isdigit():
            return None
        return self.labels[parts[1]], int(parts[3][6:])


def store_status(store: str | os.PathLike) -> dict[tuple[int, int], dict]:
    """Return the status of every unit of a sweep store that has one: ``(s, b) -> record``.

    A record has ``status`` (``done`` or ``failed``) and ``error``. A unit without a
    record has not finished: its region of the results is NaN.
    """
    folder = Path(store) / UNITS_DIR
    out = {}
    for path in sorted(folder.glob("*/zarr.json")) if folder.is_dir() else ():
        record = json.loads(path.read_text())["attributes"]
        out[record["setting"], record["block"]] = record
    return out


def _sweep_units(store: Path) -> _Units | None:
    """Return the units of a sweep store, None for a store that is not a sweep's."""
    if not (store / UNITS_DIR).is_dir():
        return None
    from bayescollapse.io.node_names import node_name

    done = {unit for unit, rec in store_status(store).items() if rec["status"] == "done"}
    labels = {}
    try:
        import zarr

        settings = zarr.open_array(store / "results" / "setting", mode="r")[...]
        labels = {node_name(str(label)): i for i, label in enumerate(settings)}
    except Exception:  # the labels' own damage is reported by the chunk check
        pass
    return _Units(done, labels)


def _verify_zarr(store: Path, only: str | None = None) -> Verification:
    """Check every node of a Zarr store, or ``only`` that one and below (module docstring)."""
    try:
        root = _read_meta(store)
    except (OSError, ValueError):
        root = None
    if root is None:
        raise ValueError(f"{store} is not a Zarr store (no readable zarr.json at its root)")
    units = _sweep_units(store)
    report = Verification(store)
    if only is None:
        _check_stored_variables(report, "", store, root)
    checksums: set[bool] = set()
    blocks: dict[str, set[int]] = {}
    for name, folder, meta in _nodes(store):
        if only is not None and name != only and not name.startswith(f"{only}/"):
            continue
        if units is not None and name.startswith(f"{UNITS_DIR}/"):
            continue  # a unit's record: one without its zarr.json is a unit not done
        unit = units.of_node(name) if units else None
        if unit is not None:
            blocks.setdefault("/".join(name.split("/")[:3]), set()).add(unit[1])
            if unit not in units.done:
                continue  # a unit not done (or failed): what it left is rewritten
        touched = (unit,) if unit else ()
        if meta is None:
            report.damage.append(Damage(name, "its metadata (zarr.json) is missing", touched))
        elif meta.get("node_type") == "unreadable":
            report.damage.append(Damage(name, "its metadata (zarr.json) is unreadable", touched))
        elif meta.get("node_type") == "array":
            report.arrays += 1
            has_crc = any(c.get("name") == "crc32c" for c in meta.get("codecs", ()))
            checksums.add(has_crc)
            _check_chunks(report, name, folder, meta, units, unit, has_crc)
        elif meta.get("node_type") == "group":
            _check_stored_variables(report, f"{name}/", folder, meta)
    if units is not None:
        _check_posterior_blocks(report, units, blocks)
    report.checksum = "crc32c" if checksums == {True} else ""
    return report


def _check_chunks(report, name, folder, meta, units, unit, has_crc) -> None:
    """Note the missing chunks and the chunks failing their checksum of one array."""
    dims = meta.get("dimension_names") or []
    missing: list = []
    corrupt: list = []
    for index, key in _chunk_keys(meta):
        owner = unit or (units.of_chunk(name, dims, index) if units else None)
        if units is not None and owner is not None and owner not in units.done:
            continue  # its unit is not done: absent by design
        chunk = folder / key
        report.chunks += 1
        if not chunk.is_file():
            missing.append(owner)
        elif has_crc and not _checksum_ok(chunk):
            corrupt.append(owner)
    for found, problem in ((missing, "missing"), (corrupt, "failing its checksum")):
        if found and (has_crc or problem != "missing"):
            count = f"{len(found)} chunk{'s' if len(found) > 1 else ''} {problem}"
            touched = tuple(sorted({u for u in found if u is not None}))
            report.damage.append(Damage(name, count, touched))


def _check_stored_variables(report, prefix, folder, meta) -> None:
    """Note the variables a results group records but no longer holds."""
    recorded = str(meta.get("attributes", {}).get(STORED_ATTR, "")).split()
    for variable in recorded:
        if not (folder / variable).is_dir():
            report.damage.append(Damage(f"{prefix}{variable}", "missing (recorded as stored)"))


def _check_posterior_blocks(report, units: _Units, blocks: dict[str, set[int]]) -> None:
    """Note the done units whose kept posterior of a generation is missing."""
    for node, present in blocks.items():
        setting = units.labels.get(node.split("/")[1])
        lost = sorted(b for s, b in units.done if s == setting and b not in present)
        if lost:
            touched = tuple((setting, b) for b in lost)
            report.damage.append(Damage(node, "kept posteriors missing", touched))


# --- NetCDF ----------------------------------------------------------------------------


def _verify_netcdf(path: Path) -> Verification:
    """Read every variable of a NetCDF file through HDF5 (its checksums, when written)."""
    import netCDF4

    report = Verification(path)
    try:
        handle = netCDF4.Dataset(path, "r")
    except OSError as err:
        raise ValueError(f"{path} is not a readable NetCDF file ({err})") from None
    with handle:
        checksums: set[bool] = set()
        for group in _groups(handle):
            where = group.path.strip("/")
            for variable in group.variables.values():
                name = f"{where}/{variable.name}" if where else variable.name
                report.arrays += 1
                if variable.chunking() != "contiguous":  # no filter on strings and scalars
                    checksums.add(bool((variable.filters() or {}).get("fletcher32")))
                try:
                    variable.set_auto_mask(False)
                    variable[...]
                    report.chunks += math.prod(
                        math.ceil(n / c)
                        for n, c in zip(variable.shape, _chunking(variable), strict=True)
                    )
                except (RuntimeError, OSError, ValueError) as err:
                    report.damage.append(Damage(name, f"unreadable ({err})"))
            recorded = str(getattr(group, STORED_ATTR, "")).split()
            for variable in recorded:
                if variable not in group.variables:
                    where_v = f"{where}/{variable}" if where else variable
                    report.damage.append(Damage(where_v, "missing (recorded as stored)"))
    report.checksum = "fletcher32" if checksums == {True} else ""
    return report


def _groups(handle) -> Iterator:
    yield handle
    for group in handle.groups.values():
        yield from _groups(group)


def _chunking(variable) -> list[int]:
    chunking = variable.chunking()
    return list(variable.shape) if chunking == "contiguous" else list(chunking)
