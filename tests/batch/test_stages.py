"""One video of a batch (posecheck.batch.stages): error rows, the landmark cache, resuming, reports
identical whether landmarks are cached or fresh.

Layer: worker (fake model and analysis, videos made with OpenCV in tmp_path).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from posecheck import batch
from posecheck.batch import landmarks, stages
from posecheck.core.pose import PoseFrame

from fakes import (FakeCheck, FakeSpec, fake_analyze, fake_pipeline, make_video,  # noqa: F401
                   run, summary_rows)
from media import make_audio_only


def test_bad_files_get_error_rows_good_ones_complete_reports(tmp_path, fake_pipeline):
    data = tmp_path / "in"
    data.mkdir()
    make_video(data / "good1.mp4")
    make_video(data / "good2.mp4", frames=15)
    (data / "empty.mp4").write_bytes(b"")
    (data / "text.mp4").write_text("this is not a video\n" * 50)
    full = make_video(tmp_path / "full.mp4", frames=40)
    (data / "truncated.mp4").write_bytes(full.read_bytes()[: full.stat().st_size // 3])

    status, out = run(tmp_path, data)

    assert status == 1
    rows = {Path(r["video"]).name: r for r in summary_rows(out)}
    assert set(rows) == {"good1.mp4", "good2.mp4", "empty.mp4", "text.mp4", "truncated.mp4"}
    for bad in ("empty.mp4", "text.mp4", "truncated.mp4"):
        assert rows[bad]["status"] == "error", bad
        assert bad in rows[bad]["error"]  # names the file
        assert "Traceback" not in rows[bad]["error"]
    for good in ("good1.mp4", "good2.mp4"):
        row = rows[good]
        assert row["status"] == "ok" and row["error"] == ""
        report = json.loads((out / row["report"]).read_text())
        for key in ("stretch", "video", "fps", "frames", "pose_frames", "sides", "checks",
                    "timeline", "video_info", "model", "video_sha256", "spec_hash", "error"):
            assert key in report, key
        assert report["video_info"]["width"] == 64
        assert (out / row["plot"]).stat().st_size > 1000
    assert rows["good2.mp4"]["frames"] == "15"
    assert float(rows["good2.mp4"]["left_valid_hold_s"]) == pytest.approx(1.1)
    assert rows["good1.mp4"]["pass_knee"] == "0.33"


def test_audio_only_file_is_an_error_row(tmp_path, fake_pipeline):
    audio = make_audio_only(tmp_path / "voice.mp4")
    good = make_video(tmp_path / "good.mp4")
    status, out = run(tmp_path, audio, good)
    rows = summary_rows(out)
    assert status == 1
    assert rows[0]["status"] == "error" and "voice.mp4" in rows[0]["error"]
    assert rows[1]["status"] == "ok"


def test_missing_path_is_a_row_and_exit_status_1(tmp_path, fake_pipeline):
    good = make_video(tmp_path / "good.mp4")
    status, out = run(tmp_path, good, tmp_path / "gone.mp4")
    assert status == 1
    rows = summary_rows(out)
    assert [r["status"] for r in rows] == ["ok", "error"]
    assert "gone.mp4" in rows[1]["error"]


def test_all_good_exit_status_0_and_summary_json(tmp_path, fake_pipeline):
    good = make_video(tmp_path / "good.mp4")
    status, out = run(tmp_path, good)
    assert status == 0
    summary = json.loads((out / "summary.json").read_text())
    assert summary["videos"][0]["status"] == "ok"
    for col in ("video", "status", "error", "stretch", "left_valid_hold_s", "left_reps",
                "right_valid_hold_s", "right_reps", "pass_torso", "frames", "pose_frames"):
        assert col in summary["columns"], col


def test_second_run_uses_landmark_cache(tmp_path, fake_pipeline):
    good = make_video(tmp_path / "good.mp4")
    run(tmp_path, good)
    assert fake_pipeline["estimate"] == 1
    status, _ = run(tmp_path, good, extra=["--force"])  # redo analysis, landmarks cached
    assert status == 0 and fake_pipeline["estimate"] == 1
    run(tmp_path, good, extra=["--force", "--no-cache"])
    assert fake_pipeline["estimate"] == 2


def test_another_sample_fps_is_neither_resumed_nor_served_from_the_cache(tmp_path,
                                                                        fake_pipeline):
    good = make_video(tmp_path / "good.mp4")  # 10 fps
    run(tmp_path, good)
    run(tmp_path, good, extra=["--sample-fps", "5"])  # not up to date, not this cache file
    assert fake_pipeline["estimate"] == 2
    status, out = run(tmp_path, good, extra=["--sample-fps", "5"])  # done: skipped
    assert status == 0 and fake_pipeline["estimate"] == 2
    assert summary_rows(out)[0]["skipped"] in ("True", "true", "1", "yes")
    run(tmp_path, good, extra=["--sample-fps", "10", "--force"])  # the video's rate: full
    assert fake_pipeline["estimate"] == 2  # the full-rate cache file serves it


def test_cached_and_fresh_reports_are_identical(tmp_path, fake_pipeline):
    good = make_video(tmp_path / "good.mp4")
    _, out = run(tmp_path, good, extra=["--no-cache"])
    report = out / f"{batch.make_slugs([good])[0]}.json"
    fresh = report.read_bytes()
    run(tmp_path, good, extra=["--force"])
    assert fake_pipeline["estimate"] == 1  # the --no-cache run still filled the cache
    assert report.read_bytes() == fresh


def test_resume_skips_done_videos_unless_forced_or_changed(tmp_path, fake_pipeline,
                                                           monkeypatch):
    good = make_video(tmp_path / "good.mp4")
    run(tmp_path, good)
    report = tmp_path / "out" / f"{batch.make_slugs([good])[0]}.json"
    mtime = report.stat().st_mtime_ns
    _, out = run(tmp_path, good)
    assert summary_rows(out)[0]["skipped"] == "True"
    assert report.stat().st_mtime_ns == mtime

    # Another spec (a changed threshold) makes the old report stale.
    changed = FakeSpec(checks=(FakeCheck("torso", "torso_lean", -5.0, 15.0, "deg"),))
    monkeypatch.setattr(stages, "load_specs", lambda stretch: [("fake_stretch", changed)])
    _, out = run(tmp_path, good)
    assert summary_rows(out)[0]["skipped"] == "False"


def test_error_reports_are_retried_not_skipped(tmp_path, fake_pipeline):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"")
    run(tmp_path, bad)
    make_video(bad)  # the user fixed the file
    status, out = run(tmp_path, bad)
    assert status == 0 and summary_rows(out)[0]["status"] == "ok"


def test_no_person_is_an_error(tmp_path, fake_pipeline, monkeypatch):
    good = make_video(tmp_path / "empty_room.mp4")
    monkeypatch.setattr(landmarks, "estimate_frames", lambda video, model, info, *a, **k: (
        [PoseFrame.empty(100 * i, info.width, info.height, index=i) for i in range(5)], 1.0))
    status, out = run(tmp_path, good)
    row = summary_rows(out)[0]
    assert status == 1 and "no person" in row["error"]


def test_unexpected_exception_becomes_an_error_row(tmp_path, fake_pipeline, monkeypatch):
    a = make_video(tmp_path / "a.mp4")
    b = make_video(tmp_path / "b.mp4")

    def broken(frames, specs, info, video, auto=False, **options):
        if video.endswith("a.mp4"):
            raise RuntimeError("kaboom")
        return fake_analyze(frames, specs, info, video, auto)

    monkeypatch.setattr(stages, "analyze_track", broken)
    status, out = run(tmp_path, a, b)
    rows = summary_rows(out)
    assert status == 1
    assert rows[0]["status"] == "error" and "kaboom" in rows[0]["error"]
    assert rows[1]["status"] == "ok"


def test_too_long_clip_is_an_error_row_before_any_model_run(tmp_path, fake_pipeline):
    long = make_video(tmp_path / "long.mp4", frames=30)
    short = make_video(tmp_path / "short.mp4", frames=10)
    status, out = run(tmp_path, long, short, extra=["--max-frames", "20"])
    rows = {Path(r["video"]).name: r for r in summary_rows(out)}
    assert status == 1 and "--max-frames 20" in rows["long.mp4"]["error"]
    assert rows["short.mp4"]["status"] == "ok"
    assert fake_pipeline["estimate"] == 1  # only the short clip went through the model


def test_a_tilted_camera_is_a_warning_and_a_level_one_is_not(tmp_path):
    from media import room_picture, write_still_video

    from posecheck.batch.stages import _level_warning

    tilted = write_still_video(tmp_path / "tilted.mp4", room_picture(-8.0))
    level = write_still_video(tmp_path / "level.mp4", room_picture(0.0))
    (warning,) = _level_warning(tilted, [])
    assert "tilted by about 8 deg" in warning and "lean right" in warning
    assert _level_warning(level, []) == ()
    assert _level_warning(tmp_path / "missing.mp4", []) == ()  # never fails the analysis
