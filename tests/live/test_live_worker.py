"""The live page's frame worker without a browser or a Streamlit runtime.

Fast tests use a stub estimator and session (to pin the plumbing: timestamps, locking,
summary, cue rate limit); the slow test runs the real core on a clip and compares the hold
seconds with the batch analysis of the same frames.
"""

from __future__ import annotations

import threading
from pathlib import Path
from dataclasses import replace
from fractions import Fraction

import numpy as np
import pytest

from fakes import (LIVE_SPEC, StubEstimator, StubSession, frame_report, hold_state,
                   make_processor)
from media import sample_clip
from posecheck.core.checks import Status
from posecheck.core.errors import PosecheckError
from posecheck.core.hold import Hold, Phase
from posecheck.live.clock import FrameClock
from posecheck.live.summary import (STRIP_LABELS, TimelinePoint, strip_state, summarize,
                                    timeline_point)
from posecheck.live.voice import CueSpeaker, VoiceRules
from posecheck.live.webrtc import WebrtcFrameProcessor, rtc_configuration
from posecheck.live.worker import LiveProcessor
from posecheck.specs.parse import load_spec
from posecheck.core.story import Story
from posecheck.core.pose import PoseFrame


# ---------------------------------------------------------------------------- stubs
IMG = np.zeros((48, 64, 3), np.uint8)


# ---------------------------------------------------------------------------- clock
def test_frame_clock_starts_at_zero_in_ms():
    clock = FrameClock()
    tb = 1 / 90000  # RTP video clock
    assert [clock.update(p, tb) for p in (123456, 126456, 129456)] == [0, 33, 67]


def test_frame_clock_unwraps_a_32_bit_rtp_counter():
    clock = FrameClock()
    tb = 1 / 90000
    start = 2**32 - 3000
    assert clock.update(start, tb) == 0
    assert clock.update(start + 3000 - 2**32, tb) == 33  # wrapped past zero
    assert clock.update(start + 6000 - 2**32, tb) == 67


def test_frame_clock_is_strictly_increasing_on_repeats():
    clock = FrameClock()
    stamps = [clock.update(p, 1 / 1000) for p in (0, 10, 10, 10, 9, 40)]
    assert stamps == [0, 10, 11, 12, 13, 40]


# ---------------------------------------------------------------------------- processor
def test_processor_feeds_strictly_increasing_timestamps_and_counts():
    proc, est = make_processor()
    for t in (0, 33, 33, 66, 50, 100):  # repeats and a small step back are bumped
        proc.process(IMG, t)
    assert est.fed == sorted(set(est.fed)) and len(est.fed) == 6
    snap = proc.snapshot()
    assert snap.frames == 6 and snap.frames_with_pose == 6 and snap.pose_fraction == 1.0
    assert snap.report is not None and snap.t_ms == est.fed[-1]


def test_processor_restarts_when_the_source_starts_over():
    proc, est = make_processor()
    for t in (0, 1000, 2000, 3000):
        proc.process(IMG, t)
    proc.process(IMG, 0)  # a new stream: more than a second back
    assert est.resets == 1
    assert proc.snapshot().report.hold.hold_valid_s == 0.0


def test_mirrored_frames_give_the_subjects_true_side():
    proc, _ = make_processor(mirrored=True)
    proc.process(IMG, 0)
    report = proc.snapshot().report
    # The stub puts the pose at x = w/4 of the image; un-mirrored it is at 3w/4.
    assert report.pose.xy[0, 0] == pytest.approx(IMG.shape[1] * 0.75)


def test_annotated_frame_differs_and_undrawn_is_the_input():
    proc, _ = make_processor()
    drawn = proc.process(IMG, 0)
    plain = proc.process(IMG, 40, draw=False)
    assert drawn.shape == IMG.shape and not np.array_equal(drawn, IMG)
    assert plain is IMG


def test_snapshot_is_safe_to_read_while_frames_are_processed():
    proc, _ = make_processor()
    stop = threading.Event()
    seen: list[int] = []

    def reader():
        while not stop.is_set():
            snap = proc.snapshot()
            seen.append(snap.frames)
            proc.timeline()

    th = threading.Thread(target=reader)
    th.start()
    for i in range(200):
        proc.process(IMG, i * 33, draw=False)
    stop.set()
    th.join()
    assert seen == sorted(seen)  # frame counts only grow
    assert proc.snapshot().frames == 200 and len(proc.timeline()) == 200


