"""How much memory a run needs, estimated before it starts, and the refusal if it will not fit.

The estimate is an upper bound made from the configuration alone:

- the results: every variable of the family at the run's sizes, 8 bytes a value (a run
  allocates only the variables it writes, so this is the most it can take);
- one unit's working set, which the family estimates (its ``working_memory``; see
  :class:`bayescollapse.models.face.FamilyFace`): a few copies of a block's data and fit
  (replicate block x the family's parameters), the draws of a sampler (chains x draws x
  block x parameters), and what the family's data need beyond (the points of the
  Gaussian ``predictive`` mode, the items of a few-draw multinomial);
- the posteriors ``keep_posteriors`` keeps (kept generations x Bayesian settings x
  chains x draws x replicates x the values the family keeps per draw: its parameters,
  their predictive data and pointwise log-likelihood, the family's ``kept_values``).

:func:`check_memory` refuses a run whose estimate exceeds the limit: by default the memory
the operating system reports available (``MemAvailable``), raised or lowered with
``memory_limit`` (CLI ``--memory-limit``, e.g. ``64G``).
"""

from __future__ import annotations

import math
import os
import re

import numpy as np

__all__ = ["available_memory", "check_memory", "estimate_memory", "format_size", "parse_size"]

_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}


def parse_size(text: str | int | float) -> int:
    """Read a size such as ``8G``, ``512M``, ``1.5T`` or a number of bytes.

    Raises
    ------
    ValueError
        One line naming the text, if it is not a positive size.

    Examples
    --------
    >>> parse_size("1.5K"), parse_size(2048)
    (1536, 2048)
    """
    if isinstance(text, int | float) and not isinstance(text, bool):
        value, unit = float(text), ""
    else:
        match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:[eE][0-9]+)?)\s*([KMGT]?)i?B?\s*", str(text))
        if not match:
            raise ValueError(f"memory limit {text!r} is not a size such as 8G, 512M or 1.5T")
        value, unit = float(match.group(1)), match.group(2)
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"memory limit {text!r} must be a positive size")
    return int(value * _UNITS[unit])


def format_size(size: float) -> str:
    """Return ``size`` bytes as a short text such as ``3.2 GB``.

    Examples
    --------
    >>> format_size(3.2 * 2**30)
    '3.2 GB'
    """
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024:
            return f"{size:.3g} {unit}"
        size /= 1024
    return f"{size:.3g} TB"


def available_memory() -> int:
    """Return the memory available to a new allocation, as the system reports it."""
    try:
        with open("/proc/meminfo") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


def estimate_memory(config, *, results: bool = True, posteriors: bool = True) -> dict[str, int]:
    """Return the estimated peak bytes of a run, by part (see the module docstring).

    ``results=False`` leaves the results out (a sweep writes them to its store);
    ``posteriors=False`` the kept posteriors (a run that does not keep them).
    """
    from bayescollapse.engine.schedules import kept_generations
    from bayescollapse.io.results import variable_shapes

    family = config.family()
    shapes = variable_shapes(
        family, len(config.settings), config.replicates, config.generations, config.blocks
    )
    parts = {"results": 8 * sum(math.prod(s) for s in shapes.values()) if results else 0}
    parts["working"] = family.working_memory(config)
    kept = len(kept_generations(config.keep_posteriors, config.generations)) if posteriors else 0
    bayesian = sum(s.bayesian for s in config.settings)
    draws = config.chains * config.draws
    parts["kept posteriors"] = (
        8 * kept * bayesian * draws * config.replicates * family.kept_values(config)
    )
    return parts


def check_memory(
    config, limit: int | str | None = None, *, results: bool = True, posteriors: bool = True
) -> int:
    """Refuse a run whose estimated memory exceeds ``limit`` (default: what is available).

    Returns
    -------
    int
        The estimate in bytes.

    Raises
    ------
    ValueError
        One line with the estimate, its largest part and the limit.
    """
    parts = estimate_memory(config, results=results, posteriors=posteriors)
    total = int(sum(parts.values()))
    allowed = available_memory() if limit is None else parse_size(limit)
    if total > allowed:
        largest = max(parts, key=parts.get)
        raise ValueError(
            f"this run needs about {format_size(total)} of memory (mostly its {largest}, "
            f"{format_size(parts[largest])}) but the limit is {format_size(allowed)}"
            f"{' (the memory available now)' if limit is None else ''}; make it smaller "
            "or raise the limit (memory_limit, CLI --memory-limit)"
        )
    return int(np.int64(total))
