"""The frame-processing worker of the live page (no Streamlit inside).

One :class:`LiveProcessor` per camera connection: frame in, annotated frame out, and a
locked :class:`LiveSnapshot` the page reads about twice a second. It runs the same core as
the batch analysis (``PoseEstimator`` -> ``StretchSession(smoothing="live")``), so a video
played live and the same video analysed in batch give the same hold seconds.

Threads: :meth:`LiveProcessor.process` runs on streamlit-webrtc's worker thread; the page
calls :meth:`LiveProcessor.snapshot`, :meth:`LiveProcessor.timeline` and
:meth:`LiveProcessor.summary` from the script thread. Everything shared sits behind one lock.

Time: MediaPipe's VIDEO mode needs strictly increasing timestamps. :class:`FrameClock` turns
the camera's presentation timestamps into milliseconds from the first frame (RTP clocks start
at a random value and wrap at 2**32). A reconnect makes a new processor, so nothing carries
over between connections; a clock that restarts on the same connection (more than a second
back, not a wrap) starts a new session and timeline (:meth:`LiveProcessor.restart`).

Mirroring: ``mirrored=True`` says the frames given to :meth:`process` are mirror images (a
selfie view). The pose is un-mirrored (``PoseFrame.mirrored``) before the session sees it, so
sides are the subject's; drawing reflects x back onto the mirrored picture.
"""

from __future__ import annotations

import math
import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from posecheck.core import story as storylib
from posecheck.draw.overlay import annotate, pad_for_controls, status_name
from posecheck.core.story import Story

# Frame-time unwrap: RTP video timestamps are 32-bit counters.
_PTS_WRAP = 2**32
# A frame more than this far back in time means the source restarted (ms).
_RESTART_BACKWARDS_MS = 1000
# Rolling windows for the performance figures shown on the page (frames).
_PERF_WINDOW = 120
# A frame counts toward a timeline duration for at most this long (s): a stalled stream
# must not turn one frame into minutes of "fault".
_MAX_FRAME_DT_S = 0.5


class FrameClock:
    """Presentation timestamps -> strictly increasing milliseconds from the first frame.

    ``update(pts, time_base)`` handles a 32-bit wrap of the counter and bumps equal or
    slightly-backwards stamps by 1 ms (MediaPipe rejects them). A stamp more than
    ``_RESTART_BACKWARDS_MS`` back (and not a wrap) means the source restarted its clock:
    time starts again at 0 and ``restarts`` counts up, so the caller can start a new
    session. When ``pts`` is missing it falls back to the monotonic clock: a camera frame
    without a timestamp is still a frame.
    """

    def __init__(self) -> None:
        self._first_pts: int | None = None
        self._last_pts: int | None = None
        self._wraps = 0
        self._last_ms: int | None = None
        self._t0: float | None = None
        self.restarts = 0

    def update(self, pts: int | None, time_base: float | None) -> int:
        if pts is None or not time_base:
            now = time.monotonic()
            self._t0 = now if self._t0 is None else self._t0
            raw_ms = int(round((now - self._t0) * 1000.0))
        else:
            pts = int(pts)
            if self._first_pts is None:
                self._first_pts = pts
            elif self._last_pts is not None and pts < self._last_pts \
                    and self._last_pts - pts > _PTS_WRAP // 2:
                self._wraps += 1
            self._last_pts = pts
            ticks = pts + self._wraps * _PTS_WRAP - self._first_pts
            raw_ms = int(round(ticks * float(time_base) * 1000.0))
            if self._last_ms is not None and raw_ms < self._last_ms - _RESTART_BACKWARDS_MS:
                self._first_pts, self._wraps, self._last_ms = pts, 0, None
                self.restarts += 1
                raw_ms = 0
        if self._last_ms is not None and raw_ms <= self._last_ms:
            raw_ms = self._last_ms + 1
        self._last_ms = raw_ms
        return raw_ms


@dataclass(frozen=True)
class TimelinePoint:
    """What one processed frame contributed to the session (for the summary and its plot)."""

    t_ms: int
    has_pose: bool
    in_pose: bool
    valid: bool | None  # None: unknown (the hold is paused, not faulty)
    side: str
    phase: str
    hold_valid_s: float
    failing: tuple[str, ...]
    cue: str  # the story's message on this frame (what the banner and panel showed)
    failing_required: tuple[str, ...] = ()
    state: str = ""  # story.Story.state
    reason: str | None = None  # story.Story.reason


