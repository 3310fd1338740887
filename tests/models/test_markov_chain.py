"""The Markov chain's own laws: where a written sequence starts, and the stationary law."""

import numpy as np
import pytest

from bayescollapse.models.markov.chain import sequence_counts, stationary

#: a 2-state chain whose stationary law (3/7, 4/7) differs from uniform and from the
#: truth's of tests/metrics/test_distances.py (2/3, 1/3)
CHAIN = np.array([[0.6, 0.4], [0.3, 0.7]])


def test_stationary_law_of_a_two_state_chain():
    np.testing.assert_allclose(stationary(CHAIN[None], 1)[0], [3 / 7, 4 / 7], rtol=1e-12)


@pytest.mark.parametrize(
    "sequences, one_by_one", [(1, True), (50_000, False)]
)  # fewer sequences than half the (context, token) cells are written one by one
def test_sequences_start_in_the_generating_chains_stationary_law(
    sequences, one_by_one, monkeypatch
):
    # law: with length 1 each sequence emits one token from its start context, so a row's
    # total is the number of sequences starting there: Binomial(N, pi(c)) with pi = (3/7,
    # 4/7). Over 4000 replicates the mean share is within z = 4 SE; a uniform start (1/2) or
    # the truth's law would be hundreds of SE away. Each path is checked to be the one taken.
    from bayescollapse.models.markov import chain as markov_chain

    taken = []
    by_sequence = markov_chain._by_sequence
    monkeypatch.setattr(
        markov_chain, "_by_sequence", lambda *a, **k: taken.append(1) or by_sequence(*a, **k)
    )
    reps = 4000
    rng = np.random.default_rng(11)
    counts = sequence_counts(CHAIN, np.full(reps, sequences), order=1, length=1, rng=rng)
    assert bool(taken) == one_by_one
    share = counts.sum(axis=-1)[:, 0] / sequences
    se = np.sqrt(3 / 7 * 4 / 7 / (sequences * reps))
    assert abs(share.mean() - 3 / 7) < 4 * se


@pytest.mark.parametrize("tokens", [5, 80])
def test_the_two_token_lookups_write_the_same_sequences(tokens, monkeypatch):
    # small vocabularies compare the uniform with the whole CDF row, large ones search the
    # rows laid end to end: from one stream both must give the same counts. Catches an
    # off-by-one in either lookup (a token shifted by one, or the last token never drawn).
    from bayescollapse.models.markov import chain as markov_chain

    rng = np.random.default_rng(5)
    probs = rng.dirichlet(np.full(tokens, 0.5), size=(3, tokens))
    sizes = np.array([4, 7, 1])
    draws = []
    for limit in (10**6, 0):  # every row compared, then every row searched
        monkeypatch.setattr(markov_chain, "SMALL_VOCABULARY", limit)
        draws.append(
            markov_chain.sequence_counts(
                probs, sizes, order=1, length=30, rng=np.random.default_rng(9)
            )
        )
    np.testing.assert_array_equal(draws[0], draws[1])
    assert draws[0].sum() == sizes.sum() * 30


def test_above_the_solve_limit_power_iteration_reaches_the_solved_law():
    # law: for an irreducible aperiodic chain (every transition positive) power iteration
    # from the uniform start converges to the unique law the dense solve finds; a one-line
    # bug in the reshape-and-sum step (a wrong next context) moves it off by far more than
    # the 1e-10 allowed
    from bayescollapse.models.markov.chain import _stationary

    probs = np.random.default_rng(4).dirichlet(np.ones(3), size=(2, 9))  # 2 chains, order 2
    solved = _stationary(probs, 2, 500, limit=1024)
    iterated = _stationary(probs, 2, 2000, limit=4)  # 9 contexts > 4: power iteration
    np.testing.assert_allclose(iterated, solved, atol=1e-10)
    np.testing.assert_allclose(solved.sum(axis=-1), 1.0)


def test_sparse_zipf_rows_have_d_successors_with_zipf_weights():
    from bayescollapse.models.markov.chain import make_markov_truth

    truth = make_markov_truth("sparse-zipf:1.5:3:7", 6, 1)
    w = np.arange(1, 4, dtype=float) ** -1.5
    for row in truth.probs:
        np.testing.assert_allclose(np.sort(row[row > 0])[::-1], w / w.sum())
    with pytest.raises(ValueError, match="unknown markov truth 'sparse-zipf:1.5:7:7'"):
        make_markov_truth("sparse-zipf:1.5:7:7", 6, 1)  # D > V
    with pytest.raises(ValueError, match="unknown markov truth 'dirichlet-rows:0:1'"):
        make_markov_truth("dirichlet-rows:0:1", 6, 1)


def test_a_reducible_truth_is_flagged_and_warned_of():
    import xarray as xr

    from bayescollapse.models.markov.chain import make_markov_truth
    from bayescollapse.models.markov.family import MarkovLM

    two_classes = np.array([[1.0, 0.0], [0.0, 1.0]])  # each state keeps to itself
    assert not make_markov_truth(two_classes, 2, 1).irreducible
    assert make_markov_truth(CHAIN, 2, 1).irreducible
    ds = xr.Dataset({"truth_stationary": ("context", [0.5, 0.5], {"irreducible": 0})})
    assert "reducible" in MarkovLM.warnings(ds)[0]
    ds["truth_stationary"].attrs["irreducible"] = 1
    assert MarkovLM.warnings(ds) == []
