"""Run configuration: frozen dataclasses that the CLI flags and TOML files map onto.

A run has one model family, one truth and a tuple of *settings*; a setting is one cell
of the study (scheme, schedules, fitting method, synthetic mode, prior update). The
whole configuration is stored as JSON in the results, and :meth:`RunConfig.from_dict`
reads it back.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import sys
import unicodedata
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import numpy as np

from bayescollapse.engine.records import recorded_config
from bayescollapse.engine.schedules import (
    Schedule,
    kept_generations,
    real_fraction_values,
    real_weight_values,
    sample_size_values,
)
from bayescollapse.engine.schemes import REAL_SOURCES, SCHEMES
from bayescollapse.engine.validation import conform_fields
from bayescollapse.io.node_names import node_name
from bayescollapse.models import DEFAULT_METHOD, DEFAULT_MODEL, LEGACY_FLAT_KEYS, REGISTRY
from bayescollapse.models.curation import Curation
from bayescollapse.models.decoding import DECODERS, Decoding
from bayescollapse.models.params import param
from bayescollapse.models.probability_fits import SYNTHETIC_MODES
from bayescollapse.models.registry import get_method, is_bayesian, load_plugins
from bayescollapse.models.sampling import SamplerSettings

__all__ = [
    "PRIOR_UPDATES",
    "RunConfig",
    "Setting",
    "cross_settings",
    "kept_generations",
    "make_setting",
    "node_name",
    "prior_fields",
    "settings_grid",
]

PRIOR_UPDATES = ("refit", "carry")
#: Setting fields that are schedule specs: a number is taken as a constant schedule
_SCHEDULE_FIELDS = frozenset({"real_fraction", "sample_size", "real_weight"})
#: the most generations a run takes (its schedules alone are arrays of that length)
MAX_GENERATIONS = 10_000_000
#: seeds are recorded as 64-bit signed integers (NetCDF attributes)
SEED_LIMIT = 2**63
#: fields of a Setting that shape only its synthetic data, its weights and its real pool,
#: at their plain-loop values: settings that differ in them alone share every random stream
#: (see Setting.stream_key_text); at these values they leave a setting's key (and so its
#: draws) as before they existed, and the loop is the plain one the closed forms of
#: bayescollapse.theory.closed_forms describe
PLAIN_LOOP = {
    "temperature": 1.0,
    "top_k": 0,
    "top_p": 1.0,
    "variance_scale": 1.0,
    "real_weight": "none",
    "real_data": "fresh",
    "decoders": (),
    "curation": "none",
    "reward": "",
}


def _check_label(name: str) -> None:
    """Refuse a setting name that cannot name a stored node (kept posteriors), in one line."""
    node = node_name(name)
    if (
        not node.strip()
        or node in (".", "..")
        or node.startswith("__")
        or any(unicodedata.category(c) == "Cc" for c in node)
    ):
        raise ValueError(
            f"setting name {name!r} cannot name a stored group: not empty, '.' or '..', no "
            "leading '__' and no control characters"
        )


def _spec(name: str, text: str) -> str:
    """Return a schedule's canonical spec, or a one-line ValueError naming its field."""
    try:
        return Schedule.parse(text).spec
    except ValueError as err:
        raise ValueError(f"{name} {text!r}: {err}") from None


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} {value!r} is not one of {', '.join(allowed)}")


def check_methods(model: str, tables) -> None:
    """Refuse, naming ``model``'s methods, a setting table (or axis table) naming another.

    A ``Setting`` alone cannot know its model, so it checks a method against every
    family's; a configuration can, and says only what fits its model.
    """
    for table in tables:
        if not isinstance(table, dict) or "method" not in table:
            continue
        names = table["method"]
        names = [names] if isinstance(names, str) else names
        for name in names if isinstance(names, list | tuple) else ():
            if isinstance(name, str):  # another type: the Setting names it
                get_method(model, name)


def prior_fields() -> tuple[str, ...]:
    """Return the registered families' prior parameters, which a setting may override.

    Asked of the registry each time: a family a plug-in registers later has its own.
    """
    return tuple(dict.fromkeys(f for family in REGISTRY.values() for f in family.prior_fields))


def _prior_short() -> dict[str, str]:
    """Short names of the prior parameters in setting labels (each family's ``prior_labels``)."""
    return {k: v for family in REGISTRY.values() for k, v in family.prior_labels.items()}