@dataclass(frozen=True)
class LiveSnapshot:
    """What the page shows, copied under the lock.

    ``fps`` is frames processed per second of wall time and ``latency_ms_*`` the time one
    frame spends in :meth:`LiveProcessor.process`, both over the last few seconds: they
    describe the machine, not the exercise, so the wall clock is the right one here.
    """

    frames: int = 0
    frames_with_pose: int = 0
    t_ms: int = -1
    report: Any = None
    fps: float = 0.0
    latency_ms_median: float = 0.0
    latency_ms_p90: float = 0.0
    dropped: int = 0  # frames skipped while the model was busy
    error: str = ""
    story: Any = None  # story.Story of ``report``: what the banner shows on that frame
    spoken: int = 0  # cues the voice rules said so far
    framing: bool = False  # the set-up step is running

    @property
    def pose_fraction(self) -> float:
        return self.frames_with_pose / self.frames if self.frames else 0.0


@dataclass(frozen=True)
class HoldSummary:
    """One hold of the session (``timer.Hold``), numbered per side."""

    side: str
    rep: int  # 1-based among the holds on this side
    valid_s: float
    start_s: float = 0.0
    end_s: float = 0.0
    completed: bool = False
    unfinished: bool = False  # still open when the session stopped

    @property
    def outcome(self) -> str:
        if self.completed:
            return "completed"
        return "unfinished (stopped)" if self.unfinished else "ended early"


@dataclass(frozen=True)
class SessionSummary:
    """End-of-session figures: valid seconds per side and rep, the most frequent faults."""

    duration_s: float
    frames: int
    pose_fraction: float
    valid_s_by_side: dict[str, float]
    reps_by_side: dict[str, int]
    holds: tuple[HoldSummary, ...]
    faults_s: tuple[tuple[str, float], ...]  # (check id, s failing while in a hold), worst first
    timeline: tuple[TimelinePoint, ...] = field(repr=False, default=())
    sides: tuple[storylib.SideSummary, ...] = ()  # per side in plain words (with a spec)

    @property
    def lines(self) -> list[str]:
        """The summary per side in plain words."""
        return storylib.summary_lines(self.sides)

    @property
    def total_valid_s(self) -> float:
        return float(sum(self.valid_s_by_side.values()))


def _frame_durations(ts_ms: np.ndarray) -> np.ndarray:
    """Seconds each frame stands for: the gap to the next frame, the last one a median gap."""
    if len(ts_ms) == 0:
        return np.zeros(0)
    dt = np.diff(ts_ms.astype(np.float64)) / 1000.0
    last = float(np.median(dt)) if len(dt) else 0.0
    return np.minimum(np.append(dt, last), _MAX_FRAME_DT_S)


def summarize(timeline: Iterable[TimelinePoint], last_report: Any = None,
              spec: Any = None) -> SessionSummary:
    """Summary of a session from its timeline and (for the hold counts) its last report.

    Faults are counted only while a hold was open and the person was in position (never
    during switch, rest or set-up). A hold still open at the end is listed as unfinished,
    with the valid seconds it had. With ``spec`` the summary has its plain-words lines."""
    points = tuple(timeline)
    ts = np.array([p.t_ms for p in points], dtype=np.int64)
    dur = _frame_durations(ts)
    faults: Counter[str] = Counter()
    for p, d in zip(points, dur):
        if p.phase in storylib.HOLD_PHASES and p.in_pose:
            for check_id in p.failing:
                faults[check_id] += float(d)
    hold = getattr(last_report, "hold", None)
    by_side = {str(k): float(v) for k, v in (getattr(hold, "valid_s_by_side", None) or {}).items()}
    reps = {str(k): int(v) for k, v in (getattr(hold, "reps_by_side", None) or {}).items()}
    holds = []
    per_side: Counter[str] = Counter()
    for h in getattr(hold, "holds", None) or ():
        side = str(_get(h, "side", ""))
        per_side[side] += 1
        holds.append(HoldSummary(side=side, rep=per_side[side],
                                 valid_s=float(_get(h, "valid_s", 0.0)),
                                 start_s=float(_get(h, "start_s", 0.0)),
                                 end_s=float(_get(h, "end_s", 0.0)),
                                 completed=bool(_get(h, "completed", False))))
    phase = str(getattr(getattr(hold, "phase", ""), "value", getattr(hold, "phase", "")) or "")
    if phase in storylib.HOLD_PHASES and getattr(hold, "side", None):
        side = str(hold.side)
        per_side[side] += 1
        start = len(points)
        while start > 0 and points[start - 1].phase in storylib.HOLD_PHASES \
                and points[start - 1].side == side:
            start -= 1
        start_s = points[start].t_ms / 1000.0 if start < len(points) else 0.0
        holds.append(HoldSummary(side=side, rep=per_side[side],
                                 valid_s=float(getattr(hold, "hold_valid_s", 0.0) or 0.0),
                                 start_s=start_s, end_s=float(ts[-1]) / 1000.0 if len(ts) else 0.0,
                                 completed=False, unfinished=True))
    sides = ()
    if spec is not None and hasattr(spec, "hold"):
        sides = tuple(storylib.side_summaries(points, spec, by_side, reps, dur))
    return SessionSummary(
        duration_s=float((ts[-1] - ts[0]) / 1000.0 + dur[-1]) if len(ts) else 0.0,
        frames=len(points),
        pose_fraction=(sum(p.has_pose for p in points) / len(points)) if points else 0.0,
        valid_s_by_side=by_side,
        reps_by_side=reps,
        holds=tuple(holds),
        faults_s=tuple(sorted(faults.items(), key=lambda kv: -kv[1])),
        timeline=points,
        sides=sides,
    )


