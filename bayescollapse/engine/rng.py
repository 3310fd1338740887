"""Seeds to random streams: independent Generators per unit of work and purpose.

A unit of work is (setting, replicate block, generation). Each unit has several streams,
addressed by ``SeedSequence`` spawn keys, so any cell can be recomputed alone and results
do not depend on execution order or on how many workers run them:

- ``real``: the fresh real data (how many real samples, and the samples). It is keyed by
  the setting's *data key* (scheme and schedules), not by how the setting fits, so
  settings that differ only in method, synthetic mode, prior or prior update see the same
  real data in every generation and replicate (common random numbers: their differences
  carry no noise of independent runs).
- ``fit``: the sampler's seed and the synthetic draws, the setting's own.
- ``store``: what is only stored (kept posterior draws), so keeping posteriors never
  changes the results.
- ``metric``: randomisation inside metrics (the randomised PIT of sampled posteriors), so
  metrics never change the data.
"""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass

import numpy as np

__all__ = [
    "STREAMS_VERSION",
    "CellStreams",
    "LazyGenerator",
    "STREAMS",
    "block_rng",
    "cell_streams",
    "fresh_seed",
    "stable_key",
]

#: how the streams are turned into data: raised whenever a release draws different values
#: from the same seed and configuration (recorded with results; a sweep store of another
#: version is not resumed). 2: a law shared by every replicate, with few items per row, is
#: drawn item by item from its alias table, and mostly zero rows with few items draw them
#: as sorted uniforms (:mod:`bayescollapse.models.counts`); a Markov chain's start law is that
#: of its rows as given, not of their renormalised copy. 3: the PyMC paths sample in
#: standardised coordinates and, by default (``adaptation='carry'``), start each generation
#: from the previous one's adaptation (:mod:`bayescollapse.models.warm_start`); the
#: draws of every PyMC fit change, those of the other paths do not.
STREAMS_VERSION = 3

#: stream name -> the first entry of its spawn key
STREAMS = {"real": 0, "fit": 1, "store": 2, "metric": 3}


def block_rng(
    seed: int, setting: int, block: int, generation: int, *, stream: str = "fit"
) -> np.random.Generator:
    """Return one stream of one (setting, replicate block, generation) cell.

    Parameters
    ----------
    seed : int
        The run's recorded seed.
    setting : int
        A stable integer key (see :func:`stable_key`): the setting's data key for the
        ``real`` stream, its fit key for the others.
    block : int
        Index of the replicate block.
    generation : int
        Generation index, 0 for the fit to real data.
    stream : str
        One of :data:`STREAMS`.

    Returns
    -------
    numpy.random.Generator
        A Generator independent of every other cell's and stream's.

    Examples
    --------
    >>> a = block_rng(1, 2, 0, 5).integers(1 << 30)
    >>> b = block_rng(1, 2, 0, 5).integers(1 << 30)
    >>> bool(a == b)
    True
    """
    ss = np.random.SeedSequence(seed, spawn_key=(STREAMS[stream], setting, block, generation))
    return np.random.default_rng(ss)


class LazyGenerator:
    """A Generator made on first use: streams a cell may not need cost nothing.

    Every attribute is the Generator's, so it stands wherever a Generator is used.
    """

    __slots__ = ("_args", "_rng")

    def __init__(self, *args) -> None:
        self._args = args
        self._rng = None

    def __getattr__(self, name: str):
        if self._rng is None:
            self._rng = block_rng(*self._args[:4], stream=self._args[4])
        return getattr(self._rng, name)


@dataclass(frozen=True)
class CellStreams:
    """The streams of one cell (see the module docstring).

    ``store`` and ``metric`` are made only if used.
    """

    real: np.random.Generator
    fit: np.random.Generator
    store: LazyGenerator
    metric: LazyGenerator


def cell_streams(
    seed: int, *, data_key: int, fit_key: int, block: int, generation: int
) -> CellStreams:
    """Return every stream of one cell: ``real`` keyed by ``data_key``, the rest by ``fit_key``."""
    return CellStreams(
        real=block_rng(seed, data_key, block, generation, stream="real"),
        fit=block_rng(seed, fit_key, block, generation, stream="fit"),
        store=LazyGenerator(seed, fit_key, block, generation, "store"),
        metric=LazyGenerator(seed, fit_key, block, generation, "metric"),
    )


def stable_key(text: str) -> int:
    """Map a setting's canonical text to a 32-bit key, the same in every process and run."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")


def fresh_seed() -> int:
    """Draw a new 63-bit seed from the operating system's entropy, to be recorded.

    The seed is said on standard error, so a run whose results were lost can still be
    repeated exactly.
    """
    seed = int(np.random.SeedSequence().entropy % (1 << 63))
    said = f"bayescollapse: drawn seed {seed} (seed={seed} or --seed {seed} repeats this)"
    print(said, file=sys.stderr)
    return seed
