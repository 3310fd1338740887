"""Writes that are atomic and exclusive: reservations, locks, swaps and their recovery."""

import os
import signal
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

from bayescollapse.io import storage
from bayescollapse.io.storage import reserve, write_atomic


def _ds(value=1.0):
    return xr.Dataset({"x": ("i", np.full(3, value))})


def _leftovers(folder, name):
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(f".{name}."))


def test_a_reservation_locks_and_cleans_up(tmp_path):
    path = tmp_path / "a.nc"
    with reserve(path) as taken:
        assert (tmp_path / ".a.nc.lock").read_text() == str(os.getpid())
        assert taken.temp.exists() and taken.temp.parent.parent == tmp_path
        taken.commit(lambda temp: _ds().to_netcdf(temp))
    assert taken.committed
    assert xr.open_dataset(path)["x"].values.tolist() == [1.0, 1.0, 1.0]
    assert _leftovers(tmp_path, "a.nc") == []


def test_an_abandoned_reservation_leaves_nothing(tmp_path):
    path = tmp_path / "a.nc"
    with pytest.raises(RuntimeError), reserve(path):
        raise RuntimeError("the run failed")
    assert not path.exists() and _leftovers(tmp_path, "a.nc") == []


def test_a_second_writer_is_refused_while_the_first_holds_the_lock(tmp_path):
    path = tmp_path / "a.nc"
    holder = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], stdout=subprocess.DEVNULL
    )
    try:
        (tmp_path / ".a.nc.lock").write_text(str(holder.pid))
        with pytest.raises(FileExistsError, match=f"pid {holder.pid}") as err, reserve(path):
            pass
        assert "\n" not in str(err.value)
        assert (tmp_path / ".a.nc.lock").read_text() == str(holder.pid)  # not taken from it
    finally:
        holder.kill()
        holder.wait()


def test_a_dead_owners_lock_and_temporary_files_are_taken_over(tmp_path):
    # what kill -9 leaves: a lock naming a process that no longer exists, and its temp folder
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    (tmp_path / ".a.nc.lock").write_text(dead.stdout.strip())
    stale = tmp_path / ".a.nc.tmpdead"
    stale.mkdir()
    (stale / "a.nc").write_bytes(b"x" * 1000)
    write_atomic(_ds(), tmp_path / "a.nc")
    assert (tmp_path / "a.nc").exists() and _leftovers(tmp_path, "a.nc") == []


def test_new_files_are_linked_so_an_appearing_file_is_never_replaced(tmp_path):
    path = tmp_path / "a.nc"
    with pytest.raises(FileExistsError), reserve(path) as taken:
        path.write_bytes(b"someone else's")  # appears between the check and the move
        taken.commit(lambda temp: _ds().to_netcdf(temp))
    assert path.read_bytes() == b"someone else's"
    assert _leftovers(tmp_path, "a.nc") == []


@pytest.mark.parametrize("exchange", [True, False])
def test_overwriting_a_folder_swaps_it_whole(tmp_path, monkeypatch, exchange):
    path = tmp_path / "a.zarr"
    write_atomic(_ds(1.0), path)
    if not exchange:  # a filesystem without renameat2: the two-rename fallback
        monkeypatch.setattr(storage, "_exchange", lambda a, b: False)
    write_atomic(_ds(2.0), path, overwrite=True)
    assert xr.open_zarr(path, consolidated=False)["x"].values.tolist() == [2.0, 2.0, 2.0]
    assert _leftovers(tmp_path, "a.zarr") == []


def test_a_crash_between_the_fallbacks_renames_is_repaired(tmp_path):
    # the old result was moved aside and the process died before the new one moved in
    path = tmp_path / "a.zarr"
    write_atomic(_ds(1.0), path)
    os.rename(path, tmp_path / ".a.zarr.old")
    with reserve(path, overwrite=True):
        assert path.exists()  # the old result is back under its name before anything else
    assert xr.open_zarr(path, consolidated=False)["x"].values.tolist() == [1.0, 1.0, 1.0]
    assert _leftovers(tmp_path, "a.zarr") == []


