"""A run's results with its kept posteriors, as one ArviZ-native DataTree.

``keep_posteriors`` chooses the generations (see
:func:`bayescollapse.engine.config.kept_generations`).
The tree::

    /results                                        the run's results Dataset
    /posteriors/<setting label>/generation_<t>/block_<b>
        posterior             draws (chain, draw, replicate, ...)
        sample_stats          the sampler's statistics, with energy (sampled fits)
        log_likelihood        pointwise log-likelihood of the observations
        posterior_predictive  one replicate of the training set per posterior draw
        observed_data         the training set the generation fitted
        constant_data         what the observations are conditioned on (a regression's rows)
        synthetic_data        the synthetic set the generation's model wrote for the next
                              (absent for the last generation)

A node holds one sampler run: replicate block ``b`` (one block, ``block_0``, unless
``replicate_block`` splits the replicates), so its ``sample_stats`` are in the
(chain, draw) shape ArviZ expects; a sweep's store has the same nodes. Each node is an
ArviZ DataTree (its groups made by ``arviz_base.from_dict``'s ``dict_to_dataset``), so
ArviZ and arviz-plots work on it as it is: ``az.summary``, ``az.loo``, ``az.compare``,
``plot_energy``, ``plot_ppc_pit``, ``plot_loo_pit`` (a test calls each on every family).

The observations (``observed_data``, ``posterior_predictive``, ``log_likelihood``) lie
along one dim per variable, ``<variable>_obs``, with the family's dims as coordinates on
it (``replicate``, ``token``; cells the data do not have, such as the padding of unequal
sample sizes, are left out): ArviZ's PIT and LOO functions want observations in one dim.
:func:`wide` unstacks them. ``synthetic_data`` is not an ArviZ group and keeps the
family's dims. The root holds no data, so the posterior groups inherit no coordinates of
the results. A setting's node is named by its label (a ``/`` in a label becomes ``_``);
its attrs repeat the label.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import xarray as xr

from bayescollapse.engine.config import node_name
from bayescollapse.io.results import validate_results
from bayescollapse.io.storage import open_tree, write_atomic

if TYPE_CHECKING:
    from bayescollapse.engine.config import RunConfig
    from bayescollapse.engine.progress import Progress
    from bayescollapse.io.storage import Reservation

__all__ = [
    "arviz_groups",
    "build_tree",
    "node_name",
    "open_tree",
    "posterior_node",
    "run_tree",
    "save_tree",
    "wide",
]

#: the groups of a kept node, in ArviZ's order
GROUPS = (
    "posterior",
    "sample_stats",
    "log_likelihood",
    "posterior_predictive",
    "observed_data",
    "constant_data",
    "synthetic_data",
)
#: the groups whose variables are observations, in one dim per variable
OBSERVATION_GROUPS = ("log_likelihood", "posterior_predictive", "observed_data")
#: attribute of a variable laid along ``<variable>_obs``: its dims before, in order
STACKED_ATTR = "observation_dims"


def posterior_node(
    tree: xr.DataTree, setting: str | int, generation: int, block: int | None = None
) -> xr.DataTree:
    """Return the kept posterior of ``setting`` (label or index) at ``generation``.

    ``block`` is the replicate block; it may be left out when there is one.

    Raises
    ------
    KeyError
        Naming what is kept, when that posterior is not (or which blocks there are).
    """
    labels = [str(x) for x in tree["results"]["setting"].values]
    label = labels[setting] if isinstance(setting, int | np.integer) else str(setting)
    path = f"posteriors/{node_name(label)}/generation_{generation}"
    if block is None:
        blocks = list(tree[path].children) if _has(tree, path) else []
        if len(blocks) > 1:
            raise KeyError(f"{path} has {len(blocks)} replicate blocks; pass block=")
        block = int(blocks[0].removeprefix("block_")) if blocks else 0
    path = f"{path}/block_{block}"
    try:
        return tree[path]
    except KeyError:
        kept = sorted({n.parent.path for n in tree.subtree if (n.name or "").startswith("block_")})
        raise KeyError(f"no kept posterior at {path}; kept: {', '.join(kept) or 'none'}") from None


def _has(tree: xr.DataTree, path: str) -> bool:
    """Whether ``tree`` has a node at ``path``."""
    try:
        tree[path]
    except KeyError:
        return False
    return True


def arviz_groups(groups: dict[str, xr.Dataset]) -> dict[str, xr.Dataset]:
    """One sampler run's groups as ArviZ datasets, through ``arviz_base.dict_to_dataset``.

    The observations are laid along one dim per variable (see the module docstring).
    """
    from arviz_base import dict_to_dataset

    groups = _observations_flat(groups)
    out = {}
    for name in GROUPS:
        if name not in groups:
            continue
        ds = groups[name]
        sample = () if name.endswith("_data") else ("chain", "draw")
        ds = ds.transpose(*sample, ...)
        made = dict_to_dataset(
            {str(v): ds[v].values for v in ds.data_vars},
            dims={str(v): [d for d in ds[v].dims if d not in sample] for v in ds.data_vars},
            coords={str(k): ds[k].values for k in ds.coords if k in ds.dims and k not in sample},
            sample_dims=list(sample),
            inference_library=None,
        )
        for v in ds.data_vars:
            made[v].attrs.update(ds[v].attrs)
        flat = {k: ds[k] for k in ds.coords if k not in ds.dims}
        out[name] = made.assign_coords(flat)
    return out


def _observations_flat(groups: dict[str, xr.Dataset]) -> dict[str, xr.Dataset]:
    """Stack each observed variable's dims into ``<variable>_obs``, leaving out NaN cells.

    A variable with one dim and no NaN stays as it is. The predictive and the
    log-likelihood of a variable take the same cells as its observed values.
    """
    if "observed_data" not in groups:
        return groups
    observed = groups["observed_data"]
    cells = {}
    for var, values in observed.data_vars.items():
        if values.ndim > 1 or values.isnull().any():
            stacked = values.stack({f"{var}_obs": values.dims})
            cells[var] = (values.dims, np.flatnonzero(stacked.notnull().values))
    out = dict(groups)
    for name in OBSERVATION_GROUPS:
        if name not in groups:
            continue
        variables = {}
        for var, da in groups[name].data_vars.items():
            if var in cells:
                dims, where = cells[var]
                flat = f"{var}_obs"
                da = da.stack({flat: dims}).isel({flat: where}).reset_index(flat)
                da.attrs[STACKED_ATTR] = " ".join(map(str, dims))
            variables[var] = da
        out[name] = xr.Dataset(variables, attrs=groups[name].attrs)
    return out


def wide(ds: xr.Dataset | xr.DataTree) -> xr.Dataset:
    """Return an observation group with its family's dims back (``replicate``, ``token``, ...).

    Examples
    --------
    >>> wide(node["observed_data"])["counts"].dims  # doctest: +SKIP
    ('replicate', 'token')
    """
    ds = ds.to_dataset() if isinstance(ds, xr.DataTree) else ds
    for var in [v for v in ds.data_vars if STACKED_ATTR in ds[v].attrs]:
        dim = f"{var}_obs"
        levels = ds[var].attrs[STACKED_ATTR].split()
        ds = ds.drop_vars(dim, errors="ignore").set_index({dim: levels}).unstack(dim)
        inner = [d for d in ds[var].dims if d not in levels]
        ds[var] = ds[var].transpose(*inner, *levels)
        del ds[var].attrs[STACKED_ATTR]
    return ds


def build_tree(results: xr.Dataset, posteriors: dict) -> xr.DataTree:
    """Assemble a results tree (see the module docstring) from :func:`run_collecting`'s output."""
    nodes: dict[str, xr.Dataset | xr.DataTree] = {"/": xr.Dataset(attrs=results.attrs)}
    nodes["/results"] = results
    labels = [str(x) for x in results["setting"].values]
    for (s, t, b), groups in sorted(posteriors.items()):
        path = f"/posteriors/{node_name(labels[s])}/generation_{t}/block_{b}"
        nodes[path] = xr.Dataset(
            attrs={"setting": labels[s], "setting_index": s, "generation": t, "block": b}
        )
        for name, ds in arviz_groups(groups).items():
            nodes[f"{path}/{name}"] = ds
    return xr.DataTree.from_dict(nodes)


def run_tree(
    config: RunConfig, *, progress: Progress = None, memory_limit: int | str | None = None
) -> xr.DataTree:
    """Run ``config`` and return its results with the kept posteriors as one DataTree.

    ``progress`` and ``memory_limit`` are those of :func:`bayescollapse.run`.
    """
    from bayescollapse.engine.loop import check_config, run_collecting
    from bayescollapse.engine.progress import cells, watched

    check_config(config)
    with watched(progress, cells(config)) as advance:
        results, posteriors = run_collecting(
            config, progress=advance, keep=True, memory_limit=memory_limit
        )
    return build_tree(results, posteriors)


def save_tree(
    tree: xr.DataTree,
    path: str | os.PathLike,
    *,
    overwrite: bool = False,
    reservation: Reservation | None = None,
) -> Path:
    """Write a results tree to NetCDF or Zarr (by suffix), atomically.

    ``reservation`` is one taken with :func:`bayescollapse.io.storage.reserve` before the run.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is False.
    """
    validate_results(tree["results"].to_dataset())
    return write_atomic(tree, path, overwrite=overwrite, reservation=reservation)
