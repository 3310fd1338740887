"""Curation: the synthetic items a reward or a verifier keeps before the next fit.

Real retraining pipelines keep the samples a reward model, a user or a verifier prefers.
A setting's ``curation`` names the rule; its ``reward`` the reward (or acceptance law),
read by the family (:meth:`reward_values` of a family face):

- ``none`` (default): the synthetic items as written; the loop is unchanged, bit for bit.
- ``best-of:K``: K candidates per synthetic item; the one of highest reward is kept,
  ties broken uniformly among the tied.
- ``bradley-terry:K:BETA``: K candidates; candidate ``j`` is kept with probability
  ``exp(BETA r_j) / sum_i exp(BETA r_i)`` (the K-wise choice model of Ferbach, Bertrand,
  Bose & Gidel 2024, arXiv 2407.09499), drawn exactly by the Gumbel-max trick.
- ``filter``: each candidate is kept with probability ``a(x)`` (a verifier; the reward
  read as an acceptance law in [0, 1]), and candidates are drawn until the synthetic part
  has its ``n_t`` items (Feng et al. 2024, arXiv 2406.07515).

Candidates are the items the previous model writes, in the setting's synthetic mode and
decoding (decode, then curate): for a Bayesian fit, its posterior predictive draws. Real
items are never curated. The candidates come from the setting's own stream, so a curated
setting is paired with its uncurated twin (the same real data, the same fits' streams).
The closed forms of each rule are in :mod:`bayescollapse.theory.curation`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = [
    "CURATION_VARIABLES",
    "NO_CURATION",
    "RULES",
    "Curation",
    "choose",
    "curated_counts",
    "PointReward",
    "curated_points",
    "filter_batch",
    "filter_wanted",
    "first_accepted",
    "refuse_if_never_accepted",
    "kept_by_filter",
    "read_reward_file",
    "reward_numbers",
    "point_rewards",
    "token_curation_record",
    "token_rewards",
]

#: the curation rules and the form of their spec
RULES = {
    "none": "none",
    "best-of": "best-of:K",
    "bradley-terry": "bradley-terry:K:BETA",
    "filter": "filter",
}
_RGEN = ("setting", "replicate", "generation")
#: the results variables of a curated token family (NaN for the settings not curated)
CURATION_VARIABLES = {
    "reward_mean": (_RGEN, "expected reward under the fitted law, E_{P_t} r (curated settings)"),
    "reward_max_share": (_RGEN, "fitted mass on the tokens of highest reward"),
    "tv_to_reward_target": (
        _RGEN,
        "TV distance of the fit to the truth restricted to the tokens of highest reward "
        "(the limit of best-of and Bradley-Terry curation without real data)",
    ),
    "acceptance_rate": (
        _RGEN,
        "accepted candidates over candidates drawn for the generation's data (filter)",
    ),
}
#: the most candidates per item (a bound, so a typo cannot ask for a billion draws)
MAX_CANDIDATES = 1024
#: a filter that keeps fewer than this share of candidates is refused as never ending
MIN_ACCEPTANCE = 1e-6


@dataclass(frozen=True)
class Curation:
    """A parsed curation rule, with its reward once resolved against a truth.

    Attributes
    ----------
    rule : str
        ``none``, ``best-of``, ``bradley-terry`` or ``filter``.
    k : int
        Candidates per kept item (1 for ``none`` and ``filter``).
    beta : float
        The Bradley-Terry inverse temperature.
    values : numpy.ndarray, callable or None
        The reward, once resolved: per token for a token family, a function of the point
        (:class:`PointReward`) for a real-valued one.
    """

    rule: str = "none"
    k: int = 1
    beta: float = 0.0
    values: Any = field(default=None, compare=False, repr=False)

    @classmethod
    def parse(cls, spec: str) -> Curation:
        """Read ``none``, ``best-of:K``, ``bradley-terry:K:BETA`` or ``filter``.

        Raises
        ------
        ValueError
            In one line naming the spec and the allowed forms.
        """
        name, *args = str(spec).strip().split(":")
        forms = ", ".join(RULES.values())
        try:
            if name not in RULES or len(args) != RULES[name].count(":"):
                raise ValueError
            if name in ("none", "filter"):
                return cls(name)
            k = int(args[0])
            beta = float(args[1]) if name == "bradley-terry" else 0.0
        except ValueError:
            raise ValueError(f"curation {spec!r} is not one of {forms}") from None
        if not 1 <= k <= MAX_CANDIDATES:
            raise ValueError(f"curation {spec!r}: K must be an integer in 1..{MAX_CANDIDATES}")
        if not math.isfinite(beta):
            raise ValueError(f"curation {spec!r}: BETA must be a finite number")
        return cls(name, k, beta)

    @property
    def plain(self) -> bool:
        """Whether nothing is curated."""
        return self.rule == "none"

    @property
    def ties_possible(self) -> bool:
        """Whether two different items can have the same reward (per-token values repeat).

        A reward of real-valued items ties with probability 0; per-token values tie only
        if two tokens share a value.
        """
        values = self.values
        if values is None or callable(values):
            return False
        flat = np.ravel(values)
        return np.unique(flat).size < flat.size

    @property
    def spec(self) -> str:
        """The canonical spec, e.g. ``bradley-terry:4:1``."""
        if self.rule == "best-of":
            return f"best-of:{self.k}"
        if self.rule == "bradley-terry":
            return f"bradley-terry:{self.k}:{self.beta:g}"
        return self.rule

    def resolved(self, values) -> Curation:
        """Return this rule with its reward (per-token values are checked for the filter)."""
        if callable(values):
            if self.rule == "filter" and not values.bounded_above_by_zero:
                raise ValueError(
                    "curation 'filter' keeps a point with probability exp(r(x)), so it needs "
                    "a reward r <= 0: 'quadratic:C' with C >= 0"
                )
            return Curation(self.rule, self.k, self.beta, values)
        values = np.asarray(values, dtype=float)
        if self.rule == "filter" and (np.any(values < 0) or np.any(values > 1)):
            raise ValueError(
                "curation 'filter' reads the reward as an acceptance probability: every "
                f"value must lie in [0, 1], got values in [{values.min():g}, {values.max():g}]"
            )
        return Curation(self.rule, self.k, self.beta, values)


NO_CURATION = Curation()


def choose(curation: Curation, rewards: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Return the index of the kept candidate of each row of ``rewards`` (N, K).

    ``best-of``: a highest reward, uniformly among the tied; ``bradley-terry``: candidate
    ``j`` with probability proportional to ``exp(beta r_j)`` (argmax of ``beta r`` plus
    standard Gumbel noise, which draws exactly that choice).
    """
    if curation.rule == "best-of":
        if not curation.ties_possible:  # tied candidates are then the same item: any will do
            return np.argmax(rewards, axis=1)
        best = rewards == rewards.max(axis=1, keepdims=True)
        return np.argmax(np.where(best, rng.random(rewards.shape), -1.0), axis=1)
    if curation.rule == "bradley-terry":
        return np.argmax(curation.beta * rewards + rng.gumbel(size=rewards.shape), axis=1)
    raise ValueError(f"curation {curation.rule!r} does not choose among candidates")


