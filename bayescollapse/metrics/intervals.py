"""Credible intervals and calibration: HDIs, coverage of the truth, PIT values, contraction.

Array cores: every function takes NumPy arrays whose parameter axes are named by ``axis``
and returns one value per leading index (replicate).
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "beta_hdi",
    "calibration",
    "contraction",
    "covered_share",
    "draws_cdf",
    "draws_central_intervals",
    "draws_hdi",
    "sorted_central_intervals",
    "sorted_draws",
    "sorted_hdi",
    "sorted_quantiles",
    "interior_pit",
    "randomised_pit",
    "unimodal_hdi",
]


def unimodal_hdi(ppf, logpdf, params: tuple, prob: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact highest-density interval of a unimodal (or monotone) distribution, elementwise.

    The HDI ``[F^-1(p), F^-1(p + prob)]`` has equal densities at both ends. The log-density
    gap ``g(p) = log f(F^-1(p + prob)) - log f(F^-1(p))`` decreases in the lower tail mass
    ``p`` for a unimodal density, so the HDI is the root of ``g`` on ``[0, 1 - prob]``
    (found for all elements at once by :func:`scipy.optimize.elementwise.find_root`), or an
    end of that range when the density is monotone (``g(0) <= 0``: the HDI starts at the
    lower end of the support; ``g(1 - prob) >= 0``: it ends at the upper end).

    Parameters
    ----------
    ppf : callable
        ``ppf(q, *params)``, the quantile function, elementwise.
    logpdf : callable
        ``logpdf(x, *params)``, the log-density up to a constant, ``-inf`` outside the support.
    params : tuple of numpy.ndarray
        The distribution's parameters, broadcast together.
    prob : float
        Probability mass of the interval.

    Returns
    -------
    lower, upper : numpy.ndarray
        Arrays of the broadcast shape of ``params``.
    """
    from scipy.optimize.elementwise import find_root  # imported on first use: it is slow

    params = np.broadcast_arrays(*[np.asarray(p, float) for p in params])
    shape, top = params[0].shape, 1.0 - prob

    def gap(p, *par):
        lo, hi = ppf(p, *par), ppf(p + prob, *par)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_ratio = logpdf(hi, *par) - logpdf(lo, *par)
        return np.clip(np.nan_to_num(log_ratio, nan=0.0), -1e8, 1e8)  # only the sign matters

    at_zero, at_top = gap(np.zeros(shape), *params), gap(np.full(shape, top), *params)
    p = np.where(at_zero <= 0, 0.0, top)
    inside = (at_zero > 0) & (at_top < 0)
    if inside.any():
        sub = tuple(par[inside] for par in params)
        root = find_root(
            gap,
            (np.zeros(sub[0].shape), np.full(sub[0].shape, top)),
            args=sub,
            tolerances={"xatol": 1e-13, "xrtol": 1e-10},
        )
        p[inside] = root.x
    return ppf(p, *params), ppf(p + prob, *params)


def _beta_logpdf(x, a, b):
    from scipy.special import xlog1py, xlogy

    return xlogy(a - 1, x) + xlog1py(b - 1, -x)


def _beta_ppf(q, a, b):
    from scipy.special import betaincinv

    return betaincinv(a, b, q)


def beta_hdi(a: np.ndarray, b: np.ndarray, prob: float) -> tuple[np.ndarray, np.ndarray]:
    """Exact highest-density interval of Beta(a, b), elementwise (see :func:`unimodal_hdi`).

    Examples
    --------
    >>> lo, hi = beta_hdi(np.array([3.0]), np.array([3.0]), 0.5)
    >>> bool(abs(lo[0] + hi[0] - 1) < 1e-9)  # symmetric density, symmetric HDI
    True

    Notes
    -----
    Where both shape parameters exceed 1 (an interior mode), the ends solve
    ``F(hi) - F(lo) = prob`` and ``f(hi) = f(lo)`` by Newton's method from the central
    interval, with the regularised incomplete beta function (cheaper than its inverse);
    an element that does not converge in 25 steps, and every other element, goes through
    :func:`unimodal_hdi`.

    Each distinct ``(a, b)`` is solved once: a Dirichlet posterior's marginals are
    ``Beta(prior + c_k, A - prior - c_k)`` with integer counts ``c_k``, so a posterior over
    a thousand tokens holds a few dozen distinct pairs. When there are few, their ends are
    also remembered (up to :data:`REMEMBERED_HDIS` of them), for the next generation's
    posterior holds mostly the same pairs.
    """
    a, b = np.broadcast_arrays(np.asarray(a, float), np.asarray(b, float))
    if a.size > 1:
        from pandas import factorize  # a hash table: O(n), where np.unique sorts

        where, pairs = factorize(a.ravel() + 1j * b.ravel(), use_na_sentinel=False)
        if pairs.size < a.size:
            solve = _remembered_hdi if pairs.size <= 1024 else _beta_hdi
            lower, upper = solve(pairs.real.copy(), pairs.imag.copy(), prob)
            return lower[where].reshape(a.shape), upper[where].reshape(a.shape)
    return _beta_hdi(a, b, prob)


