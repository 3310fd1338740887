"""Study 5b: why the hierarchical Markov fit drifted toward its shared base row.

The hierarchical model (``pymc-hierarchical``) gives every context's row a Dirichlet prior
``kappa m`` with a learned base row ``m`` and pooling strength ``kappa``. Its rows drifted
toward ``m`` where the conjugate fit (independent rows, fixed prior) recovered. The cause
was a defect: the rows were observed through the Poisson form of the likelihood, exact
for the rows at a fixed concentration but, with ``kappa`` learned, it makes each row's
total count ``~ Poisson(sum_k g_k)``, ``sum_k g_k ~ Gamma(kappa)``: ``kappa`` was pulled to
about the counts per row whatever the rows' spread, so the pooling grew with n. The
model now integrates the rows out (the Dirichlet-multinomial likelihood of every row,
whose kernel in the rows is the multinomial one). This study runs both, the earlier form registered
here as ``pymc-hierarchical-poisson``, in a control with real data only (alpha = 1,
n_t = 50 t^1.5), at alpha = 0.1 (n = 50) and under recovery (alpha_t = 0.5 t^-0.5,
n_t = 50 t^1.5), with the conjugate fit on the same real data beside them. V = 10, order 1,
sequences of 20 tokens, truth rows Zipf(1) over random permutations (rows far apart).
"""

import functools
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from bayescollapse import RunConfig, Setting, run, run_tree
from bayescollapse.io.posteriors import posterior_node
from bayescollapse.models import register_pymc_model
from bayescollapse.models.markov.pymc_models import build_rows_model
from bayescollapse.present.report import Number, Study, mean_se, save_figure, study_main

HERE = Path(__file__).parent
FULL = dict(generations=24, replicates=8, every=4, draws=500)
QUICK = dict(generations=4, replicates=2, every=2, draws=200)
SEED = 12
REGIMES = {
    "real only": {"real_fraction": "1", "sample_size": "power:50:1.5"},
    "alpha=0.1": {"real_fraction": "0.1", "sample_size": "50"},
    "recovery": {"real_fraction": "power:0.5:-0.5", "sample_size": "power:50:1.5"},
}
FITS = {"pymc-hierarchical": "-", "pymc-hierarchical-poisson": ":", "conjugate": "--"}
COMMON = dict(model="markov", truth="zipf-rows:1:0", num_tokens=10, order=1, seed=SEED)
TRANSITIONS_PER_ROW = 19 / 10  # a sequence of 20 tokens has 19 transitions over 10 contexts


register_pymc_model(
    "markov",
    "pymc-hierarchical-poisson",
    functools.partial(build_rows_model, learned=False),  # the Poisson form
    description="the hierarchical model with the Poisson form of the likelihood (study 5b)",
    replace=True,
)


def _spread(rows: np.ndarray, base: np.ndarray) -> np.ndarray:
    """Mean TV distance of the rows (..., C, V) from a base row (..., V)."""
    return 0.5 * np.abs(rows - base[..., None, :]).sum(axis=-1).mean(axis=-1)


def _settings(methods) -> tuple:
    return tuple(
        Setting(name=f"{regime}: {method}", group=regime, method=method, **fields)
        for regime, fields in REGIMES.items()
        for method in methods
    )


def _kappa_and_spread(tree, setting: str, kept: list[int]) -> tuple[np.ndarray, np.ndarray]:
    """Posterior mean log kappa and row spread around m, shape (kept, R) each."""
    log_kappa, spread = [], []
    for t in kept:
        post = posterior_node(tree, setting, t)["posterior"].mean(("chain", "draw"))
        log_kappa.append(post["log_kappa"].values)
        spread.append(_spread(post["theta"].values, post["m"].values))
    return np.array(log_kappa), np.array(spread)


