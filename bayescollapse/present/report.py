"""The study report: each study's figures, parameters and numbers beside theory, as HTML.

A study (a script in ``analyses/``) returns a :class:`Study`: its figures, the parameters
and seed it ran with, and the :class:`Number` s that matter, each with its theory value
and standard error where one exists, so the report shows the z-score. :func:`write_report`
writes ``index.html`` with the figures copied beside it; ``make report`` runs every study
(``analyses/report.py``).

Examples
--------
>>> n = Number("stationary error", 0.0102, theory=0.0100, se=0.0001)
>>> round(n.z, 1)
2.0
"""

from __future__ import annotations

import datetime
import html
import json
import math
import os
import platform
from dataclasses import dataclass, field
from importlib.metadata import version
from pathlib import Path

import numpy as np

__all__ = ["Number", "Study", "load_studies", "write_report"]

LIBRARIES = ("bayescollapse", "numpy", "scipy", "xarray", "pymc", "nutpie", "arviz")


@dataclass(frozen=True)
class Number:
    """A number a study reports, with its theory value and standard error if it has them.

    ``z`` is ``(value - theory) / se``; ``bound`` says what |z| the study accepts (its
    stated tolerance), so the report marks numbers that lie outside. ``dof``, for an SE
    estimated from few replicates or pairs (``pairs - 1``), makes the bound a Student-t
    one with the same tail probability (:attr:`limit`): 4 on the normal is 8.5 on t with
    7 degrees of freedom.
    """

    label: str
    value: float
    theory: float | None = None
    se: float | None = None
    bound: float | None = None
    unit: str = ""
    dof: float | None = None

    @property
    def exact(self) -> bool:
        """Whether the number has no noise (SE 0) and equals its theory: a check, not a z."""
        return self.theory is not None and self.se == 0 and self.value == self.theory

    @property
    def z(self) -> float:
        """Return the z-score against theory.

        NaN when there is no theory or SE, and for an exact equality (a zero SE makes no
        z: the report says "exact" rather than print z = 0 as agreement); infinite for a
        value off its theory with a zero SE.
        """
        if self.theory is None or self.se is None or math.isnan(self.se) or self.exact:
            return math.nan
        if self.se == 0:  # an exact miss
            return math.inf
        return (self.value - self.theory) / self.se

    @property
    def limit(self) -> float | None:
        """Return the |z| the number may reach: the bound, on Student's t with ``dof``."""
        if self.bound is None or self.dof is None:
            return self.bound
        from scipy import stats

        return float(stats.t.ppf(stats.norm.cdf(self.bound), self.dof))

    @property
    def agrees(self) -> bool | None:
        """Whether |z| is within the limit, or the number is exact (None: no bound or z)."""
        if self.bound is None:
            return None
        if self.exact:
            return True
        if math.isnan(self.z):
            return None
        return abs(self.z) <= self.limit


@dataclass
class Study:
    """What one study gives the report (see the module docstring)."""

    key: str
    title: str
    caption: str
    figures: list[Path]
    params: dict
    seed: int
    numbers: list[Number] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    wall_seconds: float = math.nan


def _relative(path, out: Path) -> str:
    """Return ``path`` relative to the report folder ``out`` (how the page refers to it)."""
    return Path(os.path.relpath(Path(path).resolve(), out.resolve())).as_posix()


def _record(s: Study, out: Path) -> dict:
    """Return a study as JSON, its figures relative to ``out``."""
    return {
        "title": s.title,
        "caption": s.caption,
        "figures": [_relative(p, out) for p in s.figures],
        "params": {str(k): str(v) for k, v in s.params.items()},
        "seed": s.seed,
        "numbers": [
            {
                "label": n.label,
                "value": n.value,
                "theory": n.theory,
                "se": n.se,
                "bound": n.bound,
                "unit": n.unit,
                "dof": n.dof,
                "z": None if math.isnan(n.z) else n.z,
            }
            for n in s.numbers
        ],
        "findings": s.findings,
        "wall_seconds": s.wall_seconds,
    }


