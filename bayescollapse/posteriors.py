"""Per-generation posteriors kept with a run, as one DataTree saved to NetCDF or Zarr.

``keep_posteriors`` chooses the generations: ``none`` (default: summaries only, memory
flat in the number of generations), ``all``, ``last``, or ``every:K`` (generations 0, K,
2K, ... and the last). The tree's root holds the run's results Dataset; each kept
(setting, generation) sits at ``posteriors/setting_<i>/generation_<t>`` with ArviZ's
groups ``posterior``, ``sample_stats`` (pymc), ``observed_data`` (the training set) and
``posterior_predictive`` (the synthetic set that generation's model wrote for the next
one). The setting's label is in the node's attrs.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import xarray as xr

__all__ = ["kept_generations", "run_tree", "save_tree", "open_tree", "posterior_node"]


def kept_generations(spec: str, generations: int) -> frozenset[int]:
    """Which generations ``spec`` keeps (see the module docstring).

    Raises
    ------
    ValueError
        If ``spec`` is not ``none``, ``all``, ``last`` or ``every:K`` with ``K >= 1``.
    """
    if spec == "none":
        return frozenset()
    if spec == "all":
        return frozenset(range(generations + 1))
    if spec == "last":
        return frozenset({generations})
    kind, _, k = spec.partition(":")
    if kind == "every" and k.isdigit() and int(k) >= 1:
        return frozenset(range(0, generations + 1, int(k))) | {generations}
    raise ValueError(f"keep_posteriors {spec!r} is not one of none, all, last, every:K (K >= 1)")


def posterior_node(setting: int, generation: int) -> str:
    """Path of a kept posterior in the tree."""
    return f"posteriors/setting_{setting}/generation_{generation}"


def run_tree(config, *, progress: Callable[[int], None] | None = None) -> xr.DataTree:
    """Run ``config`` and return its results with the kept posteriors as one DataTree."""
    from bayescollapse.loop import run_collecting

    results, posteriors = run_collecting(config, progress=progress, keep=True)
    nodes: dict[str, xr.Dataset] = {"/": results}
    labels = results["setting"].values
    for (s, t), groups in sorted(posteriors.items()):
        node = posterior_node(s, t)
        nodes[node] = xr.Dataset(attrs={"setting": str(labels[s]), "generation": t})
        for name, ds in groups.items():
            nodes[f"{node}/{name}"] = ds
    return xr.DataTree.from_dict(nodes)


def _engine(path: Path) -> str:
    if path.suffix == ".zarr":
        return "zarr"
    if path.suffix in (".nc", ".nc4", ".netcdf"):
        return "netcdf4"
    raise ValueError(f"{path} must end in .nc (NetCDF) or .zarr (Zarr)")


def save_tree(tree: xr.DataTree | xr.Dataset, path, *, overwrite: bool = False) -> Path:
    """Write a results tree (or Dataset) to NetCDF or Zarr, by suffix, atomically.

    The data go to a temporary file or folder beside ``path`` that is renamed into place,
    so an existing result is replaced only whole, and only with ``overwrite``.
    """
    path = Path(path)
    engine = _engine(path)
    if path.exists() and not overwrite:
        raise FileExistsError(f"{path} exists; pass overwrite (CLI: --force) to replace it")
    if isinstance(tree, xr.Dataset):
        tree = xr.DataTree(tree)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent)) / path.name
    try:
        if engine == "zarr":
            tree.to_zarr(tmp, consolidated=False)
        else:
            tree.to_netcdf(tmp, engine="netcdf4")
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, (0o777 if tmp.is_dir() else 0o666) & ~umask)
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


def open_tree(path) -> xr.DataTree:
    """Open a saved results tree (NetCDF or Zarr) fully into memory."""
    path = Path(path)
    engine = _engine(path)
    if not path.exists():
        raise FileNotFoundError(f"no results at {path}")
    kwargs = {"consolidated": False} if engine == "zarr" else {}
    try:
        with xr.open_datatree(path, engine=engine, **kwargs) as tree:
            return tree.load()
    except (OSError, ValueError) as err:
        raise ValueError(f"{path} is not a readable results file ({err})") from None
