"""draw.overlay.annotate on real ``FrameReport`` values (pure drawing layer): colours by check
status, mirroring, cue banner, hold bar, prompts; the posture figures."""

from __future__ import annotations

import numpy as np
import pytest

from fakes import frame_report, hold_state
from posecheck.core.checks import CheckResult, Status
from posecheck.core.feedback import Cue
from posecheck.core.pose import Landmark, PoseFrame
from posecheck.core.session import FrameReport
from posecheck.core.hold import HoldState, Phase
from posecheck.draw.overlay import annotate, draw_back_arch, pad_for_controls
from posecheck.draw.posture import stretch_figure
from posecheck.draw.style import (ADVICE_COLOR, FAIL_COLOR, PASS_COLOR, STATUS_COLORS,
                                  UNKNOWN_COLOR, ascii_text, segment_statuses)

W, H = 640, 480
L = Landmark


def standing_pose(width: int = W, height: int = H) -> PoseFrame:
    """A person standing side-on, left side toward the camera (pixels, y down)."""
    xy = np.full((33, 2), np.nan)
    xy[:] = (width * 0.5, height * 0.2)
    for lm, (x, y) in {
        L.LEFT_SHOULDER: (0.50, 0.30), L.RIGHT_SHOULDER: (0.52, 0.30),
        L.LEFT_ELBOW: (0.50, 0.42), L.RIGHT_ELBOW: (0.52, 0.42),
        L.LEFT_WRIST: (0.50, 0.52), L.RIGHT_WRIST: (0.52, 0.52),
        L.LEFT_HIP: (0.50, 0.55), L.RIGHT_HIP: (0.52, 0.55),
        L.LEFT_KNEE: (0.40, 0.70), L.RIGHT_KNEE: (0.62, 0.70),
        L.LEFT_ANKLE: (0.35, 0.88), L.RIGHT_ANKLE: (0.68, 0.88),
        L.LEFT_HEEL: (0.33, 0.90), L.RIGHT_HEEL: (0.66, 0.90),
        L.LEFT_FOOT_INDEX: (0.30, 0.91), L.RIGHT_FOOT_INDEX: (0.72, 0.91),
    }.items():
        xy[lm] = (x * width, y * height)
    return PoseFrame(t_ms=0, width=width, height=height, xy=xy)


def check(cid: str, status: Status, *lms: Landmark) -> CheckResult:
    return CheckResult(id=cid, status=status, value=1.0, margin=0.0,
                       landmarks=tuple(int(x) for x in lms))


def hold(phase: Phase = Phase.HOLDING, **fields) -> HoldState:
    """A real hold state in the middle of a two-hold plan."""
    return hold_state(phase, reps_target=2, **fields)


def report(pose: PoseFrame | None, checks: dict[str, CheckResult] | None = None,
           held: HoldState | None = None, **fields) -> FrameReport:
    """A real ``FrameReport`` in a hold, in position, with a good view (``has_pose`` stays True
    without landmarks, so a test can draw only the panels)."""
    fields.setdefault("has_pose", True)
    fields.setdefault("view_ok", True)
    return frame_report(0, pose, checks=checks, hold=held if held is not None else hold(),
                        **fields)


def blank() -> np.ndarray:
    return np.full((H, W, 3), 255, np.uint8)


def midpoint(pose: PoseFrame, a: Landmark, b: Landmark) -> tuple[int, int]:
    x, y = (pose.point(a) + pose.point(b)) / 2
    return int(round(x)), int(round(y))


def near(pixel: np.ndarray, color: tuple[int, int, int], tol: int = 40) -> bool:
    return bool(np.all(np.abs(pixel.astype(int) - np.array(color)) <= tol))


@pytest.mark.parametrize("status", [Status.PASS, Status.FAIL, Status.UNKNOWN])
def test_segment_takes_the_colour_of_its_check(status):
    pose = standing_pose()
    rep = report(pose, {"knee": check("knee", status, L.LEFT_HIP, L.LEFT_KNEE,
                                             L.LEFT_ANKLE)})
    out = annotate(blank(), rep)
    x, y = midpoint(pose, L.LEFT_HIP, L.LEFT_KNEE)
    assert near(out[y, x], STATUS_COLORS[status.value])
    # A segment no check looks at stays neutral (not a status colour).
    x, y = midpoint(pose, L.RIGHT_HIP, L.RIGHT_KNEE)
    assert not any(near(out[y, x], c) for c in STATUS_COLORS.values())


