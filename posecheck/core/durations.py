"""How long each frame lasts: the one rule that turns frame timestamps into seconds, for
everything that adds time up over frames (fault seconds of a hold, the live summary, the
tuning scores).

Convention:
    A frame stands for the interval from its timestamp to the next frame's. An interval
    longer than ``max_gap_s`` is a dropout (the camera or the model stalled); what it adds is
    the caller's choice, named by ``dropout``: ``"cap"`` (at most ``max_gap_s``) or
    ``"typical"`` (one typical interval). The typical interval is the median of the positive
    intervals; an interval that is not positive (a repeated timestamp) lasts one typical
    interval too. The last frame, which has no next one, lasts a typical interval (capped like
    the others), or ``last_s`` when given.
"""

from __future__ import annotations

import numpy as np

DROPOUTS = ("cap", "typical")


def frame_durations(t_ms, max_gap_s: float, *, dropout: str = "cap",
                    last_s: float | None = None, default_s: float = 0.0) -> np.ndarray:
    """Seconds each frame stands for (see the module's convention), shape ``(N,)``.

    Args:
        t_ms: ``(N,)`` frame timestamps in milliseconds, in order.
        max_gap_s: s; a longer interval is a dropout.
        dropout: ``"cap"`` or ``"typical"``.
        last_s: s the last frame lasts (default: the typical interval).
        default_s: s of the typical interval when there is no positive interval to take it
            from (fewer than two frames).

    Example:
        >>> frame_durations([0, 100, 200, 5000], 0.5).tolist()
        [0.1, 0.1, 0.5, 0.1]
        >>> frame_durations([0, 100, 200, 5000], 0.5, dropout="typical").tolist()
        [0.1, 0.1, 0.1, 0.1]
    """
    if dropout not in DROPOUTS:
        raise ValueError(f"dropout must be one of {DROPOUTS}, got {dropout!r}")
    t = np.asarray(t_ms, dtype=np.float64) / 1000.0
    if t.size == 0:
        return np.zeros(0)
    d = np.diff(t)
    positive = d[d > 0]
    typical = float(np.median(positive)) if positive.size else float(default_s)
    d = np.where(d > 0, d, typical)
    d = np.append(d, typical if last_s is None else float(last_s))
    if dropout == "cap":
        return np.minimum(d, max_gap_s)
    return np.where(d > max_gap_s, typical, d)
