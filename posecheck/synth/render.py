"""OpenCV rendering of the mannequin: shaded capsules drawn far to near (painter's order).

Only this module of :mod:`posecheck.synth` imports cv2. A frame is a pure function of the
scene, the posed skeletons and the frame index (the sensor noise is seeded by both), so the
same script always renders the same bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import cv2
import numpy as np

from posecheck.synth.body import Skeleton
from posecheck.synth.camera import Camera

BGR = tuple[int, int, int]
_SHIFT = 4                      # sub-pixel bits for cv2 polygon drawing
_SCALE = float(1 << _SHIFT)
FAR_SHADE = 0.3                 # colour loss of limbs on the far side of the body (0..1)


@dataclass(frozen=True)
class Palette:
    """Colours (BGR) of one mannequin."""

    shirt: BGR = (150, 90, 40)
    pants: BGR = (60, 55, 50)
    skin: BGR = (120, 160, 205)
    shoe: BGR = (235, 235, 235)
    hair: BGR = (30, 40, 60)
    eyes: BGR = (40, 30, 25)
    lips: BGR = (80, 80, 170)
    shin: BGR | None = None      # lower legs; None = pants (long trousers), skin = shorts

    def of(self, part: str) -> BGR:
        if part == "shin":
            return self.pants if self.shin is None else self.shin
        return getattr(self, part)


@dataclass(frozen=True)
class Prop:
    """A box-shaped piece of furniture (bench, bed, chair seat), world metres."""

    kind: str                                  # "bench", "bed", "chair", "mat"
    centre: tuple[float, float] = (0.0, 0.0)   # X, Z of the box centre
    size: tuple[float, float, float] = (1.2, 0.45, 0.5)  # X length, Y height, Z depth
    colour: BGR = (70, 90, 120)

    def __post_init__(self) -> None:
        if self.kind not in ("bench", "bed", "chair", "mat"):
            raise ValueError(f"Prop.kind must be bench, bed, chair or mat, got {self.kind!r}")
        if min(self.size) <= 0:
            raise ValueError(f"Prop.size must be positive metres, got {self.size}")

    @property
    def top(self) -> float:
        return self.size[1]


@dataclass(frozen=True)
class Scene:
    """Everything but the bodies: camera, room, light, props, sensor."""

    camera: Camera = field(default_factory=Camera)
    wall: BGR = (200, 205, 210)
    floor: BGR = (120, 140, 160)
    wall_z: float = 2.5            # wall distance behind the subject (m)
    light: tuple[float, float] = (-0.45, -0.9)   # image direction towards the light
    ambient: float = 0.55          # brightness of the unlit edge (0..1)
    props: tuple[Prop, ...] = ()
    noise: float = 2.5             # sensor noise, grey levels (std)
    blur: bool = True              # optical softness (3x3 Gaussian)
    seed: int = 0


# ---------------------------------------------------------------------------- background
def _box_faces(cam: Camera, p: Prop) -> list[tuple[np.ndarray, float, float]]:
    """Visible faces of a prop box as (pixel polygon, depth, shade)."""
    (cx, cz), (sx, sy, sz) = p.centre, p.size
    x0, x1, z0, z1 = cx - sx / 2, cx + sx / 2, cz - sz / 2, cz + sz / 2
    y0, y1 = 0.0, sy
    faces = {
        "top": ([(x0, y1, z0), (x1, y1, z0), (x1, y1, z1), (x0, y1, z1)], 1.0),
        "front": ([(x0, y0, z0), (x1, y0, z0), (x1, y1, z0), (x0, y1, z0)], 0.75),
        "left": ([(x0, y0, z0), (x0, y0, z1), (x0, y1, z1), (x0, y1, z0)], 0.6),
        "right": ([(x1, y0, z0), (x1, y0, z1), (x1, y1, z1), (x1, y1, z0)], 0.6),
    }
    cam_pos = np.asarray(cam.position)
    normals = {"top": (0, 1, 0), "front": (0, 0, -1), "left": (-1, 0, 0), "right": (1, 0, 0)}
    out = []
    for name, (pts, shade) in faces.items():
        pts = np.array(pts, float)
        if np.dot(np.asarray(normals[name], float), cam_pos - pts.mean(axis=0)) <= 0:
            continue
        xy, depth = cam.project(pts)
        out.append((xy, float(depth.mean()), shade))
    return out


@lru_cache(maxsize=8)
def background(scene: Scene) -> np.ndarray:
    """The empty room (wall, floor, props), rendered once per scene."""
    cam = scene.camera
    w, h = cam.width, cam.height
    img = np.empty((h, w, 3), np.float32)
    # Wall/floor junction: the wall foot projected at the image centre column.
    junction, _ = cam.project(np.array([[0.0, 0.0, scene.wall_z]]))
    jy = int(np.clip(round(float(junction[0, 1])), 0, h))
    rows = np.arange(h, dtype=np.float32)[:, None]
    wall = np.asarray(scene.wall, np.float32)
    floor = np.asarray(scene.floor, np.float32)
    wall_shade = 0.85 + 0.15 * rows / max(h, 1)            # lighter near the floor
    floor_shade = 1.05 - 0.25 * (rows - jy) / max(h - jy, 1)
    img[:jy] = (wall[None, None, :] * wall_shade[:jy, :, None])
    img[jy:] = (floor[None, None, :] * floor_shade[jy:, :, None])
    # A horizontal light fall-off across the room so the scene is not flat.
    cols = np.linspace(1.05, 0.9, w, dtype=np.float32)[None, :, None]
    img *= cols
    img = np.clip(img, 0, 255).astype(np.uint8)
    # Skirting board on the wall foot.
    skirt = tuple(int(c * 0.7) for c in scene.wall)
    cv2.rectangle(img, (0, max(jy - max(2, h // 90), 0)), (w - 1, jy), skirt, -1)
    faces = []
    for prop in scene.props:
        faces.extend((xy, d, shade, prop.colour) for xy, d, shade in _box_faces(cam, prop))
    for xy, _, shade, colour in sorted(faces, key=lambda f: -f[1]):
        col = tuple(int(min(255, c * shade)) for c in colour)
        cv2.fillConvexPoly(img, np.round(xy * _SCALE).astype(np.int32), col, cv2.LINE_AA, _SHIFT)
    return img


# ---------------------------------------------------------------------------- drawing
def _unit_circle(n: int) -> np.ndarray:
    a = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    return np.column_stack([np.cos(a), np.sin(a)])


_CIRCLES = {n: _unit_circle(n) for n in (16, 20)}


def _circle_pts(c: np.ndarray, r: float, n: int = 16) -> np.ndarray:
    return c[None, :] + r * _CIRCLES[n]


def _capsule(img: np.ndarray, pa: np.ndarray, pb: np.ndarray, ra: float, rb: float,
             colour: BGR, light: np.ndarray, ambient: float, layers: int = 4) -> None:
    """A tapered capsule shaded like a lit cylinder: dark rim, highlight towards the light."""
    base = np.asarray(colour, np.float32)
    axis = pb - pa
    n = np.linalg.norm(axis)
    # Offset of the highlight: the light's component across the capsule axis.
    if n > 1e-6:
        t = axis / n
        across = light - np.dot(light, t) * t
    else:
        across = light
    for k in range(layers):
        frac = k / (layers - 1)
        scale = 1.0 - 0.8 * frac
        shade = ambient + (1.15 - ambient) * frac ** 0.8
        off = across * (1.0 - scale) * 0.55 * (ra + rb) / 2.0
        pts = np.vstack([_circle_pts(pa + off, max(ra * scale, 0.5)),
                         _circle_pts(pb + off, max(rb * scale, 0.5))])
        hull = cv2.convexHull(np.round(pts * _SCALE).astype(np.int32))
        col = tuple(int(v) for v in np.clip(base * shade, 0, 255))
        cv2.fillConvexPoly(img, hull, col, cv2.LINE_AA, _SHIFT)


def _ellipse_pts(c, r) -> np.ndarray:
    return np.round(_circle_pts(np.asarray(c, float), r, 20) * _SCALE).astype(np.int32)


def _draw_head(img: np.ndarray, cam: Camera, skel: Skeleton, pal: Palette, light: np.ndarray,
               ambient: float, head_r: float) -> None:
    fc = skel.face
    centre, normal, up, left = fc["centre"], fc["normal"], fc["up"], fc["left"]
    (c2,), (d,) = cam.project(centre[None])
    r_px = cam.radius_px(head_r, d)
    to_cam = np.asarray(cam.position) - centre
    to_cam /= np.linalg.norm(to_cam)
    # Hair: a sphere cap on the back and top of the head, drawn behind or in front of the face.
    hair_c = centre - 0.22 * head_r * normal + 0.12 * head_r * up
    (h2,), (hd,) = cam.project(hair_c[None])
    skin_c = centre + 0.06 * head_r * normal - 0.04 * head_r * up
    (s2,), (sd,) = cam.project(skin_c[None])
    parts = [(hd, "hair", h2, r_px * 0.98), (sd, "skin", s2, r_px * 0.97)]
    for _, part, p2, rr in sorted(parts, key=lambda x: -x[0]):
        _capsule(img, p2, p2, rr, rr, pal.of(part), light, ambient, layers=4)

    def facing(p: np.ndarray) -> float:
        n = (p - centre) / np.linalg.norm(p - centre)
        return float(np.dot(n, to_cam))

    def surf(fwd: float, upv: float, lft: float, out: float = 1.0) -> np.ndarray:
        v = fwd * normal + upv * up + lft * left
        return centre + out * head_r * v / np.linalg.norm(v)

    def px(p: np.ndarray) -> np.ndarray:
        return cam.project(p[None])[0][0]

    skin = np.asarray(pal.skin, np.float32)
    dark_skin = tuple(int(v) for v in skin * 0.75)
    # Ears.
    for sg in (1.0, -1.0):
        ear = surf(-0.1, 0.02, sg, 1.02)
        if facing(ear) > -0.1:
            e2 = px(ear)
            rr = max(r_px * 0.2 * (0.4 + 0.6 * abs(facing(ear))), 1.0)
            cv2.ellipse(img, (int(e2[0] * _SCALE), int(e2[1] * _SCALE)),
                        (int(rr * 0.7 * _SCALE), int(rr * _SCALE)), 0, 0, 360, dark_skin, -1,
                        cv2.LINE_AA, _SHIFT)
    # Eyes: white, iris; brows above.
    for sg in (1.0, -1.0):
        eye = surf(0.88, 0.25, 0.32 * sg)
        f = facing(eye)
        if f <= 0.05:
            continue
        e2 = px(eye)
        rr = max(r_px * 0.16, 1.2)
        squash = 0.35 + 0.65 * f
        cv2.ellipse(img, (int(e2[0] * _SCALE), int(e2[1] * _SCALE)),
                    (int(rr * squash * _SCALE), int(rr * 0.7 * _SCALE)), 0, 0, 360,
                    (235, 235, 235), -1, cv2.LINE_AA, _SHIFT)
        iris = px(surf(0.9, 0.25, 0.3 * sg, 1.02))
        cv2.circle(img, (int(iris[0] * _SCALE), int(iris[1] * _SCALE)),
                   int(max(rr * 0.55, 1.0) * _SCALE), pal.eyes, -1, cv2.LINE_AA, _SHIFT)
        b0, b1 = px(surf(0.8, 0.45, 0.5 * sg)), px(surf(0.9, 0.47, 0.15 * sg))
        cv2.line(img, tuple(np.round(b0 * _SCALE).astype(int)), tuple(np.round(b1 * _SCALE)
                 .astype(int)), pal.hair, max(1, int(r_px * 0.08)), cv2.LINE_AA, _SHIFT)
    # Nose: a wedge from the face surface to the tip (also shows in profile).
    tip = centre + head_r * 1.15 * normal - 0.1 * head_r * up
    root = surf(0.95, 0.15, 0.0)
    base_l, base_r = surf(0.97, -0.15, 0.12), surf(0.97, -0.15, -0.12)
    if facing(surf(1.0, 0.0, 0.0)) > -0.35:
        tri = np.array([px(root), px(base_l), px(tip), px(base_r)])
        hull = cv2.convexHull(np.round(tri * _SCALE).astype(np.int32))
        cv2.fillConvexPoly(img, hull, tuple(int(v) for v in skin * 0.85), cv2.LINE_AA, _SHIFT)
    # Mouth.
    ml, mr, mm = surf(0.88, -0.45, 0.22), surf(0.88, -0.45, -0.22), surf(0.97, -0.48, 0.0)
    if facing(mm) > 0.0:
        pts = np.round(np.array([px(ml), px(mm), px(mr)]) * _SCALE).astype(np.int32)
        cv2.polylines(img, [pts], False, pal.lips, max(1, int(r_px * 0.1)), cv2.LINE_AA, _SHIFT)


def _shadow(img: np.ndarray, cam: Camera, skel: Skeleton) -> None:
    """A soft contact shadow on the floor under the body."""
    pts = np.array(list(skel.joints.values()))
    ground = skel.pose.ground
    near = pts[pts[:, 1] < ground + 0.6]
    if len(near) == 0:
        return
    flat = near.copy()
    flat[:, 1] = ground
    xy, _ = cam.project(flat)
    x0, x1 = xy[:, 0].min() - 10, xy[:, 0].max() + 10
    y = float(np.median(xy[:, 1]))
    ry = max(3.0, (x1 - x0) * 0.05)
    h, w = img.shape[:2]
    pad = int(ry * 3)
    ya, yb = int(max(0, y - pad)), int(min(h, y + pad))
    xa, xb = int(max(0, x0 - pad)), int(min(w, x1 + pad))
    if ya >= yb or xa >= xb:
        return
    yy, xx = np.mgrid[ya:yb, xa:xb].astype(np.float32)
    rx = max((x1 - x0) / 2.0, 1.0)
    d = ((xx - (x0 + x1) / 2.0) / rx) ** 2 + ((yy - y) / ry) ** 2
    mask = np.clip(1.2 - d, 0.0, 1.0) ** 1.5   # soft edge without a blur
    roi = img[ya:yb, xa:xb].astype(np.float32)
    img[ya:yb, xa:xb] = (roi * (1.0 - 0.35 * mask[..., None])).astype(np.uint8)


def draw_body(img: np.ndarray, scene: Scene, skel: Skeleton, pal: Palette,
              head_r: float = 0.105) -> None:
    """Draw one posed mannequin onto ``img`` in place, far parts first."""
    cam = scene.camera
    light = np.asarray(scene.light, float)
    light /= np.linalg.norm(light)
    items = []
    for seg in skel.segments:
        xy, depth = cam.project(np.stack([seg.a, seg.b]))
        items.append((float(depth.mean()), "seg", (seg, xy, depth)))
    (_,), (hd,) = cam.project(skel.face["centre"][None])
    items.append((float(hd), "head", None))
    # Limbs on the far side of the body are in the torso's shadow: darker, as in real footage,
    # which is also what tells the two legs apart in a side view.
    (_,), (mid,) = cam.project(skel.joints["pelvis"][None])
    for _, kind, data in sorted(items, key=lambda it: -it[0]):
        if kind == "head":
            _draw_head(img, cam, skel, pal, light, scene.ambient, head_r)
            continue
        seg, xy, depth = data
        if depth.min() <= 0.05:
            continue  # behind the camera
        ra, rb = cam.radius_px(seg.ra, depth[0]), cam.radius_px(seg.rb, depth[1])
        far = float(np.clip((depth.mean() - mid - 0.03) / 0.08, 0.0, 1.0))
        colour = tuple(int(c * (1.0 - FAR_SHADE * far)) for c in pal.of(seg.part))
        _capsule(img, xy[0], xy[1], ra, rb, colour, light, scene.ambient)


def render_frame(scene: Scene, bodies: list[tuple[Skeleton, Palette]], index: int) -> np.ndarray:
    """(H, W, 3) uint8 BGR image of the bodies in the scene, with seeded sensor noise."""
    img = background(scene).copy()
    for skel, _ in bodies:
        _shadow(img, scene.camera, skel)
    for skel, pal in bodies:
        draw_body(img, scene, skel, pal)
    if scene.blur:
        img = cv2.GaussianBlur(img, (3, 3), 0.7)
    if scene.noise > 0:
        bank = _noise_bank(scene.seed, img.shape, scene.noise)
        img = np.clip(img.astype(np.int16) + bank[index % len(bank)], 0, 255).astype(np.uint8)
    return img


@lru_cache(maxsize=4)
def _noise_bank(seed: int, shape: tuple[int, ...], sigma: float, n: int = 7) -> np.ndarray:
    """Seeded sensor-noise frames, cycled through (cheaper than new noise every frame)."""
    rng = np.random.default_rng(seed)
    return np.round(rng.normal(0.0, sigma, (n, *shape))).astype(np.int16)
