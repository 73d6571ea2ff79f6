"""posecheck analyze over many files (posecheck.batch).

Fast tests replace the model and the analysis by small fakes (and make their videos with
OpenCV in tmp_path); the slow ones run the real pipeline on a few short shared clips.
"""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from posecheck import batch
from posecheck.batch import annotate, landmarks, runner, stages
from posecheck.core.pose import PoseFrame
from posecheck.model.landmarks import to_size

from conftest import footage_path
from fakes import (FakeCheck, FakeSpec, fake_analyze, fake_frames, fake_pipeline,  # noqa: F401
                   make_video, run, summary_rows)
from media import make_audio_only

# ---------------------------------------------------------------------------- fakes


# ---------------------------------------------------------------------------- inputs
def test_expand_paths_files_folders_globs_and_missing(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "deep").mkdir()
    v1 = tmp_path / "a" / "one.mp4"
    v2 = tmp_path / "a" / "deep" / "two.MOV"
    img = tmp_path / "a" / "pic.jpg"
    txt = tmp_path / "a" / "notes.txt"
    for p in (v1, v2, img, txt):
        p.write_bytes(b"x")
    files, missing = batch.expand_paths([str(tmp_path / "a"), str(v1),
                                         str(tmp_path / "a" / "*.jpg"),
                                         str(tmp_path / "nope.mp4"),
                                         str(tmp_path / "*.avi")])
    assert sorted(f.name for f in files) == ["one.mp4", "pic.jpg", "two.MOV"]  # deduplicated
    assert [m[0] for m in missing] == [str(tmp_path / "nope.mp4"), str(tmp_path / "*.avi")]
    assert "does not exist" in missing[0][1] and "matches no" in missing[1][1]


def test_explicit_file_with_odd_extension_is_taken(tmp_path):
    odd = tmp_path / "clip.data"
    odd.write_bytes(b"x")
    files, missing = batch.expand_paths([str(odd)])
    assert files == [odd] and missing == []


def test_slugs_are_unique_and_readable(tmp_path):
    a = tmp_path / "lunge" / "clip.mp4"
    b = tmp_path / "bridge" / "clip.mp4"
    c = tmp_path / "bridge" / "my clip!.mp4"
    slugs = batch.make_slugs([a, b, c])
    assert slugs == ["lunge__clip", "bridge__clip", "my_clip"]
    assert len(set(batch.make_slugs([a, a]))) == 2


# ---------------------------------------------------------------------------- json
def test_dump_json_has_no_nan_and_is_stable():
    text = batch.dump_json({"b": float("nan"), "a": np.float64(1.5), "c": np.arange(2)})
    assert json.loads(text) == {"a": 1.5, "b": None, "c": [0, 1]}
    assert text.index('"a"') < text.index('"b"')


# ---------------------------------------------------------------------------- the batch
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


def test_index_html_is_self_contained_with_relative_links(tmp_path, fake_pipeline):
    good = make_video(tmp_path / "good.mp4")
    bad = tmp_path / "bad file.mp4"
    bad.write_bytes(b"")
    _, out = run(tmp_path, good, bad)
    page = (out / "index.html").read_text()
    slug = batch.make_slugs([good])[0]
    assert slug == "good"  # DIR/<video stem>.json, .png
    assert f'src="{slug}.png"' in page
    assert str(tmp_path) not in page.replace(str(good), "").replace(str(bad), "")
    assert "<style>" in page and "http" not in page
    assert "bad file.mp4" in page and "status-error" in page


def test_downscaled_landmarks_come_back_in_original_pixels():
    lm = np.tile(np.array([[0.25, 0.75, 0.0, 0.9, 0.9]]), (33, 1))
    small = PoseFrame.from_normalized(lm, t_ms=0, width=640, height=360)
    big = to_size(small, 3840, 2160)
    assert big.width == 3840 and np.allclose(big.xy[0], [960.0, 1620.0])


# ---------------------------------------------------------------------------- real clips
SHORT_CLIPS = ("footage/negatives/neg_squat_side_kaiakol.mp4",
               "footage/lunge/lunge_forward_side_whitebg.mp4")


