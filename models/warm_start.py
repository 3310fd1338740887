"""NUTS's adaptation carried from one generation to the next within a replicate block.

A generation's posterior moves little from the previous one's, yet a fresh NUTS run tunes
from nothing: 500 steps per chain, a third of a paper-sized fit. Carried instead:

- **the metric**, as coordinates: every PyMC model is sampled in standardised
  coordinates ``z``, its unconstrained values being ``loc + scale * z`` with ``loc`` and
  ``scale`` data of the compiled model (:func:`standardise`). After a generation they are
  set to its posterior's mean and sd, the diagonal metric NUTS's adaptation estimates,
  so the next posterior is close to a standard normal in ``z``. (nutpie has no argument
  for an initial mass matrix; it starts from the gradient at the first point and refines
  it over the short re-tuning, now in coordinates where the right answer is about 1.)
- **the step size**, as nutpie's ``initial_step``;
- **the position**: each chain starts at one of the last draws of the previous
  generation's chains (picked by the chain's seed), in the new coordinates.

The first generation of a block starts where a plain PyMC model starts: ``loc`` is the
model's initial point and ``scale`` 1, so ``z`` and the model's own unconstrained values
differ by a shift only, with the same jittered start, and it tunes in full. All of this
is exact: a change of coordinates does not change the posterior, only how fast NUTS
explores it; the tests hold every carried generation to the conjugate posterior.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pymc as pm

__all__ = ["DEFAULT_RETUNE", "LOC", "SCALE", "STANDARD", "WarmStart", "standardise"]

#: names of the standardised coordinates and of the data that place them
STANDARD, LOC, SCALE = "_standard", "_standard_loc", "_standard_scale"

#: how many final draws of each chain the next generation may start from
LAST_DRAWS = 50


def standardise(model: pm.Model) -> tuple[pm.Model, np.ndarray]:
    """Return ``model`` sampled in standardised coordinates, and its origin.

    The new model has one free variable, the flat vector ``_standard`` (``z``), and data
    ``_standard_loc`` and ``_standard_scale``: each unconstrained value of ``model``
    (its free variables after their transforms, in ``model.free_RVs`` order) is
    ``loc + scale * z``. Its log density is ``model``'s (transforms' Jacobians included)
    at those values, up to the constant ``sum(log scale)``; every variable ``model``
    reports (free variables, their transformed values and deterministics) is a
    deterministic of the new model with the same name and dims, except those whose name
    starts with an underscore, which a fit leaves out anyway (nothing is computed or
    stored for them per draw). ``model``'s own data stay its data (``with_data`` reaches
    them by name).

    Returns
    -------
    standardised : pymc.Model
    origin : numpy.ndarray
        ``model``'s initial point, flattened: ``loc`` of a first generation.
    """
    from pytensor.graph.replace import graph_replace

    start = model.initial_point()
    values = [model.rvs_to_values[rv] for rv in model.free_RVs]
    shapes = [np.shape(start[v.name]) for v in values]
    origin = np.concatenate([np.ravel(start[v.name]) for v in values]).astype(float)
    reported = model.unobserved_value_vars
    dims = dict(model.named_vars_to_dims)
    for rv, value, shape in zip(model.free_RVs, values, shapes, strict=True):
        own = dims.get(rv.name)  # a transformed value has its variable's dims, if its shape
        if own and tuple(len(model.coords[d]) for d in own) == shape:
            dims.setdefault(value.name, own)
    with pm.Model(coords=model.coords) as out:
        loc = pm.Data(LOC, origin)
        scale = pm.Data(SCALE, np.ones_like(origin))
        z = pm.Flat(STANDARD, shape=origin.shape)
        flat = loc + scale * z
        replace, offset = {}, 0
        for value, shape in zip(values, shapes, strict=True):
            size = int(np.prod(shape))
            replace[value] = flat[offset : offset + size].reshape(shape).astype(value.dtype)
            offset += size
        logp, *outputs = graph_replace([model.logp(), *reported], replace, strict=False)
        pm.Potential("_logp", logp)
        for var, graph in zip(reported, outputs, strict=True):
            if not var.name.startswith("_"):
                pm.Deterministic(var.name, graph, dims=dims.get(var.name))
    return out, origin


#: the tuning steps of a generation that carries the adaptation, unless a model asks more
DEFAULT_RETUNE = 100


@dataclasses.dataclass
class WarmStart:
    """What one generation of a replicate block hands the next: coordinates, step, start.

    Made at the model's origin (``loc`` its initial point, ``scale`` 1: the coordinates of
    the block's first generation, which tunes in full from the model's own start);
    :meth:`update` moves it to each generation's posterior.
    """

    loc: np.ndarray
    scale: np.ndarray
    retune: int = DEFAULT_RETUNE  # the tuning steps of a warm generation
    step_size: float | None = None
    starts: np.ndarray | None = None  # (S, n) unconstrained draws the next chains start at

    @classmethod
    def at(cls, origin: np.ndarray, retune: int = DEFAULT_RETUNE) -> WarmStart:
        """Return the state of a new block: the coordinates of ``standardise``'s origin."""
        return cls(loc=origin, scale=np.ones_like(origin), retune=retune)

    @property
    def ready(self) -> bool:
        """Whether a generation has run, so the next one starts warm."""
        return self.step_size is not None

    def data(self) -> dict[str, np.ndarray]:
        """Return the compiled model's ``loc`` and ``scale`` data for the next generation."""
        return {LOC: self.loc, SCALE: self.scale}

    def initial_point(self, seed: int) -> np.ndarray:
        """One chain's start in the standardised coordinates (nutpie passes each chain's seed).

        A different chain seed picks, almost surely, a different draw.
        """
        unconstrained = self.starts[np.random.default_rng(seed).integers(len(self.starts))]
        return (unconstrained - self.loc) / self.scale

    def update(self, z: np.ndarray, step_size: np.ndarray) -> None:
        """Take a run's draws ``z`` (chain, draw, n), made in the current coordinates.

        The next coordinates are the posterior's mean and sd per unconstrained value (a
        value constant over the draws keeps scale 1); the next step size is the median of
        the chains' adapted ones.
        """
        loc, scale = self.loc, self.scale
        flat = z.reshape(-1, z.shape[-1])  # the moments of z, then of loc + scale z
        sd = scale * flat.std(axis=0, ddof=1)
        self.loc = loc + scale * flat.mean(axis=0)
        self.scale = np.where(np.isfinite(sd) & (sd > 0), sd, 1.0)
        self.step_size = float(np.median(step_size[:, -1]))
        self.starts = (loc + scale * z[:, -LAST_DRAWS:]).reshape(-1, z.shape[-1])
