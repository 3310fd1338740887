"""``bayescollapse diagnose``: sampler diagnostics, calibration and drift, with figures."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

from bayescollapse.cli.common import (
    UsageError,
    open_run,
    plugin_flag,
    report_missing_units,
    reserve_output,
    save_figure,
)

__all__ = ["add_parser"]


def add_parser(sub) -> None:
    """Add the ``diagnose`` subcommand."""
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
        help="parameters whose posterior path is drawn (the categorical model's tokens)",
    )
    d.add_argument("--replicate", type=int, default=0, help="replicate of the posterior paths")
    d.add_argument("--force", action="store_true", help="overwrite existing figures")
    plugin_flag(d)
    d.set_defaults(func=diagnose_command)


def diagnose_command(args: argparse.Namespace) -> int:
    """Print the sampler and calibration tables and write the figures of a saved run."""
    from bayescollapse.present.posterior_plots import (
        bayesian_settings,
        plot_calibration,
        plot_drift,
        plot_posterior_paths,
    )

    ds, family, _ = open_run(args.file, args.plugins)
    report_missing_units(args.file, ds)
    folder = args.figures or args.file.with_name(f"{args.file.stem}_diagnostics")
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--figures {folder} is a file, not a folder")
    settings = bayesian_settings(ds)
    if not settings:
        raise UsageError(f"{args.file} has no Bayesian setting (conjugate or pymc) to diagnose")
    try:
        family.path_panels(ds, args.tokens)
    except ValueError as err:
        raise UsageError(f"--tokens: {err}") from None
    if not 0 <= args.replicate < ds.sizes["replicate"]:
        raise UsageError(
            f"--replicate {args.replicate} is out of range 0..{ds.sizes['replicate'] - 1}"
        )
    calibrated = {"central_coverage", "pit"} <= set(family.variables)
    sampled = {"r_hat_max", "ess_bulk_min", "divergences"} <= set(family.variables)
    # each figure is drawn when the family records what it shows
    drawers = {
        "posterior_paths.png": (
            bool(family.path_panels(ds, args.tokens)),
            lambda: plot_posterior_paths(ds, tokens=args.tokens, replicate=args.replicate),
        ),
        "calibration.png": (calibrated, lambda: plot_calibration(ds)),
        "drift.png": ("kl_posterior_to_prev" in family.variables, lambda: plot_drift(ds)),
    }
    names = [name for name, (shown, _) in drawers.items() if shown]
    with contextlib.ExitStack() as stack:  # the figures' places are checked before the tables
        taken = [reserve_output(stack, folder / name, args.force, (".png",)) for name in names]
        _print_tables(ds, settings, calibrated=calibrated, sampled=sampled)
        figures = [drawers[name][1]() for name in names]
        for name, fig, reservation in zip(names, figures, taken, strict=True):
            save_figure(fig, reservation, dpi=110)
            print(f"figure: {folder / name}")
    return 0


def _print_tables(ds, settings: list[str], *, calibrated: bool, sampled: bool) -> None:
    """Print the sampler diagnostics and the calibration, where the family records them."""
    from bayescollapse.metrics import pit_uniformity_pvalue
    from bayescollapse.metrics.pit import MIN_REPLICATES
    from bayescollapse.present import tables
    from bayescollapse.present.diagnostics import RULE, sampler_row

    console = tables.console()
    diag = tables.new_table(
        f"sampler diagnostics ({RULE})",
        [
            "setting",
            "max R-hat (all gens)",
            "R-hat > 1.01",
            "min bulk ESS (all gens)",
            "min tail ESS (all gens)",
            "divergences (all gens)",
            "flagged generations",
        ],
    )
    for s in settings if sampled else ():
        diag.add_row(*sampler_row(ds, s))
    if sampled:
        console.print(diag)

    calib = tables.new_table(
        "calibration: share of true values (in the interior of their support) in central "
        "intervals, mean over replicates, and the PIT uniformity p-value (replicates the "
        f"unit, n/a below {MIN_REPLICATES}; the band of calibration.png), at generation 0 "
        "and the last",
        [
            "setting",
            "generation",
            *[f"{q:.0%} interval" for q in ds["level"].values],
            "PIT p-value",
        ],
    )
    if not calibrated:
        return
    for s in settings:
        for g in (0, int(ds["generation"][-1])):
            row = ds.sel(setting=s, generation=g)
            cover = row["central_coverage"].mean("replicate").values
            p = pit_uniformity_pvalue(row["pit"].values)
            shown = f"{p:.2g}" if p == p else "n/a"  # NaN: too few replicates
            calib.add_row(s, str(g), *[f"{c:.3f}" for c in cover], shown)
    console.print(calib)
