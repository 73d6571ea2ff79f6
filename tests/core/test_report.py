"""posecheck.core.report and .report_json (pure layer): the typed report of real analyses (factory
frames), its JSON form written and read back byte for byte, the reader's refusals, and the one
encoding of a status at each boundary."""

from __future__ import annotations

import json
from dataclasses import replace
from types import SimpleNamespace

import pytest

from factories import sequence
from posecheck.batch.track import analyze_track
from posecheck.core import report_json
from posecheck.core.analysis import analyze_frames
from posecheck.core.checks import Status
from posecheck.core.pose import PoseFrame
from posecheck.core.report import (BatchInfo, ErrorReport, ModelInput, ModelRef, Options,
                                   Presence, Report, TimelineEntry, VideoFacts)
from posecheck.core.report_json import REPORT_VERSION, ReportError, from_json, to_json
from posecheck.specs.parse import load_spec

FPS = 30.0
MODEL = ModelRef(label="full", sha256="ab" * 32, file="pose_landmarker_full.task")


def batch_info(recognition=None, sample_fps=None) -> BatchInfo:
    return BatchInfo(model=MODEL, stretch_requested="deep_lunge", video_sha256="0" * 64,
                     video_info=VideoFacts(1280, 720, 30.0, 210, 210, 7.0, 0, False),
                     model_input=ModelInput(1.0, "original video pixels"),
                     options=Options("batch", False, sample_fps), spec_hash="f" * 64,
                     recognition=recognition, warnings=("a person was found in only 1 of 2",))


def lunge_frames() -> list[PoseFrame]:
    """A deep lunge held well for 5 s, then 2 s leaning 40 deg forward (a check fails)."""
    return (sequence(150, FPS, stretch="deep_lunge")
            + sequence(60, FPS, t0_ms=5000, stretch="deep_lunge", torso_deg=40))


@pytest.fixture(scope="module")
def lunge() -> Report:
    analysis = analyze_frames(lunge_frames(), load_spec("deep_lunge"), fps=FPS, video="a.mp4")
    return replace(analysis.to_report(), batch=batch_info(sample_fps=15.0))


def test_the_report_of_a_real_analysis_is_typed_end_to_end(lunge):
    assert lunge.analysed and len(lunge.entries) == 210
    assert all(isinstance(e, TimelineEntry) for e in lunge.timeline)
    statuses = {c.status for e in lunge.entries for c in e.checks.values()}
    assert statuses <= set(Status) and Status.FAIL in statuses and Status.PASS in statuses
    side = max(lunge.sides, key=lambda s: lunge.sides[s].valid_hold_s)
    assert lunge.sides[side].valid_hold_s > 2.0 and lunge.sides[side].holds


def test_write_read_write_gives_the_same_bytes(lunge):
    text = to_json(lunge)
    back = from_json(text)
    assert back == lunge
    assert to_json(back) == text


def test_the_json_form_names_statuses_and_phases_by_their_values(lunge):
    data = json.loads(to_json(lunge))
    assert data["report_version"] == REPORT_VERSION and data["status"] == "ok"
    assert data["error"] is None and data["options"]["sample_fps"] == 15.0
    entry = data["timeline"][200]
    assert {c["status"] for c in entry["checks"].values()} <= {"pass", "fail", "unknown"}
    assert entry["phase"] == lunge.entries[200].phase.value
    assert list(data) == sorted(data)  # one form: sorted keys


def test_an_auto_report_with_its_recognition_and_a_report_of_no_stretch_round_trip():
    specs = [(sid, load_spec(sid)) for sid in ("deep_lunge", "glute_bridge")]
    info = SimpleNamespace(fps=FPS)
    named = analyze_track(lunge_frames(), specs, info, "a.mp4", auto=True)
    assert named.recognition is not None and named.recognition.segments
    seg = named.recognition.segments[0]
    assert seg.stretch == "deep_lunge" and seg.valid_s > 0 and seg.sides
    gone = [PoseFrame.empty(i * 33, 640, 480, index=i) for i in range(30)]
    nobody = analyze_track(gone, specs, info, "b.mp4", auto=True)
    assert nobody.report.stretch == "none" and not nobody.report.analysed
    assert all(isinstance(e, Presence) for e in nobody.report.timeline)
    for outcome in (named, nobody):
        rep = replace(outcome.report, batch=batch_info(outcome.recognition))
        text = to_json(rep)
        assert from_json(text) == rep and to_json(from_json(text)) == text
    data = json.loads(to_json(replace(nobody.report, batch=batch_info(nobody.recognition))))
    assert "smoothing" not in data and set(data["timeline"][0]) == {"t_s", "has_pose"}


def test_an_error_report_round_trips():
    err = ErrorReport(video="bad.mp4", error="bad.mp4: cannot be decoded", model=MODEL,
                      stretch_requested="auto")
    text = to_json(err)
    assert set(json.loads(text)) == {"report_version", "status", "error", "video", "model",
                                     "stretch_requested"}
    assert from_json(text) == err


