"""The one atomic write: readers see the old file or the whole new one, never a part.

A file is written under a temporary name beside its target (hidden: ``.<name>.<random>.tmp``),
given normal permissions, then moved into place with ``os.replace``; on any error the
temporary file is deleted. Every temporary file of the process is tracked until it is moved
or deleted, so a worker told to stop removes them (``remove_own_temps``) and a later run
removes what a killed one left (``is_temp_name``).

Used by everything that writes a result: batch reports, landmark files, annotated and
synthetic videos, models, tuned specs.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from pathlib import Path
from typing import IO, Iterator

FILE_MODE = 0o644  # permissions of written files (temporary files start private)
TEMP_SUFFIX = ".tmp"

_TEMPS: set[str] = set()  # this process's temporary files not yet moved into place
_TEMPS_LOCK = threading.Lock()


def make_temp(path: Path) -> str:
    """A new, empty temporary file beside ``path`` (``.<name>.<random>.tmp``), tracked until
    ``forget_temp`` so that ``remove_own_temps`` can delete it."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    os.close(fd)
    with _TEMPS_LOCK:
        _TEMPS.add(tmp)
    return tmp


def forget_temp(tmp: str) -> None:
    """``tmp`` was moved into place or deleted: no longer ours to clean up."""
    with _TEMPS_LOCK:
        _TEMPS.discard(tmp)


def remove_own_temps() -> None:
    """Delete this process's temporary files (a worker told to stop calls this, from a
    signal handler: no locks, a copy of the set)."""
    for tmp in list(_TEMPS):
        unlink_quietly(tmp)


def is_temp_name(name: str) -> bool:
    """A name only :func:`make_temp`'s files have: ``.<file>.<random>.tmp``."""
    return name.startswith(".") and name.endswith(TEMP_SUFFIX)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, fsync: bool = True) -> Iterator[str]:
    """The temporary path to write ``path``'s new content to; on a clean exit it is moved
    into place (with ``FILE_MODE``), on an error deleted. The folder is created if needed.

    Example:
        >>> with atomic_path(target) as tmp:  # doctest: +SKIP
        ...     Path(tmp).write_bytes(data)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = make_temp(path)
    try:
        yield tmp
        if fsync:
            fd = os.open(tmp, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        os.chmod(tmp, FILE_MODE)  # mkstemp makes 0600 files; results are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        unlink_quietly(tmp)
        raise
    finally:
        forget_temp(tmp)


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """A binary file to write ``path``'s new content to, moved into place on a clean exit
    (see :func:`atomic_path`)."""
    with atomic_path(path, fsync=False) as tmp, open(tmp, "wb") as fh:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_open(path) as fh:
        fh.write(data)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    atomic_write_bytes(path, text.encode("utf-8"))


def unlink_quietly(path: str | os.PathLike[str]) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
