"""A full disk is a one-line error: the old file kept, nothing left behind (issue 27, 1).

The device is a 3 MB tmpfs the test mounts (root only; skipped where that is refused).
"""

from __future__ import annotations

import subprocess

import numpy as np
import pytest

from bayescollapse.cli import main

BIG = ["--tokens", "500", "--generations", "60", "--replicates", "20", "--method", "conjugate"]


@pytest.fixture
def full(tmp_path):
    folder = tmp_path / "small"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(folder)], capture_output=True
    )
    if mounted.returncode != 0:
        pytest.skip("a size-limited tmpfs cannot be mounted here")
    try:
        yield folder
    finally:
        # lazily: a library that failed mid-write may still hold its (deleted) file open
        subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@pytest.mark.parametrize("suffix", [".nc", ".zarr"])
def test_a_full_disk_is_one_line_and_leaves_nothing(full, suffix, capsys):
    out = full / f"r{suffix}"
    assert main(["run", *BIG, "--seed", "1", "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2  # the run's header line, then the error
    assert f"cannot write {out}: no space left on the device" in err[-1]
    assert "MB free; the results take up to" in err[-1]
    assert sorted(p.name for p in full.iterdir()) == []  # no temporary folder left


def test_a_full_disk_keeps_the_old_file_under_force(full, capsys):
    out = full / "r.nc"
    small = ["--generations", "1", "--replicates", "2", "--seed", "1"]
    assert main(["run", *small, "--out", str(out), "--no-progress"]) == 0
    before = out.read_bytes()
    argv = ["run", *BIG, "--seed", "2", "--out", str(out), "--force", "--no-progress"]
    assert main(argv) == 2
    assert "no space left on the device" in capsys.readouterr().err
    assert out.read_bytes() == before
    assert sorted(p.name for p in full.iterdir()) == ["r.nc"]


def test_a_sweep_onto_a_full_disk_keeps_its_done_units_and_resumes(full, tmp_path, capsys):
    # units that cannot be written fail in one line each; those written are kept; once the
    # device has room, the same command runs only the failed units and ends equal to run()
    from bayescollapse import RunConfig, open_results, run
    from bayescollapse.engine.sweep import store_status

    study = tmp_path / "big.toml"
    study.write_text(
        "num_tokens = 500\ngenerations = 40\nreplicates = 20\nreplicate_block = 10\n"
        'seed = 1\n[[settings]]\nmethod = "conjugate"\n[[settings]]\nmethod = "mle"\n'
    )
    store = full / "s.zarr"
    argv = ["sweep", str(study), "--out", str(store), "--workers", "1", "--no-progress"]
    assert main(argv) == 1
    err = capsys.readouterr().err
    failures = [line for line in err.splitlines() if "failed: OSError" in line]
    assert failures and all("No space left on device" in line for line in failures)
    assert "Traceback" not in err
    status = store_status(store)
    done = {u for u, r in status.items() if r["status"] == "done"}
    assert done and len(done) < 4
    grown = subprocess.run(["mount", "-o", "remount,size=64m", str(full)], capture_output=True)
    if grown.returncode != 0:
        pytest.skip("the tmpfs cannot be grown here")
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert f"units: {4 - len(done)} run, {len(done)} skipped as done, 0 failed" in out
    config = RunConfig.from_results(open_results(store))
    expected = run(config)
    for name in ("theta_mean", "tv_to_truth"):
        np.testing.assert_array_equal(open_results(store)[name].values, expected[name].values)
