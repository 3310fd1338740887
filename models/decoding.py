"""Decoding: how a model's next-token law is turned into the law synthetic data are drawn from.

Real language models do not write their text from the plain predictive: they decode. A
:class:`Decoding` is applied to whatever law a fit writes from (the MLE frequencies, one
posterior draw in mode ``ancestral``, the posterior mean in modes ``plugin`` and
``predictive``), one probability row at a time (the last axis; for the Markov model
every context's row). In the order of the usual decoders (Hugging Face's logits
warpers):

1. temperature ``T > 0``: ``p_k^(1/T) / sum_j p_j^(1/T)`` (``T < 1`` sharpens, ``T -> 0``
   is greedy decoding, ``T > 1`` flattens; a zero stays zero);
2. top-k: keep the ``k`` most probable tokens (ties with the k-th are kept, as Hugging
   Face does) and renormalise; ``0`` is off;
3. top-p (nucleus): keep the smallest set of most probable tokens whose mass is at least
   ``p`` (ties broken by token index) and renormalise; ``1`` is off.

For the Gaussian model the analogue of a temperature is ``variance_scale`` ``c``: every
point is drawn with variance ``c sigma^2`` around the mean of the parameter it is drawn
with (``N(mu, sigma^2)^(1/T)`` is ``N(mu, T sigma^2)``, so ``c = T``).

A decoding at its neutral values (``T = 1``, top-k off or ``>= K``, top-p 1, scale 1)
returns the law unchanged, bit for bit, so the loop's draws are those of plain sampling.
Truncation is what makes decoding decisive for collapse: a token outside the kept set has
probability 0 in the synthetic data, so under ``replace`` it is lost in one generation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["PLAIN", "Decoding", "check_gaussian_decoding", "check_token_decoding"]


@dataclass(frozen=True)
class Decoding:
    """A decoding rule (see the module docstring); its defaults are plain sampling.

    Raises
    ------
    ValueError
        One line naming the bad value and what is allowed.

    Examples
    --------
    >>> Decoding(top_k=2).probabilities(np.array([0.5, 0.3, 0.2]))
    array([0.625, 0.375, 0.   ])
    >>> Decoding(top_p=0.75).probabilities(np.array([0.5, 0.3, 0.2])).round(3)
    array([0.625, 0.375, 0.   ])
    """

    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    variance_scale: float = 1.0

    def __post_init__(self) -> None:
        checks = (
            ("temperature", self.temperature, "a finite number > 0"),
            ("variance_scale", self.variance_scale, "a finite number > 0"),
        )
        for name, value, allowed in checks:
            if not _real(value) or not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} {value!r} is not {allowed}")
        if not _real(self.top_p) or not 0 < self.top_p <= 1:
            raise ValueError(f"top_p {self.top_p!r} is not a number in (0, 1] (1 is off)")
        top_k = self.top_k
        if isinstance(top_k, float) and top_k.is_integer():
            top_k = int(top_k)
        if not isinstance(top_k, int | np.integer) or isinstance(top_k, bool) or top_k < 0:
            raise ValueError(f"top_k {self.top_k!r} is not an integer >= 0 (0 is off)")
        object.__setattr__(self, "top_k", int(top_k))
        for name in ("temperature", "top_p", "variance_scale"):
            object.__setattr__(self, name, float(getattr(self, name)))

    @property
    def plain(self) -> bool:
        """Whether this is plain sampling (every setting at its neutral value)."""
        return self == PLAIN

    @property
    def label(self) -> str:
        """Short label of the non-neutral settings, e.g. ``T=0.7 top-k=10``; empty if plain."""
        parts = []
        if self.temperature != 1:
            parts.append(f"T={self.temperature:g}")
        if self.top_k:
            parts.append(f"top-k={self.top_k}")
        if self.top_p != 1:
            parts.append(f"top-p={self.top_p:g}")
        if self.variance_scale != 1:
            parts.append(f"var-scale={self.variance_scale:g}")
        return " ".join(parts)

    def probabilities(self, probs: np.ndarray) -> np.ndarray:
        """Return the decoded law of every row of ``probs`` (the last axis is the token).

        Rows are left as they are (the same array) where a step is neutral.
        """
        p = np.asarray(probs, dtype=float)
        if self.temperature != 1:
            with np.errstate(divide="ignore"):
                logits = np.log(p) / self.temperature
            logits -= logits.max(axis=-1, keepdims=True)
            p = _normalise(np.exp(logits))
        if 0 < self.top_k < p.shape[-1]:
            kth = -np.sort(-p, axis=-1)[..., self.top_k - 1 : self.top_k]
            p = _normalise(np.where(p >= kth, p, 0.0))
        if self.top_p < 1:
            order = np.argsort(-p, axis=-1, kind="stable")
            ranked = np.take_along_axis(p, order, axis=-1)
            before = np.cumsum(ranked, axis=-1) - ranked  # mass of the more probable tokens
            keep = np.empty(p.shape, dtype=bool)
            np.put_along_axis(keep, order, before < self.top_p, axis=-1)
            p = _normalise(np.where(keep, p, 0.0))
        return p

    def scale_sigma(self, sigma):
        """Return the standard deviation points are drawn with: ``sqrt(c) sigma``."""
        if self.variance_scale == 1:
            return sigma
        return np.sqrt(self.variance_scale) * np.asarray(sigma)


def _real(value) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


def _normalise(p: np.ndarray) -> np.ndarray:
    return p / p.sum(axis=-1, keepdims=True)


#: plain sampling: the law unchanged
PLAIN = Decoding()


def check_token_decoding(setting, family: str) -> None:
    """Refuse a variance scale for a family that decodes token laws (one-line error)."""
    if setting.variance_scale != 1:
        raise ValueError(
            f"variance_scale {setting.variance_scale:g} is the gaussian model's decoding; the "
            f"{family} model decodes with temperature, top_k and top_p"
        )


def check_gaussian_decoding(setting) -> None:
    """Refuse token decodings for the Gaussian family (one-line error)."""
    for name, neutral in (("temperature", 1.0), ("top_k", 0), ("top_p", 1.0)):
        if getattr(setting, name) != neutral:
            raise ValueError(
                f"{name} {getattr(setting, name)!r} decodes token laws; the gaussian model "
                "decodes with variance_scale (its analogue of a temperature)"
            )