def study(quick: bool = False, figures: Path | None = None) -> Study:
    """Follow kappa and the rows' spread of both forms; return the figure and numbers."""
    size = QUICK if quick else FULL
    common = dict(**COMMON, generations=size["generations"], replicates=size["replicates"])
    hierarchical = [f for f in FITS if f != "conjugate"]
    tree = run_tree(
        RunConfig(
            settings=_settings(hierarchical),
            keep_posteriors=f"every:{size['every']}",
            draws=size["draws"],
            tune=500,
            **common,
        )
    )
    ds = {
        "hier": tree["results"].to_dataset(),
        "conj": run(RunConfig(settings=_settings(["conjugate"]), **common)),
    }
    truth = ds["hier"]["truth"].values
    truth_spread = float(_spread(truth, truth.mean(axis=0)))
    kept = list(range(0, size["generations"] + 1, size["every"]))
    gens = np.arange(size["generations"] + 1)

    fig, axes = plt.subplots(1, 3, figsize=(14.5, 4.6))
    numbers, verdict = [], {}
    for i, regime in enumerate(REGIMES):
        color = f"C{i}"
        per_row = ds["hier"]["sample_size"].sel(setting=f"{regime}: pymc-hierarchical").values
        axes[0].plot(gens, np.log(per_row * TRANSITIONS_PER_ROW), color=color, lw=0.8, alpha=0.5)
        for method in hierarchical:
            name = f"{regime}: {method}"
            log_kappa, spread = _kappa_and_spread(tree, name, kept)
            style = FITS[method]
            axes[0].plot(kept, log_kappa.mean(axis=1), style, marker="o", color=color)
            axes[1].plot(kept, spread.mean(axis=1), style, marker="o", color=color)
            value, se = mean_se(log_kappa[-1] - log_kappa[0])  # first kept to last
            verdict[(regime, method)] = (value, se)
            numbers.append(
                Number(f"{name}: change of log kappa, generation 0 to {kept[-1]}", value, se=se)
            )
            first, first_se = mean_se(log_kappa[0])
            numbers.append(Number(f"{name}: log kappa at generation 0", first, se=first_se))
        conj = ds["conj"]["theta_mean"].sel(setting=f"{regime}: conjugate").values
        axes[1].plot(gens, _spread(conj, conj.mean(axis=-2)).mean(axis=0), "--", color=color)
        for method, style in FITS.items():
            source = ds["conj"] if method == "conjugate" else ds["hier"]
            tv = source["tv_rate"].sel(setting=f"{regime}: {method}")
            axes[2].plot(gens, tv.mean("replicate"), style, color=color)
            value, se = mean_se(tv.isel(generation=-1))
            numbers.append(
                Number(f"{regime}: {method}, TV rate at the last generation", value, se=se)
            )
    axes[1].axhline(truth_spread, color="k", ls=":", lw=1)
    axes[0].set(
        xlabel="generation",
        ylabel="posterior mean of log kappa",
        title="learned pooling (thin: log of counts per row)",
    )
    axes[1].set(
        xlabel="generation",
        ylabel="mean TV of rows from the base row",
        title="rows' spread (black dotted: the truth's)",
    )
    axes[2].set(
        xlabel="generation",
        ylabel="stationary-weighted TV to the truth",
        title="error",
        yscale="log",
    )
    for ax in axes:
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    for i, regime in enumerate(REGIMES):
        axes[2].plot([], [], color=f"C{i}", label=regime)
    for method, style in FITS.items():
        axes[2].plot([], [], style, color="grey", label=method)
    axes[2].legend(fontsize=8)
    fig.tight_layout()
    figure = save_figure(fig, figures or HERE / "figures", "hierarchical_pooling.png")
    return Study(
        key="hierarchical_pooling",
        title="5b. Why the hierarchical Markov fit drifted toward its base row (a defect, fixed)",
        caption=(
            "Both forms of the hierarchical model (solid: rows integrated out, now used; "
            "dotted: the Poisson form it had) and the conjugate fit (dashed), per regime "
            "(colour). Left: the learned log kappa at kept generations; the Poisson form's "
            "follows the log of the counts per row (thin lines). Middle: the fitted rows' "
            "spread around the base row against the truth's. Right: the error."
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
        findings=_findings(verdict, ds, truth_spread),
    )


def _findings(verdict: dict, ds: dict, truth_spread: float) -> list[str]:
    """Say what the numbers show (changes held to z = 3)."""
    lines = []
    for (regime, method), (value, se) in verdict.items():
        lines.append(f"{regime}, {method}: log kappa {value:+.2f} +- {se:.2f} over the run")
    control = verdict[("real only", "pymc-hierarchical-poisson")]
    if control[0] > 3 * control[1]:
        lines.append(
            "The defect: with real data only, the Poisson form's kappa still grows with n "
            "(it tracks the counts per row), so its rows are pulled ever closer to m; the "
            "fitted rows' spread falls below the truth's although every datum is real."
        )
    fixed = {r: verdict[(r, "pymc-hierarchical")] for r in REGIMES}
    steady = abs(fixed["real only"][0]) < 3 * fixed["real only"][1]
    drift = [r for r in ("alpha=0.1", "recovery") if fixed[r][0] > 3 * fixed[r][1]]
    if steady and drift:
        lines.append(
            "After the fix kappa is steady on real data, and still grows under "
            f"{' and '.join(drift)}: each fit learns its pooling from data the previous fit "
            "wrote from rows already pulled toward m, which vary less between contexts than "
            "the truth, so the pooling feeds on itself. That residual drift is the loop's, "
            "a true behaviour of a learned pooling refitted on its own output."
        )
    elif steady:
        lines.append("After the fix kappa is steady in every regime within z = 3.")
    else:
        lines.append("After the fix kappa still moves on real data alone (z > 3): not settled.")
    return lines


if __name__ == "__main__":
    study_main(study)
