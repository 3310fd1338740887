"""Linear regression under retraining: test error and the posterior's coverage of w*.

Rows x ~ N(0, I_10), y = x . w* + N(0, 1), n = 100 rows a generation, 20 generations,
200 replicates (PyMC: 16). Regimes on a fresh design: replace (pure synthetic),
accumulate (every batch kept, no new real rows), the paper's constant real fraction
0.1 and its decaying 0.5 t^-0.5. Fits: least squares (mle, unbiased noise), the
conjugate NIG posterior and PyMC (NUTS) with ancestral synthetic sets. A second figure
shows the laws of bayescollapse.theory.regression: the replace loop's excess risk at
T = 10 against d / n (linear growth in the generations for the unbiased noise, Dohmatob,
Feng and Kempe 2024), and accumulating on a fixed design, bounded near pi^2 / 6 times the
first generation's error (Gerstgrasser et al. 2024). Writes results/regression*.nc and
analyses/figures/regression*.png.
"""

from dataclasses import replace
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from bayescollapse import RunConfig, run, save_results
from bayescollapse.engine.config import cross_settings
from bayescollapse.engine.progress import cells, progress_bar
from bayescollapse.io.results import concat_runs
from bayescollapse.present.curves import expected_curves
from bayescollapse.present.plots import plot_error
from bayescollapse.present.report import Number, Study, mean_se, save_figure, study_main
from bayescollapse.theory.regression import least_squares_accumulate_fixed, least_squares_replace

HERE = Path(__file__).parent
RESULTS = HERE.parent / "results"
REGIMES = [
    {"name": "replace", "scheme": "replace", "real_fraction": "zero"},
    {"name": "accumulate", "scheme": "accumulate", "real_fraction": "zero"},
    {"name": "alpha=0.1", "real_fraction": "0.1"},
    {"name": "alpha=0.5 t^-0.5", "real_fraction": "power:0.5:-0.5"},
]
SEED = 11
Z = 4.0


def _config(size: dict, methods, replicates: int) -> RunConfig:
    regimes = [{**r, "sample_size": str(size["n"])} for r in REGIMES]
    base = RunConfig.from_dict(
        {
            "model": "linear-regression",
            "dim": size["d"],
            "generations": size["generations"],
            "replicates": replicates,
            "seed": SEED,
            "draws": 500,
        }
    )
    settings = cross_settings(regimes, {"method": methods, "synthetic": ["ancestral"]})
    return replace(base, settings=settings)


def _laws(size: dict, dims: list[int]) -> tuple:
    """Run the replace loop across d and the fixed-design loops; return their results."""
    n, gens, reps = size["n"], 10, size["cheap"]
    across = []
    for d in dims:
        settings = [
            {"method": m, "scheme": "replace", "real_fraction": "zero", "sample_size": str(n)}
            for m in ("mle", "unbiased")
        ]
        cfg = {"model": "linear-regression", "dim": d, "generations": gens, "seed": SEED}
        across.append(run(RunConfig.from_dict({**cfg, "replicates": reps, "settings": settings})))
    fixed = [
        {"method": "unbiased", "scheme": s, "real_fraction": "zero", "sample_size": str(n)}
        for s in ("replace", "accumulate")
    ]
    cfg = {"model": "linear-regression", "dim": size["d"], "design": "fixed", "seed": SEED}
    loops = run(
        RunConfig.from_dict(
            {**cfg, "generations": size["generations"], "replicates": reps, "settings": fixed}
        )
    )
    return across, loops


def _law_figure(size: dict, dims: list[int], across, loops) -> plt.Figure:
    n = size["n"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4.2))
    ratios = np.array(dims) / n
    fine = np.arange(dims[0], dims[-1] + 1) / n  # whole numbers of features
    for k, (method, color) in enumerate((("mle", "C0"), ("unbiased", "C1"))):
        means, halves = zip(
            *(mean_se(ds["excess_risk"].isel(setting=k, generation=-1)) for ds in across),
            strict=True,
        )
        left.errorbar(ratios, means, yerr=2 * np.array(halves), fmt="o", color=color, label=method)
        law = [
            least_squares_replace(np.ones(round(r * n)), 1.0, np.full(11, n), ddof=k)[
                "excess_risk"
            ][-1]
            for r in fine
        ]
        left.plot(fine, law, "--", color=color, lw=1)
    left.set_xlabel("d / n")
    left.set_ylabel("excess risk at T = 10")
    left.set_title(f"replace loop, n = {n}: the law dashed", fontsize=10)
    left.legend(fontsize=8)
    gen = loops["generation"].values
    d = loops.sizes["feature"]
    for k, (scheme, color) in enumerate((("replace", "C3"), ("accumulate", "C2"))):
        values = loops["excess_risk"].isel(setting=k)
        mean, sd = (
            values.mean("replicate"),
            values.std("replicate") / np.sqrt(values.sizes["replicate"]),
        )
        right.plot(gen, mean, color=color, label=f"{scheme} (unbiased)")
        right.fill_between(gen, mean - 2 * sd, mean + 2 * sd, color=color, alpha=0.2, lw=0)
    replace = least_squares_replace(np.ones(d), 1.0, np.full(gen.size, n), ddof=1)["excess_risk"]
    accumulate = least_squares_accumulate_fixed(d, 1.0, n, gen.size - 1, ddof=1)["excess_risk"]
    right.plot(gen, replace, "--", color="C3", lw=1)
    right.plot(gen, accumulate, "--", color="C2", lw=1)
    right.axhline(np.pi**2 / 6 * accumulate[0], color="k", ls=":", lw=1, label="pi^2/6 x first")
    right.set_xlabel("generation")
    right.set_title(f"fixed design, d = {d}, n = {n}: laws dashed", fontsize=10)
    right.legend(fontsize=8)
    fig.tight_layout()
    return fig