def test_signals_during_a_write_are_held_until_it_is_whole(tmp_path):
    path = tmp_path / "a.nc"

    def write(temp):
        os.kill(os.getpid(), signal.SIGINT)  # arrives mid-write
        _ds().to_netcdf(temp)

    with pytest.raises(KeyboardInterrupt), reserve(path) as taken:
        taken.commit(write)
    assert taken.committed and xr.open_dataset(path)["x"].size == 3
    assert _leftovers(tmp_path, "a.nc") == []


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("x.csv", "must end in .nc or .nc4 or .netcdf or .zarr"),
        ("file/x.nc", "a part of its folder is a file"),
        ("a" * 300 + ".nc", "the file name is too long"),
    ],
)
def test_unwritable_places_are_refused_before_any_work(tmp_path, name, message):
    (tmp_path / "file").write_text("")
    with pytest.raises(ValueError, match=message) as err, reserve(tmp_path / name):
        pass
    assert "\n" not in str(err.value) and ".tmp" not in str(err.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_refused(tmp_path):
    folder = tmp_path / "ro"
    folder.mkdir(mode=0o555)
    with pytest.raises(ValueError, match="its folder is not writable"), reserve(folder / "a.nc"):
        pass


def test_a_full_disk_during_the_write_is_one_line_and_keeps_the_old_result(tmp_path):
    # the device fills up mid-write (simulated: the writer raises ENOSPC): one line naming the
    # user's path, the earlier result untouched, no temporary files left
    import errno

    path = tmp_path / "a.nc"
    write_atomic(_ds(1.0), path)
    before = path.read_bytes()

    def full(temp):
        temp.write_bytes(b"partial")
        raise OSError(errno.ENOSPC, "No space left on device", str(temp))

    with pytest.raises(ValueError, match=f"cannot write {path}: no space left") as err:
        with reserve(path, overwrite=True) as taken:
            taken.commit(full)
    assert "\n" not in str(err.value) and ".tmp" not in str(err.value)
    assert path.read_bytes() == before and _leftovers(tmp_path, "a.nc") == []


def test_an_unwritable_folder_is_named_even_for_root(tmp_path, monkeypatch):
    # root writes into read-only folders, so the refusal is simulated where it happens
    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path))

    monkeypatch.setattr(storage.tempfile, "mkdtemp", refuse)
    with pytest.raises(ValueError, match="its folder is not writable"), reserve(tmp_path / "a.nc"):
        pass
    assert list(tmp_path.iterdir()) == []


def test_saving_netcdf_does_not_import_distributed(tmp_path):
    # xarray asks Dask for its scheduler on every NetCDF write, and Dask imports
    # distributed (0.2 s) to answer; with no client possible the write skips the probe,
    # restores it after, and the file reads back equal
    code = (
        "import sys\n"
        "from xarray.backends import locks, writers\n"
        "from bayescollapse import RunConfig, open_results, run, save_results\n"
        "ds = run(RunConfig(generations=1, replicates=2, seed=1))\n"
        f"save_results(ds, {str(tmp_path / 'r.nc')!r})\n"
        "assert 'distributed' not in sys.modules\n"
        "assert writers.get_dask_scheduler is locks.get_dask_scheduler\n"
        f"assert open_results({str(tmp_path / 'r.nc')!r}).equals(ds)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_cli_run_does_not_import_dask_and_leaves_xarray_as_it_was(tmp_path):
    # without Dask imported no Dask array can exist: a CLI run tells xarray so instead of
    # letting it import dask (0.1-0.2 s); afterwards xarray sees the real Dask again, so a
    # chunked array still works. Catches a stub left in xarray's cache on exit.
    out = str(tmp_path / "r.nc")
    code = (
        "import sys\n"
        "from bayescollapse.cli import main\n"
        f"assert main(['run', '--generations', '1', '--replicates', '2', '--out', {out!r}, "
        "'--no-progress']) == 0\n"
        "assert 'dask' not in sys.modules, 'dask imported'\n"
        "import dask.array as da, xarray as xr\n"
        "from xarray.namedarray.pycompat import array_type\n"
        "assert array_type('dask') == (da.Array,)\n"
        "x = xr.DataArray(da.zeros(4, chunks=2))\n"
        "assert x.chunks == ((2, 2),) and x.sum().compute() == 0\n"
        f"assert xr.open_dataset({out!r}, chunks={{}})['theta_mean'].chunks is not None\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
