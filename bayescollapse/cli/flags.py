"""Flags derived from dataclass fields, and the flags several subcommands share.

A field made with :func:`bayescollapse.models.params.param` is a flag: its name (``_`` as
``-``), its type (from the annotation), its help, metavar and allowed values (from the
metadata) and its default (stated in the help, from the field: one place per default).
Every flag's argparse default is None, so a flag not given leaves the ``--config`` file's
value alone. Validation is the dataclasses' own: the command line and a TOML file get
the same one-line errors.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import types
import typing
from pathlib import Path

__all__ = [
    "add_fields",
    "cluster_flags",
    "memory_flag",
    "output_flags",
    "progress_flag",
]

_NONE = type(None)


@functools.cache
def _hints(cls: type) -> dict:
    return typing.get_type_hints(cls)


def _value_type(hint):
    """Return the type argparse converts one value to, and whether the field holds several."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in args if a is not _NONE]
        if len(options) == 1:
            return _value_type(options[0])
        return str, False  # e.g. the truth: a recipe, or values (read as text here)
    if origin is tuple:
        return (args[0] if args and args[0] in (int, float, str) else str), True
    return (hint if hint in (int, float, str) else str), False


def _format(value) -> str:
    if isinstance(value, tuple):
        return " ".join(_format(v) for v in value) or "none"
    return format(value, "g") if isinstance(value, float) else str(value)


def help_text(field: dataclasses.Field) -> str:
    """Return a field's help line: its text, its allowed values and its default."""
    meta = field.metadata
    text = meta["help"]
    choices = meta.get("choices")
    if choices is not None:
        values = choices() if callable(choices) else choices
        text += f": {' | '.join(values)}"
    if meta.get("show_default", True) and field.default is not dataclasses.MISSING:
        text += f" (default {_format(field.default)})"
    return text.replace("%", "%%")


def add_fields(
    group, cls: type, *, skip: frozenset[str] = frozenset(), helps: dict | None = None
) -> list[dataclasses.Field]:
    """Add a flag for every command-line field of dataclass ``cls`` to ``group``.

    ``helps`` replaces the help of named fields (a text that depends on the model). A
    setting axis and a sequence take several values (``nargs='+'``).

    Returns
    -------
    list of dataclasses.Field
        The fields added, in order; each flag's ``dest`` is the field's name.
    """
    from bayescollapse.models.params import flag_name, param_fields

    added = []
    for field in param_fields(cls):
        meta = field.metadata
        if not meta.get("cli", True) or field.name in skip:
            continue
        kind, several = _value_type(_hints(cls)[field.name])
        names = [flag_name(field), *(f"--{a}" for a in meta.get("aliases", ()))]
        kwargs = {
            "dest": field.name,
            "default": None,
            "type": kind,
            "help": (helps or {}).get(field.name) or help_text(field),
        }
        if several or meta.get("axis"):
            kwargs["nargs"] = "+"
        if meta.get("metavar"):
            kwargs["metavar"] = meta["metavar"]
        group.add_argument(*names, **kwargs)
        added.append(field)
    return added


def output_flags(what: str, *, required: bool = True, figure: str | None = None):
    """Return a parent parser of ``--out`` (taking ``what``), ``--force``, maybe ``--figure``."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--out", type=Path, required=required, help=what)
    if figure:
        p.add_argument("--figure", type=Path, help=figure)
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    return p


def progress_flag():
    """Return a parent parser of ``--no-progress``."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    return p


def memory_flag():
    """Return a parent parser of ``--memory-limit``."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument(
        "--memory-limit",
        metavar="SIZE",
        help="refuse a run estimated to need more memory than SIZE, e.g. 64G (default: the "
        "memory available)",
    )
    return p


def cluster_flags(workers_help: str):
    """Return a parent parser of ``--workers`` and ``--scheduler`` (where Dask runs the work)."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--workers", type=int, help=workers_help)
    p.add_argument(
        "--scheduler", metavar="ADDRESS", help="use an existing Dask scheduler, tcp://host:8786"
    )
    return p
