"""Progress over days and weeks, from the stored history: the numbers and plots behind the
progress page and the physiotherapist's report.

Plain functions on :class:`~posecheck.programme.history.SessionRecord` lists (no database, no
Streamlit): per stretch and side, valid hold and range of motion per day, the left-right
difference, and days stretched in a row. A day is the session's local calendar day.
matplotlib is imported only by the plotting functions (Agg canvas, no pyplot state).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Iterable, Sequence

import numpy as np

SIDES_ORDER = ("left", "right", "both")
SIDE_COLORS = {"left": "#2e8b57", "right": "#1f77b4", "both": "#6a3d9a"}
TARGET_COLOR = "#999999"


@dataclass(frozen=True)
class DayStat:
    """One stretch on one side on one day.

    Attributes:
        day: the calendar day. holds: holds done. valid_s: valid seconds over all of them.
        best_hold_s: the longest single hold's valid seconds. target_s: the hold target
            (the largest that day). completed: holds that reached the target.
        rom_deg: median of the holds' ROM (None: not measured). rom_metric: its metric.
    """

    day: date
    holds: int
    valid_s: float
    best_hold_s: float
    target_s: float
    completed: int
    rom_deg: float | None
    rom_metric: str | None


@dataclass(frozen=True)
class SideDiff:
    """Left minus right on one day (None where a side lacks the value)."""

    day: date
    hold_s: float | None
    rom_deg: float | None


def _day(session: Any) -> date:
    return date.fromisoformat(session.local_day)


def stretches(sessions: Iterable[Any]) -> list[str]:
    """Stretch ids with at least one hold, most held first (ties by name)."""
    counts: dict[str, int] = {}
    for s in sessions:
        for h in s.holds:
            counts[h.stretch] = counts.get(h.stretch, 0) + 1
    return sorted(counts, key=lambda k: (-counts[k], k))


def sides(sessions: Iterable[Any], stretch: str) -> list[str]:
    """Sides seen for a stretch, in the order left, right, both."""
    seen = {h.side for s in sessions for h in s.holds if h.stretch == stretch}
    return [x for x in SIDES_ORDER if x in seen]


def daily(sessions: Iterable[Any], stretch: str, side: str) -> list[DayStat]:
    """Per day (oldest first): holds, valid seconds, best hold and median ROM."""
    by_day: dict[date, list[Any]] = {}
    for s in sessions:
        for h in s.holds:
            if h.stretch == stretch and h.side == side:
                by_day.setdefault(_day(s), []).append(h)
    out = []
    for d in sorted(by_day):
        hs = by_day[d]
        roms = [h.rom_deg for h in hs if h.rom_deg is not None]
        out.append(DayStat(
            day=d, holds=len(hs), valid_s=float(sum(h.valid_hold_s for h in hs)),
            best_hold_s=float(max(h.valid_hold_s for h in hs)),
            target_s=float(max(h.target_s for h in hs)),
            completed=sum(1 for h in hs if h.completed),
            rom_deg=float(np.median(roms)) if roms else None,
            rom_metric=next((h.rom_metric for h in hs if h.rom_metric), None)))
    return out


def left_right(sessions: Sequence[Any], stretch: str) -> list[SideDiff]:
    """Days on which both sides were stretched: left minus right best hold and ROM."""
    left = {d.day: d for d in daily(sessions, stretch, "left")}
    right = {d.day: d for d in daily(sessions, stretch, "right")}
    out = []
    for d in sorted(set(left) & set(right)):
        a, b = left[d], right[d]
        rom = (a.rom_deg - b.rom_deg) if a.rom_deg is not None and b.rom_deg is not None else None
        out.append(SideDiff(day=d, hold_s=a.best_hold_s - b.best_hold_s, rom_deg=rom))
    return out


def active_days(sessions: Iterable[Any], stretch: str | None = None) -> list[date]:
    """Days with at least one hold with valid seconds (of ``stretch``, or any), sorted."""
    days = {_day(s) for s in sessions for h in s.holds
            if h.valid_hold_s > 0 and (stretch is None or h.stretch == stretch)}
    return sorted(days)


def current_streak(days: Iterable[date], today: date) -> int:
    """Days stretched in a row up to today (a streak still counts on the morning after:
    it ends only once a whole day is missed)."""
    got = set(days)
    d = today if today in got else today - timedelta(days=1)
    n = 0
    while d in got:
        n += 1
        d -= timedelta(days=1)
    return n


def longest_streak(days: Iterable[date]) -> int:
    """The longest run of consecutive days."""
    best = run = 0
    prev: date | None = None
    for d in sorted(set(days)):
        run = run + 1 if prev is not None and d - prev == timedelta(days=1) else 1
        best, prev = max(best, run), d
    return best


def since(sessions: Iterable[Any], first_day: date) -> list[Any]:
    """The sessions on or after ``first_day``."""
    return [s for s in sessions if _day(s) >= first_day]


def change(stats: Sequence[DayStat], attr: str) -> float | None:
    """Last minus first value of ``attr`` ("rom_deg", "best_hold_s") over the days that have
    it (None with fewer than two)."""
    vals = [getattr(d, attr) for d in stats if getattr(d, attr) is not None]
    return float(vals[-1] - vals[0]) if len(vals) >= 2 else None


def stretch_summary(sessions: Sequence[Any], stretch: str, today: date) -> dict[str, Any]:
    """The headline numbers of one stretch: per side days, holds, latest and change of best
    hold and ROM; the latest left-right difference; streaks."""
    per_side = {}
    for side in sides(sessions, stretch):
        st = daily(sessions, stretch, side)
        per_side[side] = {
            "days": len(st), "holds": sum(d.holds for d in st),
            "best_hold_s": st[-1].best_hold_s if st else None,
            "best_hold_change_s": change(st, "best_hold_s"),
            "rom_deg": next((d.rom_deg for d in reversed(st) if d.rom_deg is not None), None),
            "rom_change_deg": change(st, "rom_deg"),
            "target_s": st[-1].target_s if st else None,
        }
    lr = left_right(sessions, stretch)
    days = active_days(sessions, stretch)
    return {"stretch": stretch, "sides": per_side,
            "left_minus_right": None if not lr else {"day": lr[-1].day.isoformat(),
                                                     "hold_s": lr[-1].hold_s,
                                                     "rom_deg": lr[-1].rom_deg},
            "current_streak_days": current_streak(days, today),
            "longest_streak_days": longest_streak(days)}


# ============================================================================ plots
def plot_stretch(sessions: Sequence[Any], stretch: str, *, title: str | None = None,
                 width_in: float = 9.0, height_in: float = 4.2, dpi: int = 90) -> Any:
    """A matplotlib Figure (Agg): best valid hold per day (with the target) and ROM per day,
    one line per side; for two-sided stretches a third panel with left minus right."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    sided = [s for s in sides(sessions, stretch)]
    lr = left_right(sessions, stretch)
    panels = 3 if lr else 2
    fig = Figure(figsize=(width_in, height_in), dpi=dpi)
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, panels)
    ax_hold, ax_rom = axes[0], axes[1]
    metric = None
    for side in sided:
        st = daily(sessions, stretch, side)
        days = [d.day for d in st]
        color = SIDE_COLORS.get(side, "#333333")
        ax_hold.plot(days, [d.best_hold_s for d in st], "o-", color=color, label=side, ms=3)
        ax_hold.step(days, [d.target_s for d in st], where="mid", color=TARGET_COLOR, lw=0.8,
                     ls="--")
        rom = [(d.day, d.rom_deg) for d in st if d.rom_deg is not None]
        if rom:
            ax_rom.plot([a for a, _ in rom], [b for _, b in rom], "o-", color=color, label=side,
                        ms=3)
        metric = metric or next((d.rom_metric for d in st if d.rom_metric), None)
    ax_hold.set_title("best valid hold (s); dashed: target", fontsize=9)
    ax_rom.set_title("range of motion (deg)" + (f"\n{metric}" if metric else ""), fontsize=9)
    if lr:
        ax = axes[2]
        ax.axhline(0, color=TARGET_COLOR, lw=0.8)
        rom = [(d.day, d.rom_deg) for d in lr if d.rom_deg is not None]
        if rom:
            ax.plot([a for a, _ in rom], [b for _, b in rom], "o-", color="#b15928", ms=3,
                    label="ROM (deg)")
        ax.plot([d.day for d in lr], [d.hold_s for d in lr], "s:", color="#555555", ms=3,
                label="hold (s)")
        ax.set_title("left minus right", fontsize=9)
        ax.legend(fontsize=7)
    for ax in axes:
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        for lab in ax.get_xticklabels():
            lab.set_rotation(30)
            lab.set_ha("right")
    if sided:
        ax_hold.legend(fontsize=7)
    fig.suptitle(title or stretch, fontsize=10)
    fig.tight_layout()
    return fig


def figure_png(fig: Any) -> bytes:
    """The figure as PNG bytes."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


def fmt(value: float | None, digits: int = 1, unit: str = "", signed: bool = False) -> str:
    """A number for tables: "-" when missing."""
    if value is None or not math.isfinite(value):
        return "-"
    return f"{value:{'+' if signed else ''}.{digits}f}{unit}"
