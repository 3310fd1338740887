"""Schedules for the real fraction ``alpha_t`` and the sample size ``n_t``.

A schedule is written as a short spec string, which is what configs, the CLI and the
results record:

========================  ==========================================================
spec                      value at generation t >= 1
========================  ==========================================================
``0.1`` / ``constant:0.1``  constant ``v0``
``zero``                  0 (real fraction only)
``power:v0:e``            ``v0 * t**e`` (``e < 0`` decays: ``alpha_t = alpha_0 t^-beta``
                          is ``power:alpha_0:-beta``; ``e > 0`` grows)
``geometric:v0:r``        ``v0 * r**(t - 1)``
``list:v1,v2,...``        explicit values for t = 1, 2, ... (one per generation)
========================  ==========================================================

Generation 0 is the fit to real data only: its real fraction is 1 and its sample size is
``v0`` (for ``list`` sample sizes, the first value).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = [
    "Schedule",
    "kept_generations",
    "real_fraction_values",
    "real_weight_values",
    "sample_size_values",
]

_KINDS = ("constant", "power", "geometric", "list")


@dataclass(frozen=True)
class Schedule:
    """A schedule over generations: a kind and its numeric parameters.

    Parameters
    ----------
    kind : {"constant", "power", "geometric", "list"}
        Functional form, see the module docstring.
    params : tuple of float
        ``(v0,)`` for constant, ``(v0, exponent)`` for power, ``(v0, ratio)`` for
        geometric, the values themselves for list.
    """

    kind: str
    params: tuple[float, ...]

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"schedule kind {self.kind!r} is not one of {', '.join(_KINDS)}")
        wanted = {"constant": 1, "power": 2, "geometric": 2}.get(self.kind)
        if wanted is not None and len(self.params) != wanted:
            raise ValueError(f"schedule {self.kind!r} takes {wanted} number(s), got {self.params}")
        if self.kind == "list" and not self.params:
            raise ValueError("schedule 'list' needs at least one value")
        if not all(math.isfinite(p) for p in self.params):
            raise ValueError(f"schedule parameters must be finite numbers, got {self.params}")

    @classmethod
    def parse(cls, spec: str | float | int | Schedule) -> Schedule:
        """Read a spec such as ``"0.1"``, ``"zero"``, ``"power:0.5:-1"`` or ``"list:1,2"``."""
        if isinstance(spec, Schedule):
            return spec
        if isinstance(spec, int | float) and not isinstance(spec, bool):
            return cls("constant", (float(spec),))
        text = str(spec).strip()
        if text == "zero":
            return cls("constant", (0.0,))
        kind, _, rest = text.partition(":")
        try:
            if not rest:
                return cls("constant", (float(kind),))
            sep = "," if kind == "list" else ":"
            return cls(kind, tuple(float(x) for x in rest.split(sep)))
        except ValueError as err:
            if "schedule" in str(err):
                raise
            raise ValueError(
                f"cannot read schedule {text!r}: use a number, 'zero', 'constant:V', "
                "'power:V0:EXPONENT', 'geometric:V0:RATIO' or 'list:V1,V2,...'"
            ) from None

    @property
    def spec(self) -> str:
        """The canonical spec string, which :meth:`parse` reads back to an equal schedule."""
        if self.kind == "constant":
            return "zero" if self.params[0] == 0 else _number(self.params[0])
        sep = "," if self.kind == "list" else ":"
        return f"{self.kind}:" + sep.join(_number(p) for p in self.params)

    def values(self, generations: int) -> np.ndarray:
        """Return the raw values for t = 1 .. ``generations``, shape ``(generations,)``."""
        t = np.arange(1, generations + 1, dtype=float)
        v0 = self.params[0]
        if self.kind == "constant":
            return np.full(generations, v0)
        if self.kind == "power":
            return v0 * t ** self.params[1]
        if self.kind == "geometric":
            return v0 * self.params[1] ** (t - 1)
        return np.asarray(self.params, dtype=float)


def _number(x: float) -> str:
    """Shortest text that reads back to the same float (integers without '.0')."""
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(float(x))


def real_fraction_values(
    schedule: Schedule, generations: int, *, name: str = "real_fraction"
) -> np.ndarray:
    """Real fraction for t = 0 .. ``generations``; t = 0 is 1 (real data only).

    ``name`` is the schedule's name in errors (the same checks serve ``real_weight``).

    Raises
    ------
    ValueError
        If a value lies outside [0, 1] or a list has the wrong length.
    """
    if schedule.kind == "list" and len(schedule.params) != generations:
        raise ValueError(
            f"{name} list has {len(schedule.params)} values; it needs one per "
            f"generation 1..{generations} ({generations} values)"
        )
    values = schedule.values(generations)
    bad = values[(values < 0) | (values > 1)]
    if bad.size:
        raise ValueError(f"{name} {schedule.spec!r} gives {bad[0]:g}; values must lie in [0, 1]")
    return np.concatenate([[1.0], values])


def real_weight_values(spec: str, generations: int) -> np.ndarray:
    """Weight ``w_t`` of the real data for t = 0 .. ``generations``; NaN where unweighted.

    ``spec`` is ``none`` (plain pooling: every item counts once) or a schedule with values
    in [0, 1]. Generation 0 trains on real data only and is never weighted (NaN).

    Examples
    --------
    >>> real_weight_values("0.6", 2)
    array([nan, 0.6, 0.6])
    """
    if spec == "none":
        return np.full(generations + 1, np.nan)
    values = real_fraction_values(Schedule.parse(spec), generations, name="real_weight")
    values[0] = np.nan
    return values


def sample_size_values(schedule: Schedule, generations: int) -> np.ndarray:
    """Sample size for t = 0 .. ``generations`` as integers (rounded to nearest).

    Raises
    ------
    ValueError
        If a value rounds below 1 or a list has the wrong length.
    """
    if schedule.kind == "list":
        if len(schedule.params) != generations + 1:
            raise ValueError(
                f"sample_size list has {len(schedule.params)} values; it needs one per "
                f"generation 0..{generations} ({generations + 1} values)"
            )
        values = np.asarray(schedule.params, dtype=float)
    else:
        values = np.concatenate([[schedule.params[0]], schedule.values(generations)])
    if np.any(~np.isfinite(values)) or np.any(values >= 2**53):
        raise ValueError(
            f"sample_size {schedule.spec!r} overflows within {generations} generations"
        )
    rounded = np.rint(values).astype(np.int64)
    text = _number(schedule.params[0]) if schedule.kind == "constant" else schedule.spec
    if rounded.min() < 1:
        raise ValueError(
            f"sample_size {text!r} gives {values[rounded.argmin()]:g}; "
            "sample sizes must be integers >= 1"
        )
    typed = values if schedule.kind == "list" else values[:1]  # what the user wrote
    fractional = typed[typed != np.rint(typed)]
    if fractional.size:
        raise ValueError(
            f"sample_size {text!r} gives {fractional[0]:g}; a sample size is a whole number "
            "(schedules such as power:N0:GAMMA are rounded, written values are not)"
        )
    return rounded


def kept_generations(spec: str, generations: int) -> frozenset[int]:
    """Return the generations ``keep_posteriors`` keeps.

    ``none``, ``all``, ``last``, or ``every:K`` (generations 0, K, 2K, ... and the last).

    Raises
    ------
    ValueError
        If ``spec`` is not ``none``, ``all``, ``last`` or ``every:K`` with ``K >= 1``.

    Examples
    --------
    >>> sorted(kept_generations("every:4", 10))
    [0, 4, 8, 10]
    """
    if spec == "none":
        return frozenset()
    if spec == "all":
        return frozenset(range(generations + 1))
    if spec == "last":
        return frozenset({generations})
    kind, _, k = spec.partition(":")
    if kind == "every" and k.isdigit() and int(k) >= 1:
        return frozenset(range(0, generations + 1, int(k))) | {generations}
    raise ValueError(f"keep_posteriors {spec!r} is not one of none, all, last, every:K (K >= 1)")