def _prior_types() -> dict[str, type]:
    """Each registered prior parameter's type, as its family's parameters annotate it."""
    import typing

    out: dict[str, type] = {}
    for family in REGISTRY.values():
        hints = typing.get_type_hints(family.params)
        out.update({name: hints[name] for name in family.prior_fields})
    return out


def _prior_items(value) -> tuple[tuple[str, float | str], ...]:
    """Normalise a setting's prior overrides to sorted ``(name, value)`` pairs.

    A prior parameter annotated ``str`` takes a string; any other a finite number.
    """
    items = dict(value or {})
    out = []
    kinds = _prior_types()
    for name, v in sorted(items.items()):
        if name not in kinds:
            raise ValueError(f"prior parameter {name!r} is not one of {', '.join(kinds)}")
        if kinds[name] is str:
            if not isinstance(v, str):
                raise ValueError(f"{name} must be a string, got {v!r}")
        elif isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            raise ValueError(f"{name} {v!r} is not a finite number")
        out.append((name, v if kinds[name] is str else float(v)))
    return tuple(out)


@dataclass(frozen=True)
class Setting:
    """One cell of a study.

    Parameters
    ----------
    scheme : str
        How a training set is formed: ``mixture`` (the paper), ``replace`` (synthetic
        only), ``accumulate`` (every batch so far) or ``accumulate-subsample``
        (a subsample of size ``n_t`` of the accumulated pool).
    real_fraction : str
        Schedule spec of ``alpha_t`` (see :mod:`bayescollapse.engine.schedules`).
    sample_size : str
        Schedule spec of ``n_t``.
    method : str
        ``mle``, ``conjugate`` or ``pymc``, another built-in method of the family, or a
        method registered with :mod:`bayescollapse.models.registry`.
    synthetic : str
        How synthetic data are drawn from a Bayesian fit: ``ancestral``, ``predictive`` or
        ``plugin`` (always ``plugin`` for point estimates).
    prior_update : str
        ``refit`` (same prior every generation) or ``carry`` (last posterior is the prior).
    temperature, top_k, top_p : float, int, float
        How the synthetic data are decoded from the categorical and Markov fits (see
        :mod:`bayescollapse.models.decoding`): temperature ``> 0`` (1: plain), top-k
        (0: off), top-p in (0, 1] (1: off).
    variance_scale : float
        The Gaussian analogue of a temperature: synthetic points are drawn with variance
        ``variance_scale * sigma^2`` (1: plain).
    real_weight : str
        ``none`` (every item counts once), or the schedule of the weight ``w_t`` of the
        real items in a refit: each real item counts ``w_t`` and each synthetic item
        ``1 - w_t``, scaled so that the larger weight is 1 (see
        :mod:`bayescollapse.engine.schemes`). ``mixture`` scheme only; generation 0 (real data
        alone) is never weighted.
    real_data : str
        ``fresh`` (new draws from the truth every generation), ``fixed`` (a pool drawn
        once, generation 0's real data, from which each generation's real items are
        drawn without replacement: the same corpus again) or ``resampled`` (drawn from
        that pool with replacement). Categorical and Gaussian models (the Gaussian pool
        is kept as points); the Markov model refuses it.
    prior_params : dict or tuple of (name, value) pairs
        The setting's own values of the model's prior parameters (for example
        ``{"prior_concentration": 0.1}``, or ``{"prior": "jeffreys"}`` for the Gaussian
        model), overriding the run's; so a prior is a setting axis. Empty: the run's.
        Point estimates (``mle``, ``unbiased``, ...) have no prior; theirs is always empty.
    group : str
        The regime this setting belongs to (plots put one regime per panel); by default
        its scheme and schedules.
    name : str
        Label, unique in a run; by default the group, method, synthetic mode and prior.

    Notes
    -----
    Settings with the same scheme and schedules (the same :meth:`data_key_text`) draw
    the same real data in every generation and replicate, whatever their method, synthetic
    mode or prior: comparisons between them are paired (common random numbers).
    """

    scheme: str = param(
        "mixture", "how a training set is formed", choices=lambda: tuple(SCHEMES), axis=True
    )
    real_fraction: str = param(
        "0.1",
        "alpha_t schedule: 0.1 | zero | power:A0:-BETA | geometric:A0:R | list:..",
        aliases=("alpha",),
        metavar="SPEC",
        axis=True,
    )
    sample_size: str = param(
        "1000",
        "n_t schedule: 1000 | power:N0:GAMMA | geometric:N0:R | list:..",
        metavar="SPEC",
        axis=True,
    )
    method: str = param(DEFAULT_METHOD, "fitting method", axis=True)
    synthetic: str = param(
        "ancestral",
        "how a Bayesian fit writes synthetic data",
        choices=SYNTHETIC_MODES,
        axis=True,
    )
    prior_update: str = param(
        "refit",
        "refit (the same prior) or carry (the posterior is the next prior)",
        choices=PRIOR_UPDATES,
        axis=True,
    )
    prior_params: tuple = param((), "the setting's own prior parameters", cli=False)
    temperature: float = param(1.0, "decoding temperature > 0", axis=True)
    top_k: int = param(0, "keep the k most probable tokens (0: off)", axis=True)
    top_p: float = param(1.0, "nucleus: the smallest set of mass >= p (1: off)", axis=True)
    variance_scale: float = param(1.0, "draw synthetic points with variance c sigma^2", axis=True)
    real_weight: str = param(
        "none",
        "weight w_t of the real items in a refit (mixture): none | 0.618 | a schedule",
        metavar="SPEC",
        axis=True,
    )
    decoders: tuple = param(
        (), "decoding rules a plug-in registered, as (name, value) pairs", cli=False
    )
    real_data: str = param(
        "fresh",
        "where the real data come from: fresh draws, a fixed pool reused, or the pool resampled",
        choices=lambda: tuple(REAL_SOURCES),
        axis=True,
    )
    curation: str = param(
        "none",
        "keep synthetic items by a reward: none | best-of:K | bradley-terry:K:BETA | filter",
        metavar="RULE",
        axis=True,
    )
    reward: str = param(
        "",
        "the reward curation uses (categorical: rank | truth | top:M | values:R1,R2,... | "
        "file:PATH; default rank)",
        metavar="SPEC",
        axis=True,
    )
    group: str = param("", "the regime (a figure's panel)", cli=False)
    name: str = param("", "the setting's label", cli=False)

    def __post_init__(self) -> None:
        conform_fields(self, numbers_as_text=_SCHEDULE_FIELDS)
        load_plugins()  # the entry points' schemes and sources, before they are checked
        _one_of("scheme", self.scheme, tuple(SCHEMES))
        is_bayesian(self.method)  # a registered method
        _one_of("synthetic mode", self.synthetic, SYNTHETIC_MODES)
        _one_of("prior_update", self.prior_update, PRIOR_UPDATES)
        _one_of("real_data", self.real_data, tuple(REAL_SOURCES))
        decoding = self.decoding
        for name in ("temperature", "top_k", "top_p", "variance_scale"):
            object.__setattr__(self, name, getattr(decoding, name))
        object.__setattr__(self, "decoders", decoding.extra)
        if not isinstance(self.real_weight, str):
            object.__setattr__(self, "real_weight", str(self.real_weight))
        if self.real_weight != "none":
            weight = _spec("real_weight", self.real_weight)  # its values: RunConfig checks
            object.__setattr__(self, "real_weight", weight)
            if not SCHEMES[self.scheme].weighted:
                allowed = ", ".join(repr(n) for n, rule in SCHEMES.items() if rule.weighted)
                raise ValueError(
                    f"real_weight {weight!r} needs scheme {allowed} (weighted refits of the "
                    f"real and synthetic parts of each generation), not {self.scheme!r}"
                )
        curation = Curation.parse(self.curation)  # one line naming a bad rule
        object.__setattr__(self, "curation", curation.spec)
        if not isinstance(self.reward, str):
            raise ValueError(f"reward {self.reward!r} must be a text spec such as 'rank'")
        if curation.plain:  # nothing is curated: the reward means nothing (nor differs)
            object.__setattr__(self, "reward", "")
        object.__setattr__(self, "real_fraction", _spec("real_fraction", self.real_fraction))
        object.__setattr__(self, "sample_size", _spec("sample_size", self.sample_size))
        object.__setattr__(self, "prior_params", _prior_items(self.prior_params))
        if not self.bayesian:  # a point estimate: no prior, every draw is a plug-in
            if self.prior_update == "carry":
                raise ValueError(
                    f"prior_update 'carry' needs a Bayesian method, not {self.method!r}"
                )
            object.__setattr__(self, "synthetic", "plugin")
            object.__setattr__(self, "prior_params", ())  # crossed prior axes collapse
        if not SCHEMES[self.scheme].real and self.real_fraction != "zero":
            raise ValueError(
                f"scheme {self.scheme!r} trains on synthetic data only; real_fraction must be "
                f"'zero', got {self.real_fraction!r} (use scheme 'mixture' to mix in real data)"
            )
        if not self.group:
            group = f"{self.scheme} a={self.real_fraction} n={self.sample_size}"
            object.__setattr__(self, "group", group)
        if not self.name:
            object.__setattr__(self, "name", f"{self.group} {self.fit_label}")
        _check_label(self.name)

    @property
    def bayesian(self) -> bool:
        """Whether the setting fits a posterior (as its method was registered)."""
        return is_bayesian(self.method)

    @property
    def prior_label(self) -> str:
        """The setting's own prior parameters, e.g. ``a0=0.1``; empty for the run's."""
        short = _prior_short()
        return " ".join(
            f"{short[k]}={v if isinstance(v, str) else format(v, 'g')}"
            for k, v in self.prior_params
        )

    @property
    def decoding(self) -> Decoding:
        """How the setting's synthetic data are decoded."""
        return Decoding(
            self.temperature, self.top_k, self.top_p, self.variance_scale, self.decoders
        )

    @property
    def fit_label(self) -> str:
        """How the setting fits and draws, e.g. ``pymc ancestral a0=0.1`` (legend entries).

        Decoding, weights and a fixed real pool are named when not plain, e.g.
        ``mle top-k=10 w=0.6 real=fixed``.
        """
        parts = [self.method]
        if self.bayesian:
            parts.append(self.synthetic)
            if self.prior_update != "refit":
                parts.append(f"prior={self.prior_update}")
            if self.prior_params:
                parts.append(self.prior_label)
        if self.decoding.label:
            parts.append(self.decoding.label)
        if self.real_weight != "none":
            parts.append(f"w={self.real_weight}")
        if self.real_data != "fresh":
            parts.append(f"real={self.real_data}")
        if self.curation != "none":
            parts.append(f"{self.curation} r={self.reward}" if self.reward else self.curation)
        return " ".join(parts)

    def data_key_text(self) -> str:
        """Canonical text of the real data the setting sees: its scheme and schedules.

        Settings with the same data key share the real-data stream (common random numbers).
        """
        keys = ("scheme", "real_fraction", "sample_size")
        return json.dumps({k: getattr(self, k) for k in keys}, sort_keys=True)

    def key_text(self) -> str:
        """Canonical text of what the setting computes (not its labels): its identity.

        Fields added after a setting's first release (decoding, weights, real pool) appear
        only when they differ from their defaults.
        """
        d = asdict(self)
        d.pop("name")
        d.pop("group")
        for name, default in PLAIN_LOOP.items():
            if d[name] == default:
                d.pop(name)
        return json.dumps(d, sort_keys=True)

    def stream_key_text(self) -> str:
        """Canonical text of the setting's own random stream (the synthetic data's).

        It leaves out decoding, weights and the real pool: settings that differ only in
        these draw from the same streams (common random numbers), so a sweep over a
        temperature or a weight is paired, and a neutral decoding (temperature 1, top-k
        off or ``>= K``, top-p 1) reproduces the plain loop exactly.
        """
        d = asdict(self)
        for name in ("name", "group", *PLAIN_LOOP):
            d.pop(name)
        return json.dumps(d, sort_keys=True)


