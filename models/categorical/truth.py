"""The true next-token distribution ``P*``: from an array or a named recipe.

Recipes (spec strings, recorded in the results):

- ``uniform``: every token ``1/K``.
- ``zipf:s``: ``P*[k]`` proportional to ``(k + 1)**-s``.
- ``dirichlet:c:seed``: one draw from a symmetric Dirichlet(c), reproducible from ``seed``.
- ``values:p1,p2,...``: explicit probabilities (must sum to 1).
"""

from __future__ import annotations

import numpy as np

__all__ = ["make_truth", "check_probabilities"]


def check_probabilities(probs: np.ndarray, *, num_tokens: int | None = None) -> np.ndarray:
    """Validate a probability vector and return it as float64.

    Raises
    ------
    ValueError
        If it is not 1-D, has negative or non-finite entries, does not sum to 1 within
        1e-9, or its length differs from ``num_tokens``.
    """
    p = np.asarray(probs, dtype=float)
    if p.ndim != 1 or p.size < 2:
        raise ValueError(
            f"truth must be a 1-D probability vector over >= 2 tokens, got shape {p.shape}"
        )
    if num_tokens is not None and p.size != num_tokens:
        raise ValueError(f"truth has {p.size} tokens but num_tokens is {num_tokens}")
    bad = np.flatnonzero(~np.isfinite(p) | (p < 0))
    if bad.size:
        raise ValueError(
            f"truth probability {p[bad[0]]:g} (token {bad[0]}) is not a finite number >= 0"
        )
    if abs(p.sum() - 1) > 1e-9:
        raise ValueError(f"truth probabilities must sum to 1, got {p.sum():.12g}")
    return p / p.sum()


def make_truth(spec: str | np.ndarray, num_tokens: int) -> np.ndarray:
    """Build ``P*`` over ``num_tokens`` tokens from a recipe or an explicit array.

    Parameters
    ----------
    spec : str or array_like
        A recipe (see the module docstring) or the probabilities themselves.
    num_tokens : int
        Vocabulary size K (>= 2).

    Returns
    -------
    numpy.ndarray
        Shape ``(num_tokens,)``, non-negative, summing to 1.

    Examples
    --------
    >>> make_truth("zipf:1", 3).round(3).tolist()
    [0.545, 0.273, 0.182]
    """
    if not isinstance(num_tokens, int | np.integer) or num_tokens < 2:
        raise ValueError(f"num_tokens must be an integer >= 2, got {num_tokens!r}")
    if not isinstance(spec, str):
        return check_probabilities(spec, num_tokens=num_tokens)
    name, _, rest = spec.partition(":")
    args = rest.split(":") if rest else []
    try:
        if name == "uniform" and not args:
            return np.full(num_tokens, 1.0 / num_tokens)
        if name == "zipf" and len(args) == 1:
            exponent = float(args[0])
            if not np.isfinite(exponent):
                raise ValueError(f"truth {spec!r}: the zipf exponent must be a finite number")
            w = np.arange(1, num_tokens + 1, dtype=float) ** -exponent
            return w / w.sum()
        if name == "dirichlet" and len(args) == 2:
            concentration, seed = float(args[0]), int(args[1])
            if not (np.isfinite(concentration) and concentration > 0):
                raise ValueError(
                    f"truth {spec!r}: the dirichlet concentration must be a finite number > 0"
                )
            rng = np.random.default_rng(seed)
            return check_probabilities(rng.dirichlet(np.full(num_tokens, concentration)))
        if name == "values" and len(args) == 1:
            values = [float(x) for x in args[0].split(",")]
            return check_probabilities(values, num_tokens=num_tokens)
    except ValueError as err:
        if "truth" in str(err) or "dirichlet" in str(err):
            raise
    raise ValueError(
        f"unknown truth {spec!r}: use 'uniform', 'zipf:S', 'dirichlet:C:SEED' or 'values:P1,P2,...'"
    )
