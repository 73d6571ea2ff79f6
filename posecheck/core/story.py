"""What the person is told now: one story per frame, shared by the banner, the panel, the voice
and the summary, so they cannot disagree.

``tell(report, spec) -> Story`` reads a ``session.FrameReport`` (duck-typed: any object with
the same attribute names) and says, in plain words:

- ``state``: what is happening, one of :data:`STATES`: ``counting`` (good form, the valid
  seconds rise), ``tip`` (still counting, with advice from an advisory check), ``paused``
  (in a hold but the seconds do not rise, for one ``reason``), ``waiting`` (not in
  position yet), ``get_ready`` (the countdown before a hold), ``rest``, ``switch``, ``done``,
  ``framing`` (the set-up step before timing, :func:`posecheck.core.framing.framing`);
- ``message``: the one thing to show and say;
- ``tone``: its colour, one of :data:`TONES` (counting green, paused red, tips amber, timer
  prompts blue): a tip is never shown while a required fault is;
- ``phase_line``: the state in plain words ("Counting: left side, 12 of 20 s"), never
  "holding" while the person is out of position.

Why a hold is paused is a :data:`PAUSE_REASONS` key; the mapping from reasons to words is the
one place a new reason (from ``FrameReport.reason``) is added. :func:`side_summaries` and
:func:`~posecheck.core.side_summary.summary_lines` turn a session's timeline into the end-of-session
text per side; :mod:`posecheck.core.framing` is the set-up step before timing.

Pure: numpy and dataclasses only (no cv2, streamlit or mediapipe).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping

import numpy as np

from posecheck.core.checks import Status
from posecheck.core.pose import VisibilitySettings

STATES = ("framing", "waiting", "get_ready", "counting", "tip", "paused", "rest", "switch",
          "done")
# Tones and their colours (RGB): green counting, red paused / fault, amber tip, blue timer.
TONES = ("good", "fault", "tip", "info")
TONE_RGB: dict[str, tuple[int, int, int]] = {
    "good": (40, 150, 60),
    "fault": (210, 40, 40),
    "tip": (225, 140, 0),
    "info": (40, 100, 160),
}
# Timer phases (timer.Phase values) in which a hold is open.
HOLD_PHASES = ("holding", "paused")

# Why an open hold does not count, in plain words: reason -> (phase line, default message).
# FrameReport.reason values (session.REASONS) map here; an unknown reason reads "paused".
PAUSE_REASONS: dict[str, tuple[str, str]] = {
    "form": ("fix your form", ""),
    "moving": ("hold still", "Hold still"),
    "motion_unknown": ("checking that you are still", "Hold still"),
    "unseen": ("I can't see all of you", "Step into view so I can see your whole body"),
    "view": ("turn side-on", "Turn side-on to the camera"),
    "out_of_position": ("out of position", "Get back into the stretch"),
    "no_person": ("I can't see you", "Step into view so I can see your whole body"),
    "settling": ("settling in", "Hold still"),
}
# Reasons that describe the picture rather than the body (the voice waits longer for them).
VISIBILITY_REASONS = ("unseen", "no_person", "view")


@dataclass(frozen=True)
class Story:
    """What the person is told on one frame (see the module docstring)."""

    state: str
    message: str
    tone: str
    phase_line: str
    reason: str | None = None
    message_id: str = ""       # stable id of the message (for the voice): "fault:torso_upright"
    side: str | None = None
    valid_s: float = 0.0
    target_s: float = 0.0
    countdown_s: float | None = None  # s to the start of the hold, or of rest left
    counting: bool = False     # the valid seconds rise on this frame

    def __post_init__(self) -> None:
        if self.state not in STATES:
            raise ValueError(f"Story.state must be one of {STATES}, got {self.state!r}")
        if self.tone not in TONES:
            raise ValueError(f"Story.tone must be one of {TONES}, got {self.tone!r}")

    @property
    def rgb(self) -> tuple[int, int, int]:
        return TONE_RGB[self.tone]

    @property
    def bgr(self) -> tuple[int, int, int]:
        r, g, b = self.rgb
        return (b, g, r)

    @property
    def hex(self) -> str:
        return "#%02x%02x%02x" % self.rgb

    @property
    def headline(self) -> str:
        """The state in one or two words, for the panel."""
        return HEADLINES[self.state]


HEADLINES = {"framing": "Set-up", "waiting": "Not counting", "get_ready": "Get ready",
             "counting": "Counting", "tip": "Counting", "paused": "Not counting",
             "rest": "Rest", "switch": "Switch sides", "done": "Done"}


# ---------------------------------------------------------------------------- helpers
def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def _value(x: Any) -> str:
    """An enum's value (or the string itself), lower case."""
    return str(getattr(x, "value", x) or "").lower()


def _status(result: Any) -> Status:
    """A check result's status (a result without one is UNKNOWN)."""
    return _get(result, "status", Status.UNKNOWN)


def _check_spec(spec: Any, check_id: str) -> Any:
    try:
        return spec.check(check_id)
    except (AttributeError, KeyError):
        return None


