"""Tables the CLI prints: summaries, paired comparisons, the phase diagram, diagnostics.

Every table goes through :func:`console`, which prints labels literally (no emoji codes
such as ``:100:``, no markup in ``[...]``) and never wraps a number across lines; and every
mean goes through :func:`mean_se`, so an infinite value reads the same in every table.
"""

from __future__ import annotations

import io

import numpy as np
import xarray as xr
from rich.console import Console
from rich.table import Table

__all__ = [
    "console",
    "mean_se",
    "paired_table",
    "printable",
    "phase_table",
    "render",
    "summary_table",
]


def console(file=None, *, width: int | None = None) -> Console:
    """Return a Console that prints text literally; 200 columns when not on a terminal."""
    out = Console(file=file, emoji=False, markup=False, highlight=False, width=width)
    if width is None and not out.is_terminal:
        out = Console(file=file, emoji=False, markup=False, highlight=False, width=200)
    return out


def render(table: Table, *, width: int = 200) -> str:
    """Return the table as plain text, as :func:`console` prints it (for tests and logs)."""
    buf = io.StringIO()
    console(buf, width=width).print(table)
    return buf.getvalue()


def printable(text) -> str:
    r"""Return ``text`` with control characters written as escapes (````), never raw.

    Labels come from files, which may come from anyone: a terminal escape in a setting
    name must not reach the terminal.

    Examples
    --------
    >>> printable("red[31m")
    'red\\x1b[31m'
    """
    text = str(text)
    if text.isprintable():
        return text
    return "".join(
        c if c.isprintable() or c == " " else c.encode("unicode_escape").decode() for c in text
    )


class _Table(Table):
    """A rich Table whose cells are printed literally (control characters escaped)."""

    def add_row(self, *cells, **kwargs) -> None:
        """Add a row, every string cell through :func:`printable`."""
        super().add_row(*(printable(c) if isinstance(c, str) else c for c in cells), **kwargs)


def new_table(title: str, columns: list[str], *, left: int = 1) -> Table:
    """Return a table whose first ``left`` columns are labels, the rest numbers (unwrapped)."""
    table = _Table(title=printable(title))
    for i, name in enumerate(columns):
        if i < left:
            table.add_column(name, overflow="fold")
        else:
            table.add_column(name, justify="right", no_wrap=True)
    return table


def mean_se(values) -> str:
    """``mean ± SE`` over replicates; ``inf in k/n`` where some are infinite; ``-`` if none.

    Examples
    --------
    >>> mean_se(np.array([1.0, 2.0, 3.0]))
    '2 ± 0.6'
    >>> mean_se(np.array([1.0, np.inf]))
    'inf in 1/2'
    >>> mean_se(np.array([np.nan, np.nan]))
    '-'
    """
    v = np.asarray(values, float).ravel()
    known = v[~np.isnan(v)]
    if known.size == 0:
        return "-"
    infinite = np.isinf(known)
    if infinite.any():
        return f"inf in {int(infinite.sum())}/{known.size}"
    mean = known.mean()
    se = known.std(ddof=1) / np.sqrt(known.size) if known.size > 1 else np.nan
    return f"{mean:.3g} ± {se:.1g}" if np.isfinite(se) and se > 0 else f"{mean:.3g}"


def summary_table(ds: xr.Dataset, *, generation: int) -> Table:
    """Mean ± SE over replicates of the model's summary columns at one generation.

    Raises
    ------
    ValueError
        If ``generation`` is out of range.
    """
    from bayescollapse.models import REGISTRY

    gens = ds.sizes["generation"]
    if not -gens <= generation < gens:
        raise ValueError(f"generation {generation} is out of range 0..{gens - 1}")
    row = ds.isel(generation=generation)
    family = REGISTRY[ds.attrs["model"]]
    t = int(row["generation"])
    sampler = [(f"max R-hat (gen {t})", "r_hat_max"), (f"divergences (gen {t})", "divergences")]
    columns = [*family.summary_columns, *[c for c in sampler if c[1] in family.variables]]
    table = new_table(
        f"generation {int(row['generation'])}: mean ± standard error over "
        f"{ds.sizes['replicate']} replicates",
        ["regime", "fit", *[title for title, _ in columns]],
        left=2,
    )
    for setting in ds["setting"].values:
        cells = [str(ds["group"].sel(setting=setting).values)]
        cells.append(str(ds["fit_label"].sel(setting=setting).values))
        for _, var in columns:
            v = row[var].sel(setting=setting).values
            if var == "r_hat_max":
                cells.append("-" if np.all(np.isnan(v)) else f"{np.nanmax(v):.3f}")
            elif var == "divergences":  # one count per sampler run (block): a sum over blocks
                cells.append("-" if np.all(np.isnan(v)) else f"{int(np.nansum(v))}")
            else:
                cells.append(mean_se(v))
        table.add_row(*cells)
    return table


def paired_table(cmp: xr.Dataset, *, generation: int) -> Table:
    """Tabulate the paired differences of :func:`~.paired.compare` at one generation.

    ``z`` is the difference over its paired SE: with ``n`` pairs it follows Student's t
    with ``n - 1`` degrees of freedom, not the normal, so the two-sided p-value is read
    from t (``p (t)``), which matters with few pairs (at 8 pairs |z| = 2.4 gives p = 0.05,
    where the normal would say 0.016).
    """
    from scipy import stats

    row = cmp.isel(generation=generation)
    table = new_table(
        f"generation {int(row['generation'])}: {cmp.attrs['metric']} minus the "
        f"{cmp.attrs['baseline_fit']!r} fit of the same regime (same real data), over "
        f"paired replicates",
        ["regime", "fit", "difference", "paired SE", "unpaired SE", "z", "p (t)", "pairs"],
        left=2,
    )
    for setting in cmp["setting"].values:
        r = row.sel(setting=setting)
        if not str(r["baseline"].values):
            continue
        table.add_row(
            str(r["group"].values),
            str(r["fit_label"].values),
            f"{float(r['difference']):.3g}",
            f"{float(r['paired_se']):.2g}",
            f"{float(r['unpaired_se']):.2g}",
            f"{float(r['z']):.1f}",
            _t_pvalue(stats, float(r["z"]), int(r["pairs"])),
            f"{int(r['pairs'])}",
        )
    return table


def _t_pvalue(stats, z: float, pairs: int) -> str:
    """Return the two-sided p-value of a paired z with ``pairs`` pairs (t, pairs - 1 dof)."""
    if pairs < 2 or not np.isfinite(z):
        return "-"
    return f"{2 * stats.t.sf(abs(z), pairs - 1):.2g}"


def phase_table(ds: xr.Dataset) -> Table:
    """Tabulate the simulated regime against the exact expected curve's, per grid point."""
    gammas = [f"gamma={g:g}" for g in ds["sim_gamma"].values]
    table = new_table(
        "simulated regime (trend test) / regime of the exact expected curve",
        ["prior a0", "beta", *gammas],
        left=2,
    )
    for a0 in ds["prior_concentration"].values:
        for b in ds["sim_beta"].values:
            row = ds.sel(prior_concentration=a0, sim_beta=b)
            cells = [
                f"{sim}" if sim == exp else f"{sim} / {exp}"
                for sim, exp in zip(
                    row["sim_regime"].values, row["expected_regime"].values, strict=True
                )
            ]
            table.add_row("MLE" if a0 == 0 else f"{a0:g}", f"{b:g}", *cells)
    return table
