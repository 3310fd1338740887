"""Writing and reading result files: NetCDF or Zarr by suffix, every write atomic.

A file is written to a temporary path beside its target and renamed into place, so an
existing result is replaced only whole, only when asked (``overwrite``), and a crash
never leaves half a file under the target's name.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import xarray as xr

__all__ = ["engine_for", "open_tree", "write_atomic"]

_SUFFIXES = {".nc": "netcdf4", ".nc4": "netcdf4", ".netcdf": "netcdf4", ".zarr": "zarr"}


def engine_for(path: str | os.PathLike) -> str:
    """Return the xarray engine of a results path, from its suffix.

    Raises
    ------
    ValueError
        If the suffix is neither NetCDF (``.nc``) nor Zarr (``.zarr``).
    """
    try:
        return _SUFFIXES[Path(path).suffix]
    except KeyError:
        raise ValueError(f"{path} must end in .nc (NetCDF) or .zarr (Zarr)") from None


def write_atomic(
    data: xr.Dataset | xr.DataTree, path: str | os.PathLike, *, overwrite: bool = False
) -> Path:
    """Write a Dataset or DataTree to ``path`` (NetCDF or Zarr by suffix), atomically.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is False.
    ValueError
        On a suffix that is neither NetCDF nor Zarr.
    """
    path = Path(path)
    engine = engine_for(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite (CLI: --force) to replace it")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent)) / path.name
    try:
        if engine == "zarr":
            data.to_zarr(tmp, consolidated=False)
        else:
            data.to_netcdf(tmp, engine="netcdf4")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, (0o777 if tmp.is_dir() else 0o666) & ~umask)  # mkdtemp makes 0700
        if path.exists():
            old = path.with_name(f".{path.name}.old")
            os.replace(path, old)
            os.replace(tmp, path)
            shutil.rmtree(old) if old.is_dir() else old.unlink()
        else:
            os.replace(tmp, path)
    finally:
        shutil.rmtree(tmp.parent, ignore_errors=True)
    return path


def open_tree(path: str | os.PathLike) -> xr.DataTree:
    """Open a saved results tree (NetCDF or Zarr) fully into memory.

    Raises
    ------
    FileNotFoundError
        If nothing is at ``path``.
    ValueError
        If it is not a readable NetCDF or Zarr file.
    """
    path = Path(path)
    engine = engine_for(path)
    if not path.exists():
        raise FileNotFoundError(f"no results at {path}")
    kwargs = {"consolidated": False} if engine == "zarr" else {}
    try:
        with xr.open_datatree(path, engine=engine, **kwargs) as tree:
            return tree.load()
    except (OSError, ValueError, KeyError) as err:
        raise ValueError(f"{path} is not a readable results file ({err})") from None
