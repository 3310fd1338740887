"""Run configuration: frozen dataclasses that the CLI flags and TOML files map onto.

A run has one model family, one truth and a tuple of *settings*; a setting is one cell
of the study (scheme, schedules, fitting method, synthetic mode, prior update). The
whole configuration is stored as JSON in the results, and :meth:`RunConfig.from_dict`
reads it back.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import asdict, dataclass, fields, replace

from bayescollapse.engine.schedules import (
    Schedule,
    kept_generations,
    real_fraction_values,
    real_weight_values,
    sample_size_values,
)
from bayescollapse.engine.validation import conform_fields
from bayescollapse.models import REGISTRY, DirichletCategorical, Gaussian, MarkovLM
from bayescollapse.models.decoding import Decoding
from bayescollapse.models.probability_fits import SYNTHETIC_MODES
from bayescollapse.models.registry import get_method, is_bayesian, load_plugins
from bayescollapse.models.sampling import SamplerSettings

__all__ = [
    "PRIOR_FIELDS",
    "PRIOR_UPDATES",
    "REAL_DATA",
    "SCHEMES",
    "RunConfig",
    "Setting",
    "cross_settings",
    "kept_generations",
    "make_setting",
    "settings_grid",
]

SCHEMES = ("mixture", "replace", "accumulate", "accumulate-subsample")
PRIOR_UPDATES = ("refit", "carry")
#: Setting fields that are schedule specs: a number is taken as a constant schedule
_SCHEDULE_FIELDS = frozenset({"real_fraction", "sample_size", "real_weight"})
REAL_DATA = ("fresh", "fixed", "resampled")
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
}


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{name} {value!r} is not one of {', '.join(allowed)}")


#: the families' prior parameters, which a setting may override (a setting axis)
PRIOR_FIELDS = tuple(dict.fromkeys(f for family in REGISTRY.values() for f in family.prior_fields))
#: short names of the prior parameters in setting labels (each family's ``prior_labels``)
_PRIOR_SHORT = {k: v for family in REGISTRY.values() for k, v in family.prior_labels.items()}


def _prior_items(value) -> tuple[tuple[str, float | str], ...]:
    """Normalise a setting's prior overrides to sorted ``(name, value)`` pairs."""
    items = dict(value or {})
    out = []
    for name, v in sorted(items.items()):
        if name not in PRIOR_FIELDS:
            raise ValueError(f"prior parameter {name!r} is not one of {', '.join(PRIOR_FIELDS)}")
        if name == "prior":
            if not isinstance(v, str):
                raise ValueError(f"prior must be a string, got {v!r}")
        elif isinstance(v, bool) or not isinstance(v, int | float):
            raise ValueError(f"{name} must be a number, got {v!r}")
        out.append((name, v if name == "prior" else float(v)))
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

    scheme: str = "mixture"
    real_fraction: str = "0.1"
    sample_size: str = "1000"
    method: str = "conjugate"
    synthetic: str = "ancestral"
    prior_update: str = "refit"
    prior_params: tuple = ()
    temperature: float = 1.0
    top_k: int = 0
    top_p: float = 1.0
    variance_scale: float = 1.0
    real_weight: str = "none"
    real_data: str = "fresh"
    group: str = ""
    name: str = ""

    def __post_init__(self) -> None:
        conform_fields(self, numbers_as_text=_SCHEDULE_FIELDS)
        _one_of("scheme", self.scheme, SCHEMES)
        is_bayesian(self.method)  # a registered method
        _one_of("synthetic mode", self.synthetic, SYNTHETIC_MODES)
        _one_of("prior_update", self.prior_update, PRIOR_UPDATES)
        _one_of("real_data", self.real_data, REAL_DATA)
        decoding = Decoding(self.temperature, self.top_k, self.top_p, self.variance_scale)
        for name in ("temperature", "top_k", "top_p", "variance_scale"):
            object.__setattr__(self, name, getattr(decoding, name))
        if not isinstance(self.real_weight, str):
            object.__setattr__(self, "real_weight", str(self.real_weight))
        if self.real_weight != "none":
            weight = Schedule.parse(self.real_weight).spec  # its values: RunConfig checks
            object.__setattr__(self, "real_weight", weight)
            if self.scheme != "mixture":
                raise ValueError(
                    f"real_weight {weight!r} needs scheme 'mixture' (weighted refits of the "
                    f"real and synthetic parts of each generation), not {self.scheme!r}"
                )
        object.__setattr__(self, "real_fraction", Schedule.parse(self.real_fraction).spec)
        object.__setattr__(self, "sample_size", Schedule.parse(self.sample_size).spec)
        object.__setattr__(self, "prior_params", _prior_items(self.prior_params))
        if not self.bayesian:  # a point estimate: no prior, every draw is a plug-in
            if self.prior_update == "carry":
                raise ValueError(
                    f"prior_update 'carry' needs a Bayesian method, not {self.method!r}"
                )
            object.__setattr__(self, "synthetic", "plugin")
            object.__setattr__(self, "prior_params", ())  # crossed prior axes collapse
        if self.scheme == "replace" and self.real_fraction != "zero":
            raise ValueError(
                f"scheme 'replace' trains on synthetic data only; real_fraction must be 'zero', "
                f"got {self.real_fraction!r} (use scheme 'mixture' to mix in real data)"
            )
        if not self.group:
            group = f"{self.scheme} a={self.real_fraction} n={self.sample_size}"
            object.__setattr__(self, "group", group)
        if not self.name:
            object.__setattr__(self, "name", f"{self.group} {self.fit_label}")

    @property
    def bayesian(self) -> bool:
        """Whether the setting fits a posterior (as its method was registered)."""
        return is_bayesian(self.method)

    @property
    def prior_label(self) -> str:
        """The setting's own prior parameters, e.g. ``a0=0.1``; empty for the run's."""
        return " ".join(
            f"{_PRIOR_SHORT[k]}={v if isinstance(v, str) else format(v, 'g')}"
            for k, v in self.prior_params
        )

    @property
    def decoding(self) -> Decoding:
        """How the setting's synthetic data are decoded."""
        return Decoding(self.temperature, self.top_k, self.top_p, self.variance_scale)

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
    for key in list(fields_):
        if key in PRIOR_FIELDS:
            prior[key] = fields_.pop(key)
        elif key not in allowed:
            keys = ", ".join(sorted((allowed - {"prior_params"}) | set(PRIOR_FIELDS)))
            raise ValueError(f"unknown setting key {key!r}; allowed: {keys}")
    return Setting(**fields_, prior_params=prior)


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

    ``posterior_metrics=False`` skips the HDI and posterior-drift summaries of Bayesian
    fits (they are then NaN): large sweeps that only need point errors run faster.
    ``num_tokens`` and ``prior_concentration`` are the categorical model's; ``prior`` and
    the ``prior_*`` hyperparameters the Gaussian model's (see
    :class:`bayescollapse.models.Gaussian`). ``plugins`` names modules imported before
    anything else is checked, which register methods (see
    :mod:`bayescollapse.models.registry`); the results record them.
    """

    settings: tuple[Setting, ...] = (Setting(),)
    plugins: tuple[str, ...] = ()
    model: str = "dirichlet-categorical"
    num_tokens: int = 20
    truth: str | tuple[float, ...] | None = None
    generations: int = 10
    replicates: int = 4
    replicate_block: int | None = None
    seed: int | None = None
    # the families' own parameters: their defaults live in one place, the family classes
    prior_concentration: float = DirichletCategorical.prior_concentration
    tail_rank: int = DirichletCategorical.tail_rank
    hdi_prob: float = SamplerSettings.hdi_prob
    coverage_levels: tuple[float, ...] = SamplerSettings.coverage_levels
    draws: int = SamplerSettings.draws
    tune: int = SamplerSettings.tune
    chains: int = SamplerSettings.chains
    target_accept: float = SamplerSettings.target_accept
    diagnostics_every: int = SamplerSettings.diagnostics_every
    posterior_metrics: bool = True
    keep_posteriors: str = "none"
    order: int = MarkovLM.order
    sequence_length: int = MarkovLM.sequence_length
    unseen: str = MarkovLM.unseen
    prior: str = Gaussian.prior
    prior_mean: float = Gaussian.prior_mean
    prior_kappa: float = Gaussian.prior_kappa
    prior_alpha: float = Gaussian.prior_alpha
    prior_beta: float = Gaussian.prior_beta
    prior_mu_sd: float = Gaussian.prior_mu_sd
    prior_sigma_scale: float = Gaussian.prior_sigma_scale

    def __post_init__(self) -> None:
        if isinstance(self.plugins, str):
            object.__setattr__(self, "plugins", (self.plugins,))
        conform_fields(self)  # types and finite values of every field, first
        load_plugins(self.plugins)
        object.__setattr__(self, "coverage_levels", tuple(float(q) for q in self.coverage_levels))
        if self.model not in REGISTRY:
            raise ValueError(f"model {self.model!r} is not one of {', '.join(REGISTRY)}")
        if self.truth is None:
            object.__setattr__(self, "truth", REGISTRY[self.model].default_truth)
        elif not isinstance(self.truth, str):
            object.__setattr__(self, "truth", tuple(float(x) for x in self.truth))
        settings = tuple(s if isinstance(s, Setting) else make_setting(s) for s in self.settings)
        if not settings:
            raise ValueError("a run needs at least one setting")
        keys = [s.key_text() for s in settings]
        if len(set(keys)) != len(keys):
            raise ValueError("two settings are identical; each setting must differ")
        names = [s.name for s in settings]
        if len(set(names)) != len(names):
            raise ValueError(f"setting names must be unique, got {names}")
        object.__setattr__(self, "settings", settings)
        for name in ("generations", "replicates"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        block = self.replicates if self.replicate_block is None else self.replicate_block
        if block < 1 or self.replicates % block:
            raise ValueError(
                f"replicate_block {self.replicate_block!r} must be an integer >= 1 that divides "
                f"replicates ({self.replicates})"
            )
        object.__setattr__(self, "replicate_block", block)
        if self.seed is not None and not 0 <= self.seed < SEED_LIMIT:
            raise ValueError(f"seed {self.seed!r} is not an integer in [0, 2**63)")
        for s in settings:  # schedules must be valid over the whole run
            real_fraction_values(Schedule.parse(s.real_fraction), self.generations)
            sizes = sample_size_values(Schedule.parse(s.sample_size), self.generations)
            real_weight_values(s.real_weight, self.generations)
            if s.real_data == "fixed" and sizes.max() > sizes[0]:
                raise ValueError(
                    f"real_data 'fixed' draws each generation's real items without replacement "
                    f"from generation 0's {sizes[0]}; sample_size {s.sample_size!r} reaches "
                    f"{sizes.max()} (use real_data 'resampled', which draws with replacement)"
                )
        kept_generations(self.keep_posteriors, self.generations)  # validates the spec
        family = self.family()  # validates the family's own parameters
        _check_model_size(family)  # before the truth, which allocates the model's arrays
        family.make_truth(self.truth)
        for s in settings:
            method = get_method(self.model, s.method)  # the model has the method
            if s.prior_update == "carry" and not method.carry:
                raise ValueError(
                    f"prior_update 'carry' is not defined for method {s.method!r} (its "
                    "posterior is not in its prior's family); use 'refit'"
                )
            self.family_for(s).check_setting(s)  # validates the setting's prior parameters

    def family(self):
        """Return the model family object these settings fit, with the run's prior."""
        return REGISTRY[self.model].from_config(self)

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
    def from_dict(cls, data: dict) -> RunConfig:
        """Build from a dict such as ``json.loads(ds.attrs['config'])`` or a TOML table.

        Raises
        ------
        ValueError
            On an unknown key, naming it and the keys allowed.
        """
        allowed = {f.name for f in fields(cls)} | {"cross"}
        unknown = sorted(set(data) - allowed)
        if unknown:
            raise ValueError(
                f"unknown config key {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}"
            )
        data = dict(data)
        load_plugins(data.get("plugins", ()))  # their methods may name the settings
        cross = data.pop("cross", None) or {}
        if not isinstance(cross, dict):
            raise ValueError(f"cross {cross!r} is not a table of setting axes")
        if "settings" in data and not isinstance(data["settings"], list | tuple):
            raise ValueError(
                f"settings {data['settings']!r} is not a list of settings (tables of setting "
                "fields)"
            )
        if "settings" in data:
            if cross:
                data["settings"] = cross_settings(data["settings"], cross)
            else:
                data["settings"] = tuple(make_setting(s) for s in data["settings"])
        elif cross:
            raise ValueError("'cross' needs a 'settings' list to cross with")
        return cls(**data)
