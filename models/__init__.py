"""Model families: PyMC models with their conjugate and MLE twins.

``REGISTRY`` maps a model name (as given to the CLI's ``--model``) to its family class.
"""

from bayescollapse.models.categorical import DirichletCategorical

REGISTRY = {DirichletCategorical.name: DirichletCategorical}

__all__ = ["REGISTRY", "DirichletCategorical"]
