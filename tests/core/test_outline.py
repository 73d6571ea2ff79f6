"""Pure layer: the back outline and arch measured on synthetic masks of known geometry."""

from __future__ import annotations

import math

import numpy as np
import pytest

from posecheck.core.outline import SMOOTH_STATIONS, STATIONS, BackArch, trunk_edges

from factories import (BACK_PERIOD_PX, HIP, SHOULDER, back_amplitude, make_back_mask,
                       pose_on_back_mask)

@pytest.mark.parametrize("arch_deg", [0.0, 20.0, 45.0])
@pytest.mark.parametrize("facing", [1, -1])
def test_lordosis_matches_known_geometry(arch_deg, facing):
    edges = trunk_edges(make_back_mask(arch_deg, facing), SHOULDER, HIP)
    arch = BackArch.from_edges(edges, SHOULDER, HIP, facing)
    assert arch is not None
    assert abs(arch.lordosis_deg - arch_deg) <= 3.0


def test_depth_grows_with_arch_and_is_zero_for_flat():
    depths = []
    for a in (0.0, 20.0, 45.0):
        arch = BackArch.from_edges(trunk_edges(make_back_mask(a), SHOULDER, HIP), SHOULDER, HIP, 1)
        depths.append(arch.depth_ratio)
    assert abs(depths[0]) < 0.01
    # known: the chord joins the two (level) apexes; the smoothed cosine's peak-to-trough is
    # 2 A times the moving average's factor, over a 200 px torso
    j = np.arange(SMOOTH_STATIONS) - (SMOOTH_STATIONS - 1) / 2
    factor = np.mean(np.cos(2 * math.pi / BACK_PERIOD_PX * 10.0 * j))
    assert depths[0] < depths[1] < depths[2]
    assert depths[2] == pytest.approx(2 * back_amplitude(45.0) * factor / 200, abs=0.01)


SHIFTS = (-0.05, 0.0, 0.05)


@pytest.mark.parametrize("arch_deg", [20.0, 45.0])
@pytest.mark.parametrize("sh_shift", SHIFTS)
@pytest.mark.parametrize("hip_shift", SHIFTS)
def test_lordosis_is_robust_to_landmarks_sliding_along_the_axis(arch_deg, sh_shift, hip_shift):
    """The shoulder and hip points off by 5 % of the torso along the axis (MediaPipe's usual
    error): the regions are placed by the outline's own apexes and hollow, so the reading
    stays on the known value (the smoothing spans stations, which scale with the torso the
    landmarks give: the known value is the one for that torso length)."""
    axis = HIP - SHOULDER
    sh, hp = SHOULDER + sh_shift * axis, HIP + hip_shift * axis
    torso = float(np.hypot(*(hp - sh)))
    known_a = back_amplitude(arch_deg)             # the mask's shape (a 200 px torso)
    # the lordosis this same shape has when measured with a torso of `torso` px
    scale = known_a / back_amplitude(arch_deg, torso)
    known = 2 * math.degrees(math.atan(scale * math.tan(math.radians(arch_deg / 2))))
    arch = BackArch.from_edges(trunk_edges(make_back_mask(arch_deg), sh, hp), sh, hp, 1)
    assert arch is not None
    assert arch.lordosis_deg == pytest.approx(known, abs=0.1 * arch_deg)


def test_the_back_thigh_below_the_buttock_is_cut_not_refused():
    """A back thigh (or the floor) joining the outline below the buttock: the outline is cut
    there and the arch above is measured as without it."""
    mask = make_back_mask(45.0)
    plain = BackArch.from_edges(trunk_edges(mask, SHOULDER, HIP), SHOULDER, HIP, 1)
    mask[380:410, 100:300] = 1.0         # a thigh reaching far behind, 280-310 px down
    cut = BackArch.from_edges(trunk_edges(mask, SHOULDER, HIP), SHOULDER, HIP, 1)
    assert cut is not None
    assert cut.lordosis_deg == pytest.approx(plain.lordosis_deg, abs=1.0)
    assert cut.curve[:, 1].max() < 380