@pytest.mark.slow
def test_real_clips_serial_and_parallel_reports_are_identical(tmp_path, footage_dir):
    clips = [footage_path(c) for c in SHORT_CLIPS]
    outs = []
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}"
        status = batch.main([str(c) for c in clips] + [
            "--out", str(out), "--workers", workers, "--quiet", "--no-cache", "--no-plots",
            "--cache-dir", str(tmp_path / f"cache{workers}")])
        assert status == 0
        outs.append(out)
    for c, slug in zip(clips, batch.make_slugs(clips)):
        one = (outs[0] / f"{slug}.json").read_bytes()
        two = (outs[1] / f"{slug}.json").read_bytes()
        assert one == two, slug
        report = json.loads(one)
        assert report["frames"] > 0 and report["pose_frames"] > 0
        assert report["timeline"] and "sides" in report and "checks" in report


@pytest.mark.slow
def test_huge_resolution_is_downscaled_for_the_model(tmp_path, footage_dir):
    """A 4K copy of a real clip: the model sees it shrunk, the report keeps 3840x2160."""
    import cv2

    src = cv2.VideoCapture(str(footage_path(SHORT_CLIPS[1])))
    big = tmp_path / "big.mp4"
    writer = cv2.VideoWriter(str(big), cv2.VideoWriter_fourcc(*"mp4v"), 10, (3840, 2160))
    for _ in range(12):
        ok, frame = src.read()
        assert ok
        writer.write(cv2.resize(frame, (3840, 2160)))
    writer.release()
    out = tmp_path / "out"
    status = batch.main([str(big), "--out", str(out), "--quiet", "--no-plots", "--stretch",
                         "deep_lunge", "--cache-dir", str(tmp_path / "cache")])
    assert status == 0
    report = json.loads((out / f"{batch.make_slugs([big])[0]}.json").read_text())
    assert report["video_info"]["width"] == 3840
    assert report["model_input"]["scale"] == pytest.approx(1280 / 3840, abs=1e-5)
    assert report["pose_frames"] >= 10


def test_interrupted_batch_keeps_done_work_and_resumes(tmp_path, fake_pipeline, monkeypatch):
    a = make_video(tmp_path / "a.mp4")
    b = make_video(tmp_path / "b.mp4")

    def ctrl_c_on_b(frames, specs, info, video, auto=False, **options):
        if video.endswith("b.mp4"):
            raise KeyboardInterrupt
        return fake_analyze(frames, specs, info, video, auto)

    monkeypatch.setattr(stages, "analyze_track", ctrl_c_on_b)
    status, out = run(tmp_path, a, b)
    assert status == 130
    assert [r["video"] for r in summary_rows(out)] == [str(a)]
    assert "Not done yet" in (out / "index.html").read_text()
    slug_b = batch.make_slugs([a, b])[1]
    assert not (out / f"{slug_b}.json").exists()

    monkeypatch.setattr(stages, "analyze_track", fake_analyze)
    status, out = run(tmp_path, a, b)
    rows = summary_rows(out)
    assert status == 0 and [r["skipped"] for r in rows] == ["True", "False"]


@pytest.mark.slow
def test_a_crashing_worker_costs_only_its_own_video(tmp_path, monkeypatch):
    """A worker process that dies (a native crash) is replaced; its video gets an error row
    after one retry on its own, the other videos are still analysed."""
    monkeypatch.setenv(batch.CRASH_TEST_ENV, "crashme")
    files = []
    for name in ("a.mp4", "crashme.mp4", "b.mp4"):
        files.append(tmp_path / name)
        files[-1].write_bytes(b"")  # unreadable: a quick error row, no model run
    out = tmp_path / "out"
    status = batch.main([str(f) for f in files] + ["--out", str(out), "--workers", "2",
                                                   "--quiet", "--stretch", "deep_lunge"])
    rows = {Path(r["video"]).name: r for r in summary_rows(out)}
    assert status == 1 and set(rows) == {"a.mp4", "crashme.mp4", "b.mp4"}
    assert "crashed" in rows["crashme.mp4"]["error"]
    for name in ("a.mp4", "b.mp4"):
        assert "crashed" not in rows[name]["error"] and name in rows[name]["error"]


