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
"""

from __future__ import annotations

import math
import os
import sqlite3
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

from posecheck.core.errors import PosecheckError

ENV = "POSECHECK_DB"
FILE_NAME = "history.sqlite3"
# "PCHK" as a 32-bit integer: marks the file as posecheck's (PRAGMA application_id).
APPLICATION_ID = 0x5043484B
BUSY_TIMEOUT_S = 15.0  # s a writer waits for another one before giving up
SOURCES = ("live", "analyze")
TOP_FAULTS = 3  # faults kept per hold (the ones that cost the most time)
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


# ============================================================================ value objects
@dataclass(frozen=True)
class FaultTime:
    """Seconds one form check failed during a hold."""

    check: str
    seconds: float


@dataclass(frozen=True)
class HoldEntry:
    """One hold of one stretch on one side (a rep), as stored.

    Attributes:
        stretch: spec id. side: "left" / "right" / "both". rep: 1-based rep on that side.
        valid_hold_s: s of valid form in the hold. target_s: s the hold aimed for.
        completed: the valid seconds reached the target.
        rom_deg: range of motion, the median of ``rom_metric`` over the hold's valid frames
            (degrees; None when not measured). in_pose_s, start_s, end_s: s (clip or session
            time). faults: the checks that failed longest, longest first.
    """

    stretch: str
    side: str
    rep: int
    valid_hold_s: float
    target_s: float
    completed: bool = False
    rom_deg: float | None = None
    rom_metric: str | None = None
    in_pose_s: float | None = None
    start_s: float | None = None
    end_s: float | None = None
    faults: tuple[FaultTime, ...] = ()
    id: int | None = None

    def __post_init__(self) -> None:
        if self.side not in ("left", "right", "both"):
            raise ValueError(f"side must be 'left', 'right' or 'both', got {self.side!r}")
        for name in ("valid_hold_s", "target_s"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0):
                raise ValueError(f"{name} must be a number of seconds >= 0, got {v!r}")
        if self.rom_deg is not None and not math.isfinite(self.rom_deg):
            object.__setattr__(self, "rom_deg", None)

    def to_json(self) -> dict[str, Any]:
        return {"stretch": self.stretch, "side": self.side, "rep": self.rep,
                "valid_hold_s": _r(self.valid_hold_s), "target_s": _r(self.target_s),
                "completed": self.completed, "rom_deg": _r(self.rom_deg, 1),
                "rom_metric": self.rom_metric, "in_pose_s": _r(self.in_pose_s),
                "start_s": _r(self.start_s), "end_s": _r(self.end_s),
                "faults": [{"check": f.check, "seconds": _r(f.seconds)} for f in self.faults]}


@dataclass(frozen=True)
class SessionRecord:
    """One stored session: when, from where, which routine, and its holds."""

    started_at: datetime
    source: str
    holds: tuple[HoldEntry, ...] = ()
    routine: str | None = None
    video: str | None = None
    video_sha256: str | None = None
    id: int | None = None

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"source must be one of {SOURCES}, got {self.source!r}")
        if self.started_at.tzinfo is None:
            raise ValueError("started_at must be timezone-aware (e.g. datetime.now(timezone.utc))")

    @property
    def local_day(self) -> str:
        """The day it happened, in the machine's time zone (YYYY-MM-DD)."""
        return self.started_at.astimezone().date().isoformat()

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "started_at": _iso(self.started_at), "day": self.local_day,
                "source": self.source, "routine": self.routine, "video": self.video,
                "holds": [h.to_json() for h in self.holds]}

    def entry_rows(self) -> list[dict[str, Any]]:
        """One flat row per hold with the session's fields (list --json, export)."""
        head = {"session_id": self.id, "started_at": _iso(self.started_at),
                "day": self.local_day, "source": self.source, "routine": self.routine,
                "video": self.video}
        rows = []
        for h in self.holds:
            row = {**head, **h.to_json()}
            row["faults"] = "; ".join(f"{f.check} {f.seconds:.1f} s" for f in h.faults)
            rows.append(row)
        return rows


def _r(x: float | None, digits: int = 3) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), digits)


