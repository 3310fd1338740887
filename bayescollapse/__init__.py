"""bayescollapse: model collapse under iterative retraining, with Bayesian models.

Simulate the generation loop of Bakshi & Chakraborty (2026): each generation fits a
next-token model to a mix of fresh real data and synthetic data from the previous
generation's model, by MLE, exact conjugate Bayes or PyMC (NUTS), and tracks how the
fitted model and its posterior drift from the truth.
"""

from bayescollapse.config import RunConfig, Setting, settings_grid
from bayescollapse.loop import run
from bayescollapse.results import open_results, save_results, validate_results
from bayescollapse.schedules import Schedule
from bayescollapse.truth import make_truth

__all__ = [
    "RunConfig",
    "Setting",
    "Schedule",
    "make_truth",
    "open_results",
    "run",
    "save_results",
    "settings_grid",
    "validate_results",
]
