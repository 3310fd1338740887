"""Sphinx configuration of the bayescollapse documentation (``make docs``).

Built offline with every warning an error. Two pages are written at build time from the
package itself, so they cannot drift from it: the command-line reference (each
subcommand's ``--help``, and ``run``'s for every registered model) and the getting-started
figure (a small study run by the build).
"""

from __future__ import annotations

import contextlib
import io
import shutil
from pathlib import Path

import bayescollapse

HERE = Path(__file__).parent
GENERATED = HERE / "_generated"

project = "bayescollapse"
author = "the bayescollapse developers"
release = version = bayescollapse.__version__
extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "numpydoc",
    "sphinx.ext.mathjax",
    "sphinx_gallery.gen_gallery",
]
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3  # links to a section of another page: page.md#its-title
# the gallery: every examples/plot_*.py runs in the build; its figures are the ones it drew
sphinx_gallery_conf = {
    "examples_dirs": str(HERE.parent / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "abort_on_example_error": True,
    "download_all_examples": False,
    "show_memory": False,
    "reset_modules": ("matplotlib",),
    "write_computation_times": False,
}
# the report and the figures it shows are served beside the site (report/index.html)
html_extra_path = ["_generated/site"]
source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build"]
html_theme = "pydata_sphinx_theme"
html_title = f"bayescollapse {version}"
html_static_path = ["_static"]
html_css_files = ["wide.css"]
# pages without sub-pages need no section navigation: the article takes its width
html_sidebars = {
    page: []
    for page in (
        "getting-started",
        "api",
        "report",
        "benchmarks",
        "benchmark-results",
        "development",
        "contributing",
        "_generated/cli",
    )
}
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
    """Run the getting-started page's Python block as it stands; it saves the figure."""
    text = (HERE / "getting-started.md").read_text(encoding="utf-8")
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    with contextlib.chdir(GENERATED):
        exec(compile(code, "getting-started.md", "exec"), {"__name__": "getting_started"})


def _copy_report() -> None:
    """Serve the committed report and its figures (``../analyses/figures``) with the site."""
    site = GENERATED / "site"
    shutil.rmtree(site, ignore_errors=True)
    shutil.copytree(HERE.parent / "report", site / "report")
    shutil.copytree(HERE.parent / "analyses" / "figures", site / "analyses" / "figures")


def _module_references(app, what, name, obj, options, lines) -> None:
    """Show a module docstring's References as a rubric.

    numpydoc makes each References section a document-wide label, so two modules on the
    site (the theory pages) would clash.
    """
    if what != "module":
        return
    for i in range(len(lines) - 1):
        if lines[i] == "References" and set(lines[i + 1]) == {"-"}:
            lines[i : i + 2] = [".. rubric:: References", ""]
            return


def setup(app) -> None:
    """Write the generated pages before Sphinx reads the sources."""
    app.connect("autodoc-process-docstring", _module_references, priority=400)
    GENERATED.mkdir(exist_ok=True)
    _copy_report()
    _write_cli_reference()
    _write_first_figure()
