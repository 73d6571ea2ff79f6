"""The per-video plot of ``posecheck analyze``: every checked metric over time.

Each panel is one check: its measured value (line), the band of values that pass (shaded,
from the spec's ``min``/``max``), and the time the hold counted as valid (shaded spans,
per side: only the counted seconds, not the pauses inside a hold), with a legend and units in
words ("shin lengths", "degrees"). The title gives the stretch and each side's valid hold time and reps.

Works from the report's JSON form (what ``report.json`` holds) and the spec, so a plot can be
redrawn from a saved report. Uses matplotlib's object API with the Agg canvas: no pyplot
global state, no display needed, safe in worker processes.
"""

from __future__ import annotations

import io
import math
import re
from typing import Any, Mapping, Sequence

import numpy as np

from posecheck.core.recognize import check_status, check_value

# Colours (matplotlib names / hex); one per side so both sides' holds can be told apart.
SIDE_COLORS = {"left": "#2e8b57", "right": "#1f77b4", "both": "#2e8b57"}
BAND_COLOR = "#9e9e9e"      # grey: the passing range, kept apart from the green valid time
FAIL_COLOR = "#d62728"
VALUE_COLOR = "#333333"
FIG_WIDTH_IN = 10.0    # inches
PANEL_HEIGHT_IN = 1.55  # inches per check panel
HEADER_HEIGHT_IN = 1.3  # inches for the title and the hold strip
DPI = 90


def check_series(report: Mapping[str, Any], check_id: str) -> tuple[np.ndarray, np.ndarray,
                                                                    np.ndarray]:
    """``(t_s, value, failing)`` of one check over the report's timeline (NaN where absent)."""
    timeline = report.get("timeline") or []
    t = np.array([float(e.get("t_s", np.nan)) for e in timeline], dtype=np.float64)
    v = np.array([check_value(e, check_id) for e in timeline], dtype=np.float64)
    failing = np.array([check_status(e, check_id) == "fail" for e in timeline], dtype=bool)
    return t, v, failing


def hold_spans(report: Mapping[str, Any]) -> dict[str, list[tuple[float, float]]]:
    """The hold intervals per side, ``{side: [(start_s, end_s), ...]}``: from the first to the
    last frame of each hold, paused time included (see :func:`valid_spans` for the counted
    time)."""
    out: dict[str, list[tuple[float, float]]] = {}
    for side, data in sorted((report.get("sides") or {}).items()):
        spans = []
        for h in data.get("holds") or []:
            a, b = h.get("start_s"), h.get("end_s")
            if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b >= a:
                spans.append((float(a), float(b)))
        out[side] = spans
    return out


def valid_spans(report: Mapping[str, Any]) -> dict[str, list[tuple[float, float]]]:
    """The time that counted as valid hold, per side: wherever the timeline's running count of
    the current hold (``hold_valid_s``) rises from one frame to the next, the interval between
    the two frames counted. Settling, pauses and switches do not. Sides with holds but no
    counted time map to an empty list, so the plot still shows their row."""
    out: dict[str, list[tuple[float, float]]] = {side: [] for side in report.get("sides") or {}}
    prev_t, prev_count, prev_side = math.nan, math.nan, None
    for e in report.get("timeline") or []:
        t, count, side = e.get("t_s"), e.get("hold_valid_s"), e.get("stretched_side")
        t = float(t) if isinstance(t, (int, float)) else math.nan
        count = float(count) if isinstance(count, (int, float)) else math.nan
        if isinstance(side, str) and side == prev_side and count > prev_count and t > prev_t:
            spans = out.setdefault(side, [])
            if spans and abs(spans[-1][1] - prev_t) < 1e-9:
                spans[-1] = (spans[-1][0], t)
            else:
                spans.append((prev_t, t))
        prev_t, prev_count, prev_side = t, count, side
    return out


def side_totals_text(report: Mapping[str, Any]) -> str:
    parts = []
    for side, data in sorted((report.get("sides") or {}).items()):
        valid = data.get("valid_hold_s")
        reps = data.get("reps")
        valid_txt = f"{valid:.1f} s" if isinstance(valid, (int, float)) else "-"
        parts.append(f"{side}: {valid_txt} valid, {reps if reps is not None else '-'} reps")
    return " | ".join(parts) if parts else "no hold"


