"""Camera presentation timestamps -> the milliseconds MediaPipe's VIDEO mode needs.

RTP clocks start at a random value and wrap at 2**32; MediaPipe needs strictly increasing
timestamps. A clock that goes more than a second back (not a wrap) means the source
restarted: the caller starts a new session (``LiveProcessor.restart``).
"""

from __future__ import annotations

import time

# Frame-time unwrap: RTP video timestamps are 32-bit counters.
_PTS_WRAP = 2**32
# A frame more than this far back in time means the source restarted (ms).
RESTART_BACKWARDS_MS = 1000


class FrameClock:
    """Presentation timestamps -> strictly increasing milliseconds from the first frame.

    ``update(pts, time_base)`` handles a 32-bit wrap of the counter and bumps equal or
    slightly-backwards stamps by 1 ms (MediaPipe rejects them). A stamp more than
    ``RESTART_BACKWARDS_MS`` back (and not a wrap) means the source restarted its clock:
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
            if self._last_ms is not None and raw_ms < self._last_ms - RESTART_BACKWARDS_MS:
                self._first_pts, self._wraps, self._last_ms = pts, 0, None
                self.restarts += 1
                raw_ms = 0
        if self._last_ms is not None and raw_ms <= self._last_ms:
            raw_ms = self._last_ms + 1
        self._last_ms = raw_ms
        return raw_ms