def _get(obj: Any, name: str, default: Any) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def timeline_point(report: Any, story: Story | None = None) -> TimelinePoint:
    """The compact record of one ``FrameReport`` kept for the summary (``story``: what the
    person was told on that frame; told again from the report when omitted)."""
    hold = getattr(report, "hold", None)
    checks = getattr(report, "checks", None) or {}
    failing = tuple(cid for cid, r in checks.items()
                    if status_name(getattr(r, "status", "")) == "fail")
    required = tuple(cid for cid in failing if getattr(checks[cid], "required", True))
    told = story if story is not None else storylib.tell(report)
    phase = getattr(hold, "phase", "")
    valid = getattr(report, "valid", None)
    return TimelinePoint(
        t_ms=int(getattr(report, "t_ms", 0)),
        has_pose=bool(getattr(report, "has_pose", False)),
        in_pose=bool(getattr(report, "in_pose", False)),
        valid=None if valid is None else bool(valid),
        side=str(getattr(hold, "side", "") or getattr(report, "stretched_side", "") or ""),
        phase=str(getattr(phase, "value", phase) or ""),
        hold_valid_s=float(getattr(hold, "hold_valid_s", 0.0) or 0.0),
        failing=failing,
        cue=told.message,
        failing_required=required,
        state=told.state,
        reason=told.reason,
    )


@dataclass(frozen=True)
class VoiceRules:
    """When the voice speaks (seconds of frame time).

    Attributes:
        min_gap_s: between two corrections, tips or praise (anything but the timer's words).
        event_gap_s: between two timer announcements ("Switch sides", "10 seconds left").
        repeat_s: before the same correction is said again.
        tip_repeat_s: before the same tip (advisory check) is said again.
        settle_s: a correction must stay the story's message this long before it is said.
        visibility_settle_s: the same for "I can't see ..." and framing problems.
        tip_settle_s: the same for tips.
        left_s: "10 seconds left" is said when this many seconds of the hold remain.
        countdown_repeat_s: a spoken countdown at most this often; a person who drops out of
            the stretch and settles back sooner hears only "Hold it".
    """

    min_gap_s: float = 4.0
    event_gap_s: float = 1.5
    repeat_s: float = 20.0
    tip_repeat_s: float = 45.0
    settle_s: float = 1.5
    visibility_settle_s: float = 3.0
    tip_settle_s: float = 3.0
    left_s: float = 10.0
    countdown_repeat_s: float = 30.0