def curated_counts(write, sizes: np.ndarray, curation: Curation, rng) -> tuple:
    """Return the curated counts of ``sizes[r]`` items per replicate, and the report.

    ``write(m)`` writes ``m[r]`` iid items per replicate as counts ``(R, V)``: the
    model's synthetic data. Their order is lost in the counts, but the items are iid, so
    a uniformly random order of the written multiset is an iid sequence again: shuffled
    and cut into groups of K, the groups are K independent candidates per kept item
    (exchangeability), and a one-pass choice per group curates them.

    Returns
    -------
    counts : numpy.ndarray
        (R, V) counts of the kept items.
    report : dict
        The filter's ``acceptance_rate`` per replicate (empty for the other rules).
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    if curation.rule == "filter":
        return kept_by_filter(write, sizes, curation.values, rng)
    k = curation.k
    written = np.asarray(write(k * sizes), dtype=np.int64)
    reps, tokens = written.shape
    flat = np.repeat(np.tile(np.arange(tokens, dtype=np.int32), reps), written.ravel())
    ends = np.cumsum(written.sum(axis=1))
    for start, end in zip(ends - written.sum(axis=1), ends, strict=True):
        rng.shuffle(flat[start:end])  # in place, within each replicate: O(n), no sort
    groups = flat.reshape(-1, k)
    kept = groups[np.arange(groups.shape[0]), choose(curation, curation.values[groups], rng)]
    group_owner = np.repeat(np.arange(reps), sizes)
    counts = np.bincount(group_owner * tokens + kept, minlength=reps * tokens)
    return counts.reshape(reps, tokens), {}


def kept_by_filter(write, sizes: np.ndarray, accept: np.ndarray, rng) -> tuple:
    """Keep each written item with probability ``accept[token]`` until ``sizes[r]`` are kept.

    Candidates are written in rounds, each sized by the acceptance seen so far; a count
    ``c`` of a token is thinned to ``Binomial(c, a)``. The kept items of the last round
    beyond what is needed are dropped uniformly (a hypergeometric subsample), so the kept
    items are iid from the model's law reweighted by ``a``.

    Raises
    ------
    ValueError
        If the acceptance is 0 wherever the model puts mass (no candidate is ever kept).
    """
    from bayescollapse.models.counts import subsample_counts

    sizes = np.asarray(sizes, dtype=np.int64)
    kept = None
    drawn = np.zeros_like(sizes)
    accepted = np.zeros_like(sizes)
    first = None  # the first round's accepted share: the acceptance rate (FIRST_ROUND)
    while True:
        need = sizes - accepted
        if not need.any():
            if kept is None:  # nothing to write (every item real): empty counts, no rate
                kept = np.asarray(write(sizes), dtype=np.int64)
                first = np.full(sizes.shape, np.nan)
            return kept, {"acceptance_rate": first}
        batch = filter_wanted(sizes, accepted, drawn)  # per replicate: counts cost no memory
        written = np.asarray(write(batch), dtype=np.int64)
        thinned = rng.binomial(written, np.broadcast_to(accept, written.shape))
        got = thinned.sum(axis=1)
        if first is None:  # a replicate with nothing to write has no rate: NaN
            first = np.where(batch > 0, got / np.maximum(batch, 1), np.nan)
        over = np.maximum(accepted + got - sizes, 0)
        if over.any():
            thinned = subsample_counts(thinned, got - over, rng=rng)
        kept = thinned if kept is None else kept + thinned
        drawn += batch
        accepted += got - over
        refuse_if_never_accepted(accepted, drawn)


#: the largest reward file read (a bound, so a device or a huge file is refused)
MAX_REWARD_BYTES = 16 * 2**20


def token_rewards(spec: str, truth: np.ndarray) -> np.ndarray:
    """Return the reward of every token from a spec, given the truth ``P*`` (V,).

    ``rank``: the true rank reversed (the most probable token ``V``, the least ``1``);
    ``truth``: ``log P*`` (a token of zero true mass gets ``log`` of the smallest double);
    ``top:M``: 1 for the ``M`` most probable true tokens, else 0 (a verifier);
    ``values:R1,R2,...``: one number per token; ``file:PATH``: a text file of ``V``
    whitespace-separated numbers.

    Raises
    ------
    ValueError
        In one line naming the spec and what is allowed.
    """
    truth = np.asarray(truth, float)
    tokens = truth.size
    name, _, rest = str(spec).partition(":")
    forms = "'rank', 'truth', 'top:M', 'values:R1,R2,...' or 'file:PATH'"
    order = np.argsort(-truth, kind="stable")  # most probable first
    if name == "rank" and not rest:
        out = np.empty(tokens)
        out[order] = np.arange(tokens, 0, -1)
        return out
    if name == "truth" and not rest:
        return np.log(np.maximum(truth, np.finfo(float).tiny))
    if name == "top" and rest.isdigit() and 1 <= int(rest) <= tokens:
        out = np.zeros(tokens)
        out[order[: int(rest)]] = 1.0
        return out
    if name == "values" and rest:
        return reward_numbers(rest.replace(",", " "), tokens, f"reward {spec!r}")
    if name == "file" and rest:
        return reward_numbers(read_reward_file(rest), tokens, f"reward file {rest}")
    raise ValueError(f"reward {spec!r} is not one of {forms} (M in 1..{tokens})")


def reward_numbers(text: str, count: int, what: str) -> np.ndarray:
    """Return ``count`` finite numbers from whitespace-separated text, or a one-line error."""
    try:
        values = np.array([float(x) for x in text.split()])
    except ValueError:
        raise ValueError(f"{what} must hold numbers only") from None
    if values.size != count or not np.all(np.isfinite(values)):
        raise ValueError(f"{what} must hold {count} finite numbers (one per token)")
    return values


def read_reward_file(path: str) -> str:
    """Return a reward file's text (a regular file of at most 16 MB, UTF-8)."""
    from pathlib import Path

    from bayescollapse.models.text_files import read_bounded_text

    if not Path(path).is_file():
        raise ValueError(f"reward file {path} is not a regular file")
    return read_bounded_text(Path(path), MAX_REWARD_BYTES, f"reward file {path}")


