import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from bayescollapse.engine.schedules import Schedule, real_fraction_values, sample_size_values


def test_constant_and_zero():
    assert real_fraction_values(Schedule.parse("0.25"), 3).tolist() == [1.0, 0.25, 0.25, 0.25]
    assert real_fraction_values(Schedule.parse("zero"), 2).tolist() == [1.0, 0.0, 0.0]
    assert sample_size_values(Schedule.parse(50), 2).tolist() == [50, 50, 50]


def test_power_decay_and_growth():
    # alpha_t = alpha_0 t^-beta and n_t = n_0 t^gamma for t >= 1; n at generation 0 is n_0
    a = real_fraction_values(Schedule.parse("power:0.5:-1"), 4)
    np.testing.assert_allclose(a, [1, 0.5, 0.25, 0.5 / 3, 0.125])
    n = sample_size_values(Schedule.parse("power:100:2"), 3)
    assert n.tolist() == [100, 100, 400, 900]


def test_geometric_and_list():
    np.testing.assert_allclose(
        real_fraction_values(Schedule.parse("geometric:0.4:0.5"), 3), [1, 0.4, 0.2, 0.1]
    )
    assert sample_size_values(Schedule.parse("list:10,20,30"), 2).tolist() == [10, 20, 30]
    assert real_fraction_values(Schedule.parse("list:0.1,0.2"), 2).tolist() == [1, 0.1, 0.2]


@pytest.mark.parametrize(
    ("spec", "fn", "message"),
    [
        ("1.5", real_fraction_values, "must lie in \\[0, 1\\]"),
        ("-0.1", real_fraction_values, "-0.1"),
        ("0", sample_size_values, "integers >= 1"),
        ("power:10:-5", sample_size_values, "integers >= 1"),
        ("list:0.1", real_fraction_values, "needs one per generation"),
        ("list:5,5", sample_size_values, "3 values"),
    ],
)
def test_bad_values_are_named(spec, fn, message):
    with pytest.raises(ValueError, match=message):
        fn(Schedule.parse(spec), 2)


@pytest.mark.parametrize("spec", ["power:1", "cubic:1:2", "abc", "geometric:1:x"])
def test_unreadable_specs(spec):
    with pytest.raises(ValueError, match="schedule"):
        Schedule.parse(spec)


@given(
    st.sampled_from(["constant", "power", "geometric", "list"]),
    st.lists(st.floats(-5, 5, allow_nan=False), min_size=1, max_size=4),
)
def test_spec_round_trips(kind, params):
    if kind == "constant":
        params = params[:1]
    elif kind in ("power", "geometric"):
        params = (params * 2)[:2]
    s = Schedule(kind, tuple(params))
    assert Schedule.parse(s.spec) == s
