"""Curated Markov sequences: whole sequences kept by their summed reward, held to laws."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from bayescollapse.models.curation import Curation
from bayescollapse.models.markov import curation as markov_curation
from bayescollapse.models.markov.chain import make_markov_truth, stationary
from bayescollapse.models.markov.curation import CuratingSequenceWriter, transition_rewards

CHAIN = np.array([[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.3, 0.3, 0.4]])
REWARD = np.array([[0.0, 1.0, 2.0], [1.0, 0.0, 0.0], [2.0, 0.0, 1.0]])


def _kept_counts(spec, values, *, reps=4000, n=10, length=2, seed=2):
    writer = CuratingSequenceWriter(1, length, Curation.parse(spec).resolved(values))
    counts = writer.counts(np.broadcast_to(CHAIN, (reps, 3, 3)), np.full(reps, n), _rng(seed))
    return counts, writer.report


def _rng(seed):
    return np.random.default_rng(seed)


def _enumerated_best_of_2():
    """E[transition counts of the kept sequence], best of 2, by enumerating every pair."""
    pi = stationary(CHAIN[None], 1)[0]
    seqs = []
    for c, y1, y2 in itertools.product(range(3), repeat=3):
        cells = np.zeros((3, 3))
        cells[c, y1] += 1
        cells[y1, y2] += 1
        seqs.append((pi[c] * CHAIN[c, y1] * CHAIN[y1, y2], (cells * REWARD).sum(), cells))
    expected = np.zeros((3, 3))
    for (pa, ra, ca), (pb, rb, cb) in itertools.product(seqs, repeat=2):
        kept = ca if ra > rb else cb if rb > ra else (ca + cb) / 2
        expected += pa * pb * kept
    return expected


def _max_z(counts, expected_per_sequence, n=10):
    mean = counts.mean(axis=0)
    se = counts.std(axis=0, ddof=1) / np.sqrt(counts.shape[0])
    return np.max(np.abs(mean - n * expected_per_sequence) / np.where(se > 0, se, 1))


def test_best_of_two_sequences_keeps_the_enumerated_law():
    # law: the kept sequence of a pair is the one of higher summed transition reward (ties
    # half each); its expected transition counts, enumerated over all 27 x 27 pairs of
    # 2-step sequences from the stationary start, match the mean over 4000 sets of 10
    # kept sequences within z = 4.5 standard errors per cell (9 cells)
    counts, report = _kept_counts("best-of:2", REWARD)
    assert np.all(counts.sum(axis=(1, 2)) == 10 * 2) and report == {}
    assert _max_z(counts, _enumerated_best_of_2()) < 4.5


def test_a_planted_wrong_rule_fails_the_sequence_law(monkeypatch):
    right = markov_curation.choose
    monkeypatch.setattr(markov_curation, "choose", lambda c, r, rng: right(c, -r, rng))
    counts, _ = _kept_counts("best-of:2", REWARD)
    assert _max_z(counts, _enumerated_best_of_2()) > 4.5


def test_the_filter_keeps_a_sequence_with_the_product_of_its_acceptances():
    # law: a sequence is kept with probability A[c, y1] A[y1, y2]; the kept ones follow the
    # sequence law reweighted by it (enumerated), within z = 4.5 per cell
    accept = np.array([[1.0, 0.5, 0.0], [0.2, 1.0, 1.0], [1.0, 0.0, 0.5]])
    pi = stationary(CHAIN[None], 1)[0]
    expected, total = np.zeros((3, 3)), 0.0
    for c, y1, y2 in itertools.product(range(3), repeat=3):
        w = pi[c] * CHAIN[c, y1] * CHAIN[y1, y2] * accept[c, y1] * accept[y1, y2]
        cells = np.zeros((3, 3))
        cells[c, y1] += 1
        cells[y1, y2] += 1
        expected += w * cells
        total += w
    counts, report = _kept_counts("filter", accept)
    assert _max_z(counts, expected / total) < 4.5
    rate = report["acceptance_rate"]  # each candidate passes with probability `total`
    assert abs(rate.mean() - total) < 4.5 * rate.std(ddof=1) / np.sqrt(rate.size)


def test_transition_rewards_are_pinned_by_hand(tmp_path):
    truth = make_markov_truth(CHAIN, 3, 1)
    np.testing.assert_allclose(transition_rewards("truth", truth), np.log(CHAIN))
    np.testing.assert_allclose(truth.stationary @ CHAIN, [3 / 8, 3 / 8, 1 / 4])
    # stationary law (3/8, 3/8, 1/4) solves pi = pi P by hand; tokens 0 and 1 tie for the
    # most frequent, and the tie goes to the lower token (a stable sort)
    np.testing.assert_array_equal(transition_rewards("rank", truth), np.tile([3, 2, 1], (3, 1)))
    path = tmp_path / "r.txt"
    path.write_text(" ".join(map(str, range(9))))
    np.testing.assert_array_equal(
        transition_rewards(f"file:{path}", truth), np.arange(9.0).reshape(3, 3)
    )
    with pytest.raises(ValueError, match="must hold 3 finite numbers"):
        path.write_text("1 2")
        transition_rewards(f"file:{path}", truth)
