"""The one validation layer at the boundary: types and finite values of every field.

Every entry point builds a :class:`~bayescollapse.RunConfig` (the CLI from its flags, a
TOML file through :meth:`RunConfig.from_dict`, Python directly), and RunConfig and
:class:`~bayescollapse.Setting` pass each of their fields through :func:`conform_fields`
before anything else: the field's annotation is its schema. A value of the wrong type is
refused in one line that names the field and the value the user typed, and says what is
allowed; numpy scalars are taken as the Python numbers they are, and lists as tuples.
Ranges and the relations between fields are checked next, in the classes themselves;
the output location (:func:`bayescollapse.io.storage.reserve`) and the memory the run needs
(:mod:`bayescollapse.engine.memory`) are checked before the work starts.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import types
import typing

import numpy as np

__all__ = ["conform", "conform_fields"]

_NONE = type(None)


def _describe(hint) -> str:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return " or ".join(_describe(a) for a in args if a is not _NONE)
    if origin is tuple and args:
        plural = {float: "finite numbers", int: "integers", str: "strings"}
        return f"a list of {plural.get(args[0], 'settings (tables of setting fields)')}"
    names = {bool: "true or false", int: "an integer", float: "a finite number", str: "a string"}
    if hint in names:
        return names[hint]
    return f"a {getattr(hint, '__name__', hint)} (or a table of its fields)"


def conform(name: str, value, hint, *, numbers_as_text: bool = False):
    """Return ``value`` as the type ``hint`` names, or raise a one-line ValueError.

    ``numbers_as_text`` lets a ``str`` field take a number too (a schedule such as
    ``real_fraction = 0.1`` in TOML).

    Examples
    --------
    >>> conform("draws", np.int64(500), int)
    500
    >>> conform("draws", "500", int)
    Traceback (most recent call last):
    ...
    ValueError: draws '500' is not an integer
    """
    if hint is typing.Any:  # checked by its owner (a family's parameters: their dataclass)
        return value
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and _NONE in args:
            return None
        for alternative in (a for a in args if a is not _NONE):
            try:
                return conform(name, value, alternative, numbers_as_text=numbers_as_text)
            except ValueError:
                continue
        raise ValueError(f"{name} {value!r} is not {_describe(hint)}")
    ok, out = _simple(value, hint, numbers_as_text)
    if ok:
        return out
    if origin is tuple and isinstance(value, list | tuple):
        item = args[0] if args else typing.Any
        if item is typing.Any:
            return tuple(value)
        return tuple(conform(name, v, item) for v in value)
    if hint is tuple and isinstance(value, list | tuple | dict):
        return value
    if isinstance(hint, type) and hint not in (bool, int, float, str, tuple):
        if isinstance(value, hint | dict):
            return value
    raise ValueError(f"{name} {value!r} is not {_describe(hint)}")


def _simple(value, hint, numbers_as_text: bool) -> tuple[bool, object]:
    """Check a scalar field: (whether it conforms, the conformed value)."""
    number = isinstance(value, int | float | np.integer | np.floating) and not isinstance(
        value, bool | np.bool_
    )
    if hint is bool:
        return isinstance(value, bool | np.bool_), bool(value)
    if hint is int:
        return isinstance(value, int | np.integer) and number, int(value) if number else None
    if hint is float:
        return number and math.isfinite(float(value)), float(value) if number else None
    if hint is str:
        if isinstance(value, str):
            return True, value
        if numbers_as_text and number and math.isfinite(float(value)):
            return True, value
        return False, None
    return False, None


@functools.cache
def _hints(cls) -> dict:
    return typing.get_type_hints(cls)


def conform_fields(obj, *, numbers_as_text: frozenset[str] = frozenset()) -> None:
    """Conform every init field of a frozen dataclass ``obj`` to its annotation, in place.

    Raises
    ------
    ValueError
        One line naming the first field whose value has the wrong type.
    """
    hints = _hints(type(obj))
    for field in dataclasses.fields(obj):
        if not field.init:
            continue
        value = getattr(obj, field.name)
        out = conform(
            field.name, value, hints[field.name], numbers_as_text=field.name in numbers_as_text
        )
        if out is not value:
            object.__setattr__(obj, field.name, out)
