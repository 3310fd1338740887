"""A progress bar over generation cells, on standard error (rich)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

__all__ = ["progress_bar", "cells"]


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
