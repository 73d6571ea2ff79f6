"""The plain data of a batch: a ``Job`` says everything needed to analyse one video (it is
sent to worker processes), a ``VideoResult`` is what comes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

DEFAULT_MAX_FRAMES = 36000  # frames; about 2 GB of analysis state at ~55 KB a frame
# frames/s the model runs at by default (None: every frame); chosen from the table in
# docs/BATCH.md ("Analysis rate").
DEFAULT_SAMPLE_FPS: float | None = None


@dataclass(frozen=True)
class Job:
    """Everything a worker needs to analyse one video (plain data: it crosses processes)."""

    video: str          # path as given (shown in reports)
    slug: str           # output name: DIR/<slug>.json, .png, .annotated.mp4
    out_dir: str        # DIR
    model_path: str     # resolved .task bundle
    model_label: str    # "lite", "full", "heavy" or the bundle's stem
    model_sha256: str
    stretch: str        # spec id or file, or "auto"
    annotate: bool = False
    plots: bool = True
    use_cache: bool = True
    cache_dir: str | None = None
    force: bool = False
    smoothing: str = "batch"
    mirrored: bool = False
    max_frames: int = DEFAULT_MAX_FRAMES
    save_history: bool = False  # store the holds in posecheck.programme.history
    sample_fps: float | None = DEFAULT_SAMPLE_FPS  # frames/s analysed; None: every frame
    segmentation: bool = False  # ask the model for the person mask (a spec needs the outline)

    @property
    def report_path(self) -> Path:
        return Path(self.out_dir) / f"{self.slug}.json"

    @property
    def plot_path(self) -> Path:
        return Path(self.out_dir) / f"{self.slug}.png"

    @property
    def annotated_path(self) -> Path:
        return Path(self.out_dir) / f"{self.slug}.annotated.mp4"

    @property
    def options(self) -> dict[str, Any]:
        """Analysis options that change a report (part of the resume key)."""
        return {"smoothing": self.smoothing, "mirrored": self.mirrored}

    def options_for(self, info: Any) -> dict[str, Any]:
        """``options`` for one video: with ``sample_fps`` only when it really samples this
        video (a rate at or above the video's own is every frame: the same report as
        without it)."""
        from posecheck.io.video import analysis_rate

        rate = analysis_rate(self.sample_fps, info.fps)
        return self.options if rate is None else {**self.options, "sample_fps": rate}


@dataclass
class VideoResult:
    """What the parent gets back for one video: the summary row and where files are."""

    row: dict[str, Any]
    ok: bool
    skipped: bool = False
    frames: int = 0
    seconds: float = 0.0


ProgressFn = Callable[[str, int, int], None]  # (slug, frames done, frames total)