class CueSpeaker:
    """Decides what the voice says, from each frame's :class:`story.Story` (so the voice says
    what the banner and the panel show). One :meth:`update` per frame.

    It says what changed, not what stays: the countdown before a hold ("Get ready: 3", "2",
    "1", "Hold it"); a correction once it has been the message for ``settle_s`` (and again
    only after ``repeat_s``); praise when the form comes back after a correction; "10
    seconds left"; "Switch sides", "Rest", "Done". Corrections only exist while a hold is
    open, so the side just finished is never corrected during the switch. A "can't see"
    cue waits longer and is never said for landmarks the pose shows at good visibility
    (the story does not produce it then). Time is the frame timestamp.
    """

    def __init__(self, rules: VoiceRules | None = None) -> None:
        self.rules = rules or VoiceRules()
        self.reset()

    def reset(self) -> None:
        self._last_ms: int | None = None        # anything said
        self._last_event_ms: int | None = None  # timer words
        self._said_at: dict[str, int] = {}
        self._stable_id = ""
        self._stable_since = 0
        self._prev_state = ""
        self._corrected = False  # a correction was said in this hold (praise follows)
        self._counting_since: int | None = None  # first frame of the current counting spell
        self._left_said: set[tuple[str, int]] = set()
        self._countdown_ms: int | None = None  # when the last spoken countdown began
        self._silent_countdown = False          # this countdown is not spoken (too soon)
        self.log: list[tuple[int, str]] = []

    def _since(self, ms: int | None, t_ms: int) -> float:
        return math.inf if ms is None else (t_ms - ms) / 1000.0

    def _say(self, text: str, key: str, t_ms: int, event: bool = False) -> str:
        self._last_ms = t_ms
        if event:
            self._last_event_ms = t_ms
        self._said_at[key] = t_ms
        self.log.append((t_ms, text))
        return text

    def update(self, story: Story, t_ms: int) -> str | None:
        """The text to say on this frame, or ``None``."""
        r = self.rules
        t_ms = int(t_ms)
        if story.message_id != self._stable_id:
            self._stable_id, self._stable_since = story.message_id, t_ms
        stable_s = (t_ms - self._stable_since) / 1000.0
        prev, self._prev_state = self._prev_state, story.state
        if not story.counting:
            self._counting_since = None
        elif self._counting_since is None:
            self._counting_since = t_ms
        changed = story.state != prev

        # Timer words, at once (they are what changed).
        if story.state == "get_ready":
            key = story.message_id  # countdown:N
            if changed:
                self._silent_countdown = \
                    self._since(self._countdown_ms, t_ms) < r.countdown_repeat_s
                if not self._silent_countdown:
                    self._countdown_ms = t_ms
            if self._silent_countdown:
                return None
            if key not in self._said_at or self._since(self._said_at[key], t_ms) > 10:
                text = story.message if changed else key.split(":")[-1]
                return self._say(text, key, t_ms, event=True)
            return None
        if changed and story.state in ("switch", "rest", "done"):
            self._corrected = False
            return self._say(story.message, story.message_id, t_ms, event=True)
        if changed and prev == "get_ready" and story.state in ("counting", "tip"):
            self._corrected = False
            return self._say("Hold it", "go", t_ms, event=True)
        if story.state in ("counting", "tip", "paused") and story.target_s >= 1.5 * r.left_s:
            left = story.target_s - story.valid_s
            key = (str(story.side), int(round(story.target_s * 1000)))
            if 0 < left <= r.left_s and key not in self._left_said \
                    and self._since(self._last_event_ms, t_ms) >= r.event_gap_s:
                self._left_said.add(key)
                return self._say(f"{r.left_s:.0f} seconds left", "left", t_ms, event=True)
            if left > r.left_s:
                self._left_said.discard(key)

        quiet = self._since(self._last_ms, t_ms) >= r.min_gap_s
        if not quiet:
            return None
        key = story.message_id
        if story.state == "paused":
            wait = r.visibility_settle_s if story.reason in storylib.VISIBILITY_REASONS \
                else r.settle_s
            if stable_s >= wait and self._since(self._said_at.get(key), t_ms) >= r.repeat_s:
                self._corrected = True
                return self._say(story.message, key, t_ms)
        elif story.counting and self._corrected and self._counting_since is not None:
            if (t_ms - self._counting_since) / 1000.0 >= 1.0 \
                    and self._since(self._said_at.get("good"), t_ms) >= r.repeat_s:
                self._corrected = False
                return self._say("Good, hold it", "good", t_ms)
        if story.state == "tip":
            if stable_s >= r.tip_settle_s \
                    and self._since(self._said_at.get(key), t_ms) >= r.tip_repeat_s:
                return self._say(story.message, key, t_ms)
        elif story.state in ("framing", "waiting"):
            if stable_s >= r.visibility_settle_s \
                    and self._since(self._said_at.get(key), t_ms) >= r.repeat_s:
                return self._say(story.message, key, t_ms)
        return None


def load_estimator(model: str, *, model_path: str | Path | None = None,
                   segmentation: bool = False) -> Any:
    """A fresh ``PoseEstimator`` (VIDEO mode, stateful: one per stream); ``segmentation``
    for a spec measured on the person mask's outline (``StretchSpec.needs_outline``)."""
    from posecheck.model.estimator import PoseEstimator

    return PoseEstimator(model_path if model_path is not None else model,
                         output_segmentation=segmentation)


def make_session(spec: Any) -> Any:
    from posecheck.core.session import StretchSession

    return StretchSession(spec, smoothing="live")


# The camera page counts down this long before each hold (s): the spec's debounce, lengthened
# (a video file keeps the spec's own, so it gives the batch analysis's seconds).
LEAD_IN_S = 3.0
# The set-up step ends once the framing has been right this long (s).
FRAMING_OK_S = 2.0


def with_lead_in(spec: Any, lead_in_s: float | None) -> Any:
    """``spec`` with its hold's debounce (the "Get ready" countdown) at least ``lead_in_s``."""
    hold = getattr(spec, "hold", None)
    if not lead_in_s or hold is None or getattr(hold, "debounce_s", 0.0) >= lead_in_s:
        return spec
    return replace(spec, hold=replace(hold, debounce_s=float(lead_in_s)))


