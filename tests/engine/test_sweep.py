"""Sweeps on a real Dask LocalCluster: equal to run(), resumable after kill -9, failures kept."""

import importlib
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from bayescollapse import RunConfig, Setting, run, run_tree
from bayescollapse.cli import main
from bayescollapse.engine.config import node_name
from bayescollapse.engine.rng import STREAMS_VERSION
from bayescollapse.engine.sweep import run_distributed, store_status, sweep
from bayescollapse.io.integrity import verify
from bayescollapse.io.posteriors import open_tree, posterior_node, wide
from bayescollapse.io.results import open_results
from bayescollapse.theory.phase import phase_simulation

CONFIG = RunConfig(
    settings=(
        Setting(method="mle", real_fraction="0.2", sample_size="60"),
        Setting(method="conjugate", real_fraction="0.2", sample_size="60"),
        Setting(method="conjugate", scheme="replace", real_fraction="zero", sample_size="60"),
    ),
    num_tokens=5,
    generations=4,
    replicates=6,
    replicate_block=2,
    seed=12,
)

TOML = """
num_tokens = 8
generations = 40
replicates = 12
replicate_block = 2
seed = 5
[[settings]]
method = "conjugate"
real_fraction = "0.2"
sample_size = "300"
[[settings]]
method = "mle"
real_fraction = "0.2"
sample_size = "300"
"""


@pytest.fixture(scope="module")
def clients():
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as c2,
        Client(c2) as two,
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as c1,
        Client(c1) as one,
    ):
        yield one, two


def assert_same_results(a: xr.Dataset, b: xr.Dataset) -> None:
    """Equal array for array, coords included, and the same configuration and seed."""
    xr.testing.assert_equal(a.drop_attrs(), b.drop_attrs())
    assert a.attrs["config"] == b.attrs["config"] and a.attrs["seed"] == b.attrs["seed"]


def test_sweep_equals_run_on_any_number_of_workers(clients, tmp_path):
    one, two = clients
    expected = run(CONFIG)
    on_two = sweep(CONFIG, tmp_path / "two.zarr", client=two)
    on_one = sweep(CONFIG, tmp_path / "one.zarr", client=one)
    assert len(on_two.run) == len(on_one.run) == 9 and not on_two.failed
    assert_same_results(open_results(tmp_path / "two.zarr"), expected)
    assert_same_results(open_results(tmp_path / "one.zarr"), expected)
    assert_same_results(run_distributed(CONFIG, client=two), expected)
    again = sweep(CONFIG, tmp_path / "two.zarr", client=two)  # resumed: nothing left
    assert again.run == [] and len(again.skipped) == 9


def test_sweep_and_run_distributed_report_progress_per_unit(clients, tmp_path, capsys):
    _, two = clients
    seen = []
    sweep(CONFIG, tmp_path / "s.zarr", client=two, progress=seen.append)
    assert seen == [1] * 9  # 3 settings x 3 blocks
    seen.clear()
    sweep(CONFIG, tmp_path / "s.zarr", client=two, progress=seen.append)
    assert seen == []  # a resumed sweep counts only the units it runs
    run_distributed(CONFIG, client=two, progress=seen.append)
    assert seen == [1] * 9
    capsys.readouterr()
    sweep(CONFIG, tmp_path / "t.zarr", client=two, progress=False)
    assert capsys.readouterr().err == ""


def test_a_regression_sweep_equals_its_run(clients, tmp_path):
    # the regression family's statistics (a d x d Gram per replicate, a fixed design
    # carried with them) go through the store and the workers like any other family's
    _, two = clients
    settings = [
        {"method": m, "scheme": s, "real_fraction": "zero", "sample_size": "30"}
        for m in ("mle", "conjugate")
        for s in ("replace", "accumulate-subsample")
    ]
    config = RunConfig.from_dict(
        {
            "model": "linear-regression",
            "dim": 3,
            "generations": 3,
            "replicates": 4,
            "replicate_block": 2,
            "seed": 4,
            "settings": settings,
        }
    )
    sweep(config, tmp_path / "r.zarr", client=two)
    assert_same_results(open_results(tmp_path / "r.zarr"), run(config))


