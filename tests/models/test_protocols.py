"""The seams: every shipped family and fit satisfies its protocol; no import circle."""

import ast
from pathlib import Path

import numpy as np
import pytest

import bayescollapse
from bayescollapse.models import REGISTRY, DirichletCategorical, Gaussian, MarkovLM
from bayescollapse.models.examples.poisson import Poisson, PoissonStats
from bayescollapse.models.gaussian.family import GaussianStats
from bayescollapse.models.mixture.family import GaussianMixture
from bayescollapse.models.protocols import (
    Family,
    Fit,
    Fitter,
    GaussianFit,
    GaussianPosterior,
    PosteriorFit,
    ProbabilityFit,
    ProbabilityPosterior,
    PyMCFamily,
)
from bayescollapse.models.registry import get_method, make_fitter, method_names

FAMILIES = [DirichletCategorical(3), MarkovLM(3), Gaussian(), Poisson(), GaussianMixture()]


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_families_satisfy_the_protocols(family):
    assert isinstance(family, Family) and isinstance(family, PyMCFamily)
    assert REGISTRY[family.name] is type(family)
    for name in family.pymc_prior_data:
        assert name in family.pymc_data_names


def _data(family, rng):
    if isinstance(family, Gaussian):
        return GaussianStats.of_normal(0.0, 1.0, np.array([20, 30]), rng=rng)
    if isinstance(family, Poisson):
        return PoissonStats(np.array([20.0, 30.0]), np.array([55.0, 91.0]))
    truth = family.make_truth(family.default_truth)
    return family.sample_truth(truth, np.array([20, 30]), rng=rng)


@pytest.mark.parametrize("family", FAMILIES, ids=lambda f: f.name)
def test_exact_fits_satisfy_the_protocols(family, rng):
    data = _data(family, rng)
    shape, posterior = {
        "gaussian": (GaussianFit, GaussianPosterior),
        "poisson": (Fit, PosteriorFit),
        "gaussian-mixture": (Fit, PosteriorFit),
    }.get(family.name, (ProbabilityFit, ProbabilityPosterior))
    for method in method_names(family.name):
        if get_method(family.name, method).sampled:
            continue  # PyMC models: tests/models/test_*_pymc.py and test_user_models.py
        fitter = make_fitter(family, method, 2)
        assert isinstance(fitter, Fitter)
        fit = fitter.fit(data, prior=family.initial_prior(2), rng=rng)
        assert isinstance(fit, Fit) and isinstance(fit, shape)
        assert fit.bayesian == get_method(family.name, method).bayesian
        assert isinstance(fit, PosteriorFit) == fit.bayesian
        assert isinstance(fit, posterior) == fit.bayesian


def _imports(path: Path) -> set[str]:
    """Modules of the package that ``path`` imports anywhere (top level or in functions)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        out |= {n for n in names if n.startswith("bayescollapse")}
    return out


def test_no_import_circle():
    # law: the package's module graph (every import, lazy ones included) is acyclic
    roots = {
        "bayescollapse": Path(bayescollapse.__file__).parent,
        "bayescollapse.models": Path(bayescollapse.models.__file__).parent,
    }
    modules = {}
    for prefix, root in roots.items():
        for path in root.rglob("*.py"):
            rel = path.relative_to(root).with_suffix("")
            parts = [p for p in rel.parts if p != "__init__"]
            name = ".".join([prefix, *parts]) if parts else prefix
            if prefix == "bayescollapse" and parts[:1] == ["models"]:
                continue
            modules[name] = path
    # an edge to a module's own parent package is Python's package machinery, not a circle
    graph = {
        name: {
            m for m in _imports(path) if m in modules and m != name and not name.startswith(m + ".")
        }
        for name, path in modules.items()
    }
    state: dict[str, int] = {}

    def visit(node, stack):
        state[node] = 1
        for nxt in graph[node]:
            if state.get(nxt) == 1:
                raise AssertionError(" -> ".join([*stack, node, nxt]))
            if nxt not in state:
                visit(nxt, [*stack, node])
        state[node] = 2

    for name in graph:
        if name not in state:
            visit(name, [])


def test_the_loop_knows_families_only_through_the_protocols():
    loop = Path(bayescollapse.__file__).parent / "engine" / "loop.py"
    models = {m for m in _imports(loop) if m.startswith("bayescollapse.models")}
    assert models <= {
        "bayescollapse.models.protocols",
        "bayescollapse.models.protocols.Family",
        "bayescollapse.models.protocols.Fitter",
        "bayescollapse.models.registry",
        "bayescollapse.models.registry.get_method",
        "bayescollapse.models.registry.make_fitter",
    }