def test_annotate_returns_a_new_image_and_leaves_the_input_alone():
    image = blank()
    before = image.copy()
    out = annotate(image, report(standing_pose(), held=hold(hold_valid_s=3)))
    assert out.shape == image.shape and out.dtype == np.uint8
    assert np.array_equal(image, before)
    assert not np.array_equal(out, before)


def test_convention_mirrored_draws_the_subjects_left_at_the_reflected_x():
    pose = standing_pose()
    rep = report(pose, {"knee": check("knee", Status.FAIL, L.LEFT_HIP, L.LEFT_KNEE)})
    out = annotate(blank(), rep, mirrored=True)
    x, y = midpoint(pose, L.LEFT_HIP, L.LEFT_KNEE)
    assert near(out[y, W - 1 - x], FAIL_COLOR) or near(out[y, W - x], FAIL_COLOR)
    assert not near(out[y, x], FAIL_COLOR)


def test_pose_of_another_size_is_scaled_to_the_image():
    pose = standing_pose(320, 240)
    rep = report(pose, {"knee": check("knee", Status.PASS, L.LEFT_HIP, L.LEFT_KNEE)})
    out = annotate(blank(), rep)
    x, y = midpoint(standing_pose(), L.LEFT_HIP, L.LEFT_KNEE)
    assert near(out[y, x], PASS_COLOR)


def test_worse_status_wins_a_shared_segment():
    checks = {"a": check("a", Status.PASS, L.LEFT_HIP, L.LEFT_KNEE),
              "b": check("b", Status.FAIL, L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE),
              "c": check("c", Status.UNKNOWN, L.LEFT_KNEE, L.LEFT_ANKLE)}
    seg = segment_statuses(checks)
    assert seg[(int(L.LEFT_HIP), int(L.LEFT_KNEE))] == "fail"
    assert seg[(int(L.LEFT_KNEE), int(L.LEFT_ANKLE))] == "fail"


def test_landmarks_without_a_skeleton_segment_are_joined_directly():
    # knee over toes: knee and foot index share no skeleton segment
    seg = segment_statuses({"k": check("k", Status.FAIL, L.LEFT_KNEE, L.LEFT_FOOT_INDEX)})
    assert seg == {(int(L.LEFT_KNEE), int(L.LEFT_FOOT_INDEX)): "fail"}


def test_hidden_landmarks_are_not_drawn():
    pose = standing_pose()
    vis = np.ones(33)
    vis[L.LEFT_KNEE] = 0.0
    pose = PoseFrame(t_ms=0, width=W, height=H, xy=pose.xy, visibility=vis)
    rep = report(pose, {"knee": check("knee", Status.FAIL, L.LEFT_HIP, L.LEFT_KNEE)})
    out = annotate(blank(), rep)
    x, y = midpoint(pose, L.LEFT_HIP, L.LEFT_KNEE)
    assert not near(out[y, x], FAIL_COLOR)


def banner_color(img: np.ndarray) -> np.ndarray:
    return img[H - 3, 3].astype(int)


def test_banner_colour_and_text_come_from_the_story():
    from posecheck.core.story import tell

    fault = CheckResult(id="torso", status=Status.FAIL, value=40.0, margin=-20.0,
                        required=True, cue="Lift your chest")
    tip = CheckResult(id="foot", status=Status.FAIL, value=40.0, margin=-5.0, required=False,
                      cue="Keep the front foot flat")
    held = hold(hold_valid_s=3.0)
    cases = {
        "paused": report(None, {"torso": fault}, held, valid=False),
        "tip": report(None, {"foot": tip}, held, cue=Cue("foot", tip.cue, "form", 10)),
        "counting": report(None, {}, held),
    }
    for state, rep in cases.items():
        told = tell(rep)
        assert told.state == state
        out = annotate(blank(), rep)
        b, g, r = banner_color(out)
        er, eg, eb = told.rgb
        # The banner is the story's colour over white at 80 %.
        assert abs(r - (0.8 * er + 51)) < 6 and abs(g - (0.8 * eg + 51)) < 6 \
            and abs(b - (0.8 * eb + 51)) < 6, (state, (r, g, b), told.rgb)
        assert np.array_equal(out, annotate(blank(), rep, story=told))
    assert tell(cases["paused"]).message == "Lift your chest"


