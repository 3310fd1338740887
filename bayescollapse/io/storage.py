"""Writing and reading result files: NetCDF or Zarr by suffix, every write atomic and exclusive.

A write goes through a :class:`Reservation` of its final name, taken before any work:

- **exclusive**: the reservation holds a lock file beside the target (``.NAME.lock``,
  created with ``O_CREAT | O_EXCL`` and holding the owner's pid), so two processes
  cannot both write one path; a lock whose owner is dead (``kill -9``) is taken over,
  and the temporary files that owner left are removed;
- **checked first**: it creates its temporary file beside the target at once, so an
  unwritable place (read-only directory, a path under a file, a name too long) is refused
  before the run, in one line naming the user's path;
- **atomic**: the data are written to the temporary path and moved into place: a new
  file is hard-linked to its name (which fails rather than replace a file that appeared
  meanwhile), an overwritten file is replaced with ``rename``, and an overwritten
  directory (Zarr) is swapped in with ``renameat2(RENAME_EXCHANGE)``, so the final name
  always holds a whole result, the old or the new;
- **uninterruptible while writing**: SIGINT and SIGTERM that arrive while the data are
  being written and moved are held (the handlers only note them) and raised once the
  result is in place. An exception raised inside the NetCDF/HDF5 writer could leave its
  lock held and hang the process's cleanup; deferring the signal means none is raised there.

An interrupted run (exception, SIGINT, SIGTERM) removes its temporary files and its lock
on the way out; only ``kill -9`` leaves them, and the next writer of the path cleans up.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import xarray as xr

from bayescollapse.errors import Terminated
from bayescollapse.io.formats import SUFFIXES, engine_for

__all__ = [
    "Reservation",
    "Terminated",
    "deferred_signals",
    "engine_for",
    "locked",
    "open_tree",
    "reserve",
    "write_atomic",
]

_RENAME_EXCHANGE = 2


@contextlib.contextmanager
def deferred_signals() -> Iterator[list[int]]:
    """Hold SIGINT and SIGTERM for the block; raise the first one noted when it ends.

    SIGINT becomes KeyboardInterrupt and SIGTERM :class:`Terminated`, as outside the block.
    Outside the main thread (where handlers cannot be set) the block runs as it is.
    """
    noted: list[int] = []
    if threading.current_thread() is not threading.main_thread():
        yield noted
        return
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    for sig in previous:
        signal.signal(sig, lambda number, frame: noted.append(number))
    try:
        yield noted
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    if noted:
        raise KeyboardInterrupt if noted[0] == signal.SIGINT else Terminated()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths atomically (Linux ``renameat2``); False where unsupported."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_cwd = -100
    result = renameat2(at_cwd, os.fsencode(a), at_cwd, os.fsencode(b), _RENAME_EXCHANGE)
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP):
        return False
    raise OSError(code, os.strerror(code), str(b))


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _settle_zarr(timeout: float = 30.0) -> None:
    """Wait for the chunk writes a failed Zarr write left in flight on Zarr's I/O loop.

    Zarr writes chunks concurrently; when one fails the error reaches us while others still
    run, and a late one recreates the temporary folder after it was removed (its store
    makes parent folders). Waiting for them first leaves nothing to recreate it.
    """
    import asyncio

    try:
        from zarr.core import sync as zarr_sync
    except ImportError:  # another Zarr layout: the retries of _remove_tree remain
        return
    if getattr(zarr_sync, "loop", [None])[0] is None:
        return

    async def settle() -> None:
        me = asyncio.current_task()
        pending = [t for t in asyncio.all_tasks() if t is not me and not t.done()]
        if pending:
            await asyncio.wait(pending, timeout=timeout)

    with contextlib.suppress(Exception):
        zarr_sync.sync(settle(), timeout=timeout + 1)


def _remove_tree(folder: Path, attempts: int = 50) -> None:
    """Remove ``folder``, again while it reappears or refills.

    A failed Zarr write may still have chunk writes in flight on its I/O threads when the
    error reaches us: they can add files while ``rmtree`` runs, which then leaves the
    folder behind (seen on a full disk, about one run in ten).
    """
    for _ in range(attempts):
        shutil.rmtree(folder, ignore_errors=True)
        if not folder.exists():
            return
        time.sleep(0.02)


class Reservation:
    """The right to write one path: its lock, its temporary path, and the move into place.

    Made by :func:`reserve`; see the module docstring.
    """

    def __init__(self, path: Path, temp: Path, overwrite: bool) -> None:
        self.path = path
        self.temp = temp
        self.overwrite = overwrite
        self.committed = False

    def commit(self, write: Callable[[Path], None]) -> Path:
        """Write with ``write(temp_path)`` and move the result into place, signals held.

        Raises
        ------
        FileExistsError
            If the path appeared meanwhile and ``overwrite`` is False.
        """
        with deferred_signals():
            _remove(self.temp)
            try:
                write(self.temp)
            except OSError as err:  # a full disk, a folder removed meanwhile: not a bug
                raise ValueError(_describe(err, self.path)) from None
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(self.temp, (0o777 if self.temp.is_dir() else 0o666) & ~umask)
            self._move()
            self.committed = True
        return self.path

    def _move(self) -> None:
        path, temp = self.path, self.temp
        if not path.exists() and not path.is_symlink():
            if temp.is_dir():
                os.rename(temp, path)  # the lock keeps other writers of ours away
                return
            try:
                os.link(temp, path)  # fails, rather than replaces, if the name appeared
            except FileExistsError:
                raise
            except OSError as err:  # a filesystem without hard links: rename, under the lock
                if err.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EXDEV):
                    raise
                os.rename(temp, path)
                return
            temp.unlink()
            return
        if not self.overwrite:
            raise FileExistsError(f"{path} exists; pass overwrite (CLI: --force) to replace it")
        if temp.is_dir() or path.is_dir():
            if _exchange(temp, path):
                _remove(temp)  # the old result, now at the temporary name
                return
            old = path.with_name(f".{path.name}.old")  # no atomic swap here: two renames,
            _remove(old)  # and reserve() restores the old one if a crash falls between
            os.rename(path, old)
            os.rename(temp, path)
            _remove(old)
            return
        os.replace(temp, path)


def _describe(err: OSError, path: Path) -> str:
    reason = err.strerror or str(err)
    if err.errno == errno.ENAMETOOLONG:
        reason = "the file name is too long"
    elif err.errno in (errno.ENOTDIR, errno.EEXIST):
        reason = "a part of its folder is a file, not a folder"
    elif err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        reason = "its folder is not writable"
    elif err.errno == errno.ENOSPC:
        reason = "no space left on the device"
    return f"cannot write {path}: {reason}"


def _take_lock(lock: Path, path: Path) -> None:
    for _ in range(2):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                owner = int(lock.read_text() or 0)
            except (OSError, ValueError):
                owner = 0
            if owner and owner != os.getpid() and _alive(owner):
                raise FileExistsError(
                    f"another bayescollapse process (pid {owner}) is writing {path}; wait for "
                    f"it or write elsewhere (if no such run is going, remove {lock})"
                ) from None
            _remove(lock)  # its owner is gone (kill -9): take it over
            for stale in lock.parent.glob(f".{path.name}.tmp*"):
                _remove(stale)
            continue
        with os.fdopen(fd, "w") as fh:
            fh.write(str(os.getpid()))
        return
    raise FileExistsError(f"could not take the lock {lock} of {path}")


@contextlib.contextmanager
def locked(path: str | os.PathLike) -> Iterator[Path]:
    """Hold the lock of ``path`` (``.NAME.lock``) for the block; :func:`reserve` takes it too.

    Alone, for stores written in place (a sweep's Zarr store), where only the exclusion
    matters.

    Raises
    ------
    FileExistsError
        If a live process holds the lock.
    ValueError
        If the lock cannot be made there (one line naming ``path``).
    """
    path = Path(path)
    lock = path.with_name(f".{path.name}.lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _take_lock(lock, path)
    except OSError as err:
        if isinstance(err, FileExistsError) and not err.filename:
            raise
        raise ValueError(_describe(err, path)) from None
    try:
        yield path
    finally:
        _remove(lock)


@contextlib.contextmanager
def reserve(
    path: str | os.PathLike, *, overwrite: bool = False, suffixes: tuple[str, ...] | None = None
) -> Iterator[Reservation]:
    """Reserve ``path`` for a write: check it, lock it, create its temporary path.

    ``suffixes`` are the allowed suffixes (default: NetCDF and Zarr). The lock and any
    temporary files are removed when the block ends, however it ends.

    Raises
    ------
    ValueError
        On a bad suffix, or a place that cannot be written (one line, naming ``path``).
    FileExistsError
        If ``path`` exists and ``overwrite`` is False, or another process writes it.
    """
    path = Path(path)
    allowed = suffixes or tuple(SUFFIXES)
    if path.suffix not in allowed:
        raise ValueError(f"{path} must end in {' or '.join(allowed)}")
    try:
        if path.is_dir() and path.suffix != ".zarr":
            raise ValueError(f"{path} is a folder, not a file")
        if _taken(path) and not overwrite:
            raise FileExistsError(f"{_what_is(path)}; pass overwrite (CLI: --force) to replace it")
    except OSError as err:
        if isinstance(err, FileExistsError) and not err.filename:
            raise
        raise ValueError(_describe(err, path)) from None
    folder = None
    with locked(path):
        try:
            old = path.with_name(f".{path.name}.old")
            if old.exists() and not path.exists():  # a crash fell between two renames
                os.rename(old, path)
            elif old.exists():
                _remove(old)
            if _taken(path) and not overwrite:
                raise FileExistsError(
                    f"{_what_is(path)}; pass overwrite (CLI: --force) to replace it"
                )
            try:
                folder = Path(tempfile.mkdtemp(prefix=f".{path.name}.tmp", dir=path.parent))
                temp = folder / path.name
                temp.touch()  # the final name's length and the folder's writability, now
            except OSError as err:
                raise ValueError(_describe(err, path)) from None
            yield Reservation(path, temp, overwrite)
        finally:
            if folder is not None:
                _remove_tree(folder)


def _taken(path: Path) -> bool:
    """Whether something is at ``path``: a file, a folder, or a link (even a broken one)."""
    return path.exists() or path.is_symlink()


def _what_is(path: Path) -> str:
    """Say what is at ``path``, naming a broken link's missing target."""
    if path.is_symlink() and not path.exists():
        return f"{path} exists (a link to {os.readlink(path)}, which is missing)"
    return f"{path} exists"


@contextlib.contextmanager
def _no_distributed_probe():
    """Skip xarray's probe for a Dask scheduler while no Dask client can exist.

    ``to_netcdf`` asks Dask which scheduler is active, and Dask imports ``distributed``
    to ask (0.2 s, a sixth of a small run). Without ``distributed`` imported no client
    exists, so the answer is "no scheduler" and is given here without the import.
    """
    import sys

    from xarray.backends import locks, writers

    modules = [m for m in (writers, locks) if hasattr(m, "get_dask_scheduler")]
    if "distributed" in sys.modules or len(modules) < 2:
        yield
        return
    probes = [m.get_dask_scheduler for m in modules]
    for module in modules:
        module.get_dask_scheduler = lambda *args, **kwargs: None
    try:
        yield
    finally:
        for module, probe in zip(modules, probes, strict=True):
            module.get_dask_scheduler = probe


@contextlib.contextmanager
def without_dask():
    """While Dask is not imported, tell xarray there are no Dask arrays without importing it.

    The first time xarray checks whether an array is a Dask array it imports Dask when it
    is installed (``dask.array`` and ``dask.base``: 0.1-0.2 s, a sixth of a small CLI
    run). A Dask array cannot exist before Dask is imported, so for a block of code that
    does not import it the answer is "none": it is given here through xarray's cache of
    array modules and its Dask-collection test, both restored on exit, so later code (a
    sweep, a chunked ``open_zarr``) sees the real module. Nothing is changed when Dask is
    already imported or xarray's internals differ from these.
    """
    import sys

    try:
        from xarray.namedarray import pycompat, utils

        cache, module, test = (
            pycompat._cached_duck_array_modules,
            pycompat.DuckArrayModule,
            utils.is_dask_collection,
        )
    except (ImportError, AttributeError):
        cache = None
    if cache is None or "dask" in sys.modules or "dask" in cache:
        yield
        return
    stub = object.__new__(module)
    stub.module, stub.version, stub.type, stub.available = None, pycompat.Version("0"), (), False
    cache["dask"] = stub
    utils.is_dask_collection = lambda x: False
    try:
        yield
    finally:
        utils.is_dask_collection = test
        if cache.get("dask") is stub:
            del cache["dask"]


def write_atomic(
    data: xr.Dataset | xr.DataTree,
    path: str | os.PathLike,
    *,
    overwrite: bool = False,
    reservation: Reservation | None = None,
) -> Path:
    """Write a Dataset or DataTree to ``path`` (NetCDF or Zarr by suffix), atomically.

    Every chunk is written with a checksum (:mod:`bayescollapse.io.integrity`).

    With ``reservation`` (from :func:`reserve`, taken before the work) the write goes
    through it; otherwise the path is reserved now.

    Raises
    ------
    FileExistsError
        If ``path`` exists and ``overwrite`` is False.
    ValueError
        On a suffix that is neither NetCDF nor Zarr, or a place that cannot be written.
    """
    from bayescollapse.io.integrity import with_checksums

    path = Path(path)
    engine = engine_for(path)
    size = _size(data)
    data = with_checksums(data, engine)

    def write(temp: Path) -> None:
        try:
            if engine == "zarr":  # every chunk, even one of NaN only: a missing one is damage
                data.to_zarr(temp, consolidated=False, write_empty_chunks=True)
            else:
                with _no_distributed_probe():
                    data.to_netcdf(temp, engine="netcdf4")
        except Exception as err:  # the libraries say "HDF error" and the like for a full disk
            if engine == "zarr":
                _settle_zarr()
            refuse_if_full(err, temp, path, size)
            raise

    if reservation is not None:
        return reservation.commit(write)
    with reserve(path, overwrite=overwrite) as taken:
        return taken.commit(write)


def _size(data) -> int:
    """Bytes of a Dataset's or DataTree's values (uncompressed: an upper bound on disk)."""
    if isinstance(data, xr.DataTree):
        return sum(node.dataset.nbytes for node in data.subtree)
    return int(data.nbytes)


def refuse_if_full(err: Exception, temp: Path, path: Path, size: int) -> None:
    """Turn a write that failed on a full device into a one-line ValueError, else pass."""
    if isinstance(err, OSError) and err.errno not in (errno.ENOSPC, errno.EDQUOT, None):
        return
    try:  # what the device would hold for these results: its free space and the partial file
        partial = sum(p.stat().st_size for p in temp.rglob("*")) if temp.is_dir() else 0
        partial = temp.stat().st_size if temp.is_file() else partial
        free = shutil.disk_usage(temp.parent).free + partial
    except OSError:
        return
    if isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT) or free < size:
        raise ValueError(
            f"cannot write {path}: no space left on the device ({_mb(free)} free; the results "
            f"take up to {_mb(size)}, less once compressed)"
        ) from None


def _mb(size: int) -> str:
    return f"{size / 2**20:.1f} MB"


def open_tree(path: str | os.PathLike) -> xr.DataTree:
    """Open a saved results tree (NetCDF or Zarr) fully into memory.

    Raises
    ------
    FileNotFoundError
        If nothing is at ``path``.
    ValueError
        If it is not a readable NetCDF or Zarr file.
    """
    path = Path(path)
    engine = engine_for(path)
    if not path.exists():
        raise FileNotFoundError(f"no results at {path}")
    from bayescollapse.io.integrity import Damaged, refuse_damage, strip, verify

    kwargs = {"consolidated": False} if engine == "zarr" else {}
    try:
        if engine == "zarr":  # a chunk missing would read as NaN: check first
            refuse_damage(path, verify(path))
        with xr.open_datatree(path, engine=engine, **kwargs) as tree:
            tree = tree.load()
    except Damaged:
        raise
    except (OSError, ValueError, KeyError) as err:
        with contextlib.suppress(OSError, ValueError):  # unreadable HDF5 data: name it
            refuse_damage(path, verify(path))
        raise ValueError(f"{path} is not a readable results file ({err})") from None
    return strip(tree)
