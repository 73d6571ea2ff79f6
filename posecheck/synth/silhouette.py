"""The drawn mannequin's exact silhouette, and the back arch measured on it (the arch truth).

Pure numpy. The renderer (:mod:`posecheck.synth.render`) draws each body segment as the convex
hull of two discs (its projected ends, of radius ``Camera.radius_px`` at each end's depth) and
the head as two discs (hair and face); the silhouette is the union of those shapes, so "inside
the body" has an exact answer for any pixel point. :func:`exact_trunk_edges` finds on it what
:func:`posecheck.core.outline.trunk_edges` finds on a person mask, with the same stations and
rules (the axis point outside the body, an edge past ``MAX_REACH`` or off the image: NaN), the
edge being the boundary itself (bisected to 0.01 px) rather than the last mask pixel.
:func:`true_back_arch` then measures it with :class:`posecheck.core.outline.BackArch`, the
pipeline's own measure: the truth is the same quantity on the exact geometry.

Conventions: pixels, image y down (as ``Camera.project``); ``facing`` +1 when the body's front
points to image +x, -1 to -x, 0 when it points along the optical axis.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posecheck.core.outline import MAX_REACH, STATIONS, BackArch, station_points
from posecheck.core.pose import Landmark as L
from posecheck.synth.body import Skeleton, body_axes
from posecheck.synth.camera import Camera

RAY_STEP_PX = 0.25      # march step before the boundary is bisected
BISECT_STEPS = 5        # 0.25 px / 2**5: under 0.01 px
HAIR_SCALE, FACE_SCALE = 0.98, 0.97   # the head's discs, as render._draw_head draws them


@dataclass(frozen=True)
class Silhouette:
    """The union of tapered capsules in pixels: ``a``, ``b`` ``(N, 2)`` ends, ``ra``, ``rb``
    ``(N,)`` radii (a disc is a capsule with ``a == b``)."""

    a: np.ndarray
    b: np.ndarray
    ra: np.ndarray
    rb: np.ndarray

    @classmethod
    def from_skeleton(cls, skel: Skeleton, camera: Camera, head_r: float = 0.105
                      ) -> "Silhouette":
        """What the renderer draws of ``skel`` (segments behind the camera are skipped, as
        there)."""
        a, b, ra, rb = [], [], [], []
        for seg in skel.segments:
            xy, depth = camera.project(np.stack([seg.a, seg.b]))
            if depth.min() <= 0.05:
                continue
            a.append(xy[0])
            b.append(xy[1])
            ra.append(camera.radius_px(seg.ra, depth[0]))
            rb.append(camera.radius_px(seg.rb, depth[1]))
        fc = skel.face
        (_,), (d,) = camera.project(fc["centre"][None])
        r_px = camera.radius_px(head_r, d)
        for centre, scale in ((fc["centre"] - 0.22 * head_r * fc["normal"]
                               + 0.12 * head_r * fc["up"], HAIR_SCALE),
                              (fc["centre"] + 0.06 * head_r * fc["normal"]
                               - 0.04 * head_r * fc["up"], FACE_SCALE)):
            (c2,), _ = camera.project(centre[None])
            a.append(c2)
            b.append(c2)
            ra.append(r_px * scale)
            rb.append(r_px * scale)
        return cls(np.array(a, float), np.array(b, float), np.array(ra, float),
                   np.array(rb, float))

    def contains(self, pts: np.ndarray) -> np.ndarray:
        """``(M,)`` bool: the points ``(M, 2)`` lie inside (or on) the silhouette."""
        p = np.asarray(pts, float).reshape(-1, 2)[:, None, :]          # (M, 1, 2)
        d = (self.b - self.a)[None]                                     # (1, N, 2)
        length = np.linalg.norm(d, axis=-1)                             # (1, N)
        dr = (self.rb - self.ra)[None]
        q = p - self.a[None]
        safe = np.where(length > 1e-9, length, 1.0)
        u = d / safe[..., None]
        along = np.sum(q * u, axis=-1)
        perp = np.linalg.norm(q - along[..., None] * u, axis=-1)
        # The capsule is the union of discs c(t), r(t) (t in [0, 1], both linear): the
        # nearest one to p has (p - c) at cos = -dr / length to the axis.
        hull = length > np.abs(dr) + 1e-9
        k = np.where(hull, -dr / safe, 0.0)
        t = np.clip((along - k * perp / np.sqrt(1.0 - k * k)) / safe, 0.0, 1.0)
        c = self.a[None] + t[..., None] * d
        in_hull = np.linalg.norm(p - c, axis=-1) <= self.ra[None] + t * dr
        # one disc inside the other: the larger disc
        in_a = np.linalg.norm(p - self.a[None], axis=-1) <= self.ra[None]
        in_b = np.linalg.norm(p - self.b[None], axis=-1) <= self.rb[None]
        inside = np.where(hull, in_hull, in_a | in_b)
        return inside.any(axis=1)


def exact_trunk_edges(sil: Silhouette, shoulder: np.ndarray, hip: np.ndarray, width: int,
                      height: int) -> np.ndarray | None:
    """The outline on both sides of the trunk axis on the exact silhouette,
    ``(2, STATIONS, 2)`` pixels (NaN unknown), as :func:`posecheck.core.outline.trunk_edges`
    defines it; None when the axis is degenerate."""
    stations = station_points(shoulder, hip)
    if stations is None:
        return None
    base, normal, torso = stations
    steps = np.arange(0.0, MAX_REACH * torso, RAY_STEP_PX)
    out = np.full((2, STATIONS, 2), np.nan)
    for k, sign in enumerate((1.0, -1.0)):
        direction = sign * normal
        pts = base[:, None, :] + steps[None, :, None] * direction[None, None, :]
        on_image = ((pts[..., 0] >= 0) & (pts[..., 0] <= width - 1)
                    & (pts[..., 1] >= 0) & (pts[..., 1] <= height - 1))
        hit = sil.contains(pts.reshape(-1, 2)).reshape(pts.shape[:2]) & on_image
        gap = np.argmin(hit, axis=1)                  # the first step outside (0: none)
        rows = np.arange(STATIONS)
        # the axis point inside, an exit within the reach, and the exit on the image
        ok = hit[:, 0] & ~hit[rows, gap] & on_image[rows, gap]
        if not ok.any():
            continue
        idx = rows[ok]
        lo, hi = steps[gap[ok] - 1], steps[gap[ok]]
        for _ in range(BISECT_STEPS):
            mid = 0.5 * (lo + hi)
            inside = sil.contains(base[idx] + mid[:, None] * direction[None, :])
            lo, hi = np.where(inside, mid, lo), np.where(inside, hi, mid)
        out[k, idx] = base[idx] + lo[:, None] * direction[None, :]
    return out


def image_facing(skel: Skeleton, camera: Camera) -> int:
    """Which way the body's front points in the image: +1 (+x), -1 (-x), 0 (along the axis,
    less than 0.3 of its length across)."""
    f, _, _ = body_axes(skel.pose.heading, skel.pose.roll)
    pelvis = skel.joints["pelvis"]
    xy, _ = camera.project(np.stack([pelvis, pelvis + 0.3 * f]))
    dx = float(xy[1, 0] - xy[0, 0])
    scale = camera.radius_px(0.3, float(camera.to_camera(pelvis[None])[0, 2]))
    return 0 if abs(dx) < 0.3 * scale else (1 if dx > 0 else -1)


def mid_points(xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mid-shoulder and mid-hip of ``(33, 2)`` landmarks."""
    return ((xy[L.LEFT_SHOULDER] + xy[L.RIGHT_SHOULDER]) / 2.0,
            (xy[L.LEFT_HIP] + xy[L.RIGHT_HIP]) / 2.0)


def true_back_arch(edges: np.ndarray | None, xy: np.ndarray, facing: int) -> BackArch | None:
    """The pipeline's own arch measure (:class:`BackArch`) on exact edges and landmarks."""
    shoulder, hip = mid_points(xy)
    return BackArch.from_edges(edges, shoulder, hip, facing)
