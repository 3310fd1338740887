import numpy as np
import pytest
import xarray as xr

from bayescollapse import RunConfig, Setting, open_results, run, save_results, validate_results


@pytest.fixture(scope="module")
def ds():
    cfg = RunConfig(
        settings=(
            Setting(method="conjugate", real_fraction="zero", scheme="replace", sample_size="10"),
            Setting(method="mle", real_fraction="0.5"),
        ),
        num_tokens=6,
        generations=6,
        replicates=3,
        seed=5,
    )
    return run(cfg)


def test_netcdf_round_trip_is_identical(ds, tmp_path):
    path = save_results(ds, tmp_path / "run.nc")
    back = open_results(path)
    xr.testing.assert_identical(ds, back)
    # an infinite KL stays inf, not nan, through the file
    assert np.isinf(back["kl_truth_to_model"]).sum() == np.isinf(ds["kl_truth_to_model"]).sum()


def test_existing_file_is_never_overwritten_silently(ds, tmp_path):
    path = tmp_path / "run.nc"
    path.write_bytes(b"precious")
    with pytest.raises(FileExistsError, match="--force"):
        save_results(ds, path)
    assert path.read_bytes() == b"precious"
    save_results(ds, path, overwrite=True)
    xr.testing.assert_identical(open_results(path), ds)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp file left


def test_validate_names_what_is_missing(ds):
    with pytest.raises(ValueError, match="lack variable 'tv_to_truth'"):
        validate_results(ds.drop_vars("tv_to_truth"))
    with pytest.raises(ValueError, match="lack attr 'seed'"):
        validate_results(ds.drop_attrs())


def test_open_rejects_non_netcdf(tmp_path):
    bad = tmp_path / "x.nc"
    bad.write_text("not a netcdf")
    with pytest.raises(ValueError, match="not a readable results file"):
        open_results(bad)
    with pytest.raises(FileNotFoundError, match="no results file"):
        open_results(tmp_path / "missing.nc")


def test_concat_runs_keeps_each_run_replicates(ds):
    from bayescollapse.io.results import concat_runs

    other = ds.isel(replicate=[0]).assign_coords(setting=["x", "y"])
    both = concat_runs(ds, other)
    assert both.sizes["setting"] == 4 and both.sizes["replicate"] == ds.sizes["replicate"]
    assert np.isnan(both["tv_to_truth"].sel(setting="x", replicate=1)).all()
    xr.testing.assert_equal(
        both.sel(setting=ds["setting"].values)["tv_to_truth"], ds["tv_to_truth"]
    )


def test_concat_runs_fills_a_coordinate_an_older_run_lacks(ds):
    # a sweep store written before a release added a per-setting coordinate (curation)
    from bayescollapse.io.results import concat_runs

    older = ds.drop_vars(["curation", "reward_of_truth"]).assign_coords(setting=["x", "y"])
    both = concat_runs(ds, older)
    assert list(both["curation"].values) == [*ds["curation"].values, "", ""]
    assert np.isnan(both["reward_of_truth"].sel(setting=["x", "y"]).values).all()


def test_provenance_and_cf_attributes_survive_the_file(ds, tmp_path):
    from importlib.metadata import version

    path = save_results(ds, tmp_path / "p.nc")
    back = open_results(path)
    assert back.attrs["schema_version"] == 2 and back.attrs["Conventions"] == "CF-1.11"
    for lib in ("numpy", "pymc", "nutpie", "arviz", "xarray"):
        assert back.attrs[f"{lib}_version"] == version(lib)
    for name, var in back.data_vars.items():
        assert var.attrs["long_name"], name
    assert back["tv_to_truth"].attrs["units"] == "1"
    assert back["kl_truth_to_model"].attrs["units"] == "nats"


def test_result_arrays_are_nan_exactly_where_no_unit_wrote():
    # arrays are allocated empty and filled with NaN only where nothing was written: a
    # generation a unit skipped, a unit never run, a variable never written
    from bayescollapse.io.results import ResultArrays

    arrays = ResultArrays(
        {"x": (2, 4, 3, 5), "r": (2, 2, 3), "never": (2, 4, 3)}, blocks=2, per_block=["r"]
    )
    part, written = arrays.unit("x", 1, 0)  # setting 1, replicates 0-1
    part[:, 0], part[:, 2] = 1.0, 2.0
    written[[0, 2]] = True
    part, written = arrays.unit("r", 0, 1)
    part[1] = 7.0
    written[1] = True
    out = arrays.complete()
    x = out["x"]
    assert np.all(x[1, :2, 0] == 1.0) and np.all(x[1, :2, 2] == 2.0)
    assert np.isnan(x[1, :2, 1]).all() and np.isnan(x[1, 2:]).all() and np.isnan(x[0]).all()
    assert out["r"][0, 1, 1] == 7.0 and np.isnan(out["r"]).sum() == out["r"].size - 1
    assert np.isnan(out["never"]).all() and not out["never"].flags.writeable


def test_a_value_a_generation_skips_is_nan_in_the_results():
    # the posterior drift has no previous posterior at generation 0: NaN there, values after
    sizes = dict(generations=3, replicates=4, replicate_block=2, seed=3)  # two units
    ds = run(RunConfig(settings=(Setting(method="conjugate"),), **sizes))
    drift = ds["kl_posterior_to_prev"].values
    assert np.isnan(drift[:, :, 0]).all() and np.isfinite(drift[:, :, 1:]).all()


@pytest.mark.parametrize("model", ["dirichlet-categorical", "markov"])
def test_results_whose_fitted_laws_do_not_sum_to_one_are_refused(model):
    ds = run(RunConfig(model=model, settings=(Setting(method="mle"),), generations=1, seed=2))
    validate_results(ds)
    bad = ds.copy(deep=True)
    bad["theta_mean"][..., 0] += 0.01
    with pytest.raises(ValueError, match="theta_mean does not sum to 1 over tokens"):
        validate_results(bad)
