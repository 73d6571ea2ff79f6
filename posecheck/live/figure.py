"""The live session's timeline as a small figure for the page (matplotlib, off-screen)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - after choosing the off-screen backend
import numpy as np  # noqa: E402
from matplotlib.colors import ListedColormap  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.patches import Patch  # noqa: E402

from posecheck.live.summary import (STRIP_LABELS, SessionSummary, frame_durations,  # noqa: E402
                                    strip_state)


def timeline_figure(summary: SessionSummary, labels: dict[str, str] | None = None) -> Figure:
    """A small matplotlib figure: valid hold seconds over time per side, and a strip that
    is green while counting, red while in a hold with a fault, amber while a hold is paused
    (validity unknown: not seen, moving), grey otherwise (:func:`strip_state`)."""
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
    cmap = ListedColormap(["#cccccc", "#f0b030", "#e04040", "#40b040"])
    dt = frame_durations(np.array([p.t_ms for p in points]))
    strip.bar(t, np.ones_like(t), width=np.maximum(dt, 1e-3), align="edge",
              color=cmap(state), linewidth=0)
    strip.set_yticks([])
    strip.set_xlabel("time (s)")
    strip.legend(handles=[Patch(color=cmap(i), label=n) for i, n in enumerate(STRIP_LABELS)],
                 loc="upper center", bbox_to_anchor=(0.5, -0.9), ncol=4, fontsize=7,
                 frameon=False)
    fig.tight_layout()
    return fig
