"""The stretching history: every stored session and its holds (value objects), the API that
stores and reads them, and the bridge from an analysis. The file itself (where it lives, the
schema, safe opening) is :mod:`posecheck.programme.database`.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable, Sequence

from posecheck.programme.database import HistoryError, Transaction, connect, default_path

SOURCES = ("live", "analyze")
TOP_FAULTS = 3  # faults kept per hold (the ones that cost the most time)

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
        self._con = connect(self.path)

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

    def _write(self) -> "Transaction":
        return Transaction(self._live(), self.path)


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


__all__ = ["FaultTime", "History", "HoldEntry", "SessionRecord", "all_holds",
           "record_from_analysis", "save_analysis", "save_frames"]