def test_a_mixture_sweep_equals_its_run(clients, tmp_path):
    # the mixture's labelled points (ragged, NaN padded, accumulated) and EM's restarts go
    # through the store and the workers; bit for bit the run's numbers
    _, two = clients
    settings = [
        {"method": m, "scheme": s, "real_fraction": "zero", "sample_size": "40"}
        for m in ("mle", "complete-data")
        for s in ("replace", "accumulate-subsample")
    ]
    config = RunConfig.from_dict(
        {
            "model": "gaussian-mixture",
            "truth": "mixture:0.3:-2:1,0.7:1:0.5",
            "generations": 3,
            "replicates": 4,
            "replicate_block": 2,
            "seed": 4,
            "settings": settings,
        }
    )
    sweep(config, tmp_path / "m.zarr", client=two)
    assert_same_results(open_results(tmp_path / "m.zarr"), run(config))


def test_a_store_of_another_configuration_is_refused(clients, tmp_path):
    _, two = clients
    store = tmp_path / "s.zarr"
    sweep(replace(CONFIG, seed=None), store, client=two)
    seed = open_results(store).attrs["seed"]
    assert sweep(replace(CONFIG, seed=None), store, client=two).skipped  # the seed is reused
    with pytest.raises(ValueError, match="written by a different configuration; pass overwrite"):
        sweep(replace(CONFIG, generations=5), store, client=two)
    with pytest.raises(ValueError, match=f"written with seed {seed}, not {seed + 1}"):
        sweep(replace(CONFIG, seed=seed + 1), store, client=two)
    report = sweep(replace(CONFIG, generations=5), store, client=two, overwrite=True)
    assert len(report.run) == 9
    assert open_results(store).sizes["generation"] == 6


def test_a_store_drawn_by_other_random_streams_is_not_resumed(clients, tmp_path):
    # a store from a release whose streams drew differently would mix two laws' draws
    _, two = clients
    store = tmp_path / "s.zarr"
    sweep(CONFIG, store, client=two)
    assert open_results(store).attrs["streams_version"] == STREAMS_VERSION
    meta = json.loads((store / "results" / "zarr.json").read_text())
    meta["attributes"]["streams_version"] = STREAMS_VERSION - 1
    (store / "results" / "zarr.json").write_text(json.dumps(meta))
    message = f"random streams version {STREAMS_VERSION - 1}, and this release draws version"
    with pytest.raises(ValueError, match=message):
        sweep(CONFIG, store, client=two)
    assert len(sweep(CONFIG, store, client=two, overwrite=True).run) == 9


FLAKY = """
from dataclasses import replace

from bayescollapse.models.categorical.family import ConjugateFitter
from bayescollapse.models.registry import register_method


class Flaky(ConjugateFitter):
    def fit(self, counts, *, prior, rng):
        raise RuntimeError("the sampler exploded")


def factory(family, replicates):
    if family.prior_concentration == 0.5:
        return Flaky(family.hdi_prob)
    return ConjugateFitter(family.hdi_prob)


class Tagged(ConjugateFitter):
    # the conjugate fit with a value per sampler run, as a sampler's divergences are
    def fit(self, counts, *, prior, rng):
        post = super().fit(counts, prior=prior, rng=rng)
        return replace(post, diagnostics={"divergences": float(counts.sum() % 7 + 1)})


register_method("dirichlet-categorical", "flaky", factory, bayesian=True, replace=True)
register_method(
    "dirichlet-categorical",
    "tagged",
    lambda family, replicates: Tagged(family.hdi_prob),
    bayesian=True,
    replace=True,
)
"""


