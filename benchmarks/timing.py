"""Timing helpers the benchmark scripts share (not a benchmark: ``run_all`` runs ``bench_*``)."""

import subprocess
import time


def best_process(argv: list[str], repeats: int) -> float:
    """Seconds of the fastest of ``repeats`` runs of a whole process, timed from outside.

    The best, not the mean: a busy moment of the shared machine only slows some runs.
    """
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return min(times)


def best_call(fn, *args, repeats: int = 3):
    """Return the seconds of the fastest of ``repeats`` calls ``fn(*args)``, and its result."""
    best, result = float("inf"), None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - start)
    return best, result
