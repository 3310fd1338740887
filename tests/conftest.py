import inspect
import re

import numpy as np
import pytest

#: a test that states a law or a z tolerance is statistical: its false-alarm rate is checked
#: across seeds by scripts/seed_sweep.py
_STATISTICAL = re.compile(r"\blaws?\b|\bz = \d|\bz=\d|z standard errors", re.IGNORECASE)


def pytest_addoption(parser):
    parser.addoption(
        "--seed-salt",
        type=int,
        default=0,
        help="mix this salt into every seed numpy is given, so each statistical test draws "
        "new data (scripts/seed_sweep.py)",
    )


def pytest_configure(config):
    """Salt every ``np.random.default_rng`` seed when ``--seed-salt`` is given."""
    salt = config.getoption("--seed-salt")
    if not salt:
        return
    original = np.random.default_rng

    def salted(seed=None):
        if isinstance(seed, int | np.integer) and not isinstance(seed, bool):
            seed = np.random.SeedSequence([int(seed), salt])
        elif isinstance(seed, np.random.SeedSequence):
            entropy = np.atleast_1d(seed.entropy).tolist()
            seed = np.random.SeedSequence([*entropy, salt], spawn_key=seed.spawn_key)
        return original(seed)

    np.random.default_rng = salted


def pytest_collection_modifyitems(config, items):
    """Mark the tests whose code states a law or a z tolerance as ``statistical``."""
    for item in items:
        function = getattr(item, "function", None)
        if function is None:
            continue
        try:
            source = inspect.getsource(function)
        except (OSError, TypeError):
            continue
        if _STATISTICAL.search(source):
            item.add_marker(pytest.mark.statistical)


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