def _iso(t: datetime) -> str:
    return t.astimezone(timezone.utc).isoformat(timespec="seconds")


# ============================================================================ the database
class History:
    """An open history database. Use as a context manager, or call :meth:`close`.

    Opening checks the file before anything is written (see the module docstring), creates it
    if missing and upgrades an older schema.
    """

    def __init__(self, path: str | Path | None = None):
        self.path = Path(path) if path is not None else default_path()
        self._con = _open(self.path)

    def __enter__(self) -> "History":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    # ------------------------------------------------------------------ writing
    def add(self, record: SessionRecord, *, replace_video: bool = False) -> int:
        """Store a session and its holds (one transaction); returns its id.

        ``replace_video``: first remove earlier ``analyze`` sessions of the same video content
        (``video_sha256``), so analysing a clip again does not count it twice.
        """
        with self._write() as con:
            if replace_video and record.video_sha256:
                con.execute("DELETE FROM sessions WHERE source = 'analyze' AND video_sha256 = ?",
                            (record.video_sha256,))
            cur = con.execute(
                "INSERT INTO sessions (started_at, source, routine, video, video_sha256) "
                "VALUES (?, ?, ?, ?, ?)",
                (_iso(record.started_at), record.source, record.routine, record.video,
                 record.video_sha256))
            sid = int(cur.lastrowid)
            for h in record.holds:
                cur = con.execute(
                    "INSERT INTO holds (session_id, stretch, side, rep, valid_hold_s, target_s,"
                    " completed, in_pose_s, start_s, end_s, rom_deg, rom_metric) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (sid, h.stretch, h.side, int(h.rep), float(h.valid_hold_s),
                     float(h.target_s), int(bool(h.completed)), h.in_pose_s, h.start_s,
                     h.end_s, h.rom_deg, h.rom_metric))
                hid = int(cur.lastrowid)
                con.executemany("INSERT INTO faults (hold_id, check_id, seconds) VALUES (?, ?, ?)",
                                [(hid, f.check, float(f.seconds)) for f in h.faults])
        return sid

    def delete(self, session_id: int) -> bool:
        """Remove one session and its holds; False if there was no such session."""
        with self._write() as con:
            cur = con.execute("DELETE FROM sessions WHERE id = ?", (int(session_id),))
        return cur.rowcount > 0

    def delete_all(self) -> int:
        """Remove every session; returns how many there were. The file stays (empty)."""
        with self._write() as con:
            cur = con.execute("DELETE FROM sessions")
        try:  # secure_delete already zeroed the rows; this also shrinks the file
            self._con.execute("VACUUM")
            self._con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.OperationalError:
            pass  # another connection is reading: the next delete --all will compact it
        return cur.rowcount

    # ------------------------------------------------------------------ reading
    def sessions(self, *, stretch: str | None = None) -> list[SessionRecord]:
        """Every session, oldest first (only holds of ``stretch`` if given)."""
        con = self._live()
        rows = con.execute("SELECT id, started_at, source, routine, video, video_sha256 "
                           "FROM sessions ORDER BY started_at, id").fetchall()
        holds = self._holds(con, stretch)
        out = []
        for sid, started, source, routine, video, sha in rows:
            hs = tuple(holds.get(sid, ()))
            if stretch is not None and not hs:
                continue
            out.append(SessionRecord(started_at=datetime.fromisoformat(started), source=source,
                                     holds=hs, routine=routine, video=video,
                                     video_sha256=sha, id=sid))
        return out

    def session(self, session_id: int) -> SessionRecord | None:
        return next((s for s in self.sessions() if s.id == int(session_id)), None)

    def _holds(self, con: sqlite3.Connection, stretch: str | None
               ) -> dict[int, list[HoldEntry]]:
        faults: dict[int, list[FaultTime]] = {}
        for hid, check, seconds in con.execute(
                "SELECT hold_id, check_id, seconds FROM faults ORDER BY hold_id, seconds DESC"):
            faults.setdefault(hid, []).append(FaultTime(check, seconds))
        sql = ("SELECT id, session_id, stretch, side, rep, valid_hold_s, target_s, completed, "
               "in_pose_s, start_s, end_s, rom_deg, rom_metric FROM holds")
        args: tuple = ()
        if stretch is not None:
            sql, args = sql + " WHERE stretch = ?", (stretch,)
        out: dict[int, list[HoldEntry]] = {}
        for (hid, sid, st, side, rep, valid, target, done, in_pose, a, b, rom,
             metric) in con.execute(sql + " ORDER BY session_id, id", args):
            out.setdefault(sid, []).append(HoldEntry(
                stretch=st, side=side, rep=rep, valid_hold_s=valid, target_s=target,
                completed=bool(done), rom_deg=rom, rom_metric=metric, in_pose_s=in_pose,
                start_s=a, end_s=b, faults=tuple(faults.get(hid, ())), id=hid))
        return out

    # ------------------------------------------------------------------ plumbing
    def _live(self) -> sqlite3.Connection:
        if self._con is None:
            raise HistoryError(f"{self.path}: the history database was closed")
        return self._con

    def _write(self) -> "_Transaction":
        return _Transaction(self._live(), self.path)


