"""Pictures of a frame's report: skeleton coloured by check status, cue, hold progress.

``annotate(image_bgr, report) -> image_bgr`` is the one entry point the live page and the
batch videos share. It only draws: every number it shows comes from the ``FrameReport``.

Conventions:

- Colours are BGR (OpenCV). PASS is green, FAIL red, UNKNOWN amber; segments no check looks
  at are drawn thin and grey, so the eye goes to what matters.
- ``report.pose`` holds the subject's *true* sides. When the image shown is a mirror image
  of the one the coordinates refer to (``mirrored=True``, see ``core.mirror``), x is reflected back for drawing
  but the labels are kept, so the colour of the left-knee check lands on the left knee.
- OpenCV's Hershey fonts are ASCII only; other characters are replaced before drawing.
- Everything scales with the image height, so a 1080p frame and a 360p frame look alike.
"""

from __future__ import annotations

from typing import Iterable, Mapping

import cv2
import numpy as np

from posecheck.core.checks import CheckResult, Status
from posecheck.core.metrics import OUTLINE_METRICS
from posecheck.core.mirror import Mirror
from posecheck.core.outline import BackArch
from posecheck.core.pose import SKELETON, PoseFrame
from posecheck.core.pose import Landmark as L
from posecheck.core.session import FrameReport
from posecheck.core.story import Story, tell
from posecheck.core.hold import HoldState
from posecheck.draw.style import (MIN_DRAW_VISIBILITY, NEUTRAL_COLOR, PASS_COLOR, STATUS_COLORS,
                                  UNKNOWN_COLOR, Scale, panel, put_text, segment_statuses,
                                  text_size)
from posecheck.specs.model import StretchSpec


def draw_pose(image: np.ndarray, pose: PoseFrame | None,
              statuses: Mapping[tuple[int, int], str], mirrored: bool = False) -> np.ndarray:
    """Draw the skeleton of ``pose`` with segments coloured by status (``mirrored``: the image
    is the mirror of the frame the pose refers to, :class:`core.mirror.Mirror`)."""
    if pose is None or pose.xy is None:
        return image
    s = Scale.from_image(image)
    xy = np.array(pose.xy, dtype=np.float64)
    # The pose may have been estimated on a frame of another size (e.g. a scaled copy).
    sx = image.shape[1] / float(pose.width)
    sy = image.shape[0] / float(pose.height)
    xy[:, 0] *= sx
    xy[:, 1] *= sy
    xy[:, 0] = Mirror(mirrored).to_image_x(xy[:, 0], image.shape[1])
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
    for i in range(int(L.LEFT_SHOULDER), len(pts)):
        if ok[i]:
            radius = s.px(5) if i in relevant else s.px(3)
            cv2.circle(image, tuple(pts[i]), radius, (255, 255, 255), -1, cv2.LINE_AA)
            cv2.circle(image, tuple(pts[i]), radius, (0, 0, 0), 1, cv2.LINE_AA)
    return image


# Phases (timer.Phase values) in which the big centre number counts down.
COUNTDOWN_PHASES = ("settling", "rest")


def _head_line(hold: HoldState, story: Story | None) -> str:
    side = str(hold.side or "")
    where = (side.upper() + " side") if side and side != "both" else ""
    if story is not None:
        return " - ".join(p for p in (where, story.headline) if p)
    rep, reps_target = hold.rep, hold.reps_target
    phase = hold.phase.value
    return " ".join(p for p in (where, f"rep {rep}/{reps_target}" if rep and reps_target
                                else "", f"- {phase}" if phase else "") if p)


