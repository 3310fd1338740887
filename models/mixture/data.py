"""The Gaussian mixture's truth and data: points with the component that wrote each.

A training set is kept as its points, left-justified per replicate and NaN-padded, with
the label of the component that wrote each point (the true component for a real point,
the previous fit's component for a synthetic one) and a weight per point (1, or a
weighted refit's pseudo-count; 0 in the padding). EM and NUTS read the points only; the
``complete-data`` fits read the labels too.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

__all__ = [
    "ComponentStats",
    "MixturePoints",
    "MixtureTruth",
    "draw_labels",
    "draw_mixture",
    "parse_truth",
    "weighted_moments",
]


@dataclass(frozen=True)
class MixtureTruth:
    """The true mixture ``sum_j w_j N(mu_j, sigma_j^2)``, components ordered by mean."""

    weights: np.ndarray
    mu: np.ndarray
    sigma: np.ndarray

    @property
    def components(self) -> int:
        """Number of components J."""
        return self.weights.size

    @property
    def values(self) -> np.ndarray:
        """The parameters in the results' ``parameter`` order: weights, means, sds."""
        return np.concatenate([self.weights, self.mu, self.sigma])

    @property
    def params(self) -> tuple[np.ndarray, ...]:
        """``(weights, mu, sigma)`` as one replicate's arrays, each (1, J)."""
        return self.weights[None], self.mu[None], self.sigma[None]

    def tiled(self, replicates: int) -> tuple[np.ndarray, ...]:
        """``(weights, mu, sigma)`` for every replicate, each (R, J) (read-only views)."""
        return tuple(np.broadcast_to(v, (replicates, self.components)) for v in self.params)

    @functools.cached_property
    def tail_points(self) -> tuple[float, float]:
        """The truth's 1 % and 99 % quantiles."""
        from scipy.special import ndtri

        from bayescollapse.models.mixture.distances import mixture_quantiles

        q = mixture_quantiles(ndtri(np.array([0.01, 0.99])), *self.params)[0]
        return float(q[0]), float(q[1])

    @functools.cached_property
    def w2_quantiles(self) -> np.ndarray:
        """The truth's quantiles at the W2 rule's levels, (1, G)."""
        from bayescollapse.models.mixture.distances import W2_LEVELS, mixture_quantiles

        return mixture_quantiles(W2_LEVELS, *self.params)


def _random_truth(components: int, seed: int) -> tuple[np.ndarray, ...]:
    """``random:J:SEED``: weights Dirichlet(2), means N(0, 3^2) sorted, sds U(0.5, 1.5)."""
    rng = np.random.default_rng(seed)
    return (
        rng.dirichlet(np.full(components, 2.0)),
        np.sort(3.0 * rng.standard_normal(components)),
        rng.uniform(0.5, 1.5, components),
    )


def parse_truth(spec) -> MixtureTruth:
    """Read ``mixture:W:MU:SD,W:MU:SD,...``, ``random:J:SEED`` or (J, 3) numbers.

    Components are sorted by mean (the order every fit is matched to the truth by).

    Examples
    --------
    >>> parse_truth("mixture:0.3:2:1,0.7:-2:0.5").mu.tolist()
    [-2.0, 2.0]
    """
    usage = "use 'mixture:W:MU:SD,W:MU:SD,...' or 'random:J:SEED'"
    if isinstance(spec, str):
        name, _, rest = spec.partition(":")
        try:
            if name == "random":
                count, seed = (int(p) for p in rest.split(":"))
                if count < 1:
                    raise ValueError
                rows = np.column_stack(_random_truth(count, seed))
            elif name == "mixture":
                rows = np.array([[float(v) for v in part.split(":")] for part in rest.split(",")])
                if rows.ndim != 2 or rows.shape[1] != 3:
                    raise ValueError
            else:
                raise ValueError
        except ValueError:
            raise ValueError(f"unknown truth {spec!r}: {usage}") from None
    else:
        rows = np.asarray(spec, dtype=float).reshape(-1, 3)
    weights, mu, sigma = rows.T
    if not (np.all(np.isfinite(rows)) and np.all(weights > 0) and np.all(sigma > 0)):
        raise ValueError(f"truth {spec!r}: weights and sds must be finite numbers > 0")
    if abs(weights.sum() - 1) > 1e-9:
        raise ValueError(f"truth {spec!r}: the weights sum to {weights.sum():g}, not 1")
    if np.unique(mu).size != mu.size:
        raise ValueError(f"truth {spec!r}: two components share a mean (they are one)")
    order = np.argsort(mu)
    return MixtureTruth(weights[order], mu[order], sigma[order])


def draw_labels(weights: np.ndarray, shape: tuple, rng: np.random.Generator) -> np.ndarray:
    """Draw component labels: ``weights`` (R, J) or (R, N, J), labels of shape (R, N)."""
    cum = np.cumsum(weights, axis=-1)
    u = rng.random(shape) * cum[..., -1].reshape(cum.shape[0], -1)
    if weights.ndim == 2:
        cum = cum[:, None, :]
    return (u[..., None] >= cum[..., :-1]).sum(axis=-1)


