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

import threading
import time
from collections import Counter, deque
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import numpy as np

from posecheck.drawing import annotate, status_name

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
    valid: bool
    side: str
    phase: str
    hold_valid_s: float
    failing: tuple[str, ...]
    cue: str


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


@dataclass(frozen=True)
class SessionSummary:
    """End-of-session figures: valid seconds per side and rep, the most frequent faults."""

    duration_s: float
    frames: int
    pose_fraction: float
    valid_s_by_side: dict[str, float]
    reps_by_side: dict[str, int]
    holds: tuple[HoldSummary, ...]
    faults_s: tuple[tuple[str, float], ...]  # (check id, seconds failing), worst first
    timeline: tuple[TimelinePoint, ...] = field(repr=False, default=())

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


def summarize(timeline: Iterable[TimelinePoint], last_report: Any = None) -> SessionSummary:
    """Summary of a session from its timeline and (for the hold counts) its last report."""
    points = tuple(timeline)
    ts = np.array([p.t_ms for p in points], dtype=np.int64)
    dur = _frame_durations(ts)
    faults: Counter[str] = Counter()
    for p, d in zip(points, dur):
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
    return SessionSummary(
        duration_s=float((ts[-1] - ts[0]) / 1000.0 + dur[-1]) if len(ts) else 0.0,
        frames=len(points),
        pose_fraction=(sum(p.has_pose for p in points) / len(points)) if points else 0.0,
        valid_s_by_side=by_side,
        reps_by_side=reps,
        holds=tuple(holds),
        faults_s=tuple(sorted(faults.items(), key=lambda kv: -kv[1])),
        timeline=points,
    )


def _get(obj: Any, name: str, default: Any) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def timeline_point(report: Any) -> TimelinePoint:
    """The compact record of one ``FrameReport`` kept for the summary."""
    hold = getattr(report, "hold", None)
    checks = getattr(report, "checks", None) or {}
    failing = tuple(cid for cid, r in checks.items()
                    if status_name(getattr(r, "status", "")) == "fail")
    cue = getattr(report, "cue", None)
    phase = getattr(hold, "phase", "")
    return TimelinePoint(
        t_ms=int(getattr(report, "t_ms", 0)),
        has_pose=bool(getattr(report, "has_pose", False)),
        in_pose=bool(getattr(report, "in_pose", False)),
        valid=bool(getattr(report, "valid", False)),
        side=str(getattr(hold, "side", "") or getattr(report, "stretched_side", "") or ""),
        phase=str(getattr(phase, "value", phase) or ""),
        hold_valid_s=float(getattr(hold, "hold_valid_s", 0.0) or 0.0),
        failing=failing,
        cue=str(getattr(cue, "text", "") or ""),
    )


class CueSpeaker:
    """Decides which cues to say aloud, so voice feedback does not nag.

    A cue is spoken when it differs from the last spoken one and at least ``min_gap_s`` has
    passed since anything was said; the same cue is repeated only after ``repeat_s``. Time
    is the frame timestamp.
    """

    def __init__(self, min_gap_s: float = 3.0, repeat_s: float = 12.0) -> None:
        if min_gap_s < 0 or repeat_s < min_gap_s:
            raise ValueError("CueSpeaker needs 0 <= min_gap_s <= repeat_s")
        self.min_gap_ms = int(min_gap_s * 1000)
        self.repeat_ms = int(repeat_s * 1000)
        self._last_text = ""
        self._last_ms: int | None = None

    def update(self, text: str, t_ms: int) -> str | None:
        """The text to speak now, or ``None``."""
        text = (text or "").strip()
        if not text:
            return None
        if self._last_ms is not None:
            since = t_ms - self._last_ms
            if since < self.min_gap_ms:
                return None
            if text == self._last_text and since < self.repeat_ms:
                return None
        self._last_text, self._last_ms = text, t_ms
        return text


def load_estimator(model: str, *, model_path: str | Path | None = None) -> Any:
    """A fresh ``PoseEstimator`` (VIDEO mode, stateful: one per stream)."""
    from posecheck.estimator import PoseEstimator

    if model_path is not None:
        return PoseEstimator(model_path)
    return PoseEstimator(model)


def make_session(spec: Any) -> Any:
    from posecheck.session import StretchSession

    return StretchSession(spec, smoothing="live")


