"""The architecture as the issue states it: rooms, no family knowledge in the core, short functions.

The core (``engine/``, ``io/``, ``present/``, ``cli/``, ``theory/``) asks a family through
its protocol and face; it never names a family or a method, nor sniffs a family's dims.
"""

from __future__ import annotations

import ast
from pathlib import Path

import bayescollapse
import bayescollapse.models.examples.poisson  # noqa: F401  (its names count too)
from bayescollapse.models.registry import families, method_names

PACKAGE = Path(bayescollapse.__file__).parent
ROOMS = ("cli", "engine", "io", "metrics", "present", "theory")
CORE = ("cli", "engine", "io", "present", "theory")
#: the inner dims of the shipped families: the core must not test for them
FAMILY_DIMS = {"token", "context", "parameter", "feature", "component"}


def _core_files():
    return sorted(p for room in CORE for p in (PACKAGE / room).rglob("*.py"))


def _string_constants(tree: ast.AST):
    """String constants, except the names of libraries in provenance (``LIBRARIES``)."""
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "LIBRARIES" for t in node.targets
        ):
            skip |= {id(n) for n in ast.walk(node.value)}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            yield node


def test_the_core_is_in_rooms():
    top = sorted(p.name for p in PACKAGE.glob("*.py"))
    assert top == ["__init__.py", "__main__.py", "errors.py"]
    assert all((PACKAGE / room / "__init__.py").is_file() for room in ROOMS)


def test_the_core_names_no_family_or_method_and_sniffs_no_family_dim():
    # a family's name, a method's name or a family's dim in the core would be knowledge
    # that a plug-in family cannot have: the core asks the family instead
    names = set(families()) | set(method_names())
    assert {"dirichlet-categorical", "markov", "gaussian", "poisson", "mle", "pymc"} <= names
    found = [
        f"{path.relative_to(PACKAGE)}:{node.lineno}: {node.value!r}"
        for path in _core_files()
        for node in _string_constants(ast.parse(path.read_text()))
        if node.value in names or node.value in FAMILY_DIMS
    ]
    assert found == []
    # nor quotes a family's name in its text (a docstring's example, a comment)
    import re

    quoted = re.compile("[\"']({})[\"']".format("|".join(map(re.escape, families()))))
    texts = [
        f"{path.relative_to(PACKAGE)}:{n}"
        for path in _core_files()
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if quoted.search(line)
    ]
    assert texts == []


def test_core_functions_are_short():
    # about 80 lines of code at most (the docstring aside): a longer one is several steps
    long = []
    for path in _core_files():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                body = node.body
                if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                    body = body[1:] or body
                if node.end_lineno - body[0].lineno + 1 > 80:
                    long.append(f"{path.relative_to(PACKAGE)}:{node.name}")
    assert long == []


def test_the_example_family_is_outside_the_core():
    # the plug-in family lives in models/examples/ and no module of the package imports it
    def imports(path):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                yield node.module
                yield from (f"{node.module}.{a.name}" for a in node.names)
            elif isinstance(node, ast.Import):
                yield from (a.name for a in node.names)

    users = [
        path
        for root in (PACKAGE, Path(bayescollapse.models.__file__).parent)
        for path in root.rglob("*.py")
        if "examples" not in path.parts
        and any(m.startswith("bayescollapse.models.examples") for m in imports(path))
    ]
    assert users == []


def _contributing() -> str:
    return (PACKAGE.parent / "CONTRIBUTING.md").read_text()


def test_contributing_names_paths_that_exist():
    import re

    root = PACKAGE.parent
    paths = set(
        re.findall(r"`((?:bayescollapse|models|tests)/[\w/.]+?)(?:::\w+)?`", _contributing())
    )
    assert len(paths) > 20
    missing = sorted(p for p in paths if not (root / p).exists())
    assert missing == []


def test_contributing_scheme_example_runs():
    # the guide's example scheme, executed as written, is a setting a run accepts
    import re

    from bayescollapse import RunConfig, Setting, run
    from bayescollapse.engine import schemes

    code = re.search(r"## Add a scheme.*?```python\n(.*?)```", _contributing(), re.S).group(1)
    before = dict(schemes.SCHEMES)
    try:
        exec(code, {})
        ds = run(
            RunConfig(
                settings=(Setting(scheme="last-two", method="mle", sample_size="10"),),
                num_tokens=3,
                generations=2,
                replicates=2,
                seed=1,
            )
        )
        # generation 0 trains on 10 items, later ones on two batches of 10
        totals = ds["train_count"].sum("token").isel(setting=0, replicate=0).values
        assert totals.tolist() == [10, 20, 20]
    finally:
        schemes.SCHEMES.clear()
        schemes.SCHEMES.update(before)


def test_tests_mirror_the_rooms():
    # a test module of a core module sits in the room's test folder (tests/engine/...)
    tests = Path(__file__).parent
    for room in (*CORE, "metrics"):
        modules = {p.stem for p in (PACKAGE / room).glob("*.py") if p.stem != "__init__"}
        stray = [p.name for p in tests.glob("test_*.py") if p.stem.removeprefix("test_") in modules]
        assert stray == [], f"{room}: {stray}"


def test_every_package_folder_is_listed_for_the_wheel():
    # setuptools' explicit package list: a folder left out installs nowhere (the regression
    # family was missing from it until the mixture's issue)
    import tomllib

    root = PACKAGE.parent
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    listed = set(pyproject["tool"]["setuptools"]["packages"])
    folders = {("bayescollapse",): PACKAGE, ("bayescollapse", "models"): root / "models"}
    found = {
        ".".join((*prefix, *p.parent.relative_to(base).parts))
        for prefix, base in folders.items()
        for p in base.rglob("__init__.py")
    }
    assert found - listed == set()


def test_both_packages_ship_a_py_typed_marker():
    # PEP 561: type checkers read our annotations only from a package with py.typed, and
    # only if the wheel carries it (package-data)
    import tomllib

    root = PACKAGE.parent
    data = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    for name, folder in (("bayescollapse", PACKAGE), ("bayescollapse.models", root / "models")):
        assert (folder / "py.typed").is_file(), folder
        assert "py.typed" in data["package-data"][name]
