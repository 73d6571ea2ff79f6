"""The work on one video, in two stages: prepare (hash, resume check, landmarks: mostly the
model) and complete (analysis, plot, annotated video, report: pure Python). The serial runner
overlaps the next video's prepare with this video's complete, one core each; so does each
worker process of the parallel runner.

Both runners set the GIL switch interval to ``GIL_SWITCH_S`` while the stages overlap.
``analyze_video`` runs the two stages one after the other. Whatever goes wrong with a video
becomes its error result (``guarded``); the report is written last, so its presence means the
video is done, and a rerun skips a video whose report is up to date (``_up_to_date``).
"""

from __future__ import annotations

import hashlib
import sys
import time
import traceback
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Sequence

from posecheck.batch.annotate import write_annotated
from posecheck.batch.files import OUTPUT_ERRNOS, output_full
from posecheck.batch.jobs import Job, ProgressFn, VideoResult
from posecheck.batch.landmarks import cache_put, landmark_frames
from posecheck.batch.summary import row_from_report
from posecheck.batch.track import analyze_track, warnings_for
from posecheck.core import report_json
from posecheck.core.errors import OutputError, PosecheckError, VideoError
from posecheck.core.report import (BatchInfo, ErrorReport, ModelInput, ModelRef, Options,
                                   Report, VideoFacts)
from posecheck.io.files import atomic_write_bytes, atomic_write_text
from posecheck.model.cache import as_cached
from posecheck.model.provision import sha256_file

# Seconds a thread may hold the GIL before another waiting thread gets it (CPython's default
# is 0.005). The model's thread needs the GIL briefly around every frame; with the default,
# a thread busy analysing the previous video made it wait so often that the model ran at
# half speed (47 -> 22 frames/s measured). At 0.2 ms it keeps 95 % of its speed.
GIL_SWITCH_S = 0.0002


@dataclass
class Prepared:
    video_sha: str
    specs: list[tuple[str, Any]]
    spec_hash: str
    info: Any
    frames: list[Any]
    scale: float
    fresh: bool  # landmarks came from the model (not the cache): cache them
    t0: float


def _no_progress(slug: str, done: int, total: int) -> None:
    pass


def analyze_video(job: Job, progress: ProgressFn = _no_progress) -> VideoResult:
    """Analyse one video into its folder; never raises for a problem with the video itself.

    Any failure becomes an error row (and an error report.json, so the HTML page shows it).
    """
    t0 = time.monotonic()
    prepared = guarded(job, t0, lambda: prepare_video(job, progress, t0))
    if isinstance(prepared, VideoResult):
        return prepared
    return guarded(job, t0, lambda: complete_video(job, prepared))


def guarded(job: Job, t0: float, stage: Callable[[], Any]) -> Any:
    """Run a stage; turn any failure into the video's error result, except a full (or
    read-only) output folder: ``OutputError``, which stops the batch."""
    try:
        return stage()
    except (KeyboardInterrupt, SystemExit, OutputError):
        raise
    except OSError as exc:
        if exc.errno in OUTPUT_ERRNOS:
            raise output_full(exc, job.out_dir) from None
        message = f"{job.video}: unexpected {type(exc).__name__}: {exc}"
        traceback.print_exc(file=sys.stderr)
    except PosecheckError as exc:
        message = str(exc)
    except MemoryError:
        message = (f"{job.video}: ran out of memory; try a shorter clip, a smaller resolution "
                   "or fewer --workers")
    except Exception as exc:  # a bug or a library failure: keep the batch going, say what
        message = f"{job.video}: unexpected {type(exc).__name__}: {exc}"
        traceback.print_exc(file=sys.stderr)
    return error_result(job, message, t0)


def error_result(job: Job, message: str, t0: float | None = None) -> VideoResult:
    """The video's error row; an error report is written too, so the HTML page shows it."""
    report = ErrorReport(video=job.video, error=message, model=model_ref(job),
                         stretch_requested=job.stretch)
    try:
        atomic_write_text(job.report_path, report_json.to_json(report))
    except OSError:
        pass  # the row still carries the error
    return VideoResult(row=row_from_report(report, job), ok=False,
                       seconds=0.0 if t0 is None else time.monotonic() - t0)


