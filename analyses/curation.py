"""Study 8: curation. Does a reward-curated loop climb the reward, and what keeps diversity?

K = 20 tokens (Zipf(1.1) truth), reward = the true rank reversed (the most probable token
scores 20), n = 200 per generation. Rules: none, best-of:2, best-of:4, best-of:16 and the
K-wise Bradley-Terry choice bradley-terry:4:1 (Ferbach et al. 2024). Three schedules:
no real data (replace), a constant alpha = 0.2, and a decaying alpha_t = 0.5 t^-0.5 with a
growing n_t = 200 t. MLE and the exact conjugate posterior (ancestral synthetic data) for
every rule; PyMC for best-of:4 in every schedule. Every fit of a schedule sees the same
real data (common random numbers). The deterministic map of the MLE,
``P -> alpha P* + (1 - alpha) q(P)`` (bayescollapse.theory.curation), is drawn beside the
MLE and its fixed point checked against the last generation.
"""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.ticker import MaxNLocator

from bayescollapse import RunConfig, Setting, run, save_results
from bayescollapse.metrics.distances import entropy as entropy_of
from bayescollapse.models.curation import token_rewards
from bayescollapse.present.report import Number, Study, save_figure, study_main
from bayescollapse.theory.curation import expected_next_mle, expected_reward, fixed_point

HERE = Path(__file__).parent
RESULTS = HERE.parent / "results"
FULL = dict(generations=20, replicates=100)
QUICK = dict(generations=6, replicates=16)
SEED = 12
K = 20
REGIMES = {
    "no real data": {"scheme": "replace", "real_fraction": "zero", "sample_size": "200"},
    "alpha = 0.2": {"real_fraction": "0.2", "sample_size": "200"},
    "alpha_t = 0.5 t^-0.5, n_t = 200 t": {
        "real_fraction": "power:0.5:-0.5",
        "sample_size": "power:200:1",
    },
}
RULES = {
    "none": "none",
    "best-of:2": "best-of:2",
    "best-of:4": "best-of:4",
    "best-of:16": "best-of:16",
    "BT:4:1": "bradley-terry:4:1",
}
METHODS = {"MLE": {"method": "mle"}, "conjugate": {"method": "conjugate"}}
PYMC_RULE = "best-of:4"
COLORS = dict(zip(RULES, ["k", "C0", "C1", "C3", "C2"], strict=True))
LINES = {"MLE": "-", "conjugate": "--", "pymc": ":"}
Z = 4.0


def _name(regime: str, rule: str, method: str) -> str:
    return f"{regime}: {rule} {method}"


def config(size: dict) -> RunConfig:
    """Every schedule, rule and fit in one run (a schedule's fits share their real data)."""
    settings = [
        Setting(
            name=_name(regime, rule, method),
            group=regime,
            curation=spec,
            reward="rank",
            **REGIMES[regime],
            **fields,
        )
        for regime in REGIMES
        for rule, spec in RULES.items()
        for method, fields in METHODS.items()
    ]
    settings += [
        Setting(
            name=_name(regime, PYMC_RULE, "pymc"),
            group=regime,
            curation=RULES[PYMC_RULE],
            reward="rank",
            method="pymc",
            **REGIMES[regime],
        )
        for regime in REGIMES
    ]
    return RunConfig(
        settings=tuple(settings),
        num_tokens=K,
        truth="zipf:1.1",
        generations=size["generations"],
        replicates=size["replicates"],
        seed=SEED,
        draws=300,
        tune=300,
        posterior_metrics=False,
    )


def _map_path(truth, reward, alphas, rule_spec: str) -> tuple[np.ndarray, np.ndarray]:
    """The MLE's deterministic map from the truth: expected reward and entropy per step."""
    rule, options = _rule(rule_spec)
    p, rewards, entropies = truth, [], []
    for alpha in alphas:
        if rule != "none":
            p = expected_next_mle(p, truth, float(alpha), rule, reward, **options)
        rewards.append(expected_reward(p, reward))
        entropies.append(float(entropy_of(p)))
    return np.array(rewards), np.array(entropies)


