"""``bayescollapse run``: run a study and save it; its flags derive from the dataclasses.

The run's flags come from :class:`~bayescollapse.RunConfig`, the sampler's from
:class:`~bayescollapse.models.sampling.SamplerSettings`, the setting axes from
:class:`~bayescollapse.Setting` and the model's own from its family's parameters
dataclass: ``bayescollapse run --model NAME --help`` lists that family's flags, a family
a plug-in registers included (``--plugin MODULE --model NAME``).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

from bayescollapse.cli.common import (
    UsageError,
    load_toml,
    reserve_output,
    save_figure,
    user_input,
)
from bayescollapse.cli.flags import add_fields, memory_flag, output_flags, progress_flag

__all__ = ["HELP", "add_parser", "chosen_model", "config_from_args"]

HELP = "run a study and save it to NetCDF or Zarr"


def chosen_model(argv: list[str]) -> tuple[str | None, list[str]]:
    """Return the model and plug-ins a ``run`` command line names (flags, else its ``--config``).

    Read before the parser is built, so that the parser has the model's own flags. The
    plug-ins are imported here (a bad one is a one-line UsageError); a file that cannot
    be read is reported later, with the rest of the configuration.
    """
    from bayescollapse.models.registry import load_plugins

    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--model")
    pre.add_argument("--plugin", nargs="+", default=[])
    pre.add_argument("--config", type=Path)
    known, _ = pre.parse_known_args(argv)
    model, plugins = known.model, list(known.plugin)
    if known.config is not None:
        try:
            data = load_toml(known.config)
        except UsageError:
            data = {}
        file_plugins = data.get("plugins", [])
        if isinstance(file_plugins, list):
            plugins = [*file_plugins, *plugins]
        if model is None and isinstance(data.get("model"), str):
            model = data["model"]
    with user_input():
        load_plugins(plugins)
    return model, plugins


def add_parser(sub, model: str | None) -> None:
    """Add the ``run`` subcommand with the flags of ``model`` (the default model's if None)."""
    from bayescollapse.engine.config import RunConfig, Setting
    from bayescollapse.models import DEFAULT_METHOD, DEFAULT_MODEL, REGISTRY
    from bayescollapse.models.decoding import DECODERS
    from bayescollapse.models.registry import method_names
    from bayescollapse.models.sampling import SamplerSettings

    family = REGISTRY.get(model or DEFAULT_MODEL, REGISTRY[DEFAULT_MODEL])
    r = sub.add_parser(
        "run",
        help=HELP,
        description="Run a study. Setting flags take several values; the settings are their "
        "product (or, with --pairing zip, the values paired in order). Flags override the "
        "--config file. The model's own flags are those of --model (see `bayescollapse run "
        "--model NAME --help`).",
        parents=[
            output_flags(
                "results file: .nc (NetCDF) or .zarr (Zarr folder)",
                figure="also write a PNG of the error against the generation",
            ),
            progress_flag(),
            memory_flag(),
        ],
    )
    r.add_argument("--config", type=Path, help="TOML file with run keys and a [[settings]] list")
    run = r.add_argument_group("the run")
    add_fields(
        run,
        RunConfig,
        helps={
            "truth": f"the truth: a recipe or values (default for {family.name}: "
            f"{family.default_truth})"
        },
    )
    add_fields(r.add_argument_group("sampler and summaries"), SamplerSettings)
    axes = r.add_argument_group(
        "settings (each flag takes several values: a setting axis; several flags cross)"
    )
    add_fields(
        axes,
        Setting,
        helps={
            "method": f"fitting method of {family.name}: {' | '.join(method_names(family.name))} "
            f"(default {DEFAULT_METHOD})"
        },
    )
    axes.add_argument("--pairing", choices=("product", "zip"), default="product")
    for decoder in (d for d in DECODERS.values() if not d.builtin):  # a plug-in's rules
        axes.add_argument(
            f"--{decoder.name.replace('_', '-')}",
            dest=f"decoder:{decoder.name}",
            type=float,
            nargs="+",
            help=f"{decoder.help or 'a decoding rule a plug-in registered'} "
            f"(neutral {decoder.neutral:g})",
        )
    unknown = (
        f"model {model!r} is not registered (name its plug-in with --plugin); "
        if (model and model not in REGISTRY)
        else ""
    )
    own = r.add_argument_group(
        f"{unknown}model {family.name}: its own parameters (a prior flag with several values "
        "is a setting axis)"
    )
    add_fields(own, family.params)
    r.set_defaults(func=run_command, family=family)


def config_from_args(args: argparse.Namespace):
    """Merge the ``--config`` file and the flags into a :class:`RunConfig`.

    Without a ``settings`` list in the file, the setting flags form a grid. With one, the
    flags given are crossed with each listed setting (replacing those fields and any
    ``cross`` table of the file).
    """
    from bayescollapse.engine.config import RunConfig, Setting, check_methods, settings_grid
    from bayescollapse.models.params import param_fields
    from bayescollapse.models.registry import load_plugins
    from bayescollapse.models.sampling import SamplerSettings

    data = load_toml(args.config) if args.config else {}
    if args.plugins:
        data["plugins"] = [*data.get("plugins", ()), *args.plugins]
    load_plugins(data.get("plugins", ()))  # before any setting names a method they register
    for field in (*param_fields(RunConfig), *param_fields(SamplerSettings)):
        value = getattr(args, field.name, None)
        if value is not None and field.name != "plugins":
            data[field.name] = value
    family = args.family
    table = data.get("params") if isinstance(data.get("params"), dict) else data
    axes = {
        f.name: getattr(args, f.name)
        for f in param_fields(Setting)
        if getattr(args, f.name, None) is not None
    }
    check_methods(family.name, [axes])  # before the settings: only this model's methods
    for key, values in vars(args).items():  # decoding rules a plug-in registered
        if key.startswith("decoder:") and values is not None:
            axes[key.removeprefix("decoder:")] = values
    for field in param_fields(family.params):
        value = getattr(args, field.name, None)
        if value is None:
            continue
        if field.name in family.prior_fields and len(value) > 1:
            axes[field.name] = value  # several values of a prior make it a setting axis
        else:
            table[field.name] = value[0] if field.name in family.prior_fields else value
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


def run_command(args: argparse.Namespace) -> int:
    """Run the study the flags describe and write its results (and figure)."""
    from bayescollapse.engine.memory import check_memory

    with user_input():
        config = config_from_args(args)
        check_memory(config, args.memory_limit)
    stack = contextlib.ExitStack()
    with stack:
        out = reserve_output(stack, args.out, args.force, (".nc", ".zarr"))
        figure = reserve_output(stack, args.figure, args.force, (".png",))
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
    with user_input():  # a full disk is said in one line, the old file kept
        if config.keep_posteriors == "none":
            path = save_results(ds, args.out, overwrite=args.force, reservation=out)
        else:
            path = save_tree(tree, args.out, overwrite=args.force, reservation=out)
    tables.console().print(tables.summary_table(ds, generation=-1))
    for warning in config.family().warnings(ds):
        print(f"bayescollapse: warning: {warning}", file=sys.stderr)
    print(f"results: {path}")
    if figure is not None:
        from bayescollapse.present.plots import plot_error

        save_figure(plot_error(ds), figure, dpi=120)
        print(f"figure:  {args.figure}")
    return 0
