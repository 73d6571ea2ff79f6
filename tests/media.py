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