def _rule(spec: str) -> tuple[str, dict]:
    name, *args = spec.split(":")
    if name == "best-of":
        return name, {"k": int(args[0])}
    if name == "bradley-terry":
        return name, {"k": int(args[0]), "beta": float(args[1])}
    return name, {}


def _figure(ds, truth, reward) -> plt.Figure:
    gen = ds["generation"].values
    fig, axes = plt.subplots(2, len(REGIMES), figsize=(4.8 * len(REGIMES), 7.6), sharex=True)
    for j, regime in enumerate(REGIMES):
        top, bottom = axes[0, j], axes[1, j]
        alphas = ds["real_fraction"].sel(setting=_name(regime, "none", "MLE")).values
        for rule in RULES:
            for method in (*METHODS, "pymc"):
                name = _name(regime, rule, method)
                if name not in ds["setting"]:
                    continue
                row = ds.sel(setting=name)
                style = dict(color=COLORS[rule], ls=LINES[method], lw=1.4)
                label = f"{rule} {method}" if j == 0 else None
                if rule != "none":
                    top.plot(gen, row["reward_mean"].mean("replicate"), label=label, **style)
                bottom.plot(gen, row["entropy"].mean("replicate"), **style)
            if rule != "none" and regime != "no real data":
                path, _ = _map_path(truth, reward, alphas[1:], RULES[rule])
                top.plot(gen[1:], path, color=COLORS[rule], lw=0.6, alpha=0.6)
        top.axhline(expected_reward(truth, reward), color="grey", lw=0.8)
        bottom.axhline(float(entropy_of(truth)), color="grey", lw=0.8)
        top.set_title(regime)
        top.set_ylabel("expected reward E_{P_t} r" if j == 0 else "")
        bottom.set_ylabel("entropy of P_t (nats)" if j == 0 else "")
        bottom.set_xlabel("generation")
        bottom.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes[0, 0].plot([], [], color="grey", lw=0.6, label="MLE map (theory)")
    axes[1, 0].plot([], [], color="k", lw=1.4, label="none (not curated) MLE")
    axes[1, 0].plot([], [], color="k", ls="--", lw=1.4, label="none conjugate")
    axes[1, 0].legend(fontsize=7, loc="upper right")
    axes[0, 0].legend(fontsize=7, loc="lower right", ncol=2)
    fig.suptitle(
        "Curated retraining, K = 20, reward = true rank reversed (grey: the truth's value)"
    )
    fig.tight_layout()
    return fig


