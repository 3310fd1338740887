"""Run every benchmark of this folder and write ``RESULTS.md``: one row per claim.

Each benchmark prints its measurements and, last, the line with its ratio; this script
runs each in its own process (so each pays its own imports and compilation, as a user
would), collects those lines, and writes them with the machine, the date and the library
versions. ``make bench`` runs it; ``--only bench_a.py ...`` reruns those benchmarks and
replaces their rows (and tables) in the existing ``RESULTS.md``, keeping the others.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

HERE = Path(__file__).parent
LIBRARIES = ("bayescollapse", "numpy", "scipy", "xarray", "pymc", "nutpie", "arviz", "distributed")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", metavar="SCRIPT", help="rerun these, keep the rest")
    args = parser.parse_args()
    scripts = sorted(HERE.glob("bench_*.py"))
    if args.only:
        unknown = sorted(set(args.only) - {s.name for s in scripts})
        if unknown:
            parser.error(f"no benchmark {', '.join(unknown)}; see benchmarks/bench_*.py")
        scripts = [s for s in scripts if s.name in args.only]
    rows, failed = [], []
    for script in scripts:
        print(f"== {script.name}", flush=True)
        start = time.perf_counter()
        done = subprocess.run(
            [sys.executable, str(script)], capture_output=True, text=True, check=False
        )
        elapsed = time.perf_counter() - start
        lines = [line for line in done.stdout.splitlines() if line.strip()]
        print(done.stdout, end="")
        if done.returncode != 0 or not lines:
            failed.append(script.name)
            print(done.stderr[-2000:], file=sys.stderr)
            continue
        doc = " ".join(script.read_text().split('"""')[1].strip().split("\n\n")[0].split())
        tables = [line for line in lines[:-1] if line.startswith("|")]
        details = "; ".join(line for line in lines[:-1] if not line.startswith("|"))
        rows.append((script.name, doc, lines[-1], details, elapsed, tables))
    machine = (
        f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )
    versions = ", ".join(f"{name} {version(name)}" for name in LIBRARIES)
    if args.only:
        return _merge(rows, failed, machine, versions)
    out = [
        "# Benchmark results",
        "",
        f"Written by `make bench` on {datetime.date.today().isoformat()}. Machine: {machine}.",
        f"Versions: {versions}.",
        "",
        "Each row is one claim, measured side by side in one run (the ratio is the claim;",
        "absolute times vary on a shared machine). Rerun with `make bench`.",
        "",
        "| benchmark | claim | result | measurements | wall time |",
        "| --- | --- | --- | --- | --- |",
        *(_row(*row) for row in rows),
    ]
    for name, doc, *_, tables in rows:
        if tables:
            out += ["", f"## `{name}`", "", doc, "", *tables]
    if failed:
        out += ["", f"Failed to run: {', '.join(failed)}."]
    (HERE / "RESULTS.md").write_text("\n".join(out) + "\n")
    print(f"wrote {HERE / 'RESULTS.md'}")
    return 1 if failed else 0


def _row(name, doc, result, details, elapsed, _tables) -> str:
    return f"| `{name}` | {doc} | **{result}** | {details} | {elapsed:.0f} s |"


def _merge(rows, failed, machine, versions) -> int:
    """Replace the rerun benchmarks' rows and tables in RESULTS.md (rows in name order)."""
    lines = (HERE / "RESULTS.md").read_text().splitlines()
    table = {line.split("`")[1]: line for line in lines if line.startswith("| `bench_")}
    table.update({row[0]: _row(*row) for row in rows})
    start = next(i for i, line in enumerate(lines) if line.startswith("| `bench_"))
    end = start + sum(1 for line in lines[start:] if line.startswith("| `bench_"))
    sections, current = {}, None  # "## `name`" sections after the table
    for line in lines[end:]:
        if line.startswith("## `"):
            current = line.split("`")[1]
            sections[current] = []
        elif current is not None and not line.startswith("Failed to run"):
            sections[current].append(line)
    for name, doc, *_, tables in rows:
        sections.pop(name, None)
        if tables:
            sections[name] = ["", doc, "", *tables, ""]
    notes = [line for line in lines[end:] if line.startswith("Rows of ")]  # earlier reruns
    notes.append(f"Rows of {', '.join(r[0] for r in rows)} rerun on {datetime.date.today()}.")
    out = [*lines[:start], *(table[k] for k in sorted(table)), "", *notes]
    for name in sorted(sections):
        out += ["", f"## `{name}`", *sections[name]]
    if failed:
        out += ["", f"Failed to run: {', '.join(failed)}."]
    text = "\n".join(out)
    while "\n\n\n" in text:
        text = text.replace("\n\n\n", "\n\n")
    (HERE / "RESULTS.md").write_text(text.rstrip("\n") + "\n")
    print(f"updated {HERE / 'RESULTS.md'} ({machine}; {versions})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