def _with_family_default(settings: tuple, model: str) -> tuple:
    """Give a setting that left the default method the family's own, if it lacks that one.

    A family whose exact posterior has another name (``default_method``) runs it when a
    setting names no method, rather than refusing the package's default.
    """
    from bayescollapse.models.registry import method_names

    own = getattr(REGISTRY[model], "default_method", DEFAULT_METHOD)  # a face member
    if own == DEFAULT_METHOD or DEFAULT_METHOD in method_names(model):
        return settings

    def own_method(s: Setting) -> Setting:
        named = s.name != f"{s.group} {s.fit_label}"  # a name the user gave stays
        return replace(s, method=own, name=s.name if named else "")

    return tuple(own_method(s) if s.method == DEFAULT_METHOD else s for s in settings)


def _check_model_size(family) -> None:
    """Refuse a model whose arrays alone (the truth, one fit) exceed the memory available."""
    from bayescollapse.engine.memory import available_memory, format_size

    cells = 1
    for size in family.dim_sizes.values():
        cells *= size
    needed, available = 32 * cells, available_memory()
    if needed > available:
        sizes = ", ".join(f"{d} {n}" for d, n in family.dim_sizes.items())
        raise ValueError(
            f"a model of {sizes} needs {format_size(needed)} for its truth and one fit "
            f"alone, more than the {format_size(available)} of memory available"
        )


