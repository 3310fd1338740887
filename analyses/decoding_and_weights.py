"""How synthetic data are written, weighted and kept: decoding, weighted refits, fixed pools.

Three studies, every comparison on common random numbers (settings that differ only in
decoding, weight or pool share all their random streams):

1. Decoding (categorical, K = 50, Zipf(1) truth, the paper's mixture alpha = 0.1, n = 1000,
   30 generations, 100 replicates; MLE and conjugate ancestral): plain sampling against
   temperature 0.8 and 1.2, top-k 25 and top-p 0.9. Panels: the surviving vocabulary and the
   true tail mass (ranks > 25) the model lost.
2. The weight of real data (Gaussian N(0, 1), alpha = 0.5, n = 100, 60 generations, 400
   replicates; MLE and conjugate ancestral): the long-run error of the mean (generations
   20-60) over a sweep of w, against the exact recursion of the weighted MLE loop and the
   closed-form optimum w* = 0.618; plain pooling is w = 0.5, real data alone w = 1.
3. Fixed real pools (categorical as in 1, alpha = 0.5, n = 100): fresh real data against a
   fixed corpus reused and resampled, MLE and conjugate.

Writes results/decoding_and_weights_*.nc and analyses/figures/decoding_and_weights.png,
and prints the numbers that matter. About half a minute (``--quick``: a fifth of the
replicates).
"""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from bayescollapse import RunConfig, Setting, run, save_results  # noqa: E402
from bayescollapse.engine.progress import cells, progress_bar  # noqa: E402
from bayescollapse.present.plots import replicate_band  # noqa: E402
from bayescollapse.present.report import Number, Study, mean_se, save_figure, smaller, study_main  # noqa: E402
from bayescollapse.theory.weighting import optimal_real_weight, weighted_gaussian_mle_error  # noqa: E402

HERE = Path(__file__).parent
RESULTS = HERE.parent / "results"
FIGURE = HERE / "figures" / "decoding_and_weights.png"
SEED = 2026
DECODINGS = {
    "plain": {},
    "T = 0.8": {"temperature": 0.8},
    "T = 1.2": {"temperature": 1.2},
    "top-k 25": {"top_k": 25},
    "top-p 0.9": {"top_p": 0.9},
}
FITS = {"MLE": {"method": "mle"}, "conjugate": {"method": "conjugate", "synthetic": "ancestral"}}
WEIGHTS = np.round(np.arange(0.40, 0.96, 0.05), 2)
GAUSS = {"alpha": 0.5, "n": 100, "generations": 60, "burn_in": 20}


def decoding_config() -> RunConfig:
    settings = tuple(
        Setting(real_fraction="0.1", sample_size="1000", group=fit, **FITS[fit], **rule)
        for fit in FITS
        for rule in DECODINGS.values()
    )
    return RunConfig(
        settings=settings,
        num_tokens=50,
        truth="zipf:1",
        tail_rank=25,
        generations=30,
        replicates=100,
        seed=SEED,
    )


def weight_config() -> RunConfig:
    settings = tuple(
        Setting(
            real_fraction=str(GAUSS["alpha"]),
            sample_size=str(GAUSS["n"]),
            real_weight=str(w),
            group=fit,
            **FITS[fit],
        )
        for fit in FITS
        for w in (*WEIGHTS, 1.0)
    )
    return RunConfig(
        settings=settings,
        model="gaussian",
        generations=GAUSS["generations"],
        replicates=400,
        seed=SEED,
    )


def pool_config() -> RunConfig:
    settings = tuple(
        Setting(real_fraction="0.5", sample_size="100", real_data=pool, group=fit, **FITS[fit])
        for fit in FITS
        for pool in ("fresh", "fixed", "resampled")
    )
    return RunConfig(
        settings=settings, num_tokens=50, truth="zipf:1", generations=30, replicates=100, seed=SEED
    )


def _line(ax, values, label, style):
    mean, band = replicate_band(values)
    gens = values["generation"].values
    (line,) = ax.plot(gens, mean, style, label=label, lw=1.4)
    ax.fill_between(gens, mean - band, mean + band, color=line.get_color(), alpha=0.15, lw=0)


