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

The paper's mixture on a fresh design (``k ~ Binomial(n, alpha)`` real rows, the rest
labelled by the previous fit), derived here. Whiten (``Sigma = I``: the risk is in
Sigma's norm and the design is Gaussian). With ``S = X'X``, ``A`` the real rows' part and
``B = S - A``, least squares gives ``w_t - w* = G delta + S^-1 X' e``, ``G = S^-1 B``,
``delta = w_{t-1} - w*`` independent of the new rows and isotropic in mean square, so
``E_t = E tr(G'G) / d E_{t-1} + E tr(S^-2 (sigma*^2 A + s^2 B))``. By exchangeability of
the rows, ``E x_i' S^-2 x_i = d / (n (n - d - 1))`` and, with
``a1 = E (x_1' S^-2 x_1)(x_1' x_1)``, ``a2 = E (x_2' S^-2 x_1)(x_1' x_2)``,
``n a1 + n (n - 1) a2 = tr(S^-2 S^2) = d``. Sherman-Morrison and the partition of a
Wishart give ``a1 = (n - 2) / (n - d - 1) d (d + 2) / (n (n + 2))`` (a Beta(d/2, (n-d)/2)
second moment times ``E (1 + z' S22^-1 z)``). Over ``k``, ``E k = n alpha``,
``E k (k - 1) = n (n - 1) alpha^2``, so
``E tr(G'G) / d = (1 - alpha)^2 + alpha (1 - alpha) (n - 2)(d + 2) / ((n - d - 1)(n + 2))``
and the noise term is ``d / (n - d - 1) (alpha sigma*^2 + (1 - alpha) V_{t-1})``. The
residual sum of squares, from ``E h_ii = d / n`` and
``E (x_1' S^-1 x_1)(x_1' x_1) = d (d + 2) / (n + 2)``, has mean
``(n - d)(alpha sigma*^2 + (1 - alpha) V_{t-1}) + E_{t-1} n alpha (1 - alpha)(n - d) / (n + 2)``
(the synthetic rows' offset ``x' delta`` that the fit cannot follow), divided by
``n - ddof d`` for ``V_t``. At ``alpha = 0`` this is the replace loop; generation 0 is
all real.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "accumulate_given_designs",
    "conjugate_replace_fixed",
    "flat_posterior_mixture",
    "least_squares_accumulate_fixed",
    "least_squares_mixture",
    "least_squares_replace",
]


def least_squares_replace(
    spectrum: np.ndarray, sigma2: float, sizes: np.ndarray, *, ddof: int = 0
) -> dict[str, np.ndarray]:
    """Return the expected excess risk and noise variance of least squares, per generation.

    The replace loop: :func:`least_squares_mixture` with no real rows after generation 0.

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
    >>> out["excess_risk"].round(12).tolist()  # d / (n - d - 1) = 0.2 a generation
    [0.2, 0.4, 0.6]
    """
    sizes = np.asarray(sizes, float)
    return least_squares_mixture(len(spectrum), sigma2, np.zeros(sizes.size), sizes, ddof=ddof)


def least_squares_mixture(
    dim: int, sigma2: float, alphas: np.ndarray, sizes: np.ndarray, *, ddof: int = 0
) -> dict[str, np.ndarray]:
    """Return the expected excess risk and noise variance of least squares in the mixture loop.

    Fresh rows every generation, ``Binomial(n_t, alpha_t)`` of them real (see the module
    docstring); generation 0 is all real whatever ``alphas[0]``. NaN from the first
    ``n_t <= d + 1``.

    Examples
    --------
    >>> out = least_squares_mixture(2, 1.0, np.array([1.0, 1.0]), np.array([13, 13]))
    >>> out["excess_risk"].round(12).tolist()  # all real: a fresh fit each generation
    [0.2, 0.2]
    """
    return _mixture(dim, sigma2, alphas, sizes, lambda n, d: n - ddof * d, draw=False)


def flat_posterior_mixture(
    dim: int, sigma2: float, alphas: np.ndarray, sizes: np.ndarray, *, mode: str = "ancestral"
) -> dict[str, np.ndarray]:
    """Return the expected excess risk of the posterior mean and ``E sigma^2`` under a flat prior.

    The conjugate posterior with ``P0``, ``a0``, ``b0`` tending to 0 is
    ``w | sigma^2 ~ N(w_ls, sigma^2 S^-1)``, ``sigma^2 ~ InvGamma(n / 2, RSS / 2)``: its
    mean is least squares and its ``E sigma^2 = RSS / (n - 2)``. Its synthetic rows are
    labelled by the posterior means (``plugin``) or by one posterior draw (``ancestral``),
    which adds ``E sigma~^2 tr(Sigma S^-1) = E sigma^2 d / (n - d - 1)`` to the labeller's
    error each generation: a second variance term beside the fit's own. Otherwise the
    mixture recursion of :func:`least_squares_mixture`, with the labeller's error and noise
    in place of the fit's.
    """
    if mode not in ("plugin", "ancestral"):
        raise ValueError(f"mode {mode!r} has no law here; use 'plugin' or 'ancestral'")
    return _mixture(dim, sigma2, alphas, sizes, lambda n, d: n - 2, draw=mode == "ancestral")


def _mixture(dim, sigma2, alphas, sizes, divisor, *, draw: bool) -> dict[str, np.ndarray]:
    """Run the mixture recursion of the module docstring.

    ``divisor(n, d)`` turns the RSS into the noise estimate; ``draw`` adds a posterior
    draw's spread to the labeller's error.
    """
    d = float(dim)
    alphas, sizes = np.asarray(alphas, float), np.asarray(sizes, float)
    risk = np.full(sizes.size, np.nan)
    variance = np.full(sizes.size, np.nan)
    e, v = 0.0, float(sigma2)  # the labeller's error and noise variance
    for t, (alpha, n) in enumerate(zip(alphas, sizes, strict=True)):
        if not n > d + 1:
            break
        alpha = 1.0 if t == 0 else alpha
        kept = (1 - alpha) ** 2 + alpha * (1 - alpha) * (n - 2) * (d + 2) / ((n - d - 1) * (n + 2))
        noise = alpha * sigma2 + (1 - alpha) * v
        rss = (n - d) * noise + e * n * alpha * (1 - alpha) * (n - d) / (n + 2)
        fit = kept * e + d / (n - d - 1) * noise
        v = rss / divisor(n, d)
        risk[t], variance[t] = fit, v
        e = fit + (v * d / (n - d - 1) if draw else 0.0)
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


def conjugate_replace_fixed(
    gram: np.ndarray,
    rows: int,
    w_star: np.ndarray,
    sigma2: float,
    spectrum: np.ndarray,
    *,
    prior: tuple[float, float, float],
    generations: int,
    mode: str = "plugin",
) -> dict[str, np.ndarray]:
    """Return the expected excess risk of the posterior mean and ``E sigma^2``, given the design.

    The replace loop on one fixed design (``gram = X'X`` of ``rows`` rows) with the NIG
    prior ``(kappa0, a0, b0)`` refitted each generation (``m0 = 0``, ``P0 = kappa0 I``).
    Exact given the design, whatever the prior's weight: the posterior precision
    ``P = X'X + kappa0 I`` and ``an = a0 + n / 2`` never change, the posterior mean is
    ``R w_L + P^-1 X' e`` with ``R = P^-1 X'X`` (a ridge estimator: its mean ``R^(t+1) w*``
    shrinks toward the prior mean 0 each generation, the bias compounding), and
    ``E bn = b0 + (E w_L' (X'X - X'X P^-1 X'X) w_L + s^2 (n - tr(P^-1 X'X))) / 2`` for a
    labeller ``(w_L, s)``. Tracking the labeller's mean, covariance and noise variance:
    ``plugin`` labels with the posterior means (``s^2 = bn / (an - 1)``); ``ancestral``
    with one posterior draw, whose covariance adds ``E sigma^2 P^-1``.
    """
    if mode not in ("plugin", "ancestral"):
        raise ValueError(f"mode {mode!r} has no law here; use 'plugin' or 'ancestral'")
    kappa0, a0, b0 = prior
    d = len(w_star)
    precision = gram + kappa0 * np.eye(d)
    inverse = np.linalg.inv(precision)
    shrink = inverse @ gram
    noise = inverse @ gram @ inverse
    residual = gram - gram @ inverse @ gram
    free = rows - np.trace(inverse @ gram)
    a_n = a0 + rows / 2
    sigma = np.diag(spectrum)
    mean, cov, v = np.asarray(w_star, float), np.zeros((d, d)), float(sigma2)
    risk, variance = np.zeros(generations + 1), np.zeros(generations + 1)
    for t in range(generations + 1):  # (mean, cov, v): the labeller's, then the fit's
        b_n = b0 + (mean @ residual @ mean + np.trace(residual @ cov) + v * free) / 2
        mean, cov = shrink @ mean, shrink @ cov @ shrink.T + v * noise
        v = b_n / (a_n - 1)
        gap = mean - w_star
        risk[t], variance[t] = gap @ sigma @ gap + np.trace(sigma @ cov), v
        if mode == "ancestral":
            cov = cov + v * inverse
    return {"excess_risk": risk, "sigma2_mean": variance}


def accumulate_given_designs(
    grams: np.ndarray, rows: int, sigma2: float, spectrum: np.ndarray, *, ddof: int = 0
) -> dict[str, np.ndarray]:
    """Return least squares' expected risk and noise variance accumulating on given designs.

    The batches' designs are ``grams`` (T + 1, d, d), each of ``rows`` rows, no real rows
    after the first batch.

    Pooled least squares makes the error a martingale: with ``C_t`` the Gram of every batch
    so far, ``C_t w_t = C_{t-1} w_{t-1} + X_t' y_t`` and ``y_t = X_t w_{t-1} + e_t`` give
    ``w_t - w* = w_{t-1} - w* + C_t^-1 X_t' e_t``. So, with ``v_j`` the mean noise variance
    batch j was labelled with, ``Cov(w_t) = sum_{j <= t} v_j C_j^-1 S_j C_j^-1`` and the
    pooled residual sum of squares has mean ``sum_{i <= t} [sum_{j=i..t} v_j tr(S_i C_j^-1 S_j
    C_j^-1) - 2 v_i tr(C_i^-1 S_i) + n v_i]``, which divided by ``n (t + 1) - ddof d`` is the
    next ``v``. Exact given the designs, fresh (a new Gram each batch) or fixed (the same).
    With the true noise in every batch the increments average ``sigma^2 n d / (N_t (N_t - d -
    1))`` over Gaussian designs (``N_t = n (t + 1)``, by exchangeability of the rows), whose
    sum stays below ``pi^2 / 6 sigma^2 d / (n - d - 1)``: Gerstgrasser et al.'s bound on a
    fresh design.
    """
    grams = np.asarray(grams, float)
    steps, d = grams.shape[0], grams.shape[1]
    sigma = np.diag(spectrum)
    cumulative = np.cumsum(grams, axis=0)
    inverse = np.linalg.inv(cumulative)
    spread = [inv @ s @ inv for inv, s in zip(inverse, grams, strict=True)]  # C_j^-1 S_j C_j^-1
    noise = np.zeros(steps)
    noise[0] = sigma2
    risk, variance = np.zeros(steps), np.zeros(steps)
    for t in range(steps):
        cov = sum(noise[j] * spread[j] for j in range(t + 1))
        risk[t] = np.trace(sigma @ cov)
        rss = 0.0
        for i in range(t + 1):
            rss += sum(noise[j] * np.trace(grams[i] @ spread[j]) for j in range(i, t + 1))
            rss += noise[i] * (rows - 2 * np.trace(inverse[i] @ grams[i]))
        variance[t] = rss / (rows * (t + 1) - ddof * d)
        if t + 1 < steps:
            noise[t + 1] = variance[t]
    return {"excess_risk": risk, "sigma2_mean": variance}
