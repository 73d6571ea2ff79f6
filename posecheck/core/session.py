"""The per-frame core shared by batch analysis and the live page.

``StretchSession(spec).update(frame) -> FrameReport``: smoothing -> body context (facing,
stretched side, near side, camera view; each with hysteresis) -> metrics -> recognition
("in position") -> form checks -> body motion (stillness) -> hold timer -> the one cue to show.

Validity of a frame (what the hold timer counts):
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
from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Sequence

import numpy as np

from posecheck.core.checks import CheckEvaluator, CheckResult, Status, overall
from posecheck.core.feedback import Cue, CueSelector
from posecheck.core.metrics import (BodyContext, compute_metrics, facing_vote, leg_scores,
                               near_side, part_name)
from posecheck.core.motion import BodyMotion, StillnessSettings, still_code, still_flag
from posecheck.core.pose import Landmark as L
from posecheck.core.pose import PoseFrame
from posecheck.core.smoothing import PoseSmoother
from posecheck.specs.model import StretchSpec
from posecheck.core.timer import HoldState, HoldTimer, Phase

SMOOTHING_MODES = ("live", "none")
VIEW_METRIC = "view_width_ratio"
# Facing hysteresis: a vote (see metrics.facing_vote; about 1 per clear piece of evidence)
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
        reason: why this frame adds no hold time although the person is in position
            (:data:`REASONS`), None when it counts or when out of position.
        side_evidence: the side this frame's own geometry clearly shows as the stretched one
            (before the side tracker's hysteresis), None when it cannot tell.
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
    reason: str | None = None
    side_evidence: str | None = None

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


# A hold's side is "known" when at least this share of its in-position frames clearly show
# that side on their own (FrameReport.side_evidence); below it the report says "unknown".
SIDE_MIN_CONFIDENCE = 0.6


def side_confidence(frames: "Sequence[FrameReport]", side: str, start_s: float,
                    end_s: float) -> float:
    """Share (0..1) of the in-position frames in ``[start_s, end_s]`` whose own geometry
    clearly shows ``side`` as the stretched one: frames that show the other side, or cannot
    tell, count against it. NaN when no frame of the span is in position."""
    inside = [f for f in frames if f.in_pose and f.has_pose and start_s <= f.t_s <= end_s]
    if not inside:
        return math.nan
    return sum(1 for f in inside if f.side_evidence == side) / len(inside)


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


# Lower-leg landmarks whose left/right labels MediaPipe sometimes exchanges in a side view
# (the hips keep their labels; the knees, ankles and feet jump to the other leg).
_LEG_PAIRS = ((L.LEFT_KNEE, L.RIGHT_KNEE), (L.LEFT_ANKLE, L.RIGHT_ANKLE),
              (L.LEFT_HEEL, L.RIGHT_HEEL), (L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX))
# Swap when the crossed assignment is this much closer to the reference than the straight one.
SWAP_COST_RATIO = 0.5
# ... and only when the reference legs are apart by at least this fraction of the torso length
# (legs side by side cannot be told apart by position, and swapping them changes nothing).
SWAP_MIN_SEPARATION = 0.25
# A frame agrees with the reference when its legs moved at most this far (torso lengths,
# mean over the leg landmarks) plus the speed allowance times the reference's age.
CONSISTENT_DIST = 0.2
CONSISTENT_SPEED = 2.0   # torso lengths per second
# Legs that match neither labelling of a reference this fresh are a garbled estimate (seen
# mid-movement: both ankles drawn between the feet); they are marked not seen.
GARBLED_DIST = 0.5       # torso lengths, mean over the leg landmarks
GARBLED_MAX_AGE_S = 0.2  # s
GARBLED_VISIBILITY = 0.2
# The reference is replaced by the current frame when it is older than this (the person
# really moved, e.g. stepped the feet together and apart again).
REF_MAX_AGE_S = 1.0
# Live form of the batch's majority vote: follow the labelling MediaPipe gave most often so
# far once its share passes one half by this margin (fraction of pose frames), and go back
# only when it falls below one half by the same margin, so the choice does not flicker.
MAJORITY_MARGIN = 0.1


def swap_legs(frame: PoseFrame) -> PoseFrame:
    """The frame with the lower-leg labels (knee, ankle, heel, foot index) exchanged."""
    perm = np.arange(frame.xy.shape[0])
    for a, b in _LEG_PAIRS:
        perm[a], perm[b] = b, a
    return replace(frame, xy=frame.xy[perm].copy(), z=frame.z[perm].copy(),
                   visibility=frame.visibility[perm].copy(),
                   presence=frame.presence[perm].copy(),
                   world=None if frame.world is None else frame.world[perm].copy())


class LegLabelFixer:
    """Keeps leg labels continuous over time.

    In a side view MediaPipe often swaps which leg it calls left and right (seen on the real
    lunge clips: knees, ankles and feet jump to the other leg while the hips stay), and in
    fast transitions it sometimes draws both lower legs between the feet. A real leg cannot
    jump across the body in 1/30 s, so each frame is compared with a reference (the last
    frame that agreed with its predecessor): when the crossed labelling is much closer, the
    labels are exchanged back; when neither labelling is close to a fresh reference, the legs
    are marked not seen (visibility lowered) instead of being measured. The first frame's
    labels are taken as they come; a reference older than ``max_gap_s`` is replaced.

    With ``follow_majority`` (the live page's choice) the output follows the labelling
    MediaPipe has given most often so far, with hysteresis (:data:`MAJORITY_MARGIN`): the
    causal form of :func:`fix_leg_labels`, so a live session converges to the batch's sides.
    """

    def __init__(self, max_age_s: float = REF_MAX_AGE_S, follow_majority: bool = False):
        self.max_age_ms = int(round(max_age_s * 1000))
        self.follow_majority = follow_majority
        self.reset()

    def reset(self) -> None:
        self._ref: np.ndarray | None = None
        self._ref_ms = 0
        self.swapped_frames = 0
        self.garbled_frames = 0
        self.posed_frames = 0
        self.majority_flipped = False

    def update(self, frame: PoseFrame) -> PoseFrame:
        frame = self._continuous(frame)
        if not (self.follow_majority and frame.has_pose):
            return frame
        self.posed_frames += 1
        share = self.swapped_frames / self.posed_frames
        if share > 0.5 + MAJORITY_MARGIN:
            self.majority_flipped = True
        elif share < 0.5 - MAJORITY_MARGIN:
            self.majority_flipped = False
        return swap_legs(frame) if self.majority_flipped else frame

    def _continuous(self, frame: PoseFrame) -> PoseFrame:
        """The frame with leg labels consistent with the first frame's (or marked unseen)."""
        if frame.xy is None:
            return frame
        xy = frame.xy
        torso = float(np.linalg.norm((xy[L.LEFT_HIP] + xy[L.RIGHT_HIP]) / 2
                                     - (xy[L.LEFT_SHOULDER] + xy[L.RIGHT_SHOULDER]) / 2))
        age_ms = frame.t_ms - self._ref_ms
        if self._ref is None or age_ms > self.max_age_ms or not torso > 0:
            self._ref, self._ref_ms = xy.copy(), frame.t_ms
            return frame
        left = [a for a, _ in _LEG_PAIRS]
        right = [b for _, b in _LEG_PAIRS]
        ref = self._ref
        same = np.nanmean(np.concatenate([np.linalg.norm(xy[left] - ref[left], axis=1),
                                          np.linalg.norm(xy[right] - ref[right], axis=1)]))
        cross = np.nanmean(np.concatenate([np.linalg.norm(xy[right] - ref[left], axis=1),
                                           np.linalg.norm(xy[left] - ref[right], axis=1)]))
        min_sep = SWAP_MIN_SEPARATION * torso
        apart = float(np.nanmean(np.linalg.norm(ref[left] - ref[right], axis=1)))
        now_apart = float(np.nanmean(np.linalg.norm(xy[left] - xy[right], axis=1)))
        if cross < SWAP_COST_RATIO * same and apart >= min_sep:
            frame = swap_legs(frame)
            self.swapped_frames += 1
        best = min(same, cross) / torso
        fresh = age_ms <= GARBLED_MAX_AGE_S * 1000
        # Legs that collapse onto each other from a clear split within a blink are an
        # estimation glitch; they must not become the reference either.
        collapsed = apart >= 2 * min_sep and now_apart < min_sep
        if best <= CONSISTENT_DIST + CONSISTENT_SPEED * age_ms / 1000.0 and not collapsed:
            self._ref, self._ref_ms = frame.xy.copy(), frame.t_ms
        elif fresh and apart >= min_sep and (best > GARBLED_DIST or collapsed):
            vis = frame.visibility.copy()
            idx = left + right
            vis[idx] = np.minimum(vis[idx], GARBLED_VISIBILITY)
            frame = replace(frame, visibility=vis)
            self.garbled_frames += 1
        return frame


def fix_leg_labels(frames: list[PoseFrame]) -> tuple[list[PoseFrame], int, int]:
    """Batch form of :class:`LegLabelFixer` over a whole track.

    Continuity makes the labels consistent with the first frame's; if most frames had to be
    swapped to get there, the first frame was the odd one out, so every frame is swapped
    back: the labelling MediaPipe gave most often wins. Returns (frames, swapped, garbled).
    """
    fixer = LegLabelFixer()
    out = [fixer.update(f) for f in frames]
    swapped = fixer.swapped_frames
    posed = sum(1 for f in out if f.has_pose)
    if posed and swapped > posed / 2:
        out = [swap_legs(f) if f.has_pose else f for f in out]
        swapped = posed - swapped
    return out, swapped, fixer.garbled_frames


class _SideTracker:
    """Which side is the stretched one, switching only on a clear, lasting lead."""

    def __init__(self, margin: float, debounce_s: float):
        self.margin, self.debounce_ms = margin, int(round(debounce_s * 1000))
        self.reset()

    def reset(self) -> None:
        self.side: str | None = None
        self._cand: str | None = None
        self._since = 0

    def update(self, t_ms: int, scores: Mapping[str, float]) -> str | None:
        lv, rv = scores.get("left", math.nan), scores.get("right", math.nan)
        if not (math.isfinite(lv) and math.isfinite(rv)):
            return self.side  # one leg unseen: no comparison, keep what we had
        best = "left" if lv > rv else "right"
        lead = abs(lv - rv)
        if self.side is None:
            if lead >= self.margin:
                self.side = best
            return self.side
        if best != self.side and lead >= self.margin:
            if self._cand != best:
                self._cand, self._since = best, t_ms
            if t_ms - self._since >= self.debounce_ms:
                self.side, self._cand = best, None
        else:
            self._cand = None
        return self.side


def _clear_leader(scores: Mapping[str, float], margin: float) -> str | None:
    lv, rv = scores.get("left", math.nan), scores.get("right", math.nan)
    if math.isfinite(lv) and math.isfinite(rv) and abs(lv - rv) >= margin:
        return "left" if lv > rv else "right"
    return None


class StretchSession:
    """Per-frame stretch checking for one spec; one :meth:`update` per frame."""

    def __init__(self, spec: StretchSpec, *, smoothing: str = "live", mirrored: bool = False):
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
        self._sides = _SideTracker(spec.side_detect.switch_margin,
                                   spec.side_detect.switch_debounce_s)
        self._timer = HoldTimer(spec.hold)
        self._stillness = StillnessSettings.from_spec(spec.hold)
        self._motion = BodyMotion(self._stillness, min_visibility=spec.visibility.min_visibility,
                                  min_presence=spec.visibility.min_presence)
        self._cues = CueSelector(spec.feedback)
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
        self._facing = 0
        self._view: str | None = None
        self._check_view: str | None = None
        self._in_pose = False
        self._last_pose_ms: int | None = None
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
        vd = self.spec.view_detect
        if not math.isfinite(ratio):
            return self._view
        limit = vd.side_max_ratio
        if self._view == "side":
            limit += vd.hysteresis
        elif self._view == "front":
            limit -= vd.hysteresis
        self._view = "side" if ratio <= limit else "front"
        return self._view

    def _update_check_view(self, view: str | None, ratio: float) -> str | None:
        """"side" / "oblique" / "front" for the checks' declared views (with hysteresis)."""
        vd = self.spec.view_detect
        if view != "side" or not math.isfinite(ratio):
            self._check_view = view
            return view
        limit = vd.oblique_min_ratio
        if self._check_view == "side":
            limit += vd.hysteresis
        elif self._check_view == "oblique":
            limit -= vd.hysteresis
        self._check_view = "side" if ratio <= limit else "oblique"
        return self._check_view

    # ------------------------------------------------------------------ the frame
    def update(self, frame: PoseFrame) -> FrameReport:
        spec = self.spec
        index = frame.index if frame.index >= 0 else self._index
        self._index = index + 1
        if self.mirrored:
            frame = frame.mirrored()
        frame = self._legs.update(frame)  # before smoothing, which would blend swapped legs
        if self._smoother is not None:
            frame = self._smoother.update(frame)
        t_ms = int(frame.t_ms)
        vis = spec.visibility
        motion = self._motion.update(frame)

        if not frame.has_pose:
            return self._no_pose(frame, t_ms, index)
        self._last_pose_ms = t_ms

        near = near_side(frame)
        facing = self._update_facing(facing_vote(frame, vis.min_visibility))
        ctx0 = BodyContext(spec.posture, facing, None, near)
        scores = leg_scores(frame, spec.stretched_leg, ctx0, vis.min_visibility,
                            vis.min_presence)
        side = self._sides.update(t_ms, scores)
        # Metrics take the roles from this frame's geometry when it is clear (so a leg-label
        # glitch cannot turn the back leg into the "front" one); the reported side keeps the
        # tracker's hysteresis.
        evidence = _clear_leader(scores, spec.side_detect.switch_margin)
        role_side = evidence or side
        ctx = BodyContext(spec.posture, facing, role_side, near)
        mvals = compute_metrics(frame, ctx, self._metric_names,
                                min_visibility=vis.min_visibility, min_presence=vis.min_presence)
        view = self._update_view(mvals[VIEW_METRIC].value)
        view_ok = None if view is None else (spec.view == "any" or view == spec.view)

        conds = self._conditions.update(mvals)
        cond_status = [r.status for r in conds.values()]
        if any(s is Status.FAIL for s in cond_status):
            in_pose_now: bool | None = False
        elif all(s is Status.PASS for s in cond_status):
            in_pose_now = True
        else:
            in_pose_now = None  # something unseen: keep the last decision
        if in_pose_now is not None:
            self._in_pose = in_pose_now
        in_pose = self._in_pose

        check_view = self._update_check_view(view, mvals[VIEW_METRIC].value)
        checks = self._checks.update(mvals, check_view)
        if not in_pose:
            valid: bool | None = False
        elif spec.timer_only:
            valid = True if in_pose_now else None
        elif view_ok is not True:
            valid = None
        else:
            valid = overall(checks)
            if valid is True and in_pose_now is None:
                valid = None

        stretched = "both" if spec.stretched_leg in ("both", "none") else side
        timer_side = None if stretched == "both" else stretched
        still = still_flag(still_code(motion, self._stillness.max_motion))
        hold = self._timer.update(t_ms, in_pose=in_pose if in_pose_now is not None else None,
                                  valid=valid, side=timer_side, still=still)

        hidden = self._hidden_parts(ctx, conds, checks, in_pose)
        candidates = self._candidates(view, view_ok, in_pose, checks, hidden, hold, valid,
                                      mvals[VIEW_METRIC].value)
        if in_pose and still is False and not hold.done:
            # Moving in position: the count is paused; saying so beats any form cue.
            sev = motion / self._stillness.max_motion if self._stillness.max_motion else 0.0
            candidates.append(Cue("hold_still", spec.cues.hold_still, "form", -1, sev))
        cue = self._cues.update(t_ms, candidates)
        return FrameReport(
            t_ms=t_ms, index=index, pose=frame, has_pose=True, view=view, in_pose=in_pose,
            valid=valid, stretched_side=stretched, checks=checks,
            metrics={k: v.value for k, v in mvals.items()}, hold=hold, cue=cue,
            conditions=conds, view_ok=view_ok, facing=facing, hidden_parts=hidden,
            spec_id=spec.id, motion=motion, still=still,
            reason=pause_reason(hold.phase, in_pose, valid, still, view_ok),
            side_evidence=evidence)

    def _no_pose(self, frame: PoseFrame, t_ms: int, index: int) -> FrameReport:
        spec = self.spec
        # A short loss of the person pauses the hold; a longer one means they left.
        lost_ms = None if self._last_pose_ms is None else t_ms - self._last_pose_ms
        if lost_ms is None or lost_ms > spec.hold.grace_s * 1000:
            self._in_pose = False
            timer_in_pose: bool | None = False
        else:
            timer_in_pose = None
        hold = self._timer.update(t_ms, in_pose=timer_in_pose, valid=None, side=None)
        checks = self._checks.update({})
        conds = self._conditions.update({})
        cands = [Cue("no_pose", spec.cues.step_into_view, "visibility", 0, 0.0)]
        if hold.prompt:
            cands.append(Cue("timer", hold.prompt, "timer", 50, 0.0))
        cue = self._cues.update(t_ms, cands)
        nan = {k: math.nan for k in self._metric_names}
        stretched = "both" if spec.stretched_leg in ("both", "none") else self._sides.side
        return FrameReport(
            t_ms=t_ms, index=index, pose=frame, has_pose=False, view=self._view,
            in_pose=self._in_pose, valid=None if self._in_pose else False,
            stretched_side=stretched, checks=checks, metrics=nan, hold=hold, cue=cue,
            conditions=conds, view_ok=None, facing=self._facing, spec_id=spec.id)

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


__all__ = ["FrameReport", "LegLabelFixer", "REASONS", "SIDE_MIN_CONFIDENCE", "StretchSession",
           "fix_leg_labels", "pause_reason", "side_confidence", "swap_legs"]
