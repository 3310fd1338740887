"""The same seed and configuration give the same PyMC results, bit for bit, whatever the
state of the compile cache, the process, or the number of Dask workers (issue 26).

Each run is a fresh Python process with its own PyTensor compile folder: empty (a cold
cache), then the same folder again (warm), then a sweep on 2 workers with another empty
folder. With Numba's fastmath on (PyTensor's default) the cold and the warm run of this
study differ (checked when the test was written); ``models.pymc_fit.exact_arithmetic``
turns it off.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import hashlib, sys
    from bayescollapse import RunConfig, Setting, run
    from bayescollapse.engine.sweep import sweep
    from bayescollapse.io.results import open_results

    config = RunConfig(
        settings=(Setting(method="pymc", real_fraction="0.1", sample_size="1000"),),
        num_tokens=50, truth="zipf:1.1", generations=4, replicates=4, replicate_block=2,
        seed=2024, draws=200, tune=200,
    )
    if __name__ == "__main__":
        if sys.argv[1] == "run":
            ds = run(config)
        else:
            sweep(config, sys.argv[2], workers=2)
            ds = open_results(sys.argv[2])
        theta = ds["theta_mean"].transpose("setting", "replicate", "generation", "token")
        print(hashlib.sha1(theta.values.tobytes()).hexdigest())
    """
)


def _digest(tmp_path, cache: str, *args: str) -> str:
    script = tmp_path / "study.py"
    script.write_text(SCRIPT)
    env = {"PYTENSOR_FLAGS": f"base_compiledir={tmp_path / cache}"}
    done = subprocess.run(
        [sys.executable, str(script), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **env},
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout.strip().splitlines()[-1]


def test_pymc_results_do_not_depend_on_the_compile_cache_or_the_workers(tmp_path):
    cold = _digest(tmp_path, "cache_a", "run")
    warm = _digest(tmp_path, "cache_a", "run")
    swept = _digest(tmp_path, "cache_b", "sweep", str(tmp_path / "s.zarr"))
    assert cold == warm == swept