def token_curation_record(fit, curation: Curation, data, truth: np.ndarray) -> dict:
    """Return the curation metrics of a token-law fit (categorical), per replicate.

    ``reward_mean`` (``E_{P_t} r``), ``reward_max_share`` (the fitted mass on the
    maximisers of ``r``), ``tv_to_reward_target`` (TV distance to ``P*`` restricted to
    them, the limit of best-of and Bradley-Terry without real data) and, for ``filter``,
    ``acceptance_rate`` (from the curation's report on the generation's data).
    """
    from bayescollapse.theory.curation import reward_target

    reward = curation.values
    theta = fit.mean
    best = reward == reward.max()
    row = {
        "reward_mean": theta @ reward,
        "reward_max_share": theta[..., best].sum(axis=-1),
        "tv_to_reward_target": 0.5 * np.abs(theta - reward_target(truth, reward)).sum(axis=-1),
    }
    row.update(data.curated or {})
    return row


def point_rewards(spec: str):
    """Return the reward ``r(x)`` of a real-valued item from a spec, as a function.

    ``linear:B``: ``r(x) = B x`` (larger points preferred for ``B > 0``);
    ``quadratic:C``: ``r(x) = -C x^2`` (points near 0 preferred for ``C > 0``). The filter
    reads ``exp(r(x))`` as its acceptance, so it needs ``r <= 0``: ``quadratic:C`` with
    ``C >= 0`` (a Gaussian-shaped verifier, ``a(x) = exp(-C x^2)``).

    Raises
    ------
    ValueError
        In one line naming the spec and what is allowed.
    """
    name, _, rest = str(spec).partition(":")
    try:
        if name not in ("linear", "quadratic") or not rest:
            raise ValueError
        coefficient = float(rest)
        if not math.isfinite(coefficient):
            raise ValueError
    except ValueError:
        raise ValueError(f"reward {spec!r} is not 'linear:B' or 'quadratic:C'") from None
    if name == "linear":
        return PointReward(coefficient, 0.0)
    return PointReward(0.0, coefficient)


