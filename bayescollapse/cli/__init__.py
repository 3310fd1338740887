"""The ``bayescollapse`` command: one module per subcommand, flags derived from dataclasses.

``run`` (:mod:`~bayescollapse.cli.run`), ``sweep``, ``phase``, ``summarize``,
``diagnose`` and ``verify``. Errors in what the user typed end with a one-line message
and exit status 2; an interruption says what was written; anything else is a bug and
says so.
"""

from __future__ import annotations

import signal
import sys
import traceback

from bayescollapse.cli import diagnose, phase, run, summarize, sweep, verify
from bayescollapse.cli.common import RESERVED, Parser, UsageError
from bayescollapse.errors import InputError, Terminated

__all__ = ["main"]


def _parser(command: str | None = None, model: str | None = None) -> Parser:
    """Return the parser of the command line.

    ``run``'s and ``phase``'s flags derive from dataclasses whose modules import NumPy and
    xarray: they are built only when the command is theirs (``run`` with the flags of
    ``model``, the default model's if None), so ``bayescollapse --help`` and the other
    subcommands answer at once.
    """
    p = Parser(
        prog="bayescollapse",
        description="Simulate model collapse under iterative retraining (MLE, conjugate, PyMC).",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    if command == "run":
        run.add_parser(sub, model)
    else:
        sub.add_parser("run", help=run.HELP)
    if command == "phase":
        phase.add_parser(sub)
    else:
        sub.add_parser("phase", help=phase.HELP)
    diagnose.add_parser(sub)
    sweep.add_parser(sub)
    summarize.add_parser(sub)
    verify.add_parser(sub)
    return p


def _version() -> str:
    from bayescollapse import __version__

    return __version__


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``bayescollapse`` command; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    command, model = (argv[:1] or [None])[0], None
    try:
        if command == "run":
            model, _ = run.chosen_model(argv[1:])  # the parser needs the model's flags
    except UsageError as err:
        print(f"bayescollapse: error: {err}", file=sys.stderr)
        return 2
    try:
        args, extra = _parser(command, model).parse_known_args(argv)
    except SystemExit as done:  # --help (0) or a usage error, already printed (2)
        return done.code if isinstance(done.code, int) else 0
    if extra:
        where = f"bayescollapse {command} --help" if command else "bayescollapse --help"
        if command == "run":
            name = model or args.family.name
            where = f"model {name!r} has no such flag; see bayescollapse run --model {name} --help"
        print(
            f"bayescollapse: error: unrecognized arguments: {' '.join(extra)} ({where})",
            file=sys.stderr,
        )
        return 2
    RESERVED.clear()
    previous = _on_sigterm()
    try:
        return args.func(args)
    except (UsageError, InputError, FileExistsError, FileNotFoundError) as err:
        print(f"bayescollapse: error: {err}", file=sys.stderr)
        return 2
    except (KeyboardInterrupt, Terminated) as err:
        written = [str(r.path) for r in RESERVED if r.committed]
        what = f"after writing {', '.join(written)} (whole)" if written else "nothing was written"
        name = "SIGTERM" if isinstance(err, Terminated) else "interrupted"
        print(f"bayescollapse: {name}; {what}", file=sys.stderr)
        return 143 if isinstance(err, Terminated) else 130
    except Exception:  # a bug, not the user's input: say so, with the traceback
        traceback.print_exc()
        print(
            "bayescollapse: internal error (a bug, not a problem with your input); "
            "please report it with the traceback above",
            file=sys.stderr,
        )
        return 1
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _on_sigterm():
    """Make SIGTERM raise Terminated (as SIGINT raises KeyboardInterrupt): clean exits.

    Returns the previous handler (None outside the main thread, where none is set).
    """
    import threading

    if threading.current_thread() is not threading.main_thread():
        return None

    def terminate(number, frame):
        raise Terminated()

    return signal.signal(signal.SIGTERM, terminate)


if __name__ == "__main__":
    sys.exit(main())
