"""``bayescollapse sweep``: a TOML study on Dask distributed into a resumable Zarr store."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bayescollapse.cli.common import UsageError, load_toml, user_input
from bayescollapse.cli.flags import cluster_flags, memory_flag, progress_flag
from bayescollapse.errors import Terminated

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

    try:
        report = _run_sweep(args, config, total, announce)
    except (KeyboardInterrupt, Terminated) as err:
        _say_what_is_kept(args, total, err)
        return 143 if isinstance(err, Terminated) else 130
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


def _run_sweep(args, config, total: int, announce):
    """Run the sweep with its progress bar (counting the units a resume skips as done)."""
    from bayescollapse.engine.progress import progress_bar
    from bayescollapse.engine.sweep import store_status, sweep

    done = 0  # a resumed sweep's bar starts from the units already done
    if args.out.exists() and not args.overwrite:
        try:
            done = sum(r["status"] == "done" for r in store_status(args.out).values())
        except (OSError, ValueError, KeyError):
            done = 0
    with progress_bar(total, disable=args.no_progress, label="units") as advance:
        if done:
            advance(done)
        with user_input():  # a store of another configuration is the user's to resolve
            return sweep(
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
                on_damage=lambda found: _say_damage(found, advance),
            )


def _say_damage(found, advance) -> None:
    """Say which done units were found damaged, and take them off the progress bar."""
    units = {unit for damage in found for unit in damage.units}
    for damage in found:
        print(f"bayescollapse: damaged since done: {damage}", file=sys.stderr)
    print(f"bayescollapse: computing {len(units)} damaged unit(s) again", file=sys.stderr)
    advance(-len(units))


def _say_what_is_kept(args, total: int, err) -> None:
    """After an interruption: how many units are done and kept, and how to resume them."""
    from bayescollapse.engine.sweep import store_status

    try:
        done = sum(r["status"] == "done" for r in store_status(args.out).values())
    except (OSError, ValueError, KeyError):
        done = 0
    name = "SIGTERM" if isinstance(err, Terminated) else "interrupted"
    if done:
        what = (
            f"{done} of {total} units are done and kept in {args.out}; rerun the same command "
            "to resume the others"
        )
    else:
        what = "no unit was done; nothing was kept"
    print(f"bayescollapse: {name}; {what}", file=sys.stderr)
