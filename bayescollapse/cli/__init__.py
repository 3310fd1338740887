"""The ``bayescollapse`` command: ``run`` a study, ``summarize`` a saved one.

Errors in what the user typed end with a one-line message and exit status 2.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import tomllib
import traceback
from pathlib import Path

from bayescollapse.errors import InputError, Terminated

__all__ = ["main"]

_SETTING_FLAGS = {
    "scheme": "scheme",
    "real_fraction": "real_fraction",
    "sample_size": "sample_size",
    "method": "method",
    "synthetic": "synthetic",
    "prior_update": "prior_update",
    "temperature": "temperature",
    "top_k": "top_k",
    "top_p": "top_p",
    "variance_scale": "variance_scale",
    "real_weight": "real_weight",
    "real_data": "real_data",
}
_RUN_FLAGS = {
    "model": "model",
    "tokens": "num_tokens",
    "truth": "truth",
    "generations": "generations",
    "replicates": "replicates",
    "replicate_block": "replicate_block",
    "seed": "seed",
    "hdi_prob": "hdi_prob",
    "draws": "draws",
    "tune": "tune",
    "chains": "chains",
    "target_accept": "target_accept",
    "diagnostics_every": "diagnostics_every",
    "keep_posteriors": "keep_posteriors",
    "order": "order",
    "sequence_length": "sequence_length",
    "unseen": "unseen",
    "coverage_levels": "coverage_levels",
    "tail_rank": "tail_rank",
}


class _UsageError(Exception):
    """A problem with what the user asked for: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line with a pointer to ``--help``."""

    def error(self, message: str):
        """Print ``PROG: error: MESSAGE (see PROG --help)`` and exit with status 2."""
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        raise SystemExit(2)


#: outputs this process has reserved, to say truly what an interruption left behind
_RESERVED: list = []


@contextlib.contextmanager
def _input():
    """Report a ValueError raised while reading what the user gave as a usage error."""
    try:
        yield
    except ValueError as err:
        raise _UsageError(str(err)) from None


_MEMORY_HELP = (
    "refuse a run estimated to need more memory than SIZE, e.g. 64G (default: the memory available)"
)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="bayescollapse",
        description="Simulate model collapse under iterative retraining (MLE, conjugate, PyMC).",
    )
    sub = p.add_subparsers(dest="command", required=True)

    r = sub.add_parser(
        "run",
        help="run a study and save it to NetCDF",
        description="Run a study. Setting flags take several values; the settings are their "
        "product (or, with --pairing zip, the values paired in order). Flags override the "
        "--config file.",
    )
    r.add_argument("--config", type=Path, help="TOML file with run keys and a [[settings]] list")
    r.add_argument("--model", help="dirichlet-categorical (default) | markov | gaussian")
    r.add_argument("--tokens", type=int, metavar="K", help="vocabulary size (default 20)")
    r.add_argument(
        "--tail-rank",
        type=int,
        metavar="R",
        help="the tail metrics' tail: ranks above R (default: half the vocabulary)",
    )
    r.add_argument(
        "--truth", help="uniform | zipf:S | dirichlet:C:SEED | values:P1,P2,.. (default zipf:1)"
    )
    r.add_argument(
        "--generations", type=int, metavar="T", help="generations after gen 0 (default 10)"
    )
    r.add_argument("--replicates", type=int, metavar="R", help="independent replicates (default 4)")
    r.add_argument(
        "--replicate-block", type=int, metavar="B", help="replicates fitted together (default R)"
    )
    r.add_argument("--seed", type=int, help="seed of the whole run (default: drawn and recorded)")
    r.add_argument(
        "--prior-concentration",
        type=float,
        nargs="+",
        metavar="A0",
        help="Dirichlet prior per token (default 1); several values make it a setting axis",
    )
    r.add_argument(
        "--scheme", nargs="+", help="mixture | replace | accumulate | accumulate-subsample"
    )
    r.add_argument(
        "--real-fraction",
        "--alpha",
        nargs="+",
        dest="real_fraction",
        metavar="SPEC",
        help="alpha_t schedule(s): 0.1 | zero | power:A0:-BETA | geometric:A0:R | list:..",
    )
    r.add_argument(
        "--sample-size",
        nargs="+",
        metavar="SPEC",
        help="n_t schedule(s): 1000 | power:N0:GAMMA | geometric:N0:R | list:..",
    )
    r.add_argument(
        "--method",
        nargs="+",
        help="mle | conjugate | pymc; gaussian also unbiased; markov also pymc-hierarchical; "
        "or a method a --plugin registers",
    )
    r.add_argument(
        "--plugin",
        nargs="+",
        metavar="MODULE",
        help="import these modules first (they register methods, e.g. "
        "bayescollapse.models.examples.add_one); recorded in the results",
    )
    r.add_argument("--synthetic", nargs="+", help="ancestral | predictive | plugin")
    r.add_argument("--prior-update", nargs="+", help="refit | carry")
    dec = r.add_argument_group(
        "decoding, weights and real pools (each a setting axis; several values cross)"
    )
    dec.add_argument(
        "--temperature", type=float, nargs="+", help="decoding temperature > 0 (default 1)"
    )
    dec.add_argument(
        "--top-k", type=int, nargs="+", help="keep the k most probable tokens (0: off)"
    )
    dec.add_argument(
        "--top-p", type=float, nargs="+", help="nucleus: smallest set of mass >= p (1: off)"
    )
    dec.add_argument(
        "--variance-scale",
        type=float,
        nargs="+",
        help="gaussian: draw synthetic points with variance c sigma^2 (default 1)",
    )
    dec.add_argument(
        "--real-weight",
        nargs="+",
        metavar="SPEC",
        help="weight w_t of real items in the refit (mixture): none (default) | 0.618 | schedule",
    )
    dec.add_argument(
        "--real-data",
        nargs="+",
        help="fresh (default) | fixed (one pool, reused) | resampled (the pool, bootstrapped)",
    )
    r.add_argument("--pairing", choices=("product", "zip"), default="product")
    r.add_argument("--draws", type=int, help="NUTS draws per chain (default 1000)")
    r.add_argument("--tune", type=int, help="NUTS tuning steps per chain (default 500)")
    r.add_argument("--chains", type=int, help="NUTS chains (default 2)")
    r.add_argument("--target-accept", type=float, help="NUTS target acceptance (default 0.8)")
    r.add_argument(
        "--diagnostics-every",
        type=int,
        metavar="K",
        help="NUTS R-hat/ESS/MCSE at generations 0, K, 2K, ... and the last (default 1: all)",
    )
    r.add_argument("--hdi-prob", type=float, help="HDI probability (default 0.94)")
    r.add_argument(
        "--coverage-levels",
        type=float,
        nargs="+",
        metavar="P",
        help="levels of the central credible intervals checked (default 0.5 0.8 0.94)",
    )
    r.add_argument(
        "--keep-posteriors",
        metavar="SPEC",
        help="store full posteriors: none (default) | all | last | every:K",
    )
    mk = r.add_argument_group("markov model (n-gram next-token language model)")
    mk.add_argument("--order", type=int, help="context length k, 0 to 3 (default 1)")
    mk.add_argument("--sequence-length", type=int, help="tokens per training sequence (default 20)")
    mk.add_argument("--unseen", help="MLE row of an unseen context: uniform (default) | marginal")
    g = r.add_argument_group(
        "gaussian model (each prior flag takes several values to make it a setting axis)"
    )
    g.add_argument(
        "--prior",
        nargs="+",
        help="nig (default) | jeffreys (conjugate) | weakly-informative (pymc)",
    )
    g.add_argument(
        "--prior-mean", type=float, nargs="+", help="NIG mu0, or the weakly informative mean (0)"
    )
    g.add_argument("--prior-kappa", type=float, nargs="+", help="NIG kappa0 (default 0.01)")
    g.add_argument("--prior-alpha", type=float, nargs="+", help="NIG alpha0 (default 1)")
    g.add_argument("--prior-beta", type=float, nargs="+", help="NIG beta0 (default 1)")
    g.add_argument(
        "--prior-mu-sd", type=float, nargs="+", help="weakly informative sd of mu (default 10)"
    )
    g.add_argument(
        "--prior-sigma-scale",
        type=float,
        nargs="+",
        help="weakly informative HalfNormal scale of sigma (10)",
    )
    r.add_argument(
        "--out", type=Path, required=True, help="results file: .nc (NetCDF) or .zarr (Zarr folder)"
    )
    r.add_argument("--figure", type=Path, help="also write a PNG of error against generation")
    r.add_argument("--force", action="store_true", help="overwrite existing output files")
    r.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    r.add_argument("--memory-limit", metavar="SIZE", help=_MEMORY_HELP)
    r.set_defaults(func=_cmd_run)

    ph = sub.add_parser(
        "phase",
        help="compute and plot the collapse / bounded / recovery phase diagram",
        description="Phase diagram over power schedules alpha_t = A0 t^-beta, n_t = N0 t^gamma: "
        "theory on a fine grid, simulation on a coarse grid, one panel per prior concentration "
        "(0 = MLE). Grids are START:STOP:NUM or comma-separated values.",
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
    ph.add_argument(
        "--workers", type=int, help="simulate on a local Dask cluster of this many workers"
    )
    ph.add_argument("--scheduler", metavar="ADDRESS", help="simulate on an existing Dask scheduler")
    ph.add_argument("--out", type=Path, required=True, help="NetCDF file to write")
    ph.add_argument("--figure", type=Path, help="also write the diagram as PNG")
    ph.add_argument("--force", action="store_true", help="overwrite existing output files")
    ph.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    ph.set_defaults(func=_cmd_phase)

    d = sub.add_parser(
        "diagnose",
        help="sampler diagnostics, calibration and drift of a saved run, with figures",
        description="Print a diagnostics table (R-hat, ESS, divergences; unreliable fits "
        "flagged) and a calibration table (coverage per level against nominal, PIT "
        "uniformity), and write figures of posterior paths, calibration and drift.",
    )
    d.add_argument("file", type=Path)
    d.add_argument("--figures", type=Path, help="folder for the PNGs (default: FILE_diagnostics)")
    d.add_argument(
        "--tokens",
        type=int,
        nargs="+",
        help="tokens whose posterior path is drawn (categorical model)",
    )
    d.add_argument("--replicate", type=int, default=0, help="replicate of the posterior paths")
    d.add_argument("--force", action="store_true", help="overwrite existing figures")
    d.set_defaults(func=_cmd_diagnose)

    w = sub.add_parser(
        "sweep",
        help="run a TOML study on Dask distributed into a resumable Zarr store",
        description="Run a study (a TOML file with the keys of `run --config`) on Dask "
        "distributed, one unit of work per (setting, replicate block), each written into its "
        "region of one Zarr store. Rerunning the same command resumes: only units not done "
        "are computed.",
    )
    w.add_argument("file", type=Path, help="the study: a TOML file")
    w.add_argument("--out", type=Path, required=True, help="the Zarr store (STORE.zarr)")
    w.add_argument(
        "--workers", type=int, help="workers of the local cluster (default: one per core)"
    )
    w.add_argument(
        "--scheduler", metavar="ADDRESS", help="use an existing Dask scheduler, tcp://host:8786"
    )
    w.add_argument(
        "--overwrite", action="store_true", help="replace a store of another configuration"
    )
    w.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    w.add_argument("--memory-limit", metavar="SIZE", help=_MEMORY_HELP)
    w.set_defaults(func=_cmd_sweep)

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
        const="mle",
        metavar="BASELINE",
        help="compare with a baseline fit (a method or fit label; default mle)",
    )
    s.add_argument("--metric", help="variable of the paired table (default: the model's error)")
    s.set_defaults(func=_cmd_summarize)
    return p


def _load_toml(path: Path) -> dict:
    if path.is_dir():
        raise _UsageError(f"config file {path} is a folder, not a TOML file")
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise _UsageError(f"config file {path} does not exist") from None
    except tomllib.TOMLDecodeError as err:
        raise _UsageError(f"config file {path} is not valid TOML: {err}") from None


def config_from_args(args: argparse.Namespace):
    """Merge the ``--config`` file and the flags into a :class:`RunConfig`.

    Without a ``settings`` list in the file, the setting flags form a grid. With one, the
    flags given are crossed with each listed setting (replacing those fields and any
    ``cross`` table of the file).
    """
    from bayescollapse.engine.config import RunConfig, settings_grid
    from bayescollapse.models.registry import load_plugins

    data = _load_toml(args.config) if args.config else {}
    if args.plugin:
        data["plugins"] = [*data.get("plugins", ()), *args.plugin]
    load_plugins(data.get("plugins", ()))  # before any setting names a method they register
    for flag, key in _RUN_FLAGS.items():
        value = getattr(args, flag)
        if value is not None:
            data[key] = value
    axes = {key: getattr(args, flag) for flag, key in _SETTING_FLAGS.items() if getattr(args, flag)}
    from bayescollapse.engine.config import PRIOR_FIELDS

    for key in PRIOR_FIELDS:  # one value sets the run's prior, several make it an axis
        values = getattr(args, key)
        if values is not None and len(values) == 1:
            data[key] = values[0]
        elif values is not None:
            axes[key] = values
    if "settings" in data:
        if axes:
            data["settings"] = [
                {k: v for k, v in s.items() if k not in axes} for s in data["settings"]
            ]
            data["cross"] = axes
    else:
        grid = settings_grid(pairing=args.pairing, **axes) if axes else ()
        data["settings"] = [vars(s) for s in grid] or [{}]
    return RunConfig.from_dict(data)


def _reserve(stack: contextlib.ExitStack, path: Path | None, force: bool, suffixes):
    """Reserve an output before the work (checked writable, locked); None for no path."""
    if path is None:
        return None
    from bayescollapse.io.storage import reserve

    try:
        taken = stack.enter_context(reserve(path, overwrite=force, suffixes=suffixes))
    except FileExistsError as err:
        raise _UsageError(
            str(err).replace("pass overwrite (CLI: --force)", "pass --force")
        ) from None
    except ValueError as err:
        raise _UsageError(str(err)) from None
    _RESERVED.append(taken)
    return taken


def _save_figure(fig, reservation, *, dpi: int) -> None:
    """Save a figure through its reservation and close it (figures must not pile up)."""
    import matplotlib.pyplot as plt

    try:
        reservation.commit(lambda temp: fig.savefig(temp, dpi=dpi, format="png"))
    finally:
        plt.close(fig)


def _cmd_run(args: argparse.Namespace) -> int:

    from bayescollapse.engine.memory import check_memory

    with _input():
        config = config_from_args(args)
        check_memory(config, args.memory_limit)
    stack = contextlib.ExitStack()
    with stack:
        out = _reserve(stack, args.out, args.force, (".nc", ".zarr"))
        figure = _reserve(stack, args.figure, args.force, (".png",))
        return _run_into(args, config, out, figure)


def _run_into(args, config, out, figure) -> int:
    """Run ``config`` and write it into the reserved ``out`` (and ``figure``).

    Without Dask imported xarray is told there are no Dask arrays (see
    ``storage.without_dask``): a small run does not pay for importing ``dask.array``.
    """
    from bayescollapse.io.storage import without_dask

    with without_dask():
        return _run_and_write(args, config, out, figure)


def _run_and_write(args, config, out, figure) -> int:
    from bayescollapse.engine.loop import run
    from bayescollapse.engine.progress import cells, progress_bar
    from bayescollapse.io.posteriors import run_tree, save_tree
    from bayescollapse.io.results import save_results
    from bayescollapse.present import tables

    print(
        f"bayescollapse: {len(config.settings)} setting(s) x {config.replicates} replicate(s) x "
        f"{config.generations + 1} generations, model {config.model}",
        file=sys.stderr,
    )
    with progress_bar(cells(config), disable=args.no_progress) as advance:
        limit = args.memory_limit
        if config.keep_posteriors == "none":
            ds = run(config, progress=advance, memory_limit=limit)
        else:
            tree = run_tree(config, progress=advance, memory_limit=limit)
            ds = tree["results"].to_dataset()
    if config.keep_posteriors == "none":
        path = save_results(ds, args.out, overwrite=args.force, reservation=out)
    else:
        path = save_tree(tree, args.out, overwrite=args.force, reservation=out)
    tables.console().print(tables.summary_table(ds, generation=-1))
    if "truth_stationary" in ds and not ds["truth_stationary"].attrs.get("irreducible", 1):
        print(
            "bayescollapse: warning: the true chain is reducible; its stationary law (and "
            "the stationary-weighted metrics) depend on the start",
            file=sys.stderr,
        )
    print(f"results: {path}")
    if figure is not None:
        from bayescollapse.present.plots import plot_error

        _save_figure(plot_error(ds), figure, dpi=120)
        print(f"figure:  {args.figure}")
    return 0


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
        raise _UsageError(f"{name} {text!r} is not START:STOP:NUM or V1,V2,...") from None
    if not values or min(values) < 0 or values != sorted(values):
        raise _UsageError(f"{name} {text!r} must be increasing values >= 0")
    return values


def _cmd_phase(args: argparse.Namespace) -> int:
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
        raise _UsageError(f"--prior-concentration {args.prior_concentration} must be >= 0")
    if not 0 < args.real_fraction0 <= 1:
        raise _UsageError(f"--real-fraction0 {args.real_fraction0:g} must lie in (0, 1]")
    if args.horizon < 10:
        raise _UsageError(f"--horizon {args.horizon} must be >= 10")
    from bayescollapse.engine.config import SEED_LIMIT

    if args.seed is not None and not 0 <= args.seed < SEED_LIMIT:
        raise _UsageError(f"--seed {args.seed} is not an integer in [0, 2**63)")
    for name in ("tokens", "generations", "replicates"):
        if getattr(args, name) < (2 if name == "tokens" else 1):
            low = 2 if name == "tokens" else 1
            raise _UsageError(f"--{name} {getattr(args, name)} must be an integer >= {low}")
    seed = fresh_seed() if args.seed is None else args.seed
    total = (
        len(args.prior_concentration) * len(sim_betas) * len(sim_gammas) * (args.generations + 1)
    )
    if args.workers is not None and args.workers < 1:
        raise _UsageError(f"--workers must be >= 1, got {args.workers}")
    with contextlib.ExitStack() as stack:
        out = _reserve(stack, args.out, args.force, (".nc",))
        figure = _reserve(stack, args.figure, args.force, (".png",))
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
        stack.enter_context(_input())
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

            _save_figure(plot_phase(ds), figure, dpi=120)
            print(f"figure:  {args.figure}")
    return 0


def _report_missing_units(path: Path, ds) -> None:
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


def _cmd_sweep(args: argparse.Namespace) -> int:
    from bayescollapse.engine.config import RunConfig
    from bayescollapse.engine.progress import progress_bar
    from bayescollapse.engine.sweep import sweep

    with _input():
        config = RunConfig.from_dict(_load_toml(args.file))
    if args.out.suffix != ".zarr":
        raise _UsageError(f"--out {args.out} must end in .zarr (a sweep writes a Zarr store)")
    if args.workers is not None and args.workers < 1:
        raise _UsageError(f"--workers must be >= 1, got {args.workers}")
    if args.workers is not None and args.scheduler:
        raise _UsageError("give --workers (a local cluster) or --scheduler, not both")
    total = len(config.settings) * config.blocks
    print(
        f"bayescollapse: sweep of {len(config.settings)} setting(s) x {config.blocks} "
        f"replicate block(s) = {total} unit(s), model {config.model}, into {args.out}",
        file=sys.stderr,
    )

    def announce(link: str) -> None:
        print(f"bayescollapse: Dask dashboard: {link or 'none'}", file=sys.stderr)

    with progress_bar(total, disable=args.no_progress, label="units") as advance:
        with _input():  # a store of another configuration is the user's to resolve
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


def _cmd_summarize(args: argparse.Namespace) -> int:
    from bayescollapse.io.results import open_results
    from bayescollapse.present import tables

    with _input():
        ds = open_results(args.file)
    _report_missing_units(args.file, ds)
    cfg = json.loads(ds.attrs["config"])
    size = f"K={cfg['num_tokens']}, " if "token" in ds.dims else ""
    print(
        f"{args.file}: model {ds.attrs['model']}, {size}truth {cfg['truth']}, "
        f"seed {ds.attrs['seed']}, bayescollapse {ds.attrs['bayescollapse_version']}, "
        f"created {ds.attrs['created_at']}"
    )
    try:
        out = tables.console()
        out.print(tables.summary_table(ds, generation=args.generation))
        if args.paired:
            from bayescollapse.present.paired import compare

            cmp = compare(ds, baseline=args.paired, metric=args.metric)
            out.print(tables.paired_table(cmp, generation=args.generation))
    except ValueError as err:
        raise _UsageError(str(err)) from None
    return 0


def _cmd_diagnose(args: argparse.Namespace) -> int:
    from bayescollapse.io.results import open_results
    from bayescollapse.metrics import pit_uniformity_pvalue
    from bayescollapse.present import tables
    from bayescollapse.present.diagnostics import RULE, sampler_row
    from bayescollapse.present.posterior_plots import (
        bayesian_settings,
        plot_calibration,
        plot_drift,
        plot_posterior_paths,
    )

    with _input():
        ds = open_results(args.file)
    _report_missing_units(args.file, ds)
    folder = args.figures or args.file.with_name(f"{args.file.stem}_diagnostics")
    if folder.exists() and not folder.is_dir():
        raise _UsageError(f"--figures {folder} is a file, not a folder")
    settings = bayesian_settings(ds)
    if not settings:
        raise _UsageError(f"{args.file} has no Bayesian setting (conjugate or pymc) to diagnose")
    k = ds.sizes.get("token", 0)
    bad = [t for t in args.tokens or () if not 0 <= t < k]
    if bad:
        raise _UsageError(f"--tokens: token {bad[0]} is out of range 0..{k - 1}")
    if not 0 <= args.replicate < ds.sizes["replicate"]:
        raise _UsageError(
            f"--replicate {args.replicate} is out of range 0..{ds.sizes['replicate'] - 1}"
        )
    console = tables.console()
    diag = tables.new_table(
        f"sampler diagnostics ({RULE})",
        [
            "setting",
            "max R-hat",
            "R-hat > 1.01",
            "min bulk ESS",
            "min tail ESS",
            "divergences",
            "flagged generations",
        ],
    )
    for s in settings:
        diag.add_row(*sampler_row(ds, s))
    console.print(diag)

    calib = tables.new_table(
        "calibration: share of true values (in the interior of their support) in central "
        "intervals, mean over replicates, and PIT uniformity p-value, at generation 0 and "
        "the last",
        [
            "setting",
            "generation",
            *[f"{q:.0%} interval" for q in ds["level"].values],
            "PIT p-value",
        ],
    )
    for s in settings:
        for g in (0, int(ds["generation"][-1])):
            row = ds.sel(setting=s, generation=g)
            cover = row["central_coverage"].mean("replicate").values
            p = pit_uniformity_pvalue(row["pit"].values)
            calib.add_row(s, str(g), *[f"{c:.3f}" for c in cover], f"{p:.2g}")
    console.print(calib)

    names = ("posterior_paths.png", "calibration.png", "drift.png")
    with contextlib.ExitStack() as stack:
        taken = [_reserve(stack, folder / name, args.force, (".png",)) for name in names]
        figures = (
            plot_posterior_paths(ds, tokens=args.tokens, replicate=args.replicate),
            plot_calibration(ds),
            plot_drift(ds),
        )
        for name, fig, reservation in zip(names, figures, taken, strict=True):
            _save_figure(fig, reservation, dpi=110)
            print(f"figure: {folder / name}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``bayescollapse`` command; returns the exit status."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # --help (0) or a usage error, already printed (2)
        return done.code if isinstance(done.code, int) else 0
    _RESERVED.clear()
    previous = _on_sigterm()
    try:
        return args.func(args)
    except (_UsageError, InputError, FileExistsError, FileNotFoundError) as err:
        print(f"bayescollapse: error: {err}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, Terminated) as err:
        written = [str(r.path) for r in _RESERVED if r.committed]
        what = f"after writing {', '.join(written)} (whole)" if written else "nothing was written"
        name = "SIGTERM" if isinstance(err, Terminated) else "interrupted"
        print(f"bayescollapse: {name}; {what}", file=sys.stderr)
        return 143 if isinstance(err, Terminated) else 130
    except Exception:  # a bug, not the user's input: say so, with the traceback
        traceback.print_exc()
        print(
            "bayescollapse: internal error (a bug, not a problem with your input); "
            "please report it with the traceback above",
            file=sys.stderr,
        )
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _on_sigterm():
    """Make SIGTERM raise Terminated (as SIGINT raises KeyboardInterrupt): clean exits.

    Returns the previous handler (None outside the main thread, where none is set).
    """
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    def terminate(number, frame):
        raise Terminated()

    return signal.signal(signal.SIGTERM, terminate)


if __name__ == "__main__":
    sys.exit(main())