def load_studies(out: Path | str) -> dict[str, Study]:
    """Read the studies of a built report (``out/studies.json``) back, by key.

    Returns an empty dict when the report has not been built.
    """
    out = Path(out)
    path = out / "studies.json"
    if not path.exists():
        return {}
    studies = {}
    for key, r in json.loads(path.read_text()).items():
        numbers = [Number(**{k: v for k, v in n.items() if k != "z"}) for n in r["numbers"]]
        studies[key] = Study(
            key=key,
            title=r["title"],
            caption=r["caption"],
            figures=[out / f for f in r["figures"]],
            params=r["params"],
            seed=r["seed"],
            numbers=numbers,
            findings=r["findings"],
            wall_seconds=r["wall_seconds"],
        )
    return studies


def _fmt(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if value == 0 or 1e-3 <= abs(value) < 1e5:
        return f"{value:.4g}"
    return f"{value:.3e}"


def _numbers_table(numbers: list[Number]) -> str:
    rows = []
    for n in numbers:
        verdict = "exact" if n.exact else {None: "", True: "agrees", False: "OUTSIDE"}[n.agrees]
        bound = "" if n.bound is None else f" (|z| &le; {n.bound:g})"
        if n.bound is not None and n.dof is not None:
            bound = f" (|t| &le; {n.limit:.2g}, {n.dof:g} dof: z {n.bound:g} on t)"
        rows.append(
            "<tr>"
            f"<td>{html.escape(n.label)}</td><td>{_fmt(n.value)} {html.escape(n.unit)}</td>"
            f"<td>{_fmt(n.theory)}</td><td>{_fmt(n.se)}</td><td>{_fmt(n.z)}</td>"
            f"<td class='{verdict.lower()}'>{verdict}"
            f"{bound if verdict in ('agrees', 'OUTSIDE') else ''}</td>"
            "</tr>"
        )
    head = (
        "<tr><th>quantity</th><th>simulated</th><th>theory</th><th>SE</th><th>z</th><th></th></tr>"
    )
    return f"<table class='numbers'>{head}{''.join(rows)}</table>"


def _params_table(params: dict, seed: int) -> str:
    cells = "".join(
        f"<tr><td>{html.escape(str(k))}</td><td>{html.escape(str(v))}</td></tr>"
        for k, v in {**params, "seed": seed}.items()
    )
    return f"<table class='params'>{cells}</table>"


def machine() -> str:
    """Return the machine and library versions, one line."""
    libs = ", ".join(f"{name} {version(name)}" for name in LIBRARIES)
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}; {libs}"
    )


_STYLE = """
body { font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em;
       color: #222; line-height: 1.45; }
h1 { margin-bottom: 0.2em; } h2 { border-top: 1px solid #ccc; padding-top: 1em; }
figure { margin: 1em 0; } figure img { max-width: 100%; border: 1px solid #eee; }
figcaption { font-size: 0.92em; color: #444; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.92em; }
td, th { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: left; }
table.numbers td:nth-child(n+2) { font-variant-numeric: tabular-nums; text-align: right; }
.outside { color: #b00; font-weight: bold; } .agrees, .exact { color: #070; }
.meta { color: #555; font-size: 0.9em; }
ul.toc { list-style: none; padding-left: 0; }
"""


