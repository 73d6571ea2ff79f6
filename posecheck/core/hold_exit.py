"""Where a hold's exit began: the valid seconds the timer takes back when a hold ends.

A slow exit starts under ``max_motion`` with the form still good, so its first second counts
while it happens. When the hold ends by leaving (out of position, moving or the other side
for longer than ``grace_s``), :func:`take_back_exit` finds the hold's last valid intervals
before the first frame out, going back while the body moved more than it did during the hold
(:func:`motion_limit`) and for at most the motion window; the timer gives those back
(docs/TIMER.md, rule 4). Pure arithmetic over the hold's own log of valid intervals.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np

from posecheck.core.motion import StillnessSettings

# One valid interval of a hold: (end t_ms, ms counted, the body motion it was booked with in
# body lengths/s, NaN unknown).
Interval = tuple[int, int, float]


def motion_limit(log: Sequence[Interval], before_ms: int, st: StillnessSettings) -> float:
    """The most motion (body lengths/s) an interval before an exit may have and still count:
    the hold's median plus the larger of ``edge_margin`` and ``edge_spread`` x (90th
    percentile - median), over its intervals ending by ``before_ms`` (the exit itself left
    out); infinite when that motion is unknown."""
    m = np.array([v for end, _, v in log if end <= before_ms and math.isfinite(v)])
    if len(m) == 0:
        return math.inf
    med, p90 = float(np.median(m)), float(np.percentile(m, 90))
    return med + max(st.edge_margin, st.edge_spread * (p90 - med))


def take_back_exit(log: list[Interval], out_ms: int, st: StillnessSettings) -> int:
    """Remove from ``log`` its last intervals that were the start of an exit leaving at
    ``out_ms`` (the first frame out): back from the end while above :func:`motion_limit`,
    within ``st.window_s`` before ``out_ms``. Returns their ms (what the hold gives back)."""
    since = out_ms - int(round(st.window_s * 1000.0))
    limit = motion_limit(log, since, st)
    back = 0
    while log:
        end, ms, m = log[-1]
        if end <= since or not (math.isfinite(m) and m > limit):
            break
        log.pop()
        back += ms
    return back


def take_back_since(log: list[Interval], since_ms: int) -> int:
    """Remove from ``log`` every interval ending after ``since_ms``; returns their ms."""
    back = 0
    while log and log[-1][0] > since_ms:
        back += log.pop()[1]
    return back


__all__ = ["Interval", "motion_limit", "take_back_exit", "take_back_since"]
