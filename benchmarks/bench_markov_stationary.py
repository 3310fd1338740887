"""Claim: a Markov generation (order 1, V = 20) is >= 10x faster than when the issue was
filed, when the stationary law took 500 power iterations three times per generation.

The same study (MLE, 20 replicates, 100 sequences of 20 tokens per generation, 30
generations) is timed side by side in one run, each in its own process (best of 3 after a
warm-up; three processes a side, alternated): with this tree, and with the tree of the
commit before the first speed change (``BASELINE``, taken from git history with ``git
archive``). The same study forced through power iteration in this tree (``SOLVE_LIMIT =
0``) is timed too: what solving the law alone is worth now; its results agree with the
solved law's to 1e-9.
"""

import os
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

import numpy as np
from timing import best_call

from bayescollapse import RunConfig, Setting, run
from bayescollapse.models.markov import chain as markov_chain

#: the commit before the first speed change for the issue (power iteration, token loop)
BASELINE = "fb7dec9^"
ROOT = Path(__file__).resolve().parent.parent

CONFIG = RunConfig(
    model="markov",
    num_tokens=20,
    order=1,
    sequence_length=20,
    settings=(Setting(method="mle", real_fraction="0.1", sample_size="100"),),
    generations=30,
    replicates=20,
    seed=1,
)

TIMER = """
import time
from bayescollapse import RunConfig, Setting, run
config = RunConfig(model="markov", num_tokens=20, order=1, sequence_length=20,
    settings=(Setting(method="mle", real_fraction="0.1", sample_size="100"),),
    generations=30, replicates=20, seed=1)
run(config)
best = float("inf")
for _ in range(3):
    start = time.perf_counter()
    run(config)
    best = min(best, time.perf_counter() - start)
print(best / 31)
"""


def in_process(path: str | None) -> float:
    """Seconds per generation of the study, in a new process (``path``: a tree to import)."""
    env = {"PYTHONPATH": path} if path else {}
    out = subprocess.run(
        [sys.executable, "-c", TIMER],
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        cwd=path or None,
    )
    return float(out.stdout.split()[-1])


def baseline_tree(folder: Path) -> Path | None:
    """Unpack the baseline's package (``models/`` inside it, as installed); None if no git."""
    try:
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", BASELINE, "bayescollapse", "models"],
            check=True,
            capture_output=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    (folder / "models").rename(folder / "bayescollapse" / "models")
    return folder


def timed() -> tuple[float, object]:
    run(CONFIG)  # warm
    best, ds = best_call(run, CONFIG)
    return best / (CONFIG.generations + 1), ds


def main():
    solved, a = timed()
    limit = markov_chain.SOLVE_LIMIT
    markov_chain.SOLVE_LIMIT = 0
    try:
        iterated, b = timed()
    finally:
        markov_chain.SOLVE_LIMIT = limit
    assert np.allclose(a["kl_rate"], b["kl_rate"], atol=1e-9, rtol=0)
    with tempfile.TemporaryDirectory() as folder:
        tree = baseline_tree(Path(folder))
        now, then = float("inf"), float("inf")
        for _ in range(3):  # alternated, so a busy spell of the machine hits both sides
            now = min(now, in_process(None))
            then = min(then, in_process(str(tree))) if tree else float("nan")
    print(
        f"per generation: now {now * 1e3:.1f} ms; at filing ({BASELINE}) {then * 1e3:.1f} ms; "
        f"this tree forced through power iteration {iterated * 1e3:.1f} ms "
        f"(solved in-process {solved * 1e3:.1f} ms)"
    )
    print(f"now vs at filing: {then / now:.1f}x faster (target >= 10x)")


if __name__ == "__main__":
    main()