def _thresholds(spec: Any, check_id: str, report: Mapping[str, Any]
                ) -> tuple[float | None, float | None, str, str]:
    """``(min, max, unit, label)`` of a check, from the spec or (failing that) the report."""
    for c in getattr(spec, "checks", ()) or ():
        if getattr(c, "id", None) == check_id:
            return (c.min, c.max, getattr(c, "unit", ""),
                    getattr(c, "label", "") or check_id)
    info = (report.get("checks") or {}).get(check_id) or {}
    return info.get("min"), info.get("max"), info.get("unit", ""), info.get("label") or check_id


_PER_LENGTH = re.compile(r"\bover ([a-z+]+) length\b")


def unit_words(unit: str, metric: str | None) -> str:
    """A unit a person reads: ``"deg"`` -> ``"degrees"``, a length ratio -> the body length it
    is measured in (``"shin lengths"``), from the metric's own description."""
    if unit == "deg":
        return "degrees"
    if unit == "ratio" and metric:
        from posecheck.core.metrics import METRICS

        found = _PER_LENGTH.search(getattr(METRICS.get(metric), "description", "") or "")
        if found:
            body = "leg" if found.group(1) == "thigh+shin" else found.group(1)
            return f"{body} lengths"
    return unit


def _metric_of(spec: Any, check_id: str) -> str | None:
    for c in getattr(spec, "checks", ()) or ():
        if getattr(c, "id", None) == check_id:
            return getattr(c, "metric", None)
    return None