@dataclass(frozen=True)
class PointReward:
    """``r(x) = linear x - quadratic x^2``, evaluated on arrays of points."""

    linear: float
    quadratic: float

    def __call__(self, x: np.ndarray) -> np.ndarray:
        """Return the reward of each point."""
        return self.linear * x - self.quadratic * x**2

    @property
    def bounded_above_by_zero(self) -> bool:
        """Whether ``r <= 0`` everywhere (so ``exp(r)`` is an acceptance probability)."""
        return self.linear == 0 and self.quadratic >= 0

    def normal_mean(self, mu: np.ndarray, sigma: np.ndarray) -> np.ndarray:
        """Return ``E r(X)`` for ``X ~ N(mu, sigma^2)``: ``B mu`` or ``-C (mu^2 + sigma^2)``."""
        return self.linear * mu - self.quadratic * (mu**2 + sigma**2)


def curated_points(draw, sizes: np.ndarray, curation: Curation, rng) -> tuple:
    """Return the kept points (R, max n; the first ``sizes[r]`` of each row) and the report.

    ``draw(shape)`` writes candidate points (R, N) from the previous model. ``best-of`` and
    ``bradley-terry`` draw ``K`` candidates per kept point; ``filter`` keeps each with
    probability ``exp(r(x))``, in rounds, until every replicate has its points.
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    reps, width = sizes.size, max(int(sizes.max(initial=0)), 1)
    reward = curation.values
    if curation.rule != "filter":
        k = curation.k
        candidates = draw((reps, width * k)).reshape(reps * width, k)
        pick = choose(curation, reward(candidates), rng)
        kept = candidates[np.arange(candidates.shape[0]), pick].reshape(reps, width)
        return kept, {}
    kept = np.zeros((reps, width))
    have = np.zeros(reps, dtype=np.int64)
    drawn = np.zeros(reps, dtype=np.int64)
    first = np.full(reps, np.nan)  # the first round's accepted share (FIRST_ROUND)
    while np.any(have < sizes):
        need = sizes - have
        batch = filter_batch(sizes, have, drawn, cells=reps)
        points = draw((reps, batch))
        accepted = rng.random(points.shape) < np.exp(reward(points))
        take, rank = first_accepted(accepted, need)
        rows, cols = np.nonzero(take)
        kept[rows, have[rows] + rank[rows, cols] - 1] = points[rows, cols]
        if not drawn.any():  # the first round (FIRST_ROUND)
            first = accepted.mean(axis=1)
        drawn += np.where(need > 0, batch, 0)
        have += take.sum(axis=1)
        refuse_if_never_accepted(have, drawn)
    return kept, {"acceptance_rate": first}


#: the most values one round of the filter writes (candidates x their size): 128 MB of int64
MAX_ROUND_CELLS = 2**24


def filter_wanted(sizes: np.ndarray, have: np.ndarray, drawn: np.ndarray) -> np.ndarray:
    """Return the candidates each replicate wants in the filter's next round (0: done).

    Sized by the acceptance seen so far (all of it at first): 20 % more than needed, plus 8.
    """
    need = sizes - have
    rate = np.maximum(have / np.maximum(drawn, 1), MIN_ACCEPTANCE) if drawn.any() else 1.0
    return np.where(need > 0, np.ceil(1.2 * need / rate).astype(np.int64) + 8, 0)


def filter_batch(sizes: np.ndarray, have: np.ndarray, drawn: np.ndarray, *, cells=1) -> int:
    """Return one round's candidates per replicate when every replicate draws as many.

    The most any replicate wants (:func:`filter_wanted`), and at most
    :data:`MAX_ROUND_CELLS` values in all (``cells`` values per candidate and replicate):
    a rare acceptance takes more rounds, not more memory.
    """
    wanted = int(filter_wanted(sizes, have, drawn).max(initial=0))
    return max(1, min(wanted, MAX_ROUND_CELLS // max(cells, 1)))


#: why a filter reports its first round's accepted share as its acceptance rate
FIRST_ROUND = """The first round's size depends on no outcome, so its accepted share is an
unbiased estimate of the model's acceptance rate ``E_P a``; the share over all rounds is
not (a replicate whose first round passed more stops sooner: it is biased upwards)."""


def first_accepted(accepted: np.ndarray, need: np.ndarray) -> tuple:
    """Return the mask of each row's first ``need[r]`` accepted candidates, and the ranks."""
    rank = np.cumsum(accepted, axis=1)
    return accepted & (rank <= need[:, None]), rank


def refuse_if_never_accepted(have: np.ndarray, drawn: np.ndarray) -> None:
    """Raise a one-line ValueError once a replicate has drawn ``1 / MIN_ACCEPTANCE`` for none."""
    if np.any((have == 0) & (drawn * MIN_ACCEPTANCE > 1)):
        raise ValueError(
            "curation 'filter' keeps no candidate: the acceptance law is 0 wherever the "
            "model puts mass (choose a reward that accepts some of what it writes)"
        )