def test_webrtc_adapter_returns_an_av_frame_of_the_same_size():
    av = pytest.importorskip("av")
    proc, est = make_processor()
    adapter = WebrtcFrameProcessor(proc, flip=True)
    assert adapter.processor.mirrored is False  # the page sets mirrored with flip
    for i in range(3):
        frame = av.VideoFrame.from_ndarray(IMG, format="bgr24")
        frame.pts, frame.time_base = 5000 + i * 3000, Fraction(1, 90000)
        out = adapter.recv(frame)
        assert (out.width, out.height) == (IMG.shape[1], IMG.shape[0])
    assert est.fed == [0, 33, 67]


def test_frames_queued_while_busy_are_dropped_not_processed():
    import asyncio

    av = pytest.importorskip("av")
    proc, est = make_processor()
    adapter = WebrtcFrameProcessor(proc)
    frames = []
    for i in range(4):
        f = av.VideoFrame.from_ndarray(IMG, format="bgr24")
        f.pts, f.time_base = i * 3000, Fraction(1, 90000)
        frames.append(f)
    out = asyncio.run(adapter.recv_queued(frames))
    assert len(out) == 1 and len(est.fed) == 1  # only the newest frame was analysed
    snap = proc.snapshot()
    assert snap.frames == 1 and snap.dropped == 3


def test_an_error_on_one_frame_keeps_the_stream_going():
    av = pytest.importorskip("av")

    class Broken(StubEstimator):
        def process(self, image, t_ms, index=-1):
            raise RuntimeError("model crashed")

    proc = LiveProcessor(load_spec(LIVE_SPEC), estimator=Broken(), session=StubSession())
    frame = av.VideoFrame.from_ndarray(IMG, format="bgr24")
    frame.pts, frame.time_base = 0, Fraction(1, 90000)
    out = WebrtcFrameProcessor(proc).recv(frame)
    assert (out.width, out.height) == (IMG.shape[1], IMG.shape[0])
    assert "model crashed" in proc.snapshot().error


def test_adapter_builds_the_processor_in_the_background_and_shows_loading():
    av = pytest.importorskip("av")
    gate = threading.Event()
    built = []

    def build():
        gate.wait(5)
        proc, _ = make_processor()
        built.append(proc)
        return proc

    adapter = WebrtcFrameProcessor(build)
    frame = av.VideoFrame.from_ndarray(IMG, format="bgr24")
    frame.pts, frame.time_base = 0, Fraction(1, 90000)
    out = adapter.recv(frame)  # not ready: the frame comes back with a note, no waiting
    assert adapter.processor is None and not np.array_equal(out.to_ndarray(format="bgr24"), IMG)
    gate.set()
    assert adapter.wait_ready(5) and adapter.processor is built[0]
    frame.pts = 3000
    adapter.recv(frame)
    assert adapter.processor.snapshot().frames == 1


def test_adapter_reports_a_model_that_fails_to_load():
    def build():
        raise PosecheckError("no model here")

    adapter = WebrtcFrameProcessor(build)
    assert adapter.wait_ready(5)
    assert adapter.processor is None and "no model here" in adapter.error



def _frames(pts, tb=Fraction(1, 90000), image=IMG):
    av = pytest.importorskip("av")
    out = []
    for p in pts:
        f = av.VideoFrame.from_ndarray(image, format="bgr24")
        f.pts, f.time_base = p, tb
        out.append(f)
    return out


def test_timestamps_restarting_at_zero_on_the_same_connection_start_a_new_session():
    """A camera that restarts its clock mid-connection: the session starts over and its
    timer counts the new frames at their real pace (it used to advance 1 ms a frame)."""
    proc, est = make_processor()
    adapter = WebrtcFrameProcessor(proc)
    step = 3000  # 90 kHz ticks: 30 frames/s
    for f in _frames([1000 + i * step for i in range(60)]):  # 2 s of stream
        adapter.recv(f)
    held_before = proc.snapshot().report.hold.hold_valid_s
    for f in _frames([i * step for i in range(30)]):  # the clock restarts at 0
        adapter.recv(f)
    assert est.resets == 1
    assert est.fed[-1] == pytest.approx(29 * 33.3, abs=2)  # the new clock, from 0
    held = proc.snapshot().report.hold.hold_valid_s
    assert held == pytest.approx(29 * step / 90000, abs=0.002) and held < held_before
    assert [p.t_ms for p in proc.timeline()] == sorted(p.t_ms for p in proc.timeline())