class LiveProcessor:
    """Pose -> session -> drawing for one stream, with a locked snapshot for the page.

    Args:
        spec: a ``StretchSpec`` (or its name, loaded with ``posecheck.specs.parse.load_spec``).
        model: ``"lite"`` or ``"full"`` (or a path to a ``.task`` file).
        mirrored: frames given to :meth:`process` are mirror images (selfie view).
        estimator, session: ready-made parts (tests); built from ``model``/``spec`` if omitted.
        estimator_factory, session_factory: how to build them again when the source restarts.
        keep_timeline: keep one :class:`TimelinePoint` per frame for the summary.
        lead_in_s: count down at least this long before each hold (:func:`with_lead_in`).
        framing: start with the set-up step (:func:`story.framing`): timing starts once the
            person is framed for :data:`FRAMING_OK_S`, or when :meth:`skip_framing` is called.
        voice: the rules of the spoken cues (:class:`CueSpeaker`).
        keep_frames: keep every timed frame's ``FrameReport`` (not those of the set-up step)
            for the history (:meth:`frames`, ``history.save_frames``).

    ``started_at`` is when the processor was made (UTC, wall clock): the session's date in
    the history, never used for timing.
    """

    def __init__(self, spec: Any, model: str = "lite", mirrored: bool = False, *,
                 estimator: Any = None, session: Any = None,
                 estimator_factory: Callable[[], Any] | None = None,
                 session_factory: Callable[[], Any] | None = None,
                 keep_timeline: bool = True, lead_in_s: float | None = None,
                 framing: bool = False, voice: VoiceRules | None = None,
                 keep_frames: bool = False) -> None:
        if isinstance(spec, str):
            from posecheck.specs.parse import load_spec

            spec = load_spec(spec)
        spec = with_lead_in(spec, lead_in_s)
        self.spec = spec
        self.model = model
        self.mirrored = bool(mirrored)
        self._estimator_factory = estimator_factory or (lambda: load_estimator(
            model, segmentation=getattr(spec, "needs_outline", False)))
        self._estimator = estimator if estimator is not None else self._estimator_factory()
        self._session_factory = session_factory or (lambda: make_session(spec))
        self._session = session if session is not None else self._session_factory()
        self._keep_timeline = keep_timeline
        self._keep_frames = bool(keep_frames)
        self.started_at = datetime.now(timezone.utc)
        self._lock = threading.Lock()
        self._timeline: list[TimelinePoint] = []
        self._frames_kept: list[Any] = []
        self._snapshot = LiveSnapshot()
        self._latencies: deque[float] = deque(maxlen=_PERF_WINDOW)
        self._done_at: deque[float] = deque(maxlen=_PERF_WINDOW)
        self._last_t_ms: int | None = None
        self._frames = 0
        self._frames_with_pose = 0
        self._dropped = 0
        self._speaker = CueSpeaker(voice)
        self._framing = bool(framing)
        self._framing_ok_since: int | None = None
        self._skip_framing = False
        self._story: Story | None = None

    # ------------------------------------------------------------------ worker thread
    def analyse(self, image_bgr: np.ndarray, t_ms: int) -> Any:
        """Run the core on one frame and return its ``FrameReport`` (no drawing)."""
        t_ms = int(t_ms)
        if self._last_t_ms is not None and t_ms <= self._last_t_ms:
            if self._last_t_ms - t_ms > _RESTART_BACKWARDS_MS:
                self.restart()  # the source started over: a new stream, a new session
            else:
                t_ms = self._last_t_ms + 1  # MediaPipe needs strictly increasing stamps
        self._last_t_ms = t_ms
        pose = self._estimator.process(image_bgr, t_ms)
        if getattr(pose, "mask", None) is not None:
            pose = replace(pose, mask=None)  # the outline is kept; a mask a frame is not
        if self.mirrored:
            pose = pose.mirrored()
        return self._session.update(pose)

    def process(self, image_bgr: np.ndarray, t_ms: int, *, draw: bool = True) -> np.ndarray:
        """Analyse one BGR frame; return it annotated (or unchanged with ``draw=False``)."""
        start = time.perf_counter()
        try:
            report = self.analyse(image_bgr, t_ms)
        except Exception as exc:  # keep the video flowing; the page shows the error
            with self._lock:
                self._snapshot = replace(self._snapshot, error=f"{type(exc).__name__}: {exc}")
            raise
        framing = self._framing
        told = self._tell(report)
        out = annotate(image_bgr, report, mirrored=self.mirrored, story=told,
                       framing=framing) if draw else image_bgr
        end = time.perf_counter()
        point = timeline_point(report, told) if self._keep_timeline and not framing else None
        with self._lock:
            self._frames += 1
            self._frames_with_pose += bool(getattr(report, "has_pose", False))
            self._latencies.append((end - start) * 1000.0)
            self._done_at.append(end)
            self._story = told
            self._speaker.update(told, int(getattr(report, "t_ms", t_ms)))
            if point is not None:
                self._timeline.append(point)
            if self._keep_frames and not framing:
                self._frames_kept.append(report)
            self._snapshot = LiveSnapshot(
                frames=self._frames, frames_with_pose=self._frames_with_pose,
                t_ms=int(getattr(report, "t_ms", t_ms)), report=report, fps=self._fps(),
                latency_ms_median=float(np.median(self._latencies)),
                latency_ms_p90=float(np.percentile(self._latencies, 90)),
                dropped=self._dropped, story=told, spoken=len(self._speaker.log),
                framing=framing,
            )
        return out

    def _tell(self, report: Any) -> Story:
        """The frame's story; during the set-up step, the framing one (and the step's end)."""
        if not self._framing:
            return storylib.tell(report, self.spec)
        check = storylib.framing(report, self.spec)
        t_ms = int(getattr(report, "t_ms", 0))
        if check.ok:
            if self._framing_ok_since is None:
                self._framing_ok_since = t_ms
        else:
            self._framing_ok_since = None
        held_s = 0.0 if self._framing_ok_since is None else (t_ms - self._framing_ok_since) / 1e3
        if self._skip_framing or held_s >= FRAMING_OK_S:
            # Timing starts now, with a fresh session (nothing of the set-up is counted).
            self._framing = False
            self._session = self._session_factory()
            return storylib.framing_story(storylib.Framing(True, "Timing starts now",
                                                           "frame:start"))
        return storylib.framing_story(check, FRAMING_OK_S - held_s if check.ok else None)

    def skip_framing(self) -> None:
        """End the set-up step now (the person chose to skip it)."""
        self._skip_framing = True

    @property
    def framing(self) -> bool:
        """The set-up step is still running."""
        return self._framing

    def spoken(self) -> tuple[tuple[int, str], ...]:
        """Every cue the voice rules said so far: ``(t_ms, text)``."""
        with self._lock:
            return tuple(self._speaker.log)

    def story(self) -> Story | None:
        """The latest frame's story (what the banner shows)."""
        with self._lock:
            return self._story

    def _fps(self) -> float:
        if len(self._done_at) < 2:
            return 0.0
        span = self._done_at[-1] - self._done_at[0]
        return (len(self._done_at) - 1) / span if span > 0 else 0.0

    def restart(self) -> None:
        """The source started over (its clock went back): a fresh model state, session and
        timeline, so the new frames count at their own times."""
        reset = getattr(self._estimator, "reset", None)
        if callable(reset):
            reset()
        else:
            self._estimator = self._estimator_factory()
        self._session = self._session_factory()
        self._speaker.reset()
        self._last_t_ms = None
        with self._lock:
            self._timeline.clear()
            self._frames_kept.clear()

    def note_error(self, message: str) -> None:
        """Show ``message`` on the page (a frame that could not be used; the stream goes on)."""
        with self._lock:
            self._snapshot = replace(self._snapshot, error=message)

    # ------------------------------------------------------------------ page thread
    def note_dropped(self, n: int) -> None:
        """Count frames skipped because the model was busy (the async rule)."""
        if n > 0:
            with self._lock:
                self._dropped += n
                self._snapshot = replace(self._snapshot, dropped=self._dropped)

    def snapshot(self) -> LiveSnapshot:
        with self._lock:
            return self._snapshot

    def timeline(self) -> tuple[TimelinePoint, ...]:
        with self._lock:
            return tuple(self._timeline)

    def frames(self) -> tuple[Any, ...]:
        """The kept frame reports, in order (empty unless ``keep_frames``)."""
        with self._lock:
            return tuple(self._frames_kept)

    def summary(self) -> SessionSummary:
        with self._lock:
            points = tuple(self._timeline)
            report = self._snapshot.report
        return summarize(points, report, self.spec)

    def close(self) -> None:
        close = getattr(self._estimator, "close", None)
        if callable(close):
            close()


