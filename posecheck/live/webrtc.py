"""The streamlit-webrtc side of the live page: ``av.VideoFrame`` in, annotated frame out
(:class:`WebrtcFrameProcessor`), and the WebRTC configuration (:func:`rtc_configuration`)."""

from __future__ import annotations

import json
import threading
from typing import Any, Callable

import av

from posecheck.core.errors import PosecheckError
from posecheck.core.mirror import mirror_view
from posecheck.draw.overlay import annotate
from posecheck.live.clock import FrameClock
from posecheck.live.worker import LiveProcessor


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

    def recv(self, frame: av.VideoFrame) -> av.VideoFrame:
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
            image = mirror_view(image)
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

    async def recv_queued(self, frames: list[av.VideoFrame]) -> list[av.VideoFrame]:
        """Frames that queued up while the model was busy: only the newest is processed,
        the others are dropped (counted in the snapshot), so the picture never lags."""
        if self._processor is not None:
            self._processor.note_dropped(len(frames) - 1)
        return [self.recv(frames[-1])]

    def on_ended(self) -> None:
        if self._processor is not None:
            self._processor.close()



ICE_ENV = "POSECHECK_ICE_SERVERS"


def rtc_configuration(env_value: str | None) -> dict[str, Any]:
    """The WebRTC configuration: no ICE servers (same machine / LAN) unless the environment
    variable ``POSECHECK_ICE_SERVERS`` gives some as JSON, either a list of servers
    (``[{"urls": ["stun:stun.example.org:3478"]}]``) or ``{"iceServers": [...]}``."""
    if env_value is None or not env_value.strip():
        return {"iceServers": []}
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

