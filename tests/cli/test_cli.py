import json

import numpy as np
import pytest
import xarray as xr

from bayescollapse import RunConfig
from bayescollapse.cli import main
from bayescollapse.io.results import open_results


def _run(tmp_path, *extra):
    out = tmp_path / "out.nc"
    argv = [
        "run",
        "--tokens",
        "5",
        "--generations",
        "3",
        "--replicates",
        "2",
        "--seed",
        "7",
        "--method",
        "mle",
        "conjugate",
        "--real-fraction",
        "zero",
        "0.5",
        "--sample-size",
        "40",
        "--out",
        str(out),
        "--no-progress",
        *extra,
    ]
    return main(argv), out


def test_run_writes_results_and_summary(tmp_path, capsys):
    code, out = _run(tmp_path, "--figure", str(tmp_path / "fig.png"))
    assert code == 0
    ds = open_results(out)
    assert ds.sizes == {
        "setting": 4,
        "replicate": 2,
        "generation": 4,
        "token": 5,
        "level": 3,
        "block": 1,
    }
    assert sorted(set(ds["fit_method"].values)) == ["conjugate", "mle"]
    cfg = RunConfig.from_dict(json.loads(ds.attrs["config"]))
    assert cfg.seed == 7 and cfg.num_tokens == 5
    assert (tmp_path / "fig.png").stat().st_size > 10_000
    printed = capsys.readouterr().out
    assert "TV to P*" in printed and str(out) in printed
    assert main(["summarize", str(out), "--generation", "0"]) == 0
    assert "generation 0" in capsys.readouterr().out


def test_zip_pairing_and_alpha_alias(tmp_path):
    out = tmp_path / "zip.nc"
    code = main(
        [
            "run",
            "--tokens",
            "4",
            "--generations",
            "2",
            "--replicates",
            "2",
            "--seed",
            "1",
            "--method",
            "mle",
            "--alpha",
            "0.1",
            "0.5",
            "--sample-size",
            "20",
            "80",
            "--pairing",
            "zip",
            "--out",
            str(out),
            "--no-progress",
        ]
    )
    assert code == 0
    ds = open_results(out)
    assert ds["real_fraction_schedule"].values.tolist() == ["0.1", "0.5"]
    assert ds["sample_size_schedule"].values.tolist() == ["20", "80"]


def test_decoding_weight_and_pool_flags_are_setting_axes(tmp_path):
    code, out = _run(
        tmp_path, "--top-k", "0", "3", "--real-weight", "none", "0.6", "--real-data", "fixed"
    )
    assert code == 0
    ds = open_results(out)
    assert ds.sizes["setting"] == 2 * 2 * 2 * 2  # method x alpha x top-k x weight
    assert set(ds["top_k"].values) == {0, 3}
    assert set(ds["real_weight_schedule"].values) == {"none", "0.6"}
    assert set(ds["real_data"].values) == {"fixed"}


def test_config_file_sets_decoding_and_weights(tmp_path):
    toml = tmp_path / "study.toml"
    toml.write_text(
        "num_tokens = 5\ngenerations = 2\nreplicates = 2\nseed = 3\ntail_rank = 2\n"
        '[[settings]]\nmethod = "mle"\nreal_fraction = "0.5"\nsample_size = "40"\n'
        'temperature = 0.5\ntop_p = 0.9\nreal_weight = "0.7"\n'
    )
    out = tmp_path / "c.nc"
    assert main(["run", "--config", str(toml), "--out", str(out), "--no-progress"]) == 0
    ds = open_results(out)
    assert float(ds["temperature"][0]) == 0.5 and float(ds["top_p"][0]) == 0.9
    np.testing.assert_array_equal(ds["real_weight"][0, 1:], [0.7, 0.7])
    assert ds["fit_label"].values[0] == "mle T=0.5 top-p=0.9 w=0.7"
    assert json.loads(ds.attrs["config"])["params"]["tail_rank"] == 2


def test_config_file_crossed_with_flags(tmp_path):
    toml = tmp_path / "study.toml"
    toml.write_text(
        "num_tokens = 4\ngenerations = 2\nreplicates = 2\nseed = 3\n"
        '[[settings]]\nname = "collapse"\nscheme = "replace"\nreal_fraction = "zero"\n'
        'sample_size = "20"\n'
        '[[settings]]\nname = "stable"\nreal_fraction = "0.3"\nsample_size = "20"\n'
        '[cross]\nmethod = ["conjugate"]\n'
    )
    out = tmp_path / "c.nc"
    assert (
        main(
            [
                "run",
                "--config",
                str(toml),
                "--method",
                "mle",
                "conjugate",
                "--out",
                str(out),
                "--no-progress",
            ]
        )
        == 0
    )
    ds = open_results(out)
    assert ds.sizes["setting"] == 4
    assert sorted(set(ds["group"].values)) == ["collapse", "stable"]


