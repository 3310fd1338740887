"""Fit any PyMC model of a family with NUTS: compiled once, refitted every generation.

Every PyMC path, the built-in ``pymc`` ones and a user's model registered with
:func:`~bayescollapse.models.registry.register_pymc_model`, runs through
:class:`PyMCModelFitter`: the model is built and compiled by nutpie once per (build
function, family's :meth:`model_key`, block size) and process, and each generation swaps
in its data with ``with_data``. The model is sampled in standardised coordinates, so that
each generation of a block can start from the previous one's adaptation (see
:mod:`bayescollapse.models.warm_start`). Its draws become the family's posterior fit (its
synthetic data, calibration and drift come from them) and its sampler run is diagnosed
by :func:`bayescollapse.metrics.sampler.nuts_diagnostics`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging

import numpy as np
import xarray as xr

from bayescollapse.metrics.sampler import nuts_diagnostics
from bayescollapse.models.protocols import PosteriorFit, PyMCFamily
from bayescollapse.models.warm_start import DEFAULT_RETUNE, STANDARD, WarmStart, standardise

__all__ = [
    "PyMCModelFitter",
    "SAMPLE_STATS",
    "compile_model",
    "model_frame",
    "quiet_pymc",
    "sample_nuts",
]

#: nutpie's sampler statistics kept, under ArviZ's names
SAMPLE_STATS = {
    "diverging": "diverging",
    "energy": "energy",
    "energy_error": "energy_error",
    "logp": "lp",
    "step_size": "step_size",
    "depth": "tree_depth",
    "n_steps": "n_steps",
}

_COMPILED: dict[tuple, tuple] = {}


def model_frame(family: PyMCFamily, replicates: int) -> tuple[dict, tuple[str, ...], tuple]:
    """Return the coords, dims and array shape of a block's model (every ``build`` needs them).

    Examples
    --------
    >>> from bayescollapse.models import MarkovLM
    >>> coords, dims, shape = model_frame(MarkovLM(3), replicates=4)
    >>> dims, shape
    (('replicate', 'context', 'token'), (4, 3, 3))
    """
    coords = family.pymc_coords(replicates)
    return coords, tuple(coords), tuple(len(v) for v in coords.values())


@contextlib.contextmanager
def quiet_pymc():
    """Silence PyMC's informational log lines (such as 'Sampling: [...]') for a block."""
    logger = logging.getLogger("pymc")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def compile_model(model):
    """Compile a PyMC model once with nutpie, keeping its ``pm.Data`` replaceable.

    Compiled without Numba's fastmath (see :func:`exact_arithmetic`), so the same seed
    gives the same draws whatever the state of the compile cache.
    """
    import nutpie

    exact_arithmetic()
    with quiet_pymc():
        return nutpie.compile_pymc_model(model, freeze_model=False)


def exact_arithmetic() -> None:
    """Turn off PyTensor's Numba fastmath (on by default) for this process.

    Fastmath lets LLVM reorder floating-point sums. A function compiled in the process is
    optimised together with its callers, one loaded from PyTensor's compile cache is
    linked on its own: the two round differently (about 1e-10 in a log density), and NUTS,
    chaotic, turns that into different draws within a generation and different
    trajectories after a few (issue 26: a cold cache gave TV 0.390 where a warm one gave
    0.431, seed and configuration the same). With IEEE arithmetic every reordering is
    forbidden, and cold and warm caches give the same bits. The cost is the vectorised
    reductions fastmath allowed (see benchmarks/RESULTS.md).
    """
    import pytensor

    pytensor.config.numba__fastmath = False


def sample_nuts(
    compiled,
    family,
    *,
    rng: np.random.Generator,
    cores: int | None = None,
    warm: WarmStart | None = None,
    **data,
) -> xr.DataTree:
    """Refit a compiled nutpie model with new ``data`` under the family's settings.

    The seed is drawn from ``rng``, so the cell's stream fixes the draws. ``cores`` are the
    threads of the run (None: one per chain; a Dask worker, one core, passes 1): the draws
    do not depend on it, as nutpie seeds each chain on its own. A ``warm`` start that is
    ready (a standardised model's previous generation, see
    :mod:`~bayescollapse.models.warm_start`) sets the coordinates, the chains' starts and
    the initial step size, and tunes ``warm.retune`` steps instead of ``family.tune``.
    """
    import nutpie

    model, tune, carried = compiled.with_data(**data), family.tune, {}
    if warm is not None and warm.ready:
        model = dataclasses.replace(
            model.with_data(**warm.data()), initial_point_func=warm.initial_point
        )
        tune, carried = warm.retune, {"initial_step": warm.step_size}
    return nutpie.sample(
        model,
        draws=family.nuts_draws,
        tune=tune,
        chains=family.chains,
        cores=cores or family.chains,
        seed=int(rng.integers(1 << 63)),
        target_accept=family.target_accept,
        progress_bar=False,
        save_warmup=False,
        **carried,
    )


def _check_variables(family: PyMCFamily, names, what: str) -> None:
    """Raise a one-line ValueError unless ``names`` hold every variable the family reads."""
    missing = [v for v in family.pymc_variables if v not in names]
    if missing:
        raise ValueError(
            f"the PyMC model for {family.name!r} lacks variable(s) {', '.join(missing)}{what}; "
            f"it must define {', '.join(family.pymc_variables)}"
        )


