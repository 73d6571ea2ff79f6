"""Leg labels kept continuous over time (MediaPipe sometimes swaps left/right lower legs).

In a side view MediaPipe sometimes exchanges the labels of the lower legs (knees, ankles,
feet) for a frame or a run of frames while the hips keep theirs. :class:`LegLabelFixer`
(live, one :meth:`~LegLabelFixer.update` per frame) and :func:`fix_leg_labels` (batch, a
whole track) put them back, before smoothing, which would blend swapped legs.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from posecheck.core import geometry as g
from posecheck.core.pose import Landmark as L
from posecheck.core.pose import PoseFrame

# Lower-leg landmarks whose left/right labels MediaPipe sometimes exchanges in a side view
# (the hips keep their labels; the knees, ankles and feet jump to the other leg).
_LEG_PAIRS = ((L.LEFT_KNEE, L.RIGHT_KNEE), (L.LEFT_ANKLE, L.RIGHT_ANKLE),
              (L.LEFT_HEEL, L.RIGHT_HEEL), (L.LEFT_FOOT_INDEX, L.RIGHT_FOOT_INDEX))
_LEFT_LEG = [a for a, _ in _LEG_PAIRS]
_RIGHT_LEG = [b for _, b in _LEG_PAIRS]
# Swap when the crossed assignment is this much closer to the reference than the straight one.
SWAP_COST_RATIO = 0.5
# ... and only when the reference legs are apart by at least this fraction of the torso length
# (legs side by side cannot be told apart by position, and swapping them changes nothing).
SWAP_MIN_SEPARATION = 0.25
# A frame agrees with the reference when its legs moved at most this far (torso lengths,
# mean over the leg landmarks) plus the speed allowance times the reference's age.
CONSISTENT_DIST = 0.2
CONSISTENT_SPEED = 2.0   # torso lengths per second
# A frame becomes the new reference only when its labelling is unambiguous: the better
# labelling (straight or crossed) at most this fraction of the other's distance to the
# reference. A frame as near the crossed labelling as the straight one (legs drawn on top of
# each other, a garbled estimate) would otherwise carry a swap forward (seen on the synthetic
# standing psoas with a drifting knee: 60 frames booked to the wrong leg).
REF_MAX_AMBIGUITY = 0.8
# Legs that match neither labelling of a reference this fresh are a garbled estimate (seen
# mid-movement: both ankles drawn between the feet); the legs that jumped are marked not seen.
GARBLED_DIST = 0.5       # torso lengths, mean over the leg landmarks
GARBLED_MAX_AGE_S = 0.2  # s
GARBLED_VISIBILITY = 0.2
# The reference is replaced by the current frame when it is older than this (the person
# really moved, e.g. stepped the feet together and apart again).
REF_MAX_AGE_S = 1.0
# Live form of the batch's majority vote: follow the labelling MediaPipe gave most often so
# far once its share passes one half by this margin (fraction of pose frames), and go back
# only when it falls below one half by the same margin, so the choice does not flicker.
MAJORITY_MARGIN = 0.1


def swap_legs(frame: PoseFrame) -> PoseFrame:
    """The frame with the lower-leg labels (knee, ankle, heel, foot index) exchanged."""
    perm = np.arange(frame.xy.shape[0])
    for a, b in _LEG_PAIRS:
        perm[a], perm[b] = b, a
    return replace(frame, xy=frame.xy[perm].copy(), z=frame.z[perm].copy(),
                   visibility=frame.visibility[perm].copy(),
                   presence=frame.presence[perm].copy(),
                   world=None if frame.world is None else frame.world[perm].copy())


class LegLabelFixer:
    """Keeps leg labels continuous over time.

    In a side view MediaPipe often swaps which leg it calls left and right (seen on the real
    lunge clips: knees, ankles and feet jump to the other leg while the hips stay), and in
    fast transitions it sometimes draws both lower legs between the feet. A real leg cannot
    jump across the body in 1/30 s, so each frame is compared with a reference (the last
    frame that agreed with its predecessor): when the crossed labelling is much closer, the
    labels are exchanged back; when neither labelling is close to a fresh reference, the legs
    that jumped from it are marked not seen (visibility lowered) instead of being measured (a
    leg that stayed put is still measured). The first frame's
    labels are taken as they come; a reference older than ``max_gap_s`` is replaced.

    With ``follow_majority`` (the live page's choice) the output follows the labelling
    MediaPipe has given most often so far, with hysteresis (:data:`MAJORITY_MARGIN`): the
    causal form of :func:`fix_leg_labels`, so a live session converges to the batch's sides.
    """

    def __init__(self, max_age_s: float = REF_MAX_AGE_S, follow_majority: bool = False):
        self.max_age_ms = int(round(max_age_s * 1000))
        self.follow_majority = follow_majority
        self.reset()

    def reset(self) -> None:
        self._ref: np.ndarray | None = None
        self._ref_ms = 0
        self.swapped_frames = 0
        self.garbled_frames = 0
        self.posed_frames = 0
        self.majority_flipped = False

    def update(self, frame: PoseFrame) -> PoseFrame:
        frame = self._continuous(frame)
        if not (self.follow_majority and frame.has_pose):
            return frame
        self.posed_frames += 1
        share = self.swapped_frames / self.posed_frames
        if share > 0.5 + MAJORITY_MARGIN:
            self.majority_flipped = True
        elif share < 0.5 - MAJORITY_MARGIN:
            self.majority_flipped = False
        return swap_legs(frame) if self.majority_flipped else frame

    def _continuous(self, frame: PoseFrame) -> PoseFrame:
        """The frame with leg labels consistent with the first frame's (or marked unseen)."""
        if frame.xy is None:
            return frame
        xy = frame.xy
        torso = float(g.torso_length(*g.trunk_centres(xy)))
        age_ms = frame.t_ms - self._ref_ms
        if self._ref is None or age_ms > self.max_age_ms or not torso > 0:
            self._ref, self._ref_ms = xy.copy(), frame.t_ms
            return frame
        left, right = _LEFT_LEG, _RIGHT_LEG
        ref = self._ref
        same = np.nanmean(np.concatenate([np.linalg.norm(xy[left] - ref[left], axis=1),
                                          np.linalg.norm(xy[right] - ref[right], axis=1)]))
        cross = np.nanmean(np.concatenate([np.linalg.norm(xy[right] - ref[left], axis=1),
                                           np.linalg.norm(xy[left] - ref[right], axis=1)]))
        min_sep = SWAP_MIN_SEPARATION * torso
        apart = float(np.nanmean(np.linalg.norm(ref[left] - ref[right], axis=1)))
        now_apart = float(np.nanmean(np.linalg.norm(xy[left] - xy[right], axis=1)))
        if cross < SWAP_COST_RATIO * same and apart >= min_sep:
            frame = swap_legs(frame)
            self.swapped_frames += 1
        best = min(same, cross) / torso
        fresh = age_ms <= GARBLED_MAX_AGE_S * 1000
        # Legs that collapse onto each other from a clear split within a blink are an
        # estimation glitch; they must not become the reference either.
        collapsed = apart >= 2 * min_sep and now_apart < min_sep
        clear = min(same, cross) <= REF_MAX_AMBIGUITY * max(same, cross)
        if best <= CONSISTENT_DIST + CONSISTENT_SPEED * age_ms / 1000.0 and not collapsed:
            if clear:
                self._ref, self._ref_ms = frame.xy.copy(), frame.t_ms
        elif fresh and apart >= min_sep and (best > GARBLED_DIST or collapsed):
            frame = self._hide_jumped(frame, torso, age_ms)
            self.garbled_frames += 1
        return frame

    def _hide_jumped(self, frame: PoseFrame, torso: float, age_ms: int) -> PoseFrame:
        """A garbled frame with the lower legs that jumped away from the reference marked not
        seen. A leg that stayed where it was (within the consistent distance) keeps its
        visibility: when MediaPipe's far leg flickers in a still hold, the near leg it did not
        move is still measured (seen on the synthetic cobra: the far knee jumping 0.7 torso
        lengths every other frame paused every other frame of the hold)."""
        assert self._ref is not None
        allowed = (CONSISTENT_DIST + CONSISTENT_SPEED * age_ms / 1000.0) * torso
        hide: list[int] = []
        for leg in (_LEFT_LEG, _RIGHT_LEG):
            moved = np.nanmean(np.linalg.norm(frame.xy[leg] - self._ref[leg], axis=1))
            if not moved <= allowed:
                hide += leg
        vis = frame.visibility.copy()
        idx = hide or _LEFT_LEG + _RIGHT_LEG
        vis[idx] = np.minimum(vis[idx], GARBLED_VISIBILITY)
        return replace(frame, visibility=vis)


def fix_leg_labels(frames: list[PoseFrame]) -> tuple[list[PoseFrame], int, int]:
    """Batch form of :class:`LegLabelFixer` over a whole track.

    Continuity makes the labels consistent with the first frame's; if most frames had to be
    swapped to get there, the first frame was the odd one out, so every frame is swapped
    back: the labelling MediaPipe gave most often wins. Returns (frames, swapped, garbled).
    """
    fixer = LegLabelFixer()
    out = [fixer.update(f) for f in frames]
    swapped = fixer.swapped_frames
    posed = sum(1 for f in out if f.has_pose)
    if posed and swapped > posed / 2:
        out = [swap_legs(f) if f.has_pose else f for f in out]
        swapped = posed - swapped
    return out, swapped, fixer.garbled_frames


__all__ = ["LegLabelFixer", "fix_leg_labels", "swap_legs"]
