"""The paper's three regimes at K = 50 tokens, fitted by MLE, conjugate Bayes and PyMC.

Collapse (pure synthetic), stability (constant alpha = 0.1) and recovery (alpha_t = 0.5
t^-0.5 with n_t = 1000 t^1.5), 30 generations, 8 replicates. Writes the results to
results/k50_regimes.nc and the figure to analyses/figures/k50_regimes.png, and prints the
sampler diagnostics of the PyMC fits (every fit should have 0 divergences).
"""

from pathlib import Path

from bayescollapse import RunConfig, run, save_results
from bayescollapse.config import cross_settings
from bayescollapse.plots import plot_error
from bayescollapse.progress import cells, progress_bar

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


def main():
    config = RunConfig(
        settings=cross_settings(REGIMES, METHODS),
        num_tokens=50,
        truth="zipf:1.1",
        generations=30,
        replicates=8,
        seed=50,
    )
    with progress_bar(cells(config)) as advance:
        ds = run(config, progress=advance)
    save_results(ds, RESULTS, overwrite=True)
    FIGURE.parent.mkdir(parents=True, exist_ok=True)
    plot_error(ds).savefig(FIGURE, dpi=120)
    pymc = ds.sel(setting=ds["fit_method"] == "pymc")
    print(
        f"pymc sampler runs: {pymc['divergences'].size} (setting, block, generation), "
        f"divergences {int(pymc['divergences'].sum())}, "
        f"max R-hat {float(pymc['r_hat_max'].max()):.3f}, "
        f"min bulk ESS {float(pymc['ess_bulk_min'].min()):.0f}"
    )
    print(RESULTS)
    print(FIGURE)


if __name__ == "__main__":
    main()
