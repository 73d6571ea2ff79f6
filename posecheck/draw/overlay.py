"""Pictures of a frame's report: skeleton coloured by check status, cue, hold progress.

``annotate(image_bgr, report) -> image_bgr`` is the one entry point the live page and the
batch videos share. It only draws: every number it shows comes from the ``FrameReport``.

Conventions:

- Colours are BGR (OpenCV). PASS is green, FAIL red, UNKNOWN amber; segments no check looks
  at are drawn thin and grey, so the eye goes to what matters.
- ``report.pose`` holds the subject's *true* sides. When the image shown is a mirror image
  of the one the coordinates refer to (``mirrored=True``), x is reflected back for drawing
  but the labels are kept, so the colour of the left-knee check lands on the left knee.
- OpenCV's Hershey fonts are ASCII only; other characters are replaced before drawing.
- Everything scales with the image height, so a 1080p frame and a 360p frame look alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import cv2
import numpy as np

from posecheck.core.pose import SKELETON, Landmark

# BGR colours.
PASS_COLOR = (80, 200, 60)
FAIL_COLOR = (40, 40, 230)
UNKNOWN_COLOR = (0, 190, 255)
NEUTRAL_COLOR = (170, 170, 170)
TEXT_COLOR = (255, 255, 255)
PANEL_COLOR = (30, 30, 30)
ADVICE_COLOR = (0, 140, 225)  # an advisory check failing: the tip's amber, never a fault's red
STATUS_COLORS: dict[str, tuple[int, int, int]] = {
    "pass": PASS_COLOR,
    "advice": ADVICE_COLOR,
    "fail": FAIL_COLOR,
    "unknown": UNKNOWN_COLOR,
}
# When two checks share a segment the worse status wins the colour.
_STATUS_RANK = {"pass": 0, "advice": 1, "unknown": 2, "fail": 3}
# Cue kinds (feedback.Cue.kind) and the banner colour each gets; anything else is neutral.
# Cue kinds (feedback.KINDS) and the banner colour each gets; anything else is neutral.
CUE_COLORS: dict[str, tuple[int, int, int]] = {
    "safety": FAIL_COLOR,
    "form": FAIL_COLOR,
    "visibility": UNKNOWN_COLOR,
    "view": UNKNOWN_COLOR,
    "timer": (150, 110, 40),
    "info": (60, 140, 40),
}
# Landmarks whose visibility is below this are not drawn (they would be guesses).
MIN_DRAW_VISIBILITY = 0.3


def status_name(status: Any) -> str:
    """``"pass" | "fail" | "unknown"`` from a ``checks.Status`` (or its value, or a string)."""
    raw = getattr(status, "value", status)
    name = str(getattr(status, "name", raw) if not isinstance(raw, str) else raw).lower()
    return name if name in _STATUS_RANK else "unknown"


def worse(a: str | None, b: str) -> str:
    """The worse of two status names (``None`` means no status yet)."""
    if a is None:
        return b
    return a if _STATUS_RANK[a] >= _STATUS_RANK[b] else b


def segment_statuses(checks: Mapping[str, Any]) -> dict[tuple[int, int], str]:
    """Status of every skeleton segment some check looks at.

    A segment belongs to a check when both its end landmarks are among the check's
    ``landmarks``; checks whose landmarks are not joined by a skeleton segment (e.g. knee
    against toes) get their consecutive landmarks joined instead, so every check is visible.
    """
    out: dict[tuple[int, int], str] = {}
    skeleton = {(int(a), int(b)) for a, b in SKELETON}
    for result in checks.values():
        lms = [int(lm) for lm in (getattr(result, "landmarks", None) or ())]
        if len(lms) < 2:
            continue
        status = status_name(getattr(result, "status", "unknown"))
        if status == "fail" and not getattr(result, "required", True):
            status = "advice"  # drawn as a tip, not as a fault that stops the count
        members = set(lms)
        covered = False
        for a, b in skeleton:
            if a in members and b in members:
                out[(a, b)] = worse(out.get((a, b)), status)
                covered = True
        if not covered:
            for a, b in zip(lms, lms[1:]):
                if a != b:
                    key = (a, b) if (b, a) not in out else (b, a)
                    out[key] = worse(out.get(key), status)
    return out


def ascii_text(text: str) -> str:
    """Text the Hershey fonts can draw: common typography mapped, the rest dropped."""
    table = {"\u2013": "-", "\u2014": "-", "\u2019": "'", "\u2018": "'", "\u201c": '"',
             "\u201d": '"', "\u00b0": " deg", "\u2026": "...", "\u00b7": "-", "\u2192": "->"}
    return "".join(table.get(ch, ch) for ch in text).encode("ascii", "ignore").decode()


@dataclass(frozen=True)
class _Scale:
    """Sizes derived from the image height (reference: 480 px)."""

    k: float

    @classmethod
    def from_image(cls, image: np.ndarray) -> "_Scale":
        return cls(max(0.5, image.shape[0] / 480.0))

    def px(self, value: float) -> int:
        return max(1, int(round(value * self.k)))

    def font(self, value: float) -> float:
        return value * self.k


def _text(image: np.ndarray, text: str, org: tuple[int, int], size: float, color=TEXT_COLOR,
          thickness: int = 1, outline: bool = True) -> None:
    text = ascii_text(text)
    if outline:
        # A dark halo from offset copies: a thicker stroke would also widen the glyph advance
        # in Hershey fonts, so the outline would drift away from the letters.
        d = max(1, min(thickness, 3))
        x, y = org
        for dx, dy in ((-d, -d), (d, -d), (-d, d), (d, d)):
            cv2.putText(image, text, (x + dx, y + dy), cv2.FONT_HERSHEY_SIMPLEX, size, (0, 0, 0),
                        thickness, cv2.LINE_AA)
    cv2.putText(image, text, org, cv2.FONT_HERSHEY_SIMPLEX, size, color, thickness, cv2.LINE_AA)


def _text_size(text: str, size: float, thickness: int) -> tuple[int, int]:
    (w, h), _ = cv2.getTextSize(ascii_text(text), cv2.FONT_HERSHEY_SIMPLEX, size, thickness)
    return w, h


def _panel(image: np.ndarray, x0: int, y0: int, x1: int, y1: int, color=PANEL_COLOR,
           alpha: float = 0.6) -> None:
    """A translucent box (blended only inside its rectangle, so it stays cheap)."""
    h, w = image.shape[:2]
    x0, x1 = max(0, x0), min(w, x1)
    y0, y1 = max(0, y0), min(h, y1)
    if x1 <= x0 or y1 <= y0:
        return
    roi = image[y0:y1, x0:x1]
    overlay = np.empty_like(roi)
    overlay[:] = color
    cv2.addWeighted(overlay, alpha, roi, 1 - alpha, 0, dst=roi)


def draw_pose(image: np.ndarray, pose: Any, statuses: Mapping[tuple[int, int], str],
              mirrored: bool = False) -> np.ndarray:
    """Draw the skeleton of ``pose`` (a ``PoseFrame``) with segments coloured by status."""
    if pose is None or getattr(pose, "xy", None) is None:
        return image
    s = _Scale.from_image(image)
    xy = np.array(pose.xy, dtype=np.float64)
    # The pose may have been estimated on a frame of another size (e.g. a scaled copy).
    sx = image.shape[1] / float(pose.width)
    sy = image.shape[0] / float(pose.height)
    xy[:, 0] *= sx
    xy[:, 1] *= sy
    if mirrored:
        xy[:, 0] = image.shape[1] - xy[:, 0]
    vis = np.asarray(pose.visibility if pose.visibility is not None else np.ones(len(xy)))
    ok = np.isfinite(xy).all(axis=1) & (vis >= MIN_DRAW_VISIBILITY)
    pts = np.round(xy).astype(int)

    def seg(a: int, b: int, color, thickness: int) -> None:
        if ok[a] and ok[b]:
            cv2.line(image, tuple(pts[a]), tuple(pts[b]), color, thickness, cv2.LINE_AA)

    relevant: set[int] = set()
    for a, b in SKELETON:
        if (int(a), int(b)) not in statuses and (int(b), int(a)) not in statuses:
            seg(int(a), int(b), NEUTRAL_COLOR, s.px(2))
    for (a, b), status in statuses.items():
        seg(a, b, (0, 0, 0), s.px(7))  # dark outline keeps colours readable on any background
        seg(a, b, STATUS_COLORS[status], s.px(5))
        relevant.update((a, b))
    for i in range(int(Landmark.LEFT_SHOULDER), len(pts)):
        if ok[i]:
            radius = s.px(5) if i in relevant else s.px(3)
            cv2.circle(image, tuple(pts[i]), radius, (255, 255, 255), -1, cv2.LINE_AA)
            cv2.circle(image, tuple(pts[i]), radius, (0, 0, 0), 1, cv2.LINE_AA)
    return image


def _phase(hold: Any) -> str:
    phase = getattr(hold, "phase", "")
    return str(getattr(phase, "value", phase) or "")


# Phases (timer.Phase values) in which the big centre number counts down.
COUNTDOWN_PHASES = ("settling", "rest")


def _head_line(hold: Any, story: Any) -> str:
    side = str(getattr(hold, "side", "") or "")
    where = (side.upper() + " side") if side and side != "both" else ""
    if story is not None:
        return " - ".join(p for p in (where, story.headline) if p)
    rep, reps_target = getattr(hold, "rep", None), getattr(hold, "reps_target", None)
    phase = _phase(hold)
    return " ".join(p for p in (where, f"rep {rep}/{reps_target}" if rep and reps_target
                                else "", f"- {phase}" if phase else "") if p)


def draw_hold(image: np.ndarray, hold: Any, story: Any = None) -> np.ndarray:
    """Top-left panel: side and state (from the frame's story), valid seconds toward the
    target as a bar: green while counting, amber while the hold is open but not counting."""
    if hold is None:
        return image
    s = _Scale.from_image(image)
    valid = float(getattr(hold, "hold_valid_s", 0.0) or 0.0)
    target = float(getattr(hold, "target_s", 0.0) or 0.0)
    phase = _phase(hold)
    head = _head_line(hold, story)
    width = s.px(250)
    x0, y0 = s.px(8), s.px(8)
    _panel(image, x0, y0, x0 + width, y0 + s.px(64))
    tx = x0 + s.px(8)
    if story is not None:  # a dot in the state's colour
        r = s.px(6)
        cv2.circle(image, (tx + r, y0 + s.px(15)), r, story.bgr, -1, cv2.LINE_AA)
        tx += 2 * r + s.px(6)
    _text(image, head, (tx, y0 + s.px(20)), s.font(0.5), thickness=s.px(1))
    bar_x0, bar_y0 = x0 + s.px(8), y0 + s.px(30)
    bar_x1, bar_y1 = x0 + width - s.px(8), y0 + s.px(44)
    cv2.rectangle(image, (bar_x0, bar_y0), (bar_x1, bar_y1), (90, 90, 90), -1)
    frac = 0.0 if target <= 0 else min(1.0, max(0.0, valid / target))
    if frac > 0:
        fill = bar_x0 + int(round(frac * (bar_x1 - bar_x0)))
        counting = story.counting if story is not None else phase != "paused"
        color = PASS_COLOR if counting or phase not in ("holding", "paused") else UNKNOWN_COLOR
        cv2.rectangle(image, (bar_x0, bar_y0), (fill, bar_y1), color, -1)
    cv2.rectangle(image, (bar_x0 - 1, bar_y0 - 1), (bar_x1 + 1, bar_y1 + 1), (235, 235, 235), 1)
    label = f"{valid:4.1f} / {target:.0f} s valid" if target > 0 else f"{valid:4.1f} s valid"
    _text(image, label, (bar_x0, y0 + s.px(59)), s.font(0.45), thickness=s.px(1))
    return image


def draw_banner(image: np.ndarray, text: str, color: tuple[int, int, int]) -> np.ndarray:
    """The one message, as a banner across the bottom in its state's colour."""
    if not text:
        return image
    s = _Scale.from_image(image)
    h, w = image.shape[:2]
    size, thick = s.font(0.75), s.px(2)
    tw, th = _text_size(text, size, thick)
    while tw > w - s.px(24) and size > s.font(0.35):  # shrink long cues to fit the frame
        size *= 0.9
        tw, th = _text_size(text, size, thick)
    band = th + s.px(22)
    _panel(image, 0, h - band, w, h, color=color, alpha=0.8)
    _text(image, text, (max(s.px(8), (w - tw) // 2), h - (band - th) // 2), size,
          thickness=thick)
    return image


def draw_cue(image: np.ndarray, cue: Any) -> np.ndarray:
    """A ``feedback.Cue`` as the banner, coloured by its kind (for callers without a story)."""
    text = str(getattr(cue, "text", "") or "") if cue is not None else ""
    kind = str(getattr(getattr(cue, "kind", ""), "value", getattr(cue, "kind", "")) or "").lower()
    return draw_banner(image, text, CUE_COLORS.get(kind, PANEL_COLOR))


# States (story.Story.state) whose skeleton is drawn without check colours.
QUIET_STATES = ("framing", "rest", "switch", "done")
# States (story.Story.state) shown in the corner box, with their word.
PROMPT_STATES = {"get_ready": "Get ready", "rest": "Rest", "switch": "Switch sides",
                 "done": "Done"}


def draw_prompt(image: np.ndarray, hold: Any, story: Any = None) -> int:
    """The timer's prompt ("Get ready", "Rest", "Switch sides", "Done") with the get-ready /
    rest countdown, in a box at the top right: away from the head and torso of a person
    framed in the middle. Returns the y below the box (0 when nothing is drawn)."""
    if hold is None:
        return 0
    s = _Scale.from_image(image)
    h, w = image.shape[:2]
    phase = _phase(hold)
    if story is not None:
        prompt = PROMPT_STATES.get(story.state, "")
        countdown = story.countdown_s
        counts = story.state in ("get_ready", "rest")
    else:
        prompt = str(getattr(hold, "prompt", "") or "") if phase not in ("holding", "paused") \
            else ""
        countdown = getattr(hold, "countdown_s", None)
        counts = phase in COUNTDOWN_PHASES
    if not prompt:
        return 0
    size, thick = s.font(0.8), s.px(2)
    tw, th = _text_size(prompt, size, thick)
    digits = ""
    if counts and countdown is not None and float(countdown) > 0:
        digits = str(int(np.ceil(float(countdown))))
    dsize, dthick = s.font(1.6), s.px(4)
    dw, dh = _text_size(digits, dsize, dthick) if digits else (0, 0)
    box_w = max(tw, dw) + s.px(24)
    box_h = th + s.px(20) + (dh + s.px(14) if digits else 0)
    x1, y0 = w - s.px(8), s.px(8)
    x0 = x1 - box_w
    _panel(image, x0, y0, x1, y0 + box_h, alpha=0.7)
    _text(image, prompt, (x0 + (box_w - tw) // 2, y0 + th + s.px(10)), size, thickness=thick)
    if digits:
        _text(image, digits, (x0 + (box_w - dw) // 2, y0 + th + dh + s.px(22)), dsize,
              color=UNKNOWN_COLOR, thickness=dthick)
    return y0 + box_h + s.px(4)


def draw_framing(image: np.ndarray, color: tuple[int, int, int]) -> np.ndarray:
    """The set-up step's target outline: the whole body, feet included, fits inside it."""
    s = _Scale.from_image(image)
    h, w = image.shape[:2]
    x0, y0, x1, y1 = int(w * 0.06), int(h * 0.04), int(w * 0.94), int(h * 0.96)
    dash, gap, t = s.px(14), s.px(8), s.px(3)
    for a, b in (((x0, y0), (x1, y0)), ((x1, y0), (x1, y1)), ((x1, y1), (x0, y1)),
                 ((x0, y1), (x0, y0))):
        length = int(np.hypot(b[0] - a[0], b[1] - a[1]))
        for d in range(0, length, dash + gap):
            e = min(d + dash, length)
            p = (int(a[0] + (b[0] - a[0]) * d / length), int(a[1] + (b[1] - a[1]) * d / length))
            q = (int(a[0] + (b[0] - a[0]) * e / length), int(a[1] + (b[1] - a[1]) * e / length))
            cv2.line(image, p, q, color, t, cv2.LINE_AA)
    return image


def draw_status_line(image: np.ndarray, lines: Iterable[str], y0: int = 0) -> np.ndarray:
    """Small text lines at the top right (e.g. "no person in view", "fps 28"), from ``y0``."""
    s = _Scale.from_image(image)
    w = image.shape[1]
    y = y0 + s.px(22)
    for line in lines:
        if not line:
            continue
        tw, th = _text_size(line, s.font(0.5), s.px(1))
        _text(image, line, (w - tw - s.px(10), y), s.font(0.5), thickness=s.px(1))
        y += th + s.px(10)
    return image


def pad_for_controls(image: np.ndarray, frac: float = 0.12) -> np.ndarray:
    """The frame with a dark strip below it (``frac`` of its height), where a video player
    draws its controls, so they never hide the banner."""
    h = image.shape[0]
    strip = np.full((max(2, int(round(h * frac))) // 2 * 2, image.shape[1], 3), 20, np.uint8)
    return np.vstack([image, strip])


ARCH_COLOR = (255, 0, 255)   # BGR magenta: the measured back outline
CHORD_COLOR = (255, 255, 255)


def draw_back_arch(image: np.ndarray, pose: Any, facing: int, *,
                   mirrored: bool = False) -> np.ndarray:
    """Draw the back outline the arch was measured on and its chord (thoracic back ->
    buttock), with the lordosis angle beside it; nothing when the outline is not seen."""
    from posecheck.core.outline import BackArch
    from posecheck.core.pose import Landmark as L

    if pose is None or getattr(pose, "outline", None) is None or pose.xy is None:
        return image
    xy = pose.xy
    shoulder = (xy[L.LEFT_SHOULDER] + xy[L.RIGHT_SHOULDER]) / 2
    hip = (xy[L.LEFT_HIP] + xy[L.RIGHT_HIP]) / 2
    arch = BackArch.from_edges(pose.outline, shoulder, hip, int(facing))
    if arch is None:
        return image
    curve, chord = arch.curve.copy(), arch.chord.copy()
    if mirrored:
        curve[:, 0] = pose.width - curve[:, 0]
        chord[:, 0] = pose.width - chord[:, 0]
    sx, sy = image.shape[1] / pose.width, image.shape[0] / pose.height
    scale = np.array([sx, sy])
    pts = np.rint(curve * scale).astype(np.int32)
    thick = max(2, round(image.shape[0] / 240))
    cv2.polylines(image, [pts], False, ARCH_COLOR, thick, cv2.LINE_AA)
    a, b = (tuple(int(v) for v in np.rint(p * scale)) for p in chord)
    cv2.line(image, a, b, CHORD_COLOR, max(1, thick // 2), cv2.LINE_AA)
    mid = pts[len(pts) // 2]
    _text(image, f"arch {arch.lordosis_deg:.0f} deg", (int(mid[0]) + 6, int(mid[1])),
          0.5 * thick / 2, ARCH_COLOR)
    return image


def annotate(image_bgr: np.ndarray, report: Any, *, mirrored: bool = False,
             extra_lines: Iterable[str] = (), story: Any = None, spec: Any = None,
             framing: bool = False) -> np.ndarray:
    """Draw ``report`` (a ``session.FrameReport``) on a copy of ``image_bgr``.

    The banner, the panel's state and the prompt come from the frame's ``story``
    (:func:`story.tell`, told here from ``report`` and ``spec`` when not given), the same
    one the page and the voice use.

    Args:
        image_bgr: ``(H, W, 3)`` uint8 frame, BGR.
        report: the frame's report; ``None`` draws only ``extra_lines``.
        mirrored: the image is the mirror of the frame ``report.pose`` refers to.
        extra_lines: short status texts for the top-right corner.
        story: what the person is told on this frame (``story.Story``).
        spec: the spec, for the story's texts when ``story`` is not given.
        framing: the set-up step is running: draw the target outline, not the hold panel.

    Returns:
        A new ``(H, W, 3)`` uint8 BGR image; the input is not modified.
    """
    from posecheck.core.story import tell

    image = np.ascontiguousarray(image_bgr).copy()
    lines = list(extra_lines)
    y_lines = 0
    if report is not None:
        if story is None:
            story = tell(report, spec)
        checks = getattr(report, "checks", None) or {}
        pose = getattr(report, "pose", None)
        if framing:
            draw_framing(image, story.bgr if story.tone == "good" else UNKNOWN_COLOR)
        # No check colours where nothing is judged: the side just finished is not corrected.
        judged = not framing and story.state not in QUIET_STATES
        draw_pose(image, pose, segment_statuses(checks) if judged else {}, mirrored=mirrored)
        draw_back_arch(image, pose, getattr(report, "facing", 0), mirrored=mirrored)
        if not getattr(report, "has_pose", pose is not None and pose.xy is not None):
            reason = getattr(pose, "reason", "") or "no person in view"
            lines.insert(0, reason)
        hold = getattr(report, "hold", None)
        if not framing:
            draw_hold(image, hold, story)
            y_lines = draw_prompt(image, hold, story)
        draw_banner(image, story.message, story.bgr)
    draw_status_line(image, lines, y_lines)
    return image


# ---------------------------------------------------------------------------- stretch pictures
# Side-view stick figures of each posture's target position, drawn by code from segment
# angles (degrees, world-absolute, the figure faces +x): trunk/neck from straight up, limbs
# from straight down, positive toward +x. "s_" is the stretched leg, "o_" the other one.
# Lengths are in trunk units (thigh and shin about one trunk).
_FIGURES: dict[str, dict[str, float]] = {
    # half-kneeling hip-flexor stretch: back knee down, front foot flat, torso tall
    "kneeling": dict(trunk=-5, s_thigh=-25, s_shin=-92, o_thigh=88, o_shin=0, arm=10, forearm=60),
    # standing lunge: back leg long, front knee over the ankle
    "standing": dict(trunk=5, s_thigh=-32, s_shin=-38, o_thigh=62, o_shin=-2, arm=15, forearm=70),
    # lying at the edge of a bed: one knee hugged to the chest, the stretched leg hanging
    "supine_hanging": dict(trunk=-90, s_thigh=80, s_shin=8, o_thigh=208, o_shin=95, arm=160,
                           forearm=185, bed=1),
    # lying on the back: one knee hugged, the stretched leg long on the floor
    "supine": dict(trunk=-90, s_thigh=90, s_shin=90, o_thigh=208, o_shin=95, arm=160,
                   forearm=185),
    "supine_psoas_gentle": dict(trunk=-90, s_thigh=90, s_shin=90, o_thigh=160, o_shin=60,
                                arm=150, forearm=150),
    # glute bridge: shoulders down, hips lifted in line with the knees
    "glute_bridge": dict(trunk=-112, s_thigh=122, s_shin=-8, o_thigh=122, o_shin=-8, arm=88,
                         forearm=90),
    # prone press-up (cobra)
    "prone": dict(trunk=62, s_thigh=-96, s_shin=-92, o_thigh=-94, o_shin=-90, arm=2, forearm=-2),
    # lying face down on a roller under the front of the hip
    "lying": dict(trunk=88, s_thigh=-92, s_shin=-90, o_thigh=-60, o_shin=-92, arm=30,
                  forearm=80, roller=1),
    # camel: kneeling, hips forward, leaning back, hands to the heels
    "camel": dict(trunk=-40, s_thigh=10, s_shin=-90, o_thigh=10, o_shin=-90, arm=-30,
                  forearm=-25),
    # low lunge holding the back foot (quad and hip flexor)
    "low_lunge_quad": dict(trunk=5, s_thigh=-30, s_shin=-150, o_thigh=85, o_shin=0, arm=-35,
                           forearm=-60),
    # pigeon: front leg folded under, back leg long on the floor
    "pigeon": dict(trunk=5, s_thigh=-97, s_shin=-92, o_thigh=70, o_shin=-100, arm=12,
                   forearm=8),
    # sitting on the edge of a chair, the stretched leg dropped back
    "seated": dict(trunk=0, s_thigh=-25, s_shin=-15, o_thigh=90, o_shin=0, arm=10, forearm=70,
                   chair=1),
    # lying on the side (seen from above): top leg pulled back by the hand
    "side_lying": dict(trunk=-90, s_thigh=115, s_shin=215, o_thigh=80, o_shin=85, arm=210,
                       forearm=120),
    # standing psoas: split stance, back leg straight, pelvis tucked
    "standing_psoas": dict(trunk=0, s_thigh=-22, s_shin=-22, o_thigh=28, o_shin=-6, arm=12,
                           forearm=60),
    # standing quad stretch: heel to the buttock
    "standing_bent": dict(trunk=0, s_thigh=-8, s_shin=-165, o_thigh=0, o_shin=0, arm=-20,
                          forearm=-150),
}
_FIGURE_FOR = {("standing", "bent"): "standing_bent", ("supine", "hanging"): "supine_hanging",
               ("lying", "hanging"): "supine_hanging", ("kneeling", "back"): "pigeon",
               ("supine", "both"): "glute_bridge", ("kneeling", "both"): "camel"}
FIGURE_STRETCHED_COLOR = (0, 140, 255)  # BGR orange: the leg being stretched
FIGURE_BODY_COLOR = (70, 70, 70)


def _limb(start: np.ndarray, angle_from_down: float, length: float) -> np.ndarray:
    a = np.radians(angle_from_down)
    return start + length * np.array([np.sin(a), -np.cos(a)])


def stretch_figure(posture: str, stretched_leg: str = "", size: tuple[int, int] = (260, 180),
                   spec_id: str = "") -> np.ndarray:
    """A small RGB picture of the target position for a spec (for the page).

    Args:
        posture: ``StretchSpec.posture`` (``"kneeling"``, ``"standing"``, ``"supine"``, ...).
        stretched_leg: ``StretchSpec.stretched_leg`` (picks a variant, e.g. ``"hanging"``).
        size: ``(width, height)`` in pixels.
        spec_id: a spec with its own drawing (e.g. ``"low_lunge_quad"``) uses it.
    """
    key = spec_id if spec_id in _FIGURES else _FIGURE_FOR.get((posture, stretched_leg), posture)
    fig = _FIGURES.get(key, _FIGURES["standing"])
    both = stretched_leg in ("both", "none")
    trunk, thigh, shin, upper, lower = 1.0, 0.95, 0.92, 0.62, 0.55
    # Joints in figure units, y up, pelvis at the origin.
    pelvis = np.zeros(2)
    t = np.radians(fig["trunk"])
    neck = pelvis + trunk * np.array([np.sin(t), np.cos(t)])
    head = neck + 0.32 * np.array([np.sin(t), np.cos(t)])
    s_knee = _limb(pelvis, fig["s_thigh"], thigh)
    s_foot = _limb(s_knee, fig["s_shin"], shin)
    o_knee = _limb(pelvis, fig["o_thigh"], thigh)
    o_foot = _limb(o_knee, fig["o_shin"], shin)
    elbow = _limb(neck, fig["arm"], upper)
    hand = _limb(elbow, fig["forearm"], lower)
    pts = np.array([pelvis, neck, head, s_knee, s_foot, o_knee, o_foot, elbow, hand])
    lo = pts.min(axis=0) - 0.25
    hi = pts.max(axis=0) + 0.25
    w, h = size
    ground_px = int(h * 0.88)
    scale = min((w * 0.9) / (hi[0] - lo[0]), (ground_px - h * 0.06) / (hi[1] - lo[1]))
    cx = (w - (hi[0] - lo[0]) * scale) / 2

    def px(p: np.ndarray) -> tuple[int, int]:
        return (int(round(cx + (p[0] - lo[0]) * scale)),
                int(round(ground_px - (p[1] - (lo[1] + 0.25)) * scale)))

    img = np.full((h, w, 3), 250, dtype=np.uint8)
    if fig.get("chair"):
        seat = px(pelvis)[1] + int(0.12 * scale)
        x_back = px(pelvis + np.array([-0.35, 0]))[0]
        x_front = px(pelvis + np.array([0.3, 0]))[0]
        cv2.rectangle(img, (x_back, seat), (x_front, seat + max(3, int(0.08 * scale))),
                      (150, 120, 100), -1)
        cv2.line(img, (x_back + 3, seat), (x_back + 3, ground_px), (150, 120, 100), 3)
        cv2.line(img, (x_front - 3, seat), (x_front - 3, ground_px), (150, 120, 100), 3)
    if fig.get("roller"):
        r = max(4, int(0.17 * scale))
        cx_r, _ = px(pelvis)
        cv2.circle(img, (cx_r, ground_px - r), r, (205, 190, 170), -1, cv2.LINE_AA)
    if fig.get("bed"):
        # The bed edge sits just past the hip so the stretched thigh can drop off it.
        top = px(pelvis)[1] + int(0.08 * scale)
        edge = px(pelvis + np.array([0.7, 0]))[0]
        cv2.rectangle(img, (4, top), (edge, ground_px), (205, 190, 170), -1)
    cv2.line(img, (0, ground_px), (w, ground_px), (150, 150, 150), 2)
    thick = max(3, int(scale * 0.12))
    body = FIGURE_BODY_COLOR
    other = FIGURE_STRETCHED_COLOR if both else body
    for a, b, color in ((pelvis, o_knee, other), (o_knee, o_foot, other), (pelvis, neck, body),
                        (neck, elbow, body), (elbow, hand, body),
                        (pelvis, s_knee, FIGURE_STRETCHED_COLOR),
                        (s_knee, s_foot, FIGURE_STRETCHED_COLOR)):
        cv2.line(img, px(a), px(b), color, thick, cv2.LINE_AA)
    cv2.circle(img, px(head), max(5, int(scale * 0.2)), body, -1, cv2.LINE_AA)
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)
