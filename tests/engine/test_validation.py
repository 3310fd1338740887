"""Every bad value refused before the work, in one line naming it: Python, TOML and the CLI.

Each case asserts the one-line message names the value the user typed; the CLI cases
also assert exit status 2, no traceback, and no file created or changed.
"""

import os

import numpy as np
import pytest

from bayescollapse import RunConfig, Setting, run, save_results
from bayescollapse.cli import main
from bayescollapse.engine.validation import conform

# -- Python API -------------------------------------------------------------------------

API_CASES = [
    ({"draws": 2.5}, "draws 2.5 is not an integer"),
    ({"draws": "500"}, "draws '500' is not an integer"),
    ({"diagnostics_every": 0}, "diagnostics_every must be >= 1, got 0"),
    ({"retune": 0}, "retune must be >= 1, got 0"),
    ({"ess": 1}, r"ess must be >= chains \(2\), got 1"),
    ({"ess": 2.5}, "ess 2.5 is not an integer"),
    ({"adaptation": "warm"}, "adaptation must be 'carry' or 'fresh', got 'warm'"),
    ({"hdi_prob": "0.9"}, "hdi_prob '0.9' is not a finite number"),
    ({"replicate_block": 0}, "replicate_block 0 must be an integer >= 1"),
    ({"prior_concentration": float("inf")}, "prior_concentration inf is not a finite number"),
    ({"prior_concentration": float("nan")}, "prior_concentration nan is not a finite number"),
    ({"truth": "zipf:nan"}, "truth 'zipf:nan': the zipf exponent must be a finite number"),
    ({"truth": "values:inf,0", "num_tokens": 2}, r"truth probability inf \(token 0\)"),
    ({"truth": 5}, "truth 5 is not a string or a list of finite numbers"),
    ({"posterior_metrics": "no"}, "posterior_metrics 'no' is not true or false"),
    ({"keep_posteriors": 3}, "keep_posteriors 3 is not a string"),
    ({"coverage_levels": 0.5}, "coverage_levels 0.5 is not a list of finite numbers"),
    ({"settings": "mle"}, "settings 'mle' is not a list of settings"),
    ({"order": 2.0, "model": "markov"}, "order 2.0 is not an integer"),
    ({"seed": 2**64}, r"seed 18446744073709551616 is not an integer in \[0, 2\*\*63\)"),
    ({"seed": -1}, r"seed -1 is not an integer in \[0, 2\*\*63\)"),
    ({"generations": True}, "generations True is not an integer"),
    ({"replicates": 0}, "replicates must be an integer >= 1, got 0"),
    ({"model": "gaussian", "truth": "normal:nan:1"}, "the true mean nan is not a finite number"),
    ({"num_tokens": 10**9}, "needs .* for its truth and one fit alone"),
]


@pytest.mark.parametrize(("kwargs", "message"), API_CASES)
def test_python_api_refuses_bad_values_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message) as err:
        RunConfig(**kwargs)
    assert "\n" not in str(err.value)


SETTING_CASES = [
    ({"sample_size": 10.5}, "sample_size '10.5' gives 10.5; a sample size is a whole number"),
    ({"sample_size": "0"}, "sample_size '0' gives 0"),
    ({"real_fraction": "1.5"}, "real_fraction '1.5' gives 1.5"),
    ({"temperature": "hot"}, "temperature 'hot' is not a finite number"),
    ({"top_k": 2.5}, "top_k 2.5 is not an integer"),
    ({"method": 3}, "method 3 is not a string"),
    ({"real_weight": True}, "real_weight True is not a string"),
]


@pytest.mark.parametrize(("fields", "message"), SETTING_CASES)
def test_setting_fields_are_refused_by_name(fields, message):
    with pytest.raises(ValueError, match=message) as err:
        RunConfig(settings=(fields,), generations=2)
    assert "\n" not in str(err.value)


def test_numpy_scalars_are_the_numbers_they_hold():
    config = RunConfig(replicates=np.int64(2), num_tokens=np.int64(5), hdi_prob=np.float32(0.5))
    assert type(config.replicates) is int and config.replicates == 2
    assert type(config.hdi_prob) is float
    assert Setting(real_fraction=np.float64(0.25)).real_fraction == "0.25"


def test_conform_reads_unions_and_lists():
    assert conform("truth", [0.5, 0.5], str | tuple[float, ...] | None) == (0.5, 0.5)
    assert conform("seed", None, int | None) is None
    with pytest.raises(ValueError, match="levels 'a' is not a finite number"):
        conform("levels", ["a"], tuple[float, ...])