def test_frame_clock_tells_a_restart_from_a_wrap():
    clock = FrameClock()
    tb = 1 / 90000
    clock.update(2**32 - 3000, tb)
    clock.update(100, tb)  # a wrap of the 32-bit counter: time goes on
    assert clock.restarts == 0
    clock.update(90000 * 5, tb)
    clock.update(0, tb)  # five seconds back: a restart
    assert clock.restarts == 1 and clock.update(3000, tb) == 33


def test_a_frame_that_cannot_be_converted_keeps_the_stream_going():
    class Odd:
        pts, time_base, width, height, format = 0, Fraction(1, 90000), 64, 48, "yuvj422p"

        def to_ndarray(self, format=None):
            raise ValueError("Conversion from yuvj422p to bgr24 is not supported")

    proc, est = make_processor()
    adapter = WebrtcFrameProcessor(proc)
    frame = Odd()
    assert adapter.recv(frame) is frame  # handed back as it came
    assert "cannot be converted" in proc.snapshot().error and est.fed == []
    out = adapter.recv(_frames([3000])[0])  # the next good frame is analysed
    assert (out.width, out.height) == (IMG.shape[1], IMG.shape[0]) and len(est.fed) == 1


@pytest.mark.parametrize("size", [(1, 64), (1, 1), (63, 47)])
def test_video_writer_takes_any_frame_size(tmp_path, size):
    av = pytest.importorskip("av")
    from posecheck.live.replay import VideoWriter

    w, h = size
    writer = VideoWriter(tmp_path / "out.mp4", 15.0, w, h)
    for i in range(5):
        writer.write(np.full((h, w, 3), 40 * i, np.uint8))
    path = writer.close()
    with av.open(str(path)) as c:
        assert sum(1 for _ in c.decode(video=0)) == 5
    assert [p.name for p in tmp_path.iterdir()] == ["out.mp4"]


# ---------------------------------------------------------------------------- summary
def point(t_ms, valid=True, failing=(), side="left", held=0.0) -> TimelinePoint:
    return TimelinePoint(t_ms=t_ms, has_pose=True, in_pose=True, valid=valid, side=side,
                         phase="holding", hold_valid_s=held, failing=tuple(failing), cue="")


def test_summary_counts_fault_seconds_from_frame_times():
    pts = [point(t, valid=False, failing=("knee",)) for t in range(0, 2000, 100)]
    pts += [point(t, valid=False, failing=("knee", "torso")) for t in range(2000, 3000, 100)]
    s = summarize(pts)
    faults = dict(s.faults_s)
    assert faults["knee"] == pytest.approx(3.0)
    assert faults["torso"] == pytest.approx(1.0)
    assert [k for k, _ in s.faults_s] == ["knee", "torso"]  # worst first
    assert s.duration_s == pytest.approx(3.0)


def test_summary_caps_a_stalled_stream():
    s = summarize([point(0, failing=("knee",)), point(60_000, failing=("knee",))])
    assert dict(s.faults_s)["knee"] < 1.5  # not a minute of fault for two frames


def test_summary_takes_sides_and_holds_from_the_last_report():
    holds = (Hold("left", 2.0, 33.0, 30.0, True), Hold("right", 50.0, 60.0, 4.5, False),
             Hold("right", 70.0, 80.0, 8.0, False))
    hold = hold_state(Phase.WAITING, valid_s_by_side={"left": 30.0, "right": 12.5},
                      reps_by_side={"left": 1, "right": 0}, holds=holds)
    s = summarize([point(0)], frame_report(0, hold=hold))
    assert s.valid_s_by_side == {"left": 30.0, "right": 12.5} and s.total_valid_s == 42.5
    assert [(h.side, h.rep, h.valid_s, h.completed) for h in s.holds] == [
        ("left", 1, 30.0, True), ("right", 1, 4.5, False), ("right", 2, 8.0, False)]
    assert [h.outcome for h in s.holds] == ["completed", "ended early", "ended early"]