def model_ref(job: Job) -> ModelRef:
    return ModelRef(label=job.model_label, sha256=job.model_sha256,
                    file=Path(job.model_path).name)


def prepare_video(job: Job, progress: ProgressFn, t0: float) -> Prepared | VideoResult:
    """Stage 1: the finished result if the report is up to date, else the landmarks."""
    video = Path(job.video)
    if not video.is_file():
        raise VideoError(f"{job.video}: file not found (moved or deleted during the batch?)")
    video_sha = sha256_file(video)
    specs = load_specs(job.stretch)
    spec_hash = _spec_hash(specs)

    info = video_info(video)  # the analysis rate of this video is part of the resume key
    if not job.force:
        done = _skip_result(job, video_sha, specs, spec_hash, info, t0)
        if done is not None:
            return done

    if info.frame_count > job.max_frames:
        raise _too_long(job, info.frame_count)
    frames, scale, fresh = landmark_frames(video, job, info, progress, video_sha)
    if len(frames) > job.max_frames:
        raise _too_long(job, len(frames))
    if not frames:
        raise VideoError(f"{job.video}: no frame could be decoded; the file is empty or "
                         "damaged (re-encode it, e.g. to H.264 MP4)")
    return Prepared(video_sha, specs, spec_hash, info, frames, scale, fresh, t0)


def resume_result(job: Job) -> VideoResult | None:
    """The skipped result if ``job``'s report is up to date (the plot is redrawn when it is
    missing), else None. The same check as in ``prepare_video``, for a runner that decides
    before handing the video elsewhere (``--executor ray``); cheap when there is no report."""
    if job.force or not job.report_path.is_file() or not Path(job.video).is_file():
        return None
    t0 = time.monotonic()
    specs = load_specs(job.stretch)
    return _skip_result(job, sha256_file(Path(job.video)), specs, _spec_hash(specs),
                        video_info(Path(job.video)), t0)


def _skip_result(job: Job, video_sha: str, specs: list[tuple[str, Any]], spec_hash: str,
                 info: Any, t0: float) -> VideoResult | None:
    done = _up_to_date(job.report_path, video_sha, job, spec_hash, info)
    if done is None:
        return None
    if job.plots and not job.plot_path.is_file():
        _write_plot(done, [(sid, s) for sid, s in specs if sid == done.stretch],
                    job.plot_path)
    return VideoResult(row=row_from_report(done, job, skipped=True), ok=True,
                       skipped=True, frames=0, seconds=time.monotonic() - t0)


def _spec_hash(specs: list[tuple[str, Any]]) -> str:
    return hashlib.sha256("\n".join(
        f"{sid}:{spec_fingerprint(s)}" for sid, s in specs).encode()).hexdigest()


def _too_long(job: Job, frames: int) -> VideoError:
    return VideoError(f"{job.video}: {frames} frames is longer than --max-frames "
                      f"{job.max_frames}; split the clip (or raise --max-frames if the machine "
                      "has the memory: about 55 KB a frame)")


def _level_warning(video: Path, frames: Sequence[Any]) -> tuple[str, ...]:
    """A tilted camera's warning (posecheck.core.level); never fails the analysis."""
    from posecheck.io.level import camera_level

    try:
        level = camera_level(video, frames)
    except Exception:  # noqa: BLE001 - a side check: the clip itself decoded fine
        return ()
    warning = level.warning() if level is not None else None
    return (warning,) if warning else ()


