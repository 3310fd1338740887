"""The Gaussian family: Normal data with unknown mean and variance; fits, record, face."""

from bayescollapse.models.gaussian.family import Gaussian

__all__ = ["Gaussian"]