def study(quick: bool = False, figures: Path | None = None) -> Study:
    """Run the regression regimes and the law checks; return figures and numbers."""
    size = (
        dict(d=10, n=100, generations=6, cheap=60, pymc=4)
        if quick
        else dict(d=10, n=100, generations=20, cheap=200, pymc=16)
    )
    dims = [2, 5, 10, 20, 40]
    cheap = _config(size, ["mle", "unbiased", "conjugate"], size["cheap"])
    sampled = _config(size, ["pymc"], size["pymc"])
    with progress_bar(cells(cheap) + cells(sampled)) as advance:
        ds = run(cheap, progress=advance)
        ds_pymc = run(sampled, progress=advance)
    across, loops = _laws(size, dims)
    suffix = "_quick" if quick else ""
    save_results(ds, RESULTS / f"regression{suffix}.nc", overwrite=True)
    save_results(ds_pymc, RESULTS / f"regression_pymc{suffix}.nc", overwrite=True)
    folder = figures or HERE / "figures"
    both = concat_runs(ds, ds_pymc)
    main = save_figure(plot_error(both), folder, "regression.png")
    laws = save_figure(_law_figure(size, dims, across, loops), folder, "regression_laws.png")

    numbers = []
    last = int(ds["generation"][-1])
    curves = expected_curves(ds)["excess_risk"]
    for setting in ds["setting"].values:
        theory = float(curves.sel(setting=setting, generation=last))
        if np.isfinite(theory):
            value, se = mean_se(ds["excess_risk"].sel(setting=setting, generation=last))
            numbers.append(
                Number(
                    f"{setting}: excess risk at T = {last}", value, theory=theory, se=se, bound=Z
                )
            )
    fixed_curves = expected_curves(loops)["excess_risk"]
    for setting in loops["setting"].values:
        value, se = mean_se(loops["excess_risk"].sel(setting=setting).isel(generation=-1))
        theory = float(fixed_curves.sel(setting=setting).isel(generation=-1))
        numbers.append(
            Number(
                f"fixed design, {setting}: excess risk at T = {last}",
                value,
                theory=theory,
                se=se,
                bound=Z,
            )
        )
    cover = ds["w_covered"].sel(setting=[s for s in ds["setting"].values if "conjugate" in str(s)])
    findings = [
        "The conjugate posterior's 94 % HDIs hold "
        + ", ".join(
            f"{float(cover.isel(setting=i, generation=0).mean()):.0%} -> "
            f"{float(cover.isel(setting=i, generation=-1).mean()):.0%} ({str(s).split(' ')[0]})"
            for i, s in enumerate(cover["setting"].values)
        )
        + f" of w*'s coordinates from generation 0 to {last}: the posterior contracts on "
        "synthetic labels as if they were real.",
        f"PyMC: {int(ds_pymc['divergences'].sum())} divergences, largest R-hat "
        f"{float(ds_pymc['r_hat_max'].max()):.3f}.",
    ]
    return Study(
        key="regression",
        title="9. Linear regression: test error, coverage of w* and the laws of the loop",
        caption=(
            "Top: excess risk (w_t - w*)' Sigma (w_t - w*) against generation per regime, "
            "least squares' exact expectation dashed; bottom: share of w*'s coordinates in "
            "the 94 % HDIs. Second figure: the replace loop's excess risk at T = 10 against "
            "d / n, and replace against accumulate on a fixed design, laws dashed."
        ),
        figures=[main, laws],
        params={
            "d": size["d"],
            "n": size["n"],
            "truth": "random:0:1 (w* ~ N(0, I/d), sigma* = 1)",
            "generations": size["generations"],
            "replicates": f"{size['cheap']} (PyMC {size['pymc']})",
            "regimes": "; ".join(r["name"] for r in REGIMES),
        },
        seed=SEED,
        numbers=numbers,
        findings=findings,
    )


if __name__ == "__main__":
    study_main(study)
