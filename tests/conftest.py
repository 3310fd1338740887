import numpy as np
import pytest


@pytest.fixture
def rng():
    return np.random.default_rng(20261125)


def _variance_se(x, axis=0):
    """Standard error of the sample variance along ``axis``: sqrt((m4 - s^4 (n-3)/(n-1)) / n),
    with the fourth central moment m4 estimated from the sample (valid for any tails)."""
    n = x.shape[axis]
    centred = x - x.mean(axis=axis, keepdims=True)
    m4 = (centred**4).mean(axis=axis)
    s2 = x.var(axis=axis, ddof=1)
    return np.sqrt((m4 - s2**2 * (n - 3) / (n - 1)) / n)


@pytest.fixture
def variance_se():
    return _variance_se
