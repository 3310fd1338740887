"""Seeds to random streams: one independent Generator per unit of work.

A unit of work is (setting, replicate block, generation). Its stream is addressed by a
``SeedSequence`` spawn key, so any cell can be recomputed alone and results do not depend
on execution order or on how many workers run them.
"""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["block_rng", "fresh_seed", "stable_key", "storage_rng"]


def block_rng(seed: int, setting: int, block: int, generation: int) -> np.random.Generator:
    """Return the Generator of one (setting, replicate block, generation) cell.

    Parameters
    ----------
    seed : int
        The run's recorded seed.
    setting : int
        A stable integer key of the setting (see :func:`stable_key`).
    block : int
        Index of the replicate block.
    generation : int
        Generation index, 0 for the fit to real data.

    Returns
    -------
    numpy.random.Generator
        A Generator independent of every other cell's.

    Examples
    --------
    >>> a = block_rng(1, 2, 0, 5).integers(1 << 30)
    >>> b = block_rng(1, 2, 0, 5).integers(1 << 30)
    >>> bool(a == b)
    True
    """
    ss = np.random.SeedSequence(seed, spawn_key=(setting, block, generation))
    return np.random.default_rng(ss)


def storage_rng(seed: int, setting: int, block: int, generation: int) -> np.random.Generator:
    """Return a second stream per cell, for drawing what is stored, never what is computed.

    Keeping posteriors draws from it, so the results are the same whether or not the
    posteriors are kept.
    """
    ss = np.random.SeedSequence(seed, spawn_key=(setting, block, generation, 1))
    return np.random.default_rng(ss)


def stable_key(text: str) -> int:
    """Map a setting's canonical text to a 32-bit key, the same in every process and run."""
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")


def fresh_seed() -> int:
    """Draw a new 63-bit seed from the operating system's entropy, to be recorded."""
    return int(np.random.SeedSequence().entropy % (1 << 63))