def test_summary_includes_the_unfinished_hold_and_marks_it():
    done = (Hold("left", 1.0, 21.0, 20.0, True),)
    pts = [point(t, side="left", held=min(t / 1000, 20)) for t in range(0, 21000, 500)]
    pts += [replace(point(t, side="right", held=(t - 30000) / 1000), phase="holding")
            for t in range(30000, 36000, 500)]
    hold = hold_state(Phase.PAUSED, side="right", hold_valid_s=5.5, holds=done,
                      valid_s_by_side={"left": 20.0, "right": 5.5},
                      reps_by_side={"left": 1, "right": 0})
    s = summarize(pts, frame_report(35500, hold=hold))
    assert [(h.side, h.valid_s, h.completed, h.unfinished) for h in s.holds] == [
        ("left", 20.0, True, False), ("right", 5.5, False, True)]
    assert s.holds[-1].outcome == "unfinished (stopped)"
    assert s.holds[-1].start_s == pytest.approx(30.0)


def test_summary_counts_faults_only_in_a_hold_and_in_position():
    spec = load_spec("half_kneeling_hip_flexor")
    held = [point(t, valid=False, failing=("torso_upright",)) for t in range(0, 3000, 100)]
    held = [replace(p, failing_required=("torso_upright",)) for p in held]
    switch = [replace(point(t, valid=False, failing=("torso_upright", "shift_forward")),
                      phase="switch", failing_required=("torso_upright", "shift_forward"))
              for t in range(3000, 8000, 100)]
    out = [replace(point(t, valid=False, failing=("shift_forward",)), in_pose=False,
                   failing_required=("shift_forward",)) for t in range(8000, 9000, 100)]
    hold = hold_state(Phase.WAITING, valid_s_by_side={"left": 0.0, "right": 0.0},
                      reps_by_side={"left": 0, "right": 0})
    s = summarize(held + switch + out, frame_report(8900, hold=hold), spec)
    assert dict(s.faults_s) == {"torso_upright": pytest.approx(3.0)}
    left = s.sides[0]
    assert left.faults == (("torso leaning", pytest.approx(3.0)),)
    assert s.lines[0] == ("Left: 0 of 20 s held well, target not reached; most time lost to: "
                          "torso leaning (3 s).")


def test_unknown_validity_is_kept_and_painted_as_paused_not_as_a_fault():
    # Issue 12: a paused frame (validity unknown) was recorded as False and painted red.
    report = frame_report(0, hold=hold_state(Phase.PAUSED), valid=None)
    p = timeline_point(report)
    assert p.valid is None
    assert STRIP_LABELS[strip_state(p)].startswith("paused")
    assert STRIP_LABELS[strip_state(replace(p, valid=False))] == "fault"
    assert STRIP_LABELS[strip_state(replace(p, valid=True))] == "counting"
    assert strip_state(replace(p, phase="switch", valid=False)) == 0  # no hold
    assert strip_state(replace(p, in_pose=False, valid=False)) == 0  # out of position


# ---------------------------------------------------------------------------- voice cues
def told(state, message="", t_valid=5.0, reason=None, mid=None, target=20.0, side="left"):
    tone = {"counting": "good", "tip": "tip", "paused": "fault"}.get(state, "info")
    return Story(state, message or state, tone, state, reason=reason,
                 message_id=mid or f"{state}:{message}", side=side, valid_s=t_valid,
                 target_s=target, counting=state in ("counting", "tip"))


def run_voice(frames, rules=None):
    """Feed (t_ms, story) frames at 10 frames/s between the given times; return what was
    said as (t_s, text)."""
    sp = CueSpeaker(rules)
    out = []
    for (t0, st), (t1, _) in zip(frames, frames[1:] + [(frames[-1][0] + 100, None)]):
        for t in range(t0, t1, 100):
            said = sp.update(st, t)
            if said:
                out.append((t / 1000, said))
    return out


