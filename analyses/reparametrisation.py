"""Why the PyMC path uses a Gamma-Poisson Dirichlet: divergences on collapsed counts.

Collapse leaves many tokens with zero counts. This script fits the same collapsed count
vectors (K = 50, 30 tokens at zero) with the textbook ``pm.Dirichlet`` + Multinomial model
and with the model of ``bayescollapse.models.categorical_pymc`` (boosted Gamma, Poisson
likelihood), both compiled once with nutpie, and compares each with the exact conjugate
posterior Dirichlet(a0 + c). Writes analyses/figures/reparametrisation.png.
"""

from pathlib import Path

import arviz as az
import matplotlib.pyplot as plt
import numpy as np
import nutpie
import pymc as pm
from scipy import stats

from bayescollapse.models.categorical import DirichletCategorical
from bayescollapse.models.categorical_pymc import build_model
from bayescollapse.models.registry import make_fitter

K, ZEROS, N, REPLICATES = 50, 30, 1000, 4
PRIORS = (0.1, 0.5, 1.0)
SEEDS = (1, 2, 3)
DRAWS = TUNE = 500
OUT = Path(__file__).parent / "figures" / "reparametrisation.png"


def collapsed_counts(rng):
    weights = np.zeros(K)
    weights[: K - ZEROS] = 1 / np.arange(1, K - ZEROS + 1)  # Zipf over the surviving tokens
    return rng.multinomial(N, weights / weights.sum(), size=REPLICATES)


def textbook_model():
    coords = {"replicate": np.arange(REPLICATES), "token": np.arange(K)}
    with pm.Model(coords=coords) as model:
        counts = pm.Data(
            "counts", np.ones((REPLICATES, K), dtype=np.int64), dims=("replicate", "token")
        )
        prior = pm.Data("prior", np.ones((REPLICATES, K)), dims=("replicate", "token"))
        theta = pm.Dirichlet("theta", a=prior, dims=("replicate", "token"))
        pm.Multinomial(
            "obs", n=counts.sum(axis=-1), p=theta, observed=counts, dims=("replicate", "token")
        )
    return model


def main():
    compiled = {
        "pm.Dirichlet + Multinomial": nutpie.compile_pymc_model(
            textbook_model(), freeze_model=False
        ),
        "boosted Gamma + Poisson (ours)": nutpie.compile_pymc_model(
            build_model(DirichletCategorical(K), REPLICATES), freeze_model=False
        ),
    }
    rows = []
    for a0 in PRIORS:
        for seed in SEEDS:
            rng = np.random.default_rng(seed)
            counts = collapsed_counts(rng)
            prior = np.full((REPLICATES, K), a0)
            fam = DirichletCategorical(K, prior_concentration=a0)
            exact = make_fitter(fam, "conjugate", REPLICATES).fit(counts, prior=prior, rng=rng)
            for name, cm in compiled.items():
                tree = nutpie.sample(
                    cm.with_data(counts=counts, prior=prior),
                    draws=DRAWS,
                    tune=TUNE,
                    chains=2,
                    seed=seed,
                    progress_bar=False,
                    save_warmup=False,
                )
                theta = tree["posterior"]["theta"]
                z = (
                    np.abs(theta.mean(("chain", "draw")).values - exact.mean)
                    / az.mcse(theta).values
                )
                rows.append(
                    (
                        name,
                        a0,
                        seed,
                        int(tree["sample_stats"]["diverging"].sum()),
                        float(az.rhat(theta).max()),
                        float(az.ess(theta, method="bulk").min()),
                        float(np.nanmax(z)),
                    )
                )
    print(
        f"{'model':32s} {'a0':>4s} {'seed':>4s} {'diverg':>7s} {'max Rhat':>8s} "
        f"{'min ESS':>8s} {'max |z|':>8s}"
    )
    for r in rows:
        print(f"{r[0]:32s} {r[1]:4.1f} {r[2]:4d} {r[3]:7d} {r[4]:8.3f} {r[5]:8.0f} {r[6]:8.2f}")

    panels = [
        (3, "divergent transitions (2 x 500 draws)"),
        (5, "min bulk ESS over tokens"),
        (6, f"max over {REPLICATES * K} tokens of |mean - exact| / MCSE"),
    ]
    fig, axes = plt.subplots(1, len(panels), figsize=(14, 3.8))
    labels = [f"a0={r[1]}\nseed {r[2]}" for r in rows if r[0] == next(iter(compiled))]
    for i, name in enumerate(compiled):
        mine = [r for r in rows if r[0] == name]
        x = np.arange(len(mine)) + 0.2 * (2 * i - 1)
        for ax, (column, _) in zip(axes, panels, strict=True):
            ax.bar(x, [r[column] for r in mine], width=0.4, label=name)
    for ax, (_, title) in zip(axes, panels, strict=True):
        ax.set_xticks(np.arange(len(labels)), labels, fontsize=7)
        ax.set_title(title, fontsize=10)
        ax.grid(axis="y", alpha=0.3)
    bonferroni = stats.norm.isf(1e-3 / (2 * REPLICATES * K))  # two-sided, family p = 1e-3
    axes[2].axhline(
        bonferroni, color="k", ls=":", lw=1, label=f"z = {bonferroni:.2f} (family p 1e-3)"
    )
    axes[0].legend(fontsize=8)
    axes[2].legend(fontsize=8, loc="lower right")
    fig.suptitle(
        f"NUTS on collapsed counts: K={K}, {ZEROS} tokens at zero, n={N}, "
        f"{REPLICATES} replicates per fit"
    )
    fig.tight_layout()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(OUT, dpi=120)
    print(OUT)


if __name__ == "__main__":
    main()
