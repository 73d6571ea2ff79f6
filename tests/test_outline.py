"""Pure layer: the back outline and arch measured on synthetic masks of known geometry."""

from __future__ import annotations

import math

import numpy as np
import pytest

from posecheck.outline import STATIONS, BackArch, trunk_edges

SHOULDER = np.array([300.0, 100.0])
HIP = np.array([300.0, 300.0])


def make_mask(arch_deg: float, facing: int = 1, size=(480, 640)) -> np.ndarray:
    """An upright trunk (shoulder at y=100, hip at y=300: 200 px torso) whose back surface is
    flat down to the upper lumbar spine, then turns in by half ``arch_deg`` and back out by half
    over the sacrum: the angle between the two tangents is exactly ``arch_deg``."""
    h, w = size
    y = np.arange(h, dtype=float)
    t = y - SHOULDER[1]
    half = math.tan(math.radians(arch_deg / 2))
    d = np.full(h, 60.0)
    down = (t > 80) & (t <= 160)
    d[down] = 60 - half * (t[down] - 80)
    up = t > 160
    d[up] = 60 - half * 80 + half * np.minimum(t[up] - 160, 110)
    x = np.arange(w, dtype=float)[None, :]
    back = SHOULDER[0] - facing * d[:, None]
    front = SHOULDER[0] + facing * 50.0
    lo, hi = np.minimum(back, front), np.maximum(back, front)
    body = (x >= lo) & (x <= hi) & (t[:, None] >= -20) & (t[:, None] <= 320)
    return body.astype(np.float32)


@pytest.mark.parametrize("arch_deg", [0.0, 20.0, 45.0])
@pytest.mark.parametrize("facing", [1, -1])
def test_lordosis_matches_known_geometry(arch_deg, facing):
    edges = trunk_edges(make_mask(arch_deg, facing), SHOULDER, HIP)
    arch = BackArch.from_edges(edges, SHOULDER, HIP, facing)
    assert arch is not None
    assert abs(arch.lordosis_deg - arch_deg) <= 3.0


def test_depth_grows_with_arch_and_is_zero_for_flat():
    depths = []
    for a in (0.0, 20.0, 45.0):
        arch = BackArch.from_edges(trunk_edges(make_mask(a), SHOULDER, HIP), SHOULDER, HIP, 1)
        depths.append(arch.depth_ratio)
    assert abs(depths[0]) < 0.01
    # known: the deepest point is 80 px * tan(a/2) in from a horizontal-ish chord
    expected = 80 * math.tan(math.radians(22.5)) / 200
    assert depths[0] < depths[1] < depths[2]
    assert depths[2] == pytest.approx(expected, abs=0.05)


def test_convention_back_is_opposite_the_facing():
    # measured from the wrong side (the flat front), a 45 deg arch would read ~0
    edges = trunk_edges(make_mask(45.0, facing=1), SHOULDER, HIP)
    right = BackArch.from_edges(edges, SHOULDER, HIP, 1)
    wrong = BackArch.from_edges(edges, SHOULDER, HIP, -1)
    assert right.lordosis_deg > 40 and abs(wrong.lordosis_deg) < 3


def test_edges_shape_and_unknowns():
    edges = trunk_edges(make_mask(20.0), SHOULDER, HIP)
    assert edges.shape == (2, STATIONS, 2)
    assert trunk_edges(np.zeros((480, 640)), SHOULDER, HIP) is not None
    assert BackArch.from_edges(trunk_edges(np.zeros((480, 640)), SHOULDER, HIP),
                               SHOULDER, HIP, 1) is None
    assert BackArch.from_edges(edges, SHOULDER, HIP, 0) is None
    assert trunk_edges(make_mask(20.0), SHOULDER, SHOULDER) is None
