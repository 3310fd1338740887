"""``bayescollapse phase``: the collapse / bounded / recovery phase diagram of power schedules."""

from __future__ import annotations

import argparse
import contextlib

from bayescollapse.cli.common import UsageError, reserve_output, save_figure, user_input
from bayescollapse.cli.flags import cluster_flags, output_flags, progress_flag

__all__ = ["add_parser"]


def add_parser(sub) -> None:
    """Add the ``phase`` subcommand."""
    ph = sub.add_parser(
        "phase",
        help="compute and plot the collapse / bounded / recovery phase diagram",
        description="Phase diagram over power schedules alpha_t = A0 t^-beta, n_t = N0 t^gamma: "
        "theory on a fine grid, simulation on a coarse grid, one panel per prior concentration "
        "(0 = MLE). Grids are START:STOP:NUM or comma-separated values.",
        parents=[
            output_flags("NetCDF file to write", figure="also write the diagram as PNG"),
            progress_flag(),
            cluster_flags("simulate on a local Dask cluster of this many workers"),
        ],
    )
    ph.add_argument(
        "--tokens", type=int, default=10, metavar="K", help="vocabulary size (default 10)"
    )
    ph.add_argument("--truth", default="zipf:1", help="truth recipe (default zipf:1)")
    ph.add_argument(
        "--real-fraction0",
        "--alpha0",
        type=float,
        default=0.5,
        dest="real_fraction0",
        help="alpha at generation 1 (default 0.5)",
    )
    ph.add_argument(
        "--sample-size0", type=float, default=50, help="n at generations 0 and 1 (default 50)"
    )
    ph.add_argument("--betas", default="0:3:61", help="theory grid of beta (default 0:3:61)")
    ph.add_argument("--gammas", default="0:3:61", help="theory grid of gamma (default 0:3:61)")
    ph.add_argument("--sim-betas", default="0,0.5,1,2", help="simulated betas (default 0,0.5,1,2)")
    ph.add_argument(
        "--sim-gammas", default="0,0.5,1,2", help="simulated gammas (default 0,0.5,1,2)"
    )
    ph.add_argument(
        "--prior-concentration",
        type=float,
        nargs="+",
        default=[0.0, 1.0],
        metavar="A0",
        help="panels: 0 for the MLE, > 0 for the conjugate fit (default 0 1)",
    )
    ph.add_argument("--synthetic", default="plugin", help="synthetic mode of the conjugate fits")
    ph.add_argument("--horizon", type=int, default=1000, help="generations of the theory curves")
    ph.add_argument(
        "--generations", type=int, default=100, help="simulated generations (default 100)"
    )
    ph.add_argument(
        "--replicates", type=int, default=2000, help="simulated replicates (default 2000)"
    )
    ph.add_argument("--seed", type=int, help="seed (default: drawn and recorded)")
    ph.set_defaults(func=phase_command)


def _grid(text: str, name: str) -> list[float]:
    """Read ``START:STOP:NUM`` or ``V1,V2,...`` into a sorted list of floats >= 0."""
    try:
        if ":" in text:
            start, stop, num = text.split(":")
            import numpy as np

            values = np.linspace(float(start), float(stop), int(num)).tolist()
        else:
            values = [float(v) for v in text.split(",")]
    except ValueError:
        raise UsageError(f"{name} {text!r} is not START:STOP:NUM or V1,V2,...") from None
    if not values or min(values) < 0 or values != sorted(values):
        raise UsageError(f"{name} {text!r} must be increasing values >= 0")
    return values


def phase_command(args: argparse.Namespace) -> int:
    """Compute the phase diagram, save it and print its table."""
    from bayescollapse.engine.progress import progress_bar
    from bayescollapse.engine.rng import fresh_seed
    from bayescollapse.present import tables
    from bayescollapse.theory.phase import phase_diagram

    betas, gammas = _grid(args.betas, "--betas"), _grid(args.gammas, "--gammas")
    sim_betas, sim_gammas = (
        _grid(args.sim_betas, "--sim-betas"),
        _grid(args.sim_gammas, "--sim-gammas"),
    )
    if any(a < 0 for a in args.prior_concentration):
        raise UsageError(f"--prior-concentration {args.prior_concentration} must be >= 0")
    if not 0 < args.real_fraction0 <= 1:
        raise UsageError(f"--real-fraction0 {args.real_fraction0:g} must lie in (0, 1]")
    if args.horizon < 10:
        raise UsageError(f"--horizon {args.horizon} must be >= 10")
    from bayescollapse.engine.config import SEED_LIMIT

    if args.seed is not None and not 0 <= args.seed < SEED_LIMIT:
        raise UsageError(f"--seed {args.seed} is not an integer in [0, 2**63)")
    for name in ("tokens", "generations", "replicates"):
        if getattr(args, name) < (2 if name == "tokens" else 1):
            low = 2 if name == "tokens" else 1
            raise UsageError(f"--{name} {getattr(args, name)} must be an integer >= {low}")
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

        write_atomic(ds, args.out, overwrite=args.force, reservation=out)
        tables.console().print(tables.phase_table(ds))
        print(f"results: {args.out}")
        if figure is not None:
            from bayescollapse.present.plots import plot_phase

            save_figure(plot_phase(ds), figure, dpi=120)
            print(f"figure:  {args.figure}")
    return 0
