"""
The best weight of real data in a refit
=======================================

With ``n`` real and ``m`` synthetic points a generation, counting each real point ``w``
and each synthetic one ``1 - w`` changes the Gaussian mean's long-run error. He, Xu and
Cheng (2025) show the best weight at ``n = m`` is the inverse golden ratio, 0.618;
:func:`bayescollapse.theory.weighting.optimal_real_weight` gives it for any ``n``, ``m``
and :func:`~bayescollapse.theory.weighting.weighted_gaussian_mle_error` the exact
expected error of the loop. The settings differ only in their weight, so they share every
random stream: the curve's shape is measured on paired replicates. Full size: `study 7
of the report <../report/index.html#decoding_and_weights>`_.
"""

import matplotlib.pyplot as plt
import numpy as np

from bayescollapse import RunConfig, Setting, run
from bayescollapse.theory.weighting import optimal_real_weight, weighted_gaussian_mle_error

weights = [0.3, 0.4, 0.5, 0.55, 0.6, 0.618, 0.65, 0.7, 0.8, 0.9, 1.0]
settings = tuple(
    Setting(method="mle", real_fraction="0.5", sample_size="100", real_weight=str(w))
    for w in weights
)
config = RunConfig(model="gaussian", settings=settings, generations=30, replicates=400, seed=2)
ds = run(config, progress=False)

late = ds["mu_sq_error"].sel(generation=slice(20, None))  # past the burn-in
mean = late.mean(("replicate", "generation"))
se = late.mean("generation").std("replicate") / np.sqrt(ds.sizes["replicate"])
T = ds.sizes["generation"]
exact = [
    weighted_gaussian_mle_error(1.0, [0.5] * T, [100] * T, [w] * T)["mean_sq_error"][20:].mean()
    for w in weights
]
fig, ax = plt.subplots(figsize=(6, 3.5), layout="constrained")
ax.plot(weights, exact, color="0.75", lw=6, label="exact")
ax.errorbar(weights, mean, yerr=2 * se, fmt="o", color="C0", label="simulated, 2 SE")
ax.axvline(optimal_real_weight(50, 50)[1], ls=":", color="0.3", label="w* = 0.618")
ax.set(xlabel="weight w of a real point", ylabel="E (mu_t - mu*)^2, generations 20-30")
ax.set_title("Gaussian MLE, 50 real + 50 synthetic points a generation")
ax.legend()