def _decoding_panels(axes, ds):
    colours = ["k", "C0", "C1", "C2", "C3"]
    for ax, metric, title in zip(
        axes,
        ("surviving_tokens", "tail_mass_lost"),
        ("surviving vocabulary (of 50 tokens)", "true tail mass lost (ranks > 25)"),
        strict=True,
    ):
        for fit, dash in (("MLE", "-"), ("conjugate", "--")):
            sub = ds.where(ds["group"] == fit, drop=True)
            for i, (label, colour) in enumerate(zip(DECODINGS, colours, strict=True)):
                _line(ax, sub[metric].isel(setting=i), f"{fit}, {label}", colour + dash)
        ax.set_title(f"decoding, alpha = 0.1, n = 1000: {title}", fontsize=10)
        ax.set_xlabel("generation t")
    axes[0].set_ylabel("tokens")
    axes[1].set_ylabel("probability mass")
    axes[1].legend(
        fontsize=7,
        title="fit, decoding\n(solid: MLE,\ndashed: conjugate)",
        title_fontsize=7,
        loc="center left",
        bbox_to_anchor=(1.01, 0.5),
    )


def _weight_panel(ax, ds):
    burn = GAUSS["burn_in"]
    err = ds["mu_sq_error"].isel(generation=slice(burn, None)).mean("generation")
    n = GAUSS["n"]
    for fit, style in (("MLE", "o-"), ("conjugate", "s-")):
        sub = err.where(ds["group"] == fit, drop=True)
        weights = np.array([float(w) for w in sub["real_weight_schedule"].values])
        mean = n * sub.mean("replicate").values
        se = n * sub.std("replicate").values / np.sqrt(sub.sizes["replicate"])
        ax.errorbar(weights, mean, 2 * se, fmt=style, ms=3.5, lw=1.2, capsize=2, label=fit)
    grid = np.linspace(0.40, 1.0, 121)
    gens = GAUSS["generations"]
    alpha = np.r_[1.0, np.full(gens, GAUSS["alpha"])]
    sizes = np.full(gens + 1, n)
    exact = [
        n
        * weighted_gaussian_mle_error(1.0, alpha, sizes, np.full(gens + 1, w))["mean_sq_error"][
            burn:
        ].mean()
        for w in grid
    ]
    ax.plot(grid, exact, "k--", lw=1.2, label="MLE, exact recursion")
    w_star = optimal_real_weight(n * GAUSS["alpha"], n * (1 - GAUSS["alpha"]))[1]
    ax.axvline(w_star, color="0.5", lw=0.8, ls=":")
    ax.text(
        w_star + 0.005,
        0.97,
        f"w* = {w_star:.3f}",
        transform=ax.get_xaxis_transform(),
        fontsize=8,
        va="top",
    )
    ax.axvline(0.5, color="C3", lw=0.6, ls=":")
    ax.set_xlabel("weight w of the real items (0.5: plain pooling, 1: real data alone)")
    ax.set_ylabel("n x long-run E(mu_t - mu*)^2")
    ax.set_title("Gaussian mean: the weight of real data", fontsize=10)
    ax.legend(fontsize=8, loc="upper right")


def _pool_panel(ax, ds):
    styles = {"fresh": "-", "fixed": "--", "resampled": ":"}
    for fit, colour in (("MLE", "C0"), ("conjugate", "C1")):
        sub = ds.where(ds["group"] == fit, drop=True)
        for i, pool in enumerate(styles):
            _line(ax, sub["tv_to_truth"].isel(setting=i), f"{fit}, {pool}", colour + styles[pool])
    ax.set_title("real data: fresh draws, or one corpus again", fontsize=10)
    ax.set_xlabel("generation t")
    ax.set_ylabel("TV(P_t, P*)")
    ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5))


