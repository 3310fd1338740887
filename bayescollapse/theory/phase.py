"""The collapse / bounded / recovery phase diagram over power schedules.

Schedules ``a_t = a0 t^-beta`` and ``n_t = n0 t^gamma``. For each prior concentration
(``0`` means the MLE; ``> 0`` the conjugate Dirichlet posterior mean, refitted each
generation), the diagram holds:

- theory on a fine (beta, gamma) grid: the regime of the exact expected error curve
  (:func:`bayescollapse.theory.closed_forms.categorical_moments`) at a long horizon, classified by
  :func:`bayescollapse.theory.regimes.classify_curve`; for the MLE also the analytic regime, its
  limit and rate (:func:`bayescollapse.theory.closed_forms.power_schedule_regime`);
- simulation on a coarse grid: the regime of the simulated error by the trend test
  (:func:`bayescollapse.theory.regimes.trend_test`), next to the verdict the same rule gives on
  the exact expected curve over the same generations.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import xarray as xr

from bayescollapse.engine.config import RunConfig, Setting
from bayescollapse.engine.loop import run
from bayescollapse.models import DEFAULT_METHOD, DEFAULT_MODEL, REGISTRY
from bayescollapse.models.categorical.truth import make_truth
from bayescollapse.theory.closed_forms import (
    categorical_moments,
    gini_simpson_of,
    power_schedule_regime,
)
from bayescollapse.theory.regimes import classify_curve, trend_test

__all__ = ["power_schedules", "phase_theory", "phase_simulation", "phase_diagram"]


def power_schedules(
    betas: np.ndarray,
    gammas: np.ndarray,
    generations: int,
    *,
    real_fraction0: float,
    sample_size0: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Schedule values ``a_t``, ``n_t`` for t = 0..T on a (beta, gamma) grid.

    Returns arrays of shape (len(betas), len(gammas), T + 1); generation 0 uses ``n0``.
    """
    t = np.arange(generations + 1, dtype=float)
    t[0] = 1.0
    b = np.asarray(betas, float)[:, None, None]
    g = np.asarray(gammas, float)[None, :, None]
    a = np.broadcast_to(real_fraction0 * t**-b, (b.shape[0], g.shape[1], t.size)).copy()
    a[..., 0] = 1.0
    n = np.broadcast_to(np.rint(sample_size0 * t**g), a.shape)
    return a, n


def phase_theory(
    truth: np.ndarray,
    betas: Sequence[float],
    gammas: Sequence[float],
    *,
    real_fraction0: float = 0.5,
    sample_size0: float = 50,
    prior_concentrations: Sequence[float] = (0.0,),
    synthetic: str = "plugin",
    horizon: int = 1000,
    tolerance: float = 0.1,
) -> xr.Dataset:
    """Theory on a (beta, gamma) grid for each prior concentration.

    Returns
    -------
    xarray.Dataset
        Dims (prior_concentration, beta, gamma): ``theory_regime``, ``theory_slope``
        (log-log slope of the expected error at the horizon), ``theory_error`` (expected
        squared error at the horizon) and, for the MLE (``prior_concentration == 0``),
        ``analytic_regime``, ``analytic_limit`` and ``analytic_rate``.
    """
    truth = np.asarray(truth, float)
    h = gini_simpson_of(truth)
    a, n = power_schedules(
        betas, gammas, horizon, real_fraction0=real_fraction0, sample_size0=sample_size0
    )
    generations = np.arange(horizon + 1)
    regime, slope, error = [], [], []
    for a0 in prior_concentrations:
        mode = "plugin" if a0 == 0 else synthetic
        d = categorical_moments(truth, a, n, prior_concentration=a0, synthetic=mode)["sq_error"]
        trend = classify_curve(generations, d, collapse_level=h, tolerance=tolerance)
        regime.append(trend.regime)
        slope.append(trend.slope)
        error.append(d[..., -1])
    analytic = [
        [power_schedule_regime(truth, real_fraction0, b, sample_size0, g) for g in gammas]
        for b in betas
    ]
    dims = ("prior_concentration", "beta", "gamma")
    return xr.Dataset(
        {
            "theory_regime": (dims, np.array(regime, dtype=str)),
            "theory_slope": (dims, np.array(slope)),
            "theory_error": (dims, np.array(error)),
            "analytic_regime": (
                ("beta", "gamma"),
                np.array([[r.name for r in row] for row in analytic]),
            ),
            "analytic_limit": (
                ("beta", "gamma"),
                np.array([[r.limit for r in row] for row in analytic]),
            ),
            "analytic_rate": (
                ("beta", "gamma"),
                np.array([[r.rate for r in row] for row in analytic]),
            ),
        },
        coords={
            "prior_concentration": list(prior_concentrations),
            "beta": list(betas),
            "gamma": list(gammas),
        },
        attrs={
            "horizon": horizon,
            "real_fraction0": real_fraction0,
            "sample_size0": sample_size0,
            "collapse_level": h,
            "tolerance": tolerance,
        },
    )