def test_voice_counts_down_then_says_hold_it():
    frames = [(0, told("waiting", "Kneel"))]
    frames += [(1000 + 1000 * i, told("get_ready", f"Get ready: {3 - i}", mid=f"countdown:{3 - i}"))
               for i in range(3)]
    frames += [(4000, told("counting", "Good - hold it", mid="good")), (6000, None)]
    said = run_voice(frames[:-1] + [(6000, told("counting", "Good - hold it", mid="good"))])
    assert [x for _, x in said] == ["Get ready: 3", "2", "1", "Hold it"]
    assert [t for t, _ in said] == [1.0, 2.0, 3.0, 4.0]


def test_voice_does_not_count_down_again_soon_after_a_countdown():
    """A person who drops out and settles back within countdown_repeat_s hears "Hold it",
    not a second "Get ready: 3, 2, 1" (each restart used to cost four cues)."""
    def spell(t0):
        return [(t0 + 1000 * i, told("get_ready", f"Get ready: {3 - i}", mid=f"countdown:{3 - i}"))
                for i in range(3)] + [(t0 + 3000, told("counting", "Good - hold it", mid="good")),
                                      (t0 + 8000, told("waiting", "Kneel", mid="waiting:kneel"))]
    frames = [(0, told("waiting", "Kneel", mid="waiting:kneel"))]
    for t0 in (1000, 10000, 19000, 40000):
        frames += spell(t0)
    said = [x for _, x in run_voice(frames)]
    assert said.count("Get ready: 3") == 2  # at 1 s and 40 s; not at 10 s or 19 s
    assert said.count("Hold it") == 4
    assert said.count("2") == 2


def test_voice_waits_before_a_correction_and_does_not_repeat_it_soon():
    fault = told("paused", "Lift your chest", reason="form", mid="fault:torso")
    good = told("counting", "Good - hold it", mid="good")
    frames = [(0, good), (1000, fault), (1500, good), (2000, fault), (10000, good),
              (12000, fault), (20000, good)]
    said = run_voice(frames)
    # 1.0-1.5 s: too short to correct; 2.0 s + settle 1.5 s; praise once the form is back
    # for 1 s (and 4 s after the correction); at 12 s the same correction is not repeated.
    assert said == [(3.5, "Lift your chest"), (11.0, "Good, hold it")]


def test_voice_keeps_a_minimum_gap_between_corrections():
    a = told("paused", "Lift your chest", reason="form", mid="fault:a")
    b = told("paused", "Shift your hips forward", reason="form", mid="fault:b")
    said = run_voice([(0, a), (2000, b), (9000, b)])
    assert said[0] == (1.5, "Lift your chest")
    assert said[1][0] >= 1.5 + VoiceRules().min_gap_s


def test_voice_waits_longer_for_a_visibility_cue():
    unseen = told("paused", "I can't see your back foot", reason="unseen", mid="unseen:foot")
    good = told("counting", "Good - hold it", mid="good")
    assert run_voice([(0, unseen), (2500, good), (5000, good)]) == []
    assert run_voice([(0, unseen), (4000, good)])[0] == (3.0, "I can't see your back foot")


def test_voice_announces_ten_seconds_left_switch_and_done_once():
    frames = [(i * 1000, told("counting", "Good - hold it", t_valid=float(i), mid="good"))
              for i in range(20)]
    frames += [(20000, told("switch", "Switch sides: now your right side", mid="timer:switch")),
               (25000, told("done", "Done - well held", mid="timer:done"))]
    said = run_voice(frames)
    assert said == [(10.0, "10 seconds left"), (20.0, "Switch sides: now your right side"),
                    (25.0, "Done - well held")]


def test_voice_says_switch_sides_only_once_the_last_words_are_a_gap_old():
    fault = told("paused", "Lift your chest", reason="form", mid="fault:torso")
    good = told("counting", "Good - hold it", t_valid=5.0, mid="good")
    switch = told("switch", "Switch sides: now your right side", mid="timer:switch")
    # praise at 5.5 s (the form back for 1 s), the side done 0.5 s later
    said = run_voice([(0, fault), (4500, good), (6000, switch), (9000, switch)])
    assert said[1] == (5.5, "Good, hold it")
    assert said[2] == (5.5 + VoiceRules().event_gap_s, "Switch sides: now your right side")
    # a switch left before its turn is not said late
    quick = run_voice([(0, fault), (4500, good), (6000, switch), (6500, good)])
    assert "Switch sides: now your right side" not in [x for _, x in quick]


