"""Exact laws of a mixture's components when the labels are kept, given their counts.

When every point carries the label of the component that wrote it, the labels' counts
evolve on their own (the weights are a categorical loop:
:func:`~bayescollapse.theory.closed_forms.categorical_moments`) and, given the path of a
component's counts, its points are normal: ``r_t`` real points from ``N(mu*, s*^2)`` and
``s_t`` synthetic ones from ``N(mu_{t-1}, v_{t-1})``, the previous fit's component (plug-in
writing). The fit's moments then follow a linear recursion in ``m1 = E mu``,
``m2 = E mu^2`` and ``V = E v``, conditional on the counts (``c = r + s``)::

    E S   = r mu* + s m1                       (S the points' sum)
    E S^2 = r s*^2 + r^2 mu*^2 + 2 r s mu* m1 + s V + s^2 m2
    E Q   = r (s*^2 + mu*^2) + s (V + m2)        (Q the sum of squares)
    E M2  = E Q - E S^2 / c                      (the sum of squared deviations)

The MLE takes ``mu = S / c`` and ``v = M2 / c``. The normal-inverse-gamma posterior
``(mu0, kappa0, alpha0, beta0)`` takes ``mu = (kappa0 mu0 + S) / K`` with ``K = kappa0 + c``
and writes with ``v = E[sigma^2 | data] = beta / (alpha0 + c / 2 - 1)``, where
``beta = beta0 + M2 / 2 + kappa0 (S - c mu0)^2 / (2 c K)``. Both are linear in the
first two moments of S and in E M2, so the recursion is exact.
"""

from __future__ import annotations

import numpy as np

__all__ = ["component_moments"]


def component_moments(
    mu: float,
    sigma2: float,
    real: np.ndarray,
    synthetic: np.ndarray,
    *,
    prior: tuple[float, float, float, float] | None = None,
) -> dict[str, np.ndarray]:
    """Return a component's exact moments given the path of its counts (module text).

    Parameters
    ----------
    mu, sigma2 : float
        The true component's mean and variance.
    real, synthetic : numpy.ndarray, shape (..., T + 1)
        Its real and synthetic points per generation (``synthetic[..., 0]`` is 0). A
        generation with no points leaves the MLE undefined (NaN from there on).
    prior : (mu0, kappa0, alpha0, beta0), optional
        The normal-inverse-gamma prior, refitted every generation; None for the MLE.

    Returns
    -------
    dict
        ``mean`` (``E mu_t``), ``sq_error`` (``E (mu_t - mu*)^2``) and ``variance``
        (``E v_t``, the variance the fit writes with), shape (..., T + 1).

    Examples
    --------
    >>> out = component_moments(0.0, 1.0, [[10, 0, 0]], [[0, 10, 10]])
    >>> out["variance"].round(4).tolist()  # ((c - 1) / c) ** (t + 1)
    [[0.9, 0.81, 0.729]]
    """
    r, s = (np.asarray(v, dtype=float) for v in np.broadcast_arrays(real, synthetic))
    m1, m2, v = (np.zeros(r.shape) for _ in range(3))
    prev = (np.zeros(r.shape[:-1]),) * 3
    for t in range(r.shape[-1]):
        rt, st = r[..., t], s[..., t]
        c = rt + st
        p1, p2, pv = prev
        sum1 = rt * mu + st * p1
        sum2 = rt * sigma2 + rt**2 * mu**2 + 2 * rt * st * mu * p1 + st * pv + st**2 * p2
        squares = rt * (sigma2 + mu**2) + st * (pv + p2)
        with np.errstate(invalid="ignore", divide="ignore"):
            m2_data = squares - sum2 / c
            if prior is None:
                new = (sum1 / c, sum2 / c**2, m2_data / c)
            else:
                mu0, kappa0, alpha0, beta0 = prior
                k = kappa0 + c
                first = (kappa0 * mu0 + sum1) / k
                second = (kappa0**2 * mu0**2 + 2 * kappa0 * mu0 * sum1 + sum2) / k**2
                gap2 = sum2 - 2 * c * mu0 * sum1 + c**2 * mu0**2  # E (S - c mu0)^2
                shrink = np.where(c > 0, kappa0 * gap2 / (2 * c * k), 0.0)
                beta = beta0 + np.where(c > 0, m2_data, 0.0) / 2 + shrink
                new = (first, second, beta / (alpha0 + c / 2 - 1))
        m1[..., t], m2[..., t], v[..., t] = new
        prev = new
    return {"mean": m1, "sq_error": m2 - 2 * mu * m1 + mu**2, "variance": v}
