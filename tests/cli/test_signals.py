"""Faults with real processes: signals mid-run and mid-write, two writers, kill -9 and rerun.

Each test runs the ``bayescollapse`` command in its own process and sends it real
signals. The run writes a 12 MB NetCDF file (K = 3000 tokens, 100 replicates, 40
generations), whose compressed write takes about 1.5 s: long enough to signal it mid-write.
"""

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import xarray as xr

ARGS = ["--method", "mle", "--tokens", "3000", "--replicates", "100", "--generations", "40"]
_STARTED: list[subprocess.Popen] = []


@pytest.fixture(autouse=True)
def _reap():
    """Kill and reap every process a test started, whatever became of the test."""
    yield
    while _STARTED:
        proc = _STARTED.pop()
        if proc.poll() is None:
            proc.kill()
        proc.communicate()


def _default_signals() -> None:
    """Give the child the default SIGINT and SIGTERM handling.

    A test runner's worker may ignore them, and Python keeps an inherited ignore (then no
    KeyboardInterrupt is raised), as a shell's nohup would want.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _start(out: Path, *extra: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "bayescollapse.cli", "run", *ARGS, "--seed", "1"]
    proc = subprocess.Popen(
        [*cmd, "--out", str(out), "--no-progress", *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_default_signals,
    )
    _STARTED.append(proc)
    return proc


def _wait_for(condition, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError("timed out")
        time.sleep(0.002)


def _writing(out: Path) -> bool:
    return any(p.stat().st_size > 0 for p in out.parent.glob(f".{out.name}.tmp*/{out.name}"))


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}."))


def _finish(proc: subprocess.Popen) -> tuple[int, str]:
    _, err = proc.communicate(timeout=60)  # a hang fails here
    return proc.returncode, err


@pytest.mark.parametrize(
    ("sig", "code", "name"), [(signal.SIGINT, 130, "interrupted"), (signal.SIGTERM, 143, "SIGTERM")]
)
def test_signal_mid_write_finishes_the_write_and_says_so(tmp_path, sig, code, name):
    out = tmp_path / "r.nc"
    proc = _start(out)
    _wait_for(lambda: _writing(out))
    proc.send_signal(sig)
    status, err = _finish(proc)
    assert status == code, err
    assert f"bayescollapse: {name}; after writing {out} (whole)" in err
    assert "Traceback" not in err
    assert xr.open_dataset(out)["theta_mean"].sizes["token"] == 3000  # whole and readable
    assert _leftovers(out) == []


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_signal_mid_run_writes_nothing_and_leaves_nothing(tmp_path, sig, code):
    out = tmp_path / "r.nc"
    proc = _start(out)
    _wait_for(lambda: (tmp_path / ".r.nc.lock").exists())  # reserved: the run is under way
    time.sleep(0.3)
    proc.send_signal(sig)
    status, err = _finish(proc)
    assert status == code, err
    assert "nothing was written" in err and "Traceback" not in err
    assert not out.exists() and _leftovers(out) == []


def test_two_runs_to_one_path_cannot_both_succeed(tmp_path):
    out = tmp_path / "r.nc"
    first, second = _start(out), _start(out)
    results = [_finish(first), _finish(second)]
    codes = sorted(status for status, _ in results)
    assert codes == [0, 2], results
    refused = next(err for status, err in results if status == 2)
    assert "is writing" in refused or "exists" in refused
    assert xr.open_dataset(out)["theta_mean"].sizes["token"] == 3000
    assert _leftovers(out) == []


@pytest.mark.slow
def test_kill_9_then_rerun_cleans_up_and_succeeds(tmp_path):
    out = tmp_path / "r.nc"
    proc = _start(out)
    _wait_for(lambda: (tmp_path / ".r.nc.lock").exists())
    proc.kill()
    proc.communicate()
    assert _leftovers(out)  # kill -9 leaves its lock and temporary folder
    status, err = _finish(_start(out))
    assert status == 0, err
    assert xr.open_dataset(out)["theta_mean"].sizes["token"] == 3000
    assert _leftovers(out) == []


@pytest.mark.slow
def test_force_overwrite_of_a_tree_keeps_a_whole_result_under_its_name(tmp_path):
    # a kept-posterior tree in Zarr, overwritten with --force while a reader polls its name:
    # the name always holds a whole tree (renameat2 swaps the folders in one step)
    out = tmp_path / "t.zarr"
    base = [
        sys.executable,
        "-m",
        "bayescollapse.cli",
        "run",
        "--generations",
        "2",
        "--replicates",
        "2",
        "--keep-posteriors",
        "all",
        "--out",
        str(out),
        "--no-progress",
    ]
    assert subprocess.run([*base, "--seed", "1"], capture_output=True).returncode == 0
    proc = subprocess.Popen(
        [*base, "--seed", "2", "--force"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    seen = 0
    while proc.poll() is None:
        assert out.exists()
        seen += 1
        time.sleep(0.001)
    _, err = proc.communicate()
    assert proc.returncode == 0, err
    assert seen > 0
    from bayescollapse.io.storage import open_tree

    assert open_tree(out)["results"].attrs["seed"] == 2  # the new tree, whole
    assert _leftovers(out) == []