class WebrtcFrameProcessor:
    """streamlit-webrtc video processor: ``av.VideoFrame`` in, annotated frame out.

    ``processor`` is a :class:`LiveProcessor` or a function building one. A function is run on
    a background thread: streamlit-webrtc calls the page's factory while it answers the
    browser's offer, under a 10 s limit, and loading MediaPipe on a busy machine can take
    several seconds. Until it is ready, frames go back with "Loading the pose model...".

    ``flip=True`` turns the camera picture into a mirror view before analysis (the
    processor is then told its frames are mirrored, so sides stay the subject's).
    Built by the page's ``video_processor_factory``: one per connection.
    """

    def __init__(self, processor: "LiveProcessor | Callable[[], LiveProcessor]",
                 flip: bool = False) -> None:
        self.flip = flip
        self.clock = FrameClock()
        self.error = ""
        self._processor: LiveProcessor | None = None
        self._ready = threading.Event()
        if isinstance(processor, LiveProcessor):
            self._processor = processor
            self._ready.set()
        else:
            threading.Thread(target=self._build, args=(processor,), daemon=True,
                             name="posecheck-load-model").start()

    def _build(self, build: Callable[[], LiveProcessor]) -> None:
        try:
            self._processor = build()
        except Exception as exc:  # noqa: BLE001 - shown on the frames and the page
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self._ready.set()

    @property
    def processor(self) -> LiveProcessor | None:
        """The processor, or ``None`` while it is still loading (or failed to load)."""
        return self._processor

    def wait_ready(self, timeout: float | None = None) -> bool:
        return self._ready.wait(timeout)

    def recv(self, frame: Any) -> Any:
        import av

        processor = self._processor
        try:
            image = frame.to_ndarray(format="bgr24")
        except Exception as exc:  # noqa: BLE001 - a pixel format or size it cannot take
            message = (f"a camera frame cannot be converted to a picture ({type(exc).__name__}: "
                       f"{exc}); the stream goes on; if this repeats, pick another camera or "
                       "resolution")
            self.error = message
            if processor is not None:
                processor.note_error(message)
            return frame  # as it came: better than ending the stream
        if self.flip:
            image = np.ascontiguousarray(image[:, ::-1])
        tb = float(frame.time_base) if frame.time_base is not None else None
        restarts = self.clock.restarts
        t_ms = self.clock.update(frame.pts, tb)
        if processor is not None and self.clock.restarts != restarts:
            processor.restart()  # the camera's clock started over on this connection
        if processor is None:
            line = f"error: {self.error}" if self.error else "Loading the pose model..."
            return av.VideoFrame.from_ndarray(annotate(image, None, extra_lines=[line]),
                                              format="bgr24")
        try:
            out = processor.process(image, t_ms)
        except Exception as exc:  # noqa: BLE001 - an exception here would end the stream
            # The snapshot carries the error to the page; the video keeps flowing.
            out = annotate(image, None, extra_lines=[f"error: {type(exc).__name__}"])
        return av.VideoFrame.from_ndarray(out, format="bgr24")

    async def recv_queued(self, frames: list[Any]) -> list[Any]:
        """Frames that queued up while the model was busy: only the newest is processed,
        the others are dropped (counted in the snapshot), so the picture never lags."""
        if self._processor is not None:
            self._processor.note_dropped(len(frames) - 1)
        return [self.recv(frames[-1])]

    def on_ended(self) -> None:
        if self._processor is not None:
            self._processor.close()


