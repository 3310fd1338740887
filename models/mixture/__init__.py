"""The Gaussian mixture family: EM, the complete-data oracle and NUTS (see ``family``)."""

from bayescollapse.models.mixture.family import GaussianMixture

__all__ = ["GaussianMixture"]