def test_memory_estimate_refuses_before_allocating():
    config = RunConfig(
        model="gaussian", settings=({"sample_size": "1e12", "synthetic": "predictive"},)
    )
    with pytest.raises(ValueError, match="needs about .* TB of memory .* the limit is") as err:
        run(config)
    assert "\n" not in str(err.value)
    small = RunConfig(generations=2, replicates=2, seed=1)
    with pytest.raises(ValueError, match="the limit is 1 KB"):
        run(small, memory_limit="1K")
    assert run(small, memory_limit="1G").sizes["generation"] == 3


def test_save_results_refuses_another_suffix(tmp_path):
    ds = run(RunConfig(generations=1, replicates=1, seed=1))
    with pytest.raises(ValueError, match="x.csv must end in .nc"):
        save_results(ds, tmp_path / "x.csv")
    assert list(tmp_path.iterdir()) == []


# -- TOML -------------------------------------------------------------------------------

TOML_CASES = [
    ('draws = "500"', "draws '500' is not an integer"),
    ('hdi_prob = "0.9"', "hdi_prob '0.9' is not a finite number"),
    ("coverage_levels = 0.5", "coverage_levels 0.5 is not a list of finite numbers"),
    ("truth = 5", "truth 5 is not a string or a list of finite numbers"),
    ("keep_posteriors = 3", "keep_posteriors 3 is not a string"),
    ('settings = "mle"', "settings 'mle' is not a list of settings"),
    ('model = "markov"\norder = 2.0', "order 2.0 is not an integer"),
    ("posterior_metrics = 1", "posterior_metrics 1 is not true or false"),
    (
        "replicates = 4\nreplicate_block = 3",
        "replicate_block 3 must be an integer >= 1 that divides",
    ),
    ("bogus = 1", "unknown config key 'bogus'"),
    ('[[settings]]\nmethod = "magic"', "method 'magic' does not fit model 'dirichlet-categorical'"),
    ("[[settings]]\ntop_p = 2", "top_p 2.0 is not a number in"),
]


