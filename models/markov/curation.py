"""Curation of the Markov model's synthetic sequences: whole sequences are the items.

A sequence's reward is the sum of its transitions' rewards ``R[c, y]`` (a per-token
reward is the same for every context); the filter keeps a sequence with probability
``prod_t A[c_t, y_t]`` (per-transition acceptances in [0, 1]: a sequence is kept when
every one of its steps passes). Candidates are written whole by
:func:`bayescollapse.models.markov.chain.write_sequences` from the law the fit writes
(its synthetic mode and decoding), starting in that law's stationary context, as every
synthetic sequence does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bayescollapse.models.curation import (
    Curation,
    choose,
    filter_batch,
    first_accepted,
    read_reward_file,
    refuse_if_never_accepted,
    reward_numbers,
    token_rewards,
)
from bayescollapse.models.markov.chain import stationary, write_sequences

__all__ = ["CuratingSequenceWriter", "sequence_curation_record", "transition_rewards"]


def transition_rewards(spec: str, truth) -> np.ndarray:
    """Return the reward of every transition (C, V) from a spec, given the true chain.

    ``truth``: ``log P*(y | c)`` (a sequence's reward is its log-likelihood under the true
    chain); the token specs (``rank``, ``top:M``, ``values:...``, see
    :func:`~bayescollapse.models.curation.token_rewards`), ranked by the truth's stationary
    token frequencies, for every context alike; ``file:PATH`` with ``V`` numbers (per
    token) or ``C x V`` (per transition, row by row).
    """
    probs = truth.probs
    contexts, tokens = probs.shape
    if spec == "truth":
        return np.log(np.maximum(probs, np.finfo(float).tiny))
    if spec.startswith("file:"):
        text = read_reward_file(spec[5:])
        count = len(text.split())
        if count == contexts * tokens and contexts > 1:
            values = reward_numbers(text, contexts * tokens, f"reward file {spec[5:]}")
            return values.reshape(contexts, tokens)
    marginal = truth.stationary @ probs  # the truth's stationary token frequencies
    return np.broadcast_to(token_rewards(spec, marginal), (contexts, tokens)).copy()


@dataclass
class CuratingSequenceWriter:
    """A sequence writer that curates: it writes candidates and keeps what the rule chooses.

    It stands in for the family's ``SequenceWriter`` in a fit (its ``counts`` has the
    same form); ``report`` holds what its last call reports (a filter's acceptance rate).
    """

    order: int
    length: int
    curation: Curation
    report: dict = field(default_factory=dict, init=False)

    def counts(self, probs, sizes, rng) -> np.ndarray:
        """Return the transition counts (R, C, V) of ``sizes[r]`` kept sequences."""
        sizes = np.asarray(sizes, dtype=np.int64)
        p = np.maximum(np.asarray(probs, float), 0.0)
        p = p / p.sum(axis=-1, keepdims=True)
        reps = sizes.size
        p = np.broadcast_to(p, (reps, *p.shape[-2:]))
        pi = np.broadcast_to(stationary(np.asarray(probs, float), self.order), p.shape[:-1])
        if self.curation.rule == "filter":
            return self._filtered(p, pi, sizes, rng)
        k, width = self.curation.k, max(int(sizes.max(initial=0)), 1)
        rows, made, scores = self._write(p, pi, np.full(reps, k * width), rng)
        pick = choose(self.curation, scores.reshape(reps * width, k), rng)
        kept = (np.arange(reps * width) * k + pick).reshape(reps, width)
        kept = kept[np.arange(width) < sizes[:, None]]
        return self._count(p.shape, rows[:, kept], made[:, kept])

    def _write(self, p, pi, sizes, rng) -> tuple:
        """Write candidates; return their steps' rows and tokens and each one's reward sum."""
        rows, made = write_sequences(p, pi, sizes, order=self.order, length=self.length, rng=rng)
        contexts = p.shape[-2]
        values = np.asarray(self.curation.values)
        if self.curation.rule == "filter":
            with np.errstate(divide="ignore"):
                values = np.log(values)  # acceptances multiply: their logs add up
        scores = values[rows % contexts, made.astype(np.intp)].sum(axis=0)
        return rows, made, scores

    @staticmethod
    def _count(shape, rows, made) -> np.ndarray:
        reps, contexts, tokens = shape
        cells = rows * tokens + made
        counts = np.bincount(cells.ravel(), minlength=reps * contexts * tokens)
        return counts.reshape(reps, contexts, tokens).astype(np.int64)

    def _filtered(self, p, pi, sizes, rng) -> np.ndarray:
        """Keep each candidate with probability ``prod A``, in rounds, until ``sizes[r]``."""
        reps = sizes.size
        have, drawn = np.zeros(reps, dtype=np.int64), np.zeros(reps, dtype=np.int64)
        first = np.full(reps, np.nan)  # the first round's accepted share (FIRST_ROUND)
        counts = np.zeros(p.shape, dtype=np.int64)
        while np.any(have < sizes):
            need = sizes - have
            batch = filter_batch(sizes, have, drawn, cells=reps * self.length)
            rows, made, log_accept = self._write(p, pi, np.full(reps, batch), rng)
            accepted = rng.random((reps, batch)) < np.exp(log_accept.reshape(reps, batch))
            take, _ = first_accepted(accepted, need)
            counts += self._count(p.shape, rows[:, take.ravel()], made[:, take.ravel()])
            if not drawn.any():  # the first round (FIRST_ROUND)
                first = accepted.mean(axis=1)
            drawn += np.where(need > 0, batch, 0)
            have += take.sum(axis=1)
            refuse_if_never_accepted(have, drawn)
        self.report = {"acceptance_rate": first}
        return counts


def sequence_curation_record(fit, curation: Curation, data, length: int, order: int) -> dict:
    """Return the Markov model's curation metrics per replicate.

    ``reward_mean``: a sequence's expected reward under the fitted chain started in its
    stationary law, ``L sum_c pi(c) sum_y P(y | c) R[c, y]``; ``reward_max_share``: the
    stationary chance that the next token is one of its context's best; for ``filter``,
    ``acceptance_rate`` (kept sequences over candidates drawn).
    """
    theta = fit.mean  # (R, C, V)
    pi = stationary(theta, order)  # (R, C)
    reward = np.asarray(curation.values)
    best = reward == reward.max(axis=-1, keepdims=True)
    row = {
        "reward_mean": length * np.einsum("rc,rcv,cv->r", pi, theta, reward),
        "reward_max_share": np.einsum("rc,rcv->r", pi, theta * best),
    }
    row.update(data.curated or {})
    return row
