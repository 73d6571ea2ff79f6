"""Ground truth follows the spec's rules: scripted angles in, the spec's verdicts out."""

from __future__ import annotations

import json

import numpy as np
import pytest

from posecheck.core.pose import Landmark as L
from posecheck.specs.parse import load_spec
from posecheck.synth.clip import clip_truth, truth_frames
from posecheck.synth.samples import quick_clip
from posecheck.synth.truth import FORMAT, read_truth_files, truth_bytes

STRETCH = "deep_lunge"  # its spec has torso_upright (deg forward of vertical) and knee checks


def _hold_rows(truth: dict) -> list[dict]:
    return [f for f in truth["frames"] if f["phase"] in ("hold", "fault")]


def test_forty_degree_lean_is_measured_and_fails_the_torso_check() -> None:
    truth = clip_truth(quick_clip(STRETCH, "left", "lean_forward", hold_s=3.0))
    assert truth["format"] == FORMAT and truth["analysis"] == "spec"
    rows = _hold_rows(truth)
    assert rows, "the script has hold frames"
    lean = np.array([r["metrics"]["torso_upright"] for r in rows])
    assert np.all(np.abs(lean - 40.0) < 1.5), lean
    assert not any(r["checks_pass"]["torso_upright"] for r in rows)
    assert truth["summary"]["sides"]["left"]["valid_hold_s"] == pytest.approx(0.0, abs=0.2)


def test_good_form_passes_every_check_and_counts_the_hold() -> None:
    hold = 4.0
    truth = clip_truth(quick_clip(STRETCH, "right", hold_s=hold))
    rows = _hold_rows(truth)
    assert all(all(r["checks_pass"].values()) for r in rows)
    assert all(r["in_position"] for r in rows)
    assert abs(np.mean([r["metrics"]["torso_upright"] for r in rows]) - 3.0) < 1.5
    right = truth["summary"]["sides"]["right"]["valid_hold_s"]
    # The hold starts once the body is still (a quiet stillness window) and the spec's debounce
    # has passed, and may run into the transitions around it.
    window = load_spec(STRETCH).hold.stillness.window_s
    assert hold - 1.5 - window < right < hold + 2.0
    assert truth["summary"]["sides"].get("left", {}).get("valid_hold_s", 0.0) == 0.0
    assert {r["stretched_side"] for r in rows} == {"right"}


def test_front_knee_past_the_toes_fails_only_the_knee_check() -> None:
    truth = clip_truth(quick_clip(STRETCH, "left", "knee_over_toes", hold_s=3.0))
    rows = [r for r in _hold_rows(truth) if r["in_position"]]
    assert rows, "the knee fault keeps the pose in position"
    assert not any(r["checks_pass"]["knee_behind_toes"] for r in rows)
    assert all(r["checks_pass"]["torso_upright"] for r in rows)


def test_truth_landmarks_follow_the_pose_conventions() -> None:
    # Facing the image's right: nose right of the ears; feet below the hips (y down).
    frames = truth_frames(quick_clip(STRETCH, "left", facing=1))
    xy = frames[len(frames) // 2].xy
    assert xy[L.NOSE, 0] > xy[L.LEFT_EAR, 0]
    assert xy[L.LEFT_ANKLE, 1] > xy[L.LEFT_HIP, 1]
    mirrored = truth_frames(quick_clip(STRETCH, "left", facing=-1))[len(frames) // 2].xy
    assert mirrored[L.NOSE, 0] < mirrored[L.LEFT_EAR, 0]


def test_truth_is_plain_json_with_one_row_per_frame() -> None:
    clip = quick_clip(STRETCH, "left", hold_s=1.0)
    truth = json.loads(json.dumps(clip_truth(clip)))
    assert truth["frame_count"] == clip.frame_count == len(truth["frames"])
    t = [r["t_ms"] for r in truth["frames"]]
    assert t == sorted(t) and t[1] - t[0] == pytest.approx(1000 / clip.fps, abs=1)
    assert len(truth["frames"][0]["landmarks"]) == 33


def _fresh_summary(clip_id: str) -> tuple[str, dict]:
    """The summary of one sample clip's truth made now (a module-level function, so that a
    process pool can run it)."""
    from posecheck.synth.samples import sample_clips

    clip = next(c for c in sample_clips() if c.id == clip_id)
    return clip_id, clip_truth(clip, f"{clip.id}.mp4")["summary"]


@pytest.mark.slow
def test_committed_sample_truth_follows_the_current_specs() -> None:
    """The truth is the spec's verdict on exact landmarks, so a threshold change must be
    followed by `posecheck synth samples --truth-only`; this catches a forgotten refresh.
    The clips are independent, so they are made on every core (2-3 min on one)."""
    import os
    from concurrent.futures import ProcessPoolExecutor
    from pathlib import Path

    from posecheck.synth.samples import sample_clips
    from posecheck.synth.truth import read_truth

    folder = Path(__file__).resolve().parents[2] / "sample_videos"
    ids = [c.id for c in sample_clips()]
    with ProcessPoolExecutor(max_workers=max(1, min(4, os.cpu_count() or 1))) as pool:
        fresh = dict(pool.map(_fresh_summary, ids))
    stale = [i for i in ids
             if read_truth(folder / f"{i}.truth.json.gz")["summary"] != fresh[i]]
    assert not stale, ("sample truth is stale for " + ", ".join(stale)
                       + ": run `posecheck synth samples --truth-only`")


def test_read_truth_files_pairs_each_truth_with_its_video(tmp_path) -> None:
    (tmp_path / "a.truth.json.gz").write_bytes(truth_bytes({"clip": "a", "video": "a.mp4"}))
    (tmp_path / "b.truth.json.gz").write_bytes(truth_bytes({"clip": "b"}))
    (tmp_path / "b.avi").write_bytes(b"")
    got = [(tp.name, truth["clip"], video.name) for tp, truth, video in read_truth_files(tmp_path)]
    assert got == [("a.truth.json.gz", "a", "a.mp4"), ("b.truth.json.gz", "b", "b.avi")]
    (tmp_path / "c.truth.json.gz").write_bytes(b"not gzip")
    with pytest.raises(ValueError, match="c.truth.json.gz"):
        read_truth_files(tmp_path)
