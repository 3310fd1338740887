"""Reading what a results file records of its run: a leaf the configuration and the io share."""

from __future__ import annotations

import json

__all__ = ["recorded_config"]


def recorded_config(text) -> dict:
    """Return the configuration a results file records as JSON text, as a dict.

    Raises
    ------
    ValueError
        One line naming the attribute, when the text is not a configuration (not JSON, not
        a table of keys, or a ``params`` that is not a table).
    """
    try:
        data = json.loads(text)
    except (TypeError, ValueError, RecursionError):
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("params", {}), dict):
        raise ValueError(f"the attribute 'config' is not a configuration: {str(text)[:60]!r}")
    return data
