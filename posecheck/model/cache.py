"""Landmark files: the poses of a whole video, saved once and replayed without MediaPipe.

Format (gzip-compressed JSON Lines, ``*.landmarks.jsonl.gz``; see docs/MODELS.md):

- line 1, a header object: ``format`` ("posecheck-landmarks"), ``version`` (1), ``video``
  (path when written), ``video_sha256``, ``model`` (lite/full/heavy or a bundle's stem),
  ``model_sha256``, ``width``, ``height``, ``fps``, ``frame_count``, ``duration_s``,
  ``rotation``, ``is_image``, ``created`` (UTC, ISO 8601);
- then one object per decoded frame: ``i`` (frame index), ``t_ms`` (timestamp, ms),
  ``lm`` (33 x ``[x, y, z, visibility, presence]``, normalized like MediaPipe: x, y in [0, 1]
  of the frame, z on the scale of x) or ``null`` when no pose, ``world`` (33 x ``[x, y, z]``
  metres, or ``null``), and ``reason`` (why there is no pose) when ``lm`` is ``null``.

Frames keep their order; indices and timestamps strictly increase.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable, Sequence

import numpy as np

from posecheck.core.errors import PosecheckError
from posecheck.core.pose import NUM_LANDMARKS, PoseFrame
from posecheck.io.files import atomic_open
from posecheck.io.video import VideoInfo

FORMAT = "posecheck-landmarks"
VERSION = 1
SUFFIX = ".landmarks.jsonl.gz"
ENV_CACHE_DIR = "POSECHECK_CACHE_DIR"
DEFAULT_CACHE_DIR = Path("~/.cache/posecheck/landmarks")
NORM_DIGITS = 6  # decimals kept for normalized values (1e-6 of a 4K frame is 0.004 px)
WORLD_DIGITS = 5  # decimals kept for world metres (10 micrometres)

_HEADER_KEYS = ("video_sha256", "model", "width", "height", "fps", "frame_count")


class LandmarkFileError(PosecheckError):
    """A landmark file is corrupt, truncated or of another format."""


@dataclass(frozen=True, eq=False)
class LandmarkTrack:
    """The poses of every decoded frame of one video (or image), with what produced them.

    Attributes:
        info: the source's :class:`VideoInfo`.
        frames: one :class:`PoseFrame` per decoded frame, in order (no-pose frames included).
        model: model name (lite/full/heavy or a bundle's stem).
        video_sha256: SHA-256 of the video file's bytes.
        model_sha256: SHA-256 of the ``.task`` bundle used ("" if unknown).
    """

    info: VideoInfo
    frames: tuple[PoseFrame, ...]
    model: str
    video_sha256: str
    model_sha256: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "frames", tuple(self.frames))
        last = None
        for f in self.frames:
            if last is not None and f.t_ms <= last:
                raise ValueError(f"LandmarkTrack of {self.info.path}: timestamps must increase "
                                 f"strictly (frame {f.index}: {f.t_ms} ms after {last} ms)")
            last = f.t_ms

    @property
    def pose_count(self) -> int:
        """Frames in which a pose was found."""
        return sum(1 for f in self.frames if f.has_pose)

    @property
    def truncated(self) -> bool:
        """Fewer frames decoded than the container announced."""
        return not self.info.is_image and 0 < len(self.frames) < self.info.frame_count

    # ------------------------------------------------------------------ files
    def save(self, path: str | os.PathLike[str]) -> Path:
        """Write the track to ``path`` (gzip JSON Lines), atomically. Returns the path."""
        path = Path(path)
        with atomic_open(path) as raw, \
                gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=6) as gz, \
                io.TextIOWrapper(gz, encoding="utf-8", newline="\n") as out:
            out.write(_dumps(self._header()))
            for f in self.frames:
                out.write(_dumps(_frame_record(f)))
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> "LandmarkTrack":
        """Read and validate a landmark file.

        Raises:
            LandmarkFileError: missing, not gzip, not this format, or a malformed line
                (the message names the file and line).
        """
        path = Path(path)
        fix = "delete it to recompute the landmarks (or use --no-cache)"
        if not path.is_file():
            raise LandmarkFileError(f"landmark file {path} does not exist")
        try:
            with gzip.open(path, "rt", encoding="utf-8") as fh:
                lines = fh.read().splitlines()
        except (OSError, EOFError, UnicodeDecodeError) as exc:
            raise LandmarkFileError(f"landmark file {path} cannot be read ({exc}); {fix}") \
                from None
        if not lines:
            raise LandmarkFileError(f"landmark file {path} is empty; {fix}")
        try:
            header = _parse_header(json.loads(lines[0]))
            info = VideoInfo(path=Path(header["video"]), width=int(header["width"]),
                             height=int(header["height"]), fps=float(header["fps"]),
                             frame_count=int(header["frame_count"]),
                             duration_s=float(header.get("duration_s", 0.0)),
                             rotation=int(header.get("rotation", 0)),
                             is_image=bool(header.get("is_image", False)))
        except (ValueError, TypeError, KeyError) as exc:
            raise LandmarkFileError(f"landmark file {path} line 1 (header): {exc}; {fix}") \
                from None
        frames = []
        for n, line in enumerate(lines[1:], start=2):
            try:
                frames.append(_parse_frame(json.loads(line), info.width, info.height))
            except (ValueError, TypeError, KeyError) as exc:
                raise LandmarkFileError(f"landmark file {path} line {n}: {exc}; {fix}") \
                    from None
        try:
            return cls(info=info, frames=tuple(frames), model=str(header["model"]),
                       video_sha256=str(header["video_sha256"]),
                       model_sha256=str(header.get("model_sha256", "")))
        except ValueError as exc:
            raise LandmarkFileError(f"landmark file {path}: {exc}; {fix}") from None

    def _header(self) -> dict[str, Any]:
        i = self.info
        return {"format": FORMAT, "version": VERSION, "video": str(i.path),
                "video_sha256": self.video_sha256, "model": self.model,
                "model_sha256": self.model_sha256, "width": i.width, "height": i.height,
                "fps": i.fps, "frame_count": i.frame_count, "duration_s": i.duration_s,
                "rotation": i.rotation, "is_image": i.is_image,
                "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


# ---------------------------------------------------------------------------- cache
def default_cache_dir() -> Path:
    """Default landmark cache (``$POSECHECK_CACHE_DIR`` or ~/.cache/posecheck/landmarks)."""
    return Path(os.environ.get(ENV_CACHE_DIR) or DEFAULT_CACHE_DIR).expanduser()


def cache_path(directory: Path, video_sha256: str, model: str, model_sha256: str,
               sample_fps: float | None = None) -> Path:
    """Cache file of one (video content, model bundle, analysis rate) triple.

    ``sample_fps`` (the rate :func:`posecheck.io.video.analysis_rate` gives; None: every frame)
    is part of the name, so a track sampled at one rate is never served for another. A
    full-rate file is not served as a subset either: VIDEO-mode tracking depends on the
    frames it saw before, so a subset of a full-rate track is not what the model gives at
    the lower rate.
    """
    rate = "" if sample_fps is None else f".fps{sample_fps:g}"
    return directory / f"{video_sha256[:20]}.{model}.{model_sha256[:12]}{rate}{SUFFIX}"


def cache_dir(directory: str | os.PathLike[str] | None = None) -> Path:
    """``directory`` (``~`` expanded), or the default cache (:func:`default_cache_dir`)."""
    return Path(directory).expanduser() if directory is not None else default_cache_dir()


def find(directory: Path, video_sha256: str, model: str, model_sha256: str,
         sample_fps: float | None = None, need_outline: bool = False) -> LandmarkTrack | None:
    """The cached track of this video content, model bundle and rate, or None (missing,
    unreadable or of other content: the caller recomputes and overwrites it).
    ``need_outline``: a spec measures on the trunk outline, so a track cached without the
    person mask (no frame carries outline points) is not served either."""
    target = cache_path(directory, video_sha256, model, model_sha256, sample_fps)
    if not target.is_file():
        return None
    try:
        track = LandmarkTrack.load(target)
    except LandmarkFileError:
        return None
    if track.video_sha256 != video_sha256 or track.model_sha256 != model_sha256:
        return None
    if need_outline and not any(f.outline is not None for f in track.frames):
        return None
    return track


def store(track: LandmarkTrack, directory: Path, sample_fps: float | None = None) -> Path:
    """Save ``track`` in the cache ``directory`` (see :func:`cache_path`)."""
    return track.save(cache_path(directory, track.video_sha256, track.model,
                                 track.model_sha256, sample_fps))


def as_cached(frames: Sequence[PoseFrame]) -> list[PoseFrame]:
    """The frames exactly as a landmark file gives them back (values rounded the same way),
    so a result is byte-identical whether the landmarks were cached or fresh."""
    return [_parse_frame(_frame_record(f), f.width, f.height) for f in frames]


# ---------------------------------------------------------------------------- records
def _dumps(obj: dict[str, Any]) -> str:
    return json.dumps(obj, separators=(",", ":"), allow_nan=False) + "\n"


def _rounded(arr: np.ndarray, digits: int) -> list[list[float]]:
    return [[round(v, digits) for v in row] for row in np.asarray(arr, dtype=float).tolist()]


def _frame_record(f: PoseFrame) -> dict[str, Any]:
    rec: dict[str, Any] = {"i": int(f.index), "t_ms": int(f.t_ms)}
    if f.has_pose:
        rec["lm"] = _rounded(f.to_normalized(), NORM_DIGITS)
        rec["world"] = None if f.world is None else _rounded(f.world, WORLD_DIGITS)
        if f.outline is not None:  # trunk outline (posecheck.core.outline), pixels; null = unseen
            rec["outline"] = [None if not np.isfinite(p).all() else [round(v, 1) for v in p]
                              for p in np.asarray(f.outline, float).reshape(-1, 2).tolist()]
    else:
        rec["lm"] = None
        rec["world"] = None
        rec["reason"] = f.reason
    return rec


def _parse_header(obj: Any) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    if obj.get("format") != FORMAT:
        raise ValueError(f"format is {obj.get('format')!r}, expected {FORMAT!r}")
    if obj.get("version") != VERSION:
        raise ValueError(f"version {obj.get('version')!r} is not supported (expected {VERSION})")
    missing = [k for k in _HEADER_KEYS if k not in obj]
    if missing:
        raise ValueError(f"missing {', '.join(missing)}")
    obj.setdefault("video", "")
    return obj


def _parse_frame(obj: Any, width: int, height: int) -> PoseFrame:
    if not isinstance(obj, dict):
        raise ValueError("not a JSON object")
    index, t_ms = obj["i"], obj["t_ms"]
    if not isinstance(index, int) or not isinstance(t_ms, int):
        raise ValueError("'i' and 't_ms' must be integers")
    lm = obj.get("lm")
    if lm is None:
        return PoseFrame.empty(t_ms, width, height, index=index,
                               reason=str(obj.get("reason") or "no person detected"))
    arr = _matrix(lm, 5, "lm")
    world = obj.get("world")
    frame = PoseFrame.from_normalized(arr, t_ms, width, height, index=index,
                                      world=None if world is None else _matrix(world, 3, "world"))
    outline = obj.get("outline")
    if outline is None:
        return frame
    pts = np.array([[np.nan, np.nan] if p is None else p for p in outline], dtype=float)
    return replace(frame, outline=pts.reshape(2, -1, 2))


def _matrix(value: Iterable[Any], cols: int, name: str) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if arr.shape != (NUM_LANDMARKS, cols):
        raise ValueError(f"'{name}' must be {NUM_LANDMARKS} x {cols} numbers, got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"'{name}' holds non-finite values")
    return arr


def frames_summary(frames: Sequence[PoseFrame]) -> str:
    """``"<pose frames>/<frames> frames with a pose"`` plus the commonest no-pose reason."""
    n, k = len(frames), sum(1 for f in frames if f.has_pose)
    text = f"{k}/{n} frames with a pose"
    reasons = [f.reason for f in frames if not f.has_pose and f.reason]
    if reasons:
        text += f" ({max(set(reasons), key=reasons.count)} in {len(reasons)})"
    return text

