"""Stick figures of each posture's target position, drawn by code (for the page's sidebar
and the routine panel)."""

from __future__ import annotations

import cv2
import numpy as np

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