def _compiled(build, family: PyMCFamily, replicates: int, collapsed: bool) -> tuple:
    """(compiled standardised model, its data names and dtypes, its origin), once per key."""
    key = (build, family.name, family.model_key(), replicates)
    if key not in _COMPILED:
        model = build(family, replicates)
        if not collapsed:  # a collapsed model's completion adds what it integrated out
            _check_variables(family, model.named_vars, "")
        dtypes = {v.name: np.dtype(v.type.dtype) for v in model.data_vars}
        standardised, origin = standardise(model)
        _COMPILED[key] = (compile_model(standardised), dtypes, origin)
    return _COMPILED[key]


def _as_declared(name: str, value, dtype: np.dtype) -> np.ndarray:
    """Cast a data value to the dtype its ``pm.Data`` was declared with.

    Raises
    ------
    ValueError
        If fractional values (a weighted refit's pseudo-counts) would go into an
        integer container, which would round them.
    """
    value = np.asarray(value)
    if np.issubdtype(dtype, np.integer) and not np.array_equal(value, np.round(value)):
        raise ValueError(
            f"the PyMC model declares pm.Data {name!r} as {dtype}, but this fit gives it "
            "fractional values (a weighted refit's pseudo-counts); declare it as float and "
            "write the likelihood as a pm.Potential (see categorical.pymc_models.dirichlet_rows)"
        )
    return value.astype(dtype, copy=False)


class PyMCModelFitter:
    """Refit one compiled PyMC model of a family every generation.

    Parameters
    ----------
    family : PyMCFamily
        The family (its sampler settings, data names and posterior wrapper).
    replicates : int
        The block size: replicates are a model dimension, one sampler run per block.
    build : callable
        ``build(family, replicates) -> pymc.Model`` (see ``register_pymc_model``).
    complete : callable, optional
        ``complete(posterior, data, rng) -> posterior``: adds the variables a collapsed
        model integrated out, drawn from their exact conditionals.
    """

    def __init__(
        self,
        family: PyMCFamily,
        replicates: int,
        build,
        complete=None,
        retune: int = DEFAULT_RETUNE,
    ) -> None:
        self.family = family
        self.replicates = replicates
        self.complete = complete
        self.retune = family.retune if family.retune is not None else retune
        self.compiled, self.data_types, self.origin = _compiled(
            build, family, replicates, collapsed=complete is not None
        )
        self.data_names = tuple(self.data_types)
        available = family.pymc_data_names
        unknown = [n for n in self.data_names if n not in available]
        if unknown:
            raise ValueError(
                f"the PyMC model declares pm.Data {', '.join(map(repr, unknown))}, which the "
                f"{family.name!r} family does not provide; it provides {', '.join(available)}"
            )

    def new_warm_start(self) -> WarmStart | None:
        """Return the empty adaptation state of a new block (None: every generation tunes anew).

        The loop passes it to every generation's :meth:`fit` of the block, which reads and
        updates it (see :mod:`bayescollapse.models.warm_start`).
        """
        if self.family.adaptation != "carry":
            return None
        return WarmStart.at(self.origin, retune=self.retune)

    def fit(
        self,
        data,
        *,
        prior,
        rng: np.random.Generator,
        diagnose=True,
        cores: int | None = None,
        warm: WarmStart | None = None,
    ) -> PosteriorFit:
        """Sample the posterior of one generation's block and wrap it as the family's fit.

        ``diagnose=False`` skips the per-parameter diagnostics (R-hat, ESS, MCSE: NaN in
        the results); the divergences are counted all the same. ``cores`` are the sampler
        run's threads (see :func:`sample_nuts`). ``warm``, the block's adaptation state
        (:meth:`new_warm_start`), starts the run from the previous generation's and is
        updated with this one's.
        """
        fam = self.family
        values = fam.pymc_data(data, prior)
        data_in = {n: _as_declared(n, values[n], t) for n, t in self.data_types.items()}
        tree = sample_nuts(self.compiled, fam, rng=rng, cores=cores, warm=warm, **data_in)
        if warm is not None:
            warm.update(
                tree["posterior"][STANDARD].values, tree["sample_stats"]["step_size"].values
            )
        posterior = tree["posterior"].to_dataset()
        posterior = posterior[[v for v in posterior.data_vars if not str(v).startswith("_")]]
        if self.complete is not None:
            posterior = self.complete(posterior, data_in, rng)
            _check_variables(fam, posterior.data_vars, " after its completion")
        stats = tree["sample_stats"].to_dataset()
        stats = stats[[k for k in SAMPLE_STATS if k in stats]].rename(
            {k: v for k, v in SAMPLE_STATS.items() if k in stats and k != v}
        )
        kept = xr.DataTree.from_dict({"posterior": posterior, "sample_stats": stats})
        if diagnose:
            others = tuple(str(v) for v in posterior.data_vars if v not in fam.pymc_variables)
            diagnostics = nuts_diagnostics(posterior, stats, fam.pymc_variables, also=others)
        else:
            diagnostics = {"divergences": np.float64(stats["diverging"].sum())}
        uses_prior = any(n in self.data_names for n in fam.pymc_prior_data)
        return fam.sampled_posterior(
            kept, prior=prior if uses_prior else None, data=data, diagnostics=diagnostics
        )