def test_a_failed_unit_is_recorded_and_does_not_stop_the_others(
    clients, tmp_path, monkeypatch, capsys
):
    _, two = clients
    (tmp_path / "flaky_plugin.py").write_text(FLAKY)
    monkeypatch.syspath_prepend(str(tmp_path))
    folder = str(tmp_path)
    two.run(lambda: sys.path.insert(0, folder))  # the workers import the plugin too
    importlib.import_module("flaky_plugin")  # registers "flaky" here, before settings name it
    config = RunConfig(
        plugins=("flaky_plugin",),
        settings=(
            Setting(method="flaky"),
            Setting(method="flaky", prior_params={"prior_concentration": 0.5}),
            Setting(method="tagged"),
        ),
        num_tokens=4,
        generations=2,
        replicates=4,
        replicate_block=2,
        seed=3,
    )
    store = tmp_path / "f.zarr"
    report = sweep(config, store, client=two)
    assert sorted(report.run) == [(0, 0), (0, 1), (2, 0), (2, 1)]
    assert sorted(report.failed) == [(1, 0), (1, 1)]
    assert "RuntimeError: the sampler exploded" in report.failed[1, 0]
    status = store_status(store)
    assert status[1, 1]["status"] == "failed" and "the sampler exploded" in status[1, 1]["error"]
    ds = open_results(store)
    assert bool(np.isnan(ds["theta_mean"].isel(setting=1)).all())  # missing, not zeros
    assert bool(np.isfinite(ds["theta_mean"].isel(setting=0)).all())
    # a value per sampler run (dims setting, block, generation) lands in its block's cell
    expected = run(replace(config, settings=config.settings[2:]))
    np.testing.assert_array_equal(ds["divergences"].isel(setting=2), expected["divergences"][0])
    assert bool((ds["divergences"].isel(setting=2) >= 1).all())
    again = sweep(config, store, client=two)  # rerunning retries only the failed units
    assert sorted(again.skipped) == [(0, 0), (0, 1), (2, 0), (2, 1)] and len(again.failed) == 2
    # a partial store still summarises, diagnoses and plots, the missing units as missing
    assert main(["summarize", str(store)]) == 0
    assert main(["diagnose", str(store), "--figures", str(tmp_path / "figs")]) == 0
    assert (tmp_path / "figs" / "calibration.png").stat().st_size > 10_000
    assert "2 of 6 units are not done (shown as missing)" in capsys.readouterr().err


def test_kept_posteriors_go_to_their_own_nodes(clients, tmp_path):
    _, two = clients
    config = replace(CONFIG, keep_posteriors="last")
    sweep(config, tmp_path / "k.zarr", client=two)
    tree = open_tree(tmp_path / "k.zarr")
    label = CONFIG.settings[1].name
    node = tree[f"posteriors/{label}/generation_4"]
    assert sorted(node.children) == ["block_0", "block_1", "block_2"]
    theta = node["block_1/posterior"]["theta"]
    assert theta.sizes == {"chain": 2, "draw": 1000, "replicate": 2, "token": 5}
    # the same node attrs and lookup as run_tree's
    assert node["block_1"].attrs == {
        "setting": label,
        "setting_index": 1,
        "generation": 4,
        "block": 1,
    }
    assert posterior_node(tree, 1, 4, block=1).path == node["block_1"].path
    np.testing.assert_array_equal(
        wide(node["block_1/observed_data"])["counts"],
        tree["results"]["train_count"].isel(setting=1, generation=4, replicate=[2, 3]),
    )


def test_a_resumed_sweep_computes_exactly_the_damaged_units_again(clients, tmp_path):
    # damage planted in three done units (a results chunk deleted, one with a byte flipped,
    # a kept posterior's chunk deleted) and in the template (a variable's metadata): the
    # resume restores the template's part, computes those three units again, and the store
    # ends whole and equal to run(); a one-line bug (a unit's status kept, a checksum not
    # read, a posterior node not mapped to its unit) leaves a unit out of `run`
    _, two = clients
    config = replace(CONFIG, keep_posteriors="last")
    store = tmp_path / "d.zarr"
    sweep(config, store, client=two)
    posterior = store / f"posteriors/{node_name(CONFIG.settings[1].name)}/generation_4/block_2"
    theta = open_tree(store)[str(posterior.relative_to(store))]["posterior"]["theta"].values
    (store / "results/tv_to_truth/c/0/1/0").unlink()  # (setting, replicate, generation)
    chunk = store / "results/theta_mean/c/2/0/0/0"
    chunk.write_bytes(chunk.read_bytes()[:-1] + bytes([chunk.read_bytes()[-1] ^ 1]))
    next(p for p in (posterior / "posterior/theta/c").rglob("*") if p.is_file()).unlink()
    (store / "results/entropy/zarr.json").unlink()
    assert verify(store).damaged_units == {(0, 1), (1, 2), (2, 0)}

    seen = []
    again = sweep(config, store, client=two, on_damage=seen.extend)
    assert again.damaged == sorted(again.run) == [(0, 1), (1, 2), (2, 0)]
    assert {u for d in seen for u in d.units} == {(0, 1), (1, 2), (2, 0)}
    assert verify(store).damage == []
    assert_same_results(open_results(store), run_tree(config)["results"].to_dataset())
    tree = open_tree(store)
    np.testing.assert_array_equal(
        tree[str(posterior.relative_to(store))]["posterior"]["theta"].values, theta
    )
    assert sweep(config, store, client=two).run == []


