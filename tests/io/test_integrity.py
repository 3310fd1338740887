"""Damage to a saved result is found, named in one line, and never read as data.

Each test plants one kind of damage (a deleted chunk, a flipped byte, a deleted metadata
file, a deleted variable) and checks that ``verify``, ``open_results`` and the CLI name it.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from bayescollapse import RunConfig, Setting, open_results, run, save_results
from bayescollapse.cli import main
from bayescollapse.io.integrity import Damaged, verify
from bayescollapse.io.storage import write_atomic

GOLDEN = Path(__file__).parents[1] / "golden"


@pytest.fixture(scope="module")
def results():
    config = RunConfig(
        settings=(Setting(method="mle", name="m"), Setting(method="conjugate", name="c")),
        num_tokens=6,
        generations=2,
        replicates=2,
        seed=3,
    )
    return run(config)


@pytest.fixture
def store(results, tmp_path):
    path = tmp_path / "r.zarr"
    save_results(results, path)
    return path


def _chunk(store: Path, name: str) -> Path:
    """Return the one chunk file of a variable of a small result."""
    (chunk,) = (p for p in (store / name / "c").rglob("*") if p.is_file())
    return chunk


def _flip(chunk: Path, at: int = 3) -> None:
    data = bytearray(chunk.read_bytes())
    data[at] ^= 0x01
    chunk.write_bytes(bytes(data))


def test_an_intact_store_has_every_chunk_checksummed_and_no_damage(store):
    found = verify(store)
    assert found.damage == [] and found.checksum == "crc32c"
    assert found.arrays > 40 and found.chunks >= found.arrays
    # a variable NaN for every MLE fit still has its chunk on disk: absence is damage
    assert (store / "pit" / "c").is_dir()


def test_a_deleted_chunk_is_named_and_never_read_as_nan(store, capsys):
    _chunk(store, "tv_to_truth").unlink()  # its only chunk
    assert [str(d) for d in verify(store).damage] == ["tv_to_truth: 1 chunk missing"]
    with pytest.raises(Damaged, match=r"r.zarr is damaged: tv_to_truth: 1 chunk missing;"):
        open_results(store)
    assert main(["summarize", str(store)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "tv_to_truth: 1 chunk missing" in err[0]


def test_a_flipped_byte_fails_its_checksum(store, capsys):
    _flip(_chunk(store, "theta_mean"))
    assert [str(d) for d in verify(store).damage] == ["theta_mean: 1 chunk failing its checksum"]
    with pytest.raises(Damaged, match="theta_mean: 1 chunk failing its checksum"):
        open_results(store)
    assert main(["diagnose", str(store), "--figures", str(store.parent / "f")]) == 2
    assert "theta_mean: 1 chunk failing its checksum" in capsys.readouterr().err


def test_deleted_metadata_and_a_deleted_variable_are_named(store):
    (store / "entropy" / "zarr.json").unlink()
    shutil.rmtree(store / "pit")
    found = sorted(str(d) for d in verify(store).damage)
    assert found == [
        "entropy: its metadata (zarr.json) is missing",
        "pit: missing (recorded as stored)",
    ]


def test_verify_command_reports_and_sets_its_exit_status(store, capsys):
    assert main(["verify", str(store)]) == 0
    assert "crc32c checksums checked; no damage" in capsys.readouterr().out
    _flip(_chunk(store, "entropy"))
    assert main(["verify", str(store)]) == 1
    captured = capsys.readouterr()
    assert "1 damaged" in captured.out
    assert captured.err.strip() == "damaged: entropy: 1 chunk failing its checksum"
    assert main(["verify", str(store.parent / "none.zarr")]) == 2


def test_netcdf_variables_carry_fletcher32_and_a_damaged_one_is_named(tmp_path, capsys):
    # a large incompressible variable fills the middle of the file: a byte flipped there
    # lies in its data, which HDF5 checks against the chunk's Fletcher-32 sum
    rng = np.random.default_rng(0)
    ds = xr.Dataset({"big": ("x", rng.random(200_000)), "small": ("y", np.arange(5.0))})
    path = tmp_path / "d.nc"
    write_atomic(ds, path)
    assert verify(path).checksum == "fletcher32" and verify(path).damage == []
    _flip(path, at=path.stat().st_size // 2)
    assert [d.node for d in verify(path).damage] == ["big"]
    assert main(["verify", str(path)]) == 1
    assert "damaged: big: unreadable" in capsys.readouterr().err


def test_a_file_written_before_checksums_is_checked_for_what_can_be():
    found = verify(GOLDEN / "categorical_fits.nc")
    assert found.checksum == "" and found.damage == []
    assert "no checksums" in found.summary()
