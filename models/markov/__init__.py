"""The Markov (n-gram) next-token language model: chains, fits, PyMC models, face."""

from bayescollapse.models.markov.family import MarkovLM

__all__ = ["MarkovLM"]
