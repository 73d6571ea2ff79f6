"""The per-frame core shared by batch analysis and the live page.

``StretchSession(spec).update(frame) -> FrameReport``: smoothing -> body context (facing,
stretched side, near side, camera view; each with hysteresis) -> metrics -> recognition
("in position") -> form checks -> body motion (stillness) -> hold timer -> the one cue to show.

The frame rules (in position and its no-pose grace, validity, band hysteresis) are those of
:mod:`posecheck.core.rules`, which the tuning replay applies to whole clips. Validity of a frame
(what the hold timer counts, :func:`~posecheck.core.rules.frame_valid`):
    - not in position -> ``valid = False`` (the timer is not holding anyway);
    - in position but the camera view is wrong for the spec, or a required check is UNKNOWN
      (a landmark not seen) -> ``valid = None``: the timer pauses, nothing resets;
    - a required check FAILS -> False; all required checks PASS -> True.
    - ``timer_only`` specs: in position is valid (there are no form checks to judge).

Stillness is a separate input of the timer (``posecheck.core.motion``): a valid frame counts only
while the body is still (``[hold] max_motion``); moving in position pauses the count and cues
"hold still", and the frame's ``reason`` says why its time does not count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from posecheck.core import rules
from posecheck.core.body import SIDES, BodyContext, facing_vote, leg_scores, near_side, part_name
from posecheck.core.side import SideEvidence, SideTracker, hold_side_confidence, side_evidence
from posecheck.core.checks import CheckEvaluator, CheckResult, Status, overall
from posecheck.core.feedback import Cue, CueSelector
from posecheck.core.hold import HoldState, Phase
from posecheck.core.legs import LegLabelFixer
from posecheck.core.metrics import compute_metrics
from posecheck.core.mirror import Mirror
from posecheck.core.motion import BodyMotion, still_code, still_flag
from posecheck.core.pose import PoseFrame
from posecheck.core.reps import RepCounter, RepState
from posecheck.core.smoothing import PoseSmoother
from posecheck.core.timer import HoldTimer
from posecheck.specs.model import StretchSpec

SMOOTHING_MODES = ("live", "none")
VIEW_METRIC = "view_width_ratio"
# Facing hysteresis: a vote (see body.facing_vote; about 1 per clear piece of evidence)
# must reach this to set the facing, and its opposite to flip it.
FACING_SET_VOTE = 0.3
FACING_FLIP_VOTE = 0.8


@dataclass(frozen=True)
class FrameReport:
    """Everything known about one frame, for drawing, the live page and batch JSON.

    Attributes:
        t_ms, index: the frame's timestamp and index.
        pose: the smoothed PoseFrame (mirror-corrected when the session is mirrored).
        has_pose: a person was found.
        view: "side" / "front" as seen, None when unknown.
        view_ok: the view suits the spec (None = unknown).
        facing: +1 facing image right, -1 left, 0 unknown.
        in_pose: the recognition conditions hold (sticky through brief UNKNOWNs).
        valid: True / False / None (unknown: pauses the timer).
        stretched_side: "left"/"right", "both" for symmetric specs, None if not known yet.
        checks: form check results by id; conditions: recognition results by id.
        metrics: every computed metric's value (NaN if unknown).
        hold: the hold timer's state. cue: the cue to show (or None).
        hidden_parts: body parts not seen that a check or condition needed.
        motion: body lengths per second over the stillness window (NaN when unknown).
        still: the body is still enough for the hold to count (None = unknown).
        bouncing: the hips swing back and forth (``StillnessSettings.max_bounce_hz``): not still.
        reason: why this frame adds no hold time although the person is in position
            (:data:`REASONS`), None when it counts or when out of position.
        side_evidence, side_clue: the side this frame supports as the stretched one
            (:attr:`~posecheck.core.side.SideEvidence.side`, None when it cannot tell) and
            the whole ``SideEvidence``, what a hold's side confidence weighs.
        side_confirmed: the person confirmed the side (``StretchSession(side=...)``).
        reps: the reps counted so far (:mod:`posecheck.core.reps`), None when the spec counts
            no reps (``[reps] count``); they never add hold time.
    """

    t_ms: int
    index: int
    pose: PoseFrame
    has_pose: bool
    view: str | None
    in_pose: bool
    valid: bool | None
    stretched_side: str | None
    checks: dict[str, CheckResult]
    metrics: dict[str, float]
    hold: HoldState
    cue: Cue | None
    conditions: dict[str, CheckResult] = field(default_factory=dict)
    view_ok: bool | None = None
    facing: int = 0
    hidden_parts: tuple[str, ...] = ()
    spec_id: str = ""
    motion: float = math.nan
    still: bool | None = None
    bouncing: bool = False
    reason: str | None = None
    side_evidence: str | None = None
    side_confirmed: bool = False
    reps: RepState | None = None
    side_clue: SideEvidence | None = None

    @property
    def t_s(self) -> float:
        return self.t_ms / 1000.0

    def to_json(self) -> dict[str, Any]:
        """The batch timeline entry for this frame."""
        return {
            "t_s": round(self.t_s, 3),
            "index": self.index,
            "has_pose": self.has_pose,
            "view": self.view,
            "in_pose": self.in_pose,
            "valid": self.valid,
            "stretched_side": self.stretched_side,
            "phase": self.hold.phase.value,
            "hold_valid_s": round(self.hold.hold_valid_s, 3),
            "cue": None if self.cue is None else self.cue.text,
            "checks": {cid: r.to_json() for cid, r in self.checks.items()},
            "motion": None if not math.isfinite(self.motion) else round(self.motion, 3),
            "reason": self.reason,
        }


def side_confidence(frames: "Sequence[FrameReport]", side: str, start_s: float,
                    end_s: float) -> float:
    """Confidence (0..1) that ``side`` is the stretched side of the in-position frames in
    ``[start_s, end_s]`` (:func:`~posecheck.core.side.hold_side_confidence` of the frames'
    ``side_clue``); 1 when the person confirmed the side. NaN when no frame of the span is in
    position. Below the spec's ``side_detect.min_confidence`` the side is "unsure"."""
    inside = [f for f in frames if f.in_pose and f.has_pose and start_s <= f.t_s <= end_s]
    if not inside:
        return math.nan
    if all(f.side_confirmed and f.stretched_side == side for f in inside):
        return 1.0
    return hold_side_confidence(((f.t_ms, f.side_clue) for f in inside), side)