def study(quick: bool = False, figures: Path | None = None) -> Study:
    """Run study 8 and return its figure, numbers and findings."""
    size = QUICK if quick else FULL
    ds = run(config(size))
    save_results(ds, RESULTS / f"curation{'_quick' if quick else ''}.nc", overwrite=True)
    truth = ds["truth"].values
    reward = token_rewards("rank", truth)
    figure = save_figure(_figure(ds, truth, reward), figures or HERE / "figures", "curation.png")

    last = int(ds["generation"][-1])
    numbers, findings = [], []
    regime = "alpha = 0.2"
    for rule in list(RULES)[1:]:
        name, options = _rule(RULES[rule])
        star = fixed_point(truth, 0.2, name, reward, **options)
        values = ds["reward_mean"].sel(setting=_name(regime, rule, "MLE"), generation=last)
        numbers.append(
            Number(
                f"alpha = 0.2, {rule} MLE: expected reward at T = {last}",
                float(values.mean()),
                theory=float(expected_reward(star, reward)),
                se=float(values.std(ddof=1) / np.sqrt(values.size)),
                bound=Z,
            )
        )
    truth_reward, truth_entropy = expected_reward(truth, reward), float(entropy_of(truth))
    at_t = {}
    for regime in REGIMES:
        for method in (*METHODS, "pymc"):
            row = ds.sel(setting=_name(regime, PYMC_RULE, method), generation=last)
            at_t[regime, method] = row["reward_mean"].values, row["entropy"].values
            r, h = (float(v.mean()) for v in at_t[regime, method])
            numbers.append(Number(f"{regime}, {PYMC_RULE} {method}: reward at T = {last}", r))
            numbers.append(Number(f"{regime}, {PYMC_RULE} {method}: entropy at T = {last}", h))
    worst = max(abs(n.z) for n in numbers if n.theory is not None)
    findings.append(
        f"Every rule climbs the reward from the truth's {truth_reward:.2f} (entropy "
        f"{truth_entropy:.2f} nats), faster with more candidates, as Ferbach et al. prove. "
        "Without real data the MLE loop tends to the truth restricted to the reward's "
        "maximiser and loses all diversity; with alpha = 0.2 it settles at the fixed point "
        f"of its deterministic map (largest |z| of the four rules: {worst:.1f})."
    )
    mle = {k: float(v[1].mean()) for (k, m), v in at_t.items() if m == "MLE"}
    conj = {k: float(v[1].mean()) for (k, m), v in at_t.items() if m == "conjugate"}
    findings.append(
        f"The conjugate fit keeps more diversity than the MLE under {PYMC_RULE}: entropy at "
        f"T = {last} "
        + ", ".join(f"{k}: {conj[k]:.2f} against {mle[k]:.2f}" for k in REGIMES)
        + f". Its prior's K a0 = {K} pseudo-counts re-enter every generation and put "
        "mass back on tokens the curation drops, at the price of a lower reward."
    )
    gap = at_t["alpha = 0.2", "pymc"][0] - at_t["alpha = 0.2", "conjugate"][0]
    gap_se = gap.std(ddof=1) / np.sqrt(gap.size)
    findings.append(
        f"PyMC minus conjugate (same real data, alpha = 0.2, {PYMC_RULE}): reward "
        f"{gap.mean():+.3f} (paired SE {gap_se:.3f}): curation acts on the sampled "
        "posterior's predictive as on the exact one."
    )
    rising = {k: v for k, v in mle.items() if float(at_t[k, "MLE"][0].mean()) > truth_reward}
    keeper = max(rising, key=rising.get)
    shares = {
        k: float(ds["real_fraction"].sel(setting=_name(k, PYMC_RULE, "MLE"))[-1]) for k in REGIMES
    }
    findings.append(
        f"The seed paper's question, asked again: of the schedules whose reward rises, "
        f"{keeper!r} keeps the most diversity at T = {last} (entropy {rising[keeper]:.2f} "
        f"of the truth's {truth_entropy:.2f}). The share of real data at T and the entropy "
        "at T, per schedule: "
        + "; ".join(f"{k}: alpha_T = {shares[k]:.2f}, entropy {mle[k]:.2f}" for k in REGIMES)
        + ". Curation acts on the synthetic share only: the real items are what keep the "
        "tokens the reward does not favour."
    )
    return Study(
        key="curation",
        title="8. Curation by a reward: the climb, the fixed point, and what keeps diversity",
        caption=(
            "Top: expected reward of the fitted law per generation (mean over replicates; "
            "solid MLE, dashed conjugate, dotted PyMC; thin lines: the MLE's deterministic "
            "map from the truth). Bottom: entropy of the fitted law. Grey: the truth's."
        ),
        figures=[figure],
        params={
            "K": K,
            "truth": "zipf:1.1",
            "reward": "rank (true rank reversed)",
            "n": 200,
            "generations": size["generations"],
            "replicates": size["replicates"],
            "rules": ", ".join(RULES.values()),
            "schedules": "; ".join(f"{k}: {v}" for k, v in REGIMES.items()),
        },
        seed=SEED,
        numbers=numbers,
        findings=findings,
    )


if __name__ == "__main__":
    study_main(study)
