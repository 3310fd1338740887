"""The generation driver: model-agnostic, batched over replicates.

For each setting and replicate block, generation 0 fits real data; generation t >= 1
forms a training set from the truth and fit t - 1 (see :mod:`bayescollapse.schemes`),
fits it, and records metrics. Every (setting, block, generation) cell draws from its own
stream (:func:`bayescollapse.rng.block_rng`), so the results do not depend on the order
in which cells run, and a setting run alone gives the same numbers as in a larger study.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import xarray as xr

from bayescollapse.config import RunConfig, Setting
from bayescollapse.results import build_results, empty_arrays
from bayescollapse.rng import block_rng, fresh_seed, stable_key
from bayescollapse.schedules import Schedule, real_fraction_values, sample_size_values
from bayescollapse.schemes import initial_training_set, next_training_set

__all__ = ["run", "run_block"]


def run(config: RunConfig, *, progress: Callable[[int], None] | None = None) -> xr.Dataset:
    """Run every setting of ``config`` and return the labelled results.

    Parameters
    ----------
    config : RunConfig
        The study. When its seed is None a fresh seed is drawn and recorded.
    progress : callable, optional
        Called with 1 after every (setting, block, generation) cell.

    Returns
    -------
    xarray.Dataset
        Validated results (see :mod:`bayescollapse.results`); ``attrs['config']`` holds the
        configuration with its seed, from which the run is reproduced exactly.

    Examples
    --------
    >>> from bayescollapse import RunConfig, Setting, run
    >>> cfg = RunConfig(settings=(Setting(method="mle", real_fraction="zero", scheme="replace"),),
    ...                 generations=3, replicates=2, seed=1)
    >>> ds = run(cfg)
    >>> ds["tv_to_truth"].sizes["generation"]
    4
    """
    if config.seed is None:
        config = config.with_seed(fresh_seed())
    family = config.family()
    truth = family.make_truth(config.truth)
    num_settings, gens = len(config.settings), config.generations
    arrays = empty_arrays(family, num_settings, config.replicates, gens)
    alphas = np.empty((num_settings, gens + 1))
    sizes = np.empty((num_settings, gens + 1), dtype=np.int64)
    fitters: dict[str, object] = {}
    block = config.replicate_block
    for s, setting in enumerate(config.settings):
        alphas[s] = real_fraction_values(Schedule.parse(setting.real_fraction), gens)
        sizes[s] = sample_size_values(Schedule.parse(setting.sample_size), gens)
        if setting.method not in fitters:
            fitters[setting.method] = family.fitter(setting.method, block)
        for b in range(config.blocks):
            rows = run_block(
                setting,
                fitters[setting.method],
                family=family,
                truth=truth,
                real_fraction=alphas[s],
                sample_size=sizes[s],
                seed=config.seed,
                block=b,
                replicates=block,
                summarise_posterior=config.posterior_metrics,
                progress=progress,
            )
            for name, values in rows.items():
                arrays[name][s, b * block : (b + 1) * block] = values
    return build_results(
        arrays, config=config, family=family, truth=truth, real_fraction=alphas, sample_size=sizes
    )


def run_block(
    setting: Setting,
    fitter,
    *,
    family,
    truth,
    real_fraction: np.ndarray,
    sample_size: np.ndarray,
    seed: int,
    block: int,
    replicates: int,
    summarise_posterior: bool = True,
    progress: Callable[[int], None] | None = None,
) -> dict[str, np.ndarray]:
    """Run one replicate block of one setting through every generation.

    Returns
    -------
    dict of str to numpy.ndarray
        Per variable, an array with dims (replicate, generation[, token]) for the block.
    """
    key = stable_key(setting.key_text())
    prior = family.initial_prior(replicates)
    previous_fit = None
    per_generation: list[dict[str, np.ndarray]] = []
    for t in range(real_fraction.size):
        rng = block_rng(seed, key, block, t)
        if t == 0:
            data = initial_training_set(family, truth, int(sample_size[0]), replicates, rng=rng)
        else:
            data = next_training_set(
                setting.scheme,
                data,
                previous_fit,
                family=family,
                truth=truth,
                real_fraction=float(real_fraction[t]),
                sample_size=int(sample_size[t]),
                synthetic=setting.synthetic,
                rng=rng,
            )
        fit = fitter.fit(data.data, prior=prior, rng=rng)
        per_generation.append(family.record(fit, data, truth, previous_fit, summarise_posterior))
        if setting.prior_update == "carry":
            prior = fit.carried_prior
        previous_fit = fit
        if progress is not None:
            progress(1)
    return _stack(per_generation)


def _stack(rows: list[dict[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """Stack per-generation rows along axis 1; a variable a row lacks is NaN there."""
    out = {}
    for name in dict.fromkeys(k for row in rows for k in row):
        template = np.asarray(next(row[name] for row in rows if name in row), dtype=float)
        missing = np.full(template.shape, np.nan)
        out[name] = np.stack([row.get(name, missing) for row in rows], axis=1)
    return out
