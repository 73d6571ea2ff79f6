"""The batch's output folder and the one JSON form of its files (sorted keys, 2-space indent,
no NaN). The folder is checked before any work (``check_output_dir``), locked against a
second run (``output_lock``), and a run removes the temporary files a killed one left there
(``sweep_temps``). Files are written with :mod:`posecheck.io.files` (atomic).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
from pathlib import Path
from typing import Any, Iterator

from posecheck.core.errors import OutputError
from posecheck.io.files import is_temp_name, unlink_quietly

LOCK_NAME = ".posecheck.lock"  # in the output folder while a run writes there
# errno values that mean "the output folder cannot take more", not "this video is bad".
OUTPUT_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS})


def sweep_temps(out: Path) -> None:
    """Remove temporary files a killed run left in ``out`` (call it holding the lock: then no
    other run is writing there)."""
    try:
        names = [e.name for e in os.scandir(out) if e.is_file(follow_symlinks=False)]
    except OSError:
        return
    for name in names:
        if is_temp_name(name):
            unlink_quietly(out / name)


def check_output_dir(out: Path, option: str) -> None:
    """Create ``out`` if needed and prove a file can be written there; else one clear error
    (before any video is read or any model is run)."""
    fix = f"choose a folder you can write to with {option}"
    if out.exists() and not out.is_dir():
        raise OutputError(f"{option} {out} is an existing file, not a folder; {fix}")
    try:
        out.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".posecheck-probe.", suffix=".tmp", dir=out)
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OutputError(f"{option} {out} cannot be written ({exc.strerror or exc}); "
                          f"{fix}") from None


def output_full(exc: OSError, out: str | Path) -> OutputError:
    """The error that stops the run when the output folder cannot take more."""
    what = "is full" if exc.errno in (errno.ENOSPC, errno.EDQUOT) else "has become read-only"
    return OutputError(f"the output folder {out} {what} ({exc.strerror or exc}); free space "
                       "there or choose another --out, then run the same command again to "
                       "resume (finished videos are kept)")


@contextlib.contextmanager
def output_lock(out: Path, option: str) -> Iterator[None]:
    """Hold ``out``'s lock for the run: a second run on the same folder gets a clear error
    instead of mixing its files with ours. The lock goes with the process (flock), so a
    killed run does not leave the folder locked."""
    import fcntl

    out.mkdir(parents=True, exist_ok=True)
    fh = open(out / LOCK_NAME, "a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            pid = fh.read().strip() or "?"
            raise OutputError(f"{option} {out} is in use by another posecheck run (pid {pid}); "
                              f"wait for it to finish or choose another {option}") from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"{os.getpid()}\n")
        fh.flush()
        yield
    finally:
        fh.close()


def dump_json(obj: Any) -> str:
    """The one JSON form of reports: sorted keys, 2-space indent, no NaN (null instead)."""
    return json.dumps(_finite(obj), indent=2, sort_keys=True, ensure_ascii=False,
                      allow_nan=False) + "\n"


def _finite(obj: Any) -> Any:
    """JSON has no NaN/inf: turn them into null, and numpy scalars into Python numbers."""
    if isinstance(obj, float):
        return obj if obj == obj and obj not in (float("inf"), float("-inf")) else None
    if isinstance(obj, dict):
        return {str(k): _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item) and getattr(obj, "shape", None) == ():
        return _finite(obj.item())
    if hasattr(obj, "tolist"):
        return _finite(obj.tolist())
    return obj