# Why an in-position frame adds no hold time (FrameReport.reason), in the order checked.
REASONS = ("settling", "moving", "motion_unknown", "view", "unseen", "form")


def pause_reason(phase: Phase, in_pose: bool, valid: bool | None, still: bool | None,
                 view_ok: bool | None) -> str | None:
    """The :data:`REASONS` entry for a frame, or None (it counts, or out of position)."""
    if not in_pose or phase not in (Phase.SETTLING, Phase.HOLDING, Phase.PAUSED):
        return None
    if still is False:
        return "moving"
    if phase is Phase.SETTLING:
        return "settling"
    if still is None:
        return "motion_unknown"
    if valid is None:
        return "view" if view_ok is False else "unseen"
    return "form" if valid is False else None


class StretchSession:
    """Per-frame stretch checking for one spec; one :meth:`update` per frame."""

    def __init__(self, spec: StretchSpec, *, smoothing: str = "live", mirrored: bool = False,
                 side: str | None = None):
        """``side``: the stretched side the person confirmed ("left"/"right"); it replaces
        the automatic choice (the evidence is still recorded). None: posecheck decides."""
        if side is not None and side not in SIDES:
            raise ValueError(f"side must be 'left', 'right' or None, got {side!r}")
        self.confirmed_side = side
        if smoothing not in SMOOTHING_MODES:
            raise ValueError(f"smoothing must be one of {SMOOTHING_MODES}, got {smoothing!r} "
                             "(batch smoothing is done by analysis.analyze_frames)")
        self.spec = spec
        self.mirrored = mirrored
        self.smoothing = smoothing
        self._smoother = PoseSmoother(spec.smoothing) if smoothing == "live" else None
        self._legs = LegLabelFixer(follow_majority=True)
        self._conditions = CheckEvaluator(spec.pose)
        self._checks = CheckEvaluator(spec.checks)
        self._sides = SideTracker(spec.side_detect.switch_margin,
                                  spec.side_detect.switch_debounce_s)
        self._timer = HoldTimer(spec.hold)
        self._stillness = spec.hold.stillness
        self._motion = BodyMotion(self._stillness, spec.visibility)
        self._cues = CueSelector(spec.feedback)
        self._reps = RepCounter(spec.reps)
        self._metric_names = tuple(dict.fromkeys((*spec.metric_names, VIEW_METRIC)))
        self.reset()

    def reset(self) -> None:
        if self._smoother is not None:
            self._smoother.reset()
        self._legs.reset()
        self._conditions.reset()
        self._checks.reset()
        self._sides.reset()
        self._timer.reset()
        self._motion.reset()
        self._cues.reset()
        self._reps.reset()
        self._facing = 0
        self._view: str | None = None
        self._check_view: str | None = None
        self._presence = rules.Presence()
        self._index = 0

    # ------------------------------------------------------------------ context trackers
    def _update_facing(self, vote: float) -> int:
        if self._facing == 0:
            if abs(vote) >= FACING_SET_VOTE:
                self._facing = 1 if vote > 0 else -1
        elif vote * self._facing <= -FACING_FLIP_VOTE:
            self._facing = -self._facing
        return self._facing

    def _update_view(self, ratio: float) -> str | None:
        """"side" passes the band ``ratio <= side_max_ratio`` (with hysteresis)."""
        vd = self.spec.view_detect
        side = rules.band(ratio, None, vd.side_max_ratio, vd.hysteresis,
                          None if self._view is None else self._view == "side")
        if side is not None:
            self._view = "side" if side else "front"
        return self._view

    def _update_check_view(self, view: str | None, ratio: float) -> str | None:
        """"side" / "oblique" / "front" for the checks' declared views (with hysteresis)."""
        vd = self.spec.view_detect
        previous = {"side": True, "oblique": False}.get(self._check_view or "")
        side = rules.band(ratio, None, vd.oblique_min_ratio, vd.hysteresis, previous)
        if view != "side" or side is None:
            self._check_view = view
        else:
            self._check_view = "side" if side else "oblique"
        return self._check_view

    # ------------------------------------------------------------------ the frame
    def update(self, frame: PoseFrame) -> FrameReport:
        spec = self.spec
        index = frame.index if frame.index >= 0 else self._index
        self._index = index + 1
        frame = Mirror(self.mirrored).to_subject(frame)
        frame = self._legs.update(frame)  # before smoothing, which would blend swapped legs
        if self._smoother is not None:
            frame = self._smoother.update(frame)
        t_ms = int(frame.t_ms)
        vis = spec.visibility
        motion = self._motion.update(frame)

        if not frame.has_pose:
            return self._no_pose(frame, t_ms, index)

        near = near_side(frame)
        facing = self._update_facing(facing_vote(frame, vis.min_visibility))
        ctx0 = BodyContext(spec.posture, facing, None, near)
        scores = leg_scores(frame, spec.stretched_leg, ctx0, vis.min_visibility,
                            vis.min_presence)
        # Continuity: the side stays while a hold runs (it ends only when the body leaves).
        before = self._timer.state
        side = self._sides.update(t_ms, scores, locked=before.in_hold,
                                  free=not (self._presence.in_pose or before.in_hold))
        if self.confirmed_side is not None:
            side = self.confirmed_side
        evidence = side_evidence(frame, ctx0, scores, spec.side_detect.switch_margin)
        # Metrics take the roles from this frame's geometry when it is clear (so a leg-label
        # glitch cannot turn the back leg into the "front" one); the reported side keeps the
        # tracker's hysteresis. A confirmed side books the time; the roles stay geometric (the
        # person names the anatomical side, the geometry shows which leg is behind).
        role_side = evidence.geometry or side
        ctx = BodyContext(spec.posture, facing, role_side, near)
        mvals = compute_metrics(frame, ctx, self._metric_names,
                                min_visibility=vis.min_visibility, min_presence=vis.min_presence)
        view = self._update_view(mvals[VIEW_METRIC].value)
        view_ok = None if view is None else (spec.view == "any" or view == spec.view)

        check_view = self._update_check_view(view, mvals[VIEW_METRIC].value)
        conds = self._conditions.update(mvals, check_view)
        # None (a condition unseen, or not judged from this view) keeps the last decision
        in_pose_now = rules.all_pass(r.status.passed for r in conds.values())
        self._presence = rules.presence(self._presence, t_ms, True, in_pose_now,
                                        spec.hold.grace_s)
        in_pose = self._presence.in_pose
        checks = self._checks.update(mvals, check_view)
        valid = rules.frame_valid(in_pose, True, in_pose_now, view_ok, overall(checks),
                                  spec.timer_only)

        stretched = "both" if spec.stretched_leg in ("both", "none") else side
        timer_side = None if stretched == "both" else stretched
        bouncing = self._motion.bouncing  # hips swinging back and forth: never a hold
        still = False if bouncing else still_flag(still_code(motion, self._stillness.max_motion))
        hold = self._timer.update(t_ms, in_pose=self._presence.timer_in_pose, valid=valid,
                                  side=timer_side, still=still, motion=motion, bouncing=bouncing)
        # the rep counter only reads the timer: reps add no hold time
        reps = self._reps.update(t_ms, in_pose_now=in_pose_now, form_ok=overall(checks),
                                 counted_s=hold.session_valid_s, side=stretched or "unsure")

        hidden = self._hidden_parts(ctx, conds, checks, in_pose)
        candidates = self._candidates(view, view_ok, in_pose, checks, hidden, hold, valid,
                                      mvals[VIEW_METRIC].value)
        if in_pose and still is False and not hold.done:
            # Moving in position: the count is paused; saying so beats any form cue.
            sev = (motion / self._stillness.max_motion
                   if self._stillness.max_motion and math.isfinite(motion) else 0.0)
            candidates.append(Cue("hold_still", spec.cues.hold_still, "form", -1, sev))
        cue = self._cues.update(t_ms, candidates)
        return FrameReport(
            t_ms=t_ms, index=index, pose=frame, has_pose=True, view=view, in_pose=in_pose,
            valid=valid, stretched_side=stretched, checks=checks,
            metrics={k: v.value for k, v in mvals.items()}, hold=hold, cue=cue,
            conditions=conds, view_ok=view_ok, facing=facing, hidden_parts=hidden,
            spec_id=spec.id, motion=motion, still=still, bouncing=self._motion.bouncing,
            reason=pause_reason(hold.phase, in_pose, valid, still, view_ok),
            side_evidence=evidence.side, side_confirmed=self.confirmed_side is not None,
            reps=reps, side_clue=evidence)

    def _no_pose(self, frame: PoseFrame, t_ms: int, index: int) -> FrameReport:
        spec = self.spec
        # A short loss of the person pauses the hold; a longer one means they left.
        presence = self._presence = rules.presence(self._presence, t_ms, False, None,
                                                   spec.hold.grace_s)
        valid = rules.frame_valid(presence.in_pose, False, None, None, None, spec.timer_only)
        hold = self._timer.update(t_ms, in_pose=presence.timer_in_pose, valid=None, side=None)
        reps = self._reps.update(t_ms, in_pose_now=False,  # nobody seen: out of position
                                 counted_s=hold.session_valid_s)
        checks = self._checks.update({})
        conds = self._conditions.update({})
        cands = [Cue("no_pose", spec.cues.step_into_view, "visibility", 0, 0.0)]
        if hold.prompt:
            cands.append(Cue("timer", hold.prompt, "timer", 50, 0.0))
        cue = self._cues.update(t_ms, cands)
        nan = {k: math.nan for k in self._metric_names}
        stretched = "both" if spec.stretched_leg in ("both", "none") else (
            self.confirmed_side or self._sides.side)
        return FrameReport(
            t_ms=t_ms, index=index, pose=frame, has_pose=False, view=self._view,
            in_pose=presence.in_pose, valid=valid,
            stretched_side=stretched, checks=checks, metrics=nan, hold=hold, cue=cue,
            conditions=conds, view_ok=None, facing=self._facing, spec_id=spec.id, reps=reps)

    # ------------------------------------------------------------------ cues
    def _hidden_parts(self, ctx: BodyContext, conds: Mapping[str, CheckResult],
                      checks: Mapping[str, CheckResult], in_pose: bool) -> tuple[str, ...]:
        results = list(conds.values())
        if in_pose:
            results += [r for r in checks.values() if r.required]
        parts: dict[str, None] = {}
        for r in results:
            if r.status is Status.UNKNOWN:
                for lm in r.hidden:
                    parts.setdefault(part_name(lm, ctx, self.spec.parts), None)
        return tuple(parts)

    def _candidates(self, view: str | None, view_ok: bool | None, in_pose: bool,
                    checks: Mapping[str, CheckResult], hidden: tuple[str, ...],
                    hold: HoldState, valid: bool | None, ratio: float) -> list[Cue]:
        spec = self.spec
        out: list[Cue] = []
        if view_ok is False:
            text = spec.cues.turn_side_on if spec.view == "side" else spec.cues.face_camera
            sev = abs(ratio - spec.view_detect.side_max_ratio) if math.isfinite(ratio) else 0.0
            out.append(Cue("view", text, "view", 0, sev))
        for i, part in enumerate(hidden):
            out.append(Cue(f"hidden:{part}", f"I can't see your {part}", "visibility", 1 + i))
        if not in_pose:
            out.append(Cue("position", spec.cues.get_in_position, "form", 0, 0.0))
        else:
            blocked = [r for r in checks.values() if r.view_blocked]
            if view_ok is not False and blocked:
                # a check this view cannot judge: ask for the view, never guess the form
                # (an advisory one only when nothing more useful is to be said)
                text = spec.cues.face_camera if spec.view == "front" else spec.cues.turn_side_on
                kind = "view" if any(r.required for r in blocked) else "info"
                out.append(Cue("view:checks", text, kind, 1, 0.0))
            for r in checks.values():
                if r.status is Status.FAIL and r.cue:
                    # Safety checks first; then required before advisory, and within those the
                    # largest violation (in units of the check's own tolerance), the spec's
                    # priority breaking ties.
                    c = spec.check(r.id)
                    scale = 4 * c.hysteresis if c.hysteresis > 0 else 1.0
                    severity = abs(r.margin) / scale
                    if c.safety:
                        out.append(Cue(r.id, r.cue, "safety", r.priority, severity))
                    else:
                        tier = 0 if r.required else 10
                        out.append(Cue(r.id, r.cue, "form", tier, severity + 0.01 / max(r.priority, 1)))
        if hold.prompt:
            out.append(Cue("timer", hold.prompt, "timer", 50, 0.0))
        if valid is True:
            out.append(Cue("good", spec.cues.good, "info", 99, 0.0))
        return out


__all__ = ["FrameReport", "REASONS", "StretchSession", "pause_reason", "side_confidence"]
