"""Media files made for tests: synthetic sample clips and files that are not videos."""

from __future__ import annotations

from pathlib import Path

import numpy as np

SAMPLES = Path(__file__).resolve().parents[1] / "sample_videos"


def sample_clip(clip_id: str, tmp_dir: Path) -> Path:
    """A synthetic sample video: from sample_videos/ when generated, else rendered now."""
    path = SAMPLES / f"{clip_id}.mp4"
    if path.is_file():
        return path
    from posecheck.synth.samples import write_samples

    write_samples(tmp_dir, only=[clip_id], progress=False)
    return tmp_dir / f"{clip_id}.mp4"


def make_audio_only(path: Path, rate: int = 16000) -> Path:
    """An MP4 holding one short silent AAC track and no video stream (needs PyAV)."""
    import av

    with av.open(str(path), "w") as out:
        stream = out.add_stream("aac", rate=rate)
        stream.layout = "mono"
        for _ in range(10):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp",
                                               layout="mono")
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return path


def room_picture(turn_deg: float = 0.0, size: tuple[int, int] = (640, 480)) -> np.ndarray:
    """A wall with door frames and shelf sides (dark vertical bars), turned by ``turn_deg``
    (OpenCV's sense: + = anticlockwise on screen) and zoomed so no border shows."""
    import cv2

    W, H = size
    img = np.full((H, W, 3), 200, np.uint8)
    for x in range(30, W - 30, 45):
        cv2.rectangle(img, (x, 40), (x + 8, H - 40), (60, 60, 60), -1)
    m = cv2.getRotationMatrix2D((W / 2, H / 2), turn_deg, 1.0 + abs(turn_deg) / 25.0)
    return cv2.warpAffine(img, m, (W, H), borderValue=(200, 200, 200))


def write_still_video(path: Path, frame: np.ndarray, n: int = 12) -> Path:
    """``n`` copies of ``frame`` as a clip at 10 frames/s (the project's video sink)."""
    from posecheck.io.sink import PREVIEW, VideoSink

    sink = VideoSink(path, 10.0, frame.shape[1], frame.shape[0], PREVIEW)
    for _ in range(n):
        sink.write(frame)
    return sink.close()
