"""Pose value objects: the 33 BlazePose landmarks of one frame, in pixels.

Conventions (pinned by ``tests/core/test_pose.py``):

- Image coordinates: x points right, y points **down**, origin at the top-left pixel corner,
  units are pixels of the frame the model saw. Normalized MediaPipe coordinates are converted
  here, once, because normalized x and y have different scales on a non-square frame.
- ``z`` is MediaPipe's relative depth scaled like x (``z_norm * width``): smaller is nearer the
  camera, origin near the mid-hip. It is rough; checks use it only to tell which side faces
  the camera.
- Left and right are the **subject's** (MediaPipe's naming): ``LEFT_KNEE`` is the person's
  left knee, which appears on the right of the image when they face the camera. A mirrored
  webcam image swaps them; :meth:`PoseFrame.mirrored` undoes that.
- ``world`` landmarks are metres, centred between the hips, y down (MediaPipe's world frame).
- ``t_ms`` is the frame's own timestamp (from the video or the camera), never the wall clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import IntEnum
from typing import Any, Sequence

import numpy as np

from posecheck.core.errors import check_number

NUM_LANDMARKS = 33


class Landmark(IntEnum):
    """BlazePose landmark indices, named for the subject's own left and right."""

    NOSE = 0
    LEFT_EYE_INNER = 1
    LEFT_EYE = 2
    LEFT_EYE_OUTER = 3
    RIGHT_EYE_INNER = 4
    RIGHT_EYE = 5
    RIGHT_EYE_OUTER = 6
    LEFT_EAR = 7
    RIGHT_EAR = 8
    MOUTH_LEFT = 9
    MOUTH_RIGHT = 10
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_PINKY = 17
    RIGHT_PINKY = 18
    LEFT_INDEX = 19
    RIGHT_INDEX = 20
    LEFT_THUMB = 21
    RIGHT_THUMB = 22
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


@dataclass(frozen=True)
class VisibilitySettings:
    """When a landmark counts as seen (the spec's ``[visibility]`` table; a key left out keeps
    the default written here). Below either threshold it is 'not seen': checks using it become
    UNKNOWN and stillness leaves it out."""

    min_visibility: float = 0.5  # MediaPipe visibility, 0..1
    min_presence: float = 0.5    # MediaPipe presence (inside the frame), 0..1

    def __post_init__(self) -> None:
        for name in ("min_visibility", "min_presence"):
            check_number(f"visibility.{name}", getattr(self, name), at_most=1.0)


def _swap_permutation() -> np.ndarray:
    """Index permutation that exchanges every LEFT_* landmark with its RIGHT_* twin."""
    perm = np.arange(NUM_LANDMARKS)
    for lm in Landmark:
        if lm.name.startswith("LEFT_"):
            twin = Landmark[lm.name.replace("LEFT_", "RIGHT_", 1)]
            perm[lm], perm[twin] = twin, lm
        elif lm.name == "MOUTH_LEFT":
            perm[lm], perm[Landmark.MOUTH_RIGHT] = Landmark.MOUTH_RIGHT, lm
    return perm


LEFT_RIGHT_SWAP: np.ndarray = _swap_permutation()

# Segments drawn as the skeleton (pairs of landmarks).
SKELETON: tuple[tuple[Landmark, Landmark], ...] = (
    (Landmark.LEFT_SHOULDER, Landmark.RIGHT_SHOULDER),
    (Landmark.LEFT_HIP, Landmark.RIGHT_HIP),
    (Landmark.LEFT_SHOULDER, Landmark.LEFT_HIP),
    (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_HIP),
    (Landmark.LEFT_SHOULDER, Landmark.LEFT_ELBOW),
    (Landmark.LEFT_ELBOW, Landmark.LEFT_WRIST),
    (Landmark.RIGHT_SHOULDER, Landmark.RIGHT_ELBOW),
    (Landmark.RIGHT_ELBOW, Landmark.RIGHT_WRIST),
    (Landmark.LEFT_HIP, Landmark.LEFT_KNEE),
    (Landmark.LEFT_KNEE, Landmark.LEFT_ANKLE),
    (Landmark.LEFT_ANKLE, Landmark.LEFT_HEEL),
    (Landmark.LEFT_HEEL, Landmark.LEFT_FOOT_INDEX),
    (Landmark.LEFT_ANKLE, Landmark.LEFT_FOOT_INDEX),
    (Landmark.RIGHT_HIP, Landmark.RIGHT_KNEE),
    (Landmark.RIGHT_KNEE, Landmark.RIGHT_ANKLE),
    (Landmark.RIGHT_ANKLE, Landmark.RIGHT_HEEL),
    (Landmark.RIGHT_HEEL, Landmark.RIGHT_FOOT_INDEX),
    (Landmark.RIGHT_ANKLE, Landmark.RIGHT_FOOT_INDEX),
)