def test_existing_output_is_kept_without_force(tmp_path, capsys):
    code, out = _run(tmp_path)
    assert code == 0
    before = open_results(out)
    code, _ = _run(tmp_path, "--seed", "8")
    assert code == 2 and "--force" in capsys.readouterr().err
    xr.testing.assert_identical(open_results(out), before)
    code, _ = _run(tmp_path, "--force")
    assert code == 0


def test_summarize_bad_file(tmp_path, capsys):
    assert main(["summarize", str(tmp_path / "none.nc")]) == 2
    assert "no results file" in capsys.readouterr().err
    code, out = _run(tmp_path)
    assert main(["summarize", str(out), "--generation", "99"]) == 2
    assert "generation 99 is out of range 0..3" in capsys.readouterr().err


def test_phase_writes_diagram_and_data(tmp_path, capsys):
    out, fig = tmp_path / "phase.nc", tmp_path / "phase.png"
    code = main(
        [
            "phase",
            "--betas",
            "0:2:5",
            "--gammas",
            "0,1,2",
            "--sim-betas",
            "0,2",
            "--sim-gammas",
            "0,2",
            "--generations",
            "20",
            "--replicates",
            "200",
            "--prior-concentration",
            "0",
            "1",
            "--horizon",
            "50",
            "--seed",
            "4",
            "--out",
            str(out),
            "--figure",
            str(fig),
            "--no-progress",
        ]
    )
    assert code == 0
    ds = xr.open_dataset(out)
    assert ds["theory_regime"].sizes == {"prior_concentration": 2, "beta": 5, "gamma": 3}
    assert ds["sim_regime"].sizes == {"prior_concentration": 2, "sim_beta": 2, "sim_gamma": 2}
    assert ds.attrs["sim_seed"] == 4
    assert fig.stat().st_size > 10_000
    assert "simulated regime" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--betas", "0:x:3"], "--betas '0:x:3' is not START:STOP:NUM"),
        (["--gammas", "2,1"], "must be increasing values >= 0"),
        (["--real-fraction0", "1.5"], "--real-fraction0 1.5 must lie in (0, 1]"),
        (["--prior-concentration", "-1"], "must be >= 0"),
    ],
)
def test_phase_bad_input(tmp_path, capsys, argv, message):
    out = tmp_path / "p.nc"
    assert main(["phase", "--out", str(out), "--no-progress", *argv]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_gaussian_run_and_summary(tmp_path, capsys):
    out = tmp_path / "g.nc"
    code = main(
        [
            "run",
            "--model",
            "gaussian",
            "--truth",
            "normal:1:2",
            "--generations",
            "3",
            "--replicates",
            "2",
            "--method",
            "mle",
            "unbiased",
            "conjugate",
            "--real-fraction",
            "zero",
            "--sample-size",
            "20",
            "--prior",
            "jeffreys",
            "--seed",
            "2",
            "--out",
            str(out),
            "--figure",
            str(tmp_path / "g.png"),
            "--no-progress",
        ]
    )
    assert code == 0
    ds = open_results(out)
    assert "token" not in ds.dims and float(ds["truth_sigma"]) == 2.0
    assert RunConfig.from_dict(json.loads(ds.attrs["config"])).prior == "jeffreys"
    assert "sigma/sigma*" in capsys.readouterr().out
    assert main(["summarize", str(out)]) == 0
    assert (
        main(
            [
                "run",
                "--model",
                "gaussian",
                "--truth",
                "normal:0:-1",
                "--out",
                str(tmp_path / "bad.nc"),
                "--no-progress",
            ]
        )
        == 2
    )
    assert "the true sigma -1 is not a finite number > 0" in capsys.readouterr().err


def test_markov_pymc_keeps_posteriors(tmp_path):
    # was a crash: the rows were fitted as (replicate x context) pseudo-replicates
    from bayescollapse.io.posteriors import open_tree, posterior_node, wide

    out = tmp_path / "m.nc"
    argv = ["run", "--model", "markov", "--tokens", "3", "--sequence-length", "10"]
    argv += ["--method", "pymc", "--generations", "1", "--replicates", "2", "--draws", "100"]
    argv += ["--tune", "100", "--keep-posteriors", "all", "--out", str(out), "--no-progress"]
    assert main(argv) == 0
    node = posterior_node(open_tree(out), 0, 1)
    theta = node["posterior"]["theta"]
    assert theta.dims == ("chain", "draw", "replicate", "context", "token")
    predictive = wide(node["posterior_predictive"])["counts"]
    assert predictive.sizes["context"] <= 3  # the contexts the data visit
    np.testing.assert_array_equal(
        predictive.sum("token").isel(chain=0, draw=0),
        wide(node["observed_data"])["counts"].sum("token"),
    )


def test_internal_errors_are_not_reported_as_bad_input(tmp_path, capsys, monkeypatch):
    import bayescollapse.engine.loop

    def broken(*args, **kwargs):
        raise ValueError("a bug somewhere inside")

    monkeypatch.setattr(bayescollapse.engine.loop, "run_block", broken)
    code, _ = _run(tmp_path)
    err = capsys.readouterr().err
    assert code == 1
    assert "internal error (a bug, not a problem with your input)" in err
    assert "Traceback" in err and "a bug somewhere inside" in err


@pytest.mark.parametrize("argv", [["--help"], ["summarize", "--help"], ["sweep", "--help"]])
def test_help_imports_nothing_heavy(argv):
    # --help must answer at once: no xarray, scipy, numpy or PyMC behind it (a fresh process,
    # since this one has imported them all). `run --help` is the exception: its flags derive
    # from the families' dataclasses, whose modules import NumPy and xarray
    import subprocess
    import sys

    code = (
        "import sys; from bayescollapse.cli import main\n"
        f"main({argv!r})\n"
        "heavy = [m for m in ('xarray', 'scipy', 'numpy', 'pymc', 'rich') if m in sys.modules]\n"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_an_mle_run_does_not_import_scipy(tmp_path):
    # SciPy is imported by the functions that need it: an MLE run from the command line,
    # which needs none of them, does not pay its import (about 0.2 s of every process)
    import subprocess
    import sys

    out = tmp_path / "mle.nc"
    code = (
        "import sys; from bayescollapse.cli import main\n"
        f"main(['run', '--method', 'mle', '--generations', '2', '--replicates', '2', "
        f"'--seed', '1', '--out', {str(out)!r}, '--no-progress'])\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'scipy'))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.exists() and done.stdout.strip().splitlines()[-1] == "[]"


def test_version_answers_from_the_package_metadata(capsys):
    # `--version` and `__version__` both read the installed distribution's version (a
    # hard-coded string would drift from pyproject.toml)
    from importlib import metadata

    import bayescollapse

    assert bayescollapse.__version__ == metadata.version("bayescollapse")
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"bayescollapse {bayescollapse.__version__}"


def test_python_dash_m_runs_the_command():
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "bayescollapse", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0 and out.stdout.startswith("bayescollapse ")


def test_a_configs_file_paths_are_read_from_its_own_folder(tmp_path, monkeypatch):
    # `text:` truths and `file:` rewards named relative to the config file were read from
    # the working directory, so a config worked only from the folder it was written for
    import shutil
    from pathlib import Path

    folder = tmp_path / "study"
    (folder / "data").mkdir(parents=True)
    text = Path(__file__).parents[2] / "analyses" / "data" / "zen_of_python.txt"
    shutil.copy(text, folder / "data" / "words.txt")
    (folder / "data" / "reward.txt").write_text("\n".join(str(i) for i in range(10)))
    (folder / "c.toml").write_text(
        'model = "markov"\ntruth = "text:data/words.txt"\nnum_tokens = 10\ngenerations = 1\n'
        'replicates = 1\nseed = 1\n[[settings]]\ncuration = "best-of:2"\n'
        'reward = "file:data/reward.txt"\n'
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    out = tmp_path / "r.nc"
    assert (
        main(["run", "--config", str(folder / "c.toml"), "--out", str(out), "--no-progress"]) == 0
    )
    config = json.loads(open_results(out).attrs["config"])
    assert config["truth"] == f"text:{folder / 'data' / 'words.txt'}"
    assert config["settings"][0]["reward"] == f"file:{folder / 'data' / 'reward.txt'}"