def test_damage_that_no_unit_owns_and_no_template_repairs_is_refused(clients, tmp_path):
    _, two = clients
    store = tmp_path / "j.zarr"
    sweep(CONFIG, store, client=two)
    (store / "results/junk/c").mkdir(parents=True)  # a node without metadata, not ours
    with pytest.raises(ValueError, match=r"damaged outside its units \(results/junk: its meta"):
        sweep(CONFIG, store, client=two)
    (store / "results/junk/c").rmdir()
    (store / "results/junk").rmdir()
    assert_same_results(open_results(store), run(CONFIG))  # the refusal changed nothing


def test_cli_resume_says_which_units_were_damaged(tmp_path, capsys):
    study = tmp_path / "s.toml"
    study.write_text(TOML.replace("generations = 40", "generations = 3"))
    store = tmp_path / "s.zarr"
    argv = ["sweep", str(study), "--out", str(store), "--workers", "1", "--no-progress"]
    assert main(argv) == 0
    (store / "results/tv_to_truth/c/1/3/0").unlink()  # setting 1, block 3
    capsys.readouterr()
    assert main(["verify", str(store)]) == 1
    err = capsys.readouterr().err
    assert "damaged: results/tv_to_truth: 1 chunk missing (units setting 1 block 3)" in err
    assert main(argv) == 0
    captured = capsys.readouterr()
    assert "damaged since done: results/tv_to_truth: 1 chunk missing" in captured.err
    assert "computing 1 damaged unit(s) again" in captured.err
    assert "units: 1 run, 11 skipped as done, 0 failed" in captured.out
    assert main(["verify", str(store)]) == 0


