import numpy as np
import pytest
from scipy import stats

from bayescollapse import RunConfig, Setting, run, settings_grid
from bayescollapse.cli import main
from bayescollapse.io.results import open_results
from bayescollapse.models.markov.chain import make_markov_truth, sequence_counts, stationary
from bayescollapse.models.markov.family import MarkovLM
from bayescollapse.models.registry import make_fitter


def test_order_zero_reduces_exactly_to_the_categorical_model():
    # one context and sequences of one token: the same random calls as the categorical loop
    settings = settings_grid(
        method=["mle", "conjugate"],
        synthetic=["ancestral", "plugin"],
        real_fraction=["0.3", "zero"],
        sample_size=["50"],
    )
    common = dict(
        settings=settings,
        num_tokens=6,
        generations=5,
        replicates=3,
        seed=31,
        posterior_metrics=False,
    )
    cat = run(RunConfig(truth="zipf:1", **common))
    markov = run(
        RunConfig(
            model="markov",
            order=0,
            sequence_length=1,
            truth=cat["truth"].values.tolist(),
            **common,
        )
    )
    np.testing.assert_array_equal(markov["train_count"].isel(context=0), cat["train_count"])
    np.testing.assert_allclose(markov["theta_mean"].isel(context=0), cat["theta_mean"])


def test_sequences_follow_the_chain(rng):
    # law: given the context, next tokens are draws from the row of P* (chi-square per row,
    # Bonferroni over rows: p > 1e-3 / C); a sequence started from the stationary law visits
    # contexts in stationary proportions, E[share] = pi*. Sequences are independent, so the
    # mean share over 400 one-sequence replicates has an SE from their spread; z = 4.5.
    truth = make_markov_truth("zipf-rows:1:4", 4, 1)
    per_seq = sequence_counts(truth.probs, np.ones(400, int), order=1, length=100, rng=rng)
    counts = per_seq.sum(axis=0)
    for row, p in zip(counts, truth.probs, strict=True):
        assert stats.chisquare(row, row.sum() * p).pvalue > 1e-3 / 4
    shares = per_seq.sum(axis=2) / 100  # (sequence, context)
    se = shares.std(axis=0, ddof=1) / np.sqrt(shares.shape[0])
    assert np.all(np.abs(shares.mean(axis=0) - truth.stationary) < 4.5 * se)
    two = make_markov_truth("dirichlet-rows:1:2", 3, 2)
    pi = stationary(two.probs, 2)
    flow = (pi[:, None] * two.probs).reshape(3, 3, 3).sum(axis=0).reshape(9)
    np.testing.assert_allclose(flow, pi, atol=1e-10)  # a fixed point of the context chain


def test_conjugate_rows_are_the_closed_form(rng):
    fam = MarkovLM(3, order=1, prior_concentration=0.5)
    counts = np.array([[[3, 0, 1], [0, 0, 0], [5, 5, 2]]])
    post = make_fitter(fam, "conjugate", 1).fit(counts, prior=fam.initial_prior(1), rng=rng)
    np.testing.assert_array_equal(post.concentration, counts + 0.5)
    np.testing.assert_allclose(post.mean[0, 1], 1 / 3)  # unseen context: the prior mean
    lo, hi = post.hdi()
    a = counts + 0.5
    b = a.sum(axis=-1, keepdims=True) - a
    np.testing.assert_allclose(stats.beta.cdf(hi, a, b) - stats.beta.cdf(lo, a, b), 0.94, atol=1e-9)
    mle = make_fitter(MarkovLM(3, unseen="marginal"), "mle", 1).fit(counts, prior=None, rng=rng)
    np.testing.assert_allclose(mle.mean[0, 1], np.array([8, 5, 3]) / 16)


def test_pure_synthetic_mle_never_regains_a_transition():
    # law: if context c was seen and (c, v) had count 0, the MLE gives P(v|c) = 0, so the
    # next synthetic set cannot contain (c, v); and transitions are lost as the loop runs
    cfg = RunConfig(
        model="markov",
        truth="zipf-rows:1.2:3",
        num_tokens=5,
        order=1,
        sequence_length=8,
        settings=(Setting(method="mle", scheme="replace", real_fraction="zero", sample_size="6"),),
        generations=15,
        replicates=20,
        seed=4,
    )
    counts = run(cfg)["train_count"].isel(setting=0).values  # (R, G, C, V)
    seen = counts.sum(axis=-1, keepdims=True) > 0
    lost_now = seen[:, :-1] & (counts[:, :-1] == 0)
    assert lost_now.any()
    assert not (lost_now & (counts[:, 1:] > 0)).any()
    lost = (counts == 0).sum(axis=(-2, -1))
    assert lost[:, -1].mean() > lost[:, 0].mean()


