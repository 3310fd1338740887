"""Study 5b: why the hierarchical Markov fit drifts toward its shared base row.

The hierarchical model (``pymc-hierarchical``) gives every context's row a Dirichlet prior
``kappa m`` with a learned base row ``m`` and pooling strength ``kappa``. Under the loop
its rows drift toward ``m`` even where the conjugate fit (independent rows, fixed prior)
recovers. This study follows ``kappa`` and the spread of the rows around the base across
generations, in a control where every generation sees real data only (alpha = 1, with
the growing n_t = 50 t^1.5 of the recovery regime), at a constant alpha = 0.1 (n = 50),
and under recovery (alpha_t = 0.5 t^-0.5, n_t = 50 t^1.5), with the
conjugate fit on the same real data beside it. V = 10, order 1, sequences of 20 tokens,
truth rows Zipf(1) over random permutations (rows far apart: pooling them costs).
"""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from bayescollapse import RunConfig, Setting, run, run_tree
from bayescollapse.posteriors import posterior_node
from bayescollapse.report import Number, Study, mean_se, save_figure, study_main

HERE = Path(__file__).parent
FULL = dict(generations=24, replicates=8, every=4, draws=500)
QUICK = dict(generations=4, replicates=2, every=2, draws=200)
SEED = 12
REGIMES = {
    "real only (alpha=1)": {"real_fraction": "1", "sample_size": "power:50:1.5"},
    "stability (alpha=0.1)": {"real_fraction": "0.1", "sample_size": "50"},
    "recovery": {"real_fraction": "power:0.5:-0.5", "sample_size": "power:50:1.5"},
}
COMMON = dict(model="markov", truth="zipf-rows:1:0", num_tokens=10, order=1, seed=SEED)


def _settings(method: str) -> tuple:
    return tuple(
        Setting(name=f"{regime}: {method}", group=regime, method=method, **fields)
        for regime, fields in REGIMES.items()
    )