def make_setting(fields_: dict) -> Setting:
    """Build a Setting from a flat dict, where prior parameters may stand as plain keys.

    ``{"method": "conjugate", "prior_concentration": 0.1}`` gives
    ``Setting(method="conjugate", prior_params={"prior_concentration": 0.1})``.

    Raises
    ------
    ValueError
        On an unknown key, naming it and the keys allowed.
    """
    if not isinstance(fields_, dict):
        raise ValueError(f"setting {fields_!r} is not a table of setting fields")
    fields_ = dict(fields_)
    allowed = {f.name for f in fields(Setting)}
    prior = dict(fields_.pop("prior_params", None) or {})
    priors = prior_fields()
    decoders = dict(fields_.pop("decoders", None) or {})
    for key in list(fields_):
        if key in priors:
            prior[key] = fields_.pop(key)
        elif key in DECODERS and not DECODERS[key].builtin:
            decoders[key] = fields_.pop(key)
        elif key not in allowed:
            keys = ", ".join(sorted((allowed - {"prior_params", "decoders"}) | set(priors)))
            raise ValueError(f"unknown setting key {key!r}; allowed: {keys}")
    return Setting(**fields_, prior_params=prior, decoders=decoders)


def settings_grid(
    *, pairing: str = "product", label: str = "", **axes: list
) -> tuple[Setting, ...]:
    """Build settings from lists of values per field, as a product or zipped.

    ``pairing='zip'`` pairs the i-th values of every list; lists of length 1 are repeated.
    Duplicates (for example ``mle`` crossed with several synthetic modes) are dropped.
    Prior parameters (``prior_concentration``, the Gaussian ``prior`` and ``prior_*``) are
    axes like the others. ``label`` names the regime of every setting made (its ``group``:
    its panel in figures and its row label in tables); by default the scheme and
    schedules name it.

    Examples
    --------
    >>> grid = settings_grid(method=["conjugate"], prior_concentration=[0.1, 1.0], label="stable")
    >>> [s.name for s in grid]
    ['stable conjugate ancestral a0=0.1', 'stable conjugate ancestral a0=1']
    """
    _one_of("pairing", pairing, ("product", "zip"))
    names = list(axes)
    lists = [list(v) for v in axes.values()]
    if any(not v for v in lists):
        raise ValueError("every setting axis needs at least one value")
    if pairing == "product":
        combos = itertools.product(*lists)
    else:
        length = max(len(v) for v in lists)
        bad = [n for n, v in zip(names, lists, strict=True) if len(v) not in (1, length)]
        if bad:
            raise ValueError(
                f"with pairing 'zip' every list has 1 or {length} values; {bad[0]} has not"
            )
        combos = zip(*[v * length if len(v) == 1 else v for v in lists], strict=True)
    out: dict[str, Setting] = {}
    for combo in combos:
        s = make_setting({**dict(zip(names, combo, strict=True)), "group": label})
        out.setdefault(s.key_text(), s)
    return tuple(out.values())