#: how many (a, b, prob) -> HDI ends :func:`beta_hdi` remembers (forgotten all at once)
REMEMBERED_HDIS = 1 << 16
_HDIS: dict[tuple[float, float, float], tuple[float, float]] = {}


def _remembered_hdi(a: np.ndarray, b: np.ndarray, prob: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`_beta_hdi` of 1-d ``a``, ``b``, solving only the pairs not remembered."""
    keys = [(x, y, prob) for x, y in zip(a.tolist(), b.tolist(), strict=True)]
    ends = [_HDIS.get(key) for key in keys]
    new = [i for i, end in enumerate(ends) if end is None]
    if new:
        lower, upper = _beta_hdi(a[new], b[new], prob)
        if len(_HDIS) + len(new) > REMEMBERED_HDIS:
            _HDIS.clear()
        for i, lo, hi in zip(new, lower.tolist(), upper.tolist(), strict=True):
            ends[i] = (lo, hi)
            if keys[i][0] == keys[i][0] and keys[i][1] == keys[i][1]:  # no NaN keys
                _HDIS[keys[i]] = ends[i]
    lower, upper = np.array(ends, dtype=float).reshape(-1, 2).T
    return lower, upper


def _beta_hdi(a: np.ndarray, b: np.ndarray, prob: float) -> tuple[np.ndarray, np.ndarray]:
    from scipy.special import betaincinv

    lower, upper = np.empty(a.shape), np.empty(a.shape)
    inner = (a > 1) & (b > 1)
    done = np.zeros(a.shape, bool)
    if inner.any():
        lo, hi, ok = _beta_hdi_newton(a[inner], b[inner], prob)
        idx = np.flatnonzero(inner)[ok]
        lower.flat[idx], upper.flat[idx] = lo[ok], hi[ok]
        done.flat[idx] = True
    # a monotone density (a <= 1 <= b, or b <= 1 <= a, not U-shaped): the HDI is a tail,
    # [0, F^-1(prob)] or [F^-1(1 - prob), 1]; at a = 1 (a token without counts under a
    # flat prior) F^-1(q) = 1 - (1 - q)^(1/b) in closed form, and mirrored at b = 1
    falling = ~done & (a <= 1) & (b >= 1)
    rising = ~done & ~falling & (b <= 1) & (a >= 1)
    for tail, x, y, flip in ((falling, a, b, False), (rising, b, a, True)):
        if tail.any():
            xs, ys = x[tail], y[tail]
            end = np.where(xs == 1, -np.expm1(np.log1p(-prob) / ys), betaincinv(xs, ys, prob))
            lower[tail], upper[tail] = (1 - end, 1.0) if flip else (0.0, end)
            done |= tail
    if not done.all():
        rest = ~done
        lower[rest], upper[rest] = unimodal_hdi(_beta_ppf, _beta_logpdf, (a[rest], b[rest]), prob)
    return lower, upper


def _beta_hdi_newton(a, b, prob, steps: int = 25):
    """Newton's method for the HDI ends of Beta(a, b) with a, b > 1 (1-d arrays).

    Returns the ends and which elements converged (mass within 1e-12 and log-densities
    within 1e-9 of equal); each end stays on its side of the mode. Only the elements not
    yet converged are iterated.
    """
    from scipy.special import betainc, betaincinv, betaln

    mode = (a - 1) / (a + b - 2)
    lo = betaincinv(a, b, (1 - prob) / 2)
    hi = betaincinv(a, b, (1 + prob) / 2)
    ok = np.zeros(a.shape, bool)
    active = np.arange(a.size)
    for _ in range(steps):
        aa, bb, x_lo, x_hi, m = a[active], b[active], lo[active], hi[active], mode[active]
        log_lo, log_hi = _beta_logpdf(x_lo, aa, bb), _beta_logpdf(x_hi, aa, bb)
        e1 = betainc(aa, bb, x_hi) - betainc(aa, bb, x_lo) - prob
        e2 = log_hi - log_lo
        good = (np.abs(e1) < 1e-12) & (np.abs(e2) < 1e-9)
        ok[active[good]] = True
        keep = ~good
        if not keep.any():
            break
        aa, bb, x_lo, x_hi, m, e1, e2 = (x[keep] for x in (aa, bb, x_lo, x_hi, m, e1, e2))
        active = active[keep]
        log_norm = betaln(aa, bb)
        f_lo = np.exp(log_lo[keep] - log_norm)
        f_hi = np.exp(log_hi[keep] - log_norm)
        s_lo = (aa - 1) / x_lo - (bb - 1) / (1 - x_lo)  # d/dx log f at each end
        s_hi = (aa - 1) / x_hi - (bb - 1) / (1 - x_hi)
        det = f_hi * s_lo - f_lo * s_hi  # Jacobian [[-f_lo, f_hi], [-s_lo, s_hi]]
        with np.errstate(divide="ignore", invalid="ignore"):
            new_l = x_lo - (e1 * s_hi - f_hi * e2) / det
            new_h = x_hi - (e1 * s_lo - f_lo * e2) / det
        # a step that would cross the mode or leave (0, 1) is halved toward the bound
        new_l = np.where(
            (new_l > 0) & (new_l < m), new_l, np.where(new_l >= m, (x_lo + m) / 2, x_lo / 2)
        )
        new_h = np.where(
            (new_h > m) & (new_h < 1), new_h, np.where(new_h <= m, (x_hi + m) / 2, (x_hi + 1) / 2)
        )
        lo[active] = np.where(np.isfinite(new_l), new_l, x_lo)
        hi[active] = np.where(np.isfinite(new_h), new_h, x_hi)
    return lo, hi, ok


def covered_share(lower, upper, truth, *, axis=-1, interior=None) -> np.ndarray:
    """Share of true probabilities inside their credible intervals, over interior truths.

    A true probability of exactly 0 or 1 lies on the boundary of the support of every
    Dirichlet (or Beta) posterior with a positive prior: the posterior puts no mass there,
    an exact HDI may still reach it (Beta(a, b) with a <= 1 has its HDI start at 0), and
    an interval from posterior draws never does. Coverage is a statement about interior
    values, so boundary truths are left out for every fitting path alike, and the share is
    over the interior ones (NaN if there are none).

    Parameters
    ----------
    lower, upper : numpy.ndarray
        Interval ends, broadcasting against ``truth``.
    truth : numpy.ndarray
        True probabilities.
    axis : int or tuple of int
        The axes the share is taken over.
    interior : numpy.ndarray of bool, optional
        Which truths count; by default those strictly inside (0, 1) (probabilities).
        Parameters without a boundary (a normal mean) pass all True.

    Examples
    --------
    >>> float(covered_share(np.array([0.0, 0.1, 0.5]), np.array([0.2, 0.3, 0.6]),
    ...                     np.array([0.0, 0.2, 0.7])))
    0.5
    """
    truth = np.asarray(truth)
    interior = np.broadcast_to(_interior(truth, interior), np.broadcast(lower, truth).shape)
    covered = (lower <= truth) & (truth <= upper) & interior
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.sum(covered, axis=axis) / np.sum(interior, axis=axis)


def interior_pit(pit: np.ndarray, truth: np.ndarray, interior=None) -> np.ndarray:
    """Return the PIT with boundary truths (0 or 1) set to NaN (see :func:`covered_share`)."""
    return np.where(_interior(np.asarray(truth), interior), pit, np.nan)


def _interior(truth: np.ndarray, interior=None) -> np.ndarray:
    """Return the truths that count: ``interior`` as given, by default those in (0, 1)."""
    return (truth > 0) & (truth < 1) if interior is None else interior


def randomised_pit(draws: np.ndarray, values, *, rng: np.random.Generator) -> np.ndarray:
    """PIT of ``values`` from posterior draws (S, ...), with ties and the rank grid broken.

    With ``r`` draws below the value and ``e`` equal to it, the PIT is
    ``(r + V (e + 1)) / (S + 1)`` with ``V ~ Uniform(0, 1)``. When the value is a draw
    from the posterior (calibration), the rank ``r`` is uniform on ``{0, ..., S}`` and
    this PIT is exactly Uniform(0, 1), like the exact posterior CDF at the value; the
    plain share ``r / S`` is not (it lives on a grid and ties pile up).

    Examples
    --------
    >>> u = randomised_pit(np.arange(4.0)[:, None], np.array([1.5]),
    ...                    rng=np.random.default_rng(0))
    >>> bool(2 / 5 <= u[0] <= 3 / 5)
    True
    """
    draws = np.asarray(draws)
    below = (draws < values).sum(axis=0)
    ties = (draws == values).sum(axis=0)
    v = rng.random(below.shape)
    return (below + v * (ties + 1)) / (draws.shape[0] + 1)


def draws_cdf(draws: np.ndarray, values, *, rng: np.random.Generator | None = None):
    """Posterior CDF at ``values`` from draws (S, ...): the PIT of the truth.

    With ``rng`` the randomised rank (:func:`randomised_pit`, exactly uniform under
    calibration), else the share of draws at or below the value.
    """
    if rng is None:
        return (draws <= values).mean(axis=0)
    return randomised_pit(draws, values, rng=rng)


def sorted_draws(draws) -> np.ndarray:
    """Draws (S, ...) sorted per parameter, the sample axis moved last: shape (..., S).

    One sort serves every quantile and HDI of a posterior (:func:`sorted_quantiles`,
    :func:`sorted_hdi`).
    """
    return np.sort(np.moveaxis(np.asarray(draws, float), 0, -1), axis=-1)


def sorted_quantiles(ordered: np.ndarray, probs) -> np.ndarray:
    """Quantiles of sorted draws (..., S) at ``probs``: shape (len(probs), ...).

    numpy's default (linear) interpolation, so equal to ``np.quantile``.

    Examples
    --------
    >>> sorted_quantiles(np.array([[1.0, 2.0, 4.0]]), [0.0, 0.75, 1.0]).ravel().tolist()
    [1.0, 3.0, 4.0]
    """
    n = ordered.shape[-1]
    at = np.asarray(probs, float) * (n - 1)
    below = np.floor(at).astype(int)
    above = np.minimum(below + 1, n - 1)
    frac = (at - below).reshape(-1, *[1] * (ordered.ndim - 1))
    low, high = np.moveaxis(ordered[..., below], -1, 0), np.moveaxis(ordered[..., above], -1, 0)
    return low + frac * (high - low)


def sorted_hdi(ordered: np.ndarray, prob: float) -> tuple[np.ndarray, np.ndarray]:
    """HDIs of sorted draws (..., S): the narrowest interval holding ``floor(prob S)`` gaps.

    ArviZ's ``nearest`` estimate (the first narrowest window on ties), vectorised.

    Examples
    --------
    >>> lo, hi = sorted_hdi(np.array([0.0, 1.0, 1.5, 2.0, 9.0]), 0.5)
    >>> float(lo), float(hi)
    (1.0, 2.0)
    """
    n = ordered.shape[-1]
    span = min(int(np.floor(prob * n)), n - 1)
    start = np.argmin(ordered[..., span:] - ordered[..., : n - span], axis=-1)[..., None]
    lower = np.take_along_axis(ordered, start, axis=-1)[..., 0]
    return lower, np.take_along_axis(ordered, start + span, axis=-1)[..., 0]


def sorted_central_intervals(ordered: np.ndarray, levels) -> tuple[np.ndarray, np.ndarray]:
    """Central credible intervals of sorted draws (..., S) at ``levels``: (level, ...)."""
    q = np.asarray(levels, float)
    return sorted_quantiles(ordered, (1 - q) / 2), sorted_quantiles(ordered, (1 + q) / 2)


def draws_central_intervals(draws: np.ndarray, levels) -> tuple[np.ndarray, np.ndarray]:
    """Central credible intervals from draws (S, ...) at ``levels``: shape (level, ...)."""
    return sorted_central_intervals(sorted_draws(draws), levels)


def draws_hdi(draws, prob: float) -> tuple[np.ndarray, np.ndarray]:
    """HDIs from labelled draws (ArviZ's estimate), in the order of the non-sample dims.

    ``draws`` is a DataArray with dims (chain, draw, ...).
    """
    values = draws.transpose("chain", "draw", ...).values
    return sorted_hdi(sorted_draws(values.reshape(-1, *values.shape[2:])), prob)


def calibration(
    hdi: tuple[np.ndarray, np.ndarray],
    central: tuple[np.ndarray, np.ndarray] | None,
    pit: np.ndarray,
    truth: np.ndarray,
    *,
    axis=-1,
    interior=None,
    levels=None,
) -> dict[str, np.ndarray]:
    """How a posterior's intervals and CDF relate to the truth, per replicate.

    The one calibration summary of every family: the parameters are whatever
    ``axis`` spans (tokens; contexts and tokens; or a normal's mu and sigma).

    Parameters
    ----------
    hdi : (lower, upper)
        The highest-density intervals, each of shape ``(R, *P)``.
    central : (lower, upper) or None
        Central credible intervals per level, each of shape ``(level, R, *P)``. None when
        ``pit`` is the exact posterior CDF: the central interval at level q covers the
        truth exactly when ``(1 - q) / 2 <= F(truth) <= (1 + q) / 2``, so the coverage
        at ``levels`` comes from the CDF, without computing a quantile.
    pit : numpy.ndarray
        The posterior CDF at the truth (exact, or the randomised rank among draws), shape
        ``(R, *P)``.
    truth : numpy.ndarray
        The true parameter values, shape ``P``.
    axis : int or tuple of int
        The parameter axes (negative indices).
    interior : numpy.ndarray of bool, optional
        The truths that count (see :func:`covered_share`).

    Returns
    -------
    dict of str to numpy.ndarray
        ``hdi_coverage`` and ``hdi_width_mean`` (R,), ``central_coverage`` (R, level)
        and ``pit`` ``(R, *P)``, NaN where the truth is on the boundary.

    Examples
    --------
    >>> out = calibration((np.array([[0.1, 0.5]]), np.array([[0.3, 0.6]])),
    ...                   (np.array([[[0.0, 0.0]]]), np.array([[[1.0, 0.55]]])),
    ...                   np.array([[0.4, 0.9]]), np.array([0.2, 0.7]))
    >>> out["hdi_coverage"].tolist(), out["central_coverage"].tolist()
    ([0.5], [[0.5]])
    """
    lower, upper = hdi
    if central is None:
        inside = _interior(np.asarray(truth), interior)  # of the truth, not of the PIT
        q = np.asarray(levels, float).reshape(-1, *([1] * np.ndim(pit)))
        covered = covered_share((1 - q) / 2, (1 + q) / 2, pit, axis=axis, interior=inside)
    else:
        covered = covered_share(*central, truth, axis=axis, interior=interior)
    return {
        "hdi_coverage": covered_share(lower, upper, truth, axis=axis, interior=interior),
        "hdi_width_mean": np.mean(upper - lower, axis=axis),
        "central_coverage": np.moveaxis(covered, 0, -1),
        "pit": interior_pit(pit, truth, interior),
    }


def contraction(posterior_var: np.ndarray, prior_var: np.ndarray, *, axis=-1) -> np.ndarray:
    """Posterior contraction ``1 - mean(posterior variance / prior variance)`` over ``axis``.

    Examples
    --------
    >>> contraction(np.array([[1.0, 3.0]]), np.array([4.0, 4.0])).tolist()
    [0.5]
    """
    return 1 - np.mean(posterior_var / prior_var, axis=axis)
