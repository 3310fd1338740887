"""The file formats of stored results, by suffix: NetCDF (``.nc``) or Zarr (``.zarr``)."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["SUFFIXES", "engine_for"]

#: the xarray engine of each results suffix
SUFFIXES = {".nc": "netcdf4", ".nc4": "netcdf4", ".netcdf": "netcdf4", ".zarr": "zarr"}


def engine_for(path: str | os.PathLike) -> str:
    """Return the xarray engine of a results path, from its suffix.

    Raises
    ------
    ValueError
        If the suffix is neither NetCDF (``.nc``) nor Zarr (``.zarr``).
    """
    try:
        return SUFFIXES[Path(path).suffix]
    except KeyError:
        raise ValueError(f"{path} must end in .nc (NetCDF) or .zarr (Zarr)") from None
