"""Linear-regression data as sufficient statistics, drawn exactly without the rows.

A training set of replicate r is ``n``, ``X'X`` (d x d), ``X'y`` (d) and ``y'y``: all that
least squares, ridge and the normal-inverse-gamma posterior read. Rows are
``x ~ N(0, diag(spectrum))`` and ``y = x . w + N(0, sigma^2)``; the statistics of ``n``
such rows are drawn directly, at a cost in ``d`` only (not ``n``):

- ``X'X ~ Wishart(n, Sigma)``, by Bartlett's decomposition ``Sigma^1/2 A A' Sigma^1/2``
  with ``A`` lower triangular, ``A_ii^2 ~ chi2(n - i)``, ``A_ij ~ N(0, 1)`` below
  (``n >= d``; with fewer rows than dimensions the rows are drawn).
- Given the design, ``X'e ~ N(0, sigma^2 X'X)``: ``X'e = sigma L z`` with ``L L' = X'X``
  and ``z ~ N(0, I_d)``; the residual ``e`` splits into its projection on the columns of
  ``X``, of squared length ``sigma^2 |z|^2``, and the rest, ``sigma^2 chi2(n - d)``,
  independent. So ``X'y = X'X w + X'e`` and
  ``y'y = w' X'X w + 2 w' X'e + sigma^2 (|z|^2 + chi2(n - d))``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = [
    "RegressionStats",
    "RegressionTruth",
    "design_stats",
    "label_stats",
    "labels_on",
    "per_row_stats",
    "rows_given_stats",
    "rows_stats",
    "subsample_batches",
]

#: rows drawn at once where each row has parameters of its own (``per_row_stats``)
ROW_CHUNK = 4096


@dataclass(frozen=True)
class RegressionTruth:
    """The true law of the rows: ``x ~ N(0, diag(spectrum))``, ``y = x . w + N(0, sigma^2)``."""

    w: np.ndarray
    sigma: float
    spectrum: np.ndarray

    @property
    def dim(self) -> int:
        """The number of features d."""
        return self.w.size


@dataclass(frozen=True)
class RegressionStats:
    """Sufficient statistics per replicate: ``n``, ``xx`` (d x d), ``xy`` (d) and ``yy``.

    Shapes (R,), (R, d, d), (R, d) and (R,). ``n`` may be fractional: a weighted refit's
    rows count their weight.
    """

    n: np.ndarray
    xx: np.ndarray
    xy: np.ndarray
    yy: np.ndarray
    #: a fixed design's ``(X'X (R, d, d), rows (R,))``, relabelled every generation; None
    #: when every batch has fresh rows
    design: tuple | None = None
    #: the statistics of the parts whose rows share one law (kept for
    #: ``accumulate-subsample``); empty when not kept
    batches: tuple = ()

    def __add__(self, other: RegressionStats) -> RegressionStats:
        """Statistics of the union of two data sets (a fixed design is kept)."""
        return RegressionStats(
            self.n + other.n,
            self.xx + other.xx,
            self.xy + other.xy,
            self.yy + other.yy,
            self.design if self.design is not None else other.design,
        )

    def scaled(self, weight: float) -> RegressionStats:
        """Every row counting ``weight`` (a power likelihood)."""
        w = float(weight)
        return RegressionStats(self.n * w, self.xx * w, self.xy * w, self.yy * w, self.design)

    def rss(self, w: np.ndarray) -> np.ndarray:
        """Residual sum of squares ``|y - X w|^2`` of coefficients ``w`` (R, d), per replicate."""
        fitted = np.einsum("ri,rij,rj->r", w, self.xx, w)
        return np.maximum(self.yy - 2 * np.einsum("ri,ri->r", w, self.xy) + fitted, 0.0)


def design_gram(spectrum: np.ndarray, sizes: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Draw ``X'X`` of ``sizes[r]`` rows ``x ~ N(0, diag(spectrum))`` per replicate (R, d, d).

    Bartlett's decomposition where ``sizes[r] >= d``; the rows themselves otherwise.
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    d = spectrum.size
    reps = sizes.size
    scale = np.sqrt(spectrum)
    out = np.empty((reps, d, d))
    big = sizes >= d
    if big.any():
        m = int(big.sum())
        a = np.tril(rng.standard_normal((m, d, d)), k=-1)
        dof = sizes[big][:, None] - np.arange(d)  # chi2(n - i), i = 0..d-1
        a[:, np.arange(d), np.arange(d)] = np.sqrt(rng.chisquare(dof))
        out[big] = (a @ np.swapaxes(a, 1, 2)) * scale[:, None] * scale[None, :]  # BLAS
    for r in np.flatnonzero(~big):
        rows = rng.standard_normal((int(sizes[r]), d)) * scale
        out[r] = rows.T @ rows
    return out


def label_stats(
    xx: np.ndarray, sizes: np.ndarray, w: np.ndarray, sigma: np.ndarray, rng: np.random.Generator
) -> RegressionStats:
    """Draw the label statistics of designs ``xx`` with ``y = x . w[r] + N(0, sigma[r]^2)``.

    Exact given ``X'X`` alone where ``sizes[r] >= d`` and ``X'X`` is positive definite
    (see the module docstring); replicates with fewer rows must come through
    :func:`rows_stats`.
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    reps, d = w.shape
    sigma = np.broadcast_to(np.asarray(sigma, float), (reps,))
    chol = np.linalg.cholesky(xx)
    z = rng.standard_normal((reps, d))
    xe = sigma[:, None] * (chol @ z[..., None])[..., 0]
    rest = rng.chisquare(np.maximum(sizes - d, 1)) * (sizes > d)  # chi2(0) is 0
    xy = (xx @ w[..., None])[..., 0] + xe
    yy = (
        np.einsum("ri,rij,rj->r", w, xx, w)
        + 2 * np.einsum("ri,ri->r", w, xe)
        + sigma**2 * ((z**2).sum(axis=1) + rest)
    )
    return RegressionStats(sizes.astype(float), xx, xy, yy)


