"""The per-video plot of ``posecheck analyze``: every checked metric over time.

Each panel is one check: its measured value (line), the band of values that pass (shaded,
from the spec's ``min``/``max``), and the time the hold counted as valid (shaded spans,
per side: only the counted seconds, not the pauses inside a hold), with a legend and units in
words ("shin lengths", "degrees"). The title gives the stretch and each side's valid hold time and reps.

Works from the typed report (:class:`posecheck.core.report.Report`, what ``report.json``
holds) and the spec, so a plot can be redrawn from a saved report. Uses matplotlib's object API with the Agg canvas: no pyplot
global state, no display needed, safe in worker processes.
"""

from __future__ import annotations

import io
import math
import re
from typing import Any, Sequence

import numpy as np

from posecheck.core.checks import Status
from posecheck.core.hold import Phase
from posecheck.core.report import Report
from posecheck.specs.model import StretchSpec

# Colours (matplotlib names / hex); one per side so both sides' holds can be told apart.
SIDE_COLORS = {"left": "#2e8b57", "right": "#1f77b4", "both": "#2e8b57"}
BAND_COLOR = "#9e9e9e"      # grey: the passing range, kept apart from the green valid time
FAIL_COLOR = "#d62728"
VALUE_COLOR = "#333333"
FIG_WIDTH_IN = 10.0    # inches
PANEL_HEIGHT_IN = 1.55  # inches per check panel
HEADER_HEIGHT_IN = 1.3  # inches for the title and the hold strip
DPI = 90


