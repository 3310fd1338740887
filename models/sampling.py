"""What every family shares about NUTS: settings, their checks, and one sampler call."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, fields

import numpy as np
import xarray as xr

__all__ = [
    "SamplerSettings",
    "check_num_tokens",
    "check_sampler_settings",
    "compile_model",
    "quiet_pymc",
    "sample_nuts",
]

#: the sampler and summary settings every family takes from a RunConfig


@dataclass(frozen=True, kw_only=True)
class SamplerSettings:
    """NUTS and summary settings every model family carries (keyword-only fields).

    ``draws``, ``tune`` and ``chains`` of the ``pymc`` paths, their ``target_accept``; the
    probability of reported HDIs (``hdi_prob``) and the central-interval levels checked
    for calibration (``coverage_levels``).
    """

    draws: int = 1000  # 2 x 500 puts ~4 % of parameters above R-hat 1.01 by chance
    tune: int = 500
    chains: int = 2
    target_accept: float = 0.8
    hdi_prob: float = 0.94
    coverage_levels: tuple[float, ...] = (0.5, 0.8, 0.94)

    @classmethod
    def from_config(cls, config):
        """Build the family from a :class:`bayescollapse.RunConfig`.

        Every field of the family takes the RunConfig attribute of the same name, so a
        family's parameters are its CLI flags and config keys without a mapping to keep.
        """
        return cls(**{f.name: getattr(config, f.name) for f in fields(cls) if f.init})


def check_num_tokens(num_tokens) -> None:
    """Raise a one-line ValueError unless ``num_tokens`` is an integer >= 2."""
    if not (isinstance(num_tokens, int | np.integer) and num_tokens >= 2):
        raise ValueError(f"num_tokens must be an integer >= 2, got {num_tokens!r}")


def check_sampler_settings(family) -> None:
    """Raise a one-line ValueError naming the first bad sampler setting of ``family``."""
    for name in ("draws", "tune"):
        if getattr(family, name) < 1:
            raise ValueError(f"{name} must be >= 1, got {getattr(family, name)!r}")
    if family.chains < 2:
        raise ValueError(f"chains must be >= 2 (R-hat needs two), got {family.chains!r}")
    if not 0 < family.target_accept < 1:
        raise ValueError(f"target_accept must lie in (0, 1), got {family.target_accept!r}")
    if not 0 < family.hdi_prob < 1:
        raise ValueError(f"hdi_prob must lie in (0, 1), got {family.hdi_prob!r}")
    levels = family.coverage_levels
    if not levels or any(not 0 < q < 1 for q in levels) or list(levels) != sorted(set(levels)):
        raise ValueError(f"coverage_levels must be increasing values in (0, 1), got {levels!r}")


def sample_nuts(compiled, family, *, rng: np.random.Generator, **data) -> xr.DataTree:
    """Refit a compiled nutpie model with new ``data`` under the family's settings.

    The seed is drawn from ``rng``, so the cell's stream fixes the draws.
    """
    import nutpie

    return nutpie.sample(
        compiled.with_data(**data),
        draws=family.draws,
        tune=family.tune,
        chains=family.chains,
        cores=family.chains,
        seed=int(rng.integers(1 << 63)),
        target_accept=family.target_accept,
        progress_bar=False,
        save_warmup=False,
    )


@contextlib.contextmanager
def quiet_pymc():
    """Silence PyMC's informational log lines (such as 'Sampling: [...]') for a block."""
    logger = logging.getLogger("pymc")
    level = logger.level
    logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


def compile_model(model):
    """Compile a PyMC model once with nutpie, keeping its ``pm.Data`` replaceable."""
    import nutpie

    with quiet_pymc():
        return nutpie.compile_pymc_model(model, freeze_model=False)