def _as_array(value: Any, shape: tuple[int, ...], name: str) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != shape:
        raise ValueError(f"PoseFrame.{name} must have shape {shape}, got {arr.shape}")
    return arr


@dataclass(frozen=True, eq=False)
class PoseFrame:
    """The pose found in one frame (or the absence of one).

    Attributes:
        t_ms: frame timestamp in milliseconds, from the source (monotonic within a source).
        width, height: size in pixels of the frame the model saw.
        xy: ``(33, 2)`` landmark positions in pixels (x right, y down); ``None`` if no person.
        z: ``(33,)`` relative depth in pixels (smaller = nearer the camera); ``None`` if no person.
        visibility: ``(33,)`` probability in [0, 1] that the landmark is visible (not occluded).
        presence: ``(33,)`` probability in [0, 1] that the landmark is inside the frame.
        world: ``(33, 3)`` metric landmarks (metres, hip-centred, y down) or ``None``.
        mask: optional ``(height, width)`` float32 person segmentation in [0, 1].
        outline: optional ``(2, STATIONS, 2)`` trunk outline in pixels found on the mask
            (``posecheck.core.outline.trunk_edges``); what the landmark cache keeps of the mask.
        index: frame index within its source, ``-1`` when unknown.
        reason: why there is no pose (e.g. ``"no person detected"``); empty when there is one.
    """

    t_ms: int
    width: int
    height: int
    xy: np.ndarray | None = None
    z: np.ndarray | None = None
    visibility: np.ndarray | None = None
    presence: np.ndarray | None = None
    world: np.ndarray | None = None
    mask: np.ndarray | None = field(default=None, repr=False)
    outline: np.ndarray | None = field(default=None, repr=False)
    index: int = -1
    reason: str = ""

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"PoseFrame size must be positive, got {self.width}x{self.height}")
        if self.xy is None:
            return
        n = NUM_LANDMARKS
        object.__setattr__(self, "xy", _as_array(self.xy, (n, 2), "xy"))
        z = np.zeros(n) if self.z is None else self.z
        object.__setattr__(self, "z", _as_array(z, (n,), "z"))
        vis = np.ones(n) if self.visibility is None else self.visibility
        object.__setattr__(self, "visibility", _as_array(vis, (n,), "visibility"))
        pres = np.ones(n) if self.presence is None else self.presence
        object.__setattr__(self, "presence", _as_array(pres, (n,), "presence"))
        if self.world is not None:
            object.__setattr__(self, "world", _as_array(self.world, (n, 3), "world"))

    # ------------------------------------------------------------------ constructors
    @classmethod
    def empty(cls, t_ms: int, width: int, height: int, index: int = -1,
              reason: str = "no person detected") -> "PoseFrame":
        """A frame in which no pose was found."""
        return cls(t_ms=int(t_ms), width=width, height=height, index=index, reason=reason)

    @classmethod
    def from_normalized(cls, landmarks: np.ndarray, t_ms: int, width: int, height: int,
                        world: np.ndarray | None = None, index: int = -1,
                        mask: np.ndarray | None = None) -> "PoseFrame":
        """Build from a ``(33, 5)`` array of normalized ``[x, y, z, visibility, presence]``.

        This is MediaPipe's layout and the landmark cache's: x and y in [0, 1] of the frame,
        z on the scale of x.
        """
        lm = np.asarray(landmarks, dtype=np.float64)
        if lm.shape != (NUM_LANDMARKS, 5):
            raise ValueError(f"normalized landmarks must have shape (33, 5), got {lm.shape}")
        xy = lm[:, :2] * np.array([width, height], dtype=np.float64)
        return cls(t_ms=int(t_ms), width=width, height=height, xy=xy, z=lm[:, 2] * width,
                   visibility=lm[:, 3], presence=lm[:, 4], world=world, index=index, mask=mask)

    @classmethod
    def from_mediapipe(cls, result: Any, t_ms: int, width: int, height: int,
                       index: int = -1) -> "PoseFrame":
        """Build from a MediaPipe ``PoseLandmarkerResult`` (first pose only).

        Duck-typed so this module never imports mediapipe.
        """
        poses = getattr(result, "pose_landmarks", None) or []
        if not poses:
            return cls.empty(t_ms, width, height, index=index)
        lm = np.array([[p.x, p.y, p.z, _or_one(p.visibility), _or_one(p.presence)]
                       for p in poses[0]], dtype=np.float64)
        world = None
        worlds = getattr(result, "pose_world_landmarks", None) or []
        if worlds:
            world = np.array([[p.x, p.y, p.z] for p in worlds[0]], dtype=np.float64)
        mask = None
        masks = getattr(result, "segmentation_masks", None) or []
        if masks:
            # a copy: the view points into MediaPipe's buffer, freed with the result/landmarker
            mask = np.array(masks[0].numpy_view(), dtype=np.float32).reshape(height, width)
        return cls.from_normalized(lm, t_ms, width, height, world=world, index=index, mask=mask)

    # ------------------------------------------------------------------ views
    @property
    def has_pose(self) -> bool:
        return self.xy is not None

    @property
    def t_s(self) -> float:
        return self.t_ms / 1000.0

    def point(self, lm: Landmark | int) -> np.ndarray:
        """``(2,)`` pixel position of one landmark. Raises if there is no pose."""
        if self.xy is None:
            raise ValueError("this frame has no pose")
        return self.xy[int(lm)]

    def to_normalized(self) -> np.ndarray:
        """``(33, 5)`` normalized ``[x, y, z, visibility, presence]``: the inverse of
        :meth:`from_normalized`."""
        if self.xy is None:
            raise ValueError("this frame has no pose")
        size = np.array([self.width, self.height], dtype=np.float64)
        return np.column_stack([self.xy / size, self.z / self.width,
                                self.visibility, self.presence])

    def mirrored(self) -> "PoseFrame":
        """The same pose as if the image were flipped left-right.

        x is reflected and LEFT_*/RIGHT_* labels are exchanged, so a pose estimated on a
        mirrored webcam image comes back with the subject's true sides (and vice versa).
        """
        if self.xy is None:
            return self
        p = LEFT_RIGHT_SWAP
        xy = self.xy[p].copy()
        xy[:, 0] = self.width - xy[:, 0]
        world = None
        if self.world is not None:
            world = self.world[p].copy()
            world[:, 0] = -world[:, 0]
        mask = None if self.mask is None else self.mask[:, ::-1].copy()
        outline = None
        if self.outline is not None:  # the axis normal flips with x: the two sides swap
            outline = self.outline[::-1].copy()
            outline[..., 0] = self.width - outline[..., 0]
        return replace(self, xy=xy, z=self.z[p].copy(), visibility=self.visibility[p].copy(),
                       presence=self.presence[p].copy(), world=world, mask=mask,
                       outline=outline)

    def with_xy(self, xy: np.ndarray) -> "PoseFrame":
        """A copy with new pixel positions (e.g. after smoothing); everything else kept."""
        return replace(self, xy=np.asarray(xy, dtype=np.float64))


def _or_one(value: float | None) -> float:
    return 1.0 if value is None else float(value)


def stack_xy(frames: Sequence[PoseFrame]) -> np.ndarray:
    """``(T, 33, 2)`` pixel positions of a frame sequence, NaN where a frame has no pose."""
    out = np.full((len(frames), NUM_LANDMARKS, 2), np.nan)
    for i, f in enumerate(frames):
        if f.xy is not None:
            out[i] = f.xy
    return out
