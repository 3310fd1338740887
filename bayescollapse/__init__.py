"""bayescollapse: model collapse under iterative retraining, with Bayesian models.

Simulate the generation loop of Bakshi & Chakraborty (2026): each generation fits a
next-token model to a mix of fresh real data and synthetic data from the previous
generation's model, by MLE, exact conjugate Bayes or PyMC (NUTS), and tracks how the
fitted model and its posterior drift from the truth.
"""

from bayescollapse.compare import compare
from bayescollapse.config import RunConfig, Setting, cross_settings, settings_grid
from bayescollapse.loop import run
from bayescollapse.phase import phase_diagram
from bayescollapse.posteriors import open_tree, run_tree, save_tree
from bayescollapse.regimes import classify_curve, trend_test
from bayescollapse.results import open_results, save_results, validate_results
from bayescollapse.schedules import Schedule
from bayescollapse.theory import (
    categorical_moments,
    expected_curves,
    gaussian_mle_moments,
    power_schedule_regime,
)
from bayescollapse.truth import make_truth

__all__ = [
    "RunConfig",
    "Schedule",
    "Setting",
    "categorical_moments",
    "classify_curve",
    "compare",
    "cross_settings",
    "expected_curves",
    "gaussian_mle_moments",
    "make_truth",
    "open_results",
    "open_tree",
    "phase_diagram",
    "power_schedule_regime",
    "run",
    "run_tree",
    "save_results",
    "save_tree",
    "settings_grid",
    "trend_test",
    "validate_results",
]