def test_markov_through_the_cli(tmp_path, capsys):
    out = tmp_path / "lm.nc"
    assert (
        main(
            [
                "run",
                "--model",
                "markov",
                "--tokens",
                "4",
                "--order",
                "2",
                "--sequence-length",
                "10",
                "--generations",
                "2",
                "--replicates",
                "2",
                "--method",
                "mle",
                "conjugate",
                "--sample-size",
                "30",
                "--seed",
                "5",
                "--out",
                str(out),
                "--figure",
                str(tmp_path / "lm.png"),
                "--no-progress",
            ]
        )
        == 0
    )
    ds = open_results(out)
    assert ds["theta_mean"].dims == ("setting", "replicate", "generation", "context", "token")
    assert ds.sizes["context"] == 16
    assert "KL rate" in capsys.readouterr().out
    assert (
        main(
            [
                "run",
                "--model",
                "markov",
                "--order",
                "5",
                "--out",
                str(tmp_path / "bad.nc"),
                "--no-progress",
            ]
        )
        == 2
    )
    assert "order must be 0, 1, 2 or 3, got 5" in capsys.readouterr().err


def test_bad_markov_truth():
    with pytest.raises(ValueError, match="unknown markov truth 'zipf:1'"):
        RunConfig(model="markov", truth="zipf:1")
    with pytest.raises(ValueError, match="'accumulate-subsample' is not supported"):
        RunConfig(model="markov", settings=(Setting(scheme="accumulate-subsample"),))
    assert not make_markov_truth(np.array([[1.0, 0.0], [0.0, 1.0]]), 2, 1).irreducible


def test_pymc_rows_match_the_conjugate_posterior():
    # law: the pymc path targets Dirichlet(a0 + counts) per row; posterior means within
    # z = 4.5 Monte Carlo standard errors (18 comparisons: family false alarm ~1e-4)
    import arviz as az

    fam = MarkovLM(3, order=1, draws=400, tune=400)
    counts = np.array([[[12, 0, 3], [0, 0, 0], [5, 9, 30]], [[1, 1, 1], [40, 2, 0], [0, 7, 0]]])
    fit = make_fitter(fam, "pymc", 2).fit(
        counts, prior=fam.initial_prior(2), rng=np.random.default_rng(3)
    )
    exact = make_fitter(fam, "conjugate", 2).fit(counts, prior=fam.initial_prior(2), rng=None)
    mcse = az.mcse(fit.tree["posterior"]["theta"], method="mean").values.reshape(2, 3, 3)
    assert np.all(np.abs(fit.mean - exact.mean) < 4.5 * mcse)
    assert fit.diagnostics["divergences"] == 0.0


def test_truth_from_a_text_file(tmp_path):
    text = tmp_path / "corpus.txt"
    text.write_text("the cat sat on the mat the cat ran\nthe dog sat on the cat")
    truth = make_markov_truth(f"text:{text}", 4, 1)  # 3 most frequent words + <other>
    np.testing.assert_allclose(truth.probs.sum(axis=1), 1.0)
    # 'the' (most frequent, index 0) is followed by cat x3, mat x1, dog x1 -> cat is 3/5
    assert truth.probs[0].max() == pytest.approx(3 / 5)
    with pytest.raises(ValueError, match="the markov truth's text file .* does not exist"):
        make_markov_truth(f"text:{tmp_path / 'missing.txt'}", 4, 1)


def test_diagnose_reads_markov_runs(tmp_path, capsys):
    out = tmp_path / "lm.nc"
    assert (
        main(
            [
                "run",
                "--model",
                "markov",
                "--tokens",
                "3",
                "--generations",
                "2",
                "--replicates",
                "2",
                "--method",
                "conjugate",
                "--out",
                str(out),
                "--no-progress",
            ]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["diagnose", str(out), "--figures", str(tmp_path / "f")]) == 0
    assert "94% interval" in capsys.readouterr().out
    assert (tmp_path / "f" / "posterior_paths.png").exists()


@pytest.mark.parametrize("sequences", [30, 400])  # written one by one / by context occupancy
def test_sequence_counts_have_the_law_of_written_sequences(sequences, variance_se):
    # law: started from the stationary law pi, every position is stationary, so
    # E count(c, y) = n L pi(c) P(c, y); 30 sequences take the per-sequence path and 400
    # the occupancy path (C V = 36 cells). Means within z = 4.5 SE over 36 cells (false
    # alarm ~2e-4); the variance of one count matches between the paths within z = 4.5
    # SE of the difference of the two sample variances (tested at 8 seeds: 0 alarms).
    rng = np.random.default_rng(11)
    probs = rng.dirichlet(np.full(6, 0.7), size=6)
    reps, length = 3000, 5
    draw = sequence_counts(
        probs, np.full(reps, sequences), order=1, length=length, rng=np.random.default_rng(2)
    )
    expected = sequences * length * stationary(probs, 1)[:, None] * probs
    mean, se = draw.mean(axis=0), draw.std(axis=0, ddof=1) / np.sqrt(reps)
    assert np.all(np.abs(mean - expected) < 4.5 * se + 1e-12)
    # the other path on the same chain (sizes below / above C V pick it)
    other = 400 if sequences == 30 else 30
    alt = sequence_counts(
        probs, np.full(reps, other), order=1, length=length, rng=np.random.default_rng(3)
    )
    # counts scale with n: compare the variance per sequence of the busiest cell
    cell = np.unravel_index(np.argmax(expected), expected.shape)
    x, y = draw[:, cell[0], cell[1]] / sequences, alt[:, cell[0], cell[1]] / other
    vx, vy = x.var(ddof=1) * sequences, y.var(ddof=1) * other  # Var(count)/n per sequence
    se_diff = np.hypot(variance_se(x) * sequences, variance_se(y) * other)
    assert abs(vx - vy) < 4.5 * se_diff
