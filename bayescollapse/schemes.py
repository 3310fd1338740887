"""How a generation's training set is formed from the truth and the previous model.

The scheme logic is model-agnostic: a training set is whatever the family's data type is
(a count vector per replicate, or Gaussian sufficient statistics), and the family supplies
``sample_truth`` (fresh real data), ``combine`` (the union of two data sets) and
``subsample`` (a subsample without replacement). All arrays carry a leading replicate axis.

- ``mixture`` (the paper): ``n_t`` iid draws from ``alpha_t P* + (1 - alpha_t) P_{t-1}``,
  drawn as ``m ~ Binomial(n_t, alpha_t)`` fresh samples from ``P*`` and ``n_t - m``
  synthetic samples from the previous fit (the same law).
- ``replace``: ``mixture`` with ``alpha_t = 0``: synthetic data only.
- ``accumulate``: each generation adds a new ``mixture`` batch of size ``n_t`` to a pool
  that starts with generation 0's real data; the model trains on the whole pool.
- ``accumulate-subsample``: as ``accumulate``, but the model trains on ``n_t`` items drawn
  without replacement from the pool.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["TrainingSet", "initial_training_set", "next_training_set"]


@dataclass(frozen=True)
class TrainingSet:
    """One generation's data.

    ``data`` is what the model trains on, ``pool`` what the accumulating schemes keep
    (both of the family's data type), ``real`` (R,) the fresh real samples in the newest
    batch, ``synthetic`` the part of that batch the previous model wrote (None at
    generation 0).
    """

    data: Any
    pool: Any
    real: np.ndarray
    synthetic: Any = None


def initial_training_set(
    family, truth, size: int, replicates: int, *, rng: np.random.Generator
) -> TrainingSet:
    """Draw generation 0: ``size`` real samples per replicate, from the real-data stream."""
    sizes = np.full(replicates, size, dtype=np.int64)
    data = family.sample_truth(truth, sizes, rng=rng)
    return TrainingSet(data, data, sizes)


def next_training_set(
    scheme: str,
    previous: TrainingSet,
    fit,
    *,
    family,
    truth,
    real_fraction: float,
    sample_size: int,
    synthetic: str,
    real_rng: np.random.Generator,
    rng: np.random.Generator,
) -> TrainingSet:
    """Form generation t's training set.

    Parameters
    ----------
    scheme : str
        ``mixture``, ``replace``, ``accumulate`` or ``accumulate-subsample``.
    previous : TrainingSet
        Generation t - 1's training set (its pool matters for the accumulating schemes).
    fit : object
        Generation t - 1's fit; its ``synthetic(sizes, mode=, rng=)`` writes the synthetic
        part.
    family : object
        The model family, for its data operations.
    truth : object
        The family's truth (``P*``, or the true Gaussian parameters).
    real_fraction, sample_size : float, int
        ``alpha_t`` and ``n_t``.
    synthetic : str
        Synthetic mode passed to the fit.
    real_rng : numpy.random.Generator
        The cell's real-data stream: the number of real samples and the samples. Settings
        that differ only in how they fit share it (common random numbers).
    rng : numpy.random.Generator
        The cell's own stream: the synthetic part and any subsample.
    """
    replicates = previous.real.shape[0]
    alpha = 0.0 if scheme == "replace" else real_fraction
    sizes = np.full(replicates, sample_size, dtype=np.int64)
    real = real_rng.binomial(sizes, alpha)
    fresh = family.sample_truth(truth, real, rng=real_rng)
    written = fit.synthetic(sizes - real, mode=synthetic, rng=rng)
    batch = family.combine(fresh, written)
    if scheme in ("mixture", "replace"):
        return TrainingSet(batch, batch, real, written)
    pool = family.combine(previous.pool, batch)
    if scheme == "accumulate":
        return TrainingSet(pool, pool, real, written)
    if scheme == "accumulate-subsample":
        return TrainingSet(family.subsample(pool, sizes, rng=rng), pool, real, written)
    raise ValueError(
        f"scheme {scheme!r} is not one of mixture, replace, accumulate, accumulate-subsample"
    )