def cross_settings(
    base: list[dict] | dict[str, dict], cross: dict[str, list] | None = None, **axes: list
) -> tuple[Setting, ...]:
    """Cross each regime (a dict of Setting fields) with every combination of the axes.

    This is the TOML file's ``[[settings]]`` list crossed with its ``[cross]`` table, from
    Python. ``base`` is a list of dicts whose ``name`` (or ``group``) names the regime, or
    a dict from regime name to fields; the axes come as ``cross`` or as keywords. The
    regime name becomes the ``group`` of the settings made from it. Prior parameters may
    be fields or axes.

    Examples
    --------
    >>> regimes = {"collapse": {"scheme": "replace", "real_fraction": "zero"},
    ...            "stable": {"real_fraction": "0.1"}}
    >>> grid = cross_settings(regimes, method=["mle", "conjugate"])
    >>> [s.name for s in grid]
    ['collapse mle', 'collapse conjugate ancestral', 'stable mle', 'stable conjugate ancestral']
    """
    if isinstance(base, dict):
        base = [{**fields_, "name": label} for label, fields_ in base.items()]
    cross = {**(cross or {}), **axes}
    names = list(cross)
    out: dict[str, Setting] = {}
    for b in base:
        b = dict(b)
        group = b.pop("name", "") or b.pop("group", "")
        for combo in itertools.product(*[list(v) for v in cross.values()]):
            s = make_setting({**b, **dict(zip(names, combo, strict=True)), "group": group})
            out.setdefault(s.key_text(), s)
    return tuple(out.values())


