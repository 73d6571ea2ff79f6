"""Labelled footage: what a person saw in a clip, as time intervals, to score checks against.

File format (TOML or JSON with the same keys; documented in ``docs/TUNING.md``)::

    format = "posecheck-labels/1"
    root = "../../shared"        # where `video` paths start, relative to this file
    [[clips]]
    video = "footage/lunge/lunge_reverse_side_nowva.mp4"
    stretch = "standing_lunge"   # spec id the clip is scored against
    notes = "how it was labelled, what was unsure"
    intervals = [
      { start_s = 0.0, end_s = 1.0, in_position = false },
      { start_s = 1.5, end_s = 2.8, in_position = true, side = "right", checks = { torso_upright = true, knee_over_toes = false } },
    ]

Conventions:

- TOML inline tables must stay on one line (one interval a line); ``[[clips.intervals]]``
  tables work too.
- Time is seconds from the start of the clip (frame timestamps), ``start_s <= t < end_s``.
- Time inside no interval is *unlabelled* and ignored by scoring; so are checks an interval
  does not name. Leave out what you cannot judge rather than guess.
- A check truth of ``true`` means the check *should pass* (the form is fine); ``false`` means it
  should fail (a real fault).
- ``side`` is the stretched side (the subject's own left or right, as MediaPipe names them):
  ``"left"``, ``"right"``, ``"none"`` when no side is stretched, or ``"unsure"`` when a person
  cannot tell (scored nowhere, but on record). A clip-level ``side`` applies to every
  in-position interval that names none; ``side_how`` says how it was decided ("left knee down,
  nearer the camera, facing right") or why it could not be.
- ``valid`` (optional) says whether this time should count as valid hold. When left out it is
  ``in_position`` and every labelled required check passing (decided against the spec).
- ``stretch = "none"`` marks a *negative*: another exercise, pose or activity. ``--stretch
  auto`` should name no stretch on it and no spec should book hold time on it.
- ``motion`` (clip level): ``"hold"`` (held still; the default), ``"reps"`` (a moving exercise,
  e.g. lunge or split-squat reps) or ``"moving"`` (walking, flowing between poses). A clip that
  is ``reps`` or ``moving``, and every negative, must give **0 s of hold over its whole
  length**: its valid-hold truth is false everywhere, labelled or not (:attr:`ClipLabels.no_hold`).
- Intervals must lie inside the clip: :meth:`ClipLabels.check_duration` (run by ``score`` and
  ``tune`` once the clip's length is known) refuses one that starts at or after the end. A still
  image is one frame at t = 0: its intervals must start at 0.

Intervals of one clip must not overlap. Everything is validated on load, and errors name the
file, the clip and the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping, Sequence

import numpy as np

from posecheck.core.checks import Status
from posecheck.core.errors import PosecheckError

FORMAT = "posecheck-labels/1"
SIDES = ("left", "right", "none", "unsure")
NEGATIVE = "none"  # the stretch of a negative clip (and what --stretch auto should say)
MOTIONS = ("hold", "reps", "moving")
# An interval may end this far past the clip's last frame (labels are read off sampled frames
# and rounded). Seconds.
END_SLACK_S = 0.25
_INTERVAL_KEYS = {"start_s", "end_s", "in_position", "side", "checks", "valid", "note"}
_CLIP_KEYS = {"video", "stretch", "notes", "intervals", "view", "motion", "side", "side_how"}

# Per-frame truth codes used in arrays. A check's truth is the status it should have:
# TRUE pass, FALSE fail, UNLABELLED not judged (status_of_truth / truth_of_status).
UNLABELLED = -1
FALSE = 0
TRUE = 1
_TRUTH_OF_STATUS = {Status.PASS: TRUE, Status.FAIL: FALSE, Status.UNKNOWN: UNLABELLED}
_STATUS_OF_TRUTH = {v: k for k, v in _TRUTH_OF_STATUS.items()}


def truth_of_status(status: Status) -> int:
    """The truth code of a status: PASS -> TRUE, FAIL -> FALSE, UNKNOWN -> UNLABELLED."""
    return _TRUTH_OF_STATUS[status]


def status_of_truth(code: int) -> Status:
    """The status a truth code says a check should have (UNLABELLED -> UNKNOWN)."""
    return _STATUS_OF_TRUTH[int(code)]


class LabelError(PosecheckError):
    """A label file is malformed; the message names the file, clip and field."""


@dataclass(frozen=True)
class Interval:
    """One labelled stretch of time in a clip."""

    start_s: float
    end_s: float
    in_position: bool | None = None
    side: str | None = None
    checks: Mapping[str, bool] = field(default_factory=dict)
    valid: bool | None = None
    note: str = ""

    def __post_init__(self) -> None:
        if not (np.isfinite(self.start_s) and np.isfinite(self.end_s)):
            raise ValueError("start_s and end_s must be finite numbers of seconds")
        if self.start_s < 0 or self.end_s <= self.start_s:
            raise ValueError(f"needs 0 <= start_s < end_s, got [{self.start_s}, {self.end_s}]")
        if self.side is not None and self.side not in SIDES:
            raise ValueError(f"side must be one of {SIDES} or left out, got {self.side!r}")
        object.__setattr__(self, "checks", MappingProxyType(dict(self.checks)))

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Interval":
        unknown = set(data) - _INTERVAL_KEYS
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)}; allowed: {sorted(_INTERVAL_KEYS)}")
        for key in ("start_s", "end_s"):
            if key not in data:
                raise ValueError(f"missing {key} (seconds from the clip start)")
            if isinstance(data[key], bool) or not isinstance(data[key], (int, float)):
                raise ValueError(f"{key} must be a number of seconds, got {data[key]!r}")
        checks = data.get("checks", {})
        if not isinstance(checks, Mapping):
            raise ValueError("checks must be a table of check id = true/false")
        for name, value in checks.items():
            if not isinstance(value, bool):
                raise ValueError(f"checks.{name} must be true (should pass) or false "
                                 f"(should fail), got {value!r}")
        for key in ("in_position", "valid"):
            if key in data and not isinstance(data[key], bool):
                raise ValueError(f"{key} must be true or false, got {data[key]!r}")
        return cls(start_s=float(data["start_s"]), end_s=float(data["end_s"]),
                   in_position=data.get("in_position"), side=data.get("side"),
                   checks={str(k): bool(v) for k, v in checks.items()},
                   valid=data.get("valid"), note=str(data.get("note", "")))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"start_s": round(self.start_s, 3), "end_s": round(self.end_s, 3)}
        if self.in_position is not None:
            out["in_position"] = self.in_position
        if self.side is not None:
            out["side"] = self.side
        if self.checks:
            out["checks"] = dict(self.checks)
        if self.valid is not None:
            out["valid"] = self.valid
        if self.note:
            out["note"] = self.note
        return out


@dataclass(frozen=True)
class FrameTruth:
    """Labels sampled at a clip's frame times (codes: 1 true, 0 false, -1 unlabelled).

    Attributes:
        labelled: ``(T,)`` bool, the frame lies inside some interval.
        in_position: ``(T,)`` int8 truth of "in the stretch position".
        side: ``(T,)`` str, the labelled stretched side (``""`` when not given).
        checks: check id -> ``(T,)`` int8 truth that the check should pass.
        valid: ``(T,)`` int8 explicit valid-hold truth (``-1`` where the interval left it out).
    """

    labelled: np.ndarray
    in_position: np.ndarray
    side: np.ndarray
    checks: Mapping[str, np.ndarray]
    valid: np.ndarray

    def valid_truth(self, required: Sequence[str]) -> np.ndarray:
        """``(T,)`` int8 valid-hold truth: explicit ``valid`` where given, else in position with
        every labelled required check passing (-1 when in_position is unlabelled)."""
        out = np.where(self.in_position == TRUE, TRUE, self.in_position).astype(np.int8)
        for cid in required:
            truth = self.checks.get(cid)
            if truth is not None:
                out = np.where((out == TRUE) & (truth == FALSE), FALSE, out).astype(np.int8)
        return np.where(self.valid != UNLABELLED, self.valid, out).astype(np.int8)


@dataclass(frozen=True)
class ClipLabels:
    """The labels of one clip."""

    video: str
    stretch: str
    intervals: tuple[Interval, ...]
    notes: str = ""
    view: str = ""
    motion: str = ""  # "" = not said (read as "hold"); see MOTIONS
    side: str | None = None  # default side of the in-position intervals
    side_how: str = ""  # how the side was decided, or why it could not be

    def __post_init__(self) -> None:
        if not self.video:
            raise ValueError("video must name the clip (a path relative to the label root)")
        if not self.stretch:
            raise ValueError("stretch must be the id of the spec the clip is scored against, "
                             f"or {NEGATIVE!r} for a negative")
        if self.motion and self.motion not in MOTIONS:
            raise ValueError(f"motion must be one of {MOTIONS}, got {self.motion!r}")
        if self.side is not None and self.side not in SIDES:
            raise ValueError(f"side must be one of {SIDES} or left out, got {self.side!r}")
        ordered = tuple(sorted(self.intervals, key=lambda iv: iv.start_s))
        for a, b in zip(ordered, ordered[1:]):
            if b.start_s < a.end_s - 1e-9:
                raise ValueError(f"intervals [{a.start_s}, {a.end_s}] and [{b.start_s}, "
                                 f"{b.end_s}] overlap; split or merge them")
        object.__setattr__(self, "intervals", ordered)

    @property
    def negative(self) -> bool:
        """Another exercise or pose, not one of our stretches."""
        return self.stretch == NEGATIVE

    @property
    def no_hold(self) -> bool:
        """No hold time is right anywhere in the clip (a negative, reps or movement)."""
        return self.negative or self.motion in ("reps", "moving")

    @property
    def sure_side(self) -> str | None:
        """The one left/right side a person labelled on the in-position time, or None (not
        labelled, unsure, or both sides in one clip)."""
        sides = {iv.side if iv.side is not None else self.side
                 for iv in self.intervals if iv.in_position}
        return sides.pop() if len(sides) == 1 and sides <= {"left", "right"} else None

    def check_duration(self, duration_s: float, is_image: bool = False,
                       source: str = "<labels>") -> None:
        """Refuse intervals outside the clip (``duration_s``: the clip's length in seconds).

        Raises :class:`LabelError` naming the label file, the clip and the interval.
        """
        for i, iv in enumerate(self.intervals):
            if is_image:
                bad = iv.start_s > 0.0
                why = "a still image is one frame at t = 0 s: start the interval at 0"
            else:
                bad = iv.start_s >= duration_s or iv.end_s > duration_s + END_SLACK_S
                why = (f"the clip is {duration_s:.2f} s long: keep intervals inside "
                       f"0-{duration_s:.2f} s")
            if bad:
                raise LabelError(f"{source}: clip {self.video!r}: intervals[{i}] "
                                 f"[{iv.start_s:g}, {iv.end_s:g}] s lies outside the clip; {why}")

    @property
    def check_ids(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for iv in self.intervals:
            seen.update(dict.fromkeys(iv.checks))
        return tuple(seen)

    @property
    def labelled_s(self) -> float:
        return float(sum(iv.duration_s for iv in self.intervals))

    def at_times(self, t_s: np.ndarray) -> FrameTruth:
        """Sample the labels at frame times ``t_s`` (seconds, shape ``(T,)``)."""
        t = np.asarray(t_s, dtype=np.float64)
        n = len(t)
        labelled = np.zeros(n, bool)
        in_pos = np.full(n, UNLABELLED, np.int8)
        valid = np.full(n, UNLABELLED, np.int8)
        side = np.full(n, "", dtype=object)
        checks = {cid: np.full(n, UNLABELLED, np.int8) for cid in self.check_ids}
        for iv in self.intervals:
            m = (t >= iv.start_s) & (t < iv.end_s)
            labelled |= m
            if iv.in_position is not None:
                in_pos[m] = int(iv.in_position)
            if iv.valid is not None:
                valid[m] = int(iv.valid)
            sd = iv.side if iv.side is not None else (self.side if iv.in_position else None)
            if sd is not None:
                side[m] = sd
            for cid, truth in iv.checks.items():
                checks[cid][m] = int(truth)
        if self.no_hold:  # no hold is right anywhere in the clip, labelled or not
            labelled[:] = True
            valid[:] = FALSE
        return FrameTruth(labelled=labelled, in_position=in_pos, side=side,
                          checks=MappingProxyType(checks), valid=valid)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "ClipLabels":
        unknown = set(data) - _CLIP_KEYS
        if unknown:
            raise ValueError(f"unknown keys {sorted(unknown)}; allowed: {sorted(_CLIP_KEYS)}")
        raw = data.get("intervals", [])
        if not isinstance(raw, Sequence) or isinstance(raw, (str, bytes)):
            raise ValueError("intervals must be a list of tables")
        intervals = []
        for i, item in enumerate(raw):
            if not isinstance(item, Mapping):
                raise ValueError(f"intervals[{i}] must be a table")
            try:
                intervals.append(Interval.from_dict(item))
            except ValueError as exc:
                raise ValueError(f"intervals[{i}]: {exc}") from None
        side = data.get("side")
        return cls(video=str(data.get("video", "")), stretch=str(data.get("stretch", "")),
                   intervals=tuple(intervals), notes=str(data.get("notes", "")),
                   view=str(data.get("view", "")), motion=str(data.get("motion", "")),
                   side=None if side is None else str(side),
                   side_how=str(data.get("side_how", "")))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"video": self.video, "stretch": self.stretch}
        if self.view:
            out["view"] = self.view
        if self.motion:
            out["motion"] = self.motion
        if self.side is not None:
            out["side"] = self.side
        if self.side_how:
            out["side_how"] = self.side_how
        if self.notes:
            out["notes"] = self.notes
        out["intervals"] = [iv.to_dict() for iv in self.intervals]
        return out
