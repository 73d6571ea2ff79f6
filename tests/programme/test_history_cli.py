"""`posecheck analyze --save-history` and `posecheck history ...`: CLI layer.

The quick round trip analyses a real synthetic clip with its exact landmarks standing in for
the model (patched into the batch's landmark stage, one process); the slow one runs the real
model in a subprocess. Both store into a POSECHECK_DB in tmp_path and read it back with
`history list --json`.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from posecheck import cli
from posecheck.core.analysis import analyze_frames
from posecheck.batch import landmarks, runner
from posecheck.core.rom import measure_holds
from posecheck.specs.parse import load_spec
from posecheck.synth.accuracy import _truth_pose_frames
from posecheck.synth.truth import read_truth

ROOT = Path(__file__).resolve().parents[2]
CLIP = ROOT / "sample_videos" / "hk_good_left.mp4"
TRUTH = ROOT / "sample_videos" / "hk_good_left.truth.json.gz"
STRETCH = "half_kneeling_hip_flexor"


def run_cli(capsys, *argv: str) -> tuple[int, str]:
    code = cli.main(list(argv))
    return code, capsys.readouterr().out


@pytest.fixture
def exact_landmarks(monkeypatch, tmp_path):
    """The batch with the clip's exact landmarks in place of the model."""
    truth = read_truth(TRUTH)
    frames = _truth_pose_frames(truth)

    def estimate(video, model_path, info, on_frame=lambda n: None, **options):
        return list(frames), 1.0

    monkeypatch.setattr(landmarks, "estimate_frames", estimate)
    monkeypatch.setattr(runner, "_resolve_model",
                        lambda name, quiet: (tmp_path / "m.task", "lite", "ab" * 32))
    monkeypatch.setenv("POSECHECK_DB", str(tmp_path / "h.sqlite3"))
    return truth


def test_round_trip_analyze_list_show_export_delete(exact_landmarks, tmp_path, capsys):
    out = tmp_path / "out"
    code, _ = run_cli(capsys, "analyze", str(CLIP), "--stretch", STRETCH, "--out", str(out),
                      "--quiet", "--no-plots", "--workers", "1", "--save-history",
                      "--cache-dir", str(tmp_path / "cache"))
    assert code == 0
    report = json.loads((out / "hk_good_left.json").read_text())

    code, text = run_cli(capsys, "history", "list", "--json")
    assert code == 0
    rows = json.loads(text)
    assert rows, "the clip's holds were stored"
    side = report["sides"]["left"]
    assert [r["side"] for r in rows] == ["left"] * len(side["holds"])
    r = rows[0]
    assert r["stretch"] == STRETCH and r["source"] == "analyze" and r["video"] == str(CLIP)
    assert r["valid_hold_s"] == pytest.approx(side["holds"][0]["valid_s"], abs=1e-3)
    assert r["target_s"] == load_spec(STRETCH).hold.target_s
    assert r["rom_metric"] == "stretched_hip_extension_deg"
    # the stored ROM is the one posecheck.core.rom finds on the same (batch-smoothed) landmarks
    spec = load_spec(STRETCH)
    est = measure_holds(analyze_frames(_truth_pose_frames(exact_landmarks), spec,
                                       fps=float(exact_landmarks["fps"])), spec)
    assert r["rom_deg"] == pytest.approx(est[0].rom_deg, abs=0.05)
    # ... and close to the angle on the unsmoothed exact landmarks
    exact = measure_holds(analyze_frames(_truth_pose_frames(exact_landmarks), spec,
                                         fps=float(exact_landmarks["fps"]),
                                         smoothing="none"), spec)
    assert r["rom_deg"] == pytest.approx(exact[0].rom_deg, abs=1.0)

    # analysing the same clip again replaces its session instead of counting it twice
    code, _ = run_cli(capsys, "analyze", str(CLIP), "--stretch", STRETCH, "--out", str(out),
                      "--quiet", "--no-plots", "--workers", "1", "--save-history", "--force",
                      "--cache-dir", str(tmp_path / "cache"))
    assert code == 0
    rows2 = json.loads(run_cli(capsys, "history", "list", "--json")[1])
    assert len(rows2) == len(rows) and rows2[0]["session_id"] != r["session_id"]
    sid = rows2[0]["session_id"]

    code, text = run_cli(capsys, "history", "show", str(sid))
    assert code == 0 and STRETCH in text and "ROM" in text
    code, text = run_cli(capsys, "history", "export", "--format", "csv")
    exported = list(csv.DictReader(io.StringIO(text)))
    assert [e["stretch"] for e in exported] == [STRETCH] * len(rows2)
    assert float(exported[0]["rom_deg"]) == pytest.approx(rows2[0]["rom_deg"])
    code, text = run_cli(capsys, "history", "export", "--format", "json")
    assert json.loads(text) == rows2

    code, text = run_cli(capsys, "history", "report", "--out", str(tmp_path / "r.html"))
    page = (tmp_path / "r.html").read_text()
    assert "data:image/png;base64," in page and "Half-kneeling" in page

    assert run_cli(capsys, "history", "delete", str(sid))[0] == 0
    assert json.loads(run_cli(capsys, "history", "list", "--json")[1]) == []
    assert run_cli(capsys, "history", "delete", str(sid))[0] == 2  # no such session


