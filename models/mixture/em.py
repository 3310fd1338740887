"""Expectation-maximisation for one-dimensional Gaussian mixtures, vectorised over replicates.

Every replicate and every restart of a block iterates at once on arrays of shape
(replicate, restart, point, component); no Python loop runs over replicates.

- **Starts.** Restart 0 puts the means at the data's quantiles ``(j + 1/2) / J``; each
  other restart at J distinct points drawn at random from the replicate's data (from the
  fit's stream). Every start has equal weights and the data's sd for every component.
- **Convergence rule.** A replicate's restart stops when its mean log-likelihood per
  point rises by less than ``tol`` nats between two iterations, or after ``max_iter``
  iterations (then it is recorded as not converged). A stopped restart is frozen, so a
  replicate's fit never depends on the other replicates of its block.
- **Variance floor.** A component's variance is at least ``var_floor`` times the data's
  variance (a component on one point would otherwise reach an infinite likelihood).
- **Choice.** The restart of highest final log-likelihood is the fit; its components are
  sorted by mean (the order they are matched to the truth by).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayescollapse.models.mixture.data import weighted_moments

__all__ = ["EMResult", "em_fit"]

_LOG_ROOT_2PI = 0.5 * np.log(2 * np.pi)


@dataclass(frozen=True)
class EMResult:
    """EM's fit per replicate: ``weights``, ``mu``, ``sigma`` (R, J), sorted by mean.

    ``iterations`` and ``converged`` (R,) are those of the chosen restart;
    ``log_likelihood`` (R,) its mean log-likelihood per point.
    """

    weights: np.ndarray
    mu: np.ndarray
    sigma: np.ndarray
    iterations: np.ndarray
    converged: np.ndarray
    log_likelihood: np.ndarray


def _starts(x, n, components: int, restarts: int, rng) -> np.ndarray:
    """Return the starting means (R, S, J): the data's quantiles, then random points."""
    reps = x.shape[0]
    levels = (np.arange(components) + 0.5) / components
    first = np.nanquantile(x, levels, axis=1).T  # NaN padding ignored
    others = np.empty((reps, restarts - 1, components))
    for s in range(restarts - 1):  # J distinct indices below n: a random permutation's first J
        keys = np.where(np.arange(x.shape[1]) < n[:, None], rng.random(x.shape), 2.0)
        index = np.argsort(keys, axis=1)[:, :components]
        others[:, s] = np.sort(np.take_along_axis(x, np.minimum(index, x.shape[1] - 1), 1), 1)
    return np.concatenate([first[:, None, :], others], axis=1)


def _em_step(x, w, total, floor, params):
    """One EM iteration on runs (A, N): returns the log-likelihood and the new parameters.

    Written for few passes over the (A, N, J) array: the responsibilities are made in
    place, and each component's moments come from batched products with x and x^2 (x is
    centred per replicate, so ``E x^2 - mu^2`` loses nothing to cancellation).
    """
    weights, mu, sigma = params
    with np.errstate(divide="ignore"):
        const = np.log(weights) - np.log(sigma) - _LOG_ROOT_2PI
    terms = x[..., None] - mu[:, None, :]
    terms *= (1.0 / sigma)[:, None, :]
    terms *= terms
    terms *= -0.5
    terms += const[:, None, :]
    top = terms.max(axis=-1)
    top[~np.isfinite(top)] = 0.0
    terms -= top[..., None]
    np.exp(terms, out=terms)
    mass = terms.sum(axis=-1)
    ll = (w * (top + np.log(mass))).sum(axis=-1) / total
    terms *= (w / mass)[..., None]  # the responsibilities times the points' weights
    nk = terms.sum(axis=1)
    safe = np.maximum(nk, 1e-300)
    moments = np.stack([x, x * x], axis=1) @ terms  # (A, 2, J): sums of r x and r x^2
    new_mu = moments[:, 0] / safe
    new_var = moments[:, 1] / safe - new_mu**2
    alive = nk > 1e-12  # a dead component keeps its mean and sd (its weight is 0)
    new = (
        nk / total[:, None],
        np.where(alive, new_mu, mu),
        np.where(alive, np.sqrt(np.maximum(new_var, floor[:, None])), sigma),
    )
    return ll, new


def em_fit(
    x: np.ndarray,
    weight: np.ndarray,
    components: int,
    *,
    rng: np.random.Generator,
    restarts: int = 4,
    tol: float = 1e-7,
    max_iter: int = 500,
    var_floor: float = 1e-6,
) -> EMResult:
    """Fit a J-component mixture to each replicate's weighted points by EM (module text).

    ``x`` (R, N) NaN-padded, ``weight`` (R, N) with 0 in the padding. The runs (replicate
    x restart) still iterating are gathered each iteration, so a slow run costs its own
    iterations only.
    """
    reps = x.shape[0]
    n = (weight > 0).sum(axis=1)
    total = weight.sum(axis=1)
    mean, var = weighted_moments(x, weight)
    xv = np.where(weight > 0, x - mean[:, None], 0.0)  # centred: EM is shift-equivariant
    starts = _starts(np.where(weight > 0, xv, np.nan), n, components, restarts, rng)
    row = np.repeat(np.arange(reps), restarts)  # the replicate of each run
    mu = starts.reshape(-1, components)
    sigma = np.broadcast_to(np.repeat(np.sqrt(var), restarts)[:, None], mu.shape).copy()
    params = [np.full(mu.shape, 1.0 / components), mu, sigma]
    runs = row.size
    ll_old = np.full(runs, -np.inf)
    iterations = np.zeros(runs, np.int64)
    active = np.arange(runs)  # the runs still iterating
    for _ in range(max_iter):
        r = row[active]
        current = [p[active] for p in params]
        ll, new = _em_step(xv[r], weight[r], total[r], var_floor * var[r], current)
        done = ll - ll_old[active] < tol
        ll_old[active] = ll
        keep = ~done
        for p, value in zip(params, new, strict=True):
            p[active[keep]] = value[keep]
        iterations[active[keep]] += 1
        active = active[keep]
        if active.size == 0:
            break
    converged = np.ones(runs, bool)
    converged[active] = False
    best = np.argmax(ll_old.reshape(reps, restarts), axis=1) + np.arange(reps) * restarts
    params[1] += np.repeat(mean, restarts)[:, None]
    order = np.argsort(params[1][best], axis=1)

    def chosen(values):
        return np.take_along_axis(values[best], order, axis=1)

    return EMResult(
        *(chosen(p) for p in params),
        iterations[best],
        converged[best],
        ll_old[best],
    )
