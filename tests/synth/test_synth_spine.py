"""Pure layer: the mannequin's lumbar curve, its exact silhouette and the arch truth on it, and
the moving clips' truth (no rendering, no model).

Pins: a straight trunk (``lumbar=None``) draws as before and a bent one moves no landmark;
the arc's ends and bow; the capsule-union test against known points; the exact outline equals
the mask outline of ``core.outline`` on a rasterised silhouette; the true lordosis grows with
the bend; rep / settle phases; a moving clip's truth books no valid second.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from posecheck.core.outline import BackArch, trunk_edges
from posecheck.synth.body import BodyShape, Pose, blend, lumbar_arc, pose_skeleton
from posecheck.synth.camera import framing_camera
from posecheck.synth.clip import Clip, clip_truth
from posecheck.synth.poses import BACK_BEND, stretch_pose, with_back
from posecheck.synth.scripts import Key, Track, rep_keys, settle_keys
from posecheck.synth.silhouette import (Silhouette, exact_trunk_edges, image_facing, mid_points,
                                        true_back_arch)

HK = "half_kneeling_hip_flexor"


def test_straight_trunk_is_the_original_mannequin() -> None:
    p = stretch_pose(HK, "left", 1)
    names = [s.name for s in pose_skeleton(p).segments]
    assert "lower_trunk" in names and "left_flank_low" not in names
    bent = pose_skeleton(replace(p, lumbar=40.0))
    assert "lower_trunk" not in [s.name for s in bent.segments]
    assert "lower_trunk_0" in [s.name for s in bent.segments]


@pytest.mark.parametrize("bend", [-45.0, 0.0, 30.0, 100.0])
def test_convention_the_lumbar_arc_moves_no_landmark(bend: float) -> None:
    p = stretch_pose("deep_lunge", "right", -1)
    np.testing.assert_allclose(pose_skeleton(replace(p, lumbar=bend)).landmarks,
                               pose_skeleton(p).landmarks, atol=1e-12)


def test_convention_a_positive_arc_bows_forward() -> None:
    pelvis, mid, fwd = np.zeros(3), np.array([0.0, 0.26, 0.0]), np.array([1.0, 0.0, 0.0])
    for bend, sign in ((60.0, 1.0), (-60.0, -1.0)):
        pts = lumbar_arc(pelvis, mid, fwd, bend)
        np.testing.assert_allclose(pts[[0, -1]], [pelvis, mid], atol=1e-12)
        # sagitta of a 60 deg arc on a 0.26 m chord: R (1 - cos 30 deg), R = 0.26
        assert sign * pts[len(pts) // 2, 0] == pytest.approx(0.26 * (1 - np.cos(np.pi / 6)))
        d0, d1 = pts[1] - pts[0], pts[-1] - pts[-2]
        turn = np.degrees(np.arccos(d0 @ d1 / np.linalg.norm(d0) / np.linalg.norm(d1)))
        assert turn == pytest.approx(60.0 * (1 - 1 / 6), abs=0.1)  # chords of 6 pieces
    np.testing.assert_allclose(lumbar_arc(pelvis, mid, fwd, 0.0)[3], mid / 2)


def test_a_straight_pose_blends_with_a_bent_one_as_a_zero_arc() -> None:
    a, b = Pose(), Pose(lumbar=40.0)
    assert blend(a, b, 0.5).lumbar == pytest.approx(20.0)
    assert blend(a, a, 0.5).lumbar is None


def test_capsule_union_known_points() -> None:
    # a tapered capsule from (0, 0) r 10 to (100, 0) r 5, and a disc at (200, 0) r 3
    sil = Silhouette(a=np.array([[0.0, 0.0], [200.0, 0.0]]), b=np.array([[100.0, 0.0],
                     [200.0, 0.0]]), ra=np.array([10.0, 3.0]), rb=np.array([5.0, 3.0]))
    pts = np.array([[0, 9.9], [0, 10.1], [-9.9, 0], [50, 7.4], [50, 7.6], [104.9, 0],
                    [105.1, 0], [200, 2.9], [200, 3.1], [150, 0]])
    # at x = 50 the hull's edge is at 7.5 (to within the tangent's tilt: 0.001 px)
    assert sil.contains(pts).tolist() == [True, False, True, True, False, True, False, True,
                                          False, False]


def _sk_and_cam(bend: float | None, elevation: float = 5.0):
    p = with_back(stretch_pose(HK, "left", 1))
    if bend is not None:
        p = replace(p, lumbar=bend)
    sk = pose_skeleton(p)
    pts = np.array([s.a for s in sk.segments] + [s.b for s in sk.segments])
    return sk, framing_camera(pts, elevation=elevation, fill=0.8)


def test_round_trip_exact_edges_match_the_mask_outline() -> None:
    """The exact outline is what core.outline finds on a mask of the same silhouette
    (rasterised at pixel centres): within the march's pixel rounding at every station."""
    sk, cam = _sk_and_cam(BACK_BEND["arched_back"])
    sil = Silhouette.from_skeleton(sk, cam)
    xy, _ = cam.project(sk.landmarks)
    yy, xx = np.mgrid[0:cam.height, 0:cam.width]
    mask = sil.contains(np.column_stack([xx.ravel(), yy.ravel()])).reshape(yy.shape)
    exact = exact_trunk_edges(sil, *mid_points(xy), cam.width, cam.height)
    on_mask = trunk_edges(mask.astype(float), *mid_points(xy))
    both = np.isfinite(exact).all(axis=-1) & np.isfinite(on_mask).all(axis=-1)
    assert both.sum() >= 40
    # the mask march rounds each 1-px step to a pixel: up to ~1.5 px along a slanted ray
    gap = np.linalg.norm(exact - on_mask, axis=-1)[both]
    assert gap.max() <= 2.0 and np.median(gap) <= 1.0
    a = true_back_arch(exact, xy, image_facing(sk, cam))
    b = BackArch.from_edges(on_mask, *mid_points(xy), 1)
    assert a is not None and b is not None
    assert a.lordosis_deg == pytest.approx(b.lordosis_deg, abs=2.0)


