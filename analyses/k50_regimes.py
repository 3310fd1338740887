"""The paper's three regimes at K = 50 tokens, fitted by MLE, conjugate Bayes and PyMC.

Collapse (pure synthetic), stability (constant alpha = 0.1) and recovery (alpha_t = 0.5
t^-0.5 with n_t = 1000 t^1.5), 30 generations, 8 replicates. Writes the results to
results/k50_regimes.nc and the figure to analyses/figures/k50_regimes.png, and prints the
sampler diagnostics of the PyMC fits (every fit should have 0 divergences).
"""

from pathlib import Path

import numpy as np

from bayescollapse import RunConfig, run, save_results
from bayescollapse.engine.config import cross_settings
from bayescollapse.engine.progress import cells, progress_bar
from bayescollapse.present.curves import expected_curves
from bayescollapse.present.plots import plot_error
from bayescollapse.present.report import Number, Study, mean_se, save_figure, study_main

HERE = Path(__file__).parent
RESULTS = HERE.parent / "results" / "k50_regimes.nc"
FIGURE = HERE / "figures" / "k50_regimes.png"
REGIMES = [
    {
        "name": "collapse: replace, n=1000",
        "scheme": "replace",
        "real_fraction": "zero",
        "sample_size": "1000",
    },
    {"name": "stability: alpha=0.1, n=1000", "real_fraction": "0.1", "sample_size": "1000"},
    {
        "name": "recovery: alpha=0.5 t^-0.5, n=1000 t^1.5",
        "real_fraction": "power:0.5:-0.5",
        "sample_size": "power:1000:1.5",
    },
]
METHODS = {"method": ["mle", "conjugate", "pymc"], "synthetic": ["ancestral"]}


def study(quick: bool = False, figures: Path | None = None) -> Study:
    """Run the three regimes with the three fits; return the figure and the curve checks."""
    config = RunConfig(
        settings=cross_settings(REGIMES, METHODS),
        num_tokens=50,
        truth="zipf:1.1",
        generations=6 if quick else 30,
        replicates=4 if quick else 8,
        seed=50,
    )
    with progress_bar(cells(config)) as advance:
        ds = run(config, progress=advance)
    save_results(
        ds, RESULTS.with_name(f"k50_regimes{'_quick' if quick else ''}.nc"), overwrite=True
    )
    figure = save_figure(plot_error(ds), figures or FIGURE.parent, FIGURE.name)
    pymc = ds.sel(setting=ds["fit_method"] == "pymc")
    curves = expected_curves(ds)["sq_l2_to_truth"]
    last = int(ds["generation"][-1])
    numbers = []
    for setting in ds["setting"].values:
        value, se = mean_se(ds["sq_l2_to_truth"].sel(setting=setting, generation=last))
        theory = float(curves.sel(setting=setting, generation=last))
        numbers.append(
            Number(
                f"{setting}: E||P_T - P*||^2, T = {last}",
                value,
                theory=None if np.isnan(theory) else theory,
                se=se,
                # 8 replicates: a z-score, but no tolerance (study 1 holds the curves at 100)
            )
        )
    return Study(
        key="k50_regimes",
        title="B. Appendix: the three regimes at K = 50 with all three fits, 30 generations",
        caption=(
            "Mean squared error against the truth per regime (top; exact curves as wide pale "
            "lines) and "
            "coverage of the true probabilities by the 94 % HDIs (bottom), 8 replicates."
        ),
        figures=[figure],
        params={
            "K": 50,
            "truth": "zipf:1.1",
            "generations": config.generations,
            "replicates": config.replicates,
            "regimes": "; ".join(r["name"] for r in REGIMES),
        },
        seed=50,
        numbers=numbers,
        findings=[
            f"PyMC: {int(pymc['divergences'].sum())} divergences in "
            f"{pymc['divergences'].size} sampler runs, largest R-hat "
            f"{float(pymc['r_hat_max'].max()):.3f}, smallest bulk ESS "
            f"{float(pymc['ess_bulk_min'].min()):.0f}."
        ],
    )


if __name__ == "__main__":
    study_main(study)
