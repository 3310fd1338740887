"""Which regime a curve of errors is in: collapse, bounded or recovery.

The same rule classifies an exact expected curve (from :mod:`bayescollapse.theory.closed_forms`, run
to a long horizon) and a simulated one (from replicates, with its uncertainty):

- the *trend* is the least-squares slope of ``log(mean error)`` on ``log t`` over the last
  part of the generations (``D_t ~ C t^slope``);
- ``recovery`` if the slope is below ``-tolerance`` (the error decays like a power of t),
  ``collapse`` if it is above ``+tolerance`` (the error grows) or the final error is
  within 10 % of the collapse level (the one-token error ``H(P*)``), ``bounded`` if the
  slope is within ``+-tolerance`` and the error is below that level;
- for simulations the slope's standard error comes from resampling replicates
  (bootstrap), and a verdict is made only when the slope's ``z``-interval lies entirely
  inside one of the three slope ranges; otherwise the regime is ``undetermined``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Trend", "classify_curve", "trend_test", "REGIMES"]

REGIMES = ("recovery", "bounded", "collapse")


@dataclass(frozen=True)
class Trend:
    """A curve's verdict: ``regime``, log-log ``slope`` with standard error, final error."""

    regime: str
    slope: float
    slope_se: float
    final: float


def _slope(log_t: np.ndarray, log_d: np.ndarray) -> np.ndarray:
    """Least-squares slope along the last axis."""
    x = log_t - log_t.mean()
    return ((log_d - log_d.mean(axis=-1, keepdims=True)) * x).sum(axis=-1) / (x @ x)


def _window(generations: np.ndarray, last: float) -> np.ndarray:
    t = np.asarray(generations, dtype=float)
    keep = (t >= 1) & (t >= t.max() * (1 - last))
    if keep.sum() < 3:
        raise ValueError(f"a trend needs at least 3 generations >= 1 in the last {last:.0%}")
    return keep


def _verdict(slope, se, final, collapse_level, tolerance, z) -> str:
    at_level = collapse_level is not None and final >= 0.9 * collapse_level
    lo, hi = slope - z * se, slope + z * se
    if hi < -tolerance:
        return "recovery"
    if lo > tolerance or (at_level and hi < tolerance):
        return "collapse"
    if -tolerance < lo and hi < tolerance:
        return "bounded"
    return "undetermined"


def classify_curve(
    generations: np.ndarray,
    error: np.ndarray,
    *,
    collapse_level: float | None = None,
    tolerance: float = 0.1,
    last: float = 0.5,
) -> Trend:
    """Classify an exact (noise-free) expected error curve.

    Parameters
    ----------
    generations : numpy.ndarray, shape (T + 1,)
        Generation indices.
    error : numpy.ndarray, shape (..., T + 1)
        Expected errors; leading dims classify many curves at once (then the fields of the
        returned Trend are arrays).
    collapse_level : float, optional
        The error of a collapsed model (``H(P*)`` for the squared L2 error).
    tolerance : float
        Slopes within ``+-tolerance`` count as flat.
    last : float
        Fraction of the generations, at the end, that the trend is fitted on.
    """
    keep = _window(generations, last)
    log_t = np.log(np.asarray(generations, float)[keep])
    err = np.asarray(error, float)
    slope = _slope(log_t, np.log(np.maximum(err[..., keep], 1e-300)))
    final = err[..., -1]
    verdict = np.vectorize(lambda s, f: _verdict(s, 0.0, f, collapse_level, tolerance, 0.0))
    regime = verdict(slope, final)
    return Trend(regime[()] if regime.ndim == 0 else regime, slope, np.zeros_like(slope), final)


def trend_test(
    generations: np.ndarray,
    errors: np.ndarray,
    *,
    rng: np.random.Generator,
    collapse_level: float | None = None,
    tolerance: float = 0.1,
    z: float = 2.0,
    last: float = 0.5,
    resamples: int = 400,
) -> Trend:
    """Classify a simulated error curve from replicates, with the slope's uncertainty.

    Parameters
    ----------
    generations : numpy.ndarray, shape (T + 1,)
        Generation indices.
    errors : numpy.ndarray, shape (R, T + 1)
        Per-replicate errors.
    rng : numpy.random.Generator
        For the bootstrap over replicates.
    collapse_level, tolerance, last
        As in :func:`classify_curve`.
    z : float
        Width of the slope interval in standard errors (2: about 95 %).
    resamples : int
        Bootstrap resamples of the replicates.
    """
    errors = np.asarray(errors, float)
    if errors.ndim != 2 or errors.shape[0] < 2:
        raise ValueError("trend_test needs errors of shape (replicates >= 2, generations)")
    keep = _window(generations, last)
    log_t = np.log(np.asarray(generations, float)[keep])
    window = errors[:, keep]
    slope = float(_slope(log_t, np.log(np.maximum(window.mean(axis=0), 1e-300))))
    picks = rng.integers(0, errors.shape[0], size=(resamples, errors.shape[0]))
    boot = _slope(log_t, np.log(np.maximum(window[picks].mean(axis=1), 1e-300)))
    se = float(boot.std(ddof=1))
    final = float(errors[:, -1].mean())
    return Trend(_verdict(slope, se, final, collapse_level, tolerance, z), slope, se, final)