# ---------------------------------------------------------------------------- ICE servers
def test_rtc_configuration_defaults_to_no_servers():
    assert rtc_configuration(None) == {"iceServers": []}
    assert rtc_configuration("  ") == {"iceServers": []}


@pytest.mark.parametrize("value", ['[{"urls": ["stun:stun.example.org:3478"]}]',
                                   '{"iceServers": [{"urls": "turn:t.example.org",'
                                   ' "username": "u", "credential": "p"}]}'])
def test_rtc_configuration_reads_json(value):
    cfg = rtc_configuration(value)
    assert len(cfg["iceServers"]) == 1 and "urls" in cfg["iceServers"][0]


@pytest.mark.parametrize("value", ["not json", '{"urls": 1}', '[{"url": "stun:x"}]'])
def test_rtc_configuration_rejects_bad_values_clearly(value):
    with pytest.raises(PosecheckError, match="POSECHECK_ICE_SERVERS"):
        rtc_configuration(value)


# ---------------------------------------------------------------------------- real core
@pytest.fixture(scope="module")
def good_lunge(tmp_path_factory) -> Path:
    return sample_clip("deep_lunge_good_right", tmp_path_factory.mktemp("samples"))


@pytest.mark.slow
def test_live_hold_matches_the_batch_analysis_of_the_same_clip(good_lunge):
    from posecheck.core.analysis import analyze_frames
    from posecheck.model.landmarks import estimate_video
    from posecheck.live.replay import run_on_video
    from posecheck.core.session import StretchSession
    from posecheck.specs.parse import load_spec

    spec = load_spec("deep_lunge")
    from posecheck.model.provision import DEFAULT_MODEL

    processor = LiveProcessor(spec, model=DEFAULT_MODEL)
    live = run_on_video(processor, good_lunge)
    processor.close()
    track = estimate_video(good_lunge, DEFAULT_MODEL, progress=False)
    frame_s = 1.0 / track.info.fps
    assert live.frames == len(track.frames)
    assert live.pose_fraction > 0.9

    # The batch's frames through the per-frame session, as the page would have run them.
    session = StretchSession(spec, smoothing="live")
    replay = [session.update(f) for f in track.frames][-1].hold.valid_s_by_side
    assert sum(replay.values()) > 1.0  # a good-form clip: the hold really counts
    for side in ("left", "right"):
        assert live.valid_s_by_side[side] == pytest.approx(replay[side], abs=2 * frame_s)

    # analyze_frames relabels the legs by a majority vote over the whole clip
    # (fix_leg_labels); the live session follows the majority as it forms, so on a clip the
    # model reads steadily both book the same seconds to the same side.
    batch = analyze_frames(track.frames, spec, fps=track.info.fps, smoothing="live")
    batch_s = batch.final_hold.valid_s_by_side
    for side in ("left", "right"):
        assert live.valid_s_by_side[side] == pytest.approx(batch_s[side], abs=5 * frame_s)


# ---------------------------------------------------------------------------- a real clip
HK_CLIP = "footage/hip_flexor/hip_flexor_half_kneeling_oblique_nd.mp4"
HK_LOOPS = 4  # the 18 s clip played back to back: 72 s, like a camera session
# Stated voice rate: at most this many spoken cues per minute (the issue saw 15 a minute).
MAX_CUES_PER_MIN = 12.0


@pytest.fixture(scope="module")
def hk_session(footage_dir):
    """The real half-kneeling clip through the camera worker (set-up step, 3 s countdown),
    looped to a minute; every frame's report, story, snapshot and banner pixel kept."""
    from conftest import footage_path
    from posecheck.live.replay import iter_video
    from posecheck.live.worker import LEAD_IN_S

    clip = footage_path(HK_CLIP)
    if not clip.is_file():
        pytest.skip(f"{clip} not found")
    spec = load_spec("half_kneeling_hip_flexor")
    proc = LiveProcessor(spec, model="full", lead_in_s=LEAD_IN_S, framing=True)
    frames = list(iter_video(clip))
    span = frames[-1][1] + 33
    rows, first_pass = [], None
    for k in range(HK_LOOPS):
        for i, (img, t) in enumerate(frames):
            out = proc.process(img, t + k * span, draw=i % 5 == 0)
            snap = proc.snapshot()
            rows.append({"snap": snap, "banner": out[-3, 3].copy() if i % 5 == 0 else None})
        if k == 0:
            first_pass = proc.summary()
    proc.close()
    return {"spec": spec, "rows": rows, "summary": proc.summary(), "first": first_pass,
            "spoken": proc.spoken(), "seconds": HK_LOOPS * span / 1000.0,
            "timeline": proc.timeline()}


