"""bayescollapse: model collapse under iterative retraining, with Bayesian models.

Simulate the generation loop of Bakshi & Chakraborty (2026): each generation fits a
next-token model to a mix of fresh real data and synthetic data from the previous
generation's model, by MLE, exact conjugate Bayes or PyMC (NUTS), and tracks how the
fitted model and its posterior drift from the truth.

The names below are imported when first used (PEP 562), so ``import bayescollapse``
and the command line's ``--help`` stay fast.
"""

from __future__ import annotations

import importlib
from importlib import metadata

try:
    __version__ = metadata.version("bayescollapse")
except metadata.PackageNotFoundError:  # a source tree that was never installed
    __version__ = "0+unknown"

#: public name -> the module that defines it
_EXPORTS = {
    "RunConfig": "engine.config",
    "Setting": "engine.config",
    "cross_settings": "engine.config",
    "settings_grid": "engine.config",
    "compare": "present.paired",
    "comparison_frame": "present.frames",
    "summary_frame": "present.frames",
    "run": "engine.loop",
    "phase_diagram": "theory.phase",
    "open_tree": "io.posteriors",
    "run_tree": "io.posteriors",
    "save_tree": "io.posteriors",
    "classify_curve": "theory.regimes",
    "trend_test": "theory.regimes",
    "open_results": "io.results",
    "save_results": "io.results",
    "validate_results": "io.results",
    "Schedule": "engine.schedules",
    "categorical_moments": "theory.closed_forms",
    "expected_curves": "present.curves",
    "gaussian_mle_moments": "theory.closed_forms",
    "power_schedule_regime": "theory.closed_forms",
    "make_truth": "models.categorical.truth",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str):
    if name in _EXPORTS:
        module = importlib.import_module(f"bayescollapse.{_EXPORTS[name]}")
        value = getattr(module, name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'bayescollapse' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