@pytest.mark.parametrize(("text", "message"), TOML_CASES)
def test_toml_values_are_refused_by_name(tmp_path, capsys, text, message):
    toml = tmp_path / "study.toml"
    toml.write_text(text + "\n")
    out = tmp_path / "out.nc"
    code = main(["run", "--config", str(toml), "--out", str(out), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not out.exists()


# -- command line -----------------------------------------------------------------------

CLI_CASES = [
    (["--generations", "x"], "argument --generations: invalid int value: 'x'"),
    (["--bogus"], "unrecognized arguments: --bogus"),
    (["--diagnostics-every", "0"], "diagnostics_every must be >= 1, got 0"),
    (["--ess", "1"], "ess must be >= chains (2), got 1"),
    (["--retune", "0"], "retune must be >= 1, got 0"),
    (["--adaptation", "warm"], "adaptation"),
    (["--model", "lstm"], "model 'lstm' is not one of"),
    (["--tokens", "1"], "num_tokens must be an integer >= 2, got 1"),
    (["--sample-size", "0"], "sample_size '0' gives 0"),
    (["--sample-size", "10.5"], "sample_size '10.5' gives 10.5"),
    (["--seed", "18446744073709551616"], "seed 18446744073709551616 is not an integer"),
    (["--truth", "zipf:nan"], "the zipf exponent must be a finite number"),
    (["--truth", "values:inf,0", "--tokens", "2"], "truth probability inf (token 0)"),
    (["--prior-concentration", "inf"], "prior_concentration inf is not a finite number"),
    (["--hdi-prob", "1.5"], "hdi_prob"),
    (["--keep-posteriors", "some"], "keep_posteriors 'some' is not one of"),
    (["--replicates", "4", "--replicate-block", "3"], "replicate_block 3 must be"),
    (["--model", "gaussian", "--truth", "normal:nan:1"], "the true mean nan is not a finite"),
    (["--model", "gaussian", "--sample-size", "1e12", "--synthetic", "predictive"], "TB of memory"),
    (["--replicates", "100000000"], "TB of memory"),
    (["--tokens", "1000000000"], "for its truth and one fit alone"),
    (["--memory-limit", "lots"], "memory limit 'lots' is not a size"),
    (["--memory-limit", "1K"], "the limit is 1 KB"),
    (["--plugin", "no.such.module"], "no.such.module"),
    (["--real-fraction", "1.5"], "real_fraction '1.5' gives 1.5; values must lie in [0, 1]"),
    (
        ["--method", "magic"],
        "'magic' does not fit model 'dirichlet-categorical'; use one of mle, conjugate, pymc",
    ),
    (["--generations", "0"], "generations must be an integer >= 1, got 0"),
    (["--truth", "zipf"], "unknown truth 'zipf'"),
    (["--config", "/nonexistent.toml"], "config file /nonexistent.toml does not exist"),
    (["--top-p", "2"], "top_p 2.0 is not a number in (0, 1]"),
    (["--temperature", "0"], "temperature 0.0 is not a finite number > 0"),
    (["--real-weight", "1.2"], "real_weight '1.2' gives 1.2"),
    (["--real-data", "corpus"], "real_data 'corpus' is not one of fresh, fixed, resampled"),
    (["--variance-scale", "0.5"], "variance_scale 0.5 is the gaussian model's decoding"),
]


@pytest.fixture
def existing(tmp_path):
    path = tmp_path / "kept.nc"
    path.write_bytes(b"an earlier result")
    return path


def _assert_refused(code, err, message, tmp_path, existing):
    assert code == 2, err
    assert message in err, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert existing.read_bytes() == b"an earlier result"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept.nc"]


@pytest.mark.parametrize(("argv", "message"), CLI_CASES)
def test_cli_refuses_bad_input_in_one_line(tmp_path, capsys, existing, argv, message):
    code = main(["run", "--out", str(tmp_path / "new.nc"), "--no-progress", *argv])
    err = capsys.readouterr().err
    _assert_refused(code, err, message, tmp_path, existing)


OUTPUT_CASES = [
    (["--out", "{dir}/x.csv"], "x.csv must end in .nc or .zarr"),
    (["--out", "{dir}/kept.nc"], "kept.nc exists; pass --force to replace it"),
    (["--out", "{dir}/kept.nc/x.nc"], "a part of its folder is a file"),
    (["--out", "{dir}/" + "a" * 300 + ".nc"], "the file name is too long"),
    (["--out", "{dir}/y.nc", "--figure", "{dir}/y.jpg"], "y.jpg must end in .png"),
    (["--out", "{dir}/y.nc", "--figure", "{dir}/kept.nc/f.png"], "a part of its folder is a"),
]


@pytest.mark.parametrize(("argv", "message"), OUTPUT_CASES)
def test_unwritable_outputs_are_refused_before_the_run(tmp_path, capsys, existing, argv, message):
    argv = [a.format(dir=tmp_path) for a in argv]
    code = main(["run", "--no-progress", "--generations", "1", *argv])
    err = capsys.readouterr().err
    _assert_refused(code, err, message, tmp_path, existing)
    assert "setting(s) x" not in err  # refused before the run announced itself


def test_config_that_is_a_folder(tmp_path, capsys, existing):
    code = main(["run", "--config", str(tmp_path), "--out", str(tmp_path / "x.nc")])
    _assert_refused(
        code, capsys.readouterr().err, "is a folder, not a TOML file", tmp_path, existing
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--seed=-1"], "--seed -1 is not an integer in [0, 2**63)"),
        (["--generations", "0"], "--generations 0 must be an integer >= 1"),
        (["--tokens", "1"], "--tokens 1 must be an integer >= 2"),
    ],
)
def test_phase_refuses_before_its_theory_grid(tmp_path, capsys, existing, argv, message):
    code = main(["phase", "--out", str(tmp_path / "p.nc"), "--no-progress", *argv])
    _assert_refused(code, capsys.readouterr().err, message, tmp_path, existing)


def test_diagnose_keeps_its_figures_without_force(tmp_path, capsys):
    out = tmp_path / "r.nc"
    assert (
        main(
            [
                "run",
                "--out",
                str(out),
                "--generations",
                "2",
                "--replicates",
                "2",
                "--seed",
                "1",
                "--no-progress",
            ]
        )
        == 0
    )
    assert main(["diagnose", str(out), "--replicate", "99"]) == 2
    assert "--replicate 99 is out of range 0..1" in capsys.readouterr().err
    assert not (tmp_path / "r_diagnostics").exists()  # no empty figures folder
    assert main(["diagnose", str(out)]) == 0
    figure = tmp_path / "r_diagnostics" / "drift.png"
    before = figure.stat().st_mtime_ns
    capsys.readouterr()
    assert main(["diagnose", str(out)]) == 2
    assert "posterior_paths.png exists; pass --force" in capsys.readouterr().err
    assert figure.stat().st_mtime_ns == before
    assert main(["diagnose", str(out), "--force"]) == 0


def test_internal_errors_say_so_with_exit_1(tmp_path, capsys, monkeypatch):
    import bayescollapse.engine.loop

    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(bayescollapse.engine.loop, "run", broken)
    code = main(["run", "--out", str(tmp_path / "x.nc"), "--no-progress"])
    err = capsys.readouterr().err
    assert code == 1 and "internal error" in err and "please report it" in err
    assert not (tmp_path / "x.nc").exists() and os.listdir(tmp_path) == []