def study(quick: bool = False, figures: Path | None = None) -> Study:
    """Run study 7 (quick: a fifth of the replicates) and return its figure and numbers."""
    configs = {"decoding": decoding_config(), "weights": weight_config(), "pools": pool_config()}
    if quick:
        configs = {k: smaller(c, replicates=max(8, c.replicates // 5)) for k, c in configs.items()}
    suffix = "_quick" if quick else ""
    results = {}
    with progress_bar(sum(cells(c) for c in configs.values())) as advance:
        for name, config in configs.items():
            results[name] = run(config, progress=advance)
            save_results(
                results[name], RESULTS / f"decoding_and_weights_{name}{suffix}.nc", overwrite=True
            )
    fig, axes = plt.subplots(2, 2, figsize=(12, 8.5), layout="constrained")
    _decoding_panels(axes[0], results["decoding"])
    _weight_panel(axes[1, 0], results["weights"])
    _pool_panel(axes[1, 1], results["pools"])
    figure = save_figure(fig, figures or FIGURE.parent, FIGURE.name)
    numbers, findings = _numbers(results)
    return Study(
        key="decoding_and_weights",
        title="7. Decoding, weighted refits and reused real data",
        caption=(
            "Top: surviving tokens and tail mass lost under temperature, top-k and top-p "
            "decoding (alpha = 0.1, K = 50). Bottom left: the Gaussian loop's stationary "
            "mean error against the real-item weight w, the closed-form optimum marked. "
            "Bottom right: error with fresh, fixed and resampled real data."
        ),
        figures=[figure],
        params={
            "decoding": "K = 50, n = 1000, alpha = 0.1, 30 generations",
            "weights": f"Gaussian, alpha = {GAUSS['alpha']}, n = {GAUSS['n']}, "
            f"{GAUSS['generations']} generations (burn-in {GAUSS['burn_in']})",
            "pools": "K = 50, n = 100, alpha = 0.5, 30 generations",
            "replicates": ", ".join(f"{k} {c.replicates}" for k, c in configs.items()),
        },
        seed=SEED,
        numbers=numbers,
        findings=findings,
    )


def _numbers(results) -> tuple[list[Number], list[str]]:
    """The numbers behind the figure, and what they say."""
    numbers, findings = [], []
    ds = results["decoding"]
    last = ds.isel(generation=-1)
    for s in ds["setting"].values:
        row = last.sel(setting=s)
        label = str(row["fit_label"].values)
        value, se = mean_se(row["surviving_tokens"])
        numbers.append(Number(f"{label}: surviving tokens at generation 30", value, se=se))
    ws = results["weights"]
    err = ws["mu_sq_error"].isel(generation=slice(GAUSS["burn_in"], None)).mean("generation")
    n = GAUSS["n"]
    w_star = optimal_real_weight(n * GAUSS["alpha"], n * (1 - GAUSS["alpha"]))[1]
    for fit in FITS:
        sub = err.where(ws["group"] == fit, drop=True)
        weights = np.array([float(w) for w in sub["real_weight_schedule"].values])
        mean = sub.mean("replicate").values
        best = int(np.argmin(mean))
        plain = int(np.argmin(np.abs(weights - 0.5)))
        alone = int(np.argmin(np.abs(weights - 1.0)))
        numbers.append(
            Number(
                f"{fit}: best simulated real-item weight (grid step 0.05)",
                float(weights[best]),
                theory=float(w_star) if fit == "MLE" else None,
            )
        )
        paired = {
            k: (sub.isel(setting=i) - sub.isel(setting=best)).values
            for k, i in (("plain pooling", plain), ("real only", alone))
        }
        findings.append(
            f"{fit}: best w = {weights[best]:.2f} (closed form for MLE {w_star:.3f}); n x "
            f"error there {n * mean[best]:.3f}, at plain pooling {n * mean[plain]:.3f}, real "
            f"only {n * mean[alone]:.3f}; paired excess over the best: "
            + ", ".join(f"{k} z = {np.divide(*mean_se(d)):.1f}" for k, d in paired.items())
        )
    ps = results["pools"].isel(generation=-1)
    for s in ps["setting"].values:
        row = ps.sel(setting=s)
        value, se = mean_se(row["tv_to_truth"])
        numbers.append(
            Number(f"{str(row['fit_label'].values)}: TV to P* at generation 30", value, se=se)
        )
    return numbers, findings


if __name__ == "__main__":
    study_main(study)
