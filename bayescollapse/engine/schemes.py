"""How a generation's training set is formed from the truth and the previous model.

Schemes and real-data sources are registered (:func:`register_scheme`,
:func:`register_real_source`), like methods: a plug-in module adds its own (named by
``--plugin`` or the ``bayescollapse.plugins`` entry points) without editing this one, and
settings, TOML files and the command line name it.

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

Three options change what the learner sees (each a Setting field):

- decoding: the synthetic part is written from a decoded law
  (:mod:`bayescollapse.models.decoding`);
- ``real_data``: ``fresh`` real items come from ``P*`` every generation; ``fixed`` draws
  them without replacement from one pool, generation 0's real data (the same corpus
  again), ``resampled`` with replacement from it. With a fixed pool no new real
  information ever arrives: a token absent from the pool is never seen again in real
  data, so once the synthetic data lose it too it is lost for good (under ``fresh`` it
  comes back at rate ``alpha_t n_t p_k`` per generation); the best the loop can do is to
  stay near the pool's empirical law, whose error ``E TV(P_pool, P*)`` does not shrink
  with the generations. The theory curves of
  :mod:`bayescollapse.theory.closed_forms` assume fresh data.
- weighted refits (``real_weight`` ``w_t``, mixture scheme): each real item counts ``w``
  and each synthetic item ``1 - w``, both divided by ``max(w, 1 - w)`` so that no item
  counts more than once. The MLE is the weighted estimator (the scale cancels); the
  conjugate and PyMC fits see fractional pseudo-observations, the posterior of a power
  likelihood (tempered likelihood terms). ``w = 1/2`` is the plain loop, ``w = 1`` fits
  the real part alone, ``w = 0`` the synthetic part alone.

The best weight, for the mean of a Gaussian fitted by MLE with ``n`` real and ``m``
synthetic points per generation (synthetic points drawn from the last fit; variance
``sigma^2`` treated as known): with ``W = w n / (w n + (1 - w) m)`` the real part's share of
the fit, the error ``e_t = mu_t - mu`` follows
``e_t = W eps_t + (1 - W) (e_{t-1} + xi_t)``, ``eps_t ~ N(0, sigma^2 / n)``,
``xi_t ~ N(0, sigma^2 / m)`` independent, so ``V_t = E e_t^2`` follows
``V_t = W^2 sigma^2 / n + (1 - W)^2 (V_{t-1} + sigma^2 / m)`` and its fixed point is
``V(W) = sigma^2 (W^2 / n + (1 - W)^2 / m) / (W (2 - W))``. Setting ``dV/dW = 0`` (the
numerator of the derivative is ``2 (m W^2 + n W - n) / (n m)`` times a positive factor)
gives ``m W^2 + n W - n = 0``::

    W* = (sqrt(n^2 + 4 n m) - n) / (2 m),      w* = W* m / (W* m + (1 - W*) n)

At ``n = m`` this is ``W* = w* = (sqrt(5) - 1) / 2 = 0.618``, the inverse golden ratio (He,
Xu and Cheng 2025), with ``V* = 0.618 sigma^2 / n`` against ``sigma^2 / n`` for real data
alone and ``0.667 sigma^2 / n`` for plain pooling (``W = 1/2``).
:func:`bayescollapse.theory.weighting.optimal_real_weight` computes it, and
:func:`bayescollapse.theory.weighting.weighted_gaussian_mle_error` the exact recursion with
the fitted
variance and the binomial number of real points of the mixture scheme.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from bayescollapse.models.curation import NO_CURATION, Curation
from bayescollapse.models.decoding import PLAIN, Decoding

__all__ = [
    "REAL_SOURCES",
    "SCHEMES",
    "RealSource",
    "Scheme",
    "TrainingSet",
    "initial_training_set",
    "item_weights",
    "next_training_set",
    "register_real_source",
    "register_scheme",
]


@dataclass(frozen=True)
class TrainingSet:
    """One generation's data.

    ``data`` is what the model trains on (weighted, for a weighted refit), ``pool`` what
    the accumulating schemes keep (both of the family's data type), ``real`` (R,) the
    number of real items in the newest batch, ``synthetic`` the part of that batch the
    previous model wrote (None at generation 0), ``real_pool`` generation 0's real data
    (the pool of ``real_data`` ``fixed`` and ``resampled``), ``unweighted`` the items of a
    weighted refit counted once each (None when unweighted: then they are ``data``),
    ``curated`` what a curation reports per replicate (``acceptance_rate`` of a filter;
    None when not curated).
    """

    data: Any
    pool: Any
    real: np.ndarray
    synthetic: Any = None
    real_pool: Any = None
    unweighted: Any = None
    curated: Any = None

    @property
    def items(self) -> Any:
        """The training items, each counted once (what a posterior predictive replicates)."""
        return self.data if self.unweighted is None else self.unweighted


@dataclass(frozen=True)
class Scheme:
    """A way of forming a generation's training set from its newest batch and the past.

    Attributes
    ----------
    name : str
        The scheme's name (``Setting.scheme``).
    form : callable
        ``form(previous, batch, *, family, sizes, rng) -> (data, pool)``: what the model
        trains on and what the scheme keeps for the next generation, from the previous
        :class:`TrainingSet` and the newest batch (real and synthetic items together,
        ``sizes[r]`` per replicate); ``rng`` is the cell's own stream.
    real : bool
        Whether the batch mixes in real data; a scheme without (``replace``) needs
        ``real_fraction`` ``zero``.
    weighted : bool
        Whether weighted refits (``real_weight``) are defined for it.
    description : str
        One line for the docs.
    """

    name: str
    form: Callable[..., tuple[Any, Any]]
    real: bool = True
    weighted: bool = False
    description: str = ""


@dataclass(frozen=True)
class RealSource:
    """Where a generation's real items come from (``Setting.real_data``).

    Attributes
    ----------
    name : str
        The source's name.
    draw : callable
        ``draw(family, truth, pool, sizes, *, rng) -> data``: ``sizes[r]`` real items per
        replicate; ``pool`` is generation 0's real data (the family's pool when
        ``pooled``).
    pooled : bool
        Whether generation 0's real data are drawn as the family's pool
        (``family.real_pool``), which later generations draw from.
    at_most_pool : bool
        Whether a generation may draw no more items than the pool holds (without
        replacement): the run refuses a sample-size schedule that grows past generation 0.
    description : str
        One line for the docs.
    """

    name: str
    draw: Callable[..., Any]
    pooled: bool = False
    at_most_pool: bool = False
    description: str = ""


#: registered schemes and real-data sources, by name
SCHEMES: dict[str, Scheme] = {}
REAL_SOURCES: dict[str, RealSource] = {}


def register_scheme(scheme: Scheme, *, replace: bool = False) -> Scheme:
    """Register ``scheme`` under its name (``replace`` allows replacing one)."""
    return _register(SCHEMES, scheme, "scheme", replace)


def register_real_source(source: RealSource, *, replace: bool = False) -> RealSource:
    """Register a real-data source under its name (``replace`` allows replacing one)."""
    return _register(REAL_SOURCES, source, "real_data", replace)


def _register(table: dict, item, kind: str, replace: bool):
    if item.name in table and not replace:
        raise ValueError(f"{kind} {item.name!r} is already registered; pass replace=True")
    table[item.name] = item
    return item


def _batch_only(previous, batch, **_):
    return batch, batch


def _accumulate(previous, batch, *, family, **_):
    pool = family.combine(previous.pool, batch)
    return pool, pool


def _accumulate_subsample(previous, batch, *, family, sizes, rng):
    pool = family.combine(previous.pool, batch)
    return family.subsample(pool, sizes, rng=rng), pool


register_scheme(Scheme("mixture", _batch_only, weighted=True, description="the paper's loop"))
register_scheme(Scheme("replace", _batch_only, real=False, description="synthetic data only"))
register_scheme(Scheme("accumulate", _accumulate, description="every batch so far"))
register_scheme(
    Scheme(
        "accumulate-subsample",
        _accumulate_subsample,
        description="n_t items drawn without replacement from every batch so far",
    )
)
register_real_source(
    RealSource(
        "fresh",
        lambda family, truth, pool, sizes, *, rng: family.sample_truth(truth, sizes, rng=rng),
        description="new draws from the truth every generation",
    )
)
register_real_source(
    RealSource(
        "fixed",
        lambda family, truth, pool, sizes, *, rng: family.subsample(pool, sizes, rng=rng),
        pooled=True,
        at_most_pool=True,
        description="drawn without replacement from generation 0's real data",
    )
)
register_real_source(
    RealSource(
        "resampled",
        lambda family, truth, pool, sizes, *, rng: family.resample(pool, sizes, rng=rng),
        pooled=True,
        description="drawn with replacement from generation 0's real data",
    )
)


def item_weights(w: float) -> tuple[float, float]:
    """Return the weights of one real and one synthetic item: ``w``, ``1 - w`` over the larger.

    Examples
    --------
    >>> item_weights(0.5), item_weights(0.8)
    ((1.0, 1.0), (1.0, 0.24999999999999994))
    """
    top = max(w, 1.0 - w)
    return w / top, (1.0 - w) / top


def initial_training_set(
    family,
    truth,
    size: int,
    replicates: int,
    *,
    rng: np.random.Generator,
    real_data: str = "fresh",
) -> TrainingSet:
    """Draw generation 0: ``size`` real samples per replicate, from the real-data stream.

    With ``real_data`` fixed or resampled they are drawn as the family's pool
    (``family.real_pool``), which later generations draw their real items from.
    """
    sizes = np.full(replicates, size, dtype=np.int64)
    if not REAL_SOURCES[real_data].pooled:
        data = family.sample_truth(truth, sizes, rng=rng)
        return TrainingSet(data, data, sizes, real_pool=data)
    pool, data = family.real_pool(truth, sizes, rng=rng)
    return TrainingSet(data, data, sizes, real_pool=pool)


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
    decoding: Decoding = PLAIN,
    real_weight: float = np.nan,
    real_data: str = "fresh",
    curation: Curation = NO_CURATION,
) -> TrainingSet:
    """Form generation t's training set.

    Parameters
    ----------
    scheme : str
        A registered scheme (:data:`SCHEMES`: ``mixture``, ``replace``, ``accumulate``,
        ``accumulate-subsample`` and any a plug-in adds).
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
    decoding : Decoding
        How the synthetic part is decoded (plain sampling by default).
    real_weight : float
        ``w_t`` of a weighted refit (mixture scheme); NaN: every item counts once.
    real_data : str
        A registered real-data source (:data:`REAL_SOURCES`: ``fresh``, ``fixed``,
        ``resampled``; see the module docstring).
    curation : Curation
        How the synthetic part is curated (resolved by the family; ``none`` by default:
        the previous model's items as written). See :mod:`bayescollapse.models.curation`.
    """
    rule, source = SCHEMES[scheme], REAL_SOURCES[real_data]
    replicates = previous.real.shape[0]
    alpha = real_fraction if rule.real else 0.0
    sizes = np.full(replicates, sample_size, dtype=np.int64)
    real = real_rng.binomial(sizes, alpha)
    pool_of_real = previous.real_pool
    fresh = source.draw(family, truth, pool_of_real, real, rng=real_rng)
    written, curated = _written(fit, sizes - real, family, synthetic, rng, decoding, curation)
    if not np.isnan(real_weight):
        if not rule.weighted:
            raise ValueError(f"real_weight is not defined for scheme {scheme!r}")
        real_item, synthetic_item = item_weights(real_weight)
        data = family.combine(family.weigh(fresh, real_item), family.weigh(written, synthetic_item))
        batch = family.combine(fresh, written)
        return TrainingSet(data, data, real, written, pool_of_real, batch, curated)
    batch = family.combine(fresh, written)
    data, pool = rule.form(previous, batch, family=family, sizes=sizes, rng=rng)
    return TrainingSet(data, pool, real, written, pool_of_real, curated=curated)


def _written(fit, sizes, family, synthetic, rng, decoding, curation) -> tuple:
    """Return the synthetic part the previous model writes (curated), and the curation's report."""
    if curation.plain:
        return fit.synthetic(sizes, mode=synthetic, rng=rng, decoding=decoding), None
    return family.curate(fit, sizes, curation, mode=synthetic, rng=rng, decoding=decoding)
