"""A video file played through the live core (:class:`LiveProcessor`), optionally written
as an annotated H.264 MP4, and summarised."""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterator

import av
import numpy as np

from posecheck.draw.overlay import pad_for_controls
from posecheck.io.video import VideoInfo, iter_frames
from posecheck.live.summary import SessionSummary
from posecheck.live.worker import LiveProcessor


def iter_video(path: str | Path) -> Iterator[tuple[np.ndarray, int]]:
    """``(bgr, t_ms)`` for every frame of a video file: the batch analysis's frame source
    (``video.iter_frames``), so a file played here and analysed in batch gives the same
    frames at the same timestamps."""
    for _, t_ms, image in iter_frames(path):
        yield image, int(t_ms)


class VideoWriter:
    """H.264 MP4 a browser can play, written to a temp file and moved into place on close."""

    def __init__(self, path: str | Path, fps: float, width: int, height: int) -> None:
        self.path = Path(path)
        self._tmp = self.path.with_name(f".{self.path.name}.part")
        self._container = av.open(str(self._tmp), mode="w", format="mp4")
        stream = self._container.add_stream("libx264", rate=max(1, int(round(fps))))
        # yuv420p needs even sizes of at least 2: odd (or 1-pixel) frames are padded.
        stream.width, stream.height = max(2, width + width % 2), max(2, height + height % 2)
        stream.pix_fmt = "yuv420p"
        stream.options = {"preset": "veryfast", "crf": "26"}
        self._stream = stream

    def write(self, image_bgr: np.ndarray) -> None:
        h, w = self._stream.height, self._stream.width
        image = image_bgr[:h, :w]
        if image.shape[0] < h or image.shape[1] < w:
            image = np.pad(image, ((0, h - image.shape[0]), (0, w - image.shape[1]), (0, 0)),
                           mode="edge")
        frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
        for packet in self._stream.encode(frame):
            self._container.mux(packet)

    def close(self) -> Path:
        for packet in self._stream.encode():
            self._container.mux(packet)
        self._container.close()
        self._tmp.replace(self.path)
        return self.path

    def abort(self) -> None:
        try:
            self._container.close()
        finally:
            self._tmp.unlink(missing_ok=True)


def run_on_video(processor: LiveProcessor, video: str | Path, out_path: str | Path | None = None,
                 progress: Callable[[int, int], None] | None = None) -> SessionSummary:
    """Play a video file through ``processor`` (the live core) and summarise it.

    With ``out_path`` the annotated frames are written there as an H.264 MP4, each with a
    dark strip below it where a player draws its controls.
    ``progress(done, total)`` is called every few frames (total is 0 when unknown).
    """
    info = VideoInfo.from_path(video)  # raises VideoError with the file and the fix
    total = int(info.frame_count or 0)
    fps = float(info.fps or 30.0)
    writer: VideoWriter | None = None
    try:
        for i, (image, t_ms) in enumerate(iter_video(video)):
            out = processor.process(image, t_ms, draw=out_path is not None)
            if out_path is not None:
                out = pad_for_controls(out)  # the player's controls cover the strip, not the banner
                if writer is None:
                    writer = VideoWriter(out_path, fps, out.shape[1], out.shape[0])
                writer.write(out)
            if progress is not None and i % 10 == 0:
                progress(i, total)
    except BaseException:
        if writer is not None:
            writer.abort()
        raise
    if writer is not None:
        writer.close()
    return processor.summary()

