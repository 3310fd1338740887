"""The collapse / bounded / recovery map over power schedules, theory against simulation.

alpha_t = 0.5 t^-beta and n_t = 50 t^gamma on K = 10 tokens (Zipf truth). Theory on a
61 x 61 grid (exact expected error at t = 1000); simulation on a 4 x 4 grid (2000
replicates x 100 generations, trend test). Panels: MLE and the conjugate posterior mean
with prior concentration 0.1 and 1. Writes results/phase.nc and
analyses/figures/phase_diagram.png.
"""

from pathlib import Path

import numpy as np

from bayescollapse.engine.progress import progress_bar
from bayescollapse.io.storage import write_atomic
from bayescollapse.present.plots import plot_phase
from bayescollapse.present.report import Number, Study, save_figure, study_main
from bayescollapse.theory.phase import phase_diagram

HERE = Path(__file__).parent
RESULTS = HERE.parent / "results" / "phase.nc"
FIGURE = HERE / "figures" / "phase_diagram.png"
PRIORS = [0.0, 0.1, 1.0]
SIM_BETAS = SIM_GAMMAS = [0, 0.5, 1, 2]
GENERATIONS, REPLICATES = 100, 2000


def study(quick: bool = False, figures: Path | None = None) -> Study:
    """Run the phase diagram (quick: a coarse grid, few replicates) and return its verdicts."""
    grid = np.linspace(0, 3, 13 if quick else 61)
    generations, replicates = (30, 100) if quick else (GENERATIONS, REPLICATES)
    total = len(PRIORS) * len(SIM_BETAS) * len(SIM_GAMMAS) * (generations + 1)
    with progress_bar(total) as advance:
        ds = phase_diagram(
            "zipf:1",
            10,
            betas=grid,
            gammas=grid,
            sim_betas=SIM_BETAS,
            sim_gammas=SIM_GAMMAS,
            seed=2026,
            prior_concentrations=PRIORS,
            generations=generations,
            replicates=replicates,
            progress=advance,
        )
    write_atomic(ds, RESULTS.with_name(f"phase{'_quick' if quick else ''}.nc"), overwrite=True)
    figure = save_figure(plot_phase(ds), figures or FIGURE.parent, FIGURE.name)
    agree = ds["sim_regime"] == ds["expected_regime"]
    numbers = [
        Number("share of simulated points whose verdict matches theory", float(agree.mean()))
    ]
    for dim in [d for d in agree.dims if d not in ("sim_beta", "sim_gamma")]:
        for value in agree[dim].values:
            numbers.append(
                Number(f"  {dim} = {value}: share matching", float(agree.sel({dim: value}).mean()))
            )
    return Study(
        key="phase_diagram",
        title="6. The phase diagram: collapse, bounded, recovery, with simulated verdicts",
        caption=(
            "Regimes of alpha_t = 0.5 t^-beta, n_t = 50 t^gamma from the exact expected "
            "error at t = 1000 (colours) and the verdicts of simulations (markers: a trend "
            "test over the last generations), for MLE and the conjugate posterior mean."
        ),
        figures=[figure],
        params={
            "K": 10,
            "truth": "zipf:1",
            "theory grid": f"{grid.size} x {grid.size}",
            "simulated betas, gammas": SIM_BETAS,
            "generations": generations,
            "replicates": replicates,
            "prior concentrations": PRIORS,
        },
        seed=2026,
        numbers=numbers,
    )


if __name__ == "__main__":
    study_main(study)
