"""Keyframe scripts: what the mannequin does in a clip, with labels known to the frame.

A :class:`Track` is a list of :class:`Key` poses at times; poses between keys are blended with
a smooth step, so a scripted lean of 40 deg is exactly 40 deg from the key that reaches it until
the key that leaves it. Each frame also gets the script's labels (phase, intended fault,
stretched side), kept beside the ground truth. The poses themselves (held stretches, faults,
rest) are in :mod:`posecheck.synth.poses`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from posecheck.synth.body import Pose, blend
from posecheck.synth.poses import rest_pose, standing, stretch_pose

MOVING_PHASE = "transition"  # the label of a body moving between two key poses
HELD_PHASES = ("hold", "fault", "recover")  # in the position (a drift between them is held)
# Moving phases that keep their own label (a rep, the sway of settling into a pose), where any
# other movement between two different poses is MOVING_PHASE.
OWN_MOVING_PHASES = ("rep", "settle")
PHASES = ("setup", "enter", "hold", "fault", "recover", "exit", "out", "rest", MOVING_PHASE,
          *OWN_MOVING_PHASES)


@dataclass(frozen=True)
class Key:
    """The pose reached at ``t`` seconds and the labels of the time until the next key."""

    t: float
    pose: Pose
    phase: str = "hold"
    fault: str = ""      # intended fault id, "" for good form
    side: str = ""       # stretched side: "left", "right" or ""

    def __post_init__(self) -> None:
        if self.phase not in PHASES:
            raise ValueError(f"Key.phase must be one of {PHASES}, got {self.phase!r}")
        if self.side not in ("left", "right", ""):
            raise ValueError(f"Key.side must be 'left', 'right' or '', got {self.side!r}")


@dataclass(frozen=True)
class Labels:
    phase: str
    fault: str
    side: str


def _smoothstep(w: float) -> float:
    w = min(max(w, 0.0), 1.0)
    return w * w * (3.0 - 2.0 * w)


@dataclass(frozen=True)
class Track:
    """One body's keyframes, sorted by time."""

    keys: tuple[Key, ...]

    def __post_init__(self) -> None:
        if not self.keys:
            raise ValueError("Track needs at least one Key")
        times = [k.t for k in self.keys]
        if any(b < a for a, b in zip(times, times[1:])):
            raise ValueError(f"Track keys must be in time order, got times {times}")

    @property
    def end(self) -> float:
        return self.keys[-1].t

    def at(self, t: float) -> tuple[Pose, Labels]:
        """The pose at ``t`` seconds and its labels (a moving stretch is "transition")."""
        keys = self.keys
        if t <= keys[0].t:
            k = keys[0]
            return k.pose, Labels(k.phase, k.fault, k.side)
        for a, b in zip(keys, keys[1:]):
            if t < b.t:
                w = (t - a.t) / (b.t - a.t) if b.t > a.t else 1.0
                moving = a.pose != b.pose
                pose = blend(a.pose, b.pose, _smoothstep(w)) if moving else a.pose
                phase = a.phase if (a.phase == b.phase and not moving) else (
                    MOVING_PHASE if moving and a.phase not in OWN_MOVING_PHASES else a.phase)
                return pose, Labels(phase, a.fault, a.side)
        k = keys[-1]
        return k.pose, Labels(k.phase, k.fault, k.side)


# ---------------------------------------------------------------------------- walking
def walk_track(t0: float, t1: float, x0: float, x1: float, *, z: float = 0.0,
               step_s: float = 0.5, phase: str = "out", side: str = "") -> Track:
    """Walking from ``x0`` to ``x1`` between ``t0`` and ``t1`` (a key every half stride)."""
    facing = 1 if x1 >= x0 else -1
    n = max(2, int(round((t1 - t0) / step_s)))
    keys = []
    for i in range(n + 1):
        t = t0 + (t1 - t0) * i / n
        x = x0 + (x1 - x0) * i / n
        swing = 22.0 if i % 2 == 0 else -22.0
        p = standing(facing, x=x)
        p = replace(p, z=z, trunk=3.0)
        p = p.with_side("left", thigh=swing, shin=swing - 12.0, upper_arm=-swing * 0.7,
                        forearm=-swing * 0.5 + 15)
        p = p.with_side("right", thigh=-swing, shin=-swing - 12.0, upper_arm=swing * 0.7,
                        forearm=swing * 0.5 + 15)
        keys.append(Key(t, p, phase, "", side))
    return Track(tuple(keys))


