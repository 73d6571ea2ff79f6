"""``--annotate``: an MP4 of each clip with the skeleton coloured by check status, the cue and
the hold counter (H.264, :data:`posecheck.io.sink.PREVIEW`).

Every frame of the clip is written. With ``--sample-fps`` below the video's rate, a frame the
model did not see shows the report of the nearest analysed frame (by frame index; a tie goes
to the earlier one), not an interpolated pose: the overlay then shows only what was
measured, and a skeleton may lag a fast movement by up to half a sample period.
"""

from __future__ import annotations

import bisect
from pathlib import Path
from typing import Any

from posecheck.draw import html_report
from posecheck.batch.track import Outcome
from posecheck.core.errors import VideoError
from posecheck.io.sink import PREVIEW, VideoSink
from posecheck.io.video import FALLBACK_FPS, iter_frames, prefetch
from posecheck.model.landmarks import PREFETCH_FRAMES


def write_annotated(video: Path, outcome: Outcome, path: Path, info: Any, *,
                    mirrored: bool = False) -> None:
    """An MP4 of the clip with the skeleton coloured by check status, the cue and the hold
    counter (posecheck.draw.overlay.annotate); written to a temporary file, then moved.
    ``mirrored``: the analysis un-mirrored the poses (``--mirrored``), so the skeleton is
    reflected back onto the video's own pixels."""
    reports = list(getattr(outcome.analysis, "frames", None) or [])
    nearest = nearest_report(reports)
    fps = float(info.fps) if info.fps and info.fps > 0 else FALLBACK_FPS
    sink: VideoSink | None = None
    try:
        for index, t_ms, bgr in prefetch(iter_frames(video), PREFETCH_FRAMES):
            if sink is None:
                sink = VideoSink(path, fps, bgr.shape[1], bgr.shape[0], PREVIEW)
            report = nearest(index)
            sink.write(_annotate(bgr, report, mirrored) if report is not None else bgr)
    except BaseException:
        if sink is not None:
            sink.abort()
        raise
    if sink is None:
        raise VideoError(f"{video}: no frame could be decoded for the annotated video")
    sink.close()
    html_report.write_poster(path, reports, fps)  # a picture for index.html


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


def _annotate(bgr: Any, report: Any, mirrored: bool = False) -> Any:
    from posecheck.draw import overlay as drawing
    return drawing.annotate(bgr, report, mirrored=mirrored)
