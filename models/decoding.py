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

The rules that decode token laws are registered (:data:`DECODERS`, :func:`register_decoder`):
the three above are built in, each a setting field; a plug-in registers its own
:class:`Decoder`, which settings take by name (``Setting(decoders={"min_p": 0.05})``,
the TOML key ``min_p``, the flag ``--min-p``) and which runs after the built-in steps.
Truncation is what makes decoding decisive for collapse: a token outside the kept set has
probability 0 in the synthetic data, so under ``replace`` it is lost in one generation.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "DECODERS",
    "PLAIN",
    "Decoder",
    "Decoding",
    "check_gaussian_decoding",
    "check_token_decoding",
    "register_decoder",
]


@dataclass(frozen=True)
class Decoder:
    """A rule that decodes token laws, one probability row at a time.

    Attributes
    ----------
    name : str
        Its setting key (a TOML key; the flag is ``--`` and the name with ``-``).
    neutral : float
        The value at which it leaves every law unchanged (it is then not applied).
    apply : callable
        ``apply(probs, value) -> probs``: the decoded rows (the last axis is the token),
        each summing to 1.
    label : str
        Its short name in setting labels (``T`` gives ``T=0.7``).
    help : str
        One line for ``--help``.
    check : callable, optional
        ``check(value) -> value``: the value made canonical, or a one-line ValueError.
    builtin : bool
        A rule that is a field of :class:`Decoding` (and of ``Setting``) itself.
    """

    name: str
    neutral: float
    apply: Callable[[np.ndarray, float], np.ndarray]
    label: str
    help: str = ""
    check: Callable[[float], float] | None = None
    builtin: bool = False


#: the registered rules that decode token laws, in the order they are applied
DECODERS: dict[str, Decoder] = {}


def register_decoder(decoder: Decoder, *, replace: bool = False) -> Decoder:
    """Register a rule that decodes token laws (``replace`` allows replacing one)."""
    if decoder.name in DECODERS and not replace:
        raise ValueError(f"decoder {decoder.name!r} is already registered; pass replace=True")
    DECODERS[decoder.name] = decoder
    return decoder


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
    extra: tuple = ()

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
        object.__setattr__(self, "extra", _extra_items(self.extra))

    @property
    def plain(self) -> bool:
        """Whether this is plain sampling (every setting at its neutral value)."""
        return self == PLAIN

    def _rules(self) -> list[tuple[Decoder, float]]:
        """Return the rules that change a token law, with their values, in their order."""
        values = {"temperature": self.temperature, "top_k": self.top_k, "top_p": self.top_p}
        values.update(self.extra)
        return [
            (decoder, values[name])
            for name, decoder in DECODERS.items()  # the built-ins first
            if values.get(name, decoder.neutral) != decoder.neutral
        ]

    @property
    def label(self) -> str:
        """Short label of the non-neutral settings, e.g. ``T=0.7 top-k=10``; empty if plain."""
        parts = [f"{decoder.label}={value:g}" for decoder, value in self._rules()]
        if self.variance_scale != 1:
            parts.append(f"var-scale={self.variance_scale:g}")
        return " ".join(parts)

    def probabilities(self, probs: np.ndarray) -> np.ndarray:
        """Return the decoded law of every row of ``probs`` (the last axis is the token).

        Rows are left as they are (the same array) where every rule is neutral.
        """
        p = np.asarray(probs, dtype=float)
        for decoder, value in self._rules():
            p = decoder.apply(p, value)
        return p

    def scale_sigma(self, sigma):
        """Return the standard deviation points are drawn with: ``sqrt(c) sigma``."""
        if self.variance_scale == 1:
            return sigma
        return np.sqrt(self.variance_scale) * np.asarray(sigma)


def _temperature(p: np.ndarray, temperature: float) -> np.ndarray:
    with np.errstate(divide="ignore"):
        logits = np.log(p) / temperature
    logits -= logits.max(axis=-1, keepdims=True)
    return _normalise(np.exp(logits))


def _top_k(p: np.ndarray, k: int) -> np.ndarray:
    if not 0 < k < p.shape[-1]:
        return p
    kth = -np.sort(-p, axis=-1)[..., k - 1 : k]
    return _normalise(np.where(p >= kth, p, 0.0))


def _top_p(p: np.ndarray, top_p: float) -> np.ndarray:
    order = np.argsort(-p, axis=-1, kind="stable")
    ranked = np.take_along_axis(p, order, axis=-1)
    before = np.cumsum(ranked, axis=-1) - ranked  # mass of the more probable tokens
    keep = np.empty(p.shape, dtype=bool)
    np.put_along_axis(keep, order, before < top_p, axis=-1)
    return _normalise(np.where(keep, p, 0.0))


register_decoder(Decoder("temperature", 1.0, _temperature, "T", builtin=True))
register_decoder(Decoder("top_k", 0, _top_k, "top-k", builtin=True))
register_decoder(Decoder("top_p", 1.0, _top_p, "top-p", builtin=True))


def _extra_items(value) -> tuple[tuple[str, float], ...]:
    """Return the registered rules beyond the built-in ones, as sorted (name, value) pairs.

    Rules at their neutral value are dropped, so a plain decoding stays plain.
    """
    out = []
    for name, v in sorted(dict(value or {}).items()):
        decoder = DECODERS.get(name)
        if decoder is None or decoder.builtin:
            extra = [n for n, d in DECODERS.items() if not d.builtin]
            raise ValueError(
                f"decoder {name!r} is not one a plug-in registered"
                f"{'; registered: ' + ', '.join(extra) if extra else ' (none is)'}"
            )
        if not _real(v):
            raise ValueError(f"{name} {v!r} is not a number")
        v = float(decoder.check(v) if decoder.check else v)
        if v != decoder.neutral:
            out.append((name, v))
    return tuple(out)


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
    for decoder, value in setting.decoding._rules()[:1]:
        raise ValueError(
            f"{decoder.name} {value!r} decodes token laws; the gaussian model "
            "decodes with variance_scale (its analogue of a temperature)"
        )
