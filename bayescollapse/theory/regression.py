"""Closed forms of least squares under retraining with a fresh Gaussian design.

Rows ``x ~ N(0, Sigma)`` in d dimensions. Least squares on n rows labelled
``y = x . w + N(0, s^2)`` has, over the design and the noise (n > d + 1):

- ``E (w_hat - w)' Sigma (w_hat - w) = s^2 tr(Sigma E[(X'X)^-1]) = s^2 d / (n - d - 1)``,
  since ``X'X ~ Wishart(n, Sigma)`` has ``E (X'X)^-1 = Sigma^-1 / (n - d - 1)``;
- ``E RSS = s^2 (n - d)`` (the residual is the noise projected off d columns), so
  ``sigma_hat^2 = RSS / (n - ddof d)`` has mean ``s^2 (n - d) / (n - ddof d)``;
- ``w_hat - w`` has mean zero and is independent of the past given ``s``.

The replace loop labels generation t's fresh rows by generation t-1's fit
``(w_{t-1}, sigma_{t-1})``; the errors add, so with ``E_t = E (w_t - w*)' Sigma (w_t - w*)``
and ``V_t = E sigma_t^2``:
``E_0 = sigma*^2 d / (n_0 - d - 1)``, ``V_0 = sigma*^2 (n_0 - d) / (n_0 - ddof d)``,
``E_t = E_{t-1} + V_{t-1} d / (n_t - d - 1)``, ``V_t = V_{t-1} (n_t - d) / (n_t - ddof d)``.
With the unbiased estimate (ddof 1) ``V_t = sigma*^2`` and the excess risk grows linearly,
``E_t = sigma*^2 d (t + 1) / (n - d - 1)`` at constant n: the law of Dohmatob, Feng and
Kempe (2024, "Model collapse demystified: the case of regression", Theorem 1, whose
synthetic labels carry the true noise). With the MLE (ddof 0) ``V_t`` shrinks by
``(n - d) / n`` a generation and the excess risk saturates: at constant n it sums the
geometric series to ``sigma*^2 d / (n - d - 1) / (1 - (n - d) / n) = sigma*^2 n / (n - d - 1)``.
The same holds, in expectation, when one fixed design is relabelled every generation
(``E tr(Sigma (X'X)^-1)`` and ``E RSS`` are the same; only the spread differs).

Accumulating on a fixed design (Gerstgrasser, Schaeffer et al. 2024, "Is model collapse
inevitable?", sec. 3): generation t trains on ``(X, y_0), ..., (X, y_t)``, so its least
squares is the mean of the batches' own fits ``b_k = w_{k-1} + eta_k``,
``eta_k = (X'X)^-1 X' e_k``. The errors are linear in the independent ``eta``s,
``w_t - w* = sum_j c_tj eta_j`` with ``c_t = (sum_{k <= t} (c_{k-1} + u_k)) / (t + 1)``
(``u_k`` the k-th unit vector), so ``E_t = d / (n - d - 1) sum_j c_tj^2 s_j``, ``s_j``
the mean noise variance batch j was labelled with. The pooled fit's RSS splits into the
batches' spread about it, ``sum_k |X (b_k - w_t)|^2`` (each ``eta_j`` contributing
``s_j d`` times its squared coefficient), and their residuals, ``s_k (n - d)`` each;
dividing by ``n (t + 1) - ddof d`` gives the next ``s``. With the true noise
(``unbiased`` at large n) the error stays below ``pi^2 / 6`` times the first generation's.
"""

from __future__ import annotations

import numpy as np

__all__ = ["least_squares_accumulate_fixed", "least_squares_replace"]


def least_squares_replace(
    spectrum: np.ndarray, sigma2: float, sizes: np.ndarray, *, ddof: int = 0
) -> dict[str, np.ndarray]:
    """Return the expected excess risk and noise variance of least squares, per generation.

    Parameters
    ----------
    spectrum : numpy.ndarray
        The feature variances (only their number d enters: the risk is in Sigma's norm).
    sigma2 : float
        The true noise variance.
    sizes : numpy.ndarray
        ``n_t`` per generation; NaN where ``n_t <= d + 1`` (and after).
    ddof : {0, 1}
        0: ``sigma^2 = RSS / n`` (``mle``); 1: ``RSS / (n - d)`` (``unbiased``).

    Returns
    -------
    dict
        ``excess_risk`` and ``sigma2_mean``, each of shape (generation,).

    Examples
    --------
    >>> out = least_squares_replace(np.ones(2), 1.0, np.array([13, 13, 13]), ddof=1)
    >>> out["excess_risk"].tolist()  # d / (n - d - 1) = 0.2 a generation
    [0.2, 0.4, 0.6000000000000001]
    """
    d = len(spectrum)
    sizes = np.asarray(sizes, float)
    risk = np.full(sizes.size, np.nan)
    variance = np.full(sizes.size, np.nan)
    e, v = 0.0, float(sigma2)
    for t, n in enumerate(sizes):
        if not n > d + 1:
            break
        e = e + v * d / (n - d - 1)
        v = v * (n - d) / (n - ddof * d)
        risk[t], variance[t] = e, v
    return {"excess_risk": risk, "sigma2_mean": variance}


def least_squares_accumulate_fixed(
    dim: int, sigma2: float, size: int, generations: int, *, ddof: int = 0
) -> dict[str, np.ndarray]:
    """Return the expected excess risk and noise variance of least squares on a fixed design.

    Every batch so far is kept (accumulate), all on one design of ``size`` rows; for
    generations 0..``generations`` (see the module docstring).

    Examples
    --------
    >>> out = least_squares_accumulate_fixed(2, 1.0, 13, 1, ddof=1)
    >>> out["excess_risk"].round(4).tolist()  # 0.2, then (1/4 + 1) / 4 ... of 0.2
    [0.2, 0.25]
    """
    d, n = int(dim), float(size)
    steps = generations + 1
    risk, variance = np.full(steps, np.nan), np.full(steps, np.nan)
    if not n > d + 1:
        return {"excess_risk": risk, "sigma2_mean": variance}
    coef = np.zeros((steps, steps))  # coef[t, j]: weight of eta_j in w_t - w*
    noise = np.zeros(steps)  # noise[j]: mean noise variance batch j was labelled with
    noise[0] = sigma2
    for t in range(steps):
        batches = np.array([(coef[k - 1] if k else 0.0) + np.eye(steps)[k] for k in range(t + 1)])
        coef[t] = batches.mean(axis=0)
        risk[t] = d / (n - d - 1) * (coef[t] ** 2 * noise).sum()
        spread = d * (((batches - coef[t]) ** 2) * noise).sum()
        residual = (n - d) * noise[: t + 1].sum()
        variance[t] = (spread + residual) / (n * (t + 1) - ddof * d)
        if t + 1 < steps:
            noise[t + 1] = variance[t]
    return {"excess_risk": risk, "sigma2_mean": variance}
