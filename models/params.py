"""Parameters with their documentation: one place per default, from which flags derive.

A family's parameters (and the run's and a setting's fields) are dataclass fields made
with :func:`param`. Their metadata says what the command line, the TOML file and the
tables need: the help text, the flag's name and metavar, the allowed values and, for a
prior parameter, its short label in setting names (``a0=0.1``). The default lives in the
field and nowhere else: ``--help`` prints it from there.

Examples
--------
>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class PoissonParams:
...     prior_shape: float = param(1.0, "Gamma prior shape", prior="shape0")
>>> prior_labels(PoissonParams)
{'prior_shape': 'shape0'}
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any

__all__ = ["flag_name", "param", "param_fields", "prior_fields", "prior_labels"]


def param(
    default: Any,
    help: str,
    *,
    flag: str | None = None,
    aliases: tuple[str, ...] = (),
    metavar: str | None = None,
    choices: Iterable[str] | Callable[[], Iterable[str]] | None = None,
    prior: str | None = None,
    axis: bool = False,
    cli: bool = True,
    show_default: bool = True,
) -> Any:
    """Make a dataclass field with the metadata that flags, TOML keys and tables derive from.

    Parameters
    ----------
    default : object
        The field's default (a tuple for sequences).
    help : str
        One line for ``--help`` (the default is appended unless ``show_default`` is False).
    flag : str, optional
        The flag's name without dashes; by default the field's name with ``-`` for ``_``.
    aliases : tuple of str
        Further flag names.
    metavar : str, optional
        The value's name in ``--help``.
    choices : iterable or callable, optional
        The allowed values (a callable is asked when the parser is built: a registry).
    prior : str, optional
        Marks a prior parameter, with its short label in setting names; a prior parameter
        takes several values on the command line, which make it a setting axis.
    axis : bool
        The flag takes several values (a setting axis).
    cli : bool
        False keeps the field off the command line (TOML and Python only).
    show_default : bool
        Whether ``--help`` states the default.
    """
    metadata = {
        "help": help,
        "flag": flag,
        "aliases": tuple(aliases),
        "metavar": metavar,
        "choices": choices,
        "prior": prior,
        "axis": axis or prior is not None,
        "cli": cli,
        "show_default": show_default,
    }
    return dataclasses.field(default=default, metadata=metadata)


def param_fields(cls: type) -> tuple[dataclasses.Field, ...]:
    """Return the init fields of ``cls`` made with :func:`param` (those with a help text)."""
    return tuple(f for f in dataclasses.fields(cls) if f.init and "help" in f.metadata)


def flag_name(field: dataclasses.Field) -> str:
    """Return the field's flag, e.g. ``--sample-size``."""
    return "--" + (field.metadata.get("flag") or field.name.replace("_", "-"))


def prior_fields(cls: type) -> tuple[str, ...]:
    """Names of the prior parameters of a parameters dataclass, in field order."""
    return tuple(f.name for f in param_fields(cls) if f.metadata.get("prior"))


def prior_labels(cls: type) -> dict[str, str]:
    """Prior parameter -> its short label in setting names."""
    return {f.name: f.metadata["prior"] for f in param_fields(cls) if f.metadata.get("prior")}
