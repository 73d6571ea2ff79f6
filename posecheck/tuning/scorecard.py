"""The accuracy table: per stretch, how posecheck's decisions on labelled clips compare with
what a person saw. Pure numpy; ``posecheck score`` fills it (docs/ACCURACY.md shows it).

Built on :mod:`posecheck.tuning.score` (the per-clip confusion counts and hold seconds of
:func:`~posecheck.tuning.score.score_clip`); this module adds what is judged per *clip* rather than
per second:

- **side**: the side posecheck told for the clip as its report states it (:func:`reported_side`:
  the side call of its holds, "unsure" included), against the side a person was sure of
  (:attr:`~posecheck.tuning.labels.ClipLabels.sure_side`); "unsure" for a side a person was sure
  of is not right. Clips where the person was unsure are left out of right/judged and counted,
  with how many of them posecheck called unsure too.
- **false hold**: a clip on which no hold is right (a negative, reps, movement:
  :attr:`~posecheck.tuning.labels.ClipLabels.no_hold`) and posecheck still booked valid hold
  seconds, with the clip's own spec or with ``--stretch auto``.
- **auto**: what ``--stretch auto`` named, against the label: the clip's stretch for a held
  stretch, ``none`` for everything that must not count.

Numbers per second are time-weighted (a frame stands for the time to the next one); a photo is
one frame and weighs one half-second sample (``PHOTO_WEIGHT_S``) in the in-position and form
agreements.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from posecheck.core.analysis import UNSURE
from posecheck.tuning.labels import NEGATIVE, TRUE, ClipLabels
from posecheck.tuning.score import Counts

PHOTO_WEIGHT_S = 0.5  # s: a still image counts as one half-second sample
FALSE_HOLD_MIN_S = 0.05  # s: booked hold above this on a no-hold clip is a false hold


@dataclass(frozen=True)
class ClipResult:
    """What posecheck said about one labelled clip, reduced to what the table needs.

    Attributes:
        clip: the labels.
        source: ``"real"`` or ``"synthetic"``.
        photo: the clip is a still image.
        in_position: confusion counts of the in-position decision (seconds; empty for a
            negative, which has no spec).
        checks: check id -> confusion counts of the FAIL decision.
        hold_pred_s, hold_true_s: valid hold seconds booked / labelled (whole clip for a
            no-hold clip, else labelled time).
        in_position_s: labelled in-position seconds.
        side_pred: the side posecheck told (:func:`reported_side`: "left", "right",
            "unsure", or "" none).
        auto: the stretch ``--stretch auto`` named (None: not run).
        auto_hold_s: valid seconds ``--stretch auto`` booked in its recognised segments.
    """

    clip: ClipLabels
    source: str = "real"
    photo: bool = False
    in_position: Counts = Counts()
    checks: Mapping[str, Counts] | None = None
    hold_pred_s: float = 0.0
    hold_true_s: float = 0.0
    in_position_s: float = 0.0
    side_pred: str = ""
    auto: str | None = None
    auto_hold_s: float = 0.0

    @property
    def stretch(self) -> str:
        return self.clip.stretch

    @property
    def expected_auto(self) -> str:
        return NEGATIVE if self.clip.no_hold else self.clip.stretch

    @property
    def auto_right(self) -> bool | None:
        return None if self.auto is None else self.auto == self.expected_auto

    @property
    def side_right(self) -> bool | None:
        """None when the person was not sure of the side (or there is none)."""
        sure = self.clip.sure_side
        return None if sure is None else self.side_pred == sure

    @property
    def false_hold_s(self) -> float:
        """Hold booked on a clip where none is right (0 for clips that should hold)."""
        if not self.clip.no_hold:
            return 0.0
        return max(self.hold_pred_s, self.auto_hold_s)

    @property
    def hold_error_s(self) -> float:
        return abs(self.hold_pred_s - self.hold_true_s)

    def to_dict(self) -> dict[str, Any]:
        return {"video": self.clip.video, "stretch": self.stretch, "source": self.source,
                "photo": self.photo, "motion": self.clip.motion or "hold",
                "in_position": self.in_position.to_dict(),
                "checks": {k: v.to_dict() for k, v in (self.checks or {}).items()},
                "hold_pred_s": round(self.hold_pred_s, 3),
                "hold_true_s": round(self.hold_true_s, 3),
                "in_position_s": round(self.in_position_s, 3),
                "side_label": self.clip.sure_side or (self.clip.side or ""),
                "side_pred": self.side_pred, "side_right": self.side_right,
                "auto": self.auto, "auto_expected": self.expected_auto,
                "auto_right": self.auto_right, "auto_hold_s": round(self.auto_hold_s, 3),
                "false_hold_s": round(self.false_hold_s, 3)}


def reported_side(holds: Iterable[tuple[str, float]], photo_side: str = "") -> str:
    """The side a user is told for a clip: the side call of its holds as the report states
    them (``(call, seconds)``, call "left", "right" or "unsure"), the call with the most
    seconds ("unsure" when two calls tie); with no hold, ``photo_side`` (for a photo or a
    clip without a hold: the side its in-position frames name, or "unsure" below the same
    confidence), "" when nothing was told."""
    totals: dict[str, float] = {}
    for call, seconds in holds:
        if call:
            totals[call] = totals.get(call, 0.0) + max(float(seconds), 0.0)
    if not totals:
        return photo_side
    best = max(totals.values())
    calls = [c for c, v in totals.items() if v == best]
    return calls[0] if len(calls) == 1 else UNSURE


def told_side(report: Any, trace: Any, truth_in: np.ndarray, w: np.ndarray) -> str:
    """The side an :class:`~posecheck.core.analysis.AnalysisReport` tells for a clip
    (:func:`reported_side`): its holds' side calls; with no hold (a photo), the side its
    in-position frames name (:func:`majority_side` over ``trace``, a
    :class:`~posecheck.tuning.trace.ClipTrace`, where ``truth_in`` says in position; ``w``
    seconds per frame) by the holds' confidence rule
    (:func:`posecheck.core.session.side_confidence`), "unsure" below it."""
    from posecheck.core.session import side_confidence

    frames_side = majority_side(trace.side, trace.in_pose, truth_in, w)
    holds = [(h.side, h.end_s - h.start_s) for t in report.sides().values() for h in t.holds
             if h.side]
    fallback = frames_side
    if not holds and frames_side:
        conf = side_confidence(report.frames, frames_side, -math.inf, math.inf)
        fallback = frames_side if conf >= report.side_min_confidence else UNSURE
    return reported_side(holds, fallback)


def majority_side(pred_side: np.ndarray, in_pose: np.ndarray, truth_in: np.ndarray,
                  w: np.ndarray) -> str:
    """The left/right side posecheck reported most (by seconds) on frames labelled in
    position where it was in position too; ``""`` when it never named one."""
    m = (np.asarray(truth_in) == TRUE) & (np.asarray(in_pose) == 1)
    totals = {s: float(np.asarray(w)[m & (np.asarray(pred_side) == s)].sum())
              for s in ("left", "right")}
    best = max(totals, key=totals.get)
    return best if totals[best] > 0 else ""


@dataclass(frozen=True)
class Row:
    """One line of the table: a stretch (or the negatives, or everything)."""

    name: str
    results: tuple[ClipResult, ...]

    @property
    def videos(self) -> int:
        return sum(1 for r in self.results if not r.photo)

    @property
    def photos(self) -> int:
        return sum(1 for r in self.results if r.photo)

    @property
    def in_position(self) -> Counts:
        return sum((r.in_position for r in self.results), Counts())

    @property
    def checks(self) -> Counts:
        return sum((c for r in self.results for c in (r.checks or {}).values()), Counts())

    @property
    def hold_clips(self) -> tuple[ClipResult, ...]:
        """Video clips with hold figures (photos have no duration to hold for)."""
        return tuple(r for r in self.results if not r.photo and not r.clip.negative)

    @property
    def hold_error_s(self) -> float:
        return float(sum(r.hold_error_s for r in self.hold_clips))

    @property
    def hold_error_fraction(self) -> float:
        """Summed per-clip hold error over the labelled in-position seconds."""
        return _ratio(self.hold_error_s, sum(r.in_position_s for r in self.hold_clips))

    @property
    def side(self) -> tuple[int, int, int, int, int]:
        """(right, judged, said unsure, person unsure, both unsure): clips with the side right
        / with a sure side label / of those, where posecheck said "unsure" (not right) /
        held-stretch clips labelled ``side = "unsure"`` / of those, where posecheck said
        "unsure" too."""
        judged = [r for r in self.results if r.side_right is not None]
        person = [r for r in self.results if r.side_right is None
                  and not r.clip.no_hold and r.clip.side == "unsure"]
        return (sum(1 for r in judged if r.side_right), len(judged),
                sum(1 for r in judged if r.side_pred == UNSURE), len(person),
                sum(1 for r in person if r.side_pred == UNSURE))

    @property
    def false_holds(self) -> tuple[int, int]:
        """(clips with a false hold, clips on which no hold is right)."""
        nh = [r for r in self.results if r.clip.no_hold]
        return sum(1 for r in nh if r.false_hold_s > FALSE_HOLD_MIN_S), len(nh)

    @property
    def auto(self) -> tuple[int, int]:
        runs = [r.auto_right for r in self.results if r.auto_right is not None]
        return sum(runs), len(runs)


def rows(results: Sequence[ClipResult], stretch_ids: Iterable[str] = ()) -> list[Row]:
    """Rows per stretch (every id of ``stretch_ids`` gets one, footage or not), then the
    negatives, then all clips together."""
    order = list(dict.fromkeys([*stretch_ids, *(r.stretch for r in results
                                                if r.stretch != NEGATIVE)]))
    out = [Row(sid, tuple(r for r in results if r.stretch == sid)) for sid in order]
    neg = tuple(r for r in results if r.stretch == NEGATIVE)
    if neg:
        out.append(Row("negatives (other exercises and poses)", neg))
    out.append(Row("all", tuple(results)))
    return out


def _ratio(a: float, b: float) -> float:
    return a / b if b > 0 else math.nan


def scaled(c: Counts, factor: float) -> Counts:
    """``c`` with every duration multiplied by ``factor`` (a photo's one frame -> 0.5 s)."""
    return Counts(c.tp * factor, c.fp * factor, c.fn * factor, c.tn * factor,
                  c.unknown * factor, c.frames)


def _pct(x: float) -> str:
    return "-" if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:.2f}"