@pytest.mark.slow
def test_banner_panel_and_timeline_tell_one_story_over_a_real_clip(hk_session):
    from posecheck.core.story import tell

    spec = hk_session["spec"]
    states = set()
    timed = [r for r in hk_session["rows"] if not r["snap"].framing]
    assert len(timed) > 0.9 * len(hk_session["rows"])  # the set-up step ends by itself
    for r in timed:
        snap = r["snap"]
        panel = tell(snap.report, spec)  # what the page's panel shows for this report
        assert snap.story == panel
        states.add(panel.state)
        if r["banner"] is not None:  # the banner drawn on that frame has the story's colour
            b, g, red = r["banner"].astype(int)
            er, eg, eb = panel.rgb
            assert abs(red - (0.8 * er + 0.2 * 0)) < 60 and abs(g - 0.8 * eg) < 60 \
                and abs(b - 0.8 * eb) < 60, (panel, r["banner"])
    # each pass of the clip is one hold; between passes the person gets up and kneels again
    assert {"get_ready", "counting", "paused", "waiting"} <= states, states
    cues = {p.cue for p in hk_session["timeline"]}
    assert cues <= {tell(r["snap"].report, spec).message for r in timed}


@pytest.mark.slow
def test_valid_seconds_do_not_rise_while_a_required_check_fails(hk_session):
    reports = [r["snap"].report for r in hk_session["rows"] if not r["snap"].framing]
    faulty = risen = 0
    for a, b in zip(reports, reports[1:]):
        same_hold = a.hold.side == b.hold.side and a.hold.phase.value in ("holding", "paused")
        failing = any(r.status is Status.FAIL and r.required for r in a.checks.values())
        if same_hold and failing and b.hold.phase.value in ("holding", "paused"):
            faulty += 1
            risen += b.hold.hold_valid_s > a.hold.hold_valid_s
    assert faulty > 30  # the clip really shows faults in a hold
    assert risen == 0


