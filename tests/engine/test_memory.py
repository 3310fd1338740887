"""The memory estimate: sizes read and written, and the estimate against what a run holds."""

import pytest

from bayescollapse import RunConfig, Setting, run
from bayescollapse.engine.memory import check_memory, estimate_memory, format_size, parse_size


@pytest.mark.parametrize(
    ("text", "size"),
    [
        ("512", 512),
        ("2K", 2048),
        ("1.5M", 1.5 * 2**20),
        ("8G", 8 * 2**30),
        ("1TiB", 2**40),
        (4096, 4096),
    ],
)
def test_sizes_are_read(text, size):
    assert parse_size(text) == int(size)


@pytest.mark.parametrize("text", ["lots", "-1G", "0", "1X", True])
def test_bad_sizes_are_refused_by_name(text):
    with pytest.raises(ValueError, match="memory limit"):
        parse_size(text)


def test_sizes_are_written_in_units():
    assert [format_size(x) for x in (512, 2048, 3 * 2**30, 5 * 2**40)] == [
        "512 B",
        "2 KB",
        "3 GB",
        "5 TB",
    ]


def test_the_results_estimate_is_the_full_schema_a_run_can_fill():
    # every variable of the family at the run's sizes, 8 bytes a value: what the saved
    # Dataset holds once every variable is there
    config = RunConfig(
        settings=(Setting(method="conjugate"), Setting(method="mle")),
        num_tokens=6,
        generations=3,
        replicates=4,
        seed=1,
    )
    ds = run(config)
    family = config.family()
    held = sum(ds[name].size * 8 for name in family.variables)
    assert estimate_memory(config)["results"] == held


def test_the_predictive_points_are_counted():
    # the Gaussian predictive mode draws every point: 4 arrays of block x n_t floats more
    base = {"method": "conjugate", "sample_size": "1000"}
    plug = RunConfig(model="gaussian", settings=(Setting(**base, synthetic="plugin"),))
    pred = RunConfig(model="gaussian", settings=(Setting(**base, synthetic="predictive"),))
    extra = estimate_memory(pred)["working"] - estimate_memory(plug)["working"]
    assert extra == 8 * 4 * pred.replicate_block * 1000


def test_a_sampled_methods_draws_are_counted():
    # a PyMC method holds chains x draws of a block's parameters at once, 4 copies (the
    # draws, sorted draws, and the diagnostics' split and ranks): K = 20 tokens here
    def study(method):
        setting = Setting(sample_size="1000", method=method)
        return RunConfig(settings=(setting,), replicates=8, replicate_block=4, draws=300, chains=3)

    exact, sampled = study("conjugate"), study("pymc")
    extra = estimate_memory(sampled)["working"] - estimate_memory(exact)["working"]
    assert extra == 8 * 4 * 3 * 300 * 4 * 20


def test_check_memory_names_the_estimate_and_the_limit():
    config = RunConfig(generations=2, replicates=2)
    total = check_memory(config, "1G")
    assert total == sum(estimate_memory(config).values())
    with pytest.raises(ValueError, match=r"needs about .* \(mostly its results.*limit is 1 KB"):
        check_memory(config, 1024)


def test_kept_posteriors_count_only_when_kept():
    # chains x draws x replicates x tokens x 8 bytes, three times (draws, predictive,
    # log-likelihood), per kept generation and Bayesian setting: 2 x 1000 x 2 x 20 x 8 x 3
    # x 3 generations
    config = RunConfig(generations=2, replicates=2, keep_posteriors="all")
    assert estimate_memory(config)["kept posteriors"] == 2 * 1000 * 2 * 20 * 8 * 3 * 3
    assert estimate_memory(config, posteriors=False)["kept posteriors"] == 0


def test_kept_gaussian_points_count_by_the_largest_training_set():
    # mu and sigma, and the points twice (predictive, log-likelihood); accumulating, the
    # last training set holds every generation's n_t: 3 x 50 points
    base = {"model": "gaussian", "generations": 2, "replicates": 2, "keep_posteriors": "last"}
    for scheme, points in (("mixture", 50), ("accumulate", 150)):
        setting = {"scheme": scheme, "sample_size": "50", "real_fraction": "0.5"}
        config = RunConfig.from_dict({**base, "settings": [setting]})
        expected = 2 * 1000 * 2 * 8 * (2 + 2 * points)
        assert estimate_memory(config)["kept posteriors"] == expected


def test_a_subsampled_regression_pool_counts_its_parts():
    # accumulate-subsample keeps two parts a generation, each (d + 1)^2 values per replicate
    base = {"model": "linear-regression", "dim": 9, "generations": 4, "replicates": 2}
    plain = RunConfig.from_dict({**base, "settings": [{"scheme": "accumulate"}]})
    pooled = RunConfig.from_dict({**base, "settings": [{"scheme": "accumulate-subsample"}]})
    extra = estimate_memory(pooled)["working"] - estimate_memory(plain)["working"]
    assert extra == 8 * 2 * 5 * 2 * 10**2


def test_without_proc_meminfo_the_available_memory_is_the_physical_memory(monkeypatch):
    import builtins
    import os

    from bayescollapse.engine import memory

    real_open = builtins.open

    def no_proc(path, *args, **kwargs):
        if str(path) == "/proc/meminfo":
            raise FileNotFoundError(path)
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", no_proc)
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    assert memory.available_memory() == physical
