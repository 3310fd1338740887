"""Study 2: does the Bayesian loop collapse faster or slower than MLE, by how much, and why?

K = 50 (Zipf(1) truth), n = 200, 60 generations, 400 replicates, three regimes (collapse:
replace with pure synthetic data; stability: alpha = 0.1; recovery: alpha_t = 0.5 t^-0.5
with n_t = 200 t^1.5). Every fit of a regime sees the same real data (common random
numbers), so the differences from MLE are paired. Bayesian fits vary one thing at a time:
the synthetic mode (ancestral: a posterior draw; predictive: the posterior mean), the
prior concentration (a0 = 1 against 0.1) and the carried prior (the last posterior as the
next prior). The exact conjugate posterior stands for the Bayesian path: the PyMC path
targets the same posterior (study 1 and 3 check that it does).
"""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from bayescollapse import RunConfig, Setting, compare, run, save_results
from bayescollapse.present.curves import expected_curves
from bayescollapse.present.report import Number, Study, save_figure, study_main

HERE = Path(__file__).parent
RESULTS = HERE.parent / "results"
FULL = dict(generations=60, replicates=400)
QUICK = dict(generations=8, replicates=40)
SEED = 7
REGIMES = {
    "collapse": {"scheme": "replace", "real_fraction": "zero", "sample_size": "200"},
    "stability": {"real_fraction": "0.1", "sample_size": "200"},
    "recovery": {"real_fraction": "power:0.5:-0.5", "sample_size": "power:200:1.5"},
}
FITS = {
    "MLE": {"method": "mle"},
    "ancestral a0=1": {"method": "conjugate", "synthetic": "ancestral"},
    "predictive a0=1": {"method": "conjugate", "synthetic": "predictive"},
    "ancestral a0=0.1": {
        "method": "conjugate",
        "synthetic": "ancestral",
        "prior_params": {"prior_concentration": 0.1},
    },
    "ancestral a0=1 carried": {
        "method": "conjugate",
        "synthetic": "ancestral",
        "prior_update": "carry",
    },
}
Z = 4.0
STYLES = dict(zip(FITS, ["k", "C0", "C1", "C2", "C3"], strict=True))


def config(size: dict) -> RunConfig:
    """All fits of all regimes in one run (so each regime's fits share their real data)."""
    settings = tuple(
        Setting(name=f"{regime}: {fit}", group=regime, **REGIMES[regime], **fields)
        for regime in REGIMES
        for fit, fields in FITS.items()
    )
    return RunConfig(
        settings=settings,
        num_tokens=50,
        truth="zipf:1",
        generations=size["generations"],
        replicates=size["replicates"],
        seed=SEED,
        posterior_metrics=False,  # the errors are the study; exact Beta HDIs would cost most
    )


def _figure(ds, paired, curves) -> plt.Figure:
    gen = ds["generation"].values
    fig, axes = plt.subplots(2, len(REGIMES), figsize=(4.6 * len(REGIMES), 7.4), sharex=True)
    for j, regime in enumerate(REGIMES):
        top, bottom = axes[0, j], axes[1, j]
        for fit in FITS:
            name = f"{regime}: {fit}"
            err = ds["sq_l2_to_truth"].sel(setting=name).mean("replicate")
            top.plot(gen, err, color=STYLES[fit], lw=1.5, label=fit)
            top.plot(gen, curves.sel(setting=name), color=STYLES[fit], ls="--", lw=1.0)
            if fit == "MLE":
                continue
            row = paired.sel(setting=name)
            diff, half = row["difference"], 2 * row["paired_se"]
            bottom.plot(gen, diff, color=STYLES[fit], lw=1.5, label=fit)
            bottom.fill_between(gen, diff - half, diff + half, color=STYLES[fit], alpha=0.2, lw=0)
            exact = curves.sel(setting=name) - curves.sel(setting=f"{regime}: MLE")
            bottom.plot(gen, exact, color=STYLES[fit], ls="--", lw=1.0)
        bottom.axhline(0, color="k", lw=0.8)
        top.set_yscale("log")
        top.set_title(regime)
        top.set_ylabel("E||P_t - P*||^2" if j == 0 else "")
        bottom.set_ylabel("fit minus MLE (paired)" if j == 0 else "")
        bottom.set_xlabel("generation")
        bottom.set_yscale("symlog", linthresh=1e-4)
    axes[0, 0].plot([], [], color="grey", ls="--", lw=1.0, label="exact expected curve")
    axes[0, 0].legend(fontsize=8, loc="best")
    fig.suptitle("Bayesian fits against MLE on common random numbers (bands: 2 paired SEs)")
    fig.tight_layout()
    return fig


