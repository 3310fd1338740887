"""The linear-regression family: Gaussian rows, sufficient statistics, least squares and NIG."""

from bayescollapse.models.regression.family import LinearRegression

__all__ = ["LinearRegression"]
