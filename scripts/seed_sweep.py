"""Run seed-dependent statistical tests at many seeds and count failures (not part of make test).

A test whose comment states a false-alarm rate f should fail about f x seeds times; a
test that fails more often is miscalibrated, whatever its committed seed does.

    .venv/bin/python scripts/seed_sweep.py [--seeds 20]
"""

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from test_posteriors import generation_zero_calibration  # noqa: E402

#: test name -> (check taking a seed, stated false-alarm rate)
CHECKS = {"generation_zero_calibration": (generation_zero_calibration, 1.1e-3)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    args = parser.parse_args()
    for name, (check, rate) in CHECKS.items():
        failed = []
        for seed in range(1000, 1000 + args.seeds):
            try:
                check(seed)
            except AssertionError:
                failed.append(seed)
        print(
            f"{name}: {len(failed)} of {args.seeds} seeds failed "
            f"(expected {rate * args.seeds:.2g}); failing seeds: {failed or 'none'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
