"""What a figure a scientist would publish must satisfy, checked on the drawn canvas."""

from __future__ import annotations

from matplotlib.colors import to_hex
from matplotlib.lines import Line2D


def outside(fig) -> list[str]:
    """Return the texts and legends of ``fig`` that reach past its canvas, and the y labels
    longer than their panel is tall (they run into the next row's)."""
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    bad = []
    for ax in fig.axes:
        label, panel = ax.yaxis.label, ax.get_window_extent(renderer)
        if label.get_text() and label.get_window_extent(renderer).height > panel.height + 2:
            bad.append(f"y label taller than its panel: {label.get_text()!r}")
    artists = [*fig.legends, *fig.texts]
    if fig._suptitle is not None:
        artists.append(fig._suptitle)
    for ax in fig.axes:
        artists += [ax.title, ax.xaxis.label, ax.yaxis.label, *ax.texts]
        if ax.get_legend() is not None:
            artists.append(ax.get_legend())
    for artist in artists:
        if not artist.get_visible() or (hasattr(artist, "get_text") and not artist.get_text()):
            continue
        box = artist.get_window_extent(renderer)
        if box.x0 < -1 or box.y0 < -1 or box.x1 > fig.bbox.x1 + 1 or box.y1 > fig.bbox.y1 + 1:
            bad.append(artist.get_text() if hasattr(artist, "get_text") else type(artist).__name__)
    return bad


def look(line) -> tuple:
    """Return what tells a line apart: colour, dash pattern, marker."""
    return (to_hex(line.get_color()), str(line._dash_pattern), line.get_marker())


def repeated_looks(fig) -> list[str]:
    """Return legend labels whose line looks like another label's."""
    seen: dict[tuple, str] = {}
    repeated = []
    for legend in [*fig.legends, *(ax.get_legend() for ax in fig.axes if ax.get_legend())]:
        for handle, text in zip(legend.legend_handles, legend.get_texts(), strict=True):
            if not isinstance(handle, Line2D):  # a band's patch: its line says the look
                continue
            key = look(handle)
            if key in seen and seen[key] != text.get_text():
                repeated.append(f"{text.get_text()} looks like {seen[key]}")
            seen.setdefault(key, text.get_text())
    return repeated


def unlabelled_axes(fig) -> list[str]:
    """Return the panels with data whose row has no y label or whose column no x label."""
    panels = [ax for ax in fig.axes if ax.get_lines() or ax.collections or ax.images]
    bad = []
    for ax in panels:
        spec = ax.get_subplotspec()
        row = [a for a in panels if a.get_subplotspec().rowspan == spec.rowspan]
        column = [a for a in panels if a.get_subplotspec().colspan == spec.colspan]
        if not any(a.get_ylabel() for a in row):
            bad.append(f"row of {ax.get_title()!r}: no y label")
        if not any(a.get_xlabel() for a in column):
            bad.append(f"column of {ax.get_title()!r}: no x label")
    return bad
