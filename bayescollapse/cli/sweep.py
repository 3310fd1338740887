"""``bayescollapse sweep``: a TOML study on Dask distributed into a resumable Zarr store."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bayescollapse.cli.common import UsageError, load_toml, user_input
from bayescollapse.cli.flags import cluster_flags, memory_flag, progress_flag

__all__ = ["add_parser"]


def add_parser(sub) -> None:
    """Add the ``sweep`` subcommand."""
    w = sub.add_parser(
        "sweep",
        help="run a TOML study on Dask distributed into a resumable Zarr store",
        description="Run a study (a TOML file with the keys of `run --config`) on Dask "
        "distributed, one unit of work per (setting, replicate block), each written into its "
        "region of one Zarr store. Rerunning the same command resumes: only units not done "
        "are computed.",
        parents=[
            progress_flag(),
            memory_flag(),
            cluster_flags("workers of the local cluster (default: one per core)"),
        ],
    )
    w.add_argument("file", type=Path, help="the study: a TOML file")
    w.add_argument("--out", type=Path, required=True, help="the Zarr store (STORE.zarr)")
    w.add_argument(
        "--overwrite", action="store_true", help="replace a store of another configuration"
    )
    w.set_defaults(func=sweep_command)


def sweep_command(args: argparse.Namespace) -> int:
    """Run a TOML study on Dask into its Zarr store (resuming), and report the units."""
    from bayescollapse.engine.config import RunConfig
    from bayescollapse.engine.progress import progress_bar
    from bayescollapse.engine.sweep import sweep

    with user_input():
        config = RunConfig.from_dict(load_toml(args.file))
    if args.out.suffix != ".zarr":
        raise UsageError(f"--out {args.out} must end in .zarr (a sweep writes a Zarr store)")
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be >= 1, got {args.workers}")
    if args.workers is not None and args.scheduler:
        raise UsageError("give --workers (a local cluster) or --scheduler, not both")
    total = len(config.settings) * config.blocks
    print(
        f"bayescollapse: sweep of {len(config.settings)} setting(s) x {config.blocks} "
        f"replicate block(s) = {total} unit(s), model {config.model}, into {args.out}",
        file=sys.stderr,
    )

    def announce(link: str) -> None:
        print(f"bayescollapse: Dask dashboard: {link or 'none'}", file=sys.stderr)

    with progress_bar(total, disable=args.no_progress, label="units") as advance:
        with user_input():  # a store of another configuration is the user's to resolve
            report = sweep(
                config,
                args.out,
                workers=args.workers,
                scheduler=args.scheduler,
                overwrite=args.overwrite,
                progress=advance,
                announce=announce,
                memory_limit=args.memory_limit,
                on_failure=lambda unit, error: print(
                    f"bayescollapse: unit (setting {unit[0]}, block {unit[1]}) failed: {error}",
                    file=sys.stderr,
                ),
            )
    print(
        f"units: {len(report.run)} run, {len(report.skipped)} skipped as done, "
        f"{len(report.failed)} failed"
    )
    for (s, b), error in sorted(report.failed.items()):
        print(f"failed: setting {s} ({config.settings[s].name}), block {b}: {error}")
    print(f"results: {report.store}")
    if report.failed:
        print(
            "bayescollapse: some units failed; rerun the same command to retry them",
            file=sys.stderr,
        )
        return 1
    return 0