def cue_text(spec: Any, name: str, default: str) -> str:
    """The spec's cue text ``name`` (``default`` without a spec or when it gives none)."""
    return str(getattr(getattr(spec, "cues", None), name, "") or default)


# Session cue ids (session._candidates) whose text the story can reuse without a spec.
_SESSION_CUE = {"get_in_position": "position", "step_into_view": "no_pose",
                "turn_side_on": "view", "face_camera": "view", "hold_still": "hold_still"}


def _text_for(report: Any, spec: Any, name: str, default: str) -> str:
    """A spec cue text; without a spec, the session's cue of that kind when it is shown."""
    if spec is not None:
        return cue_text(spec, name, default)
    cue_id, shown = _shown_cue(report)
    return shown if shown and cue_id == _SESSION_CUE.get(name) else default


def label(spec: Any, check_id: str) -> str:
    """The check's label (what good form looks like): "torso upright"."""
    c = _check_spec(spec, check_id)
    return str(getattr(c, "label", "") or check_id.replace("_", " "))


def fault_name(spec: Any, check_id: str) -> str:
    """The fault a failing check stands for, in words ("front knee past the toes"), never
    the pass label. A spec check with a ``fault`` text uses it; otherwise the label is
    turned around: "X not Y" -> "X Y", "no Y" / "X, no Y" -> "Y seen", else "X not held"."""
    c = _check_spec(spec, check_id)
    own = str(getattr(c, "fault", "") or "")
    if own:
        return own
    text = label(spec, check_id)
    if " not " in f" {text} ":
        return " ".join(w for w in text.split() if w != "not")
    for sep in (", no ", "no "):
        if sep in text and (sep != "no " or text.startswith("no ")):
            return text.split(sep, 1)[1].strip() + " seen"
    return f"{text} not held"


def _failing(report: Any, required: bool) -> list[tuple[str, Any]]:
    checks = _get(report, "checks", None) or {}
    return [(cid, r) for cid, r in checks.items()
            if _status(r) is Status.FAIL and bool(_get(r, "required", True)) is required]


def _worst(spec: Any, failing: list[tuple[str, Any]]) -> tuple[str, Any] | None:
    """The failing check to name first: safety checks, then priority, then the largest miss."""
    def key(item: tuple[str, Any]) -> tuple[int, int, float]:
        cid, r = item
        c = _check_spec(spec, cid)
        margin = float(_get(r, "margin", 0.0) or 0.0)
        return (0 if getattr(c, "safety", False) else 1, int(_get(r, "priority", 5) or 5),
                -abs(margin) if math.isfinite(margin) else 0.0)
    return min(failing, key=key) if failing else None


def _shown_cue(report: Any) -> tuple[str, str]:
    cue = _get(report, "cue", None)
    return (str(_get(cue, "id", "") or ""), str(_get(cue, "text", "") or "")) if cue else ("", "")


def _pick_fault(report: Any, spec: Any, required: bool) -> tuple[str, str] | None:
    """(check id, cue text) of the fault to name: the session's own choice when it is one of
    the failing checks of this kind (it carries the cue hysteresis), else the worst one."""
    failing = [(cid, r) for cid, r in _failing(report, required) if _get(r, "cue", "")]
    if not failing:
        return None
    cue_id, shown = _shown_cue(report)
    for cid, r in failing:
        if cid == cue_id:
            return cid, shown or str(_get(r, "cue", ""))
    cid, r = _worst(spec, failing)
    return cid, str(_get(r, "cue", ""))


def _reason(report: Any, phase: str) -> str | None:
    """Why an open hold does not count on this frame (None: it counts)."""
    if not _get(report, "has_pose", True):
        return "no_person"
    if not _get(report, "in_pose", False):
        return "out_of_position"
    given = _get(report, "reason", None)
    if given:
        return str(given)
    valid = _get(report, "valid", None)
    if valid is False:
        return "form"
    if _get(report, "view_ok", None) is False:
        return "view"
    if valid is None or phase == "paused":
        return "unseen"
    return None


def _seen_well(report: Any, spec: Any) -> bool:
    """Every landmark the UNKNOWN checks miss is in fact seen at good visibility (so a
    "can't see" cue would be wrong)."""
    pose = _get(report, "pose", None)
    vis = _get(pose, "visibility", None)
    if vis is None:
        return False
    vis = np.asarray(vis, dtype=np.float64)
    limit = (spec.visibility if spec is not None else VisibilitySettings()).min_visibility
    hidden = [int(lm) for r in (_get(report, "checks", None) or {}).values()
              if _status(r) is Status.UNKNOWN for lm in (_get(r, "hidden", ()) or ())]
    hidden += [int(lm) for r in (_get(report, "conditions", None) or {}).values()
               if _status(r) is Status.UNKNOWN for lm in (_get(r, "hidden", ()) or ())]
    return bool(hidden) and all(0 <= lm < len(vis) and vis[lm] >= limit for lm in hidden)


