"""Run every benchmark of this folder and write ``RESULTS.md``: one row per claim.

Each benchmark prints its measurements and, last, the line with its ratio; this script
runs each in its own process (so each pays its own imports and compilation, as a user
would), collects those lines, and writes them with the machine, the date and the library
versions. ``make bench`` runs it.
"""

from __future__ import annotations

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
    rows, failed = [], []
    for script in sorted(HERE.glob("bench_*.py")):
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
    ]
    for name, doc, result, details, elapsed, _ in rows:
        out.append(f"| `{name}` | {doc} | **{result}** | {details} | {elapsed:.0f} s |")
    for name, doc, *_, tables in rows:
        if tables:
            out += ["", f"## `{name}`", "", doc, "", *tables]
    if failed:
        out += ["", f"Failed to run: {', '.join(failed)}."]
    (HERE / "RESULTS.md").write_text("\n".join(out) + "\n")
    print(f"wrote {HERE / 'RESULTS.md'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