# ---------------------------------------------------------------------- video files
def iter_video(path: str | Path) -> Iterator[tuple[np.ndarray, int]]:
    """``(bgr, t_ms)`` for every frame of a video file: the batch analysis's frame source
    (``video.iter_frames``), so a file played here and analysed in batch gives the same
    frames at the same timestamps."""
    from posecheck.io.video import iter_frames

    for _, t_ms, image in iter_frames(path):
        yield image, int(t_ms)


class VideoWriter:
    """H.264 MP4 a browser can play, written to a temp file and moved into place on close."""

    def __init__(self, path: str | Path, fps: float, width: int, height: int) -> None:
        import av

        self.path = Path(path)
        self._tmp = self.path.with_name(f".{self.path.name}.part")
        self._container = av.open(str(self._tmp), mode="w", format="mp4")
        stream = self._container.add_stream("libx264", rate=max(1, int(round(fps))))
        # yuv420p needs even sizes of at least 2: odd (or 1-pixel) frames are padded.
        stream.width, stream.height = max(2, width + width % 2), max(2, height + height % 2)
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "26"}
        self._stream = stream

    def write(self, image_bgr: np.ndarray) -> None:
        import av

        h, w = self._stream.height, self._stream.width
        image = image_bgr[:h, :w]
        if image.shape[0] < h or image.shape[1] < w:
            image = np.pad(image, ((0, h - image.shape[0]), (0, w - image.shape[1]), (0, 0)),
                           mode="edge")
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def close(self) -> Path:
        for packet in self._stream.encode():
            self._container.mux(packet)
        self._container.close()
        self._tmp.replace(self.path)
        return self.path

    def abort(self) -> None:
        try:
            self._container.close()
        finally:
            self._tmp.unlink(missing_ok=True)


