"""A pinhole camera for the synthetic scenes (pure numpy).

Convention: world X right, Y up, Z away from the camera (see :mod:`posecheck.synth.body`);
image x right, y **down**, pixels; ``depth`` is the distance along the optical axis (metres),
smaller = nearer, which is also the order the painter draws in (far first).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np


@dataclass(frozen=True)
class Camera:
    """Camera at ``position`` looking at ``target``; ``hfov`` horizontal field of view (deg)."""

    width: int = 480
    height: int = 360
    position: tuple[float, float, float] = (0.0, 0.9, -4.2)
    target: tuple[float, float, float] = (0.0, 0.65, 0.0)
    hfov: float = 62.0

    def __post_init__(self) -> None:
        if self.width <= 0 or self.height <= 0:
            raise ValueError(f"Camera size must be positive, got {self.width}x{self.height}")
        if not 5.0 <= self.hfov <= 150.0:
            raise ValueError(f"Camera.hfov must be 5..150 degrees, got {self.hfov}")
        if np.allclose(self.position, self.target):
            raise ValueError("Camera.position and Camera.target must differ")

    @cached_property
    def focal_px(self) -> float:
        return 0.5 * self.width / np.tan(np.radians(self.hfov) / 2.0)

    @cached_property
    def rotation(self) -> np.ndarray:
        """(3, 3) rows: camera right, camera down, camera forward, in world coordinates."""
        fwd = np.asarray(self.target, float) - np.asarray(self.position, float)
        fwd /= np.linalg.norm(fwd)
        right = np.cross(np.array([0.0, 1.0, 0.0]), fwd)
        if np.linalg.norm(right) < 1e-6:  # looking straight up or down
            right = np.array([1.0, 0.0, 0.0])
        right /= np.linalg.norm(right)
        down = np.cross(right, fwd)
        return np.stack([right, down, fwd])

    def to_camera(self, pts: np.ndarray) -> np.ndarray:
        """(N, 3) world points -> (N, 3) camera coordinates (right, down, forward)."""
        pts = np.asarray(pts, float).reshape(-1, 3)
        return (pts - self._origin) @ self.rotation.T

    @cached_property
    def _origin(self) -> np.ndarray:
        return np.asarray(self.position, float)

    def project(self, pts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(N, 3) world points -> ((N, 2) pixels (x right, y down), (N,) depth in metres)."""
        c = self.to_camera(pts)
        depth = c[:, 2]
        safe = np.where(depth > 1e-6, depth, 1e-6)
        f = self.focal_px
        xy = np.column_stack([self.width / 2.0 + f * c[:, 0] / safe,
                              self.height / 2.0 + f * c[:, 1] / safe])
        return xy, depth

    def radius_px(self, radius_m: float, depth: float) -> float:
        """Apparent radius in pixels of a sphere of ``radius_m`` at ``depth``."""
        return self.focal_px * radius_m / max(depth, 1e-6)


def framing_camera(points: np.ndarray, *, width: int = 480, height: int = 360,
                   hfov: float = 60.0, elevation: float = 5.0, fill: float = 0.7,
                   azimuth: float = 0.0) -> Camera:
    """A camera that sees all ``points`` (world metres), filling about ``fill`` of the frame.

    ``elevation`` (deg) looks down at the scene from above its centre; ``azimuth`` (deg)
    swings the camera around the vertical through the centre (0 = on the -Z side).
    """
    pts = np.asarray(points, float).reshape(-1, 3)
    lo, hi = pts.min(axis=0), pts.max(axis=0)
    centre = (lo + hi) / 2.0
    extent_x = max(hi[0] - lo[0], hi[2] - lo[2] if azimuth else 0.0, 0.3)
    extent_y = max(hi[1] - lo[1], 0.3)
    vfov = 2.0 * np.degrees(np.arctan(np.tan(np.radians(hfov) / 2.0) * height / width))
    dist = max(extent_x / (2.0 * fill * np.tan(np.radians(hfov) / 2.0)),
               extent_y / (2.0 * fill * np.tan(np.radians(vfov) / 2.0))) + 0.3
    el, az = np.radians(elevation), np.radians(azimuth)
    offset = dist * np.array([np.sin(az) * np.cos(el), np.sin(el), -np.cos(az) * np.cos(el)])
    return Camera(width=width, height=height, position=tuple(float(v) for v in centre + offset),
                  target=tuple(float(v) for v in centre), hfov=hfov)