# ---------------------------------------------------------------------------- the story
def tell(report: Any, spec: Any = None) -> Story:
    """The story of one frame's report (``spec`` gives check labels and cue texts)."""
    if report is None:
        return Story("waiting", "Starting...", "info", "Starting")
    hold = _get(report, "hold", None)
    phase = _value(_get(hold, "phase", "waiting"))
    side = _get(hold, "side", None) or None
    valid_s = float(_get(hold, "hold_valid_s", 0.0) or 0.0)
    target = float(_get(hold, "target_s", 0.0) or 0.0)
    countdown = _get(hold, "countdown_s", None)
    where = f"{side} side" if side and side != "both" else ""
    rep, reps = _get(hold, "rep", 1), _get(hold, "reps_target", 1)
    hold_no = f", hold {rep} of {reps}" if reps and int(reps) > 1 else ""
    common = dict(side=side, valid_s=valid_s, target_s=target)

    if phase == "done":
        return Story("done", "Done - well held", "good", "Done: every hold is finished",
                     message_id="timer:done", **common)
    if phase == "switch":
        nxt = f"now your {side} side" if where else "now the other side"
        return Story("switch", f"Switch sides: {nxt}", "info",
                     f"Switch sides: {nxt}", message_id="timer:switch", **common)
    if phase == "rest":
        left = float(countdown or 0.0)
        return Story("rest", "Rest", "info", f"Rest: next hold in {math.ceil(left):d} s",
                     message_id="timer:rest", countdown_s=left, **common)
    if phase == "settling":
        left = float(countdown or 0.0)
        n = max(1, math.ceil(left))
        return Story("get_ready", f"Get ready: {n}", "info",
                     f"Get ready: the {where + ' ' if where else ''}hold starts in {n} s",
                     message_id=f"countdown:{n}", countdown_s=left, **common)
    if phase in HOLD_PHASES:
        head = (where.capitalize() + hold_no) if where else ("Hold" + hold_no).replace(
            "Hold, hold", "Hold")
        reason = _reason(report, phase)
        if reason is None:
            # A tip only while the session shows it (its cue hysteresis keeps tips steady).
            cue_id, _ = _shown_cue(report)
            tip = _pick_fault(report, spec, required=False) if any(
                cid == cue_id for cid, _ in _failing(report, required=False)) else None
            line = f"Counting: {head}, {valid_s:.0f} of {target:g} s"
            if tip is not None:
                return Story("tip", tip[1], "tip", line, message_id=f"tip:{tip[0]}",
                             counting=True, **common)
            return Story("counting", _text_for(report, spec, "good", "Good - hold it"), "good", line,
                         message_id="good", counting=True, **common)
        words, default = PAUSE_REASONS.get(reason, (reason.replace("_", " "), "Hold still"))
        message, mid = default, f"paused:{reason}"
        if reason == "form":
            fault = _pick_fault(report, spec, required=True)
            if fault is not None:
                message, mid = fault[1], f"fault:{fault[0]}"
            else:
                message = "Check your form"
        elif reason == "unseen":
            parts = tuple(_get(report, "hidden_parts", ()) or ())
            if parts and not _seen_well(report, spec):
                message, mid = f"I can't see your {parts[0]}", f"unseen:{parts[0]}"
            else:
                message, mid = "Hold still: checking your position", "paused:checking"
        elif reason == "view":
            message = _text_for(report, spec, "turn_side_on" if getattr(spec, "view", "side") == "side"
                                else "face_camera", default)
        elif reason == "moving":
            message = _text_for(report, spec, "hold_still", default)
        elif reason == "out_of_position":
            message = _text_for(report, spec, "get_in_position", default)
        elif reason == "no_person":
            message = _text_for(report, spec, "step_into_view", default)
        grace = _get(hold, "grace_left_s", None)
        tail = f" (the hold ends in {float(grace):.0f} s)" if grace else ""
        line = f"Not counting: {words}{tail} - {head}, {valid_s:.0f} of {target:g} s"
        return Story("paused", message, "fault", line, reason=reason, message_id=mid, **common)

    # waiting: no hold open
    if not _get(report, "has_pose", True):
        msg = _text_for(report, spec, "step_into_view", "Step into view so I can see your whole body")
        return Story("waiting", msg, "info", "Not counting: I can't see you yet",
                     message_id="waiting:no_person", **common)
    if _get(report, "view_ok", None) is False:
        msg = _text_for(report, spec, "turn_side_on" if getattr(spec, "view", "side") == "side"
                        else "face_camera", "Turn side-on to the camera")
        return Story("waiting", msg, "info", "Not counting: turn side-on first",
                     message_id="waiting:view", **common)
    msg = _text_for(report, spec, "get_in_position", "Get into the stretch position")
    nxt = f" ({where} next)" if where else ""
    return Story("waiting", msg, "info", f"Not counting: get into position{nxt}",
                 message_id="waiting:position", **common)


__all__ = ["HOLD_PHASES", "PAUSE_REASONS", "STATES", "Story", "TONES", "TONE_RGB", "cue_text",
           "fault_name", "label", "tell"]