def complete_video(job: Job, p: Prepared) -> VideoResult:
    """Stage 2: cache the landmarks, analyse, draw, write the report (last)."""
    video = Path(job.video)
    frames = p.frames
    if p.fresh:
        frames = as_cached(frames)  # the values a cached rerun will see: identical reports
        cache_put(job, p.info, frames, p.video_sha)
    pose_frames = sum(1 for f in frames if f.has_pose)
    if pose_frames == 0:
        raise VideoError(f"{job.video}: no person found in any of its {len(frames)} frames; "
                         "film the whole body, side-on, in good light")

    outcome = analyze_track(frames, p.specs, p.info, job.video, auto=job.stretch == "auto",
                            smoothing=job.smoothing, mirrored=job.mirrored,
                            sample_fps=job.sample_fps)
    report = replace(outcome.report, video=job.video, batch=BatchInfo(
        model=model_ref(job), stretch_requested=job.stretch, video_sha256=p.video_sha,
        video_info=video_facts(p.info, frames),
        model_input=ModelInput(scale=p.scale, coordinates="original video pixels"),
        options=Options(**job.options_for(p.info)), spec_hash=p.spec_hash,
        recognition=outcome.recognition,
        warnings=tuple(warnings_for(frames, p.info, job)) + _level_warning(video, frames)))
    if job.plots:
        _write_plot(report, [(sid, s) for sid, s in p.specs if sid == outcome.spec_id],
                    job.plot_path)
    if job.annotate:
        write_annotated(video, outcome, job.annotated_path, p.info, mirrored=job.mirrored)
    if job.save_history:  # before the report: a failure here is retried by a rerun
        from posecheck.programme.history import save_analysis
        save_analysis(outcome.analysis, outcome.spec, video=job.video, video_sha256=p.video_sha)
    # The report goes last: its presence means the video is done (resume relies on that).
    atomic_write_text(job.report_path, report_json.to_json(report))
    return VideoResult(row=row_from_report(report, job), ok=True, frames=len(frames),
                       seconds=time.monotonic() - p.t0)


def _write_plot(report: Report, specs: list[tuple[str, Any]], path: Path) -> None:
    from posecheck.draw import plots
    spec = specs[0][1] if specs else None
    atomic_write_bytes(path, plots.plot_report_png(report, spec))


def _up_to_date(path: Path, video_sha: str, job: Job, spec_hash: str,
                info: Any) -> Report | None:
    """The existing report if it was made from this very video, model and spec (a report
    of another version, or one that cannot be read, is made again)."""
    try:
        report = report_json.read(path)
    except report_json.ReportError:
        return None
    if not isinstance(report, Report) or report.batch is None:
        return None
    b = report.batch
    same = (b.video_sha256 == video_sha
            and b.model.sha256 == job.model_sha256
            and b.spec_hash == spec_hash
            and b.stretch_requested == job.stretch
            and b.options == Options(**job.options_for(info)))
    if not same:
        return None
    if job.annotate and not job.annotated_path.is_file():
        return None
    # the same file may have been reached by another path
    return replace(report, video=job.video)


def spec_fingerprint(spec: Any) -> str:
    """SHA-256 of what a spec says (its source file when it has one, else its repr)."""
    for attr in ("path", "source", "source_path", "file"):
        src = getattr(spec, attr, None)
        if isinstance(src, (str, Path)) and Path(src).is_file():
            return hashlib.sha256(Path(src).read_bytes()).hexdigest()
    return hashlib.sha256(repr(spec).encode("utf-8")).hexdigest()


def load_specs(stretch: str) -> list[tuple[str, Any]]:
    """``[(id, spec)]``: the one spec asked for, or every bundled spec for ``auto``."""
    from posecheck.specs import parse as specs
    if stretch == "auto":
        ids = specs.list_specs()
        if not ids:
            raise PosecheckError("--stretch auto: no stretch specs found in "
                                 f"{specs.SPEC_DIR}; reinstall posecheck")
        loaded = [(sid, specs.load_spec(sid)) for sid in ids]
    else:
        spec = specs.load_spec(stretch)
        loaded = [(spec.id, spec)]
    return loaded


def check_stretch(stretch: str) -> None:
    """Fail before any video is read if the stretch id is unknown (a usage error)."""
    load_specs(stretch)


def video_info(path: Path) -> Any:
    from posecheck.io.video import VideoInfo

    return VideoInfo.from_path(path)


def video_facts(info: Any, frames: Sequence[Any]) -> VideoFacts:
    return VideoFacts(width=info.width, height=info.height, fps=round(float(info.fps), 4),
                      frame_count=info.frame_count, frames_decoded=len(frames),
                      duration_s=round(float(info.duration_s), 3), rotation=info.rotation,
                      is_image=bool(info.is_image))