def test_the_true_lordosis_grows_with_the_bend() -> None:
    values = []
    for fault in ("flat_back", "", "arched_back"):
        sk, cam = _sk_and_cam(BACK_BEND[fault])
        xy, _ = cam.project(sk.landmarks)
        arch = true_back_arch(exact_trunk_edges(Silhouette.from_skeleton(sk, cam),
                                                *mid_points(xy), cam.width, cam.height),
                              xy, image_facing(sk, cam))
        assert arch is not None
        values.append(arch.lordosis_deg)
    # flat < neutral, both clear of the spec's band edge by its hysteresis, arched past it
    from posecheck.specs.parse import load_spec

    check = load_spec("half_kneeling_hip_flexor").check("back_not_arched")
    assert values[0] < values[1] < check.max - check.hysteresis
    assert values[2] > check.max + check.hysteresis
    assert values[0] < 10.0 and values[1] > 5.0


def test_convention_facing_follows_the_heading() -> None:
    sk, cam = _sk_and_cam(None)
    assert image_facing(sk, cam) == 1
    assert image_facing(pose_skeleton(replace(sk.pose, heading=-90.0)), cam) == -1
    assert image_facing(pose_skeleton(replace(sk.pose, heading=0.0)), cam) == 0


def test_rep_and_settle_phases_label_their_movement() -> None:
    top, low = stretch_pose(HK, "left", 1), stretch_pose(HK, "left", 1, "lean_forward")
    keys = rep_keys(top, low, t0=0.0, reps=2, down_s=0.5, up_s=0.5, pause_s=0.2)
    assert keys[-1].t == pytest.approx(2.4) and len(keys) == 7
    tr = Track(tuple(keys))
    assert {tr.at(t)[1].phase for t in np.arange(0.05, 2.4, 0.1)} == {"rep"}
    sk = settle_keys(top, t0=1.0, settle_s=1.0, sway_deg=6.0)
    assert sk[-1].pose == top and sk[0].pose.trunk == pytest.approx(top.trunk + 6.0)
    assert Track(tuple(sk)).at(1.3)[1].phase == "settle"


def test_a_moving_clip_books_no_valid_second() -> None:
    """Bouncing in the pose: the truth gives no valid hold whatever the spec's rules make of
    the exact landmarks, keeps those as spec_valid, and the sides agree with the frames."""
    stand = stretch_pose(HK, "left", 1)
    keys = [Key(0.0, stand, "hold", "", "left"), Key(2.0, stand, "hold", "", "left")]
    low = stand.with_side("left", thigh=-30.0)
    keys += rep_keys(stand, low, t0=2.0, reps=3, down_s=0.6, up_s=0.6, side="left")[1:]
    clip = Clip(id="t_bounce", stretch=HK, description="", subject=Track(tuple(keys)),
                fps=10, width=320, height=240, scripted_reps=3)
    truth = clip_truth(clip)
    rep_rows = [f for f in truth["frames"] if f["phase"] == "rep"]
    assert rep_rows and not any(f["valid"] for f in rep_rows)
    s = truth["summary"]
    assert s["scripted_reps"] == 3
    assert s["scripted_hold_s"]["left"] == pytest.approx(2.0, abs=0.11)
    assert s["sides"]["left"]["valid_hold_s"] <= s["spec_on_exact_landmarks_valid_s"]["left"]
    assert s["sides"]["left"]["valid_hold_s"] <= 2.0 + 1e-6


@pytest.mark.slow
@pytest.mark.parametrize("clip_id", ["hk_walk_in_out", "deep_lunge_arch_drift_right_cam8_slim"])
def test_new_sample_clips_regenerate_byte_for_byte(tmp_path, clip_id: str) -> None:
    """The added samples (a moving clip; an arch clip, whose truth carries the exact outline)
    are as deterministic as the original set: a re-render gives the committed bytes."""
    from pathlib import Path

    from posecheck.synth.clip import write_clip
    from posecheck.synth.samples import sample_clips

    committed = Path(__file__).resolve().parents[2] / "sample_videos"
    clip = next(c for c in sample_clips() if c.id == clip_id)
    video, truth = write_clip(clip, tmp_path)
    assert video.read_bytes() == (committed / video.name).read_bytes()
    assert truth.read_bytes() == (committed / truth.name).read_bytes()
