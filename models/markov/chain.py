"""Order-k Markov chains over V tokens: truths, stationary laws and vectorised sampling.

A chain of order k has ``C = V**k`` contexts (the last k tokens, read as a base-V number)
and a row-stochastic transition array ``P`` of shape ``(C, V)``. After emitting token y
in context c the next context is ``(c * V + y) mod C``. Order 0 has one context: a
categorical distribution.
"""

from __future__ import annotations

import contextlib
import functools
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bayescollapse.models.counts import multinomial_counts
from bayescollapse.models.text_files import read_bounded_text

__all__ = ["MarkovTruth", "make_markov_truth", "stationary", "sequence_counts"]


#: largest number of contexts whose stationary law is solved as a dense linear system
SOLVE_LIMIT = 1024


def stationary(probs: np.ndarray, order: int, *, iterations: int = 500) -> np.ndarray:
    """Stationary law of the context chain, batched: (..., C, V) -> (..., C).

    Context ``c`` moves to ``(c V + y) mod C`` with probability ``P[c, y]``. Up to
    :data:`SOLVE_LIMIT` contexts the law is solved: ``pi (T - I) = 0`` with ``sum pi = 1``
    as one batched dense solve. A chain with several closed classes has no unique law; for
    it (singular system, or a solution that fails the checks), and above the limit, the law
    is the one reached from the uniform start by ``iterations`` steps of power iteration,
    each a reshape-and-sum with no per-context loop.
    """
    probs = np.ascontiguousarray(probs, dtype=float)
    if order == 0:
        return np.full(probs.shape[:-1], 1.0 / probs.shape[-2])
    return _remembered(probs.tobytes(), probs.shape, order, iterations, SOLVE_LIMIT)


@functools.lru_cache(maxsize=4)
def _remembered(data: bytes, shape: tuple, order: int, iterations: int, limit: int) -> np.ndarray:
    """Return the law of :func:`stationary`, remembered by value.

    A run asks for the truth's law and each fitted chain's more than once (the fit's
    metrics, then its synthetic data).
    """
    pi = _stationary(np.frombuffer(data).reshape(shape), order, iterations, limit)
    pi.setflags(write=False)
    return pi


def _stationary(probs: np.ndarray, order: int, iterations: int, limit: int) -> np.ndarray:
    *batch, contexts, tokens = probs.shape
    if contexts > limit:
        return _power_iteration(probs, iterations)
    flat = probs.reshape(-1, contexts, tokens)
    nxt = (np.arange(contexts)[:, None] * tokens + np.arange(tokens)) % contexts
    transition = np.zeros((flat.shape[0], contexts, contexts))
    transition[:, np.arange(contexts)[:, None], nxt] = flat  # T[c, next(c, y)] = P[c, y]
    system = np.swapaxes(transition, -1, -2) - np.eye(contexts)  # (T^T - I) pi = 0
    system[:, -1, :] = 1.0  # ... with the last equation replaced by sum(pi) = 1
    rhs = np.zeros((flat.shape[0], contexts))
    rhs[:, -1] = 1.0
    try:
        pi = np.linalg.solve(system, rhs[..., None])[..., 0]
    except np.linalg.LinAlgError:  # some system is singular: solve the others one by one
        pi = np.full_like(rhs, np.nan)
        for i in range(system.shape[0]):
            with contextlib.suppress(np.linalg.LinAlgError):
                pi[i] = np.linalg.solve(system[i], rhs[i])
    residual = np.abs(np.einsum("bc,bcd->bd", pi, transition) - pi).max(axis=-1)
    good = np.isfinite(residual) & (residual < 1e-9) & (pi.min(axis=-1) > -1e-12)
    if not good.all():
        pi[~good] = _power_iteration(flat[~good], iterations)
    pi = np.clip(pi, 0.0, None)
    return (pi / pi.sum(axis=-1, keepdims=True)).reshape(*batch, contexts)


