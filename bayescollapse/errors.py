"""The package's error for bad input found while a run is under way.

Configuration errors are ``ValueError``s raised when a :class:`~bayescollapse.RunConfig`
is built. A few problems with the input show only once data exist (a Gaussian training
set too small for the method's variance); those raise :class:`InputError`, a
``ValueError`` the command line reports as bad input (exit status 2). Any other exception
during a run is a bug, reported as one.
"""

from __future__ import annotations

__all__ = ["InputError", "Terminated"]


class InputError(ValueError):
    """Bad input that surfaced during a run (reported in one line, like a config error)."""


class Terminated(BaseException):  # noqa: N818 - named like KeyboardInterrupt, its sibling
    """Raised (like KeyboardInterrupt for SIGINT) when the command receives SIGTERM."""
