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

#: public name -> the module that defines it
_EXPORTS = {
    "RunConfig": "config",
    "Setting": "config",
    "cross_settings": "config",
    "settings_grid": "config",
    "compare": "paired",
    "run": "loop",
    "phase_diagram": "phase",
    "open_tree": "posteriors",
    "run_tree": "posteriors",
    "save_tree": "posteriors",
    "classify_curve": "regimes",
    "trend_test": "regimes",
    "open_results": "results",
    "save_results": "results",
    "validate_results": "results",
    "Schedule": "schedules",
    "categorical_moments": "theory",
    "expected_curves": "theory",
    "gaussian_mle_moments": "theory",
    "power_schedule_regime": "theory",
    "make_truth": "truth",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        module = importlib.import_module(f"bayescollapse.{_EXPORTS[name]}")
        value = getattr(module, name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'bayescollapse' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})
