"""Closed forms next to the simulation: moments, weighting, fixation, regimes, phase diagram.

The closed-form moments and curves (:mod:`bayescollapse.theory.closed_forms`) are
re-exported here, so ``from bayescollapse.theory import categorical_moments`` works.
"""

from bayescollapse.theory.closed_forms import *  # noqa: F403
from bayescollapse.theory.closed_forms import __all__  # noqa: F401
