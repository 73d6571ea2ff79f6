"""``--annotate``: an MP4 of each clip with the skeleton coloured by check status, the cue and
the hold counter; H.264 through PyAV when it can, OpenCV's mp4v otherwise.

Every frame of the clip is written. With ``--sample-fps`` below the video's rate, a frame the
model did not see shows the report of the nearest analysed frame (by frame index; a tie goes
to the earlier one), not an interpolated pose: the overlay then shows only what was
measured, and a skeleton may lag a fast movement by up to half a sample period.
"""

from __future__ import annotations

import bisect
import os
from pathlib import Path
from typing import Any

from posecheck.draw import html_report
from posecheck.batch.files import FILE_MODE, forget_temp, make_temp, unlink_quietly
from posecheck.batch.landmarks import PREFETCH_FRAMES, prefetch
from posecheck.batch.track import Outcome
from posecheck.core.errors import VideoError


def write_annotated(video: Path, outcome: Outcome, path: Path, info: Any, *,
                    mirrored: bool = False) -> None:
    """An MP4 of the clip with the skeleton coloured by check status, the cue and the hold
    counter (posecheck.draw.overlay.annotate); written to a temporary file, then moved.
    ``mirrored``: the analysis un-mirrored the poses (``--mirrored``), so the skeleton is
    reflected back onto the video's own pixels."""
    from posecheck.io.video import iter_frames

    reports = list(getattr(outcome.analysis, "frames", None) or [])
    nearest = nearest_report(reports)
    fps = float(info.fps) if info.fps and info.fps > 0 else 30.0
    path.parent.mkdir(parents=True, exist_ok=True)
    # Tracked: a worker told to stop (Ctrl-C, its parent gone) deletes it before exiting.
    tmp = make_temp(path, prefix=".annotated.", suffix=".mp4")
    writer = None
    try:
        for index, t_ms, bgr in prefetch(iter_frames(video), PREFETCH_FRAMES):
            if writer is None:
                writer = _open_writer(tmp, fps, bgr.shape[1], bgr.shape[0])
            report = nearest(index)
            writer.write(_annotate(bgr, report, mirrored) if report is not None else bgr)
        if writer is None:
            raise VideoError(f"{video}: no frame could be decoded for the annotated video")
        writer.release()
        writer = None
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
        html_report.write_poster(path, reports, fps)  # a picture for index.html
    finally:
        try:
            if writer is not None:
                writer.release()
        finally:
            unlink_quietly(tmp)
            forget_temp(tmp)


def nearest_report(reports: list[Any]) -> Any:
    """``index -> report``: the report of that frame, or of the nearest analysed frame (a tie
    goes to the earlier one); None when there are no reports."""
    by_index = {getattr(r, "index", i): r for i, r in enumerate(reports)}
    keys = sorted(by_index)

    def find(index: int) -> Any:
        if not keys:
            return None
        k = bisect.bisect_left(keys, index)
        if k < len(keys) and keys[k] == index:
            return by_index[index]
        before = keys[k - 1] if k > 0 else None
        after = keys[k] if k < len(keys) else None
        if after is None or (before is not None and index - before <= after - index):
            return by_index[before]
        return by_index[after]

    return find


class _H264Writer:
    """H.264 MP4 through PyAV (libx264): plays inside browsers, unlike OpenCV's mp4v.
    One thread and fixed options, so the same frames give the same bytes."""

    OPTIONS = {"crf": "23", "preset": "veryfast", "threads": "1"}

    def __init__(self, path: str, fps: float, width: int, height: int) -> None:
        import av
        from fractions import Fraction

        # yuv420p needs even sizes: drop a last odd row/column rather than rescale.
        self.width, self.height = width - width % 2, height - height % 2
        self._out = av.open(path, "w", format="mp4")
        self._stream = self._out.add_stream("libx264",
                                            rate=Fraction(fps).limit_denominator(1001))
        self._stream.width, self._stream.height = self.width, self.height
        self._stream.pix_fmt = "yuv420p"
        self._stream.options = dict(self.OPTIONS)
        self._stream.codec_context.thread_count = 1
        self._av = av

    def write(self, bgr: Any) -> None:
        frame = self._av.VideoFrame.from_ndarray(bgr[: self.height, : self.width], format="bgr24")
        for packet in self._stream.encode(frame):
            self._out.mux(packet)

    def release(self) -> None:
        if self._out is None:
            return
        try:
            for packet in self._stream.encode():
                self._out.mux(packet)
        finally:
            self._out.close()
            self._out = None


def _open_writer(path: str, fps: float, width: int, height: int) -> Any:
    """H.264 through PyAV when it has libx264; else OpenCV's MPEG-4 part 2 (``mp4v``), which
    every OpenCV build has but most browsers do not play. (OpenCV's wheels lack H.264; VP9
    would play but encodes about 40x slower.)"""
    import cv2

    if width >= 2 and height >= 2:
        try:
            return _H264Writer(path, fps, width, height)
        except Exception:  # no PyAV or no libx264 in its FFmpeg: fall back
            pass
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    if not writer.isOpened():
        writer.release()
        raise VideoError(f"{path}: cannot write an MP4 file here (no libx264 in PyAV, no mp4v "
                         "in OpenCV)")
    return writer


def _annotate(bgr: Any, report: Any, mirrored: bool = False) -> Any:
    from posecheck.draw import overlay as drawing
    return drawing.annotate(bgr, report, mirrored=mirrored)
