"""ArviZ whole: every function a PyMC user reaches for runs on every kept node as it is.

One small run per family keeps generations 0 and 1 of each Bayesian method, in two
replicate blocks (so a node is one sampler run). Each ArviZ and arviz-plots call below
failed on the old layout: ``plot_energy`` on a ``block`` dim in ``sample_stats``,
``plot_ppc_pit`` on observations in two dims, ``loo``/``compare``/``plot_loo_pit`` on a
missing ``log_likelihood`` group, ``loo`` on a cell whose log-likelihood never varies.
"""

import arviz as az
import arviz_plots as azp
import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy import stats

from bayescollapse import RunConfig
from bayescollapse.io.posteriors import posterior_node, run_tree, wide
from bayescollapse.models.registry import get_method, method_names

POISSON = "bayescollapse.models.examples.poisson"
#: family -> its model options (small: the ranks and forests stay under ArviZ's 40 plots)
FAMILIES = {
    "dirichlet-categorical": {"num_tokens": 4},
    "markov": {"num_tokens": 2, "sequence_length": 10},
    "gaussian": {},
    "poisson": {"plugins": [POISSON]},
    "linear-regression": {"dim": 3},
    "gaussian-mixture": {},
}
STATISTICS = {
    "summary": lambda n: az.summary(n),
    "ess": lambda n: az.ess(n),
    "rhat": lambda n: az.rhat(n),
    "mcse": lambda n: az.mcse(n),
    "hdi": lambda n: az.hdi(n),
    "loo": lambda n: az.loo(n),
    "compare": lambda n: az.compare({"a": n, "b": n}),
}
PLOTS = {
    "plot_trace_dist": lambda n: azp.plot_trace_dist(n),
    "plot_rank": lambda n: azp.plot_rank(n),
    "plot_forest": lambda n: azp.plot_forest(n),
    "plot_ppc_dist": lambda n: azp.plot_ppc_dist(n),
    "plot_ppc_pit": lambda n: azp.plot_ppc_pit(n),
    "plot_loo_pit": lambda n: azp.plot_loo_pit(n),
}
#: calls that read a sampler's statistics (energy): exact draws have none
SAMPLER = {"bfmi": lambda n: az.bfmi(n), "plot_energy": lambda n: azp.plot_energy(n)}


def bayesian_methods(model: str) -> list[str]:
    return [m for m in method_names(model) if get_method(model, m).bayesian]


@pytest.fixture(scope="module")
def trees():
    from bayescollapse.models.registry import load_plugins

    load_plugins([POISSON])
    out = {}
    for model, options in FAMILIES.items():
        settings = [
            {"method": m, "real_fraction": "0.5", "sample_size": "40"}
            for m in bayesian_methods(model)
        ]
        cfg = RunConfig.from_dict(
            {
                "model": model,
                "settings": settings,
                "generations": 1,
                "replicates": 2,
                "replicate_block": 1,
                "seed": 5,
                "keep_posteriors": "all",
                "draws": 100,
                "tune": 200,
                "chains": 2,
                **options,
            }
        )
        out[model] = run_tree(cfg)
    return out


CASES = [(model, m) for model in FAMILIES for m in ("conjugate", "pymc")] + [
    ("markov", "pymc-hierarchical")
]
CASES.remove(("linear-regression", "pymc"))  # not yet: conjugate only
CASES[CASES.index(("gaussian-mixture", "conjugate"))] = ("gaussian-mixture", "complete-data")


@pytest.mark.filterwarnings("ignore")  # ArviZ's warnings on 100 draws (ESS, Pareto k)
@pytest.mark.parametrize(("model", "method"), CASES)
def test_every_arviz_call_runs_on_every_kept_node(trees, model, method):
    tree = trees[model]
    setting = bayesian_methods(model).index(method)
    for generation in (0, 1):
        for block in (0, 1):
            node = posterior_node(tree, setting, generation, block)
            sampled = get_method(model, method).sampled
            assert ("sample_stats" in node.children) == sampled
            calls = {**STATISTICS, **PLOTS, **(SAMPLER if sampled else {})}
            for name, call in calls.items():
                try:
                    call(node)
                except Exception as err:  # name the call that failed
                    pytest.fail(f"{name} on {node.path}: {type(err).__name__}: {err}")
                finally:
                    plt.close("all")


def test_a_node_is_one_sampler_run_and_its_replicates(trees):
    tree = trees["dirichlet-categorical"]
    node = posterior_node(tree, "mixture a=0.5 n=40 pymc ancestral", 1, block=1)
    assert node.attrs["block"] == 1
    assert dict(node["sample_stats"].sizes) == {"chain": 2, "draw": 100}
    assert node["posterior"]["replicate"].values.tolist() == [1]  # replicate r in block r
    with pytest.raises(KeyError, match="2 replicate blocks; pass block="):
        posterior_node(tree, 0, 1)


def test_observations_lie_in_one_dim_and_unstack_to_the_training_counts(trees):
    tree = trees["markov"]
    results = tree["results"].to_dataset()
    node = posterior_node(tree, 0, 0, block=1)
    observed = node["observed_data"]
    assert observed["counts"].dims == ("counts_obs",)
    assert set(observed.coords) == {"counts_obs", "replicate", "context", "token"}
    counts = wide(observed)["counts"].sel(replicate=1)
    train = results["train_count"].isel(setting=0, generation=0).sel(replicate=1)
    visited = train.sum("token") > 0
    np.testing.assert_array_equal(counts.sel(context=visited), train.sel(context=visited))
    assert observed.sizes["counts_obs"] == 2 * int(visited.sum())  # unvisited rows left out


def test_log_likelihood_of_counts_is_each_cells_binomial(trees):
    # law: given theta, token k's count is Binomial(n, theta_k); pinned at one draw
    node = posterior_node(trees["dirichlet-categorical"], 0, 0, block=0)
    theta = node["posterior"]["theta"].isel(chain=1, draw=7, replicate=0).values
    counts = node["observed_data"]["counts"].values
    expected = stats.binom.logpmf(counts, counts.sum(), theta)
    got = node["log_likelihood"]["counts"].isel(chain=1, draw=7).values
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_gaussian_log_likelihood_is_each_points_normal_density(trees):
    tree = trees["gaussian"]
    results = tree["results"].to_dataset()
    node = posterior_node(tree, 0, 1, block=0)
    x = node["observed_data"]["x"].values
    mu = node["posterior"]["mu"].isel(chain=0, draw=3, replicate=0).item()
    sigma = node["posterior"]["sigma"].isel(chain=0, draw=3, replicate=0).item()
    assert x.size == int(results["sample_size"].isel(setting=0, generation=1))
    got = node["log_likelihood"]["x"].isel(chain=0, draw=3).values
    np.testing.assert_allclose(got, stats.norm.logpdf(x, mu, sigma), rtol=1e-12)
