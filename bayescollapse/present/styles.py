"""How a fit looks in every figure: colour by fitting method, line style by variant.

A study crosses methods (MLE, conjugate, PyMC...) with variants of each (synthetic mode,
temperature, top-k...). Colour carries the method (Okabe & Ito's palette, readable with
every common colour-vision deficiency) and the dash pattern the variant, with markers
added past six variants, so no two fits of a figure share a look whatever their number
and a reader finds "all the conjugate fits" by colour at once.
"""

from __future__ import annotations

import itertools

import xarray as xr

__all__ = ["DASHES", "PALETTE", "THEORY", "fit_styles", "setting_styles"]

#: Okabe & Ito (2008), yellow left out (unreadable as a line on white)
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
#: solid, dashed, dotted, dash-dot, dash-dot-dot, long dash
DASHES = (
    "-",
    (0, (6, 2)),
    (0, (1.5, 1.5)),
    (0, (6, 2, 1.5, 2)),
    (0, (6, 2, 1.5, 2, 1.5, 2)),
    (0, (12, 3)),
)
MARKERS = (None, "o", "s", "^", "D", "v", "P", "X")
#: a closed-form curve: a wide pale line in its fit's colour, behind the simulation
THEORY = {"lw": 5.0, "alpha": 0.3, "solid_capstyle": "butt"}


def _looks(count: int):
    """Yield ``count`` distinct (dash, marker) pairs, markers only once dashes run out."""
    return itertools.islice(((d, m) for m in MARKERS for d in DASHES), count)


def fit_styles(ds: xr.Dataset) -> dict[str, dict]:
    """Return matplotlib line keywords per fit label of ``ds`` (its ``fit_label`` coordinate).

    Fits of one method (``fit_method``) share a colour and differ by dash pattern (and
    marker). Past the palette's seven methods, colours repeat with the dash patterns
    shifted, so a (colour, dash, marker) look is still never repeated.

    Examples
    --------
    >>> import xarray as xr
    >>> ds = xr.Dataset(coords={
    ...     "fit_label": ("setting", ["mle", "mle T=0.8", "conjugate ancestral"]),
    ...     "fit_method": ("setting", ["mle", "mle", "conjugate"])})
    >>> styles = fit_styles(ds)
    >>> mle, cooler, conjugate = styles["mle"], styles["mle T=0.8"], styles["conjugate ancestral"]
    >>> mle["color"] == cooler["color"] != conjugate["color"]
    True
    >>> styles["mle"]["linestyle"], styles["mle T=0.8"]["linestyle"]
    ('-', (0, (6, 2)))
    """
    return _styles([str(v) for v in ds["fit_label"].values], _methods(ds))


def setting_styles(ds: xr.Dataset) -> dict[str, dict]:
    """Return line keywords per setting: colour by method, dash by regime and variant.

    For figures that draw the settings of several regimes in one panel, where the same
    fit in two regimes must not look alike.
    """
    return _styles([str(v) for v in ds["setting"].values], _methods(ds))


def _styles(names: list[str], methods: list[str]) -> dict[str, dict]:
    """Give each distinct name a look: its method's colour, a dash (and marker) of its own."""
    method_of = dict(zip(names, methods, strict=True))
    labels = list(dict.fromkeys(names))
    ordered = list(dict.fromkeys(method_of[label] for label in labels))
    variants = {m: [label for label in labels if method_of[label] == m] for m in ordered}
    widest = max(len(v) for v in variants.values())
    styles = {}
    for i, method in enumerate(ordered):
        shift = (i // len(PALETTE)) * widest  # a second round of colours: other dashes
        looks = list(_looks(shift + len(variants[method])))[shift:]
        for label, (dash, marker) in zip(variants[method], looks, strict=True):
            style = {"color": PALETTE[i % len(PALETTE)], "linestyle": dash}
            if marker is not None:
                style.update(marker=marker, markersize=4, markevery=0.1)
            styles[label] = style
    return styles


def _methods(ds: xr.Dataset) -> list[str]:
    """Return the method of every setting: ``fit_method``, or the label's first word without it."""
    if "fit_method" in ds.coords:
        return [str(v) for v in ds["fit_method"].values]
    return [str(v).split()[0] for v in ds["fit_label"].values]
