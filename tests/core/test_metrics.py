"""metrics.py on synthetic poses: known values, sign conventions, invariances, visibility."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from posecheck.core.body import BodyContext, facing_vote, leg_scores, near_side, part_name
from posecheck.core.metrics import METRICS, compute_metrics
from posecheck.core.pose import Landmark as L
from factories import make_pose

FACING = {"right": 1, "left": -1}


def measure(frame, names, *, posture="standing", facing=None, side="left"):
    fv = facing_vote(frame)
    f = facing if facing is not None else (1 if fv > 0 else -1)
    ctx = BodyContext(posture, f, side, near_side(frame))
    return {k: v.value for k, v in compute_metrics(frame, ctx, names).items()}


def test_registry_units():
    assert METRICS
    assert all(m.unit in ("deg", "ratio") for m in METRICS.values())
    assert all(m.description for m in METRICS.values())


# ---------------------------------------------------------------- known values
@pytest.mark.parametrize("torso", [-20.0, 0.0, 10.0, 40.0])
@pytest.mark.parametrize("facing", ["right", "left"])
def test_torso_lean_signed_forward(torso, facing):
    frame = make_pose("deep_lunge", torso_deg=torso, facing=facing, far_offset=0)
    m = measure(frame, ["torso_lean_deg", "lumbar_arch_proxy_deg"])
    assert m["torso_lean_deg"] == pytest.approx(torso, abs=0.5)
    assert m["lumbar_arch_proxy_deg"] == pytest.approx(-torso, abs=0.5)


@pytest.mark.parametrize("ahead", [-0.3, 0.0, 0.25])
@pytest.mark.parametrize("facing", ["right", "left"])
def test_knee_over_toes(ahead, facing):
    frame = make_pose("deep_lunge", knee_ahead=ahead, facing=facing, far_offset=0)
    m = measure(frame, ["other_knee_over_toes_ratio"])
    assert m["other_knee_over_toes_ratio"] == pytest.approx(ahead, abs=0.02)


@pytest.mark.parametrize("knee", [80.0, 95.0, 120.0])
def test_front_knee_angle(knee):
    frame = make_pose("deep_lunge", o_knee=knee, far_offset=0)
    assert measure(frame, ["other_knee_angle_deg"])["other_knee_angle_deg"] == \
        pytest.approx(knee, abs=0.5)


def test_back_knee_on_the_floor_vs_standing():
    kneel = measure(make_pose("half_kneeling_hip_flexor"), ["stretched_knee_height_ratio"])
    stand = measure(make_pose("standing_psoas"), ["stretched_knee_height_ratio"])
    assert kneel["stretched_knee_height_ratio"] < 0.25 < stand["stretched_knee_height_ratio"]


def test_hip_height_low_when_lying_high_when_standing_or_kneeling():
    names = ["hip_height_ratio"]
    cobra = measure(make_pose("cobra"), names, posture="prone")["hip_height_ratio"]
    supine = measure(make_pose("supine_psoas"), names, posture="supine")["hip_height_ratio"]
    kneel = measure(make_pose("half_kneeling_hip_flexor"), names, posture="kneeling")
    stand = measure(make_pose("standing"), names)
    assert max(cobra, supine) < 0.4
    assert 0.7 < kneel["hip_height_ratio"] < stand["hip_height_ratio"]


def test_thigh_behind_when_hips_shift_forward():
    upright = measure(make_pose("half_kneeling_hip_flexor", s_thigh=0),
                      ["stretched_thigh_behind_deg"])
    shifted = measure(make_pose("half_kneeling_hip_flexor", s_thigh=-20),
                      ["stretched_thigh_behind_deg"])
    assert upright["stretched_thigh_behind_deg"] == pytest.approx(0, abs=0.5)
    assert shifted["stretched_thigh_behind_deg"] == pytest.approx(20, abs=0.5)



@pytest.mark.parametrize("facing", ["right", "left"])
@pytest.mark.parametrize("chest", [-20.0, -45.0, -88.0])
def test_knees_behind_both_legs_behind_in_a_cobra_a_front_knee_ahead_otherwise(facing, chest):
    name = ["knees_behind_ratio"]
    cobra = measure(make_pose("cobra", torso_deg=chest, facing=facing), name, posture="prone")
    kneel = measure(make_pose("half_kneeling_hip_flexor", facing=facing), name,
                    posture="kneeling")
    stand = measure(make_pose("standing", facing=facing), name)
    assert cobra["knees_behind_ratio"] == pytest.approx(1.0, abs=0.05)
    assert kneel["knees_behind_ratio"] < -0.5   # the front knee lies ahead of its hip
    assert stand["knees_behind_ratio"] == pytest.approx(0.0, abs=0.05)


def test_knees_behind_reads_the_seen_knee_when_the_other_is_hidden():
    frame = make_pose("half_kneeling_hip_flexor", side="left",
                      hidden=(L.RIGHT_KNEE,))    # the front (other) knee is the right one
    m = measure(frame, ["knees_behind_ratio"], posture="kneeling")
    assert m["knees_behind_ratio"] > 0.0        # only the back knee, behind its hip, is left

@pytest.mark.parametrize("facing", ["right", "left"])
def test_supine_hip_flexion_and_straight_leg(facing):
    frame = make_pose("supine_psoas", o_thigh=120, facing=facing)
    m = measure(frame, ["other_hip_flexion_deg", "stretched_hip_flexion_deg",
                        "stretched_knee_angle_deg", "torso_incline_deg"], posture="supine")
    assert m["other_hip_flexion_deg"] == pytest.approx(120, abs=1)
    assert m["stretched_hip_flexion_deg"] == pytest.approx(0, abs=1)
    assert m["stretched_knee_angle_deg"] == pytest.approx(180, abs=1)
    assert abs(m["torso_incline_deg"]) < 2


def test_hanging_leg_is_extended_below_the_torso_line():
    m = measure(make_pose("lying_edge_psoas"), ["stretched_hip_extension_deg",
                                                 "stretched_knee_drop_ratio"], posture="supine")
    assert m["stretched_hip_extension_deg"] == pytest.approx(25, abs=1)
    assert m["stretched_knee_drop_ratio"] > 0


@pytest.mark.parametrize("thigh, sign", [(0.0, 0), (20.0, -1), (-15.0, 1)])
def test_bridge_hip_line_sign(thigh, sign):
    # thigh > 0 folds the hips (they sag below the shoulder-knee line).
    frame = make_pose("glute_bridge", s_thigh=thigh, o_thigh=thigh, far_offset=0)
    dev = measure(frame, ["hip_line_dev_deg"], posture="supine")["hip_line_dev_deg"]
    if sign == 0:
        assert dev == pytest.approx(0, abs=0.5)
    else:
        assert np.sign(dev) == sign and abs(dev) == pytest.approx(abs(thigh), abs=0.5)


def test_view_width_side_vs_front():
    side = measure(make_pose("standing"), ["view_width_ratio"])["view_width_ratio"]
    front = measure(make_pose("standing", view="front"), ["view_width_ratio"])["view_width_ratio"]
    assert side < 0.3 < 0.6 < front


# ---------------------------------------------------------------- invariances / conventions
def test_convention_scale_and_image_size_invariance():
    names = ["torso_lean_deg", "other_knee_over_toes_ratio", "stance_length_ratio",
             "stretched_knee_height_ratio", "other_knee_angle_deg"]
    small = measure(make_pose("deep_lunge", width=320, height=240, scale=40), names)
    big = measure(make_pose("deep_lunge", width=1920, height=1080, scale=300), names)
    for n in names:
        assert small[n] == pytest.approx(big[n], abs=1e-6), n


def test_convention_facing_left_equals_facing_right():
    names = [n for n in METRICS if n not in ("view_width_ratio", "hip_width_ratio")]
    r = measure(make_pose("half_kneeling_hip_flexor", facing="right", far_offset=0), names,
                posture="kneeling")
    lft = measure(make_pose("half_kneeling_hip_flexor", facing="left", far_offset=0), names,
                  posture="kneeling")
    for n in names:
        if math.isnan(r[n]):
            assert math.isnan(lft[n]), n
        else:
            assert r[n] == pytest.approx(lft[n], abs=1e-6), n


def test_convention_mirrored_frame_restores_the_subjects_sides():
    names = ["stretched_knee_angle_deg", "other_knee_over_toes_ratio", "torso_lean_deg"]
    truth = measure(make_pose("deep_lunge", side="left"), names, side="left")
    mirrored = make_pose("deep_lunge", side="left", mirrored=True)
    # As delivered, the mirrored image calls the back leg "right" ...
    scores = leg_scores(mirrored, "back", BodyContext("standing", -1, None, near_side(mirrored)))
    assert scores["right"] > scores["left"]
    # ... and PoseFrame.mirrored() restores the subject's left.
    back = measure(mirrored.mirrored(), names, side="left")
    for n in names:
        assert back[n] == pytest.approx(truth[n], abs=1e-6)


def test_convention_y_down_supine_front_is_up():
    # A thigh pointing up (smaller y) from the hip of a supine person is hip flexion (> 0).
    frame = make_pose("supine_psoas", o_thigh=90)
    knee, hip = frame.point(L.RIGHT_KNEE), frame.point(L.RIGHT_HIP)
    assert knee[1] < hip[1]
    assert measure(frame, ["other_hip_flexion_deg"], posture="supine")[
        "other_hip_flexion_deg"] == pytest.approx(90, abs=1)


# ---------------------------------------------------------------- context
@pytest.mark.parametrize("preset", ["deep_lunge", "half_kneeling_hip_flexor", "camel",
                                    "standing"])
@pytest.mark.parametrize("facing", ["right", "left"])
def test_facing_vote_sign(preset, facing):
    assert np.sign(facing_vote(make_pose(preset, facing=facing))) == FACING[facing]


@pytest.mark.parametrize("preset, rule, posture", [
    ("deep_lunge", "back", "standing"),
    ("half_kneeling_hip_flexor", "kneeling", "kneeling"),
    ("supine_psoas", "straight", "supine"),
    ("lying_edge_psoas", "hanging", "supine"),
    ("seated_psoas", "straight", "seated"),
])
@pytest.mark.parametrize("side", ["left", "right"])
def test_leg_scores_find_the_stretched_side(preset, rule, posture, side):
    frame = make_pose(preset, side=side)
    ctx = BodyContext(posture, 1, None, near_side(frame))
    scores = leg_scores(frame, rule, ctx)
    other = "right" if side == "left" else "left"
    assert scores[side] > scores[other] + 0.15


def test_near_side_follows_the_facing():
    # Facing image-right, a person shows the camera their right side.
    assert near_side(make_pose("standing", facing="right")) == "right"
    assert near_side(make_pose("standing", facing="left")) == "left"


# ---------------------------------------------------------------- visibility
def test_hidden_landmark_makes_metric_unknown_and_names_it():
    frame = make_pose("deep_lunge", side="left", hidden=(L.RIGHT_FOOT_INDEX,))
    ctx = BodyContext("standing", 1, "left", near_side(frame))
    out = compute_metrics(frame, ctx, ["other_knee_over_toes_ratio", "torso_lean_deg"])
    assert math.isnan(out["other_knee_over_toes_ratio"].value)
    assert int(L.RIGHT_FOOT_INDEX) in out["other_knee_over_toes_ratio"].hidden
    assert math.isfinite(out["torso_lean_deg"].value)
    assert part_name(L.RIGHT_FOOT_INDEX, ctx, {"stretched": "back", "other": "front"}) == \
        "front foot"


def test_far_side_low_visibility_does_not_hide_the_torso():
    frame = make_pose("deep_lunge", far_visibility=0.1)
    ctx = BodyContext("standing", 1, "left", near_side(frame))
    out = compute_metrics(frame, ctx, ["torso_lean_deg"])
    assert math.isfinite(out["torso_lean_deg"].value)


def test_unknown_stretched_side_gives_unknown_leg_metrics():
    frame = make_pose("deep_lunge")
    ctx = BodyContext("standing", 1, None, near_side(frame))
    out = compute_metrics(frame, ctx, ["other_knee_angle_deg"])
    assert math.isnan(out["other_knee_angle_deg"].value)


def test_no_pose_frame_gives_nan():
    from posecheck.core.pose import PoseFrame
    ctx = BodyContext("standing", 1, "left", "right")
    out = compute_metrics(PoseFrame.empty(0, 100, 100), ctx, ["torso_lean_deg"])
    assert math.isnan(out["torso_lean_deg"].value)


# ---------------------------------------------------------------- body frame (orientation-free)
BODY_FRAME_METRICS = ["other_hip_flexion_deg", "stretched_hip_flexion_deg",
                      "stretched_hip_extension_deg", "other_hip_extension_deg",
                      "stretched_knee_angle_deg", "other_knee_angle_deg",
                      "stretched_hip_angle_deg", "stretched_heel_to_glute_ratio",
                      "other_heel_to_glute_ratio"]


def turned(frame, quarter_turns: int):
    """The same frame as a camera rolled by ``quarter_turns`` x 90 deg (counter-clockwise on
    screen) would give it: a body lying across the image becomes one lying along it, or
    upside down. The image keeps its centre; width and height swap on odd turns."""
    k = quarter_turns % 4
    w, h = frame.width, frame.height
    x, y = frame.xy[:, 0], frame.xy[:, 1]
    xy, size = {0: ((x, y), (w, h)), 1: ((y, w - x), (h, w)), 2: ((w - x, h - y), (w, h)),
                3: ((h - y, x), (h, w))}[k]
    return dataclasses.replace(frame, xy=np.column_stack(xy), width=size[0], height=size[1])


@pytest.mark.parametrize("preset, posture, angles", [
    ("supine_psoas", "supine", {}),                        # knee hugged, other leg long
    ("supine_psoas", "supine", {"s_thigh": 30}),           # the long leg lifted
    ("supine_psoas", "supine", {"s_knee": 120}),           # the long leg bent
    ("lying_edge_psoas", "supine", {}),                    # a leg hanging off the edge
    ("standing", "side_lying", {"body_deg": 90, "s_thigh": -20, "s_knee": 40}),  # top heel pulled
])
@pytest.mark.parametrize("facing", ["right", "left"])
@pytest.mark.parametrize("quarter_turns", [1, 2, 3])
def test_convention_lying_metrics_are_the_same_however_the_body_lies_in_the_image(
        preset, posture, angles, facing, quarter_turns):
    # A lying body filmed across the image, along it (camera above, or rolled) or upside
    # down: metrics in the body's own frame must not change. A side-lying body seen from
    # above shows its legs' plane as a side view does, so the same 2-D pose stands for it.
    frame = make_pose(preset, facing=facing, **angles)
    base = measure(frame, BODY_FRAME_METRICS, posture=posture, facing=FACING[facing])
    other = measure(turned(frame, quarter_turns), BODY_FRAME_METRICS, posture=posture,
                    facing=FACING[facing])
    for name in BODY_FRAME_METRICS:
        assert math.isfinite(base[name]), name
        assert other[name] == pytest.approx(base[name], abs=1e-6), name


def test_supine_front_is_the_face_side_even_with_the_head_down_in_the_image():
    # Upside down (180 deg), image "up" points to the floor; the face still marks the front,
    # so the hugged knee reads as flexion (+), not extension.
    frame = turned(make_pose("supine_psoas", o_thigh=120), 2)
    assert measure(frame, ["other_hip_flexion_deg"], posture="supine")[
        "other_hip_flexion_deg"] == pytest.approx(120, abs=1)


def test_supine_front_falls_back_to_image_up_when_the_face_is_not_seen():
    frame = make_pose("supine_psoas", o_thigh=120, hidden=(L.NOSE,))
    assert measure(frame, ["other_hip_flexion_deg"], posture="supine")[
        "other_hip_flexion_deg"] == pytest.approx(120, abs=1)
    # ... and, along the image with no face, the front cannot be told: unknown, not a guess
    along = turned(frame, 1)
    assert math.isnan(measure(along, ["other_hip_flexion_deg"], posture="supine")[
        "other_hip_flexion_deg"])
