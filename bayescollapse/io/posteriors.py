"""A run's results with its kept posteriors, as one ArviZ-native DataTree.

``keep_posteriors`` chooses the generations (see
:func:`bayescollapse.engine.config.kept_generations`).
The tree::

    /results                                  the run's results Dataset
    /posteriors/<setting label>/generation_<t>
        posterior             draws (chain, draw, replicate, ...)
        sample_stats          the sampler's statistics, with energy (sampled fits)
        posterior_predictive  one replicate of the training set per posterior draw
        observed_data         the training set the generation fitted
        synthetic_data        the synthetic set the generation's model wrote for the next
                              (absent for the last generation)

Each generation node is an ArviZ DataTree (its groups made by ``arviz_base.from_dict``),
so ``az.summary``, ``az.bfmi`` and ``arviz_plots`` work on it as it is; the root holds no
data, so the posterior groups inherit no coordinates of the results. A setting's node is
named by its label (a ``/`` in a label becomes ``_``); its attrs repeat the label.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import xarray as xr

from bayescollapse.engine.config import node_name
from bayescollapse.io.results import validate_results
from bayescollapse.io.storage import open_tree, write_atomic

__all__ = [
    "arviz_groups",
    "build_tree",
    "node_name",
    "open_tree",
    "posterior_node",
    "run_tree",
    "save_tree",
]

#: the groups of a generation node, in ArviZ's order
GROUPS = ("posterior", "sample_stats", "posterior_predictive", "observed_data", "synthetic_data")


def posterior_node(tree: xr.DataTree, setting: str | int, generation: int) -> xr.DataTree:
    """Return the kept posterior of ``setting`` (label or index) at ``generation``.

    Raises
    ------
    KeyError
        Naming what is kept, when that posterior is not.
    """
    labels = [str(x) for x in tree["results"]["setting"].values]
    label = labels[setting] if isinstance(setting, int | np.integer) else str(setting)
    path = f"posteriors/{node_name(label)}/generation_{generation}"
    try:
        return tree[path]
    except KeyError:
        kept = [n.path for n in tree.subtree if (n.name or "").startswith("generation_")]
        raise KeyError(f"no kept posterior at {path}; kept: {', '.join(kept) or 'none'}") from None


def arviz_groups(groups: dict[str, xr.Dataset]) -> dict[str, xr.Dataset]:
    """One generation's groups as ArviZ datasets, through ``arviz_base.dict_to_dataset``."""
    from arviz_base import dict_to_dataset

    out = {}
    for name in GROUPS:
        if name not in groups:
            continue
        ds = groups[name]
        sample = () if name.endswith("_data") else ("chain", "draw")
        ds = ds.transpose(*sample, ...)
        out[name] = dict_to_dataset(
            {str(v): ds[v].values for v in ds.data_vars},
            dims={str(v): [d for d in ds[v].dims if d not in sample] for v in ds.data_vars},
            coords={str(k): ds[k].values for k in ds.coords if k in ds.dims and k not in sample},
            sample_dims=list(sample),
            inference_library=None,
        )
    return out


def build_tree(results: xr.Dataset, posteriors: dict) -> xr.DataTree:
    """Assemble a results tree (see the module docstring) from :func:`run_collecting`'s output."""
    nodes: dict[str, xr.Dataset | xr.DataTree] = {"/": xr.Dataset(attrs=results.attrs)}
    nodes["/results"] = results
    labels = [str(x) for x in results["setting"].values]
    for (s, t), groups in sorted(posteriors.items()):
        path = f"/posteriors/{node_name(labels[s])}/generation_{t}"
        nodes[path] = xr.Dataset(attrs={"setting": labels[s], "setting_index": s, "generation": t})
        for name, ds in arviz_groups(groups).items():
            nodes[f"{path}/{name}"] = ds
    return xr.DataTree.from_dict(nodes)


def run_tree(
    config, *, progress: Callable[[int], None] | None = None, memory_limit=None
) -> xr.DataTree:
    """Run ``config`` and return its results with the kept posteriors as one DataTree.

    ``memory_limit`` is that of :func:`bayescollapse.run`.
    """
    from bayescollapse.engine.loop import run_collecting

    results, posteriors = run_collecting(
        config, progress=progress, keep=True, memory_limit=memory_limit
    )
    return build_tree(results, posteriors)


def save_tree(tree: xr.DataTree, path, *, overwrite: bool = False, reservation=None):
    """Write a results tree to NetCDF or Zarr (by suffix), atomically.

    ``reservation`` is one taken with :func:`bayescollapse.io.storage.reserve` before the run.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is False.
    """
    validate_results(tree["results"].to_dataset())
    return write_atomic(tree, path, overwrite=overwrite, reservation=reservation)
