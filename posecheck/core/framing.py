"""The set-up step before timing: is the person in the picture head to feet, side-on (or
facing the camera) as the spec asks, and the camera level (a
:class:`~posecheck.core.level.CameraLevel` when the room shows one)?
``framing(report, spec, level) -> Framing``; its
:func:`framing_story` is the :class:`~posecheck.core.story.Story` the banner and voice show.

Pure: numpy and dataclasses only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from posecheck.core.level import CameraLevel
from posecheck.core.story import Story, cue_text

# Framing (the set-up step before timing). Fractions of the image size.
FRAME_MARGIN = 0.02         # a landmark this close to an edge counts as cut off
FRAME_MIN_VISIBILITY = 0.5  # MediaPipe visibility a foot landmark needs to count as seen
FEET = (27, 28, 29, 30, 31, 32)  # ankles, heels, foot tips (pose.Landmark)
HEAD = (0,)                      # nose


@dataclass(frozen=True)
class Framing:
    """The set-up check of one frame: ``ok`` or the one thing to fix."""

    ok: bool
    message: str
    message_id: str


def framing(report: Any, spec: Any = None, level: CameraLevel | None = None) -> Framing:
    """Is the person framed for timing: in the picture head to feet, side-on (or facing
    the camera) as the spec asks, and the camera level (``level``: None when not known)?"""
    pose = getattr(report, "pose", None)
    xy = getattr(pose, "xy", None)
    if report is None or xy is None or not getattr(report, "has_pose", False):
        return Framing(False, cue_text(spec, "step_into_view",
                                        "Step into view so I can see your whole body"),
                       "frame:no_person")
    xy = np.asarray(xy, dtype=np.float64)
    w, h = float(getattr(pose, "width", 1)), float(getattr(pose, "height", 1))
    vis = getattr(pose, "visibility", None)
    vis = np.ones(len(xy)) if vis is None else np.asarray(vis, dtype=np.float64)

    def inside(i: int) -> bool:
        x, y = xy[i]
        return bool(np.isfinite(x) and np.isfinite(y) and FRAME_MARGIN * w <= x
                    <= (1 - FRAME_MARGIN) * w and FRAME_MARGIN * h <= y
                    <= (1 - FRAME_MARGIN) * h)

    feet_ok = any(all(inside(i) and vis[i] >= FRAME_MIN_VISIBILITY for i in foot)
                  for foot in ((27, 29, 31), (28, 30, 32)))
    if not feet_ok:
        return Framing(False, "Step back until your feet are in the picture", "frame:feet")
    if not all(inside(i) for i in HEAD):
        return Framing(False, "Step back until your head is in the picture", "frame:head")
    if getattr(report, "view_ok", None) is False:
        return Framing(False, cue_text(spec, "turn_side_on" if getattr(spec, "view", "side")
                                        == "side" else "face_camera",
                                        "Turn side-on to the camera"), "frame:view")
    if level is not None and level.tilted:
        return Framing(False, f"Level the camera: the picture is tilted about "
                              f"{abs(level.roll_deg):.0f} degrees", "frame:level")
    return Framing(True, "Good: you are in the picture", "frame:ok")


def framing_story(f: Framing, left_s: float | None = None) -> Story:
    line = "Set-up: " + ("hold that place, timing starts" + (
        f" in {math.ceil(left_s):d} s" if left_s else "") if f.ok
        else "fit yourself in the picture (or skip the set-up)")
    return Story("framing", f.message, "good" if f.ok else "info", line,
                 message_id=f.message_id)
