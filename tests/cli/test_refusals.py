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


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("missing.txt", None, "does not exist"),
        ("empty.txt", b"", r"has 0 token\(s\); an order-1 chain needs more than 1"),
        ("binary.txt", bytes(range(128, 256)), "is not UTF-8 text"),
    ],
)
def test_a_text_truth_is_read_with_care(name, content, message, tmp_path):
    # an empty or binary file was an "unknown markov truth"; /dev/zero was read forever
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ValueError, match=message):
        RunConfig(model="markov", truth=f"text:{path}")
    with pytest.raises(ValueError, match="text file /dev/zero is not a regular file"):
        RunConfig(model="markov", truth="text:/dev/zero")


def test_a_text_truth_larger_than_the_bound_is_refused(tmp_path, monkeypatch):
    from bayescollapse.models.markov import chain

    monkeypatch.setattr(chain, "MAX_TEXT_BYTES", 10)
    path = tmp_path / "big.txt"
    path.write_text("a b c d e f g h")
    with pytest.raises(ValueError, match="is larger than"):
        RunConfig(model="markov", truth=f"text:{path}")


def test_a_sequence_length_past_its_bound_is_refused():
    with pytest.raises(ValueError, match="sequence_length must be an integer in 1..1,000,000"):
        RunConfig(model="markov", sequence_length=10**18)


