"""``bayescollapse summarize``: the summary table of a saved run, or paired differences."""

from __future__ import annotations

import argparse
from pathlib import Path

from bayescollapse.cli.common import (
    UsageError,
    describe,
    open_run,
    plugin_flag,
    report_missing_units,
)

__all__ = ["add_parser"]


def add_parser(sub) -> None:
    """Add the ``summarize`` subcommand."""
    s = sub.add_parser(
        "summarize",
        help="print a summary table of a saved run",
        description="Print mean ± SE over replicates per setting; with --paired, each "
        "setting's difference from the baseline fit of its regime over paired replicates "
        "(settings of one regime see the same real data), with the paired and the unpaired "
        "standard error.",
    )
    s.add_argument("file", type=Path)
    s.add_argument(
        "--generation", type=int, default=-1, help="generation to tabulate (default: last)"
    )
    s.add_argument(
        "--paired",
        nargs="?",
        const="",
        metavar="BASELINE",
        help="compare with a baseline fit (a method or fit label; default: the family's "
        "point estimate, e.g. mle)",
    )
    s.add_argument(
        "--metric",
        help="variable of the paired table, which it implies (default: the model's error)",
    )
    s.set_defaults(func=summarize_command)
    plugin_flag(s)


def summarize_command(args: argparse.Namespace) -> int:
    """Print the header, the summary table and, with ``--paired``, the paired table."""
    from bayescollapse.present import tables

    ds, family, config = open_run(args.file, args.plugins)
    report_missing_units(args.file, ds)
    header = (
        f"{args.file}: model {ds.attrs['model']}{describe(family, config)}, "
        f"truth {config.get('truth')}, seed {ds.attrs['seed']}, "
        f"bayescollapse {ds.attrs['bayescollapse_version']}, created {ds.attrs['created_at']}"
    )
    try:  # every table is made before any is printed: a bad flag prints nothing but its error
        made = [tables.summary_table(ds, generation=args.generation)]
        if args.paired is not None or args.metric is not None:
            from bayescollapse.present.paired import compare

            cmp = compare(ds, baseline=args.paired or None, metric=args.metric)
            made.append(tables.paired_table(cmp, generation=args.generation))
    except ValueError as err:
        raise UsageError(str(err)) from None
    print(tables.printable(header))
    out = tables.console()
    for table in made:
        out.print(table)
    return 0
