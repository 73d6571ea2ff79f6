"""core.legs (pure layer): the leg-label fixer keeps only unambiguous frames as its reference.
(The fixer's other behaviour is tested with the session, in test_session.py.)"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from factories import make_pose
from posecheck.core import geometry as g
from posecheck.core.legs import LegLabelFixer, swap_legs
from posecheck.core.pose import Landmark as L

LEFT = [L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_FOOT_INDEX]
RIGHT = [L.RIGHT_KNEE, L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX]


def _legs_apart(apart: float, t_ms: int):
    """A standing pose with the two lower legs ``apart`` torso lengths from each other (the
    left one toward image-right)."""
    pose = make_pose("standing", t_ms=t_ms)
    torso = float(g.torso_length(*g.trunk_centres(pose.xy)))
    xy = pose.xy.copy()
    mid = (xy[LEFT] + xy[RIGHT]) / 2
    xy[LEFT] = mid + [apart / 2 * torso, 0.0]
    xy[RIGHT] = mid - [apart / 2 * torso, 0.0]
    return replace(pose, xy=xy)


def _turned(pose, t_ms: int):
    """The legs turned 90 deg about each pair's mid-point: as near the crossed labelling of
    ``pose`` as the straight one (an ambiguous frame)."""
    xy = pose.xy.copy()
    mid = (xy[LEFT] + xy[RIGHT]) / 2
    d = xy[LEFT] - mid
    turned = np.column_stack([-d[:, 1], d[:, 0]])
    xy[LEFT], xy[RIGHT] = mid + turned, mid - turned
    return replace(pose, xy=xy, t_ms=t_ms)


def test_an_ambiguous_frame_does_not_become_the_reference():
    a = _legs_apart(0.3, 0)
    b = _turned(a, 33)
    c = swap_legs(replace(a, t_ms=66))  # MediaPipe swaps the labels back on the next frame
    fixer = LegLabelFixer()
    out = [fixer.update(f) for f in (a, b, c)]
    # c is put back: its left knee where a's left knee was
    assert np.allclose(out[2].xy[LEFT], a.xy[LEFT])
    assert fixer.swapped_frames == 1


def test_a_clear_frame_still_moves_the_reference():
    a = _legs_apart(0.6, 0)
    moved = replace(a, t_ms=33, xy=a.xy + [5.0, 0.0])  # everything a little to the right
    c = swap_legs(replace(moved, t_ms=66))
    fixer = LegLabelFixer()
    out = [fixer.update(f) for f in (a, moved, c)]
    assert np.allclose(out[2].xy[LEFT], moved.xy[LEFT])


def _jumped(pose, t_ms: int, legs, by: float):
    """``pose`` with the lower-leg landmarks ``legs`` moved ``by`` torso lengths down."""
    torso = float(g.torso_length(*g.trunk_centres(pose.xy)))
    xy = pose.xy.copy()
    xy[legs] = xy[legs] + [0.0, by * torso]
    return replace(pose, xy=xy, t_ms=t_ms)


def test_a_garbled_frame_hides_only_the_leg_that_jumped():
    a = _legs_apart(0.6, 0)
    fixer = LegLabelFixer()
    fixer.update(a)
    out = fixer.update(_jumped(a, 33, LEFT, 1.2))  # the far leg flickers in a still hold
    assert fixer.garbled_frames == 1
    assert (out.visibility[LEFT] <= 0.2).all()
    assert np.allclose(out.visibility[RIGHT], a.visibility[RIGHT])  # still measured


def test_a_garbled_frame_with_both_legs_off_hides_both():
    a = _legs_apart(0.6, 0)
    fixer = LegLabelFixer()
    fixer.update(a)
    out = fixer.update(_jumped(a, 33, LEFT + RIGHT, 0.8))
    assert fixer.garbled_frames == 1
    assert (out.visibility[LEFT + RIGHT] <= 0.2).all()