def study(quick: bool = False, figures: Path | None = None) -> Study:
    """Run study 2 and return its figure, numbers and findings."""
    size = QUICK if quick else FULL
    ds = run(config(size))
    save_results(ds, RESULTS / f"bayes_vs_mle{'_quick' if quick else ''}.nc", overwrite=True)
    paired = compare(ds, baseline="mle")
    curves = expected_curves(ds)["sq_l2_to_truth"]
    figure = save_figure(
        _figure(ds, paired, curves), figures or HERE / "figures", "bayes_vs_mle.png"
    )

    last = int(ds["generation"][-1])
    numbers, findings = [], []
    for regime in REGIMES:
        mle = float(ds["sq_l2_to_truth"].sel(setting=f"{regime}: MLE", generation=last).mean())
        parts = []
        for fit in list(FITS)[1:]:
            row = paired.sel(setting=f"{regime}: {fit}", generation=last)
            exact = float(
                curves.sel(setting=f"{regime}: {fit}", generation=last)
                - curves.sel(setting=f"{regime}: MLE", generation=last)
            )
            numbers.append(
                Number(
                    f"{regime}, {fit} minus MLE at T = {last}",
                    float(row["difference"]),
                    theory=None if np.isnan(exact) else exact,
                    se=float(row["paired_se"]),
                    bound=None if np.isnan(exact) else Z,
                    dof=int(row["pairs"]) - 1,
                )
            )
            parts.append(f"{fit} {float(row['difference']) / mle:+.0%}")
        findings.append(f"{regime} (MLE error {mle:.2e} at T = {last}): " + ", ".join(parts))
    findings.append(
        "Why: (1) an ancestral synthetic set is written from one posterior draw, which adds "
        "the posterior's own variance to every generation's error, beyond the predictive "
        "mode (the posterior mean); (2) the prior pulls every fit toward the uniform law "
        "with weight K a0 / (n + K a0) (0.2 at a0 = 1 here), a bias a skewed truth pays "
        "in every generation; (3) a carried prior keeps every earlier count: under pure "
        "synthetic data it anchors the fit to generation 0's real counts and collapses far "
        "less, while with fresh real data it dilutes them among the accumulated synthetic "
        "counts. The exact curves (dashed) reproduce (1) and (2) with no simulation."
    )
    return Study(
        key="bayes_vs_mle",
        title="2. Bayesian loops against MLE, three regimes, common random numbers",
        caption=(
            "Top: mean squared error against the truth per fit (log scale), exact curves "
            "dashed (none for the carried prior). Bottom: each Bayesian fit minus MLE on "
            "the same real data, with 2 paired-SE bands and the exact difference dashed "
            "(symmetric log scale: linear within 1e-4)."
        ),
        figures=[figure],
        params={
            "K": 50,
            "truth": "zipf:1",
            "n": 200,
            "generations": size["generations"],
            "replicates": size["replicates"],
            "regimes": "; ".join(f"{k}: {v}" for k, v in REGIMES.items()),
        },
        seed=SEED,
        numbers=numbers,
        findings=findings,
    )


if __name__ == "__main__":
    study_main(study)