def test_a_report_is_written_with_its_run_facts(lunge):
    with pytest.raises(ValueError, match="BatchInfo"):
        to_json(replace(lunge, batch=None))


def _edited(report: Report, edit) -> str:
    data = json.loads(to_json(report))
    edit(data)
    return json.dumps(data)


def test_another_version_is_refused_with_what_to_do(lunge):
    text = _edited(lunge, lambda d: d.update(report_version=REPORT_VERSION + 1))
    with pytest.raises(ReportError, match=rf"x\.json: report_version {REPORT_VERSION + 1} is "
                       rf"not the version this posecheck reads \({REPORT_VERSION}\).*--force"):
        from_json(text, source="x.json")


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.pop("spec_hash"), r"missing field spec_hash"),
    (lambda d: d.pop("report_version"), r"missing field report_version"),
    (lambda d: d["timeline"][3].pop("phase"), r"missing field timeline\[3\]\.phase"),
    (lambda d: d["sides"]["left"]["holds"][0].pop("valid_s"),
     r"missing field sides\.left\.holds\[0\]\.valid_s"),
    (lambda d: d.update(frames="210"), r"frames: must be int, got '210'"),
    (lambda d: d["timeline"][0]["checks"]["torso_upright"].update(status="PASS"),
     r"timeline\[0\]\.checks\.torso_upright\.status: 'PASS' is not one of"),
    (lambda d: d["timeline"][0].update(extra=1), r"timeline\[0\]\.extra: is not a field"),
    (lambda d: d.pop("metrics"), r"without smoothing|missing field metrics"),
])
def test_a_broken_report_is_refused_naming_the_field(lunge, edit, message):
    with pytest.raises(ReportError, match=message):
        from_json(_edited(lunge, edit), source="x.json")


def test_read_names_the_file(tmp_path, lunge):
    path = tmp_path / "a.json"
    path.write_text(to_json(lunge), encoding="utf-8")
    assert report_json.read(path) == lunge
    path.write_text("{", encoding="utf-8")
    with pytest.raises(ReportError, match="a.json: not a JSON report"):
        report_json.read(path)
    with pytest.raises(ReportError, match="missing.json: cannot read"):
        report_json.read(tmp_path / "missing.json")


# ---------------------------------------------------------------------------- status encodings
@pytest.mark.parametrize("status, text, code", [(Status.PASS, "pass", 1), (Status.FAIL, "fail", 0),
                                                (Status.UNKNOWN, "unknown", -1)])
def test_each_status_encoding_maps_through_one_function(status, text, code):
    assert status.value == text and Status(text) is status  # JSON
    assert status.code == code and Status.from_code(code) is status  # arrays
    with pytest.raises(ValueError):
        Status(text.upper())
    with pytest.raises(KeyError):
        Status.from_code(2)


@pytest.fixture(scope="module")
def bridge_reps() -> Report:
    """The synthetic bridge-reps clip's exact landmarks: a spec that counts reps."""
    from posecheck.synth.clip import truth_frames
    from posecheck.synth.more_clips import motion_clips

    clip = next(c for c in motion_clips(0) if c.id == "glute_bridge_reps")
    frames = [t.pose_frame(clip.width, clip.height) for t in truth_frames(clip)]
    analysis = analyze_frames(frames, load_spec("glute_bridge"), fps=clip.fps, video="b.mp4",
                              smoothing="none")
    return replace(analysis.to_report(), batch=batch_info())


def test_counted_reps_round_trip_and_only_a_counting_spec_has_them(bridge_reps, lunge):
    text = to_json(bridge_reps)
    back = from_json(text)
    assert back == bridge_reps and to_json(back) == text
    reps = json.loads(text)["sides"]["both"]["counted_reps"]
    assert reps["count"] == len(reps["reps"]) > 0
    assert {"start_s", "end_s", "good_form", "held"} <= set(reps["reps"][0])
    assert all("counted_reps" not in s for s in json.loads(to_json(lunge))["sides"].values())


@pytest.mark.parametrize("edit, message", [
    (lambda d: d["sides"]["both"]["counted_reps"].update(count=99),
     r"sides\.both\.counted_reps\.count: .*do not match"),
    (lambda d: d["sides"]["both"]["counted_reps"]["reps"][0].pop("held"),
     r"missing field sides\.both\.counted_reps\.reps\[0\]\.held"),
    (lambda d: d["sides"]["both"]["counted_reps"].update(count="5"),
     r"counted_reps\.count: must be int"),
])
def test_broken_counted_reps_are_refused_naming_the_field(bridge_reps, edit, message):
    with pytest.raises(ReportError, match=message):
        from_json(_edited(bridge_reps, edit), source="x.json")
