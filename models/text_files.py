"""Reading a user's text file (a truth's corpus, a reward table): bounded, UTF-8, one line."""

from __future__ import annotations

from pathlib import Path

__all__ = ["read_bounded_text"]


def read_bounded_text(path: Path, limit: int, what: str) -> str:
    """Return the text of ``path``, reading at most ``limit`` bytes.

    A device or a huge file is refused without being read whole. ``what`` names the file
    in the one-line errors; the caller checks first that ``path`` is a regular file.

    Raises
    ------
    ValueError
        If it cannot be read, is larger than ``limit`` bytes, or is not UTF-8 text.
    """
    try:
        with Path(path).open("rb") as fh:
            raw = fh.read(limit + 1)
    except OSError as err:
        raise ValueError(f"cannot read {what} ({err.strerror or err})") from None
    if len(raw) > limit:
        raise ValueError(f"{what} is larger than {limit // 2**20} MB, the most read")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{what} is not UTF-8 text") from None
