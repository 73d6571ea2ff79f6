"""The overview of a batch: one summary row per video (from its report), summary.csv,
summary.json and the static index.html.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any, Sequence

from posecheck.batch.files import dump_json
from posecheck.io.files import atomic_write_text
from posecheck.batch.jobs import Job, VideoResult
from posecheck.core.report import ErrorReport, RecognitionSummary, Report

# Columns of summary.csv that every row has, in order; per-side and per-check columns follow.
BASE_COLUMNS = ("video", "status", "error", "warnings", "stretch", "segments",
                "recognition_confidence", "frames", "pose_frames", "in_pose_frames",
                "duration_s", "width", "height", "fps", "model", "skipped", "report", "plot",
                "annotated")
# The console shows one result line per video up to this many; the rest are in summary.csv.
MAX_RESULT_LINES = 20


def row_from_report(report: Report | ErrorReport, job: Job, skipped: bool = False
                    ) -> dict[str, Any]:
    ok = isinstance(report, Report)
    info = report.batch.video_info if ok and report.batch is not None else None
    warnings = report.batch.warnings if ok and report.batch is not None else ()
    recognition = report.batch.recognition if ok and report.batch is not None else None
    row: dict[str, Any] = {
        "video": job.video,
        "status": "ok" if ok else "error",
        "error": "" if ok else report.error,
        "warnings": "; ".join(warnings),
        "stretch": report.stretch if ok else "",
        "segments": _segments_text(recognition),
        "recognition_confidence": "" if recognition is None else _r(recognition.confidence, 3),
        "frames": report.frames if ok else "",
        "pose_frames": report.pose_frames if ok else "",
        "in_pose_frames": report.in_pose_frames if ok and report.in_pose_frames is not None
        else "",
        "duration_s": "" if info is None else info.duration_s,
        "width": "" if info is None else info.width,
        "height": "" if info is None else info.height,
        "fps": "" if info is None else info.fps,
        "model": job.model_label,
        "skipped": bool(skipped),
        "report": job.report_path.name,
        "plot": job.plot_path.name if job.plot_path.is_file() else "",
        "annotated": (job.annotated_path.name
                      if job.annotated_path.is_file() and ok else ""),
    }
    if ok:
        for side, s in sorted(report.sides.items()):
            row[f"{side}_valid_hold_s"] = _r(s.valid_hold_s)
            row[f"{side}_in_pose_s"] = _r(s.in_pose_s)
            row[f"{side}_reps"] = s.reps
            if s.counted_reps is not None:  # a spec that counts the reps of a moving exercise
                row[f"{side}_lifts"] = s.counted_reps.count
                row[f"{side}_lifts_good_form"] = s.counted_reps.good_form
        for cid, c in sorted(report.checks.items()):
            row[f"pass_{cid}"] = _r(c.pass_fraction, 3)
    return row


def _r(value: Any, digits: int = 2) -> Any:
    return round(value, digits) if isinstance(value, float) else ("" if value is None else value)


def _segments_text(recognition: RecognitionSummary | None) -> str:
    if not recognition:
        return ""
    parts = [f"{s.stretch} {s.start_s:.1f}-{s.end_s:.1f}s ({s.valid_s:.1f}s valid)"
             for s in recognition.segments]
    return "; ".join(parts)


def result_line(row: dict[str, Any]) -> str:
    """An analysed video's result for the console, from its summary row: the stretch, the
    valid hold seconds per side and the lifts a rep-counting spec counted (a photo: whether the
    body is in position)."""
    name = Path(str(row["video"])).name
    stretch = row.get("stretch") or "none"
    if stretch == "none":
        return f"{name}: no stretch recognised (name one with --stretch ID)"
    if row.get("recognition_confidence") not in (None, ""):  # --stretch auto named it
        stretch += f" (recognised, confidence {float(row['recognition_confidence']):.2f})"
    if row.get("frames") == 1:
        told = "in position" if row.get("in_pose_frames") else "not in position"
        text = f"{name}: {stretch}, photo: {told}"
    else:
        sides = sorted(k[:-len("_valid_hold_s")] for k in row if k.endswith("_valid_hold_s"))
        held = ", ".join(("" if side == "both" else side + " ")
                         + f"{row[side + '_valid_hold_s']:.1f} s" for side in sides)
        text = f"{name}: {stretch}, valid hold {held or '0.0 s'}"
        for side in sorted(k[:-len("_lifts")] for k in row if k.endswith("_lifts")):
            text += (f", {'' if side == 'both' else side + ' '}{row[side + '_lifts']} lifts "
                     f"({row.get(side + '_lifts_good_form', 0)} with good form)")
    if row.get("warnings"):
        text += " (see the report's warnings)"
    return text


def result_lines(rows: Sequence[dict[str, Any]], limit: int = MAX_RESULT_LINES) -> list[str]:
    """The console's result lines: one per analysed video, at most ``limit`` (errors are
    printed on their own), then how many more are in summary.csv."""
    ok = [r for r in rows if r.get("status") == "ok"]
    lines = [result_line(r) for r in ok[:limit]]
    if len(ok) > limit:
        lines.append(f"... and {len(ok) - limit} more in summary.csv")
    return lines


def summary_columns(rows: Sequence[dict[str, Any]]) -> list[str]:
    extra = sorted({k for r in rows for k in r} - set(BASE_COLUMNS),
                   key=lambda k: (not k.endswith(("_valid_hold_s", "_in_pose_s", "_reps")), k))
    return list(BASE_COLUMNS) + extra


# A spreadsheet takes a cell that starts with one of these as a formula (CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    """A CSV cell: text that would start a formula gets a leading apostrophe, which
    spreadsheets show as text (summary.json keeps the real value)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def write_summary(out: Path, rows: Sequence[dict[str, Any]]) -> None:
    columns = summary_columns(rows)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, restval="", lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: _cell(v) for k, v in r.items()})
    atomic_write_text(out / "summary.csv", buf.getvalue())
    atomic_write_text(out / "summary.json", dump_json({"columns": columns, "videos": list(rows)}))


def finish_summary(out: Path, jobs: Sequence[Job], results: dict[str, VideoResult],
                   missing: Sequence[tuple[str, str]], interrupted: bool) -> list[dict[str, Any]]:
    """Write summary.csv, summary.json and index.html for the videos done so far; return the
    rows."""
    rows = [results[j.slug].row for j in jobs if j.slug in results]
    for raw, message in missing:
        rows.append({"video": raw, "status": "error", "error": message, "skipped": False})
    write_summary(out, rows)
    from posecheck.draw import html_report
    atomic_write_text(out / "index.html",
                      html_report.render_index(rows, title="posecheck analyze",
                                               pending=[j.video for j in jobs
                                                        if j.slug not in results]
                                               if interrupted else []))
    return rows
