"""What every subcommand shares: one-line usage errors, reserved outputs, figures, TOML."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import sys
import tomllib
from pathlib import Path

__all__ = [
    "RESERVED",
    "describe",
    "open_run",
    "plugin_flag",
    "Parser",
    "UsageError",
    "load_toml",
    "report_missing_units",
    "reserve_output",
    "save_figure",
    "user_input",
]


class UsageError(Exception):
    """A problem with what the user asked for: reported in one line, exit status 2."""


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line with a pointer to ``--help``."""

    def error(self, message: str):
        """Print ``PROG: error: MESSAGE (see PROG --help)`` and exit with status 2."""
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


#: outputs this process has reserved, to say truly what an interruption left behind
RESERVED: list = []


@contextlib.contextmanager
def user_input():
    """Report a ValueError raised while reading what the user gave as a usage error."""
    try:
        yield
    except ValueError as err:
        raise UsageError(str(err)) from None


#: config keys whose values may name a file, by the prefix that introduces the path
FILE_SPECS = {"truth": "text:", "reward": "file:"}


def load_toml(path: Path) -> dict:
    """Read a TOML file, or raise a one-line UsageError naming it.

    A relative file path in it (``truth = "text:PATH"``, ``reward = "file:PATH"``) is read
    from the file's own folder, so a config runs from any working directory.
    """
    if path.is_dir():
        raise UsageError(f"config file {path} is a folder, not a TOML file")
    try:
        with path.open("rb") as fh:
            return _resolved(tomllib.load(fh), path.resolve().parent)
    except FileNotFoundError:
        raise UsageError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as err:
        raise UsageError(f"config file {path} is not valid TOML: {err}") from None
    except UnicodeDecodeError:
        raise UsageError(f"config file {path} is not valid TOML: it is not UTF-8 text") from None


def _resolved(value, folder: Path, key: str | None = None):
    """Return ``value`` with the relative paths of :data:`FILE_SPECS` read from ``folder``."""
    if isinstance(value, dict):
        return {k: _resolved(v, folder, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolved(v, folder, key) for v in value]
    prefix = FILE_SPECS.get(key)
    if prefix and isinstance(value, str) and value.startswith(prefix):
        named = Path(value.removeprefix(prefix))
        return value if named.is_absolute() else f"{prefix}{folder / named}"
    return value


def reserve_output(stack: contextlib.ExitStack, path: Path | None, force: bool, suffixes):
    """Reserve an output before the work (checked writable, locked); None for no path."""
    if path is None:
        return None
    from bayescollapse.io.storage import reserve

    try:
        taken = stack.enter_context(reserve(path, overwrite=force, suffixes=suffixes))
    except FileExistsError as err:
        raise UsageError(
            str(err).replace("pass overwrite (CLI: --force)", "pass --force")
        ) from None
    except ValueError as err:
        raise UsageError(str(err)) from None
    RESERVED.append(taken)
    return taken


def save_figure(fig, reservation, *, dpi: int) -> None:
    """Save a figure through its reservation and close it (figures must not pile up)."""
    import matplotlib.pyplot as plt

    try:
        with user_input():  # a full disk: one line, no traceback
            reservation.commit(lambda temp: fig.savefig(temp, dpi=dpi, format="png"))
    finally:
        plt.close(fig)


def plugin_flag(parser) -> None:
    """Add ``--plugin``: the modules a saved run of a plug-in's family needs, to import."""
    parser.add_argument(
        "--plugin",
        dest="plugins",
        nargs="+",
        default=[],
        metavar="MODULE",
        help="import these modules first: a run recorded with plug-ins (a family or methods "
        "of its own) opens only when they are named here",
    )


def open_run(path: Path, plugins: list[str]):
    """Open saved results with their family class, importing the plug-ins the user names.

    Results of a family a plug-in registers open only when the user names the plug-in
    (importing it runs its code): otherwise a one-line error names the plug-ins the
    file records.

    Returns
    -------
    ds : xarray.Dataset
        The results.
    family : type
        The family class (its face: variables, panels, labels).
    config : dict
        The configuration as the run recorded it.
    """
    from bayescollapse.engine.records import recorded_config
    from bayescollapse.io.results import open_results, results_attrs
    from bayescollapse.models.registry import families, load_plugins

    with user_input():
        load_plugins(plugins)
        attrs = results_attrs(path)
        model = attrs.get("model")
        if model not in families():
            recorded = [p for p in str(attrs.get("plugins", "")).split() if p not in plugins]
            if recorded:
                raise ValueError(
                    f"{path} holds results of model {model!r}, which plug-in(s) "
                    f"{', '.join(recorded)} register: name them with --plugin "
                    f"{' '.join(recorded)} to import them (they run code) and open it"
                )
        ds = open_results(path)
        config = recorded_config(ds.attrs["config"])  # checked by open_results
    return ds, families()[model], config


def describe(family: type, config: dict) -> str:
    """Return the model's own parameters that are not its prior's, e.g. ``, num_tokens=20``.

    ``config`` is the recorded configuration (its ``params``, or the family's keys at its
    top level in configurations stored before they moved to ``params``).
    """
    own = [f.name for f in dataclasses.fields(family.params)]
    params = config.get("params") or {k: config[k] for k in own if k in config}
    return "".join(f", {k}={v}" for k, v in params.items() if k not in family.prior_fields)


def report_missing_units(path: Path, ds) -> None:
    """Say which units of a sweep store are not done (their results are NaN)."""
    from bayescollapse.engine.sweep import store_status

    if path.suffix != ".zarr":
        return
    status = store_status(path)
    total = ds.sizes["setting"] * ds.sizes["block"]
    done = sum(rec["status"] == "done" for rec in status.values())
    if status and done < total:
        print(
            f"bayescollapse: {total - done} of {total} units are not done (shown as missing); "
            "rerun the sweep to complete them",
            file=sys.stderr,
        )