@pytest.mark.parametrize("valid_s", [0.0, 7.5, 15.0, 30.0, 45.0])
def test_hold_bar_fills_in_proportion_to_valid_seconds(valid_s):
    out = annotate(blank(), report(None, held=hold(hold_valid_s=valid_s,
                                                            target_s=30.0)))
    top = out[:H // 3]  # the panel (the green banner is at the bottom)
    green = np.all(np.abs(top.astype(int) - np.array(PASS_COLOR)) <= 5, axis=2)
    rows = np.where(green.sum(axis=1) > 3)[0]
    if valid_s == 0:
        assert len(rows) == 0
        return
    row = green[rows[len(rows) // 2]]
    filled = np.where(row)[0]
    grey = np.all(np.abs(top[rows[len(rows) // 2]].astype(int) - 90) <= 5, axis=1)
    bar_len = filled.max() - filled.min() + 1 + grey.sum()
    assert filled.size / bar_len == pytest.approx(min(1.0, valid_s / 30.0), abs=0.03)


def test_countdown_number_only_while_settling_or_resting_in_the_top_right_corner():
    settling = hold(phase=Phase.SETTLING, prompt="Get ready", countdown_s=2.2)
    holding = hold(phase=Phase.HOLDING, prompt="Hold", countdown_s=22.0)
    a = annotate(blank(), report(None, held=settling))
    b = annotate(blank(), report(None, held=holding))
    amber = lambda img: np.all(np.abs(img.astype(int) - np.array(UNKNOWN_COLOR)) <= 30, axis=2)
    assert amber(a)[:H // 3, 2 * W // 3:].sum() > 300  # the digits, top right
    assert amber(a)[H // 4:H - 60, W // 4:3 * W // 4].sum() == 0  # not over the body
    assert amber(b).sum() == 0


def test_framing_draws_the_target_outline_and_no_hold_panel():
    rep = report(standing_pose(), held=hold(hold_valid_s=3.0))
    out = annotate(blank(), rep, framing=True)
    plain = annotate(blank(), rep)
    assert (out[int(H * 0.5), int(W * 0.06)] != 255).any()  # the outline's left edge
    green = lambda img: np.all(np.abs(img.astype(int) - np.array(PASS_COLOR)) <= 5,
                               axis=2)[:H // 3].sum()
    assert green(plain) > 0 and green(out) == 0  # the hold bar only once timing runs


def test_pad_for_controls_adds_a_strip_below():
    out = pad_for_controls(blank())
    assert out.shape[1] == W and out.shape[0] > H and out.shape[0] % 2 == 0
    assert np.array_equal(out[:H], blank())


def test_no_pose_says_why():
    empty = PoseFrame.empty(0, W, H, reason="no person detected")
    out = annotate(blank(), report(empty, has_pose=False))
    assert (out[:40, W // 2:] < 250).any()  # text at the top right


def test_ascii_text_maps_typography():
    assert ascii_text("Knee \u2013 90\u00b0 \u2192 ok\u2026") == "Knee - 90 deg -> ok..."


@pytest.mark.parametrize("posture,leg", [("kneeling", "kneeling"), ("standing", "back"),
                                         ("supine", "hanging"), ("prone", "none"),
                                         ("standing", "bent"), ("seated", "none")])
def test_stretch_figure_shows_the_stretched_leg(posture, leg):
    img = stretch_figure(posture, leg, size=(200, 140))
    assert img.shape == (140, 200, 3) and img.dtype == np.uint8
    orange = np.all(np.abs(img.astype(int) - np.array((255, 140, 0))) <= 10, axis=2)
    assert orange.sum() > 50


def test_every_spec_has_a_drawing_with_its_stretched_leg():
    from posecheck.specs.parse import list_specs, load_spec

    for spec_id in list_specs():
        spec = load_spec(spec_id)
        img = stretch_figure(spec.posture, spec.stretched_leg, size=(200, 140), spec_id=spec_id)
        orange = np.all(np.abs(img.astype(int) - np.array((255, 140, 0))) <= 10, axis=2)
        assert orange.sum() > 50, spec_id


def test_no_check_colours_during_the_switch():
    pose = standing_pose()
    checks = {"knee": check("knee", Status.FAIL, L.LEFT_HIP, L.LEFT_KNEE)}
    x, y = midpoint(pose, L.LEFT_HIP, L.LEFT_KNEE)
    holding = annotate(blank(), report(pose, checks, hold(), valid=False))
    switch = annotate(blank(), report(pose, checks, hold(phase=Phase.SWITCH),
                                           valid=False))
    assert near(holding[y, x], FAIL_COLOR) and not near(switch[y, x], FAIL_COLOR)


def test_a_failing_advisory_check_is_drawn_as_a_tip_not_a_fault():
    advisory = CheckResult(id="k", status=Status.FAIL, value=1.0, margin=0.0, required=False,
                           landmarks=(int(L.LEFT_HIP), int(L.LEFT_KNEE)))
    assert set(segment_statuses({"k": advisory}).values()) == {"advice"}
    pose = standing_pose()
    out = annotate(blank(), report(pose, {"k": advisory}, hold()))
    x, y = midpoint(pose, L.LEFT_HIP, L.LEFT_KNEE)
    assert near(out[y, x], ADVICE_COLOR) and not near(out[y, x], FAIL_COLOR)


def test_back_arch_is_drawn_along_the_measured_outline_only_when_seen():
    from dataclasses import replace

    from posecheck.draw.overlay import ARCH_COLOR
    from factories import pose_on_back_mask as _pose_on_mask

    pose = _pose_on_mask(45.0)
    image = draw_back_arch(np.zeros((480, 640, 3), np.uint8), pose, facing=1)
    # anti-aliased: near the colour, not exactly it
    magenta = np.abs(image.astype(int) - np.array(ARCH_COLOR)).max(axis=2) < 60
    # the thoracic back is 60 px behind the axis (x = 300), facing +x: near x = 240 at y = 150
    assert magenta[150, 236:245].any() and not magenta[150, 300:].any()
    blank = draw_back_arch(np.zeros((480, 640, 3), np.uint8), replace(pose, outline=None), 1)
    assert not blank.any()
    unknown = draw_back_arch(np.zeros((480, 640, 3), np.uint8), pose, facing=0)
    assert not unknown.any()


def test_the_annotated_frame_draws_the_arch_only_where_a_check_judged_the_outline():
    """An oblique or front view judges the back on the trunk-line fallback: the outline's
    curve must not be drawn there (a front-view warrior II showed "arch 54 deg" on its flank
    while the check had used the fallback)."""
    from posecheck.draw.overlay import ARCH_COLOR
    from factories import pose_on_back_mask as _pose_on_mask

    pose = _pose_on_mask(45.0)
    judged = CheckResult(id="back_not_arched", status=Status.FAIL, value=47.0, margin=-2.0,
                         metric="lumbar_lordosis_deg")
    fallback = CheckResult(id="back_not_arched", status=Status.PASS, value=4.0, margin=6.0,
                           metric="lumbar_arch_proxy_deg", fallback_used=True)

    def magenta(checks: dict) -> np.ndarray:
        out = annotate(np.zeros((480, 640, 3), np.uint8), report(pose, checks, hold(),
                                                                  facing=1))
        return np.abs(out.astype(int) - np.array(ARCH_COLOR)).max(axis=2) < 60

    assert magenta({"back_not_arched": judged})[150, 236:245].any()
    assert not magenta({"back_not_arched": fallback})[150, 236:245].any()