def test_delete_all_needs_yes_without_a_terminal(tmp_path, monkeypatch, capsys):
    from datetime import datetime, timezone

    from posecheck.programme.history import History, HoldEntry, SessionRecord

    db = tmp_path / "h.sqlite3"
    with History(db) as h:
        for _ in range(2):
            h.add(SessionRecord(started_at=datetime.now(timezone.utc), source="live",
                                holds=(HoldEntry("glute_bridge", "both", 1, 5.0, 5.0),)))
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    code = cli.main(["history", "--db", str(db), "delete", "--all"])
    assert code == 2 and "--yes" in capsys.readouterr().err
    assert cli.main(["history", "--db", str(db), "delete", "--all", "--yes"]) == 0
    assert "deleted 2 session(s)" in capsys.readouterr().out
    assert cli.main(["history", "--db", str(db), "list", "--json"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_a_damaged_database_is_a_clear_cli_error(tmp_path, capsys):
    db = tmp_path / "h.sqlite3"
    db.write_bytes(b"garbage" * 100)
    assert cli.main(["history", "--db", str(db), "list"]) == 2
    err = capsys.readouterr().err
    assert str(db) in err and "not a SQLite database" in err
    assert db.read_bytes() == b"garbage" * 100


@pytest.mark.slow
def test_round_trip_with_the_real_model(tmp_path):
    env = {**os.environ, "POSECHECK_DB": str(tmp_path / "h.sqlite3")}
    exe = [sys.executable, "-m", "posecheck"]
    subprocess.run([*exe, "analyze", str(CLIP), "--stretch", STRETCH, "--out",
                    str(tmp_path / "out"), "--quiet", "--no-plots", "--save-history"],
                   check=True, env=env, capture_output=True)
    rows = json.loads(subprocess.run([*exe, "history", "list", "--json"], check=True, env=env,
                                     capture_output=True, text=True).stdout)
    assert rows and {"stretch", "side", "valid_hold_s", "target_s", "rom_deg"} <= set(rows[0])
    assert rows[0]["stretch"] == STRETCH and rows[0]["side"] == "left"
    assert rows[0]["valid_hold_s"] > 5.0
    # the clip holds the back thigh about 14 deg behind the torso line (exact landmarks)
    spec = load_spec(STRETCH)
    truth = read_truth(TRUTH)
    exact = measure_holds(analyze_frames(_truth_pose_frames(truth), spec,
                                         fps=float(truth["fps"]), smoothing="none"), spec)
    assert abs(rows[0]["rom_deg"] - exact[0].rom_deg) < 4.0
    assert np.isfinite(rows[0]["rom_deg"])


@pytest.mark.slow
def test_two_workers_store_both_clips(tmp_path):
    """--workers 2: each worker process writes its clip's holds into the same database."""
    env = {**os.environ, "POSECHECK_DB": str(tmp_path / "h.sqlite3")}
    exe = [sys.executable, "-m", "posecheck"]
    clips = [CLIP, ROOT / "sample_videos" / "hk_good_right_faceleft.mp4"]
    subprocess.run([*exe, "analyze", *map(str, clips), "--stretch", STRETCH, "--out",
                    str(tmp_path / "out"), "--quiet", "--no-plots", "--workers", "2",
                    "--save-history"], check=True, env=env, capture_output=True)
    rows = json.loads(subprocess.run([*exe, "history", "list", "--json"], check=True, env=env,
                                     capture_output=True, text=True).stdout)
    assert {(r["video"], r["stretch"], r["side"]) for r in rows} >= {
        (str(clips[0]), STRETCH, "left"), (str(clips[1]), STRETCH, "right")}


def test_a_clip_without_a_hold_stores_nothing(tmp_path, monkeypatch, capsys):
    from factories import make_pose

    def estimate(video, model_path, info, on_frame=lambda n: None, **options):
        return [make_pose("standing", t_ms=i * 33, index=i) for i in range(90)], 1.0

    monkeypatch.setattr(landmarks, "estimate_frames", estimate)
    monkeypatch.setattr(runner, "_resolve_model",
                        lambda name, quiet: (tmp_path / "m.task", "lite", "ab" * 32))
    db = tmp_path / "h.sqlite3"
    monkeypatch.setenv("POSECHECK_DB", str(db))
    code, _ = run_cli(capsys, "analyze", str(CLIP), "--stretch", STRETCH, "--out",
                      str(tmp_path / "out"), "--quiet", "--no-plots", "--workers", "1",
                      "--save-history", "--cache-dir", str(tmp_path / "cache"))
    assert code == 0
    from posecheck.programme.history import History

    with History(db) as h:
        assert h.sessions() == []
