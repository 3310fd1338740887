"""``bayescollapse phase``: the collapse / bounded / recovery phase diagram of power schedules."""

from __future__ import annotations

import argparse
import contextlib
from dataclasses import fields

from bayescollapse.cli.common import UsageError, reserve_output, save_figure, user_input
from bayescollapse.cli.flags import add_fields, cluster_flags, output_flags, progress_flag

__all__ = ["HELP", "add_parser"]

HELP = "compute and plot the collapse / bounded / recovery phase diagram"
#: the most points of a grid axis, and the most values of the theory arrays (betas x
#: gammas x horizon, 8 bytes each, a few of them alive at once: 50 million is 400 MB each)
MAX_GRID, MAX_THEORY_VALUES = 1000, 50_000_000


def add_parser(sub) -> None:
    """Add the ``phase`` subcommand (its flags from :class:`PhaseOptions`)."""
    from bayescollapse.cli.phase_options import PhaseOptions

    ph = sub.add_parser(
        "phase",
        help=HELP,
        description="Phase diagram over power schedules alpha_t = A0 t^-beta, n_t = N0 t^gamma: "
        "theory on a fine grid, simulation on a coarse grid, one panel per prior concentration "
        "(0 = MLE). Grids are START:STOP:NUM or comma-separated values.",
        parents=[
            output_flags("NetCDF file to write", figure="also write the diagram as PNG"),
            progress_flag(),
            cluster_flags("simulate on a local Dask cluster of this many workers"),
        ],
    )
    add_fields(ph.add_argument_group("the diagram"), PhaseOptions)
    ph.set_defaults(func=phase_command)


def _grid(text: str, name: str) -> list[float]:
    """Read ``START:STOP:NUM`` or ``V1,V2,...`` into a sorted list of floats >= 0."""
    try:
        if ":" in text:
            start, stop, num = text.split(":")
            import numpy as np

            if not 1 <= int(num) <= MAX_GRID:
                raise UsageError(f"{name} {text!r}: NUM must be an integer in 1..{MAX_GRID}")
            values = np.linspace(float(start), float(stop), int(num)).tolist()
        else:
            values = [float(v) for v in text.split(",")]
    except ValueError:
        raise UsageError(f"{name} {text!r} is not START:STOP:NUM or V1,V2,...") from None
    if not values or min(values) < 0 or values != sorted(values):
        raise UsageError(f"{name} {text!r} must be increasing values >= 0")
    return values


def _checked(args: argparse.Namespace) -> argparse.Namespace:
    """Return the flags with PhaseOptions' defaults filled in, or a one-line UsageError."""
    from bayescollapse.cli.phase_options import PhaseOptions

    given = {f.name: getattr(args, f.name) for f in fields(PhaseOptions)}
    options = PhaseOptions(**{k: v for k, v in given.items() if v is not None})
    args = argparse.Namespace(**{**vars(args), **vars(options)})
    if any(a < 0 for a in args.prior_concentration):
        raise UsageError(f"--prior-concentration {args.prior_concentration} must be >= 0")
    if not 0 < args.real_fraction0 <= 1:
        raise UsageError(f"--real-fraction0 {args.real_fraction0:g} must lie in (0, 1]")
    if args.horizon < 10:
        raise UsageError(f"--horizon {args.horizon} must be >= 10")
    values = len(_grid(args.betas, "--betas")) * len(_grid(args.gammas, "--gammas"))
    if values * args.horizon > MAX_THEORY_VALUES:
        raise UsageError(
            f"--horizon {args.horizon} over {values} (beta, gamma) points makes "
            f"{values * args.horizon:,} theory values, more than {MAX_THEORY_VALUES:,}; "
            "shrink the grids or the horizon"
        )
    from bayescollapse.engine.config import SEED_LIMIT

    if args.seed is not None and not 0 <= args.seed < SEED_LIMIT:
        raise UsageError(f"--seed {args.seed} is not an integer in [0, 2**63)")
    for name in ("tokens", "generations", "replicates"):
        if getattr(args, name) < (2 if name == "tokens" else 1):
            low = 2 if name == "tokens" else 1
            raise UsageError(f"--{name} {getattr(args, name)} must be an integer >= {low}")
    return args


def phase_command(args: argparse.Namespace) -> int:
    """Compute the phase diagram, save it and print its table."""
    from bayescollapse.engine.progress import progress_bar
    from bayescollapse.engine.rng import fresh_seed
    from bayescollapse.present import tables
    from bayescollapse.theory.phase import phase_diagram

    args = _checked(args)
    betas, gammas = _grid(args.betas, "--betas"), _grid(args.gammas, "--gammas")
    sim_betas, sim_gammas = (
        _grid(args.sim_betas, "--sim-betas"),
        _grid(args.sim_gammas, "--sim-gammas"),
    )
    seed = fresh_seed() if args.seed is None else args.seed
    total = (
        len(args.prior_concentration) * len(sim_betas) * len(sim_gammas) * (args.generations + 1)
    )
    if args.workers is not None and args.workers < 1:
        raise UsageError(f"--workers must be >= 1, got {args.workers}")
    with contextlib.ExitStack() as stack:
        out = reserve_output(stack, args.out, args.force, (".nc",))
        figure = reserve_output(stack, args.figure, args.force, (".png",))
        runner = None
        if args.workers or args.scheduler:
            from bayescollapse.engine.sweep import open_client, run_distributed

            client = stack.enter_context(
                open_client(workers=args.workers, scheduler=args.scheduler)
            )

            def runner(config, progress=None):
                cells = config.generations + 1  # the bar counts generations; a unit has these
                return run_distributed(
                    config,
                    client=client,
                    progress=None if progress is None else lambda k: progress(k * cells),
                )

        advance = stack.enter_context(progress_bar(total, disable=args.no_progress))
        stack.enter_context(user_input())
        ds = phase_diagram(
            args.truth,
            args.tokens,
            runner=runner,
            betas=betas,
            gammas=gammas,
            sim_betas=sim_betas,
            sim_gammas=sim_gammas,
            seed=seed,
            prior_concentrations=args.prior_concentration,
            progress=advance,
            real_fraction0=args.real_fraction0,
            sample_size0=args.sample_size0,
            synthetic=args.synthetic,
            horizon=args.horizon,
            generations=args.generations,
            replicates=args.replicates,
        )
        from bayescollapse.io.storage import write_atomic

        with user_input():  # a full disk: one line, no traceback
            write_atomic(ds, args.out, overwrite=args.force, reservation=out)
        tables.console().print(tables.phase_table(ds))
        print(f"results: {args.out}")
        if figure is not None:
            from bayescollapse.present.plots import plot_phase

            save_figure(plot_phase(ds), figure, dpi=120)
            print(f"figure:  {args.figure}")
    return 0
