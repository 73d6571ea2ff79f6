"""Label files: format, validation, sampling at frame times, synthetic-truth conversion."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from posecheck.core.checks import Status
from posecheck.tuning.label_files import (LabelSet, clip_from_synth_truth, intervals_from_frames,
                                          load_labels)
from posecheck.tuning.labels import (FALSE, TRUE, UNLABELLED, ClipLabels, Interval, LabelError,
                                     status_of_truth, truth_of_status)

ROOT = Path(__file__).resolve().parents[2]

GOOD = """
format = "posecheck-labels/1"
root = "clips"
[[clips]]
video = "a.mp4"
stretch = "deep_lunge"
intervals = [
  { start_s = 0.0, end_s = 1.0, in_position = false },
  { start_s = 1.0, end_s = 3.0, in_position = true, side = "left", checks = { torso_upright = true, knee_over_toes = false } },
]
"""


def write(tmp_path: Path, text: str, name: str = "l.toml") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_load_toml_resolves_root_relative_to_file(tmp_path: Path) -> None:
    ls = load_labels(write(tmp_path, GOOD))
    assert ls.root == (tmp_path / "clips").resolve()
    clip = ls.clips[0]
    assert ls.video_path(clip) == (tmp_path / "clips" / "a.mp4").resolve()
    assert clip.check_ids == ("torso_upright", "knee_over_toes")
    assert clip.labelled_s == pytest.approx(3.0)


def test_json_and_toml_round_trip(tmp_path: Path) -> None:
    ls = load_labels(write(tmp_path, GOOD))
    for name in ("x.json", "x.toml"):
        p = ls.save(tmp_path / name, root="clips")
        again = load_labels(p)
        assert again.clips == ls.clips


def test_at_times_samples_half_open_intervals() -> None:
    clip = ClipLabels(video="a.mp4", stretch="s", intervals=(
        Interval(0.0, 1.0, in_position=False),
        Interval(1.0, 2.0, in_position=True, side="right", checks={"c": False}),
        Interval(3.0, 4.0, in_position=True, checks={"c": True}, valid=False)))
    t = np.array([0.5, 1.0, 1.99, 2.0, 2.5, 3.0, 4.0])
    ft = clip.at_times(t)
    assert ft.labelled.tolist() == [True, True, True, False, False, True, False]
    assert ft.in_position.tolist() == [0, 1, 1, -1, -1, 1, -1]
    assert ft.checks["c"].tolist() == [-1, 0, 0, -1, -1, 1, -1]
    assert list(ft.side) == ["", "right", "right", "", "", "", ""]
    # valid: explicit where given, else in_position and required checks passing
    assert ft.valid_truth(["c"]).tolist() == [FALSE, FALSE, FALSE, UNLABELLED, UNLABELLED,
                                              FALSE, UNLABELLED]
    assert ft.valid_truth([]).tolist() == [FALSE, TRUE, TRUE, UNLABELLED, UNLABELLED, FALSE,
                                           UNLABELLED]


@pytest.mark.parametrize("text, words", [
    (GOOD.replace('side = "left"', 'side = "up"'), ["clips[0]", "intervals[1]", "side"]),
    (GOOD.replace("end_s = 1.0,", "end_s = 2.0,"), ["overlap"]),
    (GOOD.replace("knee_over_toes = false", 'knee_over_toes = "no"'),
     ["checks.knee_over_toes", "true"]),
    (GOOD.replace('stretch = "deep_lunge"', ""), ["stretch"]),
    (GOOD.replace("start_s = 0.0, end_s = 1.0", "start_s = 1.0, end_s = 0.5"), ["start_s"]),
    (GOOD.replace("in_position = false }", "in_position = false, colour = 1 }"),
     ["unknown keys", "colour"]),
    (GOOD.replace("posecheck-labels/1", "other/9"), ["format"]),
    ("clips = [", ["cannot parse"]),
])
def test_bad_files_name_file_and_field(tmp_path: Path, text: str, words: list[str]) -> None:
    p = write(tmp_path, text)
    with pytest.raises(LabelError) as err:
        load_labels(p)
    msg = str(err.value)
    assert str(p) in msg
    for w in words:
        assert w in msg


def test_missing_file_is_a_label_error(tmp_path: Path) -> None:
    with pytest.raises(LabelError, match="not found"):
        load_labels(tmp_path / "nope.toml")


def test_duplicate_clip_rejected(tmp_path: Path) -> None:
    text = GOOD + "[[clips]]" + GOOD.split("[[clips]]", 1)[1]
    with pytest.raises(LabelError, match="twice"):
        load_labels(write(tmp_path, text))


def test_intervals_from_frames_run_length() -> None:
    t = [0.0, 0.1, 0.2, 0.3, 0.4]
    a = {"in_position": True, "side": "left", "checks": {"c": True}, "valid": True}
    b = {"in_position": True, "side": "left", "checks": {"c": False}, "valid": False}
    ivs = intervals_from_frames(t, [a, a, b, b, a])
    assert [(iv.start_s, iv.end_s) for iv in ivs] == [(0.0, 0.2), (0.2, 0.4),
                                                      (0.4, pytest.approx(0.5))]
    assert [iv.checks["c"] for iv in ivs] == [True, False, True]


def test_synth_truth_conversion_is_lenient_about_keys() -> None:
    truth = {"stretch": "deep_lunge", "duration_s": 0.3, "frames": [
        {"t_ms": 0, "in_pose": True, "stretched_side": "right",
         "checks_pass": {"torso_upright": True}, "valid": True},
        {"t_ms": 100, "in_pose": True, "stretched_side": "right",
         "checks_pass": {"torso_upright": "fail"}, "valid": False},
        {"t_ms": 200, "in_pose": False, "stretched_side": None, "checks_pass": {}},
    ]}
    clip = clip_from_synth_truth(truth, video="sample_videos/x.mp4")
    assert clip.stretch == "deep_lunge"
    assert [iv.checks.get("torso_upright") for iv in clip.intervals] == [True, False, None]
    assert clip.intervals[-1].end_s == pytest.approx(0.3)
    assert clip.intervals[0].side == "right"


def test_synth_truth_side_is_the_scripted_leg_where_the_spec_has_sides() -> None:
    frame = {"in_pose": True, "checks_pass": {}, "valid": False}
    truth = {"stretch": "half_kneeling_hip_flexor", "duration_s": 0.3, "frames": [
        {**frame, "t_ms": 0, "stretched_side": "left", "script_side": ""},  # getting in
        {**frame, "t_ms": 100, "stretched_side": "left", "script_side": "right"},
        {**frame, "t_ms": 200, "stretched_side": "both", "script_side": "right"}]}
    clip = clip_from_synth_truth(truth, video="sample_videos/x.mp4")
    # the script knelt on the right knee; the tracker on the exact landmarks still said left
    assert [iv.side for iv in clip.intervals] == ["right", None]  # a symmetric stretch: none
    two = {**truth, "frames": [
        {**frame, "t_ms": 0, "stretched_side": "left", "script_side": "left"},
        {**frame, "t_ms": 100, "stretched_side": "left", "script_side": ""},  # switching
        {**frame, "t_ms": 200, "stretched_side": "right", "script_side": "right"}]}
    sides = [iv.side for iv in clip_from_synth_truth(two, video="x.mp4").intervals]
    assert sides == ["left", "right"]  # two scripted legs: the tracker's side in between


def test_project_label_files_load() -> None:
    for p in sorted((ROOT / "labels").glob("*.toml")) + sorted((ROOT / "labels").glob("*.json")):
        ls = load_labels(p)
        assert ls.clips, p
        for c in ls.clips:  # a clip without intervals says why in its notes
            assert c.intervals or (c.notes and (c.no_hold or c.stretch != "none")), \
                f"{p}: {c.video} has no intervals"


def test_labelset_select_by_stretch() -> None:
    clips = (ClipLabels("a.mp4", "s1", (Interval(0, 1),)),
             ClipLabels("b.mp4", "s2", (Interval(0, 1),)))
    ls = LabelSet(clips=clips, root=Path("/x"))
    assert ls.stretches() == ("s1", "s2")
    assert [c.video for c in ls.select("s2").clips] == ["b.mp4"]
    json.dumps(ls.to_dict())  # serialisable


def test_real_footage_labels_point_at_manifest_videos(footage_dir: Path) -> None:
    from conftest import footage_rows

    ls = load_labels(ROOT / "labels" / "real_footage.toml", root=footage_dir.parent)
    manifest = {r["file"]: r for r in footage_rows()}
    for clip in ls.clips:
        assert clip.video in manifest, clip.video
        assert ls.video_path(clip).is_file()
        row = manifest[clip.video]
        image = row["kind"] == "image"
        clip.check_duration(0.0 if image else float(row["duration_s"]), is_image=image)
        if clip.sure_side is None and clip.side != "none" and not clip.no_hold \
                and clip.stretch != "none":
            assert clip.side_how, f"{clip.video}: say why the side could not be told"


def test_real_footage_labels_every_manifest_file(footage_dir: Path) -> None:
    """Every clip and photo of the shared footage is labelled (a stretch or a negative)."""
    from conftest import footage_rows

    ls = load_labels(ROOT / "labels" / "real_footage.toml", root=footage_dir.parent)
    missing = sorted({r["file"] for r in footage_rows()} - {c.video for c in ls.clips})
    assert not missing


# ---------------------------------------------------------------------------- negatives, sides
def test_clip_side_applies_to_in_position_intervals_and_unsure_is_not_sure() -> None:
    clip = ClipLabels("a.mp4", "deep_lunge", (Interval(0, 1, in_position=False),
                                              Interval(1, 2, in_position=True)),
                      side="left", side_how="left knee down, nearer the camera")
    ft = clip.at_times(np.array([0.5, 1.5]))
    assert list(ft.side) == ["", "left"]
    assert clip.sure_side == "left"
    unsure = ClipLabels("a.mp4", "deep_lunge", (Interval(1, 2, in_position=True),),
                        side="unsure")
    assert unsure.sure_side is None
    both = ClipLabels("a.mp4", "supine_psoas", (Interval(0, 1, in_position=True, side="left"),
                                                Interval(1, 2, in_position=True,
                                                         side="right")))
    assert both.sure_side is None


@pytest.mark.parametrize("stretch, motion, no_hold", [
    ("deep_lunge", "", False), ("deep_lunge", "hold", False), ("deep_lunge", "reps", True),
    ("none", "hold", True), ("none", "moving", True)])
def test_no_hold_clips_have_false_valid_truth_everywhere(stretch, motion, no_hold) -> None:
    clip = ClipLabels("a.mp4", stretch, (Interval(1.0, 2.0, in_position=True),),
                      motion=motion)
    assert clip.no_hold is no_hold
    ft = clip.at_times(np.array([0.5, 1.5, 3.0]))
    if no_hold:  # unlabelled time too: 0 s of hold is right over the whole clip
        assert ft.labelled.tolist() == [True, True, True]
        assert ft.valid_truth([]).tolist() == [FALSE, FALSE, FALSE]
        assert ft.in_position.tolist() == [UNLABELLED, TRUE, UNLABELLED]
    else:
        assert ft.valid_truth([]).tolist() == [UNLABELLED, TRUE, UNLABELLED]


def test_motion_must_be_known(tmp_path: Path) -> None:
    p = write(tmp_path, GOOD.replace('stretch = "deep_lunge"',
                                     'stretch = "deep_lunge"\nmotion = "bouncy"'))
    with pytest.raises(LabelError, match="motion"):
        load_labels(p)


def test_new_clip_keys_round_trip(tmp_path: Path) -> None:
    text = GOOD.replace('stretch = "deep_lunge"', 'stretch = "deep_lunge"\nmotion = "reps"\n'
                        'side = "unsure"\nside_how = "both legs in black"')
    ls = load_labels(write(tmp_path, text))
    again = load_labels(ls.save(tmp_path / "x.toml", root="clips"))
    assert again.clips == ls.clips and again.clips[0].side_how == "both legs in black"


# ---------------------------------------------------------------------------- inside the clip
def test_interval_outside_the_clip_names_file_clip_and_interval() -> None:
    clip = ClipLabels("clip4s.mp4", "deep_lunge", (Interval(0.0, 1.0, in_position=False),
                                                   Interval(100.0, 200.0, in_position=True)))
    with pytest.raises(LabelError) as err:
        clip.check_duration(4.0, source="labels.toml")
    msg = str(err.value)
    for word in ("labels.toml", "clip4s.mp4", "intervals[1]", "[100, 200]", "4.00 s"):
        assert word in msg


@pytest.mark.parametrize("start, end, ok", [
    (0.0, 4.0, True), (3.9, 4.2, True), (3.9, 4.5, False), (4.0, 4.1, False), (0.0, 9.0, False)])
def test_interval_must_lie_inside_the_clip(start, end, ok) -> None:
    clip = ClipLabels("a.mp4", "s", (Interval(start, end),))
    if ok:
        clip.check_duration(4.0)
    else:
        with pytest.raises(LabelError):
            clip.check_duration(4.0)


def test_photo_intervals_start_at_zero() -> None:
    ClipLabels("a.jpg", "s", (Interval(0.0, 0.5, in_position=True),)).check_duration(
        0.0, is_image=True)
    with pytest.raises(LabelError, match="still image"):
        ClipLabels("a.jpg", "s", (Interval(1.0, 2.0),)).check_duration(0.0, is_image=True)


@pytest.mark.parametrize("status, code", [(Status.PASS, TRUE), (Status.FAIL, FALSE),
                                          (Status.UNKNOWN, UNLABELLED)])
def test_a_check_truth_is_the_status_it_should_have(status, code):
    assert truth_of_status(status) == code and status_of_truth(code) is status
    with pytest.raises(KeyError):
        status_of_truth(2)


def test_synth_truth_moving_into_or_out_of_the_position_is_never_valid_hold() -> None:
    row = {"in_pose": True, "stretched_side": "left", "checks_pass": {"torso_upright": True},
           "valid": True}  # the geometry passes throughout
    truth = {"stretch": "deep_lunge", "duration_s": 0.6, "frames": [
        {"t_ms": 0, "phase": "transition", **row},
        {"t_ms": 100, "phase": "hold", **row},
        {"t_ms": 200, "phase": "transition", **row},  # a drift inside the hold: counts
        {"t_ms": 300, "phase": "fault", **row},
        {"t_ms": 400, "phase": "transition", **row},
        {"t_ms": 500, "phase": "exit", "in_pose": False, "valid": False},
    ]}
    clip = clip_from_synth_truth(truth, video="sample_videos/x.mp4")
    assert [(iv.start_s, iv.valid) for iv in clip.intervals] == [
        (0.0, False), (0.1, True), (0.4, False), (0.5, False)]
    assert [iv.in_position for iv in clip.intervals] == [True, True, True, False]


def test_synth_truth_of_a_moving_clip_is_labelled_reps_or_moving() -> None:
    frames = [{"t_ms": 0, "in_pose": True, "valid": False, "checks_pass": {}}]
    def clip(summary):
        truth = {"stretch": "deep_lunge", "duration_s": 0.1, "frames": frames, "summary": summary}
        return clip_from_synth_truth(truth, video="sample_videos/x.mp4")
    reps = clip({"scripted_hold_s": {"left": 0.0, "right": 0.0}, "scripted_reps": 5})
    walk = clip({"scripted_hold_s": {"left": 0.0, "right": 0.0}, "scripted_reps": 0})
    held = clip({"scripted_hold_s": {"left": 0.0, "right": 7.0}, "scripted_reps": 0})
    assert (reps.motion, walk.motion, held.motion) == ("reps", "moving", "")
    assert reps.no_hold and walk.no_hold and not held.no_hold
    assert clip({"sides": {}}).motion == ""  # an older truth without the scripted figures
