"""The frame-processing worker of the live page (no Streamlit inside).

One :class:`LiveProcessor` per camera connection: frame in, annotated frame out, and a
locked :class:`LiveSnapshot` the page reads about twice a second. It runs the same core as
the batch analysis (``PoseEstimator`` -> ``StretchSession(smoothing="live")``), so a video
played live and the same video analysed in batch give the same hold seconds.

Threads: :meth:`LiveProcessor.process` runs on streamlit-webrtc's worker thread; the page
calls :meth:`LiveProcessor.snapshot`, :meth:`LiveProcessor.timeline` and
:meth:`LiveProcessor.summary` from the script thread. Everything shared sits behind one lock.

Time: MediaPipe's VIDEO mode needs strictly increasing timestamps (``live.clock.FrameClock``
turns camera timestamps into them). A reconnect makes a new processor, so nothing carries
over between connections; a clock that restarts on the same connection (more than a second
back, not a wrap) starts a new session and timeline (:meth:`LiveProcessor.restart`).

Mirroring: ``mirrored=True`` says the frames given to :meth:`process` are mirror images (a
selfie view); ``core.mirror.Mirror`` turns the pose back to the subject's sides before the
session sees it, and drawing reflects x back onto the mirrored picture.

Other parts of the live page: ``live.voice`` (the spoken cues), ``live.summary`` (timeline and
summary), ``live.figure`` (its plot), ``live.webrtc`` (the streamlit-webrtc adapter),
``live.replay`` (a video file played through the processor).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Protocol

import numpy as np

from posecheck.core import framing as framinglib
from posecheck.core import story as storylib
from posecheck.core.mirror import Mirror
from posecheck.core.pose import PoseFrame
from posecheck.core.session import FrameReport, StretchSession
from posecheck.core.story import Story
from posecheck.draw.overlay import annotate
from posecheck.io.level import LevelWatch, person_box
from posecheck.live.clock import RESTART_BACKWARDS_MS
from posecheck.live.summary import SessionSummary, TimelinePoint, summarize, timeline_point
from posecheck.live.voice import CueSpeaker, VoiceRules
from posecheck.model.estimator import PoseEstimator
from posecheck.specs.model import StretchSpec
from posecheck.specs.parse import load_spec

# Rolling windows for the performance figures shown on the page (frames).
_PERF_WINDOW = 120


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
    report: FrameReport | None = None
    fps: float = 0.0
    latency_ms_median: float = 0.0
    latency_ms_p90: float = 0.0
    dropped: int = 0  # frames skipped while the model was busy
    error: str = ""
    story: Story | None = None  # story.Story of ``report``: what the banner shows on that frame
    spoken: int = 0  # cues the voice rules said so far
    framing: bool = False  # the set-up step is running

    @property
    def pose_fraction(self) -> float:
        return self.frames_with_pose / self.frames if self.frames else 0.0


class FrameEstimator(Protocol):
    """What the processor needs of a pose model: ``PoseEstimator`` (tests give a stand-in)."""

    def process(self, image_bgr: np.ndarray, t_ms: float, index: int = -1) -> PoseFrame: ...

    def reset(self) -> None: ...

    def close(self) -> None: ...


class FrameSession(Protocol):
    """What the processor needs of a session: ``StretchSession.update``."""

    def update(self, frame: PoseFrame) -> FrameReport: ...


def load_estimator(model: str, *, model_path: str | Path | None = None,
                   segmentation: bool = False) -> PoseEstimator:
    """A fresh ``PoseEstimator`` (VIDEO mode, stateful: one per stream); ``segmentation``
    for a spec measured on the person mask's outline (``StretchSpec.needs_outline``)."""
    return PoseEstimator(model_path if model_path is not None else model,
                         output_segmentation=segmentation)


def make_session(spec: StretchSpec, side: str | None = None) -> StretchSession:
    """The live session; ``side``: the stretched side the person confirmed (None: told)."""
    return StretchSession(spec, smoothing="live", side=side)


# The camera page counts down this long before each hold (s): the spec's debounce, lengthened
# (a video file keeps the spec's own, so it gives the batch analysis's seconds).
LEAD_IN_S = 3.0
# The set-up step ends once the framing has been right this long (s).
FRAMING_OK_S = 2.0


def with_lead_in(spec: StretchSpec, lead_in_s: float | None) -> StretchSpec:
    """``spec`` with its hold's debounce (the "Get ready" countdown) at least ``lead_in_s``."""
    if not lead_in_s or spec.hold.debounce_s >= lead_in_s:
        return spec
    return replace(spec, hold=replace(spec.hold, debounce_s=float(lead_in_s)))