def _power_iteration(probs: np.ndarray, iterations: int) -> np.ndarray:
    """Stationary law reached from the uniform start by power iteration: (..., C, V) -> (..., C)."""
    *batch, contexts, tokens = probs.shape
    pi = np.full((*batch, contexts), 1.0 / contexts)
    for _ in range(iterations):
        flow = pi[..., :, None] * probs  # (..., C, V): mass moving c -> (c V + y) mod C
        pi = flow.reshape(*batch, tokens, contexts // tokens, tokens).sum(axis=-3)
        pi = pi.reshape(*batch, contexts)
    return pi / pi.sum(axis=-1, keepdims=True)


def _irreducible(probs: np.ndarray, order: int) -> bool:
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import connected_components

    contexts, tokens = probs.shape
    if order == 0:
        return True
    rows, cols = np.nonzero(probs > 0)
    graph = csr_matrix(
        (np.ones(rows.size), (rows, (rows * tokens + cols) % contexts)), shape=(contexts, contexts)
    )
    return connected_components(graph, directed=True, connection="strong")[0] == 1


@dataclass(frozen=True)
class MarkovTruth:
    """The true chain.

    ``probs`` (C, V) are its transitions, ``stationary`` (C,) its stationary law, and
    ``irreducible`` says whether that law is unique.
    """

    probs: np.ndarray
    stationary: np.ndarray
    irreducible: bool


def make_markov_truth(spec, num_tokens: int, order: int) -> MarkovTruth:
    """Build the true chain from a recipe or an explicit array.

    Recipes: ``zipf-rows:S:SEED`` (every row Zipf(S) weights over a random permutation of
    the tokens), ``sparse-zipf:S:D:SEED`` (D successors per context, Zipf weights),
    ``dirichlet-rows:C:SEED`` (each row a Dirichlet(C) draw), ``text:PATH`` (row
    frequencies of a whitespace-separated token file: its V - 1 most frequent tokens plus
    one for all others; contexts never seen get uniform rows).
    """
    contexts = num_tokens**order
    if not isinstance(spec, str):
        probs = np.asarray(spec, float).reshape(contexts, num_tokens)
    else:
        name, _, rest = spec.partition(":")
        args = rest.split(":") if rest else []
        try:
            probs = _recipe(name, args, num_tokens, contexts, order)
        except ValueError as err:
            if "text file" in str(err):
                raise
            raise ValueError(
                f"unknown markov truth {spec!r}: use 'zipf-rows:S:SEED', "
                "'sparse-zipf:S:D:SEED', 'dirichlet-rows:C:SEED' or 'text:PATH'"
            ) from None
    if (
        probs.shape != (contexts, num_tokens)
        or np.any(probs < 0)
        or not np.allclose(probs.sum(axis=1), 1.0, atol=1e-9)
    ):
        raise ValueError(
            f"markov truth must be {contexts} x {num_tokens} rows of probabilities summing to 1"
        )
    probs = probs / probs.sum(axis=1, keepdims=True)
    return MarkovTruth(probs, stationary(probs, order), _irreducible(probs, order))


def _recipe(name, args, tokens, contexts, order) -> np.ndarray:
    if name == "zipf-rows" and len(args) == 2:
        rng = np.random.default_rng(int(args[1]))
        w = np.arange(1, tokens + 1, dtype=float) ** -float(args[0])
        return np.stack([w[rng.permutation(tokens)] for _ in range(contexts)]) / w.sum()
    if name == "sparse-zipf" and len(args) == 3:
        s, d, rng = float(args[0]), int(args[1]), np.random.default_rng(int(args[2]))
        if not 1 <= d <= tokens:
            raise ValueError
        w = np.arange(1, d + 1, dtype=float) ** -s
        out = np.zeros((contexts, tokens))
        for c in range(contexts):  # building the truth once, not in the loop
            out[c, rng.choice(tokens, size=d, replace=False)] = w / w.sum()
        return out
    if name == "dirichlet-rows" and len(args) == 2:
        conc = float(args[0])
        if conc <= 0:
            raise ValueError
        rng = np.random.default_rng(int(args[1]))
        return rng.dirichlet(np.full(tokens, conc), size=contexts)
    if name == "text" and args:
        words = _text_words(Path(":".join(args)), order)
        vocab = {
            w: i
            for i, (w, _) in enumerate(
                sorted(_frequencies(words).items(), key=lambda kv: -kv[1])[: tokens - 1]
            )
        }
        ids = np.array([vocab.get(w, tokens - 1) for w in words])
        ctx = np.zeros(ids.size - order, dtype=np.int64)
        for j in range(order):
            ctx = ctx * tokens + ids[j : ids.size - order + j]
        counts = np.bincount(ctx * tokens + ids[order:], minlength=contexts * tokens)
        counts = counts.reshape(contexts, tokens).astype(float)
        empty = counts.sum(axis=1) == 0
        counts[empty] = 1.0
        return counts / counts.sum(axis=1, keepdims=True)
    raise ValueError


#: the largest text file a truth reads (a bound, so a device or a huge file is refused)
MAX_TEXT_BYTES = 100 * 2**20


def _text_words(path: Path, order: int) -> list[str]:
    """Return the whitespace-separated tokens of a truth's text file (or a one-line error)."""
    what = f"the markov truth's text file {path}"
    if not path.exists():
        raise ValueError(f"{what} does not exist")
    if not path.is_file():  # a folder, a device such as /dev/zero, or nothing
        raise ValueError(f"{what} is not a regular file")
    words = read_bounded_text(path, MAX_TEXT_BYTES, what).split()
    if len(words) <= order:
        raise ValueError(
            f"{what} has {len(words)} token(s); an order-{order} chain needs more than {order}"
        )
    return words


def _frequencies(words) -> dict:
    values, counts = np.unique(np.array(words), return_counts=True)
    return dict(zip(values.tolist(), counts.tolist(), strict=True))


def sequence_counts(
    probs: np.ndarray, sizes: np.ndarray, *, order: int, length: int, rng: np.random.Generator
) -> np.ndarray:
    """Transition counts of ``sizes[r]`` sequences of ``length`` tokens per replicate.

    Each sequence starts in a context drawn from the generating chain's stationary law and
    emits ``length`` tokens; the counts are ``(R, C, V)``. Sequences are exchangeable given
    their current context: the ``N_c`` sequences in context ``c`` at a step emit tokens
    ``Multinomial(N_c, P[c])`` and move on to the contexts those tokens make. So the loop
    tracks how many sequences sit in each context, one multinomial per (replicate,
    context) and position: the cost does not grow with the number of sequences, and the
    law of the counts is exactly that of writing every sequence. When there are fewer
    sequences than (context, token) cells, writing each sequence is cheaper, and that is
    what is done (the same law; which one a run uses is fixed by its sizes, so runs
    reproduce). Order 0 is the categorical case: the counts are
    ``Multinomial(sizes * length, P)`` directly.
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    reps = sizes.shape[0]
    if order == 0:  # one law (the truth) or one per replicate (fitted rows), as categorical
        law = np.asarray(probs, float)[..., 0, :]
        return multinomial_counts(sizes * length, law, rng=rng)[:, None, :]
    probs = np.asarray(probs, float)
    p = np.maximum(probs, 0.0)
    p = p / p.sum(axis=-1, keepdims=True)
    contexts, tokens = p.shape[-2:]
    # of the rows as given (the truth's solved once; a fit's law is remembered from its
    # metrics), not of their renormalised copy, which can differ in the last bit
    pi = np.broadcast_to(stationary(probs, order), (reps, contexts))
    p = np.broadcast_to(p, (reps, contexts, tokens))
    if 2 * int(sizes.max(initial=0)) < contexts * tokens:
        return _by_sequence(p, pi, sizes, order=order, length=length, rng=rng)
    occupancy = multinomial_counts(sizes, pi, rng=rng)  # (R, C)
    counts = np.zeros((reps, contexts, tokens), dtype=np.int64)
    for _ in range(length):
        step = rng.multinomial(occupancy, p)  # (R, C, V): transitions c -> y at this step
        counts += step
        # (c, y) leads to context (c V + y) mod C: a reshape-and-sum over the dropped token
        occupancy = step.reshape(reps, tokens, contexts // tokens, tokens).sum(axis=1)
        occupancy = occupancy.reshape(reps, contexts)
    return counts


#: up to this many tokens a sequence's next token is found by comparing its whole CDF row
#: with the uniform (vectorised) rather than by a binary search; both give the same token
#: but for rounding within about 1e-12 of a CDF value (none in 5 million draws tried)
SMALL_VOCABULARY = 64


def _by_sequence(probs, pi, sizes, *, order: int, length: int, rng) -> np.ndarray:
    """Return the counts of :func:`sequence_counts` by writing every sequence."""
    reps, contexts, tokens = probs.shape
    rows, made = write_sequences(probs, pi, sizes, order=order, length=length, rng=rng)
    width = rows.shape[1] // reps
    active = (np.arange(width) < sizes[:, None]).ravel()
    cells = rows[:, active] * tokens + made[:, active]
    counts = np.bincount(cells.ravel(), minlength=reps * contexts * tokens)
    return counts.reshape(reps, contexts, tokens).astype(np.int64)


def write_sequences(probs, pi, sizes, *, order: int, length: int, rng) -> tuple:
    """Write ``max(sizes)`` sequences per replicate; return each step's rows and tokens.

    ``rows`` and ``made`` have shape (length, R * W), ``W = max(sizes)``: sequence ``j`` of
    replicate ``r`` is column ``r W + j``; at each step its CDF row (``r C + context``) and
    the token it wrote.

    The loop runs over positions; every sequence and replicate moves at once. A token is
    the number of its row's CDF values below the uniform: counted across the token axis
    (one vectorised comparison per token, into buffers made once) up to
    :data:`SMALL_VOCABULARY` tokens, else one binary search in the rows' CDFs laid end to
    end. Both give the token of the inverse CDF.
    """
    reps, contexts, tokens = probs.shape
    width = max(int(sizes.max(initial=0)), 1)
    start = np.cumsum(pi, axis=-1)  # sequences start from the chain's stationary law
    ctx = (start[:, None, :] < rng.random((reps, width, 1))).sum(axis=-1)
    ctx = np.minimum(ctx, contexts - 1).ravel()
    cdf = np.cumsum(probs, axis=-1).reshape(reps * contexts, tokens)
    base = np.repeat(np.arange(reps) * contexts, width)  # each sequence's replicate's rows
    rows = np.empty((length, reps * width), dtype=np.intp)  # each step's CDF row
    small = tokens <= SMALL_VOCABULARY
    made = np.empty((length, reps * width), dtype=np.uint8 if small else np.intp)  # tokens
    uniforms = rng.random((length, reps * width))  # the same stream as a draw per step
    if small:
        by_token = np.ascontiguousarray(cdf.T)  # (token, row): a token's CDF side by side
        by_token[-1] = 2.0  # the last token takes u above a CDF that rounds below 1
        cut = np.empty((tokens, reps * width))  # rows are in range: "clip" never clips,
        # and unlike "raise" it writes into the buffer without a copy
        below = np.empty((tokens, reps * width), dtype=bool)
    else:
        row_ids = np.arange(reps * contexts, dtype=float)
        shifted = (cdf + row_ids[:, None]).ravel()  # row r's CDF shifted by r: sorted
    for row, u, y in zip(rows, uniforms, made, strict=True):
        np.add(base, ctx, out=row)
        if small:  # a count is at most 64: added up in bytes
            np.less(by_token.take(row, axis=1, out=cut, mode="clip"), u, out=below)
            np.add.reduce(below.view(np.uint8), axis=0, dtype=np.uint8, out=y)
        else:
            found = np.searchsorted(shifted, u + row, side="left") - row * tokens
            np.minimum(found, tokens - 1, out=y)
        ctx = y if order == 1 else (ctx * tokens + y) % contexts
    return rows, made