def draw_mixture(weights, mu, sigma, sizes, rng: np.random.Generator) -> MixturePoints:
    """Draw ``sizes[r]`` labelled points per replicate from a mixture per replicate.

    ``weights``, ``mu``, ``sigma`` are (R, J), or (R, N, J) for a law per point (the
    ``predictive`` mode: a parameter draw per point), N the largest size.
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    width = int(sizes.max(initial=0))
    mask = np.arange(width) < sizes[:, None]
    labels = draw_labels(np.asarray(weights, float), mask.shape, rng)
    z = rng.standard_normal(mask.shape)
    if np.ndim(mu) == 2:
        centre = np.take_along_axis(np.asarray(mu), labels, axis=1)
        scale = np.take_along_axis(np.asarray(sigma), labels, axis=1)
    else:
        centre = np.take_along_axis(mu, labels[..., None], axis=2)[..., 0]
        scale = np.take_along_axis(sigma, labels[..., None], axis=2)[..., 0]
    x = np.where(mask, centre + scale * z, np.nan)
    return MixturePoints(x, np.where(mask, labels, -1), mask.astype(float))


def weighted_moments(x: np.ndarray, weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return each row's weighted mean and variance (divisor: the total weight).

    ``x`` (R, N) may hold NaN where ``weight`` is 0 (the padding).
    """
    xv = np.where(weight > 0, x, 0.0)
    total = weight.sum(axis=1)
    mean = (weight * xv).sum(axis=1) / total
    return mean, (weight * (xv - mean[:, None]) ** 2).sum(axis=1) / total


@dataclass(frozen=True)
class ComponentStats:
    """Per replicate and component (R, J): weighted count, mean and sum of squares."""

    count: np.ndarray
    mean: np.ndarray
    m2: np.ndarray


@dataclass(frozen=True)
class MixturePoints:
    """Labelled points per replicate: ``x``, ``z`` and ``weight``, each (R, N), left-justified.

    Padding is ``x`` NaN, ``z`` -1 and ``weight`` 0.
    """

    x: np.ndarray
    z: np.ndarray
    weight: np.ndarray

    @property
    def n(self) -> np.ndarray:
        """Points per replicate."""
        return (self.z >= 0).sum(axis=1)

    @property
    def total_weight(self) -> np.ndarray:
        """The points' summed weights per replicate (``n`` unless weighted)."""
        return self.weight.sum(axis=1)

    def __add__(self, other: MixturePoints) -> MixturePoints:
        """Return the union of two sets, each replicate's points left-justified."""
        na, nb = self.n, other.n
        reps, width = na.size, int((na + nb).max(initial=0))
        x = np.full((reps, width), np.nan)
        z = np.full((reps, width), -1)
        weight = np.zeros((reps, width))
        for part, offset in ((self, np.zeros_like(na)), (other, na)):
            rows, cols = np.nonzero(part.z >= 0)
            x[rows, cols + offset[rows]] = part.x[rows, cols]
            z[rows, cols + offset[rows]] = part.z[rows, cols]
            weight[rows, cols + offset[rows]] = part.weight[rows, cols]
        return MixturePoints(x, z, weight)

    def scaled(self, factor: float) -> MixturePoints:
        """Return the set with every weight times ``factor``."""
        return MixturePoints(self.x, self.z, self.weight * float(factor))

    def pick(self, index: np.ndarray, sizes) -> MixturePoints:
        """Return the points at columns ``index`` (R, >= max size), the first ``sizes[r]``."""
        sizes = np.asarray(sizes, dtype=np.int64)
        width = int(sizes.max(initial=0))
        mask = np.arange(width) < sizes[:, None]
        index = index[:, :width]
        return MixturePoints(
            np.where(mask, np.take_along_axis(self.x, index, axis=1), np.nan),
            np.where(mask, np.take_along_axis(self.z, index, axis=1), -1),
            np.where(mask, np.take_along_axis(self.weight, index, axis=1), 0.0),
        )

    def draw(self, sizes, *, replace: bool, rng: np.random.Generator) -> MixturePoints:
        """``sizes[r]`` points drawn from each replicate's set, with or without replacement."""
        sizes = np.asarray(sizes, dtype=np.int64)
        n = self.n
        width = max(int(sizes.max(initial=0)), 1)
        if replace:
            index = np.floor(rng.random((n.size, width)) * n[:, None]).astype(np.int64)
        else:
            if np.any(sizes > n):
                raise ValueError(f"cannot draw {int(sizes.max())} points from a pool of {n.min()}")
            keys = np.where(np.arange(self.x.shape[1]) < n[:, None], rng.random(self.x.shape), 2)
            index = np.argsort(keys, axis=1)
        return self.pick(index, sizes)

    def _cells(self, components: int) -> tuple[np.ndarray, np.ndarray, int]:
        """Return each point's (replicate, label) cell index, the kept points, the cells."""
        reps = self.x.shape[0]
        keep = self.z >= 0
        return (np.arange(reps)[:, None] * components + self.z)[keep], keep, reps * components

    def component_stats(self, components: int) -> ComponentStats:
        """Return each component's weighted count, mean and sum of squared deviations."""
        cell, keep, size = self._cells(components)
        w, x = self.weight[keep], self.x[keep]

        def total(values):
            return np.bincount(cell, weights=values, minlength=size).reshape(-1, components)

        count = total(w)
        mean = total(w * x) / np.where(count > 0, count, 1.0)
        centred = x - mean.reshape(-1)[cell]
        return ComponentStats(count, mean, total(w * centred**2))

    def label_counts(self, components: int) -> np.ndarray:
        """Return the points (unweighted) per replicate and component label, (R, J)."""
        cell, _, size = self._cells(components)
        return np.bincount(cell, minlength=size).reshape(-1, components)

    def moments(self) -> tuple[np.ndarray, np.ndarray]:
        """Return each replicate's weighted mean and variance (see :func:`weighted_moments`)."""
        return weighted_moments(self.x, self.weight)