class LiveProcessor:
    """Pose -> session -> drawing for one stream, with a locked snapshot for the page.

    Args:
        spec: a ``specs.StretchSpec`` (or its name, loaded with ``specs.load_spec``).
        model: ``"lite"`` or ``"full"`` (or a path to a ``.task`` file).
        mirrored: frames given to :meth:`process` are mirror images (selfie view).
        estimator, session: ready-made parts (tests); built from ``model``/``spec`` if omitted.
        estimator_factory, session_factory: how to build them again when the source restarts.
        keep_timeline: keep one :class:`TimelinePoint` per frame for the summary.
        lead_in_s: count down at least this long before each hold (:func:`with_lead_in`).
        framing: start with the set-up step (:func:`posecheck.core.framing.framing`): timing
            starts once the person is framed for :data:`FRAMING_OK_S`, or when :meth:`skip_framing` is called.
        voice: the rules of the spoken cues (:class:`CueSpeaker`).
        keep_frames: keep every timed frame's ``FrameReport`` (not those of the set-up step)
            for the history (:meth:`frames`, ``history.save_frames``).

    ``started_at`` is when the processor was made (UTC, wall clock): the session's date in
    the history, never used for timing.
    """

    def __init__(self, spec: StretchSpec | str, model: str = "lite", mirrored: bool = False, *,
                 estimator: FrameEstimator | None = None, session: FrameSession | None = None,
                 estimator_factory: Callable[[], FrameEstimator] | None = None,
                 session_factory: Callable[[], FrameSession] | None = None,
                 keep_timeline: bool = True, lead_in_s: float | None = None,
                 framing: bool = False, voice: VoiceRules | None = None,
                 keep_frames: bool = False, side: str | None = None) -> None:
        if isinstance(spec, str):
            spec = load_spec(spec)
        spec = with_lead_in(spec, lead_in_s)
        self.spec = spec
        self.model = model
        self.mirror = Mirror(bool(mirrored))
        self._estimator_factory = estimator_factory or (lambda: load_estimator(
            model, segmentation=spec.needs_outline))
        self._estimator = estimator if estimator is not None else self._estimator_factory()
        self._session_factory = session_factory or (lambda: make_session(spec, side))
        self._session = session if session is not None else self._session_factory()
        self._keep_timeline = keep_timeline
        self._keep_frames = bool(keep_frames)
        self.started_at = datetime.now(timezone.utc)
        self._lock = threading.Lock()
        self._timeline: list[TimelinePoint] = []
        self._frames_kept: list[FrameReport] = []
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
        self._level = LevelWatch()  # is the camera level (set-up step only)
        self._story: Story | None = None

    # ------------------------------------------------------------------ worker thread
    @property
    def mirrored(self) -> bool:
        """The frames given to :meth:`process` are mirror images (selfie view)."""
        return self.mirror.on

    def analyse(self, image_bgr: np.ndarray, t_ms: int) -> FrameReport:
        """Run the core on one frame and return its ``FrameReport`` (no drawing)."""
        t_ms = int(t_ms)
        if self._last_t_ms is not None and t_ms <= self._last_t_ms:
            if self._last_t_ms - t_ms > RESTART_BACKWARDS_MS:
                self.restart()  # the source started over: a new stream, a new session
            else:
                t_ms = self._last_t_ms + 1  # MediaPipe needs strictly increasing stamps
        self._last_t_ms = t_ms
        pose = self._estimator.process(image_bgr, t_ms)
        if pose.mask is not None:
            pose = replace(pose, mask=None)  # the outline is kept; a mask a frame is not
        return self._session.update(self.mirror.to_subject(pose))

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
        if framing:
            self._level.update(image_bgr, report.t_ms, self._image_box(report))
        told = self._tell(report)
        out = annotate(image_bgr, report, mirrored=self.mirrored, story=told,
                       framing=framing) if draw else image_bgr
        end = time.perf_counter()
        point = timeline_point(report, told) if self._keep_timeline and not framing else None
        with self._lock:
            self._frames += 1
            self._frames_with_pose += bool(report.has_pose)
            self._latencies.append((end - start) * 1000.0)
            self._done_at.append(end)
            self._story = told
            self._speaker.update(told, report.t_ms)
            if point is not None:
                self._timeline.append(point)
            if self._keep_frames and not framing:
                self._frames_kept.append(report)
            self._snapshot = LiveSnapshot(
                frames=self._frames, frames_with_pose=self._frames_with_pose,
                t_ms=report.t_ms, report=report, fps=self._fps(),
                latency_ms_median=float(np.median(self._latencies)),
                latency_ms_p90=float(np.percentile(self._latencies, 90)),
                dropped=self._dropped, story=told, spoken=len(self._speaker.log),
                framing=framing,
            )
        return out

    def _tell(self, report: FrameReport) -> Story:
        """The frame's story; during the set-up step, the framing one (and the step's end)."""
        if not self._framing:
            return storylib.tell(report, self.spec)
        check = framinglib.framing(report, self.spec, self._level.level)
        t_ms = report.t_ms
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
            return framinglib.framing_story(framinglib.Framing(True, "Timing starts now",
                                                           "frame:start"))
        return framinglib.framing_story(check, FRAMING_OK_S - held_s if check.ok else None)

    def _image_box(self, report: FrameReport):
        """The person's box in the picture as received (the report is in the subject's
        coordinates, mirrored for a selfie view)."""
        box = person_box(getattr(report, "pose", None))
        if box is None or not self.mirrored:
            return box
        w = float(report.pose.width)
        return w - box[2], box[1], w - box[0], box[3]

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
        self._estimator.reset()
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

    def frames(self) -> tuple[FrameReport, ...]:
        """The kept frame reports, in order (empty unless ``keep_frames``)."""
        with self._lock:
            return tuple(self._frames_kept)

    def summary(self) -> SessionSummary:
        with self._lock:
            points = tuple(self._timeline)
            report = self._snapshot.report
        return summarize(points, report, self.spec)

    def close(self) -> None:
        self._estimator.close()

