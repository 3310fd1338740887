"""Values that used to escape validation (issue 27, group 2): each is refused in one line
before any work, on every path it can come by, and nothing is written."""

from __future__ import annotations

import math

import pytest

from bayescollapse import RunConfig, Setting, run
from bayescollapse.cli import main


@pytest.mark.parametrize(
    "prior, message",
    [
        ({"prior_concentration": math.inf}, "prior_concentration inf is not a finite number"),
        ({"prior_kappa": math.nan}, "prior_kappa nan is not a finite number"),
        ({"prior_mean": -math.inf}, "prior_mean -inf is not a finite number"),
        ({"prior": 3}, "prior must be a string, got 3"),
    ],
)
def test_a_settings_own_prior_must_be_finite(prior, message):
    # the run's prior was checked; a setting's own was taken as it came (inf wrote NaN)
    with pytest.raises(ValueError, match=message):
        Setting(prior_params=prior)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--prior-concentration", "inf", "1"], "prior_concentration inf is not a finite"),
        (["--model", "gaussian", "--prior-kappa", "inf", "1"], "prior_kappa inf is not a"),
        (["--generations", str(10**18)], "generations 1000000000000000000 is more than"),
    ],
)
def test_the_command_line_refuses_them_before_the_run(argv, message, tmp_path, capsys):
    out = tmp_path / "r.nc"
    assert main(["run", *argv, "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_run_refuses_what_is_not_a_config():
    with pytest.raises(TypeError, match="config must be a RunConfig .* got str"):
        run("not a config")
    with pytest.raises(ValueError, match="generations 20000000 is more than 10,000,000"):
        RunConfig(generations=20_000_000)


def test_a_sweep_refuses_zero_workers_before_it_makes_its_store(tmp_path):
    # workers=0 meant one per core in Python while the CLI refused it
    from bayescollapse.engine.sweep import sweep

    store = tmp_path / "s.zarr"
    with pytest.raises(ValueError, match="workers 0 is not an integer >= 1"):
        sweep(RunConfig(generations=1, replicates=2, seed=1), store, workers=0)
    assert not store.exists()


def test_a_binary_config_file_is_named(tmp_path, capsys):
    config = tmp_path / "binary.toml"
    config.write_bytes(bytes(range(256)))
    assert main(["run", "--config", str(config), "--out", str(tmp_path / "r.nc")]) == 2
    assert f"config file {config} is not valid TOML: it is not UTF-8 text" in (
        capsys.readouterr().err
    )


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--horizon", str(10**12)], "theory values, more than 50,000,000"),
        (["--betas", "0:3:1000000000"], "NUM must be an integer in 1..1000"),
    ],
)
def test_phase_refuses_grids_that_cannot_fit(argv, message, tmp_path, capsys):
    # these ended in MemoryError
    assert main(["phase", *argv, "--out", str(tmp_path / "p.nc"), "--no-progress"]) == 2
    assert message in capsys.readouterr().err


def test_diagnose_checks_its_figures_folder_before_printing(tmp_path, capsys):
    from pathlib import Path

    results = Path(__file__).parents[1] / "golden" / "gaussian_fits.nc"
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["diagnose", str(results), "--figures", str(blocker / "sub")]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "is a file, not a folder" in captured.err