@pytest.mark.slow
def test_a_worker_dying_in_its_background_analysis_costs_only_that_video(tmp_path):
    """Workers finish a video's analysis in a thread after handing it back; a crash there
    (when nothing is queued in the pool any more) is noticed too, and the other video
    completes. Run as a command with a time limit: not noticing it would mean waiting forever."""
    import shutil
    import subprocess
    import sys

    clip = Path(__file__).resolve().parents[2] / "sample_videos" / "camel_good.mp4"
    files = [tmp_path / "a.mp4", tmp_path / "crashme.mp4"]
    for f in files:
        shutil.copy(clip, f)
    out = tmp_path / "out"
    env = dict(os.environ, **{batch.CRASH_TEST_ENV: "crashme", batch.CRASH_STAGE_ENV: "complete"})
    proc = subprocess.run(
        [sys.executable, "-m", "posecheck", "analyze", *map(str, files), "--out", str(out),
         "--workers", "2", "--quiet", "--no-plots", "--stretch", "camel", "--model", "lite",
         "--cache-dir", str(tmp_path / "cache")], env=env, capture_output=True, text=True,
        timeout=300)
    rows = {Path(r["video"]).name: r for r in summary_rows(out)}
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert rows["a.mp4"]["status"] == "ok"
    assert rows["crashme.mp4"]["status"] == "error" and "crashed" in rows["crashme.mp4"]["error"]


@pytest.mark.slow
def test_auto_says_none_for_squats_and_walking_and_finds_a_held_stretch(tmp_path, footage_dir):
    """--stretch auto on real clips: negatives give "none"; a held cobra is recognised.
    Landmarks come from the shared cache when present (the model runs once per machine)."""
    clips = {"footage/negatives/neg_squat_side_prak.mp4": "none",
             "footage/negatives/neg_walking_side_sports2d.mp4": "none",
             "footage/cobra/cobra_side_aris.mp4": "cobra"}
    paths = [footage_path(c) for c in clips]
    out = tmp_path / "out"
    status = batch.main([str(p) for p in paths] + ["--out", str(out), "--quiet", "--no-plots",
                                                   "--stretch", "auto"])
    assert status == 0
    got = {Path(r["video"]).name: r for r in summary_rows(out)}
    for rel, expected in clips.items():
        row = got[Path(rel).name]
        assert row["stretch"] == expected, (rel, row["segments"])
    report = json.loads((out / got["cobra_side_aris.mp4"]["report"]).read_text())
    seg = report["recognition"]["segments"][0]
    assert seg["stretch"] == "cobra" and seg["end_s"] - seg["start_s"] >= 3.0


def test_segment_hold_counts_valid_time_inside_the_segment():
    @dataclass
    class R:
        t_ms: int
        valid: bool | None
        in_pose: bool
        stretched_side: str | None

    reports = [R(100 * i, i >= 3, i >= 2, "left" if i < 8 else "right") for i in range(10)]
    got = batch.segment_hold(reports, 0.25, 0.85)  # frames 3..8
    assert got["valid_s"] == pytest.approx(0.6)   # frames 3-8 valid, 0.1 s each
    assert got["sides"] == ["left", "right"]


def analyze_with_frames(frames, specs, info, video, auto=False, **options):
    """fake_analyze, with one per-frame report (its index only) for the annotated video."""
    outcome = fake_analyze(frames, specs, info, video, auto)
    outcome.analysis = type("A", (), {"frames": [type("R", (), {"index": f.index})()
                                                 for f in frames]})()
    return outcome


