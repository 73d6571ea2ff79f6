"""The static ``index.html`` of a batch: every video's plot and numbers side by side.

One self-contained page (inline CSS, no script, no server): links and pictures are relative
to the output folder, so the folder can be zipped, moved or opened straight from disk.
Built from the summary rows only (the same data as ``summary.json``).
"""

from __future__ import annotations

import html
import math
import os
from pathlib import Path
from typing import Any, Mapping, Sequence
from urllib.parse import quote

from posecheck.io.files import atomic_write_bytes

CSS = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.2em; color: #222; background: #fafafa; }
h1 { font-size: 1.4em; margin: 0 0 .3em; }
.totals { color: #555; margin-bottom: 1em; }
table { border-collapse: collapse; }
th, td { padding: .25em .6em; border-bottom: 1px solid #ddd; text-align: left;
         vertical-align: top; }
th { background: #eee; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
tr.error td { background: #fdecea; }
.status-ok { color: #1a7f37; font-weight: 600; }
.status-error { color: #b42318; font-weight: 600; }
.card { display: flex; flex-wrap: wrap; gap: 1em; background: #fff; border: 1px solid #ddd;
        border-radius: 6px; padding: .8em; margin: 1em 0; }
.card.error { border-color: #f3a59c; }
.card .plot img { max-width: 900px; width: 100%; height: auto; }
.card .plot { flex: 3 1 600px; }
.card .numbers { flex: 1 1 280px; }
.card h2 { font-size: 1.1em; margin: 0 0 .4em; word-break: break-all; }
.err { color: #b42318; white-space: pre-wrap; }
video { max-width: 900px; width: 100%; }
.warn { color: #8a6100; }
"""


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _href(rel: str) -> str:
    """A relative link that survives spaces and odd characters in file names."""
    return quote(rel, safe="/._-")


def _fmt(value: Any, digits: int = 1) -> str:
    if isinstance(value, bool):
        return "yes" if value else ""
    if isinstance(value, float):
        return "" if not math.isfinite(value) else f"{value:.{digits}f}"
    return "" if value is None else str(value)


def _sides(row: Mapping[str, Any]) -> list[str]:
    return sorted({k[: -len("_valid_hold_s")] for k in row if k.endswith("_valid_hold_s")})


def _checks(row: Mapping[str, Any]) -> list[str]:
    return sorted(k[len("pass_"):] for k in row if k.startswith("pass_") and row[k] != "")


def short_names(videos: Sequence[str]) -> list[str]:
    """The videos' paths below their common folder (the full path is in the card)."""
    paths = [str(v) for v in videos]
    try:
        common = os.path.commonpath([os.path.dirname(os.path.abspath(p)) for p in paths])
    except ValueError:  # no paths, or a mix of drives
        return paths
    return [os.path.relpath(os.path.abspath(p), common) for p in paths]


def _card(row: Mapping[str, Any], anchor: str) -> str:
    ok = row.get("status") == "ok"
    name = row.get("video", "")
    parts = [f'<section class="card{"" if ok else " error"}" id="{_e(anchor)}">']
    plot = row.get("plot") or ""
    parts.append('<div class="plot">')
    parts.append(f"<h2>{_e(name)}</h2>")
    if plot:
        parts.append(f'<a href="{_href(plot)}"><img src="{_href(plot)}" loading="lazy" '
                     f'alt="plot of {_e(name)}"></a>')
    elif not ok:
        parts.append(f'<p class="err">{_e(row.get("error"))}</p>')
    annotated = row.get("annotated") or ""
    if annotated:
        parts.append(f'<video controls preload="none" poster="{_href(poster_name(annotated))}" '
                     f'src="{_href(annotated)}"></video>'
                     f'<p><a href="{_href(annotated)}">annotated video (MP4)</a></p>')
    parts.append("</div>")

    rows: list[tuple[str, str]] = [("status", row.get("status", ""))]
    if not ok:
        rows.append(("error", row.get("error", "")))
    else:
        rows.append(("stretch", row.get("stretch", "")))
        if row.get("segments"):
            rows.append(("segments", row["segments"]))
        for side in _sides(row):
            rows.append((f"{side} valid hold (s)", _fmt(row.get(f"{side}_valid_hold_s"))))
            rows.append((f"{side} reps", _fmt(row.get(f"{side}_reps"))))
        for cid in _checks(row):
            v = row.get(f"pass_{cid}")
            rows.append((f"pass {cid}", f"{v:.0%}" if isinstance(v, (int, float)) else _fmt(v)))
        rows.append(("frames (with pose)", f"{_fmt(row.get('frames'))} "
                                           f"({_fmt(row.get('pose_frames'))})"))
        if row.get("width"):
            rows.append(("size", f"{row.get('width')}x{row.get('height')} @ "
                                 f"{_fmt(row.get('fps'), 2)} fps"))
        if row.get("warnings"):
            rows.append(("warnings", row["warnings"]))
    parts.append('<div class="numbers"><table>')
    for k, v in rows:
        cls = ' class="err"' if k == "error" else (' class="warn"' if k == "warnings" else "")
        parts.append(f"<tr><th>{_e(k)}</th><td{cls}>{_e(v)}</td></tr>")
    parts.append("</table>")
    if row.get("report"):
        parts.append(f'<p><a href="{_href(row["report"])}">JSON report</a></p>')
    parts.append("</div></section>")
    return "\n".join(parts)


POSTER_SUFFIX = ".poster.jpg"


def poster_name(video: str) -> str:
    """The poster picture beside an annotated video: ``clip.mp4`` -> ``clip.poster.jpg``."""
    root, _ = os.path.splitext(video)
    return root + POSTER_SUFFIX


def poster_index(reports: Sequence[Any], fps: float) -> int:
    """The video frame a poster shows: a second (``fps``: the video's own rate) into the
    first counted hold (what the video is about), else the middle of the clip. Frame
    indices, not report positions: with ``--sample-fps`` the reports skip frames."""
    if not reports:
        return 0
    frame = [getattr(r, "index", i) for i, r in enumerate(reports)]
    for i, r in enumerate(reports):
        phase = getattr(getattr(getattr(r, "hold", None), "phase", ""), "value", "")
        if phase == "holding" and getattr(r, "valid", None) is True:
            return min(frame[-1], frame[i] + int(round(fps)))
    return frame[len(reports) // 2]


def write_poster(video: Any, reports: Sequence[Any], fps: float = 30.0) -> None:
    """Write :func:`poster_name` of ``video`` (an annotated MP4) from its :func:`poster_index`
    frame, so ``index.html`` shows a picture instead of a black box. Best effort: a video
    that cannot be read gets no poster."""
    import cv2

    from posecheck.io.video import iter_frames

    want = poster_index(reports, fps)
    try:
        for i, (_, _, bgr) in enumerate(iter_frames(video)):
            if i >= want:
                ok, jpg = cv2.imencode(".jpg", bgr, [cv2.IMWRITE_JPEG_QUALITY, 80])
                if ok:
                    atomic_write_bytes(Path(poster_name(str(video))), jpg.tobytes())
                return
    except Exception:  # noqa: BLE001 - a poster is a nicety; the video itself is written
        return


def render_index(rows: Sequence[Mapping[str, Any]], title: str = "posecheck analyze",
                 pending: Sequence[str] = ()) -> str:
    """The whole page as a string (the caller writes it atomically)."""
    failed = sum(1 for r in rows if r.get("status") != "ok")
    sides = sorted({s for r in rows for s in _sides(r)})
    head = ["video", "status", "stretch"] + [f"{s} valid (s)" for s in sides] + \
           [f"{s} reps" for s in sides] + ["frames", "error"]
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           f"<title>{_e(title)}</title><style>{CSS}</style></head><body>",
           f"<h1>{_e(title)}</h1>",
           f'<p class="totals">{len(rows)} inputs: {len(rows) - failed} analysed, '
           f"{failed} failed"
           + (f"; {len(pending)} not done yet (interrupted; run again to resume)"
              if pending else "")
           + ' - <a href="summary.csv">summary.csv</a>, '
             '<a href="summary.json">summary.json</a></p>',
           "<table><tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr>"]
    anchors = [f"v{i}" for i in range(len(rows))]
    names = short_names([r.get("video", "") for r in rows])
    for r, anchor, name in zip(rows, anchors, names):
        ok = r.get("status") == "ok"
        cells = [f'<td><a href="#{anchor}">{_e(name)}</a></td>',
                 f'<td class="status-{"ok" if ok else "error"}">{_e(r.get("status"))}</td>',
                 f"<td>{_e(r.get('stretch', ''))}</td>"]
        cells += [f'<td class="num">{_e(_fmt(r.get(f"{s}_valid_hold_s")))}</td>' for s in sides]
        cells += [f'<td class="num">{_e(_fmt(r.get(f"{s}_reps")))}</td>' for s in sides]
        cells += [f'<td class="num">{_e(_fmt(r.get("frames")))}</td>',
                  f'<td class="err">{_e(r.get("error", ""))}</td>']
        out.append(f'<tr class="{"ok" if ok else "error"}">' + "".join(cells) + "</tr>")
    out.append("</table>")
    for r, anchor in zip(rows, anchors):
        out.append(_card(r, anchor))
    if pending:
        out.append("<h2>Not done yet</h2><ul>" +
                   "".join(f"<li>{_e(p)}</li>" for p in pending) + "</ul>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
