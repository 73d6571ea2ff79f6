"""The stretching history: every stored session and its holds, in one SQLite file.

Where: ``POSECHECK_DB`` if set, else a per-user data folder (:func:`default_path`): on Linux
``$XDG_DATA_HOME/posecheck/history.sqlite3`` (``~/.local/share/...``), on macOS
``~/Library/Application Support/posecheck/``, on Windows ``%LOCALAPPDATA%\\posecheck\\``.
Nothing is sent anywhere; ``posecheck history delete`` (or deleting the file) removes it.

Schema (versioned with ``PRAGMA user_version``; :data:`MIGRATIONS` upgrades an older file in
place, inside one transaction):

    sessions  id, started_at (ISO 8601 UTC), source ("live" | "analyze"), routine, video,
              video_sha256
    holds     id, session_id -> sessions (cascade), stretch, side, rep, valid_hold_s,
              target_s, completed, in_pose_s, start_s, end_s, rom_deg, rom_metric
    faults    hold_id -> holds (cascade), check_id, seconds: the form faults that cost the
              most time in that hold

Safety: WAL journal and a busy timeout, so two page tabs or two processes can write at once
(each write is one ``BEGIN IMMEDIATE`` transaction); a file that is not a SQLite database, is
damaged, belongs to another program or was written by a newer posecheck raises
:class:`HistoryError` naming the file, and is never written to.

The records stored in it and the API over them are in :mod:`posecheck.programme.history`.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

from posecheck.core.errors import PosecheckError

ENV = "POSECHECK_DB"
FILE_NAME = "history.sqlite3"
# "PCHK" as a 32-bit integer: marks the file as posecheck's (PRAGMA application_id).
APPLICATION_ID = 0x5043484B
BUSY_TIMEOUT_S = 15.0  # s a writer waits for another one before giving up
_SQLITE_MAGIC = b"SQLite format 3\x00"

# Each entry takes the schema from version i to i + 1. A new file runs them all, so the first
# version is a real one, and an old file is brought up to date the same way.
MIGRATIONS: tuple[str, ...] = (
    # v1: sessions and their holds (valid seconds only)
    """
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY AUTOINCREMENT,  -- ids are never reused after a delete
        started_at TEXT NOT NULL,
        source TEXT NOT NULL,
        video TEXT
    );
    CREATE TABLE holds (
        id INTEGER PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        stretch TEXT NOT NULL,
        side TEXT NOT NULL,
        rep INTEGER NOT NULL,
        valid_hold_s REAL NOT NULL,
        target_s REAL NOT NULL
    );
    CREATE INDEX holds_session ON holds(session_id);
    """,
    # v2: routines, range of motion, hold details, faults, the video's content hash
    """
    ALTER TABLE sessions ADD COLUMN routine TEXT;
    ALTER TABLE sessions ADD COLUMN video_sha256 TEXT;
    ALTER TABLE holds ADD COLUMN completed INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE holds ADD COLUMN in_pose_s REAL;
    ALTER TABLE holds ADD COLUMN start_s REAL;
    ALTER TABLE holds ADD COLUMN end_s REAL;
    ALTER TABLE holds ADD COLUMN rom_deg REAL;
    ALTER TABLE holds ADD COLUMN rom_metric TEXT;
    CREATE TABLE faults (
        hold_id INTEGER NOT NULL REFERENCES holds(id) ON DELETE CASCADE,
        check_id TEXT NOT NULL,
        seconds REAL NOT NULL
    );
    CREATE INDEX faults_hold ON faults(hold_id);
    CREATE INDEX sessions_started ON sessions(started_at);
    CREATE INDEX sessions_video ON sessions(video_sha256);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class HistoryError(PosecheckError):
    """The history database cannot be used; the message names the file and the fix."""


def default_path() -> Path:
    """``POSECHECK_DB`` if set, else ``history.sqlite3`` in the user's data folder."""
    env = os.environ.get(ENV, "").strip()
    if env:
        return Path(env).expanduser()
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = home / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or home / ".local" / "share")
    return base / "posecheck" / FILE_NAME



class Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (or ``ROLLBACK`` on error): a writer takes the
    write lock at the start, so two writers queue (busy timeout) instead of deadlocking."""

    def __init__(self, con: sqlite3.Connection, path: Path):
        self.con, self.path = con, path

    def __enter__(self) -> sqlite3.Connection:
        try:
            self.con.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            raise HistoryError(f"{self.path}: cannot write the history ({exc}); another "
                               f"program held it for over {BUSY_TIMEOUT_S:g} s. Fix: try "
                               "again, or close the other posecheck") from None
        return self.con

    def __exit__(self, kind: Any, exc: Any, tb: Any) -> None:
        if kind is not None:
            self.con.execute("ROLLBACK")
            if issubclass(kind, sqlite3.Error):
                raise HistoryError(f"{self.path}: writing the history failed ({exc}); nothing "
                                   "was changed. Fix: check the disk and the file's "
                                   "permissions") from None
            return
        try:
            self.con.execute("COMMIT")
        except sqlite3.Error as err:
            self.con.execute("ROLLBACK")
            raise HistoryError(f"{self.path}: writing the history failed ({err}); nothing was "
                               "changed. Fix: check the disk and the file's permissions") from None


def _bad(path: Path, problem: str, fix: str) -> HistoryError:
    return HistoryError(f"{path}: {problem}. The file was not changed. Fix: {fix}")


def connect(path: Path) -> sqlite3.Connection:
    """Connect, check the file is a posecheck history this version can use, then migrate."""
    move_away = (f"move it away (or set {ENV} to another file) and posecheck starts a new "
                 "history; keep the old file if you want to try recovering it")
    if path.is_dir():
        raise _bad(path, "is a folder, not a history database", f"set {ENV} to a file path")
    if path.exists() and path.stat().st_size > 0:
        with path.open("rb") as fh:
            head = fh.read(len(_SQLITE_MAGIC))
        if head != _SQLITE_MAGIC:
            raise _bad(path, "is not a SQLite database (damaged, or some other file)", move_away)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # Autocommit mode: transactions are explicit (_Transaction) so none stays open.
        con = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S, isolation_level=None)
    except sqlite3.Error as exc:
        raise _bad(path, f"cannot be opened ({exc})", "check the path and its permissions")
    try:
        _check(con, path, move_away)
        con.execute("PRAGMA foreign_keys = ON")
        con.execute("PRAGMA secure_delete = ON")  # deleted sessions are overwritten, not left
        _use_wal(con)
        _migrate(con, path)
    except HistoryError:
        con.close()
        raise
    except sqlite3.OperationalError as exc:  # read-only, locked, disk full: not damage
        con.close()
        raise _bad(path, f"cannot be used ({exc})", "check the file's and folder's permissions, "
                   f"that the disk is not full, and that no other program keeps it locked "
                   f"for over {BUSY_TIMEOUT_S:g} s") from None
    except sqlite3.DatabaseError as exc:
        con.close()
        raise _bad(path, f"is damaged ({exc})", move_away) from None
    return con


def _check(con: sqlite3.Connection, path: Path, move_away: str) -> None:
    """Read-only checks: damage, another program's database, a newer schema."""
    try:
        # One read transaction: the four reads see one state of the file, never a half-made
        # one (another process creating the schema between them looked like another program).
        con.execute("BEGIN")
        try:
            version = int(con.execute("PRAGMA user_version").fetchone()[0])
            app_id = int(con.execute("PRAGMA application_id").fetchone()[0])
            tables = [r[0] for r in con.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")]
            problems = [r[0] for r in con.execute("PRAGMA quick_check")]
        finally:
            con.execute("COMMIT")
    except sqlite3.DatabaseError as exc:
        raise _bad(path, f"is damaged or not a SQLite database ({exc})", move_away) from None
    if problems != ["ok"]:
        raise _bad(path, f"is damaged ({'; '.join(problems[:3])})", move_away)
    if app_id != APPLICATION_ID and (tables or version):
        raise _bad(path, "is a SQLite database of another program, not posecheck's history",
                   f"set {ENV} to another file")
    if version > SCHEMA_VERSION:
        raise _bad(path, f"was written by a newer posecheck (history schema v{version}; this "
                   f"one knows up to v{SCHEMA_VERSION})",
                   "upgrade posecheck, or set POSECHECK_DB to another file")


def _use_wal(con: sqlite3.Connection) -> None:
    """Switch the file to WAL once. The switch needs the file to itself and SQLite does not
    wait for that (no busy timeout), so while another process holds it, try again for up to
    :data:`BUSY_TIMEOUT_S`."""
    deadline = time.monotonic() + BUSY_TIMEOUT_S
    pause = 0.005  # s, doubled per try up to 0.2 s
    while True:
        try:
            if con.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                con.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise
            if time.monotonic() > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 0.2)


def inspect(path: str | Path | None = None) -> str:
    """A line on the database at ``path`` (default :func:`default_path`), read only: nothing is
    created, upgraded or written. Raises :class:`HistoryError` when the file cannot be used."""
    path = Path(path) if path is not None else default_path()
    if not path.exists():
        return f"{path} (not created yet: the first saved session makes it)"
    if path.is_dir():
        raise _bad(path, "is a folder, not a history database", f"set {ENV} to a file path")
    move_away = f"move it away (or set {ENV} to another file)"
    if path.stat().st_size > 0:
        with path.open("rb") as fh:
            if fh.read(len(_SQLITE_MAGIC)) != _SQLITE_MAGIC:
                raise _bad(path, "is not a SQLite database (damaged, or some other file)",
                           move_away)
    try:
        con = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True,
                              timeout=BUSY_TIMEOUT_S)
    except sqlite3.Error as exc:
        raise _bad(path, f"cannot be opened ({exc})", "check the path and its permissions")
    try:
        _check(con, path, move_away)
        version = int(con.execute("PRAGMA user_version").fetchone()[0])
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        sessions = (int(con.execute("SELECT count(*) FROM sessions").fetchone()[0])
                    if "sessions" in tables else 0)
    except sqlite3.DatabaseError as exc:
        raise _bad(path, f"is damaged ({exc})", move_away) from None
    finally:
        con.close()
    upgrade = "" if version == SCHEMA_VERSION else f", upgraded to v{SCHEMA_VERSION} when next used"
    return f"{path} (schema v{version}{upgrade}, {sessions} sessions)"


def _migrate(con: sqlite3.Connection, path: Path) -> None:
    """Bring the schema up to :data:`SCHEMA_VERSION`, one step per migration, atomically.

    The version is read again inside the write transaction, so two processes opening an old
    file at once migrate it once.
    """
    if int(con.execute("PRAGMA user_version").fetchone()[0]) == SCHEMA_VERSION:
        return
    with Transaction(con, path):
        version = int(con.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:  # a newer posecheck got there first
            raise _bad(path, f"was upgraded by a newer posecheck (v{version})",
                       "upgrade posecheck")
        for step in range(version, SCHEMA_VERSION):
            for statement in _statements(MIGRATIONS[step]):
                con.execute(statement)
        con.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        con.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")


def _statements(script: str) -> list[str]:
    # executescript() would COMMIT the open transaction; the migrations hold no ';' in text.
    return [s.strip() for s in script.split(";") if s.strip()]
