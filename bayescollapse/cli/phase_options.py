"""What ``bayescollapse phase`` computes: its options, from which its flags derive.

Kept apart from :mod:`bayescollapse.cli.phase` because the parameter helper lives in
:mod:`bayescollapse.models`, whose import loads the model families: the ``phase`` parser
is built only when the command is ``phase``.
"""

from __future__ import annotations

from dataclasses import dataclass

from bayescollapse.models.params import param

__all__ = ["PhaseOptions"]


@dataclass(frozen=True)
class PhaseOptions:
    """What ``bayescollapse phase`` computes; its flags derive from these fields."""

    tokens: int = param(10, "vocabulary size", metavar="K")
    truth: str = param("zipf:1", "truth recipe")
    real_fraction0: float = param(0.5, "alpha at generation 1", aliases=("alpha0",))
    sample_size0: float = param(50.0, "n at generations 0 and 1")
    betas: str = param("0:3:61", "theory grid of beta (START:STOP:NUM or V1,V2,...)")
    gammas: str = param("0:3:61", "theory grid of gamma")
    sim_betas: str = param("0,0.5,1,2", "simulated betas")
    sim_gammas: str = param("0,0.5,1,2", "simulated gammas")
    prior_concentration: tuple[float, ...] = param(
        (0.0, 1.0), "panels: 0 for the MLE, > 0 for the conjugate fit", metavar="A0"
    )
    synthetic: str = param("plugin", "synthetic mode of the conjugate fits")
    horizon: int = param(1000, "generations of the theory curves")
    generations: int = param(100, "simulated generations")
    replicates: int = param(2000, "simulated replicates")
    seed: int | None = param(None, "seed (default: drawn and recorded)", show_default=False)
