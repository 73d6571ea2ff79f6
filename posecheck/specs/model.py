"""Stretch specs: every pose threshold posecheck uses, loaded and validated from ``pose_specs/``.

One TOML file per stretch (``pose_specs/<id>.toml``). Loading checks everything a person can
get wrong when editing one (unknown keys, unknown metric names, a unit that does not match the
metric, ``min > max``, negative times, ...) and raises :class:`~posecheck.core.errors.SpecError`
naming the file, the field and the fix. The dataclasses are frozen; tuning makes new ones with
:meth:`StretchSpec.with_thresholds`.

File layout (see ``pose_specs/deep_lunge.toml`` for a complete example and
``docs/CHECKS.md`` for what each metric measures)::

    id, name, description, view, posture, stretched_leg, sides, timer_only, cautions
    [parts]        words for the two legs in cues ("back"/"front", "straight"/"bent", ...)
    [view_detect]  side-view threshold on view_width_ratio
    [side_detect]  hysteresis of the automatic stretched-side choice
    [visibility]   landmark visibility / presence needed to measure
    [hold]         target_s, max_s, reps, rest_s, debounce_s, grace_s, max_motion,
                   motion_window_s (stillness, see posecheck.core.motion)
    [smoothing]    One Euro (live) and zero-phase (batch) settings
    [cues]         position / view / hold texts
    [[pose]]       recognition conditions ("in position"): metric ranges, all must hold
    [[checks]]     form checks: metric range, hysteresis, required/advisory, priority, cues
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Mapping

from posecheck.core.errors import SpecError
from posecheck.core.metrics import METRICS, OUTLINE_METRICS
from posecheck.core.motion import StillnessSettings

# A folder of the user's own specs, used instead of the bundled ones (``posecheck --specs DIR``
# sets it, so batch workers and the page see it too).
ENV_SPECS = "POSECHECK_SPECS"

VIEWS = ("side", "front", "any")
# The camera views a check may declare it can be judged from (CheckSpec.views).
CHECK_VIEWS = ("side", "oblique", "front")
POSTURES = ("standing", "kneeling", "seated", "supine", "prone", "side_lying", "lying")
# How the stretched leg is told apart from the other one (see body.leg_scores).
STRETCHED_LEG_RULES = ("back", "kneeling", "straight", "hanging", "top", "both", "none")
SIDE_NAMES = ("left", "right", "both")
UNITS = ("deg", "ratio")


def _fail(source: str, fld: str, problem: str, fix: str) -> SpecError:
    return SpecError(f"{source}: field '{fld}': {problem}. Fix: {fix}")


def _check_keys(table: Mapping[str, Any], allowed: set[str], source: str, where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise _fail(source, f"{where}{unknown[0]}", "unknown key",
                    f"remove it or use one of: {', '.join(sorted(allowed))}")


def _num(table: Mapping[str, Any], key: str, source: str, where: str, *,
         default: float | None = None, minimum: float | None = 0.0,
         allow_none: bool = False) -> float | None:
    fld = f"{where}{key}"
    if key not in table:
        if default is None and not allow_none:
            raise _fail(source, fld, "missing", "add it (a number)")
        return default
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(source, fld, f"must be a number, got {value!r}", "write a plain number")
    value = float(value)
    if not math.isfinite(value):
        raise _fail(source, fld, f"must be finite, got {value}", "write a finite number")
    if minimum is not None and value < minimum:
        raise _fail(source, fld, f"must be >= {minimum:g}, got {value:g}",
                    f"use a value of at least {minimum:g}")
    return value


def _int(table: Mapping[str, Any], key: str, source: str, where: str, default: int,
         minimum: int = 1) -> int:
    fld = f"{where}{key}"
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(source, fld, f"must be a whole number, got {value!r}", "write e.g. 3")
    if value < minimum:
        raise _fail(source, fld, f"must be >= {minimum}, got {value}", f"use {minimum} or more")
    return value


def _str(table: Mapping[str, Any], key: str, source: str, where: str, *,
         default: str | None = None, choices: tuple[str, ...] | None = None) -> str:
    fld = f"{where}{key}"
    if key not in table:
        if default is None:
            raise _fail(source, fld, "missing", "add it (a quoted string)")
        return default
    value = table[key]
    if not isinstance(value, str):
        raise _fail(source, fld, f"must be a string, got {value!r}", "quote it")
    if choices is not None and value not in choices:
        raise _fail(source, fld, f"unknown value {value!r}", f"use one of: {', '.join(choices)}")
    return value


def _bool(table: Mapping[str, Any], key: str, source: str, where: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise _fail(source, f"{where}{key}", f"must be true or false, got {value!r}",
                    "write true or false (no quotes)")
    return value


def _str_list(table: Mapping[str, Any], key: str, source: str, where: str,
              default: tuple[str, ...] = ()) -> tuple[str, ...]:
    value = table.get(key, list(default))
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(source, f"{where}{key}", f"must be a list of strings, got {value!r}",
                    'write e.g. ["one", "two"]')
    return tuple(value)


def _table(data: Mapping[str, Any], key: str, source: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise _fail(source, key, "must be a table", f"write it as [{key}]")
    return value


# ---------------------------------------------------------------------------- settings
@dataclass(frozen=True)
class HoldSettings:
    """How long, how often and how forgivingly a stretch is held (all times in seconds)."""

    target_s: float = 30.0     # valid hold time that completes one rep
    max_s: float = 60.0        # upper end of the guide's range; holding longer is not needed
    reps: int = 1              # holds per side
    sides: tuple[str, ...] = ("left", "right")
    rest_s: float = 10.0       # suggested rest between reps / sides
    debounce_s: float = 0.5    # a state must last this long before the timer believes it
    grace_s: float = 1.5       # a short break of form/pose inside a hold does not end it
    reps_max: int = 0          # upper end of a rep range (0 = same as reps)
    per_day: int = 0           # how many times a day the guide suggests (0 = not stated)
    max_frame_gap_s: float = 0.5  # a longer gap between frames (dropout) adds no time
    # Stillness (posecheck.core.motion.StillnessSettings): body lengths per second over a trailing
    # window of motion_window_s seconds; None = the hold does not ask for stillness.
    max_motion: float | None = StillnessSettings.max_motion
    motion_window_s: float = StillnessSettings.window_s
    source: str = ""

    def __post_init__(self) -> None:
        src = self.source or "HoldSettings"
        for name in ("target_s", "max_s", "rest_s", "debounce_s", "grace_s", "max_frame_gap_s"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise _fail(src, f"hold.{name}", f"must be a time >= 0 s, got {value!r}",
                            "use a non-negative number of seconds")
        if self.target_s <= 0:
            raise _fail(src, "hold.target_s", "must be > 0", "give the hold target in seconds")
        if self.max_s < self.target_s:
            raise _fail(src, "hold.max_s", f"{self.max_s:g} s is below target_s "
                        f"{self.target_s:g} s", "make max_s >= target_s")
        if self.reps < 1:
            raise _fail(src, "hold.reps", f"must be >= 1, got {self.reps}", "use 1 or more")
        if self.reps_max and self.reps_max < self.reps:
            raise _fail(src, "hold.reps_max", f"{self.reps_max} is below reps {self.reps}",
                        "make reps_max >= reps (or 0)")
        if not self.sides or any(s not in SIDE_NAMES for s in self.sides):
            raise _fail(src, "sides", f"bad sides {self.sides!r}",
                        'use ["left", "right"] or ["both"]')
        try:
            StillnessSettings.from_spec(self)
        except ValueError as exc:
            raise _fail(src, "hold.max_motion" if "max_motion" in str(exc)
                        else "hold.motion_window_s", str(exc),
                        "give max_motion in body lengths per second (> 0) and "
                        "motion_window_s in seconds (> 0)") from None


@dataclass(frozen=True)
class SmoothingSettings:
    """Landmark smoothing. Live: One Euro filter on pixel xy; batch: zero-phase low-pass."""

    one_euro_min_cutoff_hz: float = 1.0   # Hz, cutoff at rest: lower = steadier, more lag
    one_euro_beta: float = 5.0            # Hz per (frame heights/s): cutoff opening with speed
    one_euro_d_cutoff_hz: float = 1.0     # Hz, cutoff of the speed estimate
    batch_cutoff_hz: float = 3.0          # Hz, zero-phase low-pass cutoff over a whole track
    max_gap_s: float = 0.5                # s, gaps up to this long are interpolated (batch)
    source: str = ""

    def __post_init__(self) -> None:
        src = self.source or "SmoothingSettings"
        for f in fields(self):
            if f.name == "source":
                continue
            value = getattr(self, f.name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise _fail(src, f"smoothing.{f.name}", f"must be >= 0, got {value!r}",
                            "use a non-negative number")
        for name in ("one_euro_min_cutoff_hz", "one_euro_d_cutoff_hz", "batch_cutoff_hz"):
            if getattr(self, name) <= 0:
                raise _fail(src, f"smoothing.{name}", "must be > 0 Hz", "use e.g. 1.0")


@dataclass(frozen=True)
class VisibilitySettings:
    """A landmark below either threshold is 'not seen': checks using it become UNKNOWN."""

    min_visibility: float = 0.5   # MediaPipe visibility, 0..1
    min_presence: float = 0.5     # MediaPipe presence (inside the frame), 0..1


@dataclass(frozen=True)
class ViewSettings:
    """Side vs front view from view_width_ratio (shoulder/hip width over torso length)."""

    side_max_ratio: float = 0.6    # ratio, at or below this the camera sees the body side-on
    hysteresis: float = 0.05       # ratio, band around side_max_ratio against flicker
    # ratio; a "side" view (by side_max_ratio) wider than this is "oblique" for the checks
    # that declare their views (CheckSpec.views): 0-0.35 reads side-on, 0.7-1 facing
    oblique_min_ratio: float = 0.35


@dataclass(frozen=True)
class SideDetectSettings:
    """Automatic choice of the stretched side, with hysteresis so noise does not flip it."""

    switch_margin: float = 0.15   # score units (body-length ratios): lead needed to switch
    switch_debounce_s: float = 1.5  # s, the other side must lead this long before a switch


@dataclass(frozen=True)
class CheckSpec:
    """One metric range. Used both for form checks and for recognition conditions.

    ``min``/``max`` are in ``unit`` (None = unbounded on that side). ``hysteresis`` (same
    unit) widens the band for a check that is passing and narrows it for one that is failing,
    so a value hovering on a threshold does not flicker. ``priority``: 1 is most important;
    it breaks ties between cues, since the largest violation is named first. ``safety``: the
    check protects the body (over-arched low back, knee far past the toes); its cue comes
    before every other form cue. ``views``: the camera views (:data:`CHECK_VIEWS`) the check
    can be judged from; in any other view it is UNKNOWN with the setup cue, never a form cue
    (empty: any view the spec accepts). ``fault``: what a failing check means in words
    ("torso leaning"), used where time lost is summed up; ``label`` is the pass wording.
    """

    id: str
    metric: str
    min: float | None
    max: float | None
    unit: str
    hysteresis: float = 0.0
    required: bool = True
    priority: int = 5
    safety: bool = False
    cue_low: str = ""
    cue_high: str = ""
    label: str = ""
    why: str = ""
    views: tuple[str, ...] = ()
    fault: str = ""   # the fault in words ("torso leaning"), for summaries; never the pass label
    # Judged instead when ``metric`` cannot be measured (e.g. the outline arch without a
    # mask): same id and cues, its own metric, band and hysteresis.
    fallback: "CheckSpec | None" = None

    def judged_in(self, view: str | None) -> bool:
        """The check can be judged from this view (None = unknown view: not blocked)."""
        return not self.views or view is None or view in self.views

    def margin(self, value: float) -> float:
        """Signed distance (in ``unit``) to the nearest threshold; > 0 inside the band."""
        lo = math.inf if self.min is None else value - self.min
        hi = math.inf if self.max is None else self.max - value
        return float(min(lo, hi))


@dataclass(frozen=True)
class FeedbackSettings:
    """Cue hysteresis (read by feedback.CueSelector)."""

    min_show_s: float = 1.0      # s, a shown cue stays at least this long
    switch_margin: float = 0.25  # normalised severity lead a same-priority cue needs to replace it


@dataclass(frozen=True)
class CueTexts:
    get_in_position: str = "Get into position"
    turn_side_on: str = "Turn side-on to the camera"
    face_camera: str = "Face the camera"
    step_into_view: str = "Step into view so I can see your whole body"
    good: str = "Good - hold it"
    hold_still: str = "Hold still"


@dataclass(frozen=True)
class StretchSpec:
    id: str
    name: str
    description: str
    view: str
    posture: str
    stretched_leg: str
    sides: tuple[str, ...]
    timer_only: bool
    checks: tuple[CheckSpec, ...]
    pose: tuple[CheckSpec, ...]
    hold: HoldSettings
    smoothing: SmoothingSettings
    visibility: VisibilitySettings = VisibilitySettings()
    view_detect: ViewSettings = ViewSettings()
    side_detect: SideDetectSettings = SideDetectSettings()
    parts: Mapping[str, str] = field(default_factory=lambda: {"stretched": "stretched",
                                                               "other": "other"})
    cues: CueTexts = CueTexts()
    feedback: FeedbackSettings = FeedbackSettings()
    cautions: tuple[str, ...] = ()
    source_path: str = ""

    @property
    def conditions(self) -> tuple[CheckSpec, ...]:
        """Alias: the recognition ("in position") conditions."""
        return self.pose

    @property
    def metric_names(self) -> tuple[str, ...]:
        """Every metric the spec needs (conditions first), without repeats."""
        seen: dict[str, None] = {}
        for c in (*self.pose, *self.checks):
            seen.setdefault(c.metric, None)
            if c.fallback is not None:
                seen.setdefault(c.fallback.metric, None)
        return tuple(seen)

    @property
    def needs_outline(self) -> bool:
        """A metric of the spec is measured on the person mask's outline (the estimator must
        be asked for the mask)."""
        return any(m in OUTLINE_METRICS for m in self.metric_names)

    def check(self, check_id: str) -> CheckSpec:
        for c in self.checks:
            if c.id == check_id:
                return c
        raise KeyError(f"{self.id}: no check {check_id!r}; checks: "
                       f"{', '.join(c.id for c in self.checks)}")

    def with_thresholds(self, thresholds: Mapping[str, Mapping[str, float | None]]
                        ) -> "StretchSpec":
        """A copy with some checks' (or conditions') ``min``/``max``/``hysteresis`` replaced.

        ``thresholds`` maps a check id (or a ``pose`` condition id) to ``{"min": x, "max": y}``;
        keys left out keep their value. Raises SpecError for unknown ids or ``min > max``.
        """
        src = f"{self.source_path or self.id} (with_thresholds)"
        known = {c.id for c in (*self.checks, *self.pose)}
        for cid, new in thresholds.items():
            if cid not in known:
                raise _fail(src, cid, "no such check", f"use one of: {', '.join(sorted(known))}")
            bad = set(new) - {"min", "max", "hysteresis"}
            if bad:
                raise _fail(src, f"{cid}.{sorted(bad)[0]}", "cannot be tuned",
                            "give only min, max or hysteresis")

        def apply(c: CheckSpec) -> CheckSpec:
            if c.id not in thresholds:
                return c
            new = dict(thresholds[c.id])
            out = replace(c, **{k: (None if v is None else float(v)) for k, v in new.items()})
            _validate_range(out, src, f"{c.id}.")
            return out

        return replace(self, checks=tuple(apply(c) for c in self.checks),
                       pose=tuple(apply(c) for c in self.pose))


# ---------------------------------------------------------------------------- loading
_TOP_KEYS = {"id", "name", "description", "view", "posture", "stretched_leg", "sides",
             "timer_only", "cautions", "parts", "view_detect", "side_detect", "visibility",
             "hold", "smoothing", "cues", "feedback", "pose", "checks", "variant_of",
             "notes"}
_FALLBACK_KEYS = {"metric", "min", "max", "unit", "hysteresis"}
_CHECK_KEYS = {"fallback", "id", "metric", "min", "max", "unit", "hysteresis", "required", "priority",
               "safety", "cue_low", "cue_high", "label", "why", "views", "fault"}
_COND_KEYS = {"id", "metric", "min", "max", "unit", "hysteresis", "label", "why", "cue_low",
              "cue_high"}


def _validate_range(c: CheckSpec, source: str, where: str) -> None:
    if c.min is None and c.max is None:
        raise _fail(source, f"{where}min", "both min and max are missing",
                    "give at least one threshold")
    if c.min is not None and c.max is not None and c.min > c.max:
        raise _fail(source, f"{where}min", f"min {c.min:g} > max {c.max:g}",
                    "swap them or fix the typo")
    if c.hysteresis < 0:
        raise _fail(source, f"{where}hysteresis", "must be >= 0", "use 0 or a positive number")
    if c.min is not None and c.max is not None and 2 * c.hysteresis >= (c.max - c.min) > 0:
        raise _fail(source, f"{where}hysteresis",
                    f"{c.hysteresis:g} is too wide for the band {c.min:g}..{c.max:g}",
                    "make it less than half the band")


def _parse_range(raw: Any, source: str, where: str, keys: set[str], is_check: bool) -> CheckSpec:
    if not isinstance(raw, dict):
        raise _fail(source, where.rstrip("."), "must be a table", "write it as [[...]]")
    _check_keys(raw, keys, source, where)
    cid = _str(raw, "id", source, where)
    where = f"{where[:-1]}({cid})."
    metric = _str(raw, "metric", source, where)
    if metric not in METRICS:
        raise _fail(source, f"{where}metric", f"unknown metric {metric!r}",
                    "use a name listed by docs/CHECKS.md (posecheck.core.metrics.METRICS)")
    if "unit" not in raw:
        raise _fail(source, f"{where}unit", "missing unit",
                    f"add unit = \"{METRICS[metric].unit}\" (the unit of {metric})")
    unit = _str(raw, "unit", source, where, choices=UNITS)
    if unit != METRICS[metric].unit:
        raise _fail(source, f"{where}unit", f"{metric} is measured in {METRICS[metric].unit!r}, "
                    f"not {unit!r}", f"write unit = \"{METRICS[metric].unit}\" and thresholds "
                    "in that unit")
    c = CheckSpec(
        id=cid, metric=metric,
        min=_num(raw, "min", source, where, minimum=None, allow_none=True),
        max=_num(raw, "max", source, where, minimum=None, allow_none=True),
        unit=unit,
        hysteresis=float(_num(raw, "hysteresis", source, where, default=0.0)),
        required=_bool(raw, "required", source, where, True) if is_check else True,
        priority=_int(raw, "priority", source, where, 5) if is_check else 0,
        safety=_bool(raw, "safety", source, where, False) if is_check else False,
        cue_low=_str(raw, "cue_low", source, where, default=""),
        cue_high=_str(raw, "cue_high", source, where, default=""),
        label=_str(raw, "label", source, where, default=cid.replace("_", " ")),
        why=_str(raw, "why", source, where, default=""),
        views=_str_list(raw, "views", source, where) if is_check else (),
        fault=_str(raw, "fault", source, where, default="") if is_check else "",
    )
    if is_check and "fallback" in raw:
        c = replace(c, fallback=_parse_fallback(raw["fallback"], c, source, f"{where}fallback."))
    bad = [v for v in c.views if v not in CHECK_VIEWS]
    if bad:
        raise _fail(source, f"{where}views", f"unknown view {bad[0]!r}",
                    f"use some of {list(CHECK_VIEWS)}")
    _validate_range(c, source, where)
    if is_check and c.min is not None and not c.cue_low:
        raise _fail(source, f"{where}cue_low", "missing (the check has a min)",
                    "add the cue to say when the value is too low")
    if is_check and c.max is not None and not c.cue_high:
        raise _fail(source, f"{where}cue_high", "missing (the check has a max)",
                    "add the cue to say when the value is too high")
    return c


def _parse_fallback(raw: Any, check: CheckSpec, source: str, where: str) -> CheckSpec:
    """A check's ``fallback`` table: the check again with another metric and band."""
    if not isinstance(raw, dict):
        raise _fail(source, where.rstrip("."), "must be a table",
                    "write it as fallback = { metric = ..., max = ..., unit = ... }")
    _check_keys(raw, _FALLBACK_KEYS, source, where)
    metric = _str(raw, "metric", source, where)
    if metric not in METRICS:
        raise _fail(source, f"{where}metric", f"unknown metric {metric!r}",
                    "use a name listed by docs/CHECKS.md (posecheck.core.metrics.METRICS)")
    unit = _str(raw, "unit", source, where, choices=UNITS)
    if unit != METRICS[metric].unit:
        raise _fail(source, f"{where}unit", f"{metric} is measured in {METRICS[metric].unit!r}",
                    f"write unit = \"{METRICS[metric].unit}\"")
    fb = replace(check, metric=metric, unit=unit,
                 min=_num(raw, "min", source, where, minimum=None, allow_none=True),
                 max=_num(raw, "max", source, where, minimum=None, allow_none=True),
                 hysteresis=float(_num(raw, "hysteresis", source, where, default=0.0)))
    _validate_range(fb, source, where)
    return fb


