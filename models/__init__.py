"""Model families: PyMC models with their conjugate and MLE twins.

``REGISTRY`` maps a model name (as given to the CLI's ``--model``) to its family class.
"""

from bayescollapse.models.categorical import DirichletCategorical
from bayescollapse.models.gaussian import Gaussian
from bayescollapse.models.markov import MarkovLM

REGISTRY = {
    DirichletCategorical.name: DirichletCategorical,
    Gaussian.name: Gaussian,
    MarkovLM.name: MarkovLM,
}

__all__ = ["REGISTRY", "DirichletCategorical", "Gaussian", "MarkovLM"]
