import numpy as np
import pytest

from bayescollapse.models.categorical.truth import make_truth


def test_recipes():
    np.testing.assert_allclose(make_truth("uniform", 4), 0.25)
    z = make_truth("zipf:1", 3)
    np.testing.assert_allclose(z, np.array([1, 1 / 2, 1 / 3]) / (11 / 6))
    d1, d2 = make_truth("dirichlet:0.5:7", 10), make_truth("dirichlet:0.5:7", 10)
    np.testing.assert_array_equal(d1, d2)  # recorded seed reproduces the draw
    assert not np.array_equal(d1, make_truth("dirichlet:0.5:8", 10))
    np.testing.assert_allclose(make_truth("values:0.2,0.8", 2), [0.2, 0.8])
    np.testing.assert_allclose(make_truth(np.array([0.5, 0.5]), 2), [0.5, 0.5])


@pytest.mark.parametrize(
    ("spec", "k", "message"),
    [
        ("zipf", 3, "unknown truth 'zipf'"),
        ("gauss:1", 3, "unknown truth"),
        ("values:0.5,0.6", 2, "sum to 1"),
        ("values:0.5,0.5", 3, "num_tokens is 3"),
        ("dirichlet:0:1", 3, "must be a finite number > 0"),
        ("uniform", 1, "num_tokens must be an integer >= 2"),
    ],
)
def test_bad_truth(spec, k, message):
    with pytest.raises(ValueError, match=message):
        make_truth(spec, k)
