"""The history database (posecheck.programme.history): pure layer on a real SQLite file in tmp_path.

Schema creation, migration of a v1 file written with raw SQL, two processes writing at once,
and files that must be refused without being changed (damaged, not SQLite, another
program's, newer schema).
"""

from __future__ import annotations

import math
import multiprocessing as mp
import sqlite3
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from posecheck.programme import database, history
from posecheck.programme.database import SCHEMA_VERSION, HistoryError
from posecheck.programme.history import FaultTime, History, HoldEntry, SessionRecord

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)


def record(k: int = 0, *, stretch: str = "half_kneeling_hip_flexor", rom: float | None = 14.0,
           source: str = "live") -> SessionRecord:
    return SessionRecord(
        started_at=T0 + timedelta(days=k), source=source, routine="daily_psoas",
        holds=(HoldEntry(stretch, "left", 1, 28.5, 30.0, False, rom,
                         "stretched_hip_extension_deg", 33.0, 2.0, 35.0,
                         (FaultTime("torso_upright", 3.5), FaultTime("back_not_arched", 1.0))),
               HoldEntry(stretch, "right", 1, 30.0, 30.0, True, None, None)))


def test_new_file_gets_the_current_schema_in_wal_mode(tmp_path):
    path = tmp_path / "sub" / "h.sqlite3"
    with History(path) as db:
        sid = db.add(record())
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert con.execute("PRAGMA application_id").fetchone()[0] == database.APPLICATION_ID
    assert con.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"sessions", "holds", "faults"} <= tables
    con.close()
    with History(path) as db:
        s = db.session(sid)
    assert s.started_at == T0 and s.routine == "daily_psoas" and s.source == "live"
    left, right = s.holds
    assert (left.side, left.valid_hold_s, left.target_s, left.rom_deg) == ("left", 28.5, 30.0, 14.0)
    assert [f.check for f in left.faults] == ["torso_upright", "back_not_arched"]
    assert right.completed and right.rom_deg is None and right.faults == ()


def test_v1_file_is_migrated_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.sqlite3"
    con = sqlite3.connect(path)
    con.executescript(f"""
        CREATE TABLE sessions (id INTEGER PRIMARY KEY, started_at TEXT NOT NULL,
                               source TEXT NOT NULL, video TEXT);
        CREATE TABLE holds (id INTEGER PRIMARY KEY,
                            session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
                            stretch TEXT NOT NULL, side TEXT NOT NULL, rep INTEGER NOT NULL,
                            valid_hold_s REAL NOT NULL, target_s REAL NOT NULL);
        CREATE INDEX holds_session ON holds(session_id);
        INSERT INTO sessions VALUES (1, '2026-10-01T08:00:00+00:00', 'analyze', 'a.mp4');
        INSERT INTO holds VALUES (1, 1, 'supine_psoas', 'right', 1, 21.5, 20.0);
        PRAGMA application_id = {database.APPLICATION_ID};
        PRAGMA user_version = 1;
    """)
    con.close()
    with History(path) as db:
        old = db.sessions()
        db.add(record())
        assert len(db.sessions()) == 2
    assert len(old) == 1 and old[0].video == "a.mp4" and old[0].routine is None
    h = old[0].holds[0]
    assert (h.stretch, h.side, h.valid_hold_s, h.target_s) == ("supine_psoas", "right", 21.5, 20.0)
    assert h.rom_deg is None and not h.completed
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    con.close()


def _writer(path: str, worker: int, n: int) -> None:
    with History(path) as db:
        for i in range(n):
            db.add(SessionRecord(started_at=T0 + timedelta(minutes=i), source="live",
                                 routine=f"w{worker}",
                                 holds=(HoldEntry("glute_bridge", "both", i + 1, 5.0, 5.0,
                                                  True, 2.0, "hip_line_dev_deg"),)))


def test_two_processes_writing_at_once_keep_every_row(tmp_path):
    path = tmp_path / "h.sqlite3"
    n = 40
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(str(path), w, n)) for w in (1, 2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0, 0]
    with History(path) as db:
        sessions = db.sessions()
    by = {w: sorted(h.rep for s in sessions if s.routine == f"w{w}" for h in s.holds)
          for w in (1, 2)}
    assert by == {1: list(range(1, n + 1)), 2: list(range(1, n + 1))}
    assert len({s.id for s in sessions}) == 2 * n


def _creator(folder: str, worker: int, n: int, barrier) -> None:
    for i in range(n):
        barrier.wait(60)
        # Both spin to the same 20 ms tick so they open the same new file at the same moment
        # (a barrier alone releases one process some milliseconds before the other).
        tick = (math.floor(time.time() / 0.02) + 2) * 0.02
        while time.time() < tick:
            pass
        with History(Path(folder) / f"{i}.sqlite3") as db:
            db.add(SessionRecord(started_at=T0, source="live", routine=f"w{worker}",
                                 holds=(HoldEntry("glute_bridge", "both", 1, 5.0, 5.0),)))


