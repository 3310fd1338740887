"""The n-gram next-token model in the three regimes: KL rate against generation.

Order-1 chain over V = 10 tokens (each row Zipf(1) over a random permutation), training
sets of n_t sequences of 20 tokens. Regimes: pure synthetic (n = 50 sequences), constant
alpha = 0.1, and alpha_t = 0.5 t^-0.5 with n_t = 50 t^1.5. Fits: MLE and conjugate
(100 replicates) and the hierarchical PyMC model (8 replicates), 25 generations.
Writes results/markov_regimes.nc and two figures: the KL rate of the Bayesian fits (the
MLE's is infinite once a true transition is lost) and the stationary-weighted TV of all.
"""

from pathlib import Path

from bayescollapse import RunConfig, run, save_results
from bayescollapse.config import cross_settings
from bayescollapse.plots import plot_error
from bayescollapse.progress import cells, progress_bar
from bayescollapse.results import concat_runs

HERE = Path(__file__).parent
RESULTS = HERE.parent / "results" / "markov_regimes.nc"
REGIMES = [
    {
        "name": "collapse: replace, n=50 seqs",
        "scheme": "replace",
        "real_fraction": "zero",
        "sample_size": "50",
    },
    {"name": "stability: alpha=0.1, n=50 seqs", "real_fraction": "0.1", "sample_size": "50"},
    {
        "name": "recovery: alpha=0.5 t^-0.5, n=50 t^1.5",
        "real_fraction": "power:0.5:-0.5",
        "sample_size": "power:50:1.5",
    },
]
COMMON = dict(
    model="markov",
    truth="zipf-rows:1:0",
    num_tokens=10,
    order=1,
    sequence_length=20,
    generations=25,
    seed=11,
)


def main():
    cheap = RunConfig(
        replicates=100,
        settings=cross_settings(
            REGIMES, {"method": ["mle", "conjugate"], "synthetic": ["ancestral"]}
        ),
        **COMMON,
    )
    sampled = RunConfig(
        replicates=8,
        settings=cross_settings(
            REGIMES, {"method": ["pymc-hierarchical"], "synthetic": ["ancestral"]}
        ),
        **COMMON,
    )
    with progress_bar(cells(cheap) + cells(sampled)) as advance:
        ds = run(cheap, progress=advance)
        ds_pymc = run(sampled, progress=advance)
    save_results(ds, RESULTS, overwrite=True)
    save_results(ds_pymc, RESULTS.with_name("markov_regimes_pymc.nc"), overwrite=True)
    both = concat_runs(ds, ds_pymc)
    bayes = both.sel(setting=both["bayesian"])
    for metric, data in (("kl_rate", bayes), ("tv_rate", both)):
        path = HERE / "figures" / f"markov_{metric}.png"
        plot_error(data, metric=metric).savefig(path, dpi=120)
        print(path)
    print(
        f"pymc-hierarchical: divergences {int(ds_pymc['divergences'].sum())}, "
        f"max R-hat {float(ds_pymc['r_hat_max'].max()):.3f}"
    )
    print(RESULTS)


if __name__ == "__main__":
    main()
