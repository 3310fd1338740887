"""Claim: ``bayescollapse --help`` answers in under 0.5 s, and a tiny run that writes its
results takes at most 2x the time of ``python -c "import xarray"``.

Each is a whole process, timed from outside (best of 5, so a busy moment of the shared
machine does not count): the import of xarray, ``bayescollapse --help`` and
``bayescollapse run --generations 2 --replicates 2 --out tiny.nc``.
"""

import sys
import tempfile
from pathlib import Path

from timing import best_process

CLI = str(Path(sys.executable).with_name("bayescollapse"))


def best(argv: list[str]) -> float:
    return best_process(argv, repeats=5)


def main():
    with tempfile.TemporaryDirectory() as folder:
        out = str(Path(folder) / "tiny.nc")
        xarray = best([sys.executable, "-c", "import xarray"])
        help_ = best([CLI, "--help"])
        tiny = best(
            [CLI, "run", "--generations", "2", "--replicates", "2", "--out", out, "--force"]
            + ["--no-progress"]
        )
    print(f"import xarray {xarray:.2f} s, --help {help_:.2f} s, tiny run {tiny:.2f} s")
    print(
        f"--help {help_:.2f} s (target < 0.5 s); tiny run {tiny / xarray:.2f}x import xarray "
        "(target <= 2x)"
    )


if __name__ == "__main__":
    main()