def test_a_clean_finish_does_not_warn_of_a_worker_slow_to_exit(tmp_path):
    # a worker whose process takes 6 s to exit (an atexit hook; in real use a large PyMC
    # process tearing down on a busy machine) is killed by its nanny after 4 s; on a clean
    # finish every unit is written, so Dask's "still alive ... killing" warning is noise
    script = tmp_path / "slow.py"
    script.write_text(
        textwrap.dedent(
            """
            import atexit, time
            from bayescollapse.engine.sweep import open_client

            def linger():
                atexit.register(time.sleep, 6)
                return 1

            if __name__ == "__main__":
                with open_client(workers=1) as client:
                    assert client.submit(linger, pure=False).result() == 1
                print("closed")
            """
        )
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0 and done.stdout.strip() == "closed", done.stderr
    assert "still alive" not in done.stderr


def test_phase_simulates_through_the_same_engine(clients):
    _, two = clients
    args = dict(seed=4, generations=8, replicates=6, prior_concentrations=(0.0, 1.0))
    local = phase_simulation("zipf:1", 4, [0.0, 1.0], [0.0, 1.0], **args)

    def runner(config, progress=None):
        return run_distributed(config, client=two)

    distributed = phase_simulation("zipf:1", 4, [0.0, 1.0], [0.0, 1.0], runner=runner, **args)
    xr.testing.assert_identical(local, distributed)


def test_cli_rejects_bad_sweeps_in_one_line(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text("generations = 3\nreplicas = 2\n")
    assert main(["sweep", str(bad), "--out", str(tmp_path / "s.zarr")]) == 2
    err = capsys.readouterr().err
    assert "unknown config key 'replicas'" in err and err.count("\n") == 1
    good = tmp_path / "good.toml"
    good.write_text("generations = 1\nreplicates = 2\n")
    assert main(["sweep", str(good), "--out", str(tmp_path / "s.nc")]) == 2
    assert "must end in .zarr" in capsys.readouterr().err
    assert main(["sweep", str(good), "--out", str(tmp_path / "s.zarr"), "--workers", "0"]) == 2
    assert "--workers must be >= 1, got 0" in capsys.readouterr().err
    (tmp_path / "other.zarr").mkdir()
    (tmp_path / "other.zarr" / "zarr.json").write_text('{"zarr_format": 3, "node_type": "group"}')
    assert main(["sweep", str(good), "--out", str(tmp_path / "other.zarr"), "--workers", "1"]) == 2
    assert "is not a sweep store" in capsys.readouterr().err


def _wait_for_done_units(proc, store, done: int, *, seconds: float = 120) -> bool:
    """Wait until ``done`` units of a sweep process are done; whether it still runs then."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        status = store_status(store) if store.exists() else {}
        if sum(r["status"] == "done" for r in status.values()) >= done:
            break
        time.sleep(0.1)
    return proc.poll() is None


def test_killed_sweep_resumes_to_the_uninterrupted_result(tmp_path, capsys):
    # a real kill -9 of the whole process group (the command and its Dask workers)
    study = tmp_path / "study.toml"
    study.write_text(textwrap.dedent(TOML))
    store = tmp_path / "killed.zarr"
    command = [sys.executable, "-m", "bayescollapse.cli", "sweep", str(study)]
    command += ["--out", str(store), "--workers", "1", "--no-progress"]
    log = tmp_path / "sweep.log"
    with log.open("w") as err:
        proc = subprocess.Popen(
            command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=err
        )
        running = _wait_for_done_units(proc, store, 2)
        if running:  # kill it mid-sweep: the command and its Dask workers
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert running, log.read_text()
    log.unlink()
    finished = {u for u, r in store_status(store).items() if r["status"] == "done"}
    assert 2 <= len(finished) < 12
    assert main(["summarize", str(store)]) == 0
    assert "units are not done (shown as missing)" in capsys.readouterr().err
    assert main(["sweep", str(study), "--out", str(store), "--workers", "2", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert f"units: {12 - len(finished)} run, {len(finished)} skipped as done, 0 failed" in out
    config = RunConfig.from_dict(json.loads(open_results(store).attrs["config"]))
    assert_same_results(open_results(store), run(config))
    assert not any(p.name.startswith(".") for p in Path(tmp_path).iterdir())


DIES_ONCE = """
import os
from pathlib import Path

from bayescollapse.models.categorical.family import ConjugateFitter
from bayescollapse.models.registry import register_method

MARKER = Path({marker!r})


class DiesOnce(ConjugateFitter):
    # kills its worker process the first time any process fits with it
    def fit(self, counts, *, prior, rng):
        if not MARKER.exists():
            MARKER.write_text("died")
            os._exit(1)
        return super().fit(counts, prior=prior, rng=rng)


register_method(
    "dirichlet-categorical",
    "dies-once",
    lambda family, replicates: DiesOnce(family.hdi_prob),
    bayesian=True,
    replace=True,
)
"""


def test_a_unit_whose_worker_dies_is_retried_by_dask(tmp_path, monkeypatch):
    from distributed import Client, LocalCluster

    (tmp_path / "dies_once_plugin.py").write_text(DIES_ONCE.format(marker=str(tmp_path / "died")))
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.import_module("dies_once_plugin")
    config = RunConfig(
        plugins=("dies_once_plugin",),
        settings=(Setting(method="dies-once"),),
        num_tokens=4,
        generations=2,
        replicates=2,
        seed=6,
    )
    with (
        LocalCluster(  # workers, restarted ones too, find the plugin on their PYTHONPATH
            n_workers=2,
            threads_per_worker=1,
            dashboard_address=":0",
            env={"PYTHONPATH": str(tmp_path)},
        ) as cluster,
        Client(cluster) as client,
    ):
        report = sweep(config, tmp_path / "d.zarr", client=client)
    assert (tmp_path / "died").read_text() == "died"  # a worker really died mid-unit
    assert report.run == [(0, 0)] and not report.failed
    assert_same_results(open_results(tmp_path / "d.zarr"), run(config))


def test_cli_refuses_a_store_of_another_study(clients, tmp_path, capsys):
    _, two = clients
    sweep(CONFIG, tmp_path / "s.zarr", client=two)
    other = tmp_path / "other.toml"
    other.write_text("generations = 2\nreplicates = 2\nseed = 12\n")
    assert main(["sweep", str(other), "--out", str(tmp_path / "s.zarr"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "was written by a different configuration; pass overwrite" in err
    assert err.count("\n") == 2  # the banner line, then the one-line error
    assert_same_results(open_results(tmp_path / "s.zarr"), run(CONFIG))  # left intact


def test_cli_phase_on_workers_equals_phase_in_process(tmp_path):
    argv = ["phase", "--tokens", "4", "--betas", "0,1", "--gammas", "0,1", "--sim-betas", "0,1"]
    argv += ["--sim-gammas", "0,1", "--generations", "6", "--replicates", "8", "--seed", "3"]
    argv += ["--horizon", "20", "--no-progress"]
    assert main([*argv, "--out", str(tmp_path / "local.nc")]) == 0
    assert main([*argv, "--out", str(tmp_path / "dask.nc"), "--workers", "2"]) == 0
    local = xr.open_dataset(tmp_path / "local.nc").load()
    dask = xr.open_dataset(tmp_path / "dask.nc").load()
    xr.testing.assert_identical(local, dask)


def test_a_store_another_sweep_holds_is_refused(tmp_path):
    # the store's lock names a live process: a second sweep into it stops at once
    from bayescollapse.io.storage import locked

    store = tmp_path / "s.zarr"
    config = RunConfig(generations=1, replicates=2, seed=1)
    with locked(store):
        (tmp_path / ".s.zarr.lock").write_text(str(os.getppid()))  # held by another process
        with pytest.raises(FileExistsError, match="is writing"):
            sweep(config, store, workers=1)
    assert not store.exists()


def test_a_store_of_the_older_flat_configuration_form_resumes():
    # a configuration saved before the family's keys moved to `params` (the golden files
    # were written then) is the same configuration today: its store resumes
    from bayescollapse.engine.sweep_store import _identity
    from bayescollapse.io.results import results_attrs

    old = results_attrs(Path(__file__).parents[1] / "golden" / "markov_order2.nc")["config"]
    assert "params" not in json.loads(old) and "order" in json.loads(old)
    today = RunConfig.from_dict(json.loads(old)).to_json()
    assert "params" in json.loads(today)
    assert _identity(old) == _identity(today)
    changed = json.loads(today)
    changed["params"]["order"] = 1
    assert _identity(old) != _identity(json.dumps(changed))


def test_a_large_store_is_prepared_without_holding_its_results(tmp_path):
    # the template's results variables are written as metadata only (lazy arrays, never
    # computed): a store for 2.6 GB of results is made in about 30 MB and a few kB of disk
    # (a study estimated at 835 GB died in _prepare, which wrote its NaNs chunk by chunk:
    # 100 MB here, growing with the chunks)
    import tracemalloc

    from bayescollapse.engine.sweep_store import prepare as _prepare

    config = RunConfig(
        settings=(Setting(method="conjugate"),),
        num_tokens=2000,
        generations=200,
        replicates=100,
        seed=1,
    )
    values = 100 * 201 * 2000  # one (replicate, generation, token) variable: 321 MB
    tracemalloc.start()
    try:
        _prepare(config, tmp_path / "big.zarr", overwrite=False)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 60e6 < 8 * values  # far below even one variable's values
    on_disk = sum(p.stat().st_size for p in (tmp_path / "big.zarr").rglob("*") if p.is_file())
    assert on_disk < 5e6
    ds = xr.open_zarr(tmp_path / "big.zarr", group="results", consolidated=False)
    assert ds["theta_mean"].shape == (1, 100, 201, 2000)
    assert np.isnan(float(ds["theta_mean"][0, 0, 0, 0]))  # unwritten: the fill value


@pytest.mark.parametrize("sig, code, name", [(signal.SIGINT, 130, "interrupted")])
def test_an_interrupted_sweep_says_what_it_kept_and_how_to_resume(tmp_path, sig, code, name):
    # it said "nothing was written" with units done and kept in the store
    study = tmp_path / "study.toml"
    study.write_text(textwrap.dedent(TOML))
    store = tmp_path / "stopped.zarr"
    command = [sys.executable, "-m", "bayescollapse.cli", "sweep", str(study)]
    command += ["--out", str(store), "--workers", "1", "--no-progress"]
    proc = subprocess.Popen(
        command, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    running = _wait_for_done_units(proc, store, 2)
    if running:
        os.kill(proc.pid, sig)  # the command only, as a terminal's Ctrl-C reaches it
    try:
        err = proc.communicate(timeout=60)[1].decode()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert running and proc.returncode == code, err
    done = sum(r["status"] == "done" for r in store_status(store).values())
    assert 2 <= done < 12
    assert (
        f"bayescollapse: {name}; {done} of 12 units are done and kept in {store}; rerun the "
        "same command to resume the others" in err
    )