def plot_report(report: Mapping[str, Any], spec: Any = None) -> Any:
    """A matplotlib ``Figure`` (Agg canvas) of one video's report."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    check_ids: Sequence[str] = list((report.get("checks") or {}).keys())
    n = max(len(check_ids), 1)
    height = HEADER_HEIGHT_IN + PANEL_HEIGHT_IN * n
    fig = Figure(figsize=(FIG_WIDTH_IN, height), dpi=DPI)
    FigureCanvasAgg(fig)
    ratios = [0.45] + [1.0] * n
    # Fixed margins (in inches, turned into fractions) instead of tight_layout, which
    # measures every tick label and costs more than drawing the whole figure.
    axes = fig.subplots(n + 1, 1, sharex=True, gridspec_kw={
        "height_ratios": ratios, "left": 0.8 / FIG_WIDTH_IN, "right": 1 - 0.2 / FIG_WIDTH_IN,
        "top": 1 - 0.75 / height, "bottom": 0.5 / height, "hspace": 0.45 * n / (n + 1) + 0.2})
    strip, panels = axes[0], list(axes[1:])

    name = str(report.get("video") or "")
    stretch = report.get("stretch") or "none"
    fig.suptitle(f"{name.rsplit('/', 1)[-1]}  -  {stretch}\n{side_totals_text(report)}",
                 fontsize=10, x=0.01, ha="left")

    timeline = report.get("timeline") or []
    t_all = np.array([float(e.get("t_s", np.nan)) for e in timeline], dtype=np.float64)
    t_end = float(np.nanmax(t_all)) if t_all.size and np.isfinite(t_all).any() else 1.0
    spans = valid_spans(report)

    # Hold strip: one row per side, the counted (valid) time as bars; in-position frames as a
    # thin grey line above them.
    sides = list(spans) or ["-"]
    for row, side in enumerate(sides):
        color = SIDE_COLORS.get(side, "#2e8b57")
        bars = [(a, b - a) for a, b in spans.get(side, [])]
        if bars:
            strip.broken_barh(bars, (row + 0.15, 0.7), facecolors=color, alpha=0.8)
    in_pose = np.array([bool(e.get("in_pose")) for e in timeline], dtype=bool)
    if in_pose.any():
        strip.plot(t_all, np.where(in_pose, len(sides) + 0.3, np.nan), color="#888888",
                   lw=3, solid_capstyle="butt")
        sides_labels = sides + ["in position"]
    else:
        sides_labels = sides
    strip.set_yticks([i + 0.5 for i in range(len(sides))] +
                     ([len(sides) + 0.3] if in_pose.any() else []))
    strip.set_yticklabels(sides_labels, fontsize=8)
    strip.set_ylim(0, len(sides) + (0.8 if in_pose.any() else 0))
    strip.set_xlim(0, max(t_end, 1e-3))
    strip.tick_params(axis="x", labelbottom=False)
    strip.set_title("valid hold (counted seconds, per side) and time in position", fontsize=8,
                    loc="left")

    if not check_ids:
        ax = panels[0]
        rec = report.get("recognition") or {}
        text = "no known stretch recognised" if stretch == "none" else "no checks in this spec"
        held = rec.get("in_pose_s") or {}
        if held:
            text += "\nin position per spec: " + ", ".join(
                f"{k} {v:.1f} s" for k, v in sorted(held.items()))
        ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=9, transform=ax.transAxes)
        ax.set_yticks([])

    for ax, cid in zip(panels, check_ids):
        t, v, failing = check_series(report, cid)
        lo, hi, unit, label = _thresholds(spec, cid, report)
        finite = v[np.isfinite(v)]
        ymin = float(finite.min()) if finite.size else 0.0
        ymax = float(finite.max()) if finite.size else 1.0
        for bound in (lo, hi):
            if bound is not None:
                ymin, ymax = min(ymin, bound), max(ymax, bound)
        pad = 0.1 * (ymax - ymin) if ymax > ymin else 1.0
        ymin, ymax = ymin - pad, ymax + pad
        band_lo = lo if lo is not None else ymin
        band_hi = hi if hi is not None else ymax
        ax.axhspan(band_lo, band_hi, color=BAND_COLOR, alpha=0.25, lw=0)
        for bound in (lo, hi):
            if bound is not None:
                ax.axhline(bound, color=BAND_COLOR, lw=0.8)
        for side, intervals in spans.items():
            for a, b in intervals:
                ax.axvspan(a, b, color=SIDE_COLORS.get(side, "#2e8b57"), alpha=0.25, lw=0)
        ax.plot(t, v, color=VALUE_COLOR, lw=1.0)
        if failing.any():
            ax.plot(t, np.where(failing, v, np.nan), color=FAIL_COLOR, lw=1.6)
        ax.set_ylim(ymin, ymax)
        pf = ((report.get("checks") or {}).get(cid) or {}).get("pass_fraction")
        pf_txt = f"  pass {pf:.0%}" if isinstance(pf, (int, float)) and math.isfinite(pf) else ""
        rng = ("" if lo is None and hi is None else
               f" [{'' if lo is None else f'{lo:g}'} .. {'' if hi is None else f'{hi:g}'}]")
        words = unit_words(unit, _metric_of(spec, cid))
        unit_txt = f" ({words})" if words else ""
        ax.set_title(f"{label}{unit_txt}{rng}{pf_txt}", fontsize=8, loc="left")
        ax.tick_params(labelsize=7)
        ax.grid(True, lw=0.3, alpha=0.5)
    if check_ids:
        _legend(panels[0], has_spans=any(spans.values()))
    panels[-1].set_xlabel("time (s)", fontsize=8)
    return fig


def _legend(ax: Any, *, has_spans: bool) -> None:
    """One legend, on the first check panel: what the shading and the colours mean."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [Line2D([], [], color=VALUE_COLOR, lw=1.0, label="measured"),
               Line2D([], [], color=FAIL_COLOR, lw=1.6, label="failing"),
               Patch(color=BAND_COLOR, alpha=0.25, lw=0, label="passing range")]
    if has_spans:
        handles.append(Patch(color=SIDE_COLORS["left"], alpha=0.25, lw=0, label="valid hold"))
    ax.legend(handles=handles, loc="upper right", fontsize=7, ncol=len(handles), frameon=False,
              bbox_to_anchor=(1.0, 1.45))


def plot_report_png(report: Mapping[str, Any], spec: Any = None) -> bytes:
    """The plot as PNG bytes (the caller writes them atomically)."""
    fig = plot_report(report, spec)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()