def _frac(a: int, b: int) -> str:
    return "-" if b == 0 else f"{a}/{b}"


HEADER = ("stretch", "clips (videos+photos)", "in-position agreement",
          "valid-hold error s (share of in-position time)", "form-check agreement",
          "side right, said unsure (unsure where a person was)", "no-hold clips with a false hold",
          "--stretch auto right")


def row_cells(row: Row) -> list[str]:
    if not row.results:
        return [row.name, "no real footage", "", "", "", "", "", ""]
    right, judged, said, person, both = row.side
    side = _frac(right, judged)
    if judged:
        side += f", {said} unsure"
    side += f" ({both}/{person})" if person else " (-)"
    hold = "-"
    if row.hold_clips:
        hold = f"{row.hold_error_s:.1f} ({_pct(row.hold_error_fraction)})"
    return [row.name, f"{row.videos}+{row.photos}", _pct(row.in_position.agreement), hold,
            _pct(row.checks.agreement), side,
            _frac(*row.false_holds), _frac(*row.auto)]


def markdown_table(table_rows: Sequence[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for r in table_rows:
        cells = row_cells(r)
        if r.name == "all":
            cells = [f"**{c}**" if c else c for c in cells]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def text_table(table_rows: Sequence[Row]) -> str:
    short = ("stretch", "clips", "in-pos", "hold err s (frac)", "form",
             "side, unsure (person unsure)",
             "false hold", "auto")
    cells = [list(short)] + [row_cells(r) for r in table_rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(short))]
    out = []
    for k, c in enumerate(cells):
        out.append("  ".join(x.ljust(widths[i]) for i, x in enumerate(c)).rstrip())
        if k == 0:
            out.append("-" * len(out[0]))
    return "\n".join(out)