@dataclass(frozen=True)
class RunConfig:
    """Everything that determines a run; stored as JSON in the results' attrs.

    The run's own fields (sizes, seed, sampler and summary settings, outputs) are here;
    the model family's own parameters are ``params``, an instance of the family's
    parameters dataclass (``REGISTRY[model].params``, e.g.
    :class:`~bayescollapse.models.categorical.family.CategoricalParams`), or a dict of
    its fields, or None for its defaults. For convenience the family's fields may also
    be given as keywords (``RunConfig(model=NAME, order=2)`` for a family with an ``order``)
    and read as attributes (``config.order``); a TOML file gives them in a ``[params]``
    table or as top-level keys.

    ``posterior_metrics=False`` skips the HDI and posterior-drift summaries of Bayesian
    fits (they are then NaN): large sweeps that only need point errors run faster.
    ``plugins`` names modules imported before anything else is checked, which register
    methods and families (see :mod:`bayescollapse.models.registry`); the results record them.
    """

    settings: tuple[Setting, ...] = (Setting(),)
    plugins: tuple[str, ...] = param(
        (),
        "import these modules first (they register methods and families, e.g. "
        "bayescollapse.models.examples.poisson); recorded in the results",
        flag="plugin",
        metavar="MODULE",
        axis=True,
        show_default=False,
    )
    model: str = param(DEFAULT_MODEL, "the model family", choices=lambda: tuple(REGISTRY))
    truth: str | tuple[float, ...] | None = param(
        None, "the truth: a recipe of the model's, or values", show_default=False
    )
    generations: int = param(10, "generations after generation 0", metavar="T")
    replicates: int = param(4, "independent replicates", metavar="R")
    replicate_block: int | None = param(
        None, "replicates fitted together (default: all R)", metavar="B", show_default=False
    )
    seed: int | None = param(
        None, "seed of the whole run (default: drawn and recorded)", show_default=False
    )
    # the sampler and summary settings: their defaults and help live in SamplerSettings
    hdi_prob: float = SamplerSettings.hdi_prob
    coverage_levels: tuple[float, ...] = SamplerSettings.coverage_levels
    draws: int = SamplerSettings.draws
    tune: int = SamplerSettings.tune
    chains: int = SamplerSettings.chains
    target_accept: float = SamplerSettings.target_accept
    ess: int | None = SamplerSettings.ess
    adaptation: str = SamplerSettings.adaptation
    retune: int | None = SamplerSettings.retune
    diagnostics_every: int = SamplerSettings.diagnostics_every
    posterior_metrics: bool = True
    keep_posteriors: str = param(
        "none", "store full posteriors: none | all | last | every:K", metavar="SPEC"
    )
    params: Any = None

    def __post_init__(self) -> None:
        if isinstance(self.plugins, str):
            object.__setattr__(self, "plugins", (self.plugins,))
        conform_fields(self)  # types and finite values of every field, first
        load_plugins(self.plugins)
        object.__setattr__(self, "coverage_levels", tuple(float(q) for q in self.coverage_levels))
        if self.model not in REGISTRY:
            raise ValueError(f"model {self.model!r} is not one of {', '.join(REGISTRY)}")
        object.__setattr__(self, "params", _family_params(self.model, self.params))
        if self.truth is None:
            object.__setattr__(self, "truth", REGISTRY[self.model].default_truth)
        elif not isinstance(self.truth, str):
            object.__setattr__(self, "truth", tuple(float(x) for x in self.truth))
        settings = tuple(s if isinstance(s, Setting) else make_setting(s) for s in self.settings)
        settings = _with_family_default(settings, self.model)
        if not settings:
            raise ValueError("a run needs at least one setting")
        keys = [s.key_text() for s in settings]
        if len(set(keys)) != len(keys):
            raise ValueError("two settings are identical; each setting must differ")
        names = [s.name for s in settings]
        if len(set(names)) != len(names):
            raise ValueError(f"setting names must be unique, got {names}")
        nodes = [node_name(n) for n in names]
        clash = next((n for n in names if nodes.count(node_name(n)) > 1), None)
        if clash is not None:  # their kept posteriors would share one group
            raise ValueError(
                f"setting names {[n for n in names if node_name(n) == node_name(clash)]} are "
                f"stored under one group name {node_name(clash)!r} ('/' becomes '_'); rename one"
            )
        object.__setattr__(self, "settings", settings)
        for name in ("generations", "replicates"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if self.generations > MAX_GENERATIONS:  # before a schedule of that length is made
            raise ValueError(
                f"generations {self.generations!r} is more than {MAX_GENERATIONS:,} (the most "
                "a run takes: its schedules and results hold a value per generation)"
            )
        block = self.replicates if self.replicate_block is None else self.replicate_block
        if block < 1 or self.replicates % block:
            raise ValueError(
                f"replicate_block {self.replicate_block!r} must be an integer >= 1 that divides "
                f"replicates ({self.replicates})"
            )
        object.__setattr__(self, "replicate_block", block)
        if self.seed is not None and not 0 <= self.seed < SEED_LIMIT:
            raise ValueError(f"seed {self.seed!r} is not an integer in [0, 2**63)")
        _, all_sizes, _ = self.schedule_values()  # schedules must be valid over the whole run
        for s, sizes in zip(settings, all_sizes, strict=True):
            if REAL_SOURCES[s.real_data].at_most_pool and sizes.max() > sizes[0]:
                raise ValueError(
                    f"real_data {s.real_data!r} draws each generation's real items without "
                    f"replacement "
                    f"from generation 0's {sizes[0]}; sample_size {s.sample_size!r} reaches "
                    f"{sizes.max()} (use real_data 'resampled', which draws with replacement)"
                )
        kept_generations(self.keep_posteriors, self.generations)  # validates the spec
        family = self.family()  # validates the family's own parameters
        _check_model_size(family)  # before the truth, which allocates the model's arrays
        self.make_truth()
        for s in settings:
            method = get_method(self.model, s.method)  # the model has the method
            if s.prior_update == "carry" and not method.carry:
                raise ValueError(
                    f"prior_update 'carry' is not defined for method {s.method!r} (its "
                    "posterior is not in its prior's family); use 'refit'"
                )
            self.family_for(s).check_setting(s)  # validates the setting's prior parameters
            self.family_for(s).curation_of(s, self.make_truth())  # the rule and its reward

    def __getattr__(self, name: str):
        # the family's parameters read as the config's own (config.num_tokens)
        params = self.__dict__.get("params")
        if params is not None and name in {f.name for f in fields(params)}:
            return getattr(params, name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def family(self):
        """Return the model family object these settings fit, with the run's prior.

        Built once per configuration and kept (families are frozen).
        """
        family = self.__dict__.get("_family")
        if family is None:
            family = REGISTRY[self.model].from_config(self)
            object.__setattr__(self, "_family", family)
        return family

    def schedule_values(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return ``alpha_t``, ``n_t`` and ``w_t`` per setting, shape (setting, generation).

        Worked out once per configuration and kept (read-only arrays); ``w_t`` is NaN
        where a setting's refits are unweighted.
        """
        values = self.__dict__.get("_schedules")
        if values is None:
            gens = self.generations
            alphas = np.array(
                [real_fraction_values(Schedule.parse(s.real_fraction), gens) for s in self.settings]
            )
            sizes = np.array(
                [sample_size_values(Schedule.parse(s.sample_size), gens) for s in self.settings],
                dtype=np.int64,
            )
            weights = np.array([real_weight_values(s.real_weight, gens) for s in self.settings])
            values = (alphas, sizes, weights)
            for array in values:
                array.setflags(write=False)
            object.__setattr__(self, "_schedules", values)
        return values

    def make_truth(self):
        """Return the family's truth of the run (built once per configuration, then kept)."""
        truth = self.__dict__.get("_truth")
        if truth is None:
            truth = self.family().make_truth(self.truth)
            object.__setattr__(self, "_truth", truth)
        return truth

    def family_for(self, setting: Setting):
        """Return the family with ``setting``'s own prior parameters, if it has any.

        Raises
        ------
        ValueError
            If the setting names a prior parameter the model does not have, or a bad value.
        """
        family = self.family()
        if not setting.prior_params:
            return family
        own = REGISTRY[self.model].prior_fields
        for name, _ in setting.prior_params:
            if name not in own:
                raise ValueError(
                    f"prior parameter {name!r} is not one of model {self.model!r}'s: "
                    f"{', '.join(own)}"
                )
        return replace(family, **dict(setting.prior_params))

    @property
    def blocks(self) -> int:
        """Number of replicate blocks."""
        return self.replicates // self.replicate_block

    def with_seed(self, seed: int) -> RunConfig:
        """Return a copy with ``seed`` set."""
        return replace(self, seed=seed)

    def to_json(self) -> str:
        """JSON text of the whole configuration."""
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_results(cls, ds, *, allow_plugins: bool = False) -> RunConfig:
        """Return the configuration a results Dataset records, to rerun it exactly.

        A configuration that names plug-ins is code: they are imported only with
        ``allow_plugins=True`` (those already imported are used as they are).

        Raises
        ------
        ValueError
            One line naming the attribute when it is not a configuration, or the plug-ins
            it names when they are not allowed.
        """
        data = recorded_config(ds.attrs.get("config") if hasattr(ds, "attrs") else None)
        named = data.get("plugins") or []
        new = [p for p in (named if isinstance(named, list) else [named]) if p not in sys.modules]
        if new and not allow_plugins:
            raise ValueError(
                f"the results' configuration names plug-in(s) {', '.join(map(str, new))}, "
                "which run code when imported: pass allow_plugins=True to import them"
            )
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict) -> RunConfig:
        """Build from a dict such as ``json.loads(ds.attrs['config'])`` or a TOML table.

        The family's parameters come in a ``params`` table or as top-level keys;
        configurations stored before they moved to the families (every family's keys at
        the top level) are read too.

        Raises
        ------
        ValueError
            On an unknown key, naming it and the keys allowed.
        """
        if not isinstance(data, dict):
            raise ValueError(f"config {data!r} is not a table of config keys")
        data = dict(data)
        load_plugins(data.get("plugins", ()))  # their methods and families may be named
        model = data.get("model", DEFAULT_MODEL)
        own = REGISTRY[model].params if model in REGISTRY else None
        own_keys = {f.name for f in fields(own)} if own is not None else set()
        allowed = {f.name for f in fields(cls)} | {"cross"}
        flat = {k: data.pop(k) for k in list(data) if k not in allowed and k in own_keys}
        for key in [k for k in data if k not in allowed and k in LEGACY_FLAT_KEYS]:
            data.pop(key)  # another family's key in an old flat configuration: no effect
        unknown = sorted(set(data) - allowed)
        if unknown:
            keys = sorted((allowed - {"params"}) | own_keys)
            raise ValueError(f"unknown config key {unknown[0]!r}; allowed: {', '.join(keys)}")
        if flat:
            table = data.get("params") or {}
            if not isinstance(table, dict):
                raise ValueError(f"params {table!r} is not a table of the model's parameters")
            data["params"] = {**flat, **table}
        cross = data.pop("cross", None) or {}
        if not isinstance(cross, dict):
            raise ValueError(f"cross {cross!r} is not a table of setting axes")
        if "settings" in data and not isinstance(data["settings"], list | tuple):
            raise ValueError(
                f"settings {data['settings']!r} is not a list of settings (tables of setting "
                "fields)"
            )
        if model in REGISTRY:  # a method is named against this model's, not every family's
            check_methods(model, [cross, *(s for s in data.get("settings", ()))])
        if "settings" in data:
            if cross:
                data["settings"] = cross_settings(data["settings"], cross)
            else:
                data["settings"] = tuple(make_setting(s) for s in data["settings"])
        elif cross:
            raise ValueError("'cross' needs a 'settings' list to cross with")
        return cls(**data)


def _family_params(model: str, params):
    """Return ``params`` as the family's own parameters dataclass, checked field by field.

    Raises
    ------
    ValueError
        One line naming a key the family does not have (and the keys it has), or the
        first field whose value has the wrong type.
    """
    own = REGISTRY[model].params
    if params is None:
        params = {}
    if isinstance(params, own):
        pass
    elif isinstance(params, dict):
        names = [f.name for f in fields(own)]
        unknown = sorted(set(params) - set(names))
        if unknown:
            raise ValueError(
                f"{unknown[0]!r} is not a parameter of model {model!r}; its parameters: "
                f"{', '.join(names)}"
            )
        params = own(**params)
    else:
        raise ValueError(
            f"params {params!r} is not model {model!r}'s parameters ({own.__name__} or a "
            "table of its fields)"
        )
    conform_fields(params)  # types and finite values, before the family checks ranges
    return params


_FIELD_NAMES = frozenset(f.name for f in fields(RunConfig))
_dataclass_init = RunConfig.__init__


@functools.wraps(_dataclass_init)
def _init(self, *args, **kwargs) -> None:
    # the family's fields as keywords: RunConfig(model=NAME, order=2)
    own = {k: kwargs.pop(k) for k in list(kwargs) if k not in _FIELD_NAMES}
    if own:
        params = kwargs.get("params")
        if params is not None and not isinstance(params, dict):
            params = {f.name: getattr(params, f.name) for f in fields(params)}
        kwargs["params"] = {**(params or {}), **own}
    _dataclass_init(self, *args, **kwargs)


RunConfig.__init__ = _init
