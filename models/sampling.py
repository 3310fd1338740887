"""What every family shares about sampling: its settings, their checks, the diagnostics."""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from bayescollapse.models.params import param

__all__ = [
    "BLOCK_DIMS",
    "NATS",
    "SamplerSettings",
    "check_num_tokens",
    "check_sampler_settings",
    "sampler_variables",
]

#: dims of a variable with one value per sampler run: every replicate of a block shares it
BLOCK_DIMS = ("setting", "block", "generation")
#: CF ``units`` of information in natural units (not a UDUNITS unit; a label)
NATS = "nats"


@dataclass(frozen=True, kw_only=True)
class SamplerSettings:
    """NUTS and summary settings every model family carries (keyword-only fields).

    ``draws``, ``tune`` and ``chains`` of the ``pymc`` paths, their ``target_accept``;
    ``ess``, a target bulk ESS from which the draws follow instead (:attr:`nuts_draws`);
    ``adaptation``: ``carry`` starts each generation after a block's first from the
    previous one's adaptation and re-tunes ``retune`` steps (see
    :mod:`bayescollapse.models.warm_start`), ``fresh`` tunes every generation in full; the
    probability of reported HDIs (``hdi_prob``) and the central-interval levels checked
    for calibration (``coverage_levels``). ``diagnostics_every`` K: the per-parameter
    NUTS diagnostics (R-hat, ESS, MCSE) are computed at generations 0, K, 2K, ... and the
    last, NaN between (divergences are counted every generation); at the paper's scale
    they cost about as much as the sampling itself.
    """

    # 2 x 500 draws put ~4 % of parameters above R-hat 1.01 by chance
    draws: int = param(1000, "NUTS draws per chain")
    tune: int = param(500, "NUTS tuning steps per chain")
    chains: int = param(2, "NUTS chains (>= 2: R-hat needs two)")
    target_accept: float = param(0.8, "NUTS target acceptance rate")
    ess: int | None = param(
        None,
        "target bulk ESS per parameter: NUTS draws per chain become ceil(ESS / chains), "
        "in place of --draws (default: --draws)",
        metavar="ESS",
        show_default=False,
    )
    adaptation: str = param(
        "carry",
        "NUTS adaptation across a block's generations: carry (each starts from the previous "
        "one's scales, step size and draws, and re-tunes --retune steps) or fresh (each "
        "tunes --tune steps from scratch)",
        choices=("carry", "fresh"),
    )
    retune: int | None = param(
        None,
        "NUTS tuning steps of a generation that carries the adaptation (default: the "
        "model's, 100 unless its registration asks for more)",
        show_default=False,
    )
    hdi_prob: float = param(0.94, "probability of the reported HDIs")
    coverage_levels: tuple[float, ...] = param(
        (0.5, 0.8, 0.94), "levels of the central credible intervals checked", metavar="P"
    )
    diagnostics_every: int = param(
        1, "NUTS R-hat/ESS/MCSE at generations 0, K, 2K, ... and the last", metavar="K"
    )

    @property
    def nuts_draws(self) -> int:
        """NUTS draws per chain: ``ceil(ess / chains)`` when ``ess`` is set, else ``draws``.

        Examples
        --------
        >>> SamplerSettings(ess=1001).nuts_draws, SamplerSettings().nuts_draws
        (501, 1000)
        """
        return self.draws if self.ess is None else -(-self.ess // self.chains)

    def diagnosed(self, generation: int, generations: int) -> bool:
        """Whether the NUTS diagnostics of ``generation`` (of 0..``generations``) are computed.

        Examples
        --------
        >>> s = SamplerSettings(diagnostics_every=10)
        >>> [t for t in range(26) if s.diagnosed(t, 25)]
        [0, 10, 20, 25]
        """
        return generation % self.diagnostics_every == 0 or generation == generations

    @classmethod
    def from_config(cls, config):
        """Build the family from a :class:`bayescollapse.RunConfig`.

        The family's own parameters come from ``config.params`` (the family's parameters
        dataclass), the sampler settings from the run's fields of the same names.
        """
        params = {f.name: getattr(config.params, f.name) for f in fields(config.params)}
        sampler = {f.name: getattr(config, f.name) for f in fields(SamplerSettings)}
        return cls(**params, **sampler)


def check_num_tokens(num_tokens) -> None:
    """Raise a one-line ValueError unless ``num_tokens`` is an integer >= 2."""
    if not (isinstance(num_tokens, int | np.integer) and num_tokens >= 2):
        raise ValueError(f"num_tokens must be an integer >= 2, got {num_tokens!r}")


def check_sampler_settings(family) -> None:
    """Raise a one-line ValueError naming the first bad sampler setting of ``family``."""
    for name in ("draws", "tune", "retune", "diagnostics_every"):
        if name == "retune" and family.retune is None:
            continue
        if getattr(family, name) < 1:
            raise ValueError(f"{name} must be >= 1, got {getattr(family, name)!r}")
    if family.ess is not None and family.ess < family.chains:
        raise ValueError(f"ess must be >= chains ({family.chains}), got {family.ess!r}")
    if family.adaptation not in ("carry", "fresh"):
        raise ValueError(f"adaptation must be 'carry' or 'fresh', got {family.adaptation!r}")
    if family.chains < 2:
        raise ValueError(f"chains must be >= 2 (R-hat needs two), got {family.chains!r}")
    if not 0 < family.target_accept < 1:
        raise ValueError(f"target_accept must lie in (0, 1), got {family.target_accept!r}")
    if not 0 < family.hdi_prob < 1:
        raise ValueError(f"hdi_prob must lie in (0, 1), got {family.hdi_prob!r}")
    levels = family.coverage_levels
    if not levels or any(not 0 < q < 1 for q in levels) or list(levels) != sorted(set(levels)):
        raise ValueError(f"coverage_levels must be increasing values in (0, 1), got {levels!r}")


def sampler_variables(parameters: dict[str, tuple[tuple[str, ...], str]]) -> dict:
    """Results variables of the NUTS diagnostics of sampled parameters.

    Parameters
    ----------
    parameters : dict
        Sampled variable name -> (results dims, what it is in words), e.g.
        ``{"theta": (dims, "each token probability")}``.

    Returns
    -------
    dict
        ``<v>_r_hat``, ``<v>_ess_bulk``, ``<v>_ess_tail``, ``<v>_mcse_mean`` per variable,
        ``r_hat_max``, ``ess_bulk_min``, ``ess_tail_min`` and ``divergences`` (the names
        :func:`bayescollapse.metrics.sampler.nuts_diagnostics` fills), with descriptions.
    """
    words = {
        "r_hat": "R-hat",
        "ess_bulk": "bulk ESS",
        "ess_tail": "tail ESS",
        "mcse_mean": "Monte Carlo SE of the posterior mean",
    }
    out = {
        f"{v}_{stat}": (dims, f"{text} of {what} (sampled fits)")
        for v, (dims, what) in parameters.items()
        for stat, text in words.items()
    }
    rgen = ("setting", "replicate", "generation")
    out.update(
        r_hat_max=(
            rgen,
            "largest R-hat over every sampled variable of a replicate, hyperparameters "
            "included (sampled fits)",
        ),
        ess_bulk_min=(rgen, "smallest bulk ESS over every sampled variable (sampled fits)"),
        ess_tail_min=(rgen, "smallest tail ESS over every sampled variable (sampled fits)"),
        divergences=(
            BLOCK_DIMS,
            "divergent transitions of the sampler run that fitted the replicate block",
        ),
    )
    return out