def spec_from_dict(data: Mapping[str, Any], source: str = "<spec>") -> StretchSpec:
    """Validate a parsed spec table and build the :class:`StretchSpec`."""
    _check_keys(data, _TOP_KEYS, source, "")
    sid = _str(data, "id", source, "")
    if not sid.replace("_", "").isalnum() or sid != sid.lower():
        raise _fail(source, "id", f"{sid!r} is not a lower_snake_case id", "use e.g. deep_lunge")
    name = _str(data, "name", source, "")
    description = _str(data, "description", source, "")
    view = _str(data, "view", source, "", choices=VIEWS)
    posture = _str(data, "posture", source, "", choices=POSTURES)
    rule = _str(data, "stretched_leg", source, "", choices=STRETCHED_LEG_RULES)
    sides = _str_list(data, "sides", source, "")
    if not sides or any(s not in SIDE_NAMES for s in sides):
        raise _fail(source, "sides", f"bad value {list(sides)!r}",
                    'use ["left", "right"] for one-sided stretches or ["both"]')
    if (rule in ("both", "none")) != (sides == ("both",)):
        raise _fail(source, "sides", f"{list(sides)!r} does not fit stretched_leg = {rule!r}",
                    'use ["both"] exactly when stretched_leg is "both" or "none"')
    timer_only = _bool(data, "timer_only", source, "", False)
    cautions = _str_list(data, "cautions", source, "")
    if not cautions:
        raise _fail(source, "cautions", "missing", "add the guide's safety notes (never pain, ...)")

    parts_raw = _table(data, "parts", source)
    _check_keys(parts_raw, {"stretched", "other"}, source, "parts.")
    parts = {"stretched": _str(parts_raw, "stretched", source, "parts.", default="stretched"),
             "other": _str(parts_raw, "other", source, "parts.", default="other")}

    vd = _table(data, "view_detect", source)
    _check_keys(vd, {"side_max_ratio", "hysteresis", "oblique_min_ratio"}, source,
                "view_detect.")
    view_detect = ViewSettings(
        side_max_ratio=float(_num(vd, "side_max_ratio", source, "view_detect.", default=0.6)),
        hysteresis=float(_num(vd, "hysteresis", source, "view_detect.", default=0.05)),
        oblique_min_ratio=float(_num(vd, "oblique_min_ratio", source, "view_detect.",
                                     default=ViewSettings.oblique_min_ratio)))

    sd = _table(data, "side_detect", source)
    _check_keys(sd, {"switch_margin", "switch_debounce_s"}, source, "side_detect.")
    side_detect = SideDetectSettings(
        switch_margin=float(_num(sd, "switch_margin", source, "side_detect.", default=0.15)),
        switch_debounce_s=float(_num(sd, "switch_debounce_s", source, "side_detect.",
                                     default=1.5)))

    vis = _table(data, "visibility", source)
    _check_keys(vis, {"min_visibility", "min_presence"}, source, "visibility.")
    visibility = VisibilitySettings(
        min_visibility=float(_num(vis, "min_visibility", source, "visibility.", default=0.5)),
        min_presence=float(_num(vis, "min_presence", source, "visibility.", default=0.5)))
    for k in ("min_visibility", "min_presence"):
        if getattr(visibility, k) > 1:
            raise _fail(source, f"visibility.{k}", "must be in 0..1", "use e.g. 0.5")

    hold_raw = _table(data, "hold", source)
    hold_keys = {"target_s", "max_s", "reps", "reps_max", "rest_s", "debounce_s", "grace_s",
                 "per_day", "max_frame_gap_s", "max_motion", "motion_window_s"}
    _check_keys(hold_raw, hold_keys, source, "hold.")
    target = _num(hold_raw, "target_s", source, "hold.")
    hold = HoldSettings(
        target_s=float(target),
        max_s=float(_num(hold_raw, "max_s", source, "hold.", default=target)),
        reps=_int(hold_raw, "reps", source, "hold.", 1),
        reps_max=_int(hold_raw, "reps_max", source, "hold.", 0, minimum=0),
        sides=sides,
        rest_s=float(_num(hold_raw, "rest_s", source, "hold.", default=10.0)),
        debounce_s=float(_num(hold_raw, "debounce_s", source, "hold.", default=0.5)),
        grace_s=float(_num(hold_raw, "grace_s", source, "hold.", default=1.5)),
        per_day=_int(hold_raw, "per_day", source, "hold.", 0, minimum=0),
        max_frame_gap_s=float(_num(hold_raw, "max_frame_gap_s", source, "hold.", default=0.5)),
        max_motion=(None if "max_motion" not in hold_raw
                    else float(_num(hold_raw, "max_motion", source, "hold."))),
        motion_window_s=float(_num(hold_raw, "motion_window_s", source, "hold.",
                                   default=StillnessSettings.window_s)),
        source=source)

    sm = _table(data, "smoothing", source)
    _check_keys(sm, {f.name for f in fields(SmoothingSettings)} - {"source"}, source,
                "smoothing.")
    smoothing = SmoothingSettings(
        **{k: float(_num(sm, k, source, "smoothing.", default=getattr(SmoothingSettings, k)))
           for k in sm}, source=source)

    cues_raw = _table(data, "cues", source)
    _check_keys(cues_raw, {f.name for f in fields(CueTexts)}, source, "cues.")
    cues = CueTexts(**{k: _str(cues_raw, k, source, "cues.") for k in cues_raw})

    fb = _table(data, "feedback", source)
    _check_keys(fb, {"min_show_s", "switch_margin"}, source, "feedback.")
    feedback = FeedbackSettings(
        min_show_s=float(_num(fb, "min_show_s", source, "feedback.", default=1.0)),
        switch_margin=float(_num(fb, "switch_margin", source, "feedback.", default=0.25)))

    pose_raw = data.get("pose", [])
    checks_raw = data.get("checks", [])
    if not isinstance(pose_raw, list) or not isinstance(checks_raw, list):
        raise _fail(source, "pose" if not isinstance(pose_raw, list) else "checks",
                    "must be an array of tables", "write each entry as [[pose]] / [[checks]]")
    pose = tuple(_parse_range(r, source, "pose.", _COND_KEYS, False) for r in pose_raw)
    checks = tuple(_parse_range(r, source, "checks.", _CHECK_KEYS, True) for r in checks_raw)
    if not pose:
        raise _fail(source, "pose", "no recognition conditions",
                    "add at least one [[pose]] entry saying how to tell the person is in position")
    if timer_only and checks:
        raise _fail(source, "checks", "a timer_only spec must not have checks",
                    "remove the [[checks]] or set timer_only = false")
    if not timer_only and not checks:
        raise _fail(source, "checks", "no checks", "add [[checks]] or set timer_only = true")
    ids = [c.id for c in (*pose, *checks)]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise _fail(source, dup[0], "duplicate id", "give every check and condition its own id")

    return StretchSpec(id=sid, name=name, description=description, view=view, posture=posture,
                       stretched_leg=rule, sides=sides, timer_only=timer_only, checks=checks,
                       pose=pose, hold=hold, smoothing=smoothing, visibility=visibility,
                       view_detect=view_detect, side_detect=side_detect, parts=parts,
                       cues=cues, feedback=feedback, cautions=cautions, source_path=source)


