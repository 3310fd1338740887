"""A progress bar over generation cells, on standard error (rich).

``run``, ``run_tree`` and ``sweep`` take ``progress``: a callback, True (a bar), False
(silence) or None, the default: a bar when someone is watching (standard error is a
terminal, or the code runs in a Jupyter kernel), none in scripts piped to files or tests.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

__all__ = ["Progress", "cells", "progress_bar", "watched"]

#: what ``progress=`` accepts
Progress = Callable[[int], None] | bool | None


def cells(config) -> int:
    """Count the (setting, replicate block, generation) cells a run of ``config`` computes."""
    return len(config.settings) * config.blocks * (config.generations + 1)


@contextlib.contextmanager
def progress_bar(
    total: int, *, disable: bool = False, label: str = "generations"
) -> Iterator[Callable[[int], None]]:
    """Show a bar of ``total`` steps; yield the callback to pass as ``run(progress=...)``."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        disable=disable,
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda k: bar.advance(task, k)


def watching() -> bool:
    """Whether a person is likely to see a bar: a terminal, or a Jupyter kernel."""
    if sys.stderr is not None and sys.stderr.isatty():
        return True
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return type(shell).__name__ == "ZMQInteractiveShell"


@contextlib.contextmanager
def watched(
    progress: Progress, total: int, *, label: str = "generations"
) -> Iterator[Callable[[int], None] | None]:
    """Yield the callback ``progress`` stands for: itself, a new bar, or None."""
    if callable(progress):
        yield progress
        return
    if progress is None:
        progress = watching()
    if not isinstance(progress, bool):
        raise TypeError(f"progress must be a callable, True, False or None, got {progress!r}")
    if not progress:
        yield None
        return
    with progress_bar(total, label=label) as advance:
        yield advance