def rows_stats(rows: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    """Return ``X'X``, ``X'y`` and ``y'y`` of one replicate's rows (n, d) and labels (n,)."""
    return rows.T @ rows, rows.T @ labels, float(labels @ labels)


def design_stats(
    spectrum: np.ndarray,
    w: np.ndarray,
    sigma: np.ndarray,
    sizes: np.ndarray,
    rng: np.random.Generator,
) -> RegressionStats:
    """Draw the statistics of ``sizes[r]`` fresh rows labelled by ``w[r]`` and ``sigma[r]``.

    Replicates with at least ``d`` rows get the exact statistics without rows; the others
    draw their rows (fewer than ``d`` of them).
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    reps, d = w.shape
    sigma = np.broadcast_to(np.asarray(sigma, float), (reps,)).copy()
    big = sizes >= d
    xx = np.zeros((reps, d, d))
    xy = np.zeros((reps, d))
    yy = np.zeros(reps)
    if big.any():
        gram = design_gram(spectrum, sizes[big], rng)
        part = label_stats(gram, sizes[big], w[big], sigma[big], rng)
        xx[big], xy[big], yy[big] = part.xx, part.xy, part.yy
    scale = np.sqrt(spectrum)
    for r in np.flatnonzero(~big):
        rows = rng.standard_normal((int(sizes[r]), d)) * scale
        labels = rows @ w[r] + sigma[r] * rng.standard_normal(int(sizes[r]))
        xx[r], xy[r], yy[r] = rows_stats(rows, labels)
    return RegressionStats(sizes.astype(float), xx, xy, yy)


def rows_given_stats(stats: RegressionStats, rng: np.random.Generator) -> tuple:
    """Draw rows ``x`` (R, N, d) and labels ``y`` (R, N) with exactly the statistics ``stats``.

    The rows ``Z = (x, y)`` of a set whose rows share one zero-mean Gaussian law are
    determined by ``Z'Z`` (the statistics) up to a rotation of the rows, and the law of
    ``Z`` is invariant under such rotations: so with ``Z'Z = V L V'`` (its ``m = min(n,
    d + 1)`` nonzero eigenvalues), ``Z = Q L^1/2 V'`` with ``Q`` uniform on the n x m
    matrices with orthonormal columns (from the QR decomposition of a standard normal
    matrix, signs fixed) is a draw of the rows given the statistics, whatever ``w`` and
    ``sigma``, for any n. Exact when the rows share one law (generation 0, the replace
    loop, one batch's real or synthetic part); a set mixing real and synthetic rows gets
    the exchangeable rows with its statistics, all a fit that reads them can see.
    Entries past a replicate's n are NaN.
    """
    n = np.asarray(stats.n).round().astype(np.int64)
    reps, d = stats.xy.shape
    width = max(int(n.max(initial=0)), 1)
    x = np.full((reps, width, d), np.nan)
    y = np.full((reps, width), np.nan)
    for r in np.flatnonzero(n > 0):
        scatter = np.block(
            [[stats.xx[r], stats.xy[r][:, None]], [stats.xy[r][None, :], np.array([[stats.yy[r]]])]]
        )
        values, vectors = np.linalg.eigh(scatter)
        m = min(int(n[r]), d + 1)
        top = slice(d + 1 - m, d + 1)  # eigh sorts ascending
        factor = np.sqrt(np.maximum(values[top], 0.0))[:, None] * vectors[:, top].T
        q, tri = np.linalg.qr(rng.standard_normal((int(n[r]), m)))
        z = (q * np.sign(np.diagonal(tri))) @ factor
        x[r, : n[r]], y[r, : n[r]] = z[:, :d], z[:, d]
    return x, y


def subsample_batches(batches, sizes, rng: np.random.Generator) -> RegressionStats:
    """Statistics of ``sizes[r]`` rows drawn without replacement from every batch kept.

    ``batches`` are statistics of sets whose rows each share one law (a generation's real
    part, its synthetic part): how many rows each gives is multivariate hypergeometric,
    and those rows are drawn given the batch's statistics (:func:`rows_given_stats`), so
    the subsample has the law of one drawn from the rows themselves.
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    counts = np.stack([np.asarray(b.n).round().astype(np.int64) for b in batches], axis=1)
    if np.any(sizes > counts.sum(axis=1)):
        raise ValueError(
            f"cannot draw {int(sizes.max())} rows from a pool of {int(counts.sum(axis=1).min())}"
        )
    taken = np.stack(
        [rng.multivariate_hypergeometric(c, k) for c, k in zip(counts, sizes, strict=True)]
    )
    reps, d = batches[0].xy.shape
    xx, xy, yy = np.zeros((reps, d, d)), np.zeros((reps, d)), np.zeros(reps)
    for j, batch in enumerate(batches):
        if not taken[:, j].any():
            continue
        x, y = rows_given_stats(batch, rng)
        for r in np.flatnonzero(taken[:, j]):
            rows, labels = x[r, : taken[r, j]], y[r, : taken[r, j]]  # exchangeable: the first
            gram, cross, square = rows_stats(rows, labels)
            xx[r] += gram
            xy[r] += cross
            yy[r] += square
    return RegressionStats(sizes.astype(float), xx, xy, yy)


def per_row_stats(spectrum: np.ndarray, sizes, draw, rng: np.random.Generator) -> RegressionStats:
    """Statistics of fresh rows each labelled by parameters of its own.

    ``draw(r, m) -> (w (m, d), sigma (m,))`` gives the parameters of ``m`` rows of
    replicate r (a fresh posterior draw per row: the ``predictive`` mode). The rows are
    drawn in chunks of :data:`ROW_CHUNK`: the cost grows with ``n d^2``.
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    reps, d = sizes.size, spectrum.size
    xx, xy, yy = np.zeros((reps, d, d)), np.zeros((reps, d)), np.zeros(reps)
    for r in range(reps):
        for start in range(0, int(sizes[r]), ROW_CHUNK):
            m = min(ROW_CHUNK, int(sizes[r]) - start)
            w, sigma = draw(r, m)
            rows = rng.standard_normal((m, d)) * np.sqrt(spectrum)
            labels = np.einsum("ij,ij->i", rows, w) + sigma * rng.standard_normal(m)
            gram, cross, square = rows_stats(rows, labels)
            xx[r] += gram
            xy[r] += cross
            yy[r] += square
    return RegressionStats(sizes.astype(float), xx, xy, yy)


def labels_on(
    design: tuple | None,
    spectrum: np.ndarray,
    w: np.ndarray,
    sigma: np.ndarray,
    sizes,
    rng: np.random.Generator,
) -> RegressionStats:
    """Statistics of ``sizes[r]`` rows labelled by ``w[r]`` and ``sigma[r]``.

    On fresh rows (``design`` None), or on the fixed design's rows, relabelled: then
    ``sizes`` must be the design's rows (a one-line ValueError otherwise).
    """
    if design is None:
        return design_stats(spectrum, w, sigma, sizes, rng)
    gram, rows = design
    if not np.array_equal(np.asarray(sizes), rows):
        raise ValueError(
            f"design 'fixed' relabels generation 0's {int(rows.max())} rows every generation; "
            f"{int(np.max(sizes))} rows were asked for (keep sample_size constant)"
        )
    stats = label_stats(gram, rows, w, np.asarray(sigma, float), rng)
    return RegressionStats(stats.n, stats.xx, stats.xy, stats.yy, design)