def draw_hold(image: np.ndarray, hold: HoldState | None, story: Story | None = None
              ) -> np.ndarray:
    """Top-left panel: side and state (from the frame's story), valid seconds toward the
    target as a bar: green while counting, amber while the hold is open but not counting."""
    if hold is None:
        return image
    s = Scale.from_image(image)
    valid = float(hold.hold_valid_s or 0.0)
    target = float(hold.target_s or 0.0)
    phase = hold.phase.value
    head = _head_line(hold, story)
    width = s.px(250)
    x0, y0 = s.px(8), s.px(8)
    panel(image, x0, y0, x0 + width, y0 + s.px(64))
    tx = x0 + s.px(8)
    if story is not None:  # a dot in the state's colour
        r = s.px(6)
        cv2.circle(image, (tx + r, y0 + s.px(15)), r, story.bgr, -1, cv2.LINE_AA)
        tx += 2 * r + s.px(6)
    put_text(image, head, (tx, y0 + s.px(20)), s.font(0.5), thickness=s.px(1))
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
    put_text(image, label, (bar_x0, y0 + s.px(59)), s.font(0.45), thickness=s.px(1))
    return image


def draw_banner(image: np.ndarray, text: str, color: tuple[int, int, int]) -> np.ndarray:
    """The one message, as a banner across the bottom in its state's colour."""
    if not text:
        return image
    s = Scale.from_image(image)
    h, w = image.shape[:2]
    size, thick = s.font(0.75), s.px(2)
    tw, th = text_size(text, size, thick)
    while tw > w - s.px(24) and size > s.font(0.35):  # shrink long cues to fit the frame
        size *= 0.9
        tw, th = text_size(text, size, thick)
    band = th + s.px(22)
    panel(image, 0, h - band, w, h, color=color, alpha=0.8)
    put_text(image, text, (max(s.px(8), (w - tw) // 2), h - (band - th) // 2), size,
          thickness=thick)
    return image


# States (story.Story.state) whose skeleton is drawn without check colours.
QUIET_STATES = ("framing", "rest", "switch", "done")
# States (story.Story.state) shown in the corner box, with their word.
PROMPT_STATES = {"get_ready": "Get ready", "rest": "Rest", "switch": "Switch sides",
                 "done": "Done"}


def draw_prompt(image: np.ndarray, hold: HoldState | None, story: Story | None = None) -> int:
    """The timer's prompt ("Get ready", "Rest", "Switch sides", "Done") with the get-ready /
    rest countdown, in a box at the top right: away from the head and torso of a person
    framed in the middle. Returns the y below the box (0 when nothing is drawn)."""
    if hold is None:
        return 0
    s = Scale.from_image(image)
    h, w = image.shape[:2]
    phase = hold.phase.value
    if story is not None:
        prompt = PROMPT_STATES.get(story.state, "")
        countdown = story.countdown_s
        counts = story.state in ("get_ready", "rest")
    else:
        prompt = str(hold.prompt or "") if phase not in ("holding", "paused") else ""
        countdown = hold.countdown_s
        counts = phase in COUNTDOWN_PHASES
    if not prompt:
        return 0
    size, thick = s.font(0.8), s.px(2)
    tw, th = text_size(prompt, size, thick)
    digits = ""
    if counts and countdown is not None and float(countdown) > 0:
        digits = str(int(np.ceil(float(countdown))))
    dsize, dthick = s.font(1.6), s.px(4)
    dw, dh = text_size(digits, dsize, dthick) if digits else (0, 0)
    box_w = max(tw, dw) + s.px(24)
    box_h = th + s.px(20) + (dh + s.px(14) if digits else 0)
    x1, y0 = w - s.px(8), s.px(8)
    x0 = x1 - box_w
    panel(image, x0, y0, x1, y0 + box_h, alpha=0.7)
    put_text(image, prompt, (x0 + (box_w - tw) // 2, y0 + th + s.px(10)), size, thickness=thick)
    if digits:
        put_text(image, digits, (x0 + (box_w - dw) // 2, y0 + th + dh + s.px(22)), dsize,
              color=UNKNOWN_COLOR, thickness=dthick)
    return y0 + box_h + s.px(4)


def draw_framing(image: np.ndarray, color: tuple[int, int, int]) -> np.ndarray:
    """The set-up step's target outline: the whole body, feet included, fits inside it."""
    s = Scale.from_image(image)
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
    s = Scale.from_image(image)
    w = image.shape[1]
    y = y0 + s.px(22)
    for line in lines:
        if not line:
            continue
        tw, th = text_size(line, s.font(0.5), s.px(1))
        put_text(image, line, (w - tw - s.px(10), y), s.font(0.5), thickness=s.px(1))
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


def draw_back_arch(image: np.ndarray, pose: PoseFrame | None, facing: int, *,
                   mirrored: bool = False, value_deg: float | None = None) -> np.ndarray:
    """Draw the back outline the arch was measured on and its chord (thoracic back ->
    buttock), with the lordosis angle beside it (``value_deg``, the check's own value, or
    else the angle of this frame's outline); nothing when the outline is not seen."""
    if pose is None or pose.outline is None or pose.xy is None:
        return image
    xy = pose.xy
    shoulder = (xy[L.LEFT_SHOULDER] + xy[L.RIGHT_SHOULDER]) / 2
    hip = (xy[L.LEFT_HIP] + xy[L.RIGHT_HIP]) / 2
    arch = BackArch.from_edges(pose.outline, shoulder, hip, int(facing))
    if arch is None:
        return image
    curve, chord = arch.curve.copy(), arch.chord.copy()
    mirror = Mirror(mirrored)
    curve[:, 0] = mirror.to_image_x(curve[:, 0], pose.width)
    chord[:, 0] = mirror.to_image_x(chord[:, 0], pose.width)
    sx, sy = image.shape[1] / pose.width, image.shape[0] / pose.height
    scale = np.array([sx, sy])
    pts = np.rint(curve * scale).astype(np.int32)
    thick = max(2, round(image.shape[0] / 240))
    cv2.polylines(image, [pts], False, ARCH_COLOR, thick, cv2.LINE_AA)
    a, b = (tuple(int(v) for v in np.rint(p * scale)) for p in chord)
    cv2.line(image, a, b, CHORD_COLOR, max(1, thick // 2), cv2.LINE_AA)
    mid = pts[len(pts) // 2]
    deg = arch.lordosis_deg if value_deg is None else value_deg
    put_text(image, f"arch {deg:.0f} deg", (int(mid[0]) + 6, int(mid[1])),
          0.5 * thick / 2, ARCH_COLOR)
    return image


def outline_result(report: FrameReport) -> CheckResult | None:
    """The frame's check (or measure) that judged an outline metric, if any: in a view where
    the outline is not used (oblique, front) the curve is not drawn, so nothing on the image
    suggests an arch was measured there."""
    return next((r for r in report.checks.values()
                 if r.metric in OUTLINE_METRICS and r.status is not Status.UNKNOWN), None)


def annotate(image_bgr: np.ndarray, report: FrameReport | None, *, mirrored: bool = False,
             extra_lines: Iterable[str] = (), story: Story | None = None,
             spec: StretchSpec | None = None, framing: bool = False) -> np.ndarray:
    """Draw ``report`` on a copy of ``image_bgr``.

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
    image = np.ascontiguousarray(image_bgr).copy()
    lines = list(extra_lines)
    y_lines = 0
    if report is not None:
        if story is None:
            story = tell(report, spec)
        pose = report.pose
        if framing:
            draw_framing(image, story.bgr if story.tone == "good" else UNKNOWN_COLOR)
        # No check colours where nothing is judged: the side just finished is not corrected.
        judged = not framing and story.state not in QUIET_STATES
        draw_pose(image, pose, segment_statuses(report.checks) if judged else {}, mirrored=mirrored)
        arch = outline_result(report)
        if arch is not None:  # drawn only where a check judged the outline (a side view)
            draw_back_arch(image, pose, report.facing, mirrored=mirrored, value_deg=arch.value)
        if not report.has_pose:
            reason = pose.reason or "no person in view"
            lines.insert(0, reason)
        hold = report.hold
        if not framing:
            draw_hold(image, hold, story)
            y_lines = draw_prompt(image, hold, story)
        draw_banner(image, story.message, story.bgr)
    draw_status_line(image, lines, y_lines)
    return image