def bundled_spec_dir() -> Path:
    """The specs shipped with posecheck: the package data ``posecheck.pose_specs`` (the
    repository's ``pose_specs/`` folder in an editable install)."""
    from importlib import resources

    root = resources.files("posecheck.pose_specs")
    if not isinstance(root, Path):  # only a zipped install would do this
        raise SpecError(f"the bundled specs are not a folder on disk ({root}). Fix: install "
                        f"posecheck unzipped (pip install), or set {ENV_SPECS} to a spec folder")
    return root


def spec_dir() -> Path:
    """The spec folder in use: ``$POSECHECK_SPECS`` when set, else :func:`bundled_spec_dir`.

    ``SPEC_DIR`` (a module attribute) is the same value, read when it is asked for.
    """
    custom = os.environ.get(ENV_SPECS)
    if not custom:
        return bundled_spec_dir()
    folder = Path(custom).expanduser().resolve()
    if not folder.is_dir():
        raise SpecError(f"spec folder {folder} (from --specs or {ENV_SPECS}) is not a folder. "
                        f"Fix: give a folder of <id>.toml spec files, or unset {ENV_SPECS} to "
                        "use the bundled specs")
    return folder


def __getattr__(name: str) -> Any:
    # SPEC_DIR follows spec_dir(), so a --specs folder chosen after import is the one used.
    if name == "SPEC_DIR":
        return spec_dir()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_spec(name_or_path: str | Path) -> StretchSpec:
    """Load a spec by id (``"deep_lunge"``, from :func:`spec_dir`) or by file path.

    An id is a plain file name without ``.toml``; one that reaches outside the spec folder
    (``../x``, ``a/b``) is an error rather than a file somewhere else.
    """
    text = str(name_or_path)
    path = Path(text)
    folder = spec_dir()
    if not (text.endswith(".toml") or path.is_file()):
        if text in ("", ".", "..") or path.name != text or "\\" in text:
            raise SpecError(f"stretch id {text!r} names a file outside the spec folder "
                            f"{folder}. Fix: give a plain id (one of: {', '.join(list_specs())})"
                            " or the path of a .toml file")
        path = folder / f"{text}.toml"
        if not path.is_file():
            raise SpecError(f"unknown stretch {text!r}. Fix: use one of: "
                            f"{', '.join(list_specs())} (or give a .toml path)")
    if not path.is_file():
        raise SpecError(f"{path}: spec file not found. Fix: check the path")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML ({exc}). Fix: correct the syntax there") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path}: cannot be read ({exc}). Fix: check the file") from None
    spec = spec_from_dict(data, str(path))
    if path.resolve().parent == folder.resolve() and path.stem != spec.id:
        raise _fail(str(path), "id", f"{spec.id!r} differs from the file name {path.stem!r}",
                    "make the file name <id>.toml")
    return spec


def list_specs() -> list[str]:
    """Ids of the specs in the spec folder (:func:`spec_dir`), sorted."""
    return sorted(p.stem for p in spec_dir().glob("*.toml"))