class _Transaction:
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


def _open(path: Path) -> sqlite3.Connection:
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
    with _Transaction(con, path):
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


# ============================================================================ from analyses
def record_from_analysis(report: Any, spec: Any, *, source: str, started_at: datetime,
                         routine: str | None = None, video: str | None = None,
                         video_sha256: str | None = None) -> SessionRecord:
    """A session record from an :class:`~posecheck.core.analysis.AnalysisReport` (a clip, or the
    frame reports of a live session): one entry per hold, with its range of motion."""
    from posecheck.core.rom import measure_holds

    holds = tuple(
        HoldEntry(stretch=spec.id, side=m.side, rep=m.rep, valid_hold_s=m.valid_s,
                  target_s=m.target_s, completed=m.completed, rom_deg=m.rom_deg,
                  rom_metric=m.rom_metric, in_pose_s=m.in_pose_s, start_s=m.start_s,
                  end_s=m.end_s,
                  faults=tuple(FaultTime(c, s) for c, s in m.faults[:TOP_FAULTS]))
        for m in measure_holds(report, spec))
    return SessionRecord(started_at=started_at, source=source, holds=holds, routine=routine,
                         video=video, video_sha256=video_sha256)


def save_analysis(report: Any, spec: Any, *, video: str, video_sha256: str | None = None,
                  path: str | Path | None = None) -> int | None:
    """Store one analysed clip (``posecheck analyze --save-history``); the clip's date is its
    file's modification time. Replaces an earlier entry of the same clip. None: nothing stored
    (no spec recognised, or no hold began)."""
    if report is None or spec is None:
        return None
    try:
        when = datetime.fromtimestamp(Path(video).stat().st_mtime, tz=timezone.utc)
    except OSError:
        when = datetime.now(timezone.utc)
    record = record_from_analysis(report, spec, source="analyze", started_at=when,
                                  video=video, video_sha256=video_sha256)
    if not record.holds:
        return None
    with History(path) as db:
        return db.add(record, replace_video=True)


def save_frames(frames: Sequence[Any], spec: Any, *, started_at: datetime,
                routine: str | None = None, source: str = "live",
                path: str | Path | None = None) -> int | None:
    """Store a live session from its frame reports (one spec's :class:`FrameReport` s, in
    order). Nothing is stored when no hold began (None)."""
    from posecheck.core.analysis import AnalysisReport

    report = AnalysisReport(stretch=spec.id, video="", fps=0.0, frames=tuple(frames),
                            smoothing="live")
    record = record_from_analysis(report, spec, source=source, started_at=started_at,
                                  routine=routine)
    if not record.holds:
        return None
    with History(path) as db:
        return db.add(record)


def all_holds(sessions: Iterable[SessionRecord]) -> list[tuple[SessionRecord, HoldEntry]]:
    """``(session, hold)`` pairs, in session order."""
    return [(s, h) for s in sessions for h in s.holds]


__all__ = ["ENV", "FaultTime", "History", "HistoryError", "HoldEntry", "SCHEMA_VERSION",
           "SessionRecord", "all_holds", "default_path", "record_from_analysis",
           "save_analysis", "save_frames"]
