"""Run every fast statistical test at many seeds and count failures (not part of make test).

A statistical test states a law and a tolerance of z standard errors, so it should fail
about as often as its comment says (a few in ten thousand), whatever its committed seed
does. This script runs the tests marked ``statistical`` (tests/conftest.py marks those
whose code states a law or a z tolerance) once per salt; ``--seed-salt`` mixes the salt
into every seed numpy is given, so each run draws new data. It prints, per test that
failed at all, how many salts failed.

    .venv/bin/python scripts/seed_sweep.py [--salts 20] [-k EXPR]
"""

import argparse
import collections
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--salts", type=int, default=20)
    parser.add_argument("-k", default=None, help="only the tests pytest -k selects")
    args = parser.parse_args()
    failures: collections.Counter = collections.Counter()
    tests = 0
    start = time.monotonic()
    for salt in range(1, args.salts + 1):
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-m",
            "statistical and not slow",
            f"--seed-salt={salt}",
            "-rf",
            "--no-header",
        ]
        if args.k:
            cmd += ["-k", args.k]
        out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True).stdout
        failed = re.findall(r"^FAILED (\S+)", out, flags=re.MULTILINE)
        failures.update(failed)
        counts = re.search(r"(\d+) passed", out)
        tests = max(tests, (int(counts.group(1)) if counts else 0) + len(failed))
        print(f"salt {salt}: {len(failed)} failed {failed or ''}", flush=True)
    print(f"\n{tests} statistical tests x {args.salts} salts in {time.monotonic() - start:.0f} s")
    for name, count in failures.most_common():
        print(f"  {count:3d} of {args.salts}: {name}")
    print(f"total failures {sum(failures.values())} of {tests * args.salts} runs")
    return 0


if __name__ == "__main__":
    sys.exit(main())