def write_report(studies: list[Study], out: Path | str, *, quick: bool = False) -> Path:
    """Write ``out/index.html``, referring to every study's figures by relative paths.

    Also writes ``out/studies.json``: every study whole (numbers with value, theory, SE, z
    and bound; figures; parameters; wall time), for scripts that read the report and for
    :func:`load_studies`, so one study can be rerun and the page rebuilt around it.

    Returns the path of ``index.html``. The full report's figures live in
    ``analyses/figures`` (committed); a quick build writes its own beside its index.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    total = sum(s.wall_seconds for s in studies if not math.isnan(s.wall_seconds))
    size = "QUICK sizes (a check that everything runs, not the results)" if quick else "full sizes"
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        "<title>bayescollapse: studies of model collapse</title>",
        f"<style>{_STYLE}</style></head><body>",
        "<h1>bayescollapse: studies of model collapse</h1>",
        f"<p class='meta'>Built {datetime.datetime.now().isoformat(timespec='seconds')}, "
        f"{size}, {total / 60:.1f} min in all. Machine: {html.escape(machine())}.</p>",
        "<p class='meta'>Numbers are means over replicates unless their label says "
        "otherwise; where a closed form exists it stands beside the simulation with the "
        "standard error, the z-score and the tolerance the study states. Rebuild with "
        "<code>make report</code> (<code>make report QUICK=1</code> for a few-minute "
        "check).</p>",
        "<ul class='toc'>",  # the titles carry their own numbers
        *(f"<li><a href='#{s.key}'>{html.escape(s.title)}</a></li>" for s in studies),
        "</ul>",
    ]
    for s in studies:
        parts.append(f"<h2 id='{s.key}'>{html.escape(s.title)}</h2>")
        parts.append(
            f"<p class='meta'>Wall time {s.wall_seconds:.0f} s. "
            f"Script: <code>analyses/{s.key}.py</code>.</p>"
        )
        for i, path in enumerate(s.figures, start=1):  # one caption, under the last figure
            source = _relative(path, out)
            alt = html.escape(f"{s.title} (figure {i} of {len(s.figures)})")
            caption = (
                f"<figcaption>{html.escape(s.caption)}</figcaption>" if i == len(s.figures) else ""
            )
            parts.append(f"<figure><img src='{html.escape(source)}' alt='{alt}'>{caption}</figure>")
        if s.findings:
            items = "".join(f"<li>{html.escape(f)}</li>" for f in s.findings)
            parts.append(f"<ul class='findings'>{items}</ul>")
        if s.numbers:
            parts.append(_numbers_table(s.numbers))
        parts.append("<details><summary>Parameters</summary>")
        parts.append(_params_table(s.params, s.seed))
        parts.append("</details>")
    parts.append("</body></html>")
    index = out / "index.html"
    index.write_text("\n".join(parts), encoding="utf-8")
    record = {s.key: _record(s, out) for s in studies}
    (out / "studies.json").write_text(json.dumps(record, indent=1, default=str))
    return index


def mean_se(values, dim: str = "replicate") -> tuple[float, float]:
    """Return the mean of ``values`` over ``dim`` and its standard error (NaNs skipped).

    A numpy array (one value per replicate) is taken as it is.

    Examples
    --------
    >>> import xarray as xr
    >>> mean, se = mean_se(xr.DataArray([1.0, 2.0, 3.0], dims="replicate"))
    >>> mean, round(se, 6)  # sd 1 over sqrt(3)
    (2.0, 0.57735)
    >>> mean_se(np.array([1.0, 2.0, 3.0])) == (mean, se)
    True
    """
    if not hasattr(values, "dims"):
        import xarray as xr

        values = xr.DataArray(np.ravel(values), dims=dim)
    count = int(values.notnull().sum(dim))
    return float(values.mean(dim)), float(values.std(dim, ddof=1)) / math.sqrt(count)


def study_main(study) -> None:
    """Run ``study(quick=..., figures=...)`` from a script's command line and print it.

    ``--quick`` runs the small sizes; ``--figures DIR`` writes the figures there (default:
    the study's own, ``analyses/figures``).
    """
    import argparse
    import time

    parser = argparse.ArgumentParser(description=(study.__doc__ or "").split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes (a few minutes)")
    parser.add_argument("--figures", type=Path, help="folder of the figures")
    args = parser.parse_args()
    start = time.perf_counter()
    result = study(quick=args.quick, figures=args.figures)
    result.wall_seconds = time.perf_counter() - start
    print(f"{result.title} ({result.wall_seconds:.0f} s)")
    for line in result.findings:
        print(f"  {line}")
    for n in result.numbers:
        theory = "" if n.theory is None else f"  theory {_fmt(n.theory)}  z {_fmt(n.z)}"
        print(f"  {n.label}: {_fmt(n.value)}{theory}")
    for path in result.figures:
        print(path)


def smaller(config, *, replicates: int | None = None, generations: int | None = None):
    """Return ``config`` with fewer replicates or generations (a study's quick size).

    The replicate block is reset to one block, since the old one may not divide the new
    number of replicates.
    """
    from dataclasses import replace

    changes = {"replicate_block": None}
    if replicates is not None:
        changes["replicates"] = replicates
    if generations is not None:
        changes["generations"] = generations
    return replace(config, **changes)


def save_figure(fig, folder: Path, name: str) -> Path:
    """Save ``fig`` as ``folder/name`` at the report's resolution, close it, return the path."""
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