def check_series(report: Report, check_id: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(t_s, value, failing)`` of one check over the report's timeline (NaN where it was
    not measured)."""
    entries = report.entries
    t = np.array([e.t_s for e in entries], dtype=np.float64)
    results = [e.checks.get(check_id) for e in entries]
    v = np.array([np.nan if r is None or r.value is None else r.value for r in results],
                 dtype=np.float64)
    failing = np.array([r is not None and r.status is Status.FAIL for r in results], dtype=bool)
    return t, v, failing


def hold_spans(report: Report) -> dict[str, list[tuple[float, float]]]:
    """The hold intervals per side, ``{side: [(start_s, end_s), ...]}``: from the first to the
    last frame of each hold, paused time included (see :func:`valid_spans` for the counted
    time)."""
    return {side: [(float(h.start_s), float(h.end_s)) for h in data.holds
                   if h.end_s >= h.start_s]
            for side, data in sorted(report.sides.items())}


def valid_spans(report: Report) -> dict[str, list[tuple[float, float]]]:
    """The time that counted as valid hold, per side: wherever the timeline's running count of
    the current hold (``hold_valid_s``) rises from one frame to the next, the interval between
    the two frames counted. The debounce's still, valid seconds count too once the hold has
    earned them (the count then jumps by more than a frame): those settling intervals are
    spans as well. The start of an exit the timer took back when a hold ended (the hold's
    ``valid_s`` is below what its frames rose by) is cut off the end of that hold's spans.
    Pauses and switches do not count. Sides with holds but no counted time map to an empty
    list, so the plot still shows their row."""
    out: dict[str, list[tuple[float, float]]] = {side: [] for side in report.sides}
    prev = None
    settled: list[tuple[float, float]] = []  # the current debounce's still, valid intervals
    for e in report.entries:
        t, count, side = float(e.t_s), float(e.hold_valid_s), e.stretched_side
        if prev is not None:
            p_t, p_count, p_side, p_phase, p_ok = prev
            if p_phase is Phase.SETTLING and p_ok and t > p_t:
                settled.append((p_t, t))
            if side is not None and side == p_side and count > p_count and t > p_t:
                if count - p_count > (t - p_t) + 1e-6:  # the debounce credited
                    out.setdefault(side, []).extend(settled)
                    settled = []
                out.setdefault(side, []).append((p_t, t))
        if e.reason == "moving" or e.phase not in (Phase.SETTLING, Phase.HOLDING, Phase.PAUSED):
            settled = []
        # the debounce runs only while the body is still and in position: motion known
        prev = (t, count, side, e.phase,
                e.valid is True and e.reason != "moving" and e.motion is not None)
    merged = {side: _merged(spans) for side, spans in out.items()}
    for side, data in report.sides.items():
        for h in data.holds:
            merged[side] = _cut_to(merged.get(side, []), h.start_s, h.end_s, h.valid_s)
    return merged


def _merged(spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """The spans in time order, touching ones joined."""
    out: list[tuple[float, float]] = []
    for a, b in sorted(spans):
        if out and a <= out[-1][1] + 1e-9:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _cut_to(spans: list[tuple[float, float]], start: float, end: float, seconds: float
            ) -> list[tuple[float, float]]:
    """``spans`` with what lies in ``[start, end]`` beyond ``seconds`` cut off from the end
    (a span running past ``end`` is left alone)."""
    excess = sum(max(0.0, min(b, end) - max(a, start)) for a, b in spans) - seconds
    out = list(spans)
    for i in range(len(out) - 1, -1, -1):
        if excess <= 1e-3:  # a report rounds seconds to 1 ms
            break
        a, b = out[i]
        if b <= start or a >= end:
            continue
        if b > end:
            break
        cut = min(excess, b - max(a, start))
        out[i] = (a, b - cut)
        excess -= cut
    return [(a, b) for a, b in out if b - a > 1e-9]


def side_totals_text(report: Report) -> str:
    parts = [f"{side}: {data.valid_hold_s:.1f} s valid, {data.reps} reps"
             for side, data in sorted(report.sides.items())]
    return " | ".join(parts) if parts else "no hold"


def _thresholds(spec: StretchSpec | None, check_id: str
                ) -> tuple[float | None, float | None, str, str]:
    """``(min, max, unit, label)`` of a check, from the spec (without one: no band)."""
    for c in spec.checks if spec is not None else ():
        if c.id == check_id:
            return c.min, c.max, c.unit, c.label or check_id
    return None, None, "", check_id


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


def _is_measure(spec: StretchSpec | None, check_id: str) -> bool:
    return any(c.id == check_id and getattr(c, "measure", False)
               for c in (spec.checks if spec else ()))


def _metric_of(spec: StretchSpec | None, check_id: str) -> str | None:
    for c in spec.checks if spec is not None else ():
        if c.id == check_id:
            return c.metric
    return None


def plot_report(report: Report, spec: StretchSpec | None = None) -> Any:
    """A matplotlib ``Figure`` (Agg canvas) of one video's report."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    check_ids: Sequence[str] = list(report.checks)
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

    name = report.video
    stretch = report.stretch or "none"
    fig.suptitle(f"{name.rsplit('/', 1)[-1]}  -  {stretch}\n{side_totals_text(report)}",
                 fontsize=10, x=0.01, ha="left")

    t_all = np.array([e.t_s for e in report.timeline], dtype=np.float64)
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
    in_pose = np.array([e.in_pose for e in report.entries] if report.analysed
                       else [False] * len(report.timeline), dtype=bool)
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
        rec = report.batch.recognition if report.batch is not None else None
        text = "no known stretch recognised" if stretch == "none" else "no checks in this spec"
        held = rec.in_pose_s if rec is not None else {}
        if held:
            text += "\nin position per spec: " + ", ".join(
                f"{k} {v:.1f} s" for k, v in sorted(held.items()))
        ax.text(0.5, 0.5, text, ha="center", va="center", fontsize=9, transform=ax.transAxes)
        ax.set_yticks([])

    for ax, cid in zip(panels, check_ids):
        t, v, failing = check_series(report, cid)
        lo, hi, unit, label = _thresholds(spec, cid)
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
        measure = _is_measure(spec, cid)  # reported, never judged: no band to draw
        if not measure:
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
        pf = report.checks[cid].pass_fraction
        pf_txt = "  (measured)" if measure else f"  pass {pf:.0%}" if math.isfinite(pf) else ""
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


def plot_report_png(report: Report, spec: StretchSpec | None = None) -> bytes:
    """The plot as PNG bytes (the caller writes them atomically)."""
    fig = plot_report(report, spec)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()