def phase_simulation(
    truth: str,
    num_tokens: int,
    betas: Sequence[float],
    gammas: Sequence[float],
    *,
    seed: int,
    real_fraction0: float = 0.5,
    sample_size0: float = 50,
    prior_concentrations: Sequence[float] = (0.0,),
    synthetic: str = "plugin",
    generations: int = 100,
    replicates: int = 2000,
    tolerance: float = 0.1,
    z: float = 2.0,
    progress: Callable[[int], None] | None = None,
    runner: Callable[..., xr.Dataset] | None = None,
) -> xr.Dataset:
    """Simulate each grid point and classify it by the trend test.

    ``runner(config, progress=...)`` runs each panel's study: :func:`bayescollapse.run` by
    default, or :func:`bayescollapse.engine.sweep.run_distributed` bound to a Dask client (the
    same units of work on a cluster, with the same results).

    Returns
    -------
    xarray.Dataset
        Dims (prior_concentration, sim_beta, sim_gamma): ``sim_regime``, ``sim_slope``,
        ``sim_slope_se``, ``sim_error`` (mean final squared error), and ``expected_regime``,
        the same rule applied to the exact expected curve over the same generations.
    """
    p = make_truth(truth, num_tokens)
    h = gini_simpson_of(p)
    a, n = power_schedules(
        betas, gammas, generations, real_fraction0=real_fraction0, sample_size0=sample_size0
    )
    shape = (len(prior_concentrations), len(betas), len(gammas))
    out = {
        k: np.empty(shape, dtype=object if k.endswith("regime") else float)
        for k in ("sim_regime", "sim_slope", "sim_slope_se", "sim_error", "expected_regime")
    }
    for i, a0 in enumerate(prior_concentrations):
        # a0 = 0 is the family's point estimate, a0 > 0 its exact posterior
        method = REGISTRY[DEFAULT_MODEL].baseline if a0 == 0 else DEFAULT_METHOD
        settings = tuple(
            Setting(
                method=method,
                synthetic="plugin" if a0 == 0 else synthetic,
                real_fraction=f"power:{real_fraction0!r}:{-float(b)!r}",
                sample_size=f"power:{float(sample_size0)!r}:{float(g)!r}",
                name=f"beta={b:g} gamma={g:g}",
            )
            for b in betas
            for g in gammas
        )
        config = RunConfig(
            settings=settings,
            num_tokens=num_tokens,
            truth=truth,
            generations=generations,
            replicates=replicates,
            seed=seed,
            prior_concentration=a0 if a0 > 0 else 1.0,
            posterior_metrics=False,
        )
        ds = (runner or run)(config, progress=progress)
        errors = ds["sq_l2_to_truth"].values.reshape(len(betas), len(gammas), replicates, -1)
        expected = categorical_moments(
            p, a, n, prior_concentration=a0, synthetic="plugin" if a0 == 0 else synthetic
        )["sq_error"]
        verdict = classify_curve(
            ds["generation"].values, expected, collapse_level=h, tolerance=tolerance
        )
        for j in range(len(betas)):
            for k in range(len(gammas)):
                rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(i, j, k)))
                trend = trend_test(
                    ds["generation"].values,
                    errors[j, k],
                    rng=rng,
                    collapse_level=h,
                    tolerance=tolerance,
                    z=z,
                )
                out["sim_regime"][i, j, k] = trend.regime
                out["sim_slope"][i, j, k] = trend.slope
                out["sim_slope_se"][i, j, k] = trend.slope_se
                out["sim_error"][i, j, k] = trend.final
                out["expected_regime"][i, j, k] = verdict.regime[j, k]
    dims = ("prior_concentration", "sim_beta", "sim_gamma")
    return xr.Dataset(
        {k: (dims, v.astype(str) if v.dtype == object else v) for k, v in out.items()},
        coords={
            "prior_concentration": list(prior_concentrations),
            "sim_beta": list(betas),
            "sim_gamma": list(gammas),
        },
        attrs={"generations": generations, "replicates": replicates, "seed": seed, "z": z},
    )


def phase_diagram(
    truth: str,
    num_tokens: int,
    *,
    betas: Sequence[float],
    gammas: Sequence[float],
    sim_betas: Sequence[float],
    sim_gammas: Sequence[float],
    seed: int,
    prior_concentrations: Sequence[float] = (0.0,),
    progress: Callable[[int], None] | None = None,
    runner: Callable[..., xr.Dataset] | None = None,
    **options,
) -> xr.Dataset:
    """Theory and simulation in one Dataset (see :func:`phase_theory`, :func:`phase_simulation`).

    ``options`` go to both: ``real_fraction0``, ``sample_size0``, ``synthetic``,
    ``tolerance``; ``horizon`` to the theory; ``generations``, ``replicates`` and ``z`` to
    the simulation. ``runner`` runs the simulation's studies (see :func:`phase_simulation`).
    """
    theory_keys = {"real_fraction0", "sample_size0", "synthetic", "tolerance", "horizon"}
    sim_keys = {
        "real_fraction0",
        "sample_size0",
        "synthetic",
        "tolerance",
        "generations",
        "replicates",
        "z",
    }
    unknown = set(options) - theory_keys - sim_keys
    if unknown:
        raise ValueError(f"unknown phase option {sorted(unknown)[0]!r}")
    theory = phase_theory(
        make_truth(truth, num_tokens),
        betas,
        gammas,
        prior_concentrations=prior_concentrations,
        **{k: v for k, v in options.items() if k in theory_keys},
    )
    sim = phase_simulation(
        truth,
        num_tokens,
        sim_betas,
        sim_gammas,
        seed=seed,
        prior_concentrations=prior_concentrations,
        progress=progress,
        runner=runner,
        **{k: v for k, v in options.items() if k in sim_keys},
    )
    merged = xr.merge([theory, sim], combine_attrs="drop")
    merged.attrs = {
        **theory.attrs,
        **{f"sim_{k}": v for k, v in sim.attrs.items()},
        "truth": truth,
        "num_tokens": num_tokens,
    }
    return merged
