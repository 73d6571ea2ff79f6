"""The typed stretch spec: every pose threshold posecheck uses, as frozen dataclasses.

:class:`StretchSpec` is what the rest of posecheck reads. Its settings are the owning modules'
own dataclasses (``hold``: :class:`~posecheck.core.hold.HoldSettings`, ``smoothing``:
:class:`~posecheck.core.smoothing.SmoothingSettings`, ``feedback``:
:class:`~posecheck.core.feedback.FeedbackSettings`, ``visibility``:
:class:`~posecheck.core.pose.VisibilitySettings`), each with its defaults written once there.
Pure dataclasses (core imports this module): reading and validating ``pose_specs/*.toml`` is
:mod:`posecheck.specs.parse`. Tuning makes new specs with :meth:`StretchSpec.with_thresholds`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Mapping

from posecheck.core.errors import SpecError, check_number
from posecheck.core.feedback import FeedbackSettings
from posecheck.core.hold import BOTH, SIDES, HoldSettings
from posecheck.core.metrics import OUTLINE_METRICS
from posecheck.core.pose import VisibilitySettings
from posecheck.core.reps import RepSettings
from posecheck.core.smoothing import SmoothingSettings

VIEWS = ("side", "front", "any")
# The camera views a check may declare it can be judged from (CheckSpec.views).
CHECK_VIEWS = ("side", "oblique", "front")
POSTURES = ("standing", "kneeling", "seated", "supine", "prone", "side_lying", "lying")
# How the stretched leg is told apart from the other one (see body.leg_scores).
STRETCHED_LEG_RULES = ("back", "kneeling", "straight", "hanging", "top", "both", "none")
SIDE_NAMES = (*SIDES, BOTH)
UNITS = ("deg", "ratio")


@dataclass(frozen=True)
class ViewSettings:
    """Side vs front view from view_width_ratio (shoulder/hip width over torso length)."""

    side_max_ratio: float = 0.6    # ratio, at or below this the camera sees the body side-on
    hysteresis: float = 0.05       # ratio, band around side_max_ratio against flicker
    # ratio; a "side" view (by side_max_ratio) wider than this is "oblique" for the checks
    # that declare their views (CheckSpec.views): 0-0.35 reads side-on, 0.7-1 facing
    oblique_min_ratio: float = 0.35

    def __post_init__(self) -> None:
        for name in ("side_max_ratio", "hysteresis", "oblique_min_ratio"):
            check_number(f"view_detect.{name}", getattr(self, name))


@dataclass(frozen=True)
class SideDetectSettings:
    """Automatic choice of the stretched side, with hysteresis so noise does not flip it."""

    switch_margin: float = 0.15   # score units (body-length ratios): lead needed to switch
    switch_debounce_s: float = 1.5  # s, the other side must lead this long before a switch
    # 0..1; a hold whose side confidence (session.side_confidence) is below this is "unsure"
    min_confidence: float = 0.6

    def __post_init__(self) -> None:
        check_number("side_detect.switch_margin", self.switch_margin)
        check_number("side_detect.switch_debounce_s", self.switch_debounce_s, unit="seconds")
        check_number("side_detect.min_confidence", self.min_confidence)


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
    ``measure``: the metric is reported and plotted, never judged (no band: it passes
    whenever measured, UNKNOWN when not; never required, never a cue), for a value that is
    the pose itself (the arch of camel and cobra).
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
    measure: bool = False

    def judged_in(self, view: str | None) -> bool:
        """The check can be judged from this view (None = unknown view: not blocked)."""
        return not self.views or view is None or view in self.views

    def margin(self, value: float) -> float:
        """Signed distance (in ``unit``) to the nearest threshold; > 0 inside the band."""
        lo = math.inf if self.min is None else value - self.min
        hi = math.inf if self.max is None else self.max - value
        return float(min(lo, hi))


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
    # [[recognition]]: conditions only --stretch auto reads (core/recognize.py), telling this
    # stretch from a look-alike whose conditions and checks it also meets; never "in position".
    recognition: tuple[CheckSpec, ...] = ()
    # [reps]: count the reps of a moving exercise (core/reps.py); off unless the spec asks
    reps: RepSettings = RepSettings()

    @property
    def conditions(self) -> tuple[CheckSpec, ...]:
        """Alias: the recognition ("in position") conditions."""
        return self.pose

    @property
    def metric_names(self) -> tuple[str, ...]:
        """Every metric the spec needs (conditions first), without repeats."""
        seen: dict[str, None] = {}
        for c in (*self.pose, *self.checks, *self.recognition):
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

        ``thresholds`` maps a check id (or a ``pose`` condition id) to ``{"min": x, "max": y}``
        (a check with a fallback may add ``"fallback": {"max": z}``, its fallback's band);
        keys left out keep their value. Raises SpecError for unknown ids or ``min > max``.
        """
        src = f"{self.source_path or self.id} (with_thresholds)"
        known = {c.id for c in (*self.checks, *self.pose)}
        for cid, new in thresholds.items():
            if cid not in known:
                raise SpecError.at(src, cid, "no such check",
                                   f"use one of: {', '.join(sorted(known))}")
            bad = set(new) - {"min", "max", "hysteresis", "fallback"}
            bad |= {f"fallback.{k}" for k in new.get("fallback", {})
                    if k not in ("min", "max", "hysteresis")}
            if bad:
                raise SpecError.at(src, f"{cid}.{sorted(bad)[0]}", "cannot be tuned",
                                   "give only min, max or hysteresis (and a check's "
                                   "fallback = {min, max, hysteresis})")

        def band(c: CheckSpec, new: Mapping[str, float | None], where: str) -> CheckSpec:
            out = replace(c, **{k: (None if v is None else float(v)) for k, v in new.items()})
            validate_band(out, src, where)
            return out

        def apply(c: CheckSpec) -> CheckSpec:
            if c.id not in thresholds:
                return c
            new = dict(thresholds[c.id])
            fb = new.pop("fallback", None)
            out = band(c, new, f"{c.id}.")
            if fb:
                if c.fallback is None:
                    raise SpecError.at(src, f"{c.id}.fallback", "the check has no fallback",
                                       "tune a fallback only where the spec gives one")
                out = replace(out, fallback=band(c.fallback, fb, f"{c.id}.fallback."))
            return out

        return replace(self, checks=tuple(apply(c) for c in self.checks),
                       pose=tuple(apply(c) for c in self.pose))


def validate_band(c: CheckSpec, source: str, where: str) -> None:
    """Raise :class:`SpecError` unless the band of ``c`` is usable (``where``: the prefix of
    its fields in messages, e.g. ``"checks(lean)."``)."""
    if c.min is None and c.max is None:
        raise SpecError.at(source, f"{where}min", "both min and max are missing",
                           "give at least one threshold")
    if c.min is not None and c.max is not None and c.min > c.max:
        raise SpecError.at(source, f"{where}min", f"min {c.min:g} > max {c.max:g}",
                           "swap them or fix the typo")
    if c.hysteresis < 0:
        raise SpecError.at(source, f"{where}hysteresis", "must be >= 0",
                           "use 0 or a positive number")
    if c.min is not None and c.max is not None and 2 * c.hysteresis >= (c.max - c.min) > 0:
        raise SpecError.at(source, f"{where}hysteresis",
                           f"{c.hysteresis:g} is too wide for the band {c.min:g}..{c.max:g}",
                           "make it less than half the band")