def _spread(rows: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Mean TV distance of the rows (..., C, V) from a base row (..., V)."""
    return 0.5 * np.abs(rows - base[..., None, :]).sum(axis=-1).mean(axis=-1)


def _verdict(numbers: list[Number]) -> list[str]:
    """Say what the kappa changes show, from the numbers themselves (z = 3)."""
    change = {n.label.split(":")[0]: n for n in numbers if "log kappa" in n.label}
    z = {k: n.value / n.se if n.se else float("nan") for k, n in change.items()}
    control, looped = "real only (alpha=1)", [k for k in change if k != "real only (alpha=1)"]
    lines = [
        f"{k}: log kappa {n.value:+.2f} +- {n.se:.2f} (z = {z[k]:.1f})" for k, n in change.items()
    ]
    if abs(z[control]) < 3 and all(z[k] > 3 for k in looped):
        lines.append(
            "Mechanism: each generation's hierarchical fit learns kappa from its training "
            "data, which (beyond the real share) the previous fit wrote from rows already "
            "pulled toward m. Those data vary less between contexts than the truth, so the "
            "next fit learns a larger kappa and pulls harder: the pooling feeds on itself. "
            "With real data only kappa stays where generation 0 put it, so the model is not "
            "at fault: the drift is what a learned pooling does when refitted on its own "
            "output, a true behaviour of the loop rather than a defect."
        )
    else:
        lines.append(
            "The kappa changes do not separate the real-only control from the loops at z = 3 "
            "here; the drift's cause is not settled by this run."
        )
    return lines


def study(quick: bool = False, figures: Path | None = None) -> Study:
    """Follow kappa and the row spread across generations; return the figure and numbers."""
    size = QUICK if quick else FULL
    common = dict(**COMMON, generations=size["generations"], replicates=size["replicates"])
    tree = run_tree(
        RunConfig(
            settings=_settings("pymc-hierarchical"),
            keep_posteriors=f"every:{size['every']}",
            draws=size["draws"],
            tune=500,
            **common,
        )
    )
    hier = tree["results"].to_dataset()
    conj = run(RunConfig(settings=_settings("conjugate"), **common))
    truth = hier["truth"].values  # (C, V)
    truth_spread = float(_spread(truth, truth.mean(axis=0)))
    kept = list(range(0, size["generations"] + 1, size["every"]))

    fig, axes = plt.subplots(1, 3, figsize=(14, 4.2))
    numbers, findings = [], []
    for i, regime in enumerate(REGIMES):
        color = f"C{i}"
        log_kappa, spread_h = [], []
        for t in kept:
            post = posterior_node(tree, f"{regime}: pymc-hierarchical", t)["posterior"]
            log_kappa.append(np.log(post["kappa"]).mean(("chain", "draw")).values)  # (R,)
            theta = post["theta"].mean(("chain", "draw")).values  # (R, C, V)
            base = post["m"].mean(("chain", "draw")).values  # (R, V)
            spread_h.append(_spread(theta, base))
        log_kappa, spread_h = np.array(log_kappa), np.array(spread_h)  # (T', R)
        axes[0].plot(kept, log_kappa.mean(axis=1), "o-", color=color, label=regime)
        axes[1].plot(kept, spread_h.mean(axis=1), "o-", color=color, label=f"{regime}, hier.")
        conj_theta = conj["theta_mean"].sel(setting=f"{regime}: conjugate").values
        conj_spread = _spread(conj_theta, conj_theta.mean(axis=-2))  # (R, T+1)
        axes[1].plot(conj["generation"], conj_spread.mean(axis=0), ls="--", color=color)
        for name, ds in (("pymc-hierarchical", hier), ("conjugate", conj)):
            tv = ds["tv_rate"].sel(setting=f"{regime}: {name}")
            axes[2].plot(
                ds["generation"],
                tv.mean("replicate"),
                color=color,
                ls="-" if name == "pymc-hierarchical" else "--",
            )
        growth = log_kappa[-1] - log_kappa[0]
        value, se = float(growth.mean()), float(growth.std(ddof=1) / np.sqrt(growth.size))
        numbers.append(
            Number(f"{regime}: change of log kappa, generation 0 to {kept[-1]}", value, se=se)
        )
        ratio = spread_h[-1] / spread_h[0]
        numbers.append(
            Number(
                f"{regime}: hierarchical row spread, generation {kept[-1]} over generation 0",
                float(ratio.mean()),
                se=float(ratio.std(ddof=1) / np.sqrt(ratio.size)),
            )
        )
        for name, ds in (("pymc-hierarchical", hier), ("conjugate", conj)):
            tv = ds["tv_rate"].sel(setting=f"{regime}: {name}").isel(generation=-1)
            value, se = mean_se(tv)
            numbers.append(Number(f"{regime}: {name} TV rate at the last generation", value, se=se))
    axes[1].axhline(truth_spread, color="k", ls=":", label="truth's rows around their mean")
    axes[0].set(
        xlabel="generation",
        ylabel="posterior mean of log kappa",
        title="pooling strength learned by the hierarchical fit",
    )
    axes[1].set(
        xlabel="generation",
        ylabel="mean TV of rows from the base row",
        title="row spread (solid: hierarchical, dashed: conjugate)",
    )
    axes[2].set(
        xlabel="generation",
        ylabel="stationary-weighted TV to the truth",
        title="error (solid: hierarchical, dashed: conjugate)",
        yscale="log",
    )
    axes[0].legend(fontsize=8)
    axes[1].legend(fontsize=7)
    fig.tight_layout()
    figure = save_figure(fig, figures or HERE / "figures", "hierarchical_pooling.png")
    findings += _verdict(numbers)
    return Study(
        key="hierarchical_pooling",
        title="5b. Why the hierarchical Markov fit drifts toward its base row",
        caption=(
            "Left: the pooling strength log kappa learned at kept generations (mean over "
            "replicates). Middle: how far the fitted rows lie from the base row (solid: "
            "hierarchical, around its learned m; dashed: conjugate, around its rows' mean; "
            "dotted: the truth). Right: the error of both fits."
        ),
        figures=[figure],
        params={
            "V": 10,
            "order": 1,
            "truth": COMMON["truth"],
            **size,
            "regimes": "; ".join(f"{k}: {v}" for k, v in REGIMES.items()),
        },
        seed=SEED,
        numbers=numbers,
        findings=findings,
    )


if __name__ == "__main__":
    study_main(study)