@pytest.mark.slow
def test_summary_names_faults_and_includes_the_unfinished_hold(hk_session):
    spec = hk_session["spec"]
    first = hk_session["first"]  # stopped after one pass: the left hold is still open
    assert first.holds and first.holds[-1].unfinished and first.holds[-1].valid_s > 1.0
    assert first.lines[0].startswith("Left: ") and "target not reached" in first.lines[0]
    labels = {c.label for c in spec.checks}
    for side in first.sides:
        for name, _ in side.faults:
            assert name not in labels  # the fault, not the pass label
    assert "most time lost to: " in first.lines[0]
    # Played back to back, each pass is its own hold: the person leaves at the end of the clip
    # and kneels again, so no hold runs across the seam (docs/TIMER.md rule 3) and none
    # reaches the 20 s target. Before session 12 the first hold stayed open, paused, through
    # the seam and the next pass's set-up, and the summary said "target reached".
    full = hk_session["summary"]
    span_s = hk_session["seconds"] / HK_LOOPS
    assert len(full.holds) == HK_LOOPS
    for h in full.holds:
        assert int(h.start_s // span_s) == int(h.end_s // span_s), h  # inside one pass
        assert h.valid_s == pytest.approx(full.holds[0].valid_s, abs=0.3)
        assert h.valid_s < spec.hold.target_s
    total = sum(h.valid_s for h in full.holds)
    assert f"Left: {total:.0f} s held well in all, target not reached" in full.lines[0]


@pytest.mark.slow
def test_spoken_cues_stay_under_a_stated_rate_on_a_minute_of_real_clip(hk_session):
    spoken = hk_session["spoken"]
    minutes = hk_session["seconds"] / 60.0
    assert minutes >= 1.0
    assert 3 <= len(spoken) <= MAX_CUES_PER_MIN * minutes, spoken
    texts = [x for _, x in spoken]
    # "Hold it" as each pass's hold starts; the count never gets to "10 seconds left" (each
    # hold counts about 8 of its 20 s; the countdown and the switch are said in
    # test_voice_announces_ten_seconds_left_switch_and_done_once)
    assert texts.count("Hold it") == HK_LOOPS
    assert not any(x.endswith("seconds left") or x.startswith("Switch sides") for x in texts)
    by_t = {r["snap"].t_ms: r["snap"].story for r in hk_session["rows"]}
    for t, text in spoken:  # what is said is what the page shows at that moment
        if text == "Hold it":
            assert by_t[t].state == "counting", (t, by_t[t])
    gaps = np.diff([t for t, x in spoken if not x.isdigit() and not x.startswith("Get ready")])
    assert gaps.min() >= VoiceRules().event_gap_s * 1000


def test_set_up_step_ends_after_two_framed_seconds_and_times_nothing():
    from posecheck.live.worker import FRAMING_OK_S

    proc, _ = make_processor(framing=True)  # the stub's whole body is inside the picture
    ends = int(FRAMING_OK_S * 1000)
    for t in range(0, ends, 100):
        proc.process(IMG, t)
        assert proc.snapshot().framing and proc.snapshot().story.state == "framing"
    for t in range(ends, ends + 1000, 100):
        proc.process(IMG, t)
    assert not proc.snapshot().framing
    assert len(proc.timeline()) == 9  # nothing of the set-up is kept for the summary


class NoFeetEstimator(StubEstimator):
    """A person whose feet are below the picture."""

    def process(self, image, t_ms, index=-1):
        frame = super().process(image, t_ms)
        xy = frame.xy.copy()
        xy[27:33, 1] = frame.height + 20
        return PoseFrame(t_ms=frame.t_ms, width=frame.width, height=frame.height, xy=xy)


def test_set_up_step_asks_for_the_feet_and_can_be_skipped():
    proc = LiveProcessor(load_spec(LIVE_SPEC), estimator=NoFeetEstimator(), session=StubSession(),
                         session_factory=StubSession, framing=True)
    for t in range(0, 5000, 100):
        proc.process(IMG, t)
    snap = proc.snapshot()
    assert snap.framing and snap.story.message == "Step back until your feet are in the picture"
    assert proc.timeline() == ()
    proc.skip_framing()
    for t in range(5000, 6000, 100):
        proc.process(IMG, t)
    assert not proc.snapshot().framing and len(proc.timeline()) == 9


def test_frame_reports_are_kept_for_the_history_only_when_asked_and_after_the_set_up():
    from posecheck.live.worker import FRAMING_OK_S

    plain, _ = make_processor()
    plain.process(IMG, 0)
    assert plain.frames() == ()  # off by default
    proc, _ = make_processor(framing=True, keep_frames=True)
    ends = int(FRAMING_OK_S * 1000)
    for t in range(0, ends + 1000, 100):
        proc.process(IMG, t)
    kept = proc.frames()
    # The set-up's frames (and the one that ends it) are not part of the session.
    assert [f.t_ms for f in kept] == list(range(ends + 100, ends + 1000, 100))
    assert proc.started_at.tzinfo is not None
    proc.process(IMG, 0)  # the source started over: a new session
    assert [f.t_ms for f in proc.frames()] == [0]


def test_set_up_step_asks_to_level_a_tilted_camera_then_times_once_it_is_level():
    from media import room_picture

    from posecheck.live.worker import FRAMING_OK_S

    proc, _ = make_processor(framing=True)
    tilted, level = room_picture(-8.0), room_picture(0.0)
    for t in range(0, 4000, 100):
        proc.process(tilted, t)
    snap = proc.snapshot()
    assert snap.framing and snap.story.message_id == "frame:level"
    assert "tilted about 8 degrees" in snap.story.message
    end = 4000 + int((FRAMING_OK_S + 9) * 1000)  # the tilted frames leave the pool (8 s)
    for t in range(4000, end, 100):
        proc.process(level, t)
    assert not proc.snapshot().framing