def test_annotated_video_is_h264_with_every_frame(tmp_path, fake_pipeline, monkeypatch):
    av = pytest.importorskip("av")
    good = make_video(tmp_path / "good.mp4", frames=9, size=(65, 49))  # odd sizes
    drawn = []
    monkeypatch.setattr(annotate, "_annotate",
                        lambda img, rep, mirrored=False: drawn.append(rep) or img)

    monkeypatch.setattr(stages, "analyze_track", analyze_with_frames)
    status, out = run(tmp_path, good, extra=["--annotate"])
    assert status == 0 and len(drawn) == 9
    row = summary_rows(out)[0]
    with av.open(str(out / row["annotated"])) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert sum(1 for _ in container.decode(stream)) == 9
    assert oct((out / row["report"]).stat().st_mode & 0o777) == "0o644"


@pytest.mark.parametrize("flag, mirrored", [((), False), (("--mirrored",), True)])
def test_annotated_skeleton_follows_mirrored(tmp_path, fake_pipeline, monkeypatch, flag,
                                             mirrored):
    """--mirrored un-mirrors the poses for the analysis; drawing them on the video's own
    (mirrored) pixels must reflect them back, or the skeleton comes out flipped."""
    good = make_video(tmp_path / "good.mp4", frames=4, size=(64, 48))
    seen = []
    monkeypatch.setattr(annotate, "_annotate",
                        lambda img, rep, mirrored=False: seen.append(mirrored) or img)

    monkeypatch.setattr(stages, "analyze_track", analyze_with_frames)
    status, _ = run(tmp_path, good, extra=["--annotate", *flag])
    assert status == 0 and seen == [mirrored] * 4


def test_drawing_a_mirrored_report_lands_on_the_mirrored_pixels():
    """The end to end promise behind the flag: a pose un-mirrored for the analysis, drawn with
    mirrored=True on the original image, puts the skeleton where the person is."""
    import numpy as np
    from factories import make_pose

    from posecheck.draw import overlay as drawing
    seen_pose = make_pose("deep_lunge", width=320, height=240)  # as the model saw the image
    report = type("R", (), {"pose": seen_pose.mirrored(), "checks": {}, "cue": None,
                            "hold": None, "in_pose": False})()
    blank = np.zeros((240, 320, 3), np.uint8)
    drawn = drawing.annotate(blank.copy(), report, mirrored=True)
    ankle = seen_pose.xy[27].astype(int)  # an ankle: far from the middle of the image
    mirrored_ankle = (320 - ankle[0], ankle[1])
    near = lambda p: drawn[max(p[1] - 3, 0):p[1] + 4, max(p[0] - 3, 0):p[0] + 4].any()
    assert abs(ankle[0] - 160) > 20  # the two places are apart
    assert near(ankle) and not near(mirrored_ankle)


SAMPLES = Path(__file__).resolve().parents[2] / "sample_videos"


@pytest.mark.slow
def test_sample_videos_give_complete_reports(tmp_path):
    clips = sorted(p for p in SAMPLES.glob("*.mp4") if not p.name.startswith("."))[:2]
    if not clips:
        pytest.skip("no sample_videos/*.mp4 yet")
    out = tmp_path / "out"
    status = batch.main([str(c) for c in clips] + ["--out", str(out), "--quiet", "--stretch",
                                                   "auto"])
    rows = summary_rows(out)
    assert status == 0, [r["error"] for r in rows]
    for row in rows:
        report = json.loads((out / row["report"]).read_text())
        assert report["status"] == "ok" and report["pose_frames"] > 0
        assert report["recognition"]["specs"]  # auto tried the bundled specs
        assert (out / row["plot"]).is_file()
    assert "<img" in (out / "index.html").read_text()


def test_too_long_clip_is_an_error_row_before_any_model_run(tmp_path, fake_pipeline):
    long = make_video(tmp_path / "long.mp4", frames=30)
    short = make_video(tmp_path / "short.mp4", frames=10)
    status, out = run(tmp_path, long, short, extra=["--max-frames", "20"])
    rows = {Path(r["video"]).name: r for r in summary_rows(out)}
    assert status == 1 and "--max-frames 20" in rows["long.mp4"]["error"]
    assert rows["short.mp4"]["status"] == "ok"
    assert fake_pipeline["estimate"] == 1  # only the short clip went through the model


