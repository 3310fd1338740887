"""Example: a point estimator of your own, registered under its own method name.

Add-one (Laplace) smoothing, ``theta_k = (c_k + 1) / (n + K)``, for the categorical model
and for every row of the Markov model. It never loses a token, so under pure synthetic
training it cannot collapse to a vertex the way the MLE does; its bias toward uniform
grows instead. Import this module (or name it as a plugin) and use ``method="add-one"``::

    import bayescollapse.models.examples.add_one  # registers "add-one"
    run(RunConfig(settings=(Setting(method="add-one"),)))
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayescollapse.models.probability_fits import PointProbabilities, Writer
from bayescollapse.models.registry import register_method

__all__ = ["AddOneFitter"]


@dataclass(frozen=True)
class AddOneFitter:
    """Fit ``(counts + pseudocount) / (n + K pseudocount)`` per row (a Fitter)."""

    writer: Writer
    pseudocount: float = 1.0

    @classmethod
    def factory(cls, family, replicates: int) -> AddOneFitter:
        """Set up for a family (its data writer); the block size does not matter here."""
        return cls(family.writer)

    def fit(self, counts: np.ndarray, *, prior, rng) -> PointProbabilities:
        """Return the smoothed frequencies of every row."""
        smoothed = counts + self.pseudocount
        return PointProbabilities(smoothed / smoothed.sum(axis=-1, keepdims=True), self.writer)


for _family in ("dirichlet-categorical", "markov"):
    register_method(
        _family,
        "add-one",
        AddOneFitter.factory,
        bayesian=False,
        description="add-one (Laplace) smoothed frequencies",
        replace=True,  # importing the module again re-registers the same method
    )