class LiveProcessor:
    """Pose -> session -> drawing for one stream, with a locked snapshot for the page.

    Args:
        spec: a ``specs.StretchSpec`` (or its name, loaded with ``specs.load_spec``).
        model: ``"lite"`` or ``"full"`` (or a path to a ``.task`` file).
        mirrored: frames given to :meth:`process` are mirror images (selfie view).
        estimator, session: ready-made parts (tests); built from ``model``/``spec`` if omitted.
        estimator_factory, session_factory: how to build them again when the source restarts.
        keep_timeline: keep one :class:`TimelinePoint` per frame for the summary.
    """

    def __init__(self, spec: Any, model: str = "lite", mirrored: bool = False, *,
                 estimator: Any = None, session: Any = None,
                 estimator_factory: Callable[[], Any] | None = None,
                 session_factory: Callable[[], Any] | None = None,
                 keep_timeline: bool = True) -> None:
        if isinstance(spec, str):
            from posecheck.specs import load_spec

            spec = load_spec(spec)
        self.spec = spec
        self.model = model
        self.mirrored = bool(mirrored)
        self._estimator_factory = estimator_factory or (lambda: load_estimator(model))
        self._estimator = estimator if estimator is not None else self._estimator_factory()
        self._session_factory = session_factory or (lambda: make_session(spec))
        self._session = session if session is not None else self._session_factory()
        self._keep_timeline = keep_timeline
        self._lock = threading.Lock()
        self._timeline: list[TimelinePoint] = []
        self._snapshot = LiveSnapshot()
        self._latencies: deque[float] = deque(maxlen=_PERF_WINDOW)
        self._done_at: deque[float] = deque(maxlen=_PERF_WINDOW)
        self._last_t_ms: int | None = None
        self._frames = 0
        self._frames_with_pose = 0
        self._dropped = 0

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
        out = annotate(image_bgr, report, mirrored=self.mirrored) if draw else image_bgr
        end = time.perf_counter()
        point = timeline_point(report) if self._keep_timeline else None
        with self._lock:
            self._frames += 1
            self._frames_with_pose += bool(getattr(report, "has_pose", False))
            self._latencies.append((end - start) * 1000.0)
            self._done_at.append(end)
            if point is not None:
                self._timeline.append(point)
            self._snapshot = LiveSnapshot(
                frames=self._frames, frames_with_pose=self._frames_with_pose,
                t_ms=int(getattr(report, "t_ms", t_ms)), report=report, fps=self._fps(),
                latency_ms_median=float(np.median(self._latencies)),
                latency_ms_p90=float(np.percentile(self._latencies, 90)),
                dropped=self._dropped,
            )
        return out

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
        self._last_t_ms = None
        with self._lock:
            self._timeline.clear()

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

    def summary(self) -> SessionSummary:
        with self._lock:
            points = tuple(self._timeline)
            report = self._snapshot.report
        return summarize(points, report)

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
    from posecheck.video import iter_frames

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

    With ``out_path`` the annotated frames are written there as an H.264 MP4.
    ``progress(done, total)`` is called every few frames (total is 0 when unknown).
    """
    from posecheck.video import VideoInfo

    info = VideoInfo.from_path(video)  # raises VideoError with the file and the fix
    total = int(info.frame_count or 0)
    fps = float(info.fps or 30.0)
    writer: VideoWriter | None = None
    try:
        for i, (image, t_ms) in enumerate(iter_video(video)):
            out = processor.process(image, t_ms, draw=out_path is not None)
            if out_path is not None:
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
    from posecheck.errors import PosecheckError

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


def timeline_figure(summary: SessionSummary, labels: dict[str, str] | None = None) -> Any:
    """A small matplotlib figure: valid hold seconds over time per side, and a strip that
    is green while the form is valid, red while in position with a fault, grey otherwise."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    points = summary.timeline
    fig, (ax, strip) = plt.subplots(2, 1, figsize=(7, 2.6), sharex=True,
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
    state = np.array([2 if p.valid else (1 if p.in_pose else 0) for p in points])
    cmap = matplotlib.colors.ListedColormap(["#cccccc", "#e04040", "#40b040"])
    dt = _frame_durations(np.array([p.t_ms for p in points]))
    strip.bar(t, np.ones_like(t), width=np.maximum(dt, 1e-3), align="edge",
              color=cmap(state), linewidth=0)
    strip.set_yticks([])
    strip.set_xlabel("time (s)")
    fig.tight_layout()
    return fig