def test_output_folder_inside_the_input_folder_is_not_an_input(tmp_path, fake_pipeline):
    make_video(tmp_path / "clip.mp4")
    out = tmp_path / "out"
    argv = [str(tmp_path), "--out", str(out), "--quiet", "--stretch", "fake_stretch",
            "--cache-dir", str(tmp_path / "cache")]
    assert batch.main(argv + ["--annotate"]) in (0, 1)
    (out / "x").mkdir(parents=True, exist_ok=True)
    make_video(out / "x" / "clip.annotated.mp4")
    batch.main(argv)
    assert [Path(r["video"]).name for r in summary_rows(out)] == ["clip.mp4"]


def test_identity_jumps_spot_a_switch_to_another_person():
    from posecheck.core.pose import Landmark

    def body(x: float) -> PoseFrame:
        xy = np.zeros((33, 2))
        xy[[Landmark.LEFT_HIP, Landmark.RIGHT_HIP]] = [x, 300.0]
        xy[[Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER]] = [x, 200.0]  # torso 100 px
        return PoseFrame(t_ms=0, width=1000, height=500, xy=xy)

    walking = [body(100 + 5 * i) for i in range(20)]
    assert batch.identity_jumps(walking) == 0
    switched = walking[:10] + [body(800)] + walking[10:]  # a second person far away
    assert batch.identity_jumps(switched) == 2  # there and back


def test_output_names_are_video_stems_with_folders_only_on_a_clash(tmp_path):
    a = tmp_path / "day1" / "lunge.mp4"
    b = tmp_path / "day2" / "lunge.mp4"
    c = tmp_path / "day2" / "summary.mp4"  # would overwrite the batch's summary.json
    d = tmp_path / "day1" / "bridge.MOV"
    assert batch.make_slugs([a, b, c, d]) == ["day1__lunge", "day2__lunge", "day2__summary",
                                              "bridge"]


def test_workers_option_takes_a_number_or_auto():
    import argparse

    assert batch.workers_arg("auto") == "auto" and batch.workers_arg("3") == 3
    for bad in ("0", "-1", "two"):
        with pytest.raises(argparse.ArgumentTypeError):
            batch.workers_arg(bad)


def test_auto_workers_is_one_per_core_but_never_more_than_videos(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    assert batch.worker_count("auto", 10) == 4
    assert batch.worker_count("auto", 3) == 3
    assert batch.worker_count("auto", 1) == 1  # one video: serial, no process start-up
    assert batch.worker_count(2, 1) == 1
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    assert batch.worker_count("auto", 100) == batch.MAX_AUTO_WORKERS


def test_parent_books_a_result_message_that_overtakes_its_deferred(tmp_path):
    """A worker's "done" message and the Deferred its call returned come by different
    channels; whichever arrives first, the video is finished once and nothing stays awaited
    (an awaited video that never comes back would keep the parent waiting forever)."""
    from posecheck.batch.parallel import Collector, Deferred
    from posecheck.batch.progress import Progress

    jobs = [batch.Job(video=f"{name}.mp4", slug=name, out_dir=str(tmp_path), model_path="m",
                      model_label="full", model_sha256="0", stretch="auto")
            for name in ("a", "b", "c")]
    pending, results = list(jobs), {}
    books = Collector(pending, results, Progress(3, enabled=False, slots=2),
                      {j.slug: j for j in jobs})
    ok = {name: batch.VideoResult(row={"video": name}, ok=True) for name in "abc"}

    books.came_back("a", ok["a"])          # the message first ...
    books.returned(jobs[0], Deferred("a"))  # ... then the call's return value
    books.returned(jobs[1], Deferred("b"))  # the usual order
    books.returned(jobs[2], ok["c"])        # finished inside the call (e.g. an error)
    assert books.deferred == {"b"} and pending == [jobs[1]]
    books.came_back("b", ok["b"])
    assert books.deferred == set() and pending == []
    assert results == ok