def run_on_video(processor: LiveProcessor, video: str | Path, out_path: str | Path | None = None,
                 progress: Callable[[int, int], None] | None = None) -> SessionSummary:
    """Play a video file through ``processor`` (the live core) and summarise it.

    With ``out_path`` the annotated frames are written there as an H.264 MP4, each with a
    dark strip below it where a player draws its controls.
    ``progress(done, total)`` is called every few frames (total is 0 when unknown).
    """
    from posecheck.io.video import VideoInfo

    info = VideoInfo.from_path(video)  # raises VideoError with the file and the fix
    total = int(info.frame_count or 0)
    fps = float(info.fps or 30.0)
    writer: VideoWriter | None = None
    try:
        for i, (image, t_ms) in enumerate(iter_video(video)):
            out = processor.process(image, t_ms, draw=out_path is not None)
            if out_path is not None:
                out = pad_for_controls(out)  # the player's controls cover the strip, not the banner
                if writer is None:
                    writer = VideoWriter(out_path, fps, out.shape[1], out.shape[0])
                writer.write(out)
            if progress is not None and i % 10 == 0:
                progress(i, total)
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    if writer is not None:
        writer.close()
    return processor.summary()


# ---------------------------------------------------------------------- page helpers
ICE_ENV = "POSECHECK_ICE_SERVERS"


def rtc_configuration(env_value: str | None) -> dict[str, Any]:
    """The WebRTC configuration: no ICE servers (same machine / LAN) unless the environment
    variable ``POSECHECK_ICE_SERVERS`` gives some as JSON, either a list of servers
    (``[{"urls": ["stun:stun.example.org:3478"]}]``) or ``{"iceServers": [...]}``."""
    from posecheck.core.errors import PosecheckError

    if env_value is None or not env_value.strip():
        return {"iceServers": []}
    import json

    try:
        data = json.loads(env_value)
    except json.JSONDecodeError as exc:
        raise PosecheckError(f"{ICE_ENV} is not valid JSON ({exc}). Fix: give a JSON list "
                             'such as [{"urls": ["stun:stun.example.org:3478"]}]') from None
    servers = data.get("iceServers") if isinstance(data, dict) else data
    if not isinstance(servers, list) or not all(
            isinstance(s, dict) and isinstance(s.get("urls"), (str, list)) for s in servers):
        raise PosecheckError(f"{ICE_ENV} must be a list of servers, each with \"urls\" (and "
                             "optional \"username\", \"credential\"). Fix: e.g. "
                             '[{"urls": ["turn:turn.example.org:3478"], "username": "u", '
                             '"credential": "p"}]')
    return {"iceServers": servers}


STRIP_LABELS = ("no hold or out of position", "paused (not seen, moving)", "fault", "counting")


def strip_state(point: TimelinePoint) -> int:
    """The timeline strip's colour index (:data:`STRIP_LABELS`) of one frame: a paused hold
    (validity unknown) is not a fault."""
    if point.phase not in storylib.HOLD_PHASES or not point.in_pose:
        return 0
    if point.valid is None:
        return 1
    return 3 if point.valid else 2


def timeline_figure(summary: SessionSummary, labels: dict[str, str] | None = None) -> Any:
    """A small matplotlib figure: valid hold seconds over time per side, and a strip that
    is green while counting, red while in a hold with a fault, amber while a hold is paused
    (validity unknown: not seen, moving), grey otherwise (:func:`strip_state`)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = summary.timeline
    fig, (ax, strip) = plt.subplots(2, 1, figsize=(7, 3.0), sharex=True,
                                    gridspec_kw={"height_ratios": [4, 1]})
    if not points:
        ax.text(0.5, 0.5, "no frames", ha="center", va="center", transform=ax.transAxes)
        return fig
    t = np.array([p.t_ms for p in points]) / 1000.0
    held = np.array([p.hold_valid_s for p in points])
    sides = np.array([p.side for p in points])
    colors = {"left": "tab:blue", "right": "tab:orange", "both": "tab:green"}
    for side in ("left", "right", "both"):
        y = np.where(sides == side, held, np.nan)
        if np.isfinite(y).any():
            ax.plot(t, y, color=colors[side], label=side, lw=1.5)
    ax.set_ylabel("valid s")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper left", fontsize=8)
    ax.grid(alpha=0.3)
    state = np.array([strip_state(p) for p in points])
    cmap = matplotlib.colors.ListedColormap(["#cccccc", "#f0b030", "#e04040", "#40b040"])
    dt = _frame_durations(np.array([p.t_ms for p in points]))
    strip.bar(t, np.ones_like(t), width=np.maximum(dt, 1e-3), align="edge",
              color=cmap(state), linewidth=0)
    strip.set_yticks([])
    strip.set_xlabel("time (s)")
    from matplotlib.patches import Patch

    strip.legend(handles=[Patch(color=cmap(i), label=n) for i, n in enumerate(STRIP_LABELS)],
                 loc="upper center", bbox_to_anchor=(0.5, -0.9), ncol=4, fontsize=7,
                 frameon=False)
    fig.tight_layout()
    return fig
