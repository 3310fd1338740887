"""What users read: labels printed literally, numbers unwrapped, infinities alike."""

import numpy as np
import pytest

from bayescollapse import RunConfig, Setting, run
from bayescollapse.present.tables import mean_se, new_table, render, summary_table


@pytest.fixture(scope="module")
def collapse():
    # a schedule whose label holds ':100:' (rich would print an emoji) and '[...]'-like text
    settings = (
        Setting(method="mle", scheme="replace", real_fraction="zero", sample_size="power:100:0.5"),
        Setting(
            method="conjugate", scheme="replace", real_fraction="zero", sample_size="power:100:0.5"
        ),
    )
    return run(RunConfig(settings=settings, num_tokens=6, generations=1, replicates=6, seed=4))


def test_labels_print_literally(collapse):
    text = render(summary_table(collapse, generation=-1))
    assert "power:100:0.5" in text and "\N{HUNDRED POINTS SYMBOL}" not in text


def test_numbers_never_wrap_in_a_narrow_table():
    table = new_table("t", ["a very long regime label that must fold", "value"], left=1)
    table.add_row("x " * 40, "0.00123 ± 0.0004")
    text = render(table, width=40)
    assert "0.00123 ± 0.0004" in text  # on one line, whatever the width


def test_infinite_values_read_the_same_everywhere(collapse):
    # the MLE's KL(P* || P) is infinite once a true token is lost: 'inf in k/n' in every table
    assert mean_se(np.array([0.1, np.inf, np.inf])) == "inf in 2/3"
    assert mean_se(np.array([1.0, 2.0, 3.0])) == "2 ± 0.6"
    assert mean_se(np.array([np.nan])) == "-"
    # set two replicates' KL infinite so the table must show it (no luck in the draws)
    ds = collapse.copy(deep=True)
    ds["kl_truth_to_model"][0, :2, -1] = np.inf
    assert "inf in 2/6" in render(summary_table(ds, generation=-1))


def test_divergences_are_summed_over_sampler_runs_not_replicates():
    # a block's count is stored once (dims setting, block, generation), so the table's total
    # is the number of divergent transitions, not that number times the block size
    ds = run(RunConfig(settings=(Setting(),), generations=1, replicates=4, replicate_block=2))
    ds = ds.copy(deep=True)  # variables the run never wrote are read-only views
    ds["divergences"][:] = [[[3.0, 0.0], [1.0, 2.0]]]  # (setting, block, generation)
    text = render(summary_table(ds, generation=-1))
    assert text.splitlines()[-2].rstrip("│ ").endswith("2")  # 0 + 2 at the last generation
    text = render(summary_table(ds, generation=0))
    assert text.splitlines()[-2].rstrip("│ ").endswith("4")  # 3 + 1
