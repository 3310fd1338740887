"""The Dirichlet-categorical next-token family: truth recipes, fits, PyMC models, face."""

from bayescollapse.models.categorical.family import DirichletCategorical

__all__ = ["DirichletCategorical"]
