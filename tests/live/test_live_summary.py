"""live.summary (worker layer, no browser): a live session's holds carry the side call of the
batch report's holds, and an unsure side reaches the summary's words."""

from __future__ import annotations

from factories import mislabelled_trunk, sequence
from posecheck.core.session import StretchSession
from posecheck.live.summary import summarize, timeline_point
from posecheck.specs.parse import load_spec

FPS = 30.0


def _session_summary(frames, spec, **kw):
    session = StretchSession(spec, smoothing="none", **kw)
    reports = [session.update(f) for f in frames]
    return summarize([timeline_point(r) for r in reports], reports[-1], spec)


def test_a_clear_side_is_sure_in_the_live_summary():
    spec = load_spec("deep_lunge")
    s = _session_summary(sequence(120, FPS, stretch="deep_lunge", side="left"), spec)
    (hold,) = s.holds
    assert hold.side == "left" and not hold.side_unsure
    assert hold.side_confidence > spec.side_detect.min_confidence
    assert not any("unsure" in line for line in s.lines)


def test_contradicting_evidence_makes_the_live_hold_unsure_and_the_summary_says_so():
    spec = load_spec("deep_lunge")
    frames = [mislabelled_trunk(f) for f in sequence(120, FPS, stretch="deep_lunge",
                                                      side="left")]
    s = _session_summary(frames, spec)
    (hold,) = s.holds
    assert hold.side_unsure and hold.side_confidence < spec.side_detect.min_confidence
    assert any("unsure" in line for line in s.lines)
    # confirmed by the person: sure, whatever the evidence
    confirmed = _session_summary(frames, spec, side="left")
    assert not confirmed.holds[0].side_unsure and confirmed.holds[0].side_confidence == 1.0


def test_the_live_summary_says_the_bridge_lifts():
    from posecheck.synth.clip import truth_frames
    from posecheck.synth.more_clips import motion_clips

    clip = next(c for c in motion_clips(0) if c.id == "glute_bridge_reps")
    spec = load_spec("glute_bridge")
    session = StretchSession(spec, smoothing="none")
    reports = [session.update(t.pose_frame(clip.width, clip.height)) for t in truth_frames(clip)]
    summary = summarize([timeline_point(r) for r in reports], reports[-1], spec)
    n = clip.scripted_reps
    assert summary.sides[0].lifts is not None and summary.sides[0].lifts[0] == n
    assert f"{n} lifts ({n} with good form)" in summary.lines[0]
    # a spec that counts no reps says nothing of lifts
    lunge = _session_summary(sequence(90, FPS, stretch="deep_lunge"), load_spec("deep_lunge"))
    assert all(s.lifts is None for s in lunge.sides) and "lift" not in " ".join(lunge.lines)
