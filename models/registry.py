"""The registry of model families and fitting methods: the package's extension point.

A *method* is a name (``--method``) bound, per family, to a factory of
:class:`~bayescollapse.models.protocols.Fitter` objects. The built-in methods (``mle``,
``conjugate``, ``pymc``, ...) are registered here like any user's, so a user's method is
a first-class citizen: settings, the CLI, TOML files and the saved results name it.

Register from Python before building a run::

    from bayescollapse.models.registry import register_method, register_pymc_model

    register_method("dirichlet-categorical", "add-one", AddOneFitter.factory, bayesian=False)
    register_pymc_model("dirichlet-categorical", "logistic-normal", build_logistic_normal)

or ship the calls in a module and name it: ``RunConfig(plugins=("my_module",))``, the
TOML key ``plugins = ["my_module"]`` or the CLI flag ``--plugin my_module`` import it
first (and the results record it, so the run can be reproduced). Installed packages may
also declare modules under the entry-point group ``bayescollapse.plugins``; they are
imported the first time a method is looked up.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points

from bayescollapse.models.protocols import Family, FitterFactory

__all__ = [
    "ENTRY_POINT_GROUP",
    "FAMILIES",
    "Method",
    "families",
    "get_method",
    "is_bayesian",
    "load_plugins",
    "make_fitter",
    "method_names",
    "register_family",
    "register_method",
    "register_pymc_model",
]

ENTRY_POINT_GROUP = "bayescollapse.plugins"

#: family name -> family class
FAMILIES: dict[str, type] = {}
_METHODS: dict[str, dict[str, Method]] = {}
_entry_points_loaded = False


@dataclass(frozen=True)
class Method:
    """A registered way of fitting a family.

    Attributes
    ----------
    name, family : str
        The method's and the family's names.
    factory : callable
        ``factory(family, replicates) -> Fitter``, called once per run and block size.
    bayesian : bool
        Whether its fits are posteriors (synthetic modes, priors and calibration apply).
    carry : bool
        Whether ``prior_update='carry'`` is defined (its posterior is in its prior's family).
    description : str
        One line for ``--help`` and the docs.
    sampled : bool
        Whether its fitter samples (a PyMC model): its ``fit`` then takes ``diagnose``
        (False at the generations the ``diagnostics_every`` schedule skips), and the
        memory estimate counts its draws.
    """

    name: str
    family: str
    factory: FitterFactory
    bayesian: bool
    carry: bool
    description: str = ""
    sampled: bool = False


def register_family(cls: type) -> type:
    """Register a family class under its ``name`` (usable as a class decorator)."""
    FAMILIES[cls.name] = cls
    _METHODS.setdefault(cls.name, {})
    return cls


def register_method(
    family: str,
    name: str,
    factory: FitterFactory,
    *,
    bayesian: bool,
    carry: bool | None = None,
    description: str = "",
    replace: bool = False,
    sampled: bool = False,
) -> Method:
    """Register ``factory`` as method ``name`` of ``family``.

    Parameters
    ----------
    family : str
        A registered family's name (``dirichlet-categorical``, ``markov``, ``gaussian``).
    name : str
        The method's name, as settings, TOML and ``--method`` give it.
    factory : callable
        ``factory(family, replicates) -> Fitter``; see
        :class:`~bayescollapse.models.protocols.Fitter`.
    bayesian : bool
        Whether the fits are posteriors. A name used by several families must agree.
    carry : bool, optional
        Whether ``prior_update='carry'`` is defined; by default as ``bayesian``.
    description : str
        One line describing the method.
    replace : bool
        Allow replacing an existing registration of the same name.
    sampled : bool
        Whether the fitter samples and takes ``diagnose`` (see :class:`Method`).

    Raises
    ------
    ValueError
        On an unknown family, a bad name, a name taken (without ``replace``), or a
        ``bayesian`` flag that differs from the same name's in another family.
    """
    if family not in FAMILIES:
        raise ValueError(f"family {family!r} is not one of {', '.join(FAMILIES)}")
    if not name or not isinstance(name, str) or name != name.strip() or " " in name:
        raise ValueError(f"method name {name!r} must be a non-empty word without spaces")
    if name in _METHODS[family] and not replace:
        raise ValueError(f"method {name!r} is already registered for {family!r}; pass replace=True")
    for other, methods in _METHODS.items():
        if other != family and name in methods and methods[name].bayesian != bayesian:
            raise ValueError(
                f"method {name!r} is {'not ' if bayesian else ''}Bayesian for {other!r}; "
                "one name must mean one kind of fit"
            )
    method = Method(
        name,
        family,
        factory,
        bool(bayesian),
        bool(bayesian if carry is None else carry),
        description,
        bool(sampled),
    )
    _METHODS[family][name] = method
    return method


def register_pymc_model(
    family: str,
    name: str,
    build: Callable | str,
    *,
    complete: Callable | str | None = None,
    carry: bool = False,
    retune: int = 100,
    description: str = "",
    replace: bool = False,
) -> Method:
    """Register a PyMC model as method ``name`` of ``family``.

    The model is compiled once per block size with nutpie and refitted every generation
    with the generation's data, like the built-in ``pymc`` path; its synthetic data come
    from its own posterior draws, and its diagnostics and calibration are recorded like
    any other fit's (see :class:`~bayescollapse.models.pymc_fit.PyMCModelFitter`).

    Parameters
    ----------
    family : str
        A family that satisfies :class:`~bayescollapse.models.protocols.PyMCFamily`.
    name : str
        The method's name.
    build : callable or str
        ``build(family, replicates) -> pymc.Model``: coords from
        ``family.pymc_coords(replicates)``, data as ``pm.Data`` named as in
        ``family.pymc_data`` (declare the ones used), the variables
        ``family.pymc_variables`` sampled or deterministic. A ``"module:function"``
        string is imported when first used (so registering does not import PyMC).
        Name auxiliary variables with a leading ``_`` to leave them out of the kept
        posterior.
    complete : callable or str, optional
        For a model that integrates variables out (a collapsed model, sampled faster and
        without funnels): ``complete(posterior, data, rng) -> posterior`` adds them to
        every draw from their exact conditional. ``posterior`` is the draws' Dataset,
        ``data`` the ``pm.Data`` values of the generation, ``rng`` the cell's stream (so
        runs stay reproducible). Example: ``markov.pymc_models.draw_rows`` of
        ``pymc-hierarchical``. A string is imported when first used, like ``build``.
    carry : bool
        Whether ``prior_update='carry'`` is defined: the model reads the family's prior
        as data and its posterior is in the prior's family.
    retune : int
        The NUTS tuning steps a generation that carries the previous one's adaptation
        needs (a run's ``retune`` setting overrides it): 100 suits posteriors close to
        Gaussian; a hierarchical model whose metric 100 steps cannot re-estimate asks
        for more (measure with ``adaptation='fresh'`` as the reference).
    description : str
        One line describing the model.
    replace : bool
        Allow replacing an existing registration.
    """
    if not (isinstance(retune, int) and retune >= 1):
        raise ValueError(f"retune must be an integer >= 1, got {retune!r}")

    def factory(fam: Family, replicates: int):
        from bayescollapse.models.pymc_fit import PyMCModelFitter

        return PyMCModelFitter(
            fam,
            replicates,
            _resolve(build),
            complete=complete and _resolve(complete),
            retune=retune,
        )

    factory.build = build  # for introspection
    factory.complete = complete
    return register_method(
        family,
        name,
        factory,
        bayesian=True,
        carry=carry,
        description=description or "a PyMC model sampled with NUTS (nutpie)",
        replace=replace,
        sampled=True,
    )


def diagnosed_variables(family, method: str, replicates: int) -> tuple[str, ...]:
    """Return the variables whose R-hat and ESS a sampled method's diagnostics cover.

    The family's own sampled variables, then every other free or deterministic variable of
    the method's PyMC model whose name does not start with ``_`` (hyperparameters and a
    plug-in's own), as :func:`bayescollapse.metrics.sampler.nuts_diagnostics` sees them.
    The model is built (not compiled) to read them. Empty for a method that does not sample.
    """
    entry = get_method(family.name, method)
    build = getattr(entry.factory, "build", None)
    if not entry.sampled or build is None:
        return ()
    model = _resolve(build)(family, replicates)
    names = [v.name for v in (*model.free_RVs, *model.deterministics)]
    own = tuple(family.pymc_variables)
    return own + tuple(n for n in names if not n.startswith("_") and n not in own)


def _resolve(build: Callable | str) -> Callable:
    if callable(build):
        return build
    module, _, attr = build.partition(":")
    return getattr(importlib.import_module(module), attr)


def load_plugins(modules=()) -> None:
    """Import plugin modules (which register methods), and the entry points once.

    A plug-in is code: it is imported by its absolute name from the installed packages
    and the import path, never from the current folder (a results file or a study that
    names ``evilmod`` does not run an ``./evilmod.py`` lying beside it).

    Raises
    ------
    ValueError
        If a name is not an absolute module name, or the module cannot be imported.
    """
    global _entry_points_loaded
    if isinstance(modules, str):  # one module named alone
        modules = (modules,)
    if not _entry_points_loaded:
        _entry_points_loaded = True
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            ep.load()
    for module in modules:
        if not isinstance(module, str) or not _MODULE_NAME.match(module):
            raise ValueError(
                f"plugin {module!r} is not an absolute module name (such as my_package.methods)"
            )
        if module in sys.modules:
            continue
        try:
            with _without_current_folder():
                importlib.import_module(module)
        except ImportError as err:
            raise ValueError(f"plugin module {module!r} cannot be imported ({err})") from None


#: an absolute dotted module name
_MODULE_NAME = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)*$")


@contextlib.contextmanager
def _without_current_folder():
    """Leave the current folder (``''`` or its path) off ``sys.path`` for a block."""
    here = {"", ".", os.getcwd()}
    kept = list(sys.path)
    sys.path[:] = [p for p in kept if p not in here]
    try:
        yield
    finally:
        sys.path[:] = kept


def families() -> dict[str, type]:
    """Return the registered family classes by name."""
    return dict(FAMILIES)


def method_names(family: str | None = None) -> tuple[str, ...]:
    """Names of the methods of ``family`` (of every family when None), in registration order."""
    load_plugins()
    if family is not None:
        return tuple(_METHODS.get(family, {}))
    return tuple(dict.fromkeys(m for methods in _METHODS.values() for m in methods))


def get_method(family: str, name: str) -> Method:
    """Return the method ``name`` of ``family``.

    Raises
    ------
    ValueError
        Naming the method and the family's methods.
    """
    load_plugins()
    try:
        return _METHODS[family][name]
    except KeyError:
        raise ValueError(
            f"method {name!r} does not fit model {family!r}; use one of "
            f"{', '.join(method_names(family))}"
        ) from None


def is_bayesian(name: str) -> bool:
    """Whether method ``name`` fits posteriors (the one place that decides it).

    Raises
    ------
    ValueError
        If no family has a method of that name.
    """
    load_plugins()
    for methods in _METHODS.values():
        if name in methods:
            return methods[name].bayesian
    raise ValueError(f"method {name!r} is not one of {', '.join(method_names())}")


def make_fitter(family: Family, name: str, replicates: int):
    """Return a fitter of method ``name`` for ``family``, set up for blocks of ``replicates``."""
    return get_method(family.name, name).factory(family, replicates)
