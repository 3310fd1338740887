"""Sphinx configuration of the bayescollapse documentation (``make docs``).

Built offline with every warning an error. Two pages are written at build time from the
package itself, so they cannot drift from it: the command-line reference (each
subcommand's ``--help``, and ``run``'s for every registered model) and the getting-started
figure (a small study run by the build).
"""

from __future__ import annotations

import contextlib
import io
from pathlib import Path

import bayescollapse

HERE = Path(__file__).parent
GENERATED = HERE / "_generated"

project = "bayescollapse"
author = "the bayescollapse developers"
release = version = bayescollapse.__version__
extensions = ["myst_parser", "sphinx.ext.autodoc", "numpydoc", "sphinx.ext.mathjax"]
myst_enable_extensions = ["dollarmath", "colon_fence"]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build"]
html_theme = "pydata_sphinx_theme"
html_title = f"bayescollapse {version}"
html_theme_options = {"navigation_with_keys": False, "show_toc_level": 2}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
autodoc_typehints = "none"  # numpydoc's Parameters sections say the types
suppress_warnings = ["myst.header"]


def _help(argv: list[str]) -> str:
    """Return what ``bayescollapse ARGV`` prints."""
    from bayescollapse.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(argv)
    return out.getvalue()


def _write_cli_reference() -> None:
    from bayescollapse.models import REGISTRY

    parts = ["# Command-line reference", "", "Generated from the parser by the docs build.", ""]
    commands = [["--help"], *([c, "--help"] for c in ("sweep", "phase", "summarize"))]
    commands += [["diagnose", "--help"], ["verify", "--help"]]
    for argv in commands:
        title = " ".join(["bayescollapse", *argv[:-1]])
        parts += [f"## `{title}`", "", "```text", _help(argv).rstrip(), "```", ""]
    for model in REGISTRY:
        parts += [f"## `bayescollapse run --model {model}`", ""]
        parts += ["```text", _help(["run", "--model", model, "--help"]).rstrip(), "```", ""]
    (GENERATED / "cli.md").write_text("\n".join(parts), encoding="utf-8")


def _write_first_figure() -> None:
    """Run the getting-started study at a small size and save its figure."""
    from bayescollapse import RunConfig, run, settings_grid
    from bayescollapse.present.plots import plot_error

    settings = settings_grid(
        real_fraction=["zero", "0.2", "power:0.5:-0.5"],
        sample_size=["100"],
        method=["mle", "conjugate"],
    )
    config = RunConfig(settings=settings, num_tokens=20, generations=15, replicates=20, seed=1)
    plot_error(run(config, progress=False)).savefig(GENERATED / "first_study.png", dpi=90)


def setup(app) -> None:
    """Write the generated pages before Sphinx reads the sources."""
    GENERATED.mkdir(exist_ok=True)
    _write_cli_reference()
    _write_first_figure()