def test_convention_back_is_opposite_the_facing():
    # measured from the wrong side (the flat front), a 45 deg arch would read ~0
    edges = trunk_edges(make_back_mask(45.0, facing=1), SHOULDER, HIP)
    right = BackArch.from_edges(edges, SHOULDER, HIP, 1)
    wrong = BackArch.from_edges(edges, SHOULDER, HIP, -1)
    assert right.lordosis_deg > 40 and abs(wrong.lordosis_deg) < 3


def test_edges_shape_and_unknowns():
    edges = trunk_edges(make_back_mask(20.0), SHOULDER, HIP)
    assert edges.shape == (2, STATIONS, 2)
    assert trunk_edges(np.zeros((480, 640)), SHOULDER, HIP) is not None
    assert BackArch.from_edges(trunk_edges(np.zeros((480, 640)), SHOULDER, HIP),
                               SHOULDER, HIP, 1) is None
    assert BackArch.from_edges(edges, SHOULDER, HIP, 0) is None
    assert trunk_edges(make_back_mask(20.0), SHOULDER, SHOULDER) is None


@pytest.mark.parametrize("arch_deg", [0.0, 20.0, 45.0])
def test_metric_reads_the_back_side_and_names_no_hidden_landmark(arch_deg):
    from posecheck.core.body import BodyContext
    from posecheck.core.metrics import compute_metrics

    for facing in (1, -1):
        ctx = BodyContext("kneeling", facing, "left", "left")
        got = compute_metrics(pose_on_back_mask(arch_deg, facing), ctx,
                              ["lumbar_lordosis_deg", "lumbar_depth_ratio"])
        assert abs(got["lumbar_lordosis_deg"].value - arch_deg) <= 3.0
        assert got["lumbar_depth_ratio"].known


def test_metric_unknown_without_outline_or_facing():
    from posecheck.core.body import BodyContext
    from posecheck.core.metrics import compute_metrics

    ctx = BodyContext("kneeling", 1, "left", "left")
    assert not compute_metrics(pose_on_back_mask(20, with_outline=False), ctx,
                               ["lumbar_lordosis_deg"])["lumbar_lordosis_deg"].known
    assert not compute_metrics(pose_on_back_mask(20), BodyContext("kneeling", 0, "left", "left"),
                               ["lumbar_lordosis_deg"])["lumbar_lordosis_deg"].known


@pytest.mark.parametrize("arch_deg, verdict", [(0.0, "pass"), (20.0, "pass"), (60.0, "fail")])
def test_verdict_of_the_half_kneeling_spec(arch_deg, verdict):
    from posecheck.core.checks import evaluate
    from posecheck.core.body import BodyContext
    from posecheck.core.metrics import compute_metrics
    from posecheck.specs.parse import load_spec

    check = load_spec("half_kneeling_hip_flexor").check("back_not_arched")
    ctx = BodyContext("kneeling", 1, "left", "left")
    m = compute_metrics(pose_on_back_mask(arch_deg), ctx,
                        ["lumbar_lordosis_deg", "lumbar_arch_proxy_deg"])
    res = evaluate([check], m)["back_not_arched"]
    assert res.status.value == verdict and not res.fallback_used


def test_an_arm_against_the_back_hides_the_outline():
    mask = make_back_mask(20.0)
    mask[150:190, 150:240] = 1.0          # a forearm sticking out behind the upper back
    edges = trunk_edges(mask, SHOULDER, HIP)
    assert BackArch.from_edges(edges, SHOULDER, HIP, 1) is None


def test_convention_mirroring_swaps_the_outline_sides():
    pose = pose_on_back_mask(45.0)
    from posecheck.core.body import BodyContext
    from posecheck.core.metrics import compute_metrics

    m = pose.mirrored()
    np.testing.assert_allclose(m.outline[1][:, 0], pose.width - pose.outline[0][:, 0])
    ctx = BodyContext("kneeling", -1, "right", "right")   # the mirror image faces left
    got = compute_metrics(m, ctx, ["lumbar_lordosis_deg"])["lumbar_lordosis_deg"].value
    assert abs(got - 45.0) <= 3.0