def test_a_broken_link_at_the_output_is_refused_before_the_run(tmp_path, capsys):
    out = tmp_path / "r.nc"
    out.symlink_to(tmp_path / "missing" / "r.nc")
    assert main(["run", "--generations", "1", "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "which is missing); pass --force" in err and "setting(s)" not in err


def test_a_bad_scheduler_address_is_refused_before_the_store(tmp_path, monkeypatch):
    import distributed

    from bayescollapse.engine.sweep import open_client, sweep

    store = tmp_path / "s.zarr"
    for address in ("foo", "inproc://nothing"):  # an in-process address means nothing here
        with pytest.raises(ValueError, match=f"scheduler '{address}' is not a Dask scheduler"):
            sweep(RunConfig(generations=1, replicates=2, seed=1), store, scheduler=address)
        assert not store.exists()

    def unreachable(address, **_):
        raise OSError(f"Timed out trying to connect to {address}")

    monkeypatch.setattr(distributed, "Client", unreachable)
    with pytest.raises(ValueError, match="cannot reach the Dask scheduler at tcp://127.0.0.1:1"):
        with open_client(scheduler="tcp://127.0.0.1:1"):
            pass


@pytest.mark.parametrize("name", [".", "..", "__zarr", "red\x1b[31m", "  "])
def test_a_setting_name_that_cannot_name_a_group_is_refused(name):
    # '..' wrote kept posteriors at the store's root; control characters reach terminals
    with pytest.raises(ValueError, match="cannot name a stored group"):
        Setting(name=name)


def test_two_names_that_share_a_group_are_refused_before_the_run():
    with pytest.raises(ValueError, match=r"are stored under one group name 'a_b'"):
        RunConfig(settings=(Setting(name="a/b", method="mle"), Setting(name="a_b")))


@pytest.mark.parametrize(
    "field, spec",
    [("real_fraction", "nan"), ("sample_size", "list:10,nan"), ("real_weight", "nan")],
)
def test_a_nan_schedule_names_its_field(field, spec):
    with pytest.raises(ValueError, match=f"^{field} '{spec}': schedule parameters must be finite"):
        Setting(**{field: spec})


def test_plugins_are_code_and_come_only_from_where_the_user_installs_them(tmp_path, monkeypatch):
    # a results file or study naming "evilmod" does not run an ./evilmod.py beside it; a
    # relative name is refused; a results file's plug-ins are imported only when allowed
    import subprocess
    import sys
    from pathlib import Path

    from bayescollapse.models.registry import load_plugins

    (tmp_path / "evilmod.py").write_text("raise SystemExit('evil ran')\n")
    code = (
        "from bayescollapse.models.registry import load_plugins\n"
        "try:\n    load_plugins(['evilmod'])\nexcept ValueError as err:\n    print(err)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert "plugin module 'evilmod' cannot be imported" in out.stdout
    with pytest.raises(ValueError, match="plugin '.rel' is not an absolute module name"):
        load_plugins([".rel"])

    import xarray as xr

    golden = Path(__file__).parents[1] / "golden" / "categorical_options.nc"
    with xr.open_dataset(golden) as ds:
        attrs = dict(ds.attrs)
    monkeypatch.delitem(sys.modules, "bayescollapse.models.examples.add_one", raising=False)
    fake = xr.Dataset(attrs=attrs)
    with pytest.raises(ValueError, match="names plug-in.*add_one.*allow_plugins=True"):
        RunConfig.from_results(fake)
    assert RunConfig.from_results(fake, allow_plugins=True).plugins == (
        "bayescollapse.models.examples.add_one",
    )


@pytest.mark.parametrize("config", ["[[[", "[]", '{"params": 3}'])
def test_a_malformed_config_attribute_is_one_line(config, tmp_path, capsys):
    import shutil
    from pathlib import Path

    import netCDF4

    path = tmp_path / "bad.nc"
    shutil.copy(Path(__file__).parents[1] / "golden" / "gaussian_fits.nc", path)
    with netCDF4.Dataset(path, "a") as nc:
        nc.setncattr("config", config)
    assert main(["summarize", str(path)]) == 2
    err = capsys.readouterr().err
    assert "attribute 'config' is not a configuration" in err
    assert len(err.strip().splitlines()) == 1
    with pytest.raises(ValueError, match="attribute 'config' is not a configuration|params 3"):
        RunConfig.from_results(xr_attrs(config))


def xr_attrs(config):
    import xarray as xr

    return xr.Dataset(attrs={"config": config})


def test_escape_codes_in_a_files_labels_never_reach_the_terminal(tmp_path, capsys):
    # a results file from someone else may carry terminal escapes in its labels (they are
    # refused in new settings, but a file can be edited): tables print them escaped
    import shutil
    from pathlib import Path

    import netCDF4

    path = tmp_path / "escaped.nc"
    shutil.copy(Path(__file__).parents[1] / "golden" / "gaussian_fits.nc", path)
    with netCDF4.Dataset(path, "a") as nc:
        labels = nc["fit_label"][:]
        labels[0] = "mle\x1b]0;pwned\x07"
        nc["fit_label"][:] = labels
    assert main(["summarize", str(path)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out
    assert "mle\\x1b]0;pwned\\x07" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (
            ["--method", "bogus"],
            "method 'bogus' does not fit model 'dirichlet-categorical'; use "
            "one of mle, conjugate, pymc",
        ),
        (
            ["--model", "gaussian", "--method", "pymc-hierarchical"],
            "does not fit model 'gaussian'; use one of mle, unbiased, conjugate, pymc",
        ),
    ],
)
def test_a_method_error_lists_only_the_models_methods(argv, message, tmp_path, capsys):
    # it listed every family's methods (the Markov model's pymc-hierarchical, the
    # regression's ridge...) for the categorical model
    out = tmp_path / "r.nc"
    assert main(["run", *argv, "--out", str(out), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert message in err and "ridge" not in err and len(err.strip().splitlines()) == 1
    assert not out.exists()


def test_a_config_files_method_is_checked_against_its_model():
    with pytest.raises(ValueError, match="'ridge' does not fit model 'gaussian'; use one of mle"):
        RunConfig.from_dict({"model": "gaussian", "settings": [{"method": "ridge"}]})
    with pytest.raises(ValueError, match="method 3 is not a string"):  # not a crash
        RunConfig.from_dict({"model": "gaussian", "settings": [{"method": 3}]})
    with pytest.raises(ValueError, match="'ridge' does not fit model 'gaussian'"):
        RunConfig.from_dict({"model": "gaussian", "settings": [{}], "cross": {"method": ["ridge"]}})


def test_summarize_checks_its_metric_before_printing_anything(tmp_path, capsys):
    out = tmp_path / "r.nc"
    argv = ["--generations", "1", "--replicates", "2", "--seed", "1", "--no-progress"]
    argv += ["--method", "mle", "conjugate"]
    assert main(["run", *argv, "--out", str(out)]) == 0
    capsys.readouterr()
    for flags in (["--paired", "--metric", "bogus"], ["--metric", "bogus"]):
        assert main(["summarize", str(out), *flags]) == 2
        captured = capsys.readouterr()
        assert captured.out == ""  # no header, no table before the error
        assert "metric 'bogus' is not a per-replicate results variable" in captured.err
    assert main(["summarize", str(out), "--metric", "tv_to_truth"]) == 0  # implies --paired
    assert "paired" in capsys.readouterr().out.lower()
