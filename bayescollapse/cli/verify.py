"""``bayescollapse verify``: check a saved result or a sweep store for damage."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bayescollapse.cli.common import user_input

__all__ = ["add_parser"]

#: exit status when damage is found (2 stays a usage error: a path that is no result)
DAMAGED = 1


def add_parser(sub) -> None:
    """Add the ``verify`` subcommand."""
    v = sub.add_parser(
        "verify",
        help="check a saved result or sweep store for missing or damaged chunks",
        description="Read every chunk of a result (NetCDF, Zarr, or a sweep's Zarr store) "
        "and check its checksum (CRC32C in Zarr, Fletcher-32 in NetCDF); report chunks, "
        "variables and metadata that are missing or damaged, one line each, with the "
        f"sweep units they touch. Exit status 0: no damage; {DAMAGED}: damage found (a "
        "sweep store: rerun the sweep to compute the damaged units again); 2: not a result.",
    )
    v.add_argument("file", type=Path, metavar="FILE")
    v.set_defaults(func=verify_command)


def verify_command(args: argparse.Namespace) -> int:
    """Print what was checked, then each damage found; return the exit status."""
    from bayescollapse.io.integrity import verify

    with user_input():
        found = verify(args.file)
    from bayescollapse.present.tables import printable

    print(printable(found.summary()))
    for damage in found.damage:
        print(printable(f"damaged: {damage}"), file=sys.stderr)
    if found.damage and found.damaged_units:
        print(
            f"bayescollapse: {len(found.damaged_units)} sweep unit(s) damaged; rerun the sweep "
            "to compute them again",
            file=sys.stderr,
        )
    return DAMAGED if found.damage else 0
