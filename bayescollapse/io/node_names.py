"""How a setting's label names its node (a NetCDF/Zarr group) in a stored result."""

from __future__ import annotations

__all__ = ["node_name"]


def node_name(label: str) -> str:
    """Return the stored node (NetCDF/Zarr group) name of a setting label: ``/`` becomes ``_``."""
    return str(label).replace("/", "_")
