"""Model families: PyMC models with their conjugate and MLE twins, and the seams to extend.

``REGISTRY`` maps a model name (the CLI's ``--model``) to its family class; the methods
of each family are in :mod:`bayescollapse.models.registry`, where users register their
own (see ``CONTRIBUTING.md``). The protocols every family and fit satisfy are in
:mod:`bayescollapse.models.protocols`.
"""

from dataclasses import fields

from bayescollapse.models.categorical.family import DirichletCategorical
from bayescollapse.models.gaussian.family import Gaussian
from bayescollapse.models.markov.family import MarkovLM
from bayescollapse.models.mixture.family import GaussianMixture
from bayescollapse.models.registry import (
    FAMILIES as REGISTRY,
)
from bayescollapse.models.registry import (
    register_method,
    register_pymc_model,
)
from bayescollapse.models.regression.family import LinearRegression

#: the model a run fits when it names none
DEFAULT_MODEL = DirichletCategorical.name
#: the method a setting fits with when it names none (the exact posterior)
DEFAULT_METHOD = "conjugate"
#: the shipped families' parameters, which a RunConfig held as flat fields before they
#: moved to the families: configurations stored then name them all, whatever the model,
#: and a key that is not the model's own had no effect, so reading such one drops it
LEGACY_FLAT_KEYS = frozenset(
    f.name for family in (DirichletCategorical, MarkovLM, Gaussian) for f in fields(family.params)
)

__all__ = [
    "DEFAULT_METHOD",
    "DEFAULT_MODEL",
    "LEGACY_FLAT_KEYS",
    "REGISTRY",
    "DirichletCategorical",
    "Gaussian",
    "GaussianMixture",
    "LinearRegression",
    "MarkovLM",
    "register_method",
    "register_pymc_model",
]
