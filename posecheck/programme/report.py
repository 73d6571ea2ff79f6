"""A one-page, printable HTML report of the stretching history, to hand to a physiotherapist.

Self-contained (inline CSS, plots as PNG data URIs, no script): open it, print it, or mail
it. Built from :mod:`posecheck.programme.progress` on the stored sessions of the last ``days`` days.
"""

from __future__ import annotations

import base64
import html
from datetime import date, datetime, timedelta
from typing import Any, Sequence

from posecheck.programme import progress
MAX_PLOTS = 4  # plots that fit on one A4 page beside the table: the most-held stretches

CSS = """
@page { size: A4; margin: 12mm; }
body { font: 11px/1.35 system-ui, sans-serif; color: #222; margin: 0 auto; max-width: 190mm; }
h1 { font-size: 16px; margin: 0 0 2px; }
.meta { color: #555; margin-bottom: 6px; }
table { border-collapse: collapse; width: 100%; margin: 4px 0 6px; }
th, td { padding: 2px 5px; border-bottom: 1px solid #ddd; text-align: left; }
th { background: #eee; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
.plot { page-break-inside: avoid; break-inside: avoid; margin: 2px 0; }
.plot img { width: 100%; height: auto; }
.note { color: #555; font-size: 10px; }
@media print { .plot img { max-height: 55mm; object-fit: contain; } }
"""


def _e(x: Any) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _png_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def report_html(sessions: Sequence[Any], *, days: int = 42, name: str = "",
                today: date | None = None, spec_names: dict[str, str] | None = None) -> str:
    """The report page over the last ``days`` days up to ``today`` (default: now)."""
    today = today or datetime.now().astimezone().date()
    first = today - timedelta(days=max(days, 1) - 1)
    recent = progress.since(sessions, first)
    names = spec_names if spec_names is not None else _spec_names()
    ids = progress.stretches(recent)
    all_days = progress.active_days(recent)
    rows, plots = [], []
    for sid in ids:
        summ = progress.stretch_summary(recent, sid, today)
        lr = summ["left_minus_right"]
        lr_rom = progress.fmt(lr["rom_deg"], signed=True) if lr else ""
        for side, d in summ["sides"].items():
            rows.append(
                f"<tr><td>{_e(names.get(sid, sid))}</td><td>{_e(side)}</td>"
                f"<td class=num>{d['days']}</td><td class=num>{d['holds']}</td>"
                f"<td class=num>{progress.fmt(d['best_hold_s'])} / "
                f"{progress.fmt(d['target_s'], 0)}</td>"
                f"<td class=num>{progress.fmt(d['best_hold_change_s'], signed=True)}</td>"
                f"<td class=num>{progress.fmt(d['rom_deg'])}</td>"
                f"<td class=num>{progress.fmt(d['rom_change_deg'], signed=True)}</td>"
                f"<td class=num>{lr_rom if side == 'left' else ''}</td></tr>")
        if len(plots) >= MAX_PLOTS:
            continue
        fig = progress.plot_stretch(recent, sid, title=names.get(sid, sid), width_in=9.0,
                                    height_in=2.4, dpi=80)
        plots.append(f'<div class="plot"><img alt="{_e(sid)} progress" '
                     f'src="{_png_uri(progress.figure_png(fig))}"></div>')
    who = f" for {_e(name)}" if name else ""
    body = (
        f"<h1>Stretching progress{who}</h1>"
        f"<div class=meta>{first.isoformat()} to {today.isoformat()} &middot; "
        f"{len(all_days)} days with stretching, {len(recent)} sessions &middot; "
        f"current run {progress.current_streak(all_days, today)} days, longest "
        f"{progress.longest_streak(all_days)} days &middot; generated "
        f"{datetime.now().astimezone():%Y-%m-%d %H:%M}</div>")
    if not ids:
        body += "<p>No stretching recorded in this period.</p>"
    else:
        body += ("<table><tr><th>stretch</th><th>side</th><th>days</th><th>holds</th>"
                 "<th>best hold s / target</th><th>change s</th><th>ROM deg (latest)</th>"
                 "<th>ROM change</th><th>L&minus;R ROM</th></tr>" + "".join(rows) + "</table>")
        body += "".join(plots)
        if len(ids) > MAX_PLOTS:
            body += (f"<p class=note>Plots of the {MAX_PLOTS} most practised stretches; the "
                     "others are in the table.</p>")
    body += ("<p class=note>Measured by posecheck from one camera (MediaPipe pose landmarks). "
             "Valid hold: seconds in the position with every required form check passing. "
             "ROM: the median over a hold's valid seconds of the angle that says how far the "
             "stretch goes (named under each plot); single-camera angles carry an error of a few "
             "degrees, so read trends rather than single values. The data never left this "
             "computer.</p>")
    return ("<!DOCTYPE html><html lang=en><head><meta charset=utf-8>"
            f"<title>Stretching progress{who}</title><style>{CSS}</style></head>"
            f"<body>{body}</body></html>\n")


def _spec_names() -> dict[str, str]:
    from posecheck.core.errors import SpecError
    from posecheck.specs.parse import list_specs, load_spec

    out = {}
    for sid in list_specs():
        try:
            out[sid] = load_spec(sid).name
        except SpecError:
            out[sid] = sid
    return out