def test_two_processes_creating_the_same_new_file_both_get_in(tmp_path):
    """`analyze --workers 2 --save-history` on a first run: both workers create the file at
    once. Before the fix about one open in eight failed ("database is locked" from the switch
    to WAL, or "another program's database" from reading a half-made schema)."""
    n = 40
    ctx = mp.get_context("spawn")
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=_creator, args=(str(tmp_path), w, n, barrier)) for w in (1, 2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(180)
    assert [p.exitcode for p in procs] == [0, 0]
    for i in range(n):
        with History(tmp_path / f"{i}.sqlite3") as db:
            assert sorted(s.routine for s in db.sessions()) == ["w1", "w2"]


def _assert_refused(path: Path, *words: str) -> None:
    before = path.read_bytes()
    with pytest.raises(HistoryError) as exc:
        History(path)
    msg = str(exc.value)
    assert str(path) in msg and "not changed" in msg
    for w in words:
        assert w in msg
    assert path.read_bytes() == before
    assert not Path(str(path) + "-wal").exists()


def test_a_file_that_is_not_sqlite_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "h.sqlite3"
    path.write_bytes(b"this is not a database\x00" * 50)
    _assert_refused(path, "not a SQLite database")


def test_a_damaged_database_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "h.sqlite3"
    with History(path) as db:
        for k in range(30):
            db.add(record(k))
    data = bytearray(path.read_bytes())
    page = 4096
    assert len(data) > 3 * page
    data[page + 8: 3 * page] = b"\xa5" * (2 * page - 8)  # wreck pages 2 and 3
    path.write_bytes(bytes(data))
    _assert_refused(path, "damaged")


def test_a_newer_schema_is_refused_and_left_alone(tmp_path):
    path = tmp_path / "h.sqlite3"
    with History(path) as db:
        db.add(record())
    con = sqlite3.connect(path)
    con.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    con.close()
    _assert_refused(path, "newer posecheck", f"v{SCHEMA_VERSION + 1}")


def test_another_programs_database_is_refused(tmp_path):
    path = tmp_path / "other.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE contacts (name TEXT)")
    con.commit()
    con.close()
    _assert_refused(path, "another program")


def test_delete_one_and_all(tmp_path):
    path = tmp_path / "h.sqlite3"
    with History(path) as db:
        ids = [db.add(record(k)) for k in range(3)]
        assert db.delete(ids[1]) is True
        assert db.delete(ids[1]) is False
        assert [s.id for s in db.sessions()] == [ids[0], ids[2]]
        # the holds and faults went with the session (foreign keys cascade)
        n_holds = db._con.execute("SELECT COUNT(*) FROM holds").fetchone()[0]
        assert n_holds == 4
        assert db.delete_all() == 2
        assert db.sessions() == []
        assert db._con.execute("SELECT COUNT(*) FROM faults").fetchone()[0] == 0


def test_replace_video_keeps_one_session_per_clip(tmp_path):
    with History(tmp_path / "h.sqlite3") as db:
        a = SessionRecord(started_at=T0, source="analyze", video="x.mp4", video_sha256="ab",
                          holds=record().holds)
        db.add(a, replace_video=True)
        db.add(a, replace_video=True)
        db.add(SessionRecord(started_at=T0, source="analyze", video="y.mp4",
                             video_sha256="cd"), replace_video=True)
        assert sorted(s.video for s in db.sessions()) == ["x.mp4", "y.mp4"]


def test_default_path_env_override_and_user_folder(monkeypatch, tmp_path):
    monkeypatch.setenv(database.ENV, str(tmp_path / "mine.db"))
    assert database.default_path() == tmp_path / "mine.db"
    monkeypatch.delenv(database.ENV)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setattr(database.sys, "platform", "linux")
    assert database.default_path() == tmp_path / "data" / "posecheck" / "history.sqlite3"


def test_value_objects_validate():
    with pytest.raises(ValueError, match="side"):
        HoldEntry("x", "middle", 1, 1.0, 2.0)
    with pytest.raises(ValueError, match="valid_hold_s"):
        HoldEntry("x", "left", 1, -1.0, 2.0)
    with pytest.raises(ValueError, match="timezone"):
        SessionRecord(started_at=datetime(2026, 1, 1), source="live")
    with pytest.raises(ValueError, match="source"):
        SessionRecord(started_at=T0, source="cloud")


def test_a_live_session_is_stored_from_its_frame_reports(tmp_path):
    """What the live page does at the end of a stretch: its FrameReports -> one session."""
    from factories import make_pose

    from posecheck.core.session import StretchSession
    from posecheck.specs.parse import load_spec

    spec = load_spec("half_kneeling_hip_flexor")
    session = StretchSession(spec)
    reports = [session.update(make_pose("half_kneeling_hip_flexor", s_thigh=-18, side="right",
                                        t_ms=i * 33, index=i)) for i in range(25 * 30)]
    path = tmp_path / "h.sqlite3"
    sid = history.save_frames(reports, spec, started_at=T0, routine="daily_psoas", path=path)
    with History(path) as db:
        s = db.session(sid)
    assert s.source == "live" and s.routine == "daily_psoas"
    (h,) = s.holds
    assert h.side == "right" and h.completed and h.valid_hold_s == pytest.approx(20.0, abs=0.1)
    assert h.rom_deg == pytest.approx(18.0, abs=0.5)  # live One Euro smoothing on a still pose
    standing = StretchSession(spec)
    idle = [standing.update(make_pose("standing", t_ms=i * 33, index=i)) for i in range(30)]
    assert history.save_frames(idle, spec, started_at=T0, path=path) is None


def test_deleted_sessions_leave_no_trace_in_the_file(tmp_path):
    """secure_delete: a deleted session's text is overwritten, not left in a free slot of a
    page that other sessions still use (without it this file keeps the name)."""
    path = tmp_path / "h.sqlite3"
    secret = "clip_of_my_bedroom_4711.mp4"
    with History(path) as db:
        keep, gone = [], []
        for k in range(5):  # interleaved: the deleted rows share pages with kept ones
            keep.append(db.add(record(k)))
            gone.append(db.add(SessionRecord(started_at=T0, source="analyze", video=secret,
                                             holds=record().holds)))
        for sid in gone:
            db.delete(sid)
    assert not Path(str(path) + "-wal").exists()  # folded back into the file on close
    assert secret.encode() not in path.read_bytes()
    with History(path) as db:
        assert [s.id for s in db.sessions()] == keep
