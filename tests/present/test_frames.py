import numpy as np
import pytest

from bayescollapse import (
    RunConfig,
    Setting,
    compare,
    comparison_frame,
    run,
    settings_grid,
    summary_frame,
)


@pytest.fixture(scope="module")
def results():
    settings = settings_grid(method=["mle", "conjugate"], real_fraction=["zero", "0.3"])
    return run(
        RunConfig(settings=settings, num_tokens=5, generations=3, replicates=4, seed=7),
        progress=False,
    )


def test_summary_frame_is_mean_and_se_by_hand(results):
    frame = summary_frame(results, ["tv_to_truth", "kl_truth_to_model"])
    assert len(frame) == 4 * 4 * 2  # settings x generations x metrics
    row = frame[(frame["setting"] == results["setting"].values[1]) & (frame["generation"] == 2)]
    row = row[row["metric"] == "tv_to_truth"].iloc[0]
    values = results["tv_to_truth"].isel(setting=1, generation=2).values
    assert row["mean"] == pytest.approx(values.sum() / 4)
    assert row["se"] == pytest.approx(np.sqrt(((values - values.mean()) ** 2).sum() / 3 / 4))
    assert row["n"] == 4


def test_frames_keep_only_setting_columns_that_vary(results):
    frame = summary_frame(results, "tv_to_truth", generation=-1)
    # the identity, then what differs (method, schedule...), not the decoding knobs
    assert frame.columns[:3].tolist() == ["setting", "regime", "fit"]
    assert "real_fraction_schedule" in frame and "fit_method" in frame
    assert "temperature" not in frame and "top_p" not in frame and "scheme" not in frame
    assert frame["generation"].unique().tolist() == [3]


def test_comparison_frame_leaves_out_the_baselines_rows(results):
    cmp = compare(results)
    frame = comparison_frame(cmp)
    assert set(frame["fit_method"]) == {"conjugate"}  # the mle rows are the baselines
    assert len(frame) == 2 * 4
    one = frame[(frame["fit_method"] == "conjugate") & (frame["generation"] == 3)].iloc[0]
    expected = cmp["difference"].sel(setting=one["setting"]).isel(generation=3)
    assert one["difference"] == pytest.approx(float(expected))
    assert frame.attrs["baseline_fit"] == "mle"


def test_summary_frame_names_a_bad_metric(results):
    with pytest.raises(ValueError, match="metric 'bogus' is not a per-replicate results var"):
        summary_frame(results, "bogus")


def test_a_single_setting_frame_still_has_its_identity():
    ds = run(RunConfig(settings=(Setting(),), generations=1, replicates=2, seed=1), progress=False)
    frame = summary_frame(ds, "tv_to_truth")
    assert frame.columns[:3].tolist() == ["setting", "regime", "fit"] and len(frame) == 2
