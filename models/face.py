"""A family's face: what the core asks a family instead of testing its name or its dims.

Figures, tables, the memory estimate, the theory curves and the warnings of a run are the
core's; what they show of a model is the family's. :class:`FamilyFace` gives every member
a default, so a family overrides only what it has (the Gaussian family its closed-form
variance curve, the Markov family its reducible-chain warning). The members are declared
in :class:`bayescollapse.models.protocols.Family`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from bayescollapse.models.params import prior_fields, prior_labels

__all__ = ["WORKING_COPIES", "FamilyFace", "PathPanel", "largest_training_set"]

#: copies of a block's parameter array a generation holds at once (fit, previous fit, the
#: synthetic and real data, the record's temporaries), measured with tracemalloc
WORKING_COPIES = 24


def largest_training_set(config: Any) -> int:
    """Return the most items a training set of ``config`` holds (for memory estimates).

    The largest ``n_t``; under an accumulating scheme, the largest sum of them (the set
    grows by ``n_t`` each generation).
    """
    sizes = config.schedule_values()[1]
    grows = any(s.scheme.startswith("accumulate") for s in config.settings)
    return int(sizes.sum(axis=1).max() if grows else sizes.max())


@dataclass(frozen=True)
class PathPanel:
    """One panel of the posterior-paths figure: a parameter's mean and HDI across generations.

    Attributes
    ----------
    title : str
        The panel's title (``token 3``, ``mu``).
    where : dict
        The selection of the parameter in the results' inner dims (``{"token": 3}``).
    mean, lower, upper : str
        The results variables of its posterior mean and HDI ends.
    truth : float
        Its true value (drawn dashed).
    """

    title: str
    where: dict
    mean: str
    lower: str
    upper: str
    truth: float


class FamilyFace:
    """Defaults of the face members; a family class inherits them and overrides its own.

    A family that names its ``params`` gets its ``prior_fields`` and ``prior_labels``
    from them (the fields made with ``param(..., prior=LABEL)``), not written twice.
    """

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        params = cls.__dict__.get("params")
        if params is not None:
            cls.prior_fields = prior_fields(params)
            cls.prior_labels = prior_labels(params)

    #: results variable -> its axis label in figures (a variable missing: its own name)
    labels: ClassVar[dict[str, str]] = {}
    #: results variables that have an exact expected curve (see :meth:`expected_curve`)
    curve_variables: ClassVar[tuple[str, ...]] = ()
    #: the method a paired comparison takes as baseline when the user names none
    baseline: ClassVar[str] = "mle"
    #: the method a setting that names none runs (the package's default, ``conjugate``,
    #: unless the family's exact posterior has another name)
    default_method: ClassVar[str] = "conjugate"

    @classmethod
    def path_panels(cls, ds, parameters: Sequence[int] | None = None) -> list[PathPanel]:
        """Return the panels of the posterior-paths figure of results ``ds`` (none here).

        ``parameters`` are the user's choice of which (``diagnose --tokens``); a value out
        of range is a one-line ValueError.
        """
        return []

    @classmethod
    def expected_curve(cls, ds, setting: str) -> dict[str, np.ndarray] | None:
        """Return the exact expected curves of one setting of results ``ds``, or None.

        Called for settings whose loop is plain (no decoding, weights or real pool) and
        whose prior is refitted; returns ``{variable: values per generation}`` for the
        variables of :attr:`curve_variables`.
        """
        return None

    @classmethod
    def describe(cls, ds) -> str:
        """Return the model's size in a few words for figure titles (``K=20``; empty here)."""
        return ""

    @classmethod
    def warnings(cls, ds) -> list[str]:
        """Return what a user should know about a run's results, one line each (none here)."""
        return []

    def curation_of(self, setting: Any, truth: Any):
        """Return the setting's curation with its reward resolved against ``truth``.

        Here only ``none``: a family that curates overrides this, :meth:`curate` and
        :meth:`curation_record` (see :mod:`bayescollapse.models.curation`).

        Raises
        ------
        ValueError
            In one line, for a curation this family cannot run or a bad reward.
        """
        from bayescollapse.models.curation import NO_CURATION, Curation

        curation = Curation.parse(setting.curation)
        if not curation.plain:
            raise ValueError(
                f"curation {setting.curation!r} is not available for model "
                f"{getattr(self, 'name', type(self).__name__)!r} (only 'none')"
            )
        return NO_CURATION

    def curate(self, fit, sizes, curation, *, mode: str, rng, decoding) -> tuple:
        """Return the kept synthetic data of ``sizes[r]`` items, and a report.

        The report is a dict of per-replicate values (a filter's ``acceptance_rate``:
        accepted candidates over candidates drawn), empty when there is none to give.

        The candidates are items ``fit`` (the previous model) writes in ``mode``, decoded
        by ``decoding``, drawn from ``rng``. Only a family whose :meth:`curation_of`
        accepts a rule is asked.
        """
        raise NotImplementedError

    def curation_record(self, fit, curation, data, truth) -> dict:
        """Return a generation's curation metrics per replicate (none here)."""
        return {}

    def truth_reward(self, curation, truth) -> float:
        """Return the truth's expected reward under ``curation`` (NaN here)."""
        return float("nan")

    def observed_dataset(self, data: Any, *, rng: np.random.Generator) -> Any:
        """Return a kept generation's ArviZ ``observed_data``: here :meth:`data_to_dataset`.

        A family whose data are summaries (the Gaussian's sufficient statistics) may give
        the observations themselves, drawn from ``rng`` given the summaries.
        """
        return self.data_to_dataset(data)

    def constant_dataset(self, observed: Any) -> Any:
        """Return ArviZ's ``constant_data`` of a kept generation (None here).

        What the observations are conditioned on (a regression's rows), made from
        :meth:`observed_dataset`'s output.
        """
        return None

    def log_likelihood(self, posterior: Any, observed: Any) -> Any:
        """Return ArviZ's ``log_likelihood`` group: pointwise, one value per observation.

        Each variable of ``observed`` that has a likelihood, under each posterior draw:
        dims (chain, draw, *its dims), named like it, so ``az.loo`` and ``az.compare``
        read it. None here: a family without it has no LOO.
        """
        return None

    def kept_values(self, config: Any) -> int:
        """Return the values a kept node holds per posterior draw and replicate.

        The posterior, its predictive and the pointwise log-likelihood: by default three
        times :attr:`parameter_count` (data the size of the parameters).
        """
        return 3 * self.parameter_count

    @property
    def parameter_count(self) -> int:
        """Parameters of one replicate's fit: the product of the inner dims but ``level``."""
        sizes = [n for d, n in self.dim_sizes.items() if d != "level"]
        return max(math.prod(sizes), 2)

    def working_memory(self, config: Any) -> int:
        """Return the bytes a unit of ``config`` holds at once beyond the results.

        By default :data:`WORKING_COPIES` copies of a block's parameters, and each posterior
        draw of those for a sampled (PyMC) method; a family whose data or draws need more
        adds its own.
        """
        from bayescollapse.models.registry import get_method

        block, inner = config.replicate_block, self.parameter_count
        cells = WORKING_COPIES * block * inner
        if any(get_method(config.model, s.method).sampled for s in config.settings):
            cells += 4 * config.chains * config.draws * block * inner
        return 8 * cells