def shift_keys(keys: list[Key], dt: float) -> list[Key]:
    return [replace(k, t=k.t + dt) for k in keys]


def with_x(p: Pose, x: float, z: float = 0.0) -> Pose:
    return replace(p, x=x, z=z)


@dataclass(frozen=True)
class Segment:
    """A span of a hold script: ``fault`` ("" = good form) held for ``hold_s`` seconds."""

    side: str
    hold_s: float
    fault: str = ""


def hold_keys(stretch: str, plan: list[Segment], *, facing: int = 1, t0: float = 0.0,
              settle_s: float = 1.5, enter_s: float = 2.0, change_s: float = 1.0,
              rest_s: float = 1.5, x: float = 0.0) -> list[Key]:
    """Keys for: rest, enter the stretch, hold each segment of ``plan`` (changing form or
    side between them), then come back to rest."""
    rest = with_x(rest_pose(stretch, facing), x)
    keys = [Key(t0, rest, "setup"), Key(t0 + settle_s, rest, "setup")]
    t = t0 + settle_s
    prev_side = None
    for seg in plan:
        pose = with_x(stretch_pose(stretch, seg.side, facing, seg.fault), x)
        phase = "fault" if seg.fault else "hold"
        if prev_side is not None and seg.side != prev_side:
            # Switch sides: back to rest first.
            t += enter_s
            keys.append(Key(t, rest, "rest"))
            t += rest_s
            keys.append(Key(t, rest, "rest"))
        t += enter_s if prev_side != seg.side else change_s
        keys.append(Key(t, pose, phase, seg.fault, seg.side))
        t += seg.hold_s
        keys.append(Key(t, pose, phase, seg.fault, seg.side))
        prev_side = seg.side
    t += enter_s
    keys.append(Key(t, rest, "exit"))
    t += rest_s
    keys.append(Key(t, rest, "exit"))
    return keys


def rep_keys(top: Pose, bottom: Pose, *, t0: float, reps: int, down_s: float, up_s: float,
             pause_s: float = 0.0, side: str = "") -> list[Key]:
    """``reps`` moving reps from ``top`` down to ``bottom`` and back (``down_s`` and ``up_s``
    each, ``pause_s`` still at the bottom), every key labelled "rep", starting at ``top`` at
    ``t0``. The last key is ``top`` again at ``t0 + reps * (down_s + pause_s + up_s)``."""
    keys = [Key(t0, top, "rep", "", side)]
    t = t0
    for _ in range(reps):
        t += down_s
        keys.append(Key(t, bottom, "rep", "", side))
        if pause_s > 0:
            t += pause_s
            keys.append(Key(t, bottom, "rep", "", side))
        t += up_s
        keys.append(Key(t, top, "rep", "", side))
    return keys


def settle_keys(pose: Pose, *, t0: float, settle_s: float, sway_deg: float,
                side: str = "", period_s: float = 0.5) -> list[Key]:
    """Settling into ``pose``: the trunk sways forward and back by a shrinking ``sway_deg``
    (every half ``period_s``) for ``settle_s``, labelled "settle", ending still in ``pose``."""
    n = max(1, int(round(settle_s / (period_s / 2.0))))
    keys = []
    for i in range(n):
        amp = sway_deg * (1.0 - i / n) * (1.0 if i % 2 == 0 else -1.0)
        chest = pose.trunk if pose.chest is None else pose.chest
        head = chest if pose.head is None else pose.head
        swayed = replace(pose, trunk=pose.trunk + amp, chest=chest + amp, head=head + amp)
        keys.append(Key(t0 + i * settle_s / n, swayed, "settle", "", side))
    keys.append(Key(t0 + settle_s, pose, "settle", "", side))
    return keys


def clip_end(tracks: list[Track]) -> float:
    return max(tr.end for tr in tracks)


def track_poses(track: Track, times: np.ndarray) -> list[tuple[Pose, Labels]]:
    return [track.at(float(t)) for t in times]


__all__ = ["Key", "Labels", "Track", "Segment", "hold_keys", "walk_track", "track_poses",
           "rep_keys", "settle_keys"]
