"""``posecheck analyze`` over many videos: one report, plot (and annotated MP4) per video, a
summary table and a static HTML index.

Layout of the output folder (``--out``)::

    DIR/index.html                  every video's plot and numbers side by side
    DIR/summary.csv, summary.json   one row per video (ok or error)
    DIR/<name>.json                 the analysis report, plus video info, model and errors
    DIR/<name>.png                  each metric over time with its threshold band
    DIR/<name>.annotated.mp4        with --annotate: skeleton coloured by check status

``<name>`` is the video's stem (``clip.mp4`` -> ``clip.json``); two videos with the same stem
in one batch are told apart by their folder (``<folder>__<stem>``).

Guarantees:

- One bad file never stops the batch: it gets a row with a clear error and the exit status
  becomes 1.
- Every file is written to a temporary name and moved into place (``os.replace``), so an
  interrupted batch leaves no half files; a rerun skips videos whose report matches the
  video's hash, the model and the spec (``--force`` redoes them).
- Landmarks come from the landmark cache when they are there; ``--no-cache`` re-runs the model.
- ``--workers N`` analyses videos in N spawned processes, each limited to one thread for
  OpenCV and the math libraries; the reports are byte-identical to a serial run's.

Heavy libraries (cv2, mediapipe, matplotlib) are imported inside the functions that need
them, so ``posecheck --help`` stays fast and spawned workers import only what they use.
"""

from __future__ import annotations

import argparse
import csv
import glob
import hashlib
import io
import json
import os
import queue
import re
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Sequence

from posecheck.errors import PosecheckError, VideoError
from posecheck.models import DEFAULT_MODEL, sha256_file

REPORT_VERSION = 1
VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg",
                              ".wmv", ".flv", ".3gp", ".gif", ".ts"})
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})
MEDIA_EXTENSIONS = VIDEO_EXTENSIONS | IMAGE_EXTENSIONS
DEFAULT_OUT = "out/analyze"
# Environment variables that cap the thread pools of numpy's BLAS, OpenMP and TFLite helpers.
THREAD_ENV = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
              "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS", "TF_NUM_INTRAOP_THREADS",
              "TF_NUM_INTEROP_THREADS")
PROGRESS_EVERY = 8  # frames between progress messages from a worker
MAX_AUTO_WORKERS = 8  # processes; each holds a model and two videos' landmarks (~0.6 GB)
DEFAULT_MAX_FRAMES = 36000  # frames; about 2 GB of analysis state at ~55 KB a frame
FILE_MODE = 0o644  # permissions of written files (temporary files start private)
# Seconds a thread may hold the GIL before another waiting thread gets it (CPython's default
# is 0.005). The model's thread needs the GIL briefly around every frame; with the default,
# a thread busy analysing the previous video made it wait so often that the model ran at
# half speed (47 -> 22 frames/s measured). At 0.2 ms it keeps 95 % of its speed.
GIL_SWITCH_S = 0.0002

# Columns of summary.csv that every row has, in order; per-side and per-check columns follow.
BASE_COLUMNS = ("video", "status", "error", "warnings", "stretch", "segments", "frames", "pose_frames",
                "duration_s", "width", "height", "fps", "model", "skipped", "report", "plot",
                "annotated")


# ============================================================================ arguments
def register_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the batch options of ``posecheck analyze`` to ``parser``."""
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="video or image files, folders (searched recursively) or globs")
    parser.add_argument("--stretch", default="auto", metavar="ID|auto",
                        help="stretch spec id or file, or 'auto' to recognise it per clip "
                             "(default: auto)")
    parser.add_argument("--model", default=DEFAULT_MODEL, metavar="lite|full|heavy|PATH",
                        help=f"pose model variant or a .task bundle (default: {DEFAULT_MODEL})")
    parser.add_argument("--workers", type=workers_arg, default="auto", metavar="N|auto",
                        help="videos analysed in parallel, one process each; auto: one per "
                             f"CPU core, at most one per video and {MAX_AUTO_WORKERS} "
                             "(default: auto)")
    parser.add_argument("--annotate", action="store_true",
                        help="also write an annotated MP4 per video")
    parser.add_argument("--out", default=DEFAULT_OUT, metavar="DIR",
                        help=f"output folder (default: {DEFAULT_OUT})")
    parser.add_argument("--no-cache", dest="use_cache", action="store_false",
                        help="run the pose model again even when landmarks are cached")
    parser.add_argument("--cache-dir", default=None, metavar="DIR",
                        help="landmark cache folder (default: posecheck's cache)")
    parser.add_argument("--force", action="store_true",
                        help="redo videos whose report is already up to date")
    parser.add_argument("--smoothing", choices=("batch", "live", "none"), default="batch",
                        help="batch: zero-phase over the whole track (default); live: the "
                             "live page's One Euro filter; none: raw landmarks")
    parser.add_argument("--mirrored", action="store_true",
                        help="the videos are mirrored (selfie camera): swap left and right")
    parser.add_argument("--no-plots", dest="plots", action="store_false",
                        help="skip the PNG plots (and their pictures in index.html)")
    parser.add_argument("--max-frames", type=int, default=DEFAULT_MAX_FRAMES, metavar="N",
                        help="longest clip analysed, in frames (default: "
                             f"{DEFAULT_MAX_FRAMES}, 20 min at 30 fps; the analysis keeps about "
                             "55 KB a frame in memory)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def workers_arg(text: str) -> int | str:
    """``--workers``: a positive number or ``auto``."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number or 'auto', got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def worker_count(requested: int | str, videos: int) -> int:
    """Processes to use: ``auto`` is one per CPU core this process may use, at most one per
    video and MAX_AUTO_WORKERS; a number is taken as given (but not more than the videos)."""
    if requested == "auto":
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:  # not on Linux
            cores = os.cpu_count() or 1
        requested = min(cores, MAX_AUTO_WORKERS)
    return max(1, min(int(requested), videos))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="posecheck analyze",
                                     description="Analyse stretch videos in bulk.")
    register_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv`` like ``posecheck analyze`` and run; user errors print without traceback."""
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except PosecheckError as exc:
        print(f"posecheck analyze: error: {exc}", file=sys.stderr)
        return 2


# ============================================================================ inputs
def expand_paths(paths: Iterable[str], exclude: Path | None = None
                 ) -> tuple[list[Path], list[tuple[str, str]]]:
    """Media files named by ``paths`` (files, folders searched recursively, globs).

    Returns the files (deduplicated, in a stable order) and ``(path, error)`` pairs for
    arguments that name nothing, so they get an error row instead of stopping the batch.
    A file named explicitly is taken whatever its extension (reading it says if it is bad);
    inside folders and globs only known video and image extensions count, and nothing under
    ``exclude`` (the output folder: its annotated videos are not inputs).
    """
    found: list[Path] = []
    missing: list[tuple[str, str]] = []
    explicit: set[Path] = set()
    for raw in paths:
        p = Path(raw).expanduser()
        if p.is_file():
            found.append(p)
            explicit.add(p.resolve())
        elif p.is_dir():
            hits = sorted(f for f in p.rglob("*")
                          if f.is_file() and f.suffix.lower() in MEDIA_EXTENSIONS)
            if not hits:
                missing.append((raw, f"folder {raw} holds no video or image files "
                                     f"({', '.join(sorted(MEDIA_EXTENSIONS))})"))
            found.extend(hits)
        elif glob.has_magic(raw):
            hits = sorted(Path(h) for h in glob.glob(os.path.expanduser(raw), recursive=True))
            files = [h for h in hits if h.is_file() and h.suffix.lower() in MEDIA_EXTENSIONS]
            for d in (h for h in hits if h.is_dir()):
                files.extend(sorted(f for f in d.rglob("*")
                                    if f.is_file() and f.suffix.lower() in MEDIA_EXTENSIONS))
            if not files:
                missing.append((raw, f"pattern {raw} matches no video or image files"))
            found.extend(files)
        else:
            missing.append((raw, f"{raw} does not exist; check the path"))
    skip = exclude.resolve() if exclude is not None else None
    seen: set[Path] = set()
    unique: list[Path] = []
    for f in found:
        key = f.resolve()
        if skip is not None and key.is_relative_to(skip) and key not in explicit:
            continue
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, missing


# Names the batch writes itself; a video may not take them.
RESERVED_NAMES = frozenset({"summary", "index"})


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "video"


def make_slugs(files: Sequence[Path]) -> list[str]:
    """Unique, file-system-safe output names for the videos: the video's stem.

    Stems that occur more than once in the batch (or clash with ``summary``/``index``) become
    ``<parent folder>__<stem>``; a remaining clash gets a ``-2``, ``-3`` suffix in input order.
    """
    resolved = [f.resolve() for f in files]
    stems = [_safe_name(r.stem) for r in resolved]
    counts: dict[str, int] = {}
    for stem in stems:
        counts[stem.lower()] = counts.get(stem.lower(), 0) + 1
    slugs: list[str] = []
    used: set[str] = set(RESERVED_NAMES)
    for r, stem in zip(resolved, stems):
        base = stem
        if counts[stem.lower()] > 1 or stem.lower() in RESERVED_NAMES:
            base = _safe_name(f"{r.parent.name}__{r.stem}") if r.parent.name else stem
        slug, n = base, 2
        while slug.lower() in used:
            slug, n = f"{base}-{n}", n + 1
        used.add(slug.lower())
        slugs.append(slug)
    return slugs


# ============================================================================ atomic files
def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so readers see the old file or the whole new one, never a
    part: a temporary file in the same folder, flushed, then moved into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)  # mkstemp makes 0600 files; reports are meant to be shared
        os.replace(tmp, path)
    except BaseException:
        _unlink_quietly(tmp)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def dump_json(obj: Any) -> str:
    """The one JSON form of reports: sorted keys, 2-space indent, no NaN (null instead)."""
    return json.dumps(_finite(obj), indent=2, sort_keys=True, ensure_ascii=False,
                      allow_nan=False) + "\n"


def _finite(obj: Any) -> Any:
    """JSON has no NaN/inf: turn them into null, and numpy scalars into Python numbers."""
    if isinstance(obj, float):
        return obj if obj == obj and obj not in (float("inf"), float("-inf")) else None
    if isinstance(obj, dict):
        return {str(k): _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    if hasattr(obj, "item") and callable(obj.item) and getattr(obj, "shape", None) == ():
        return _finite(obj.item())
    if hasattr(obj, "tolist"):
        return _finite(obj.tolist())
    return obj


def _unlink_quietly(path: str | Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


# ============================================================================ hashing
def spec_fingerprint(spec: Any) -> str:
    """SHA-256 of what a spec says (its source file when it has one, else its repr)."""
    for attr in ("path", "source", "source_path", "file"):
        src = getattr(spec, attr, None)
        if isinstance(src, (str, Path)) and Path(src).is_file():
            return hashlib.sha256(Path(src).read_bytes()).hexdigest()
    return hashlib.sha256(repr(spec).encode("utf-8")).hexdigest()


# ============================================================================ jobs
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


@dataclass
class VideoResult:
    """What the parent gets back for one video: the summary row and where files are."""

    row: dict[str, Any]
    ok: bool
    skipped: bool = False
    frames: int = 0
    seconds: float = 0.0


ProgressFn = Callable[[str, int, int], None]  # (slug, frames done, frames total)


def _no_progress(slug: str, done: int, total: int) -> None:
    pass


# ============================================================================ the per-video work
# A video goes through two stages: prepare (hash, resume check, landmarks: mostly the model)
# and complete (analysis, plot, annotated video, report: pure Python). The serial runner
# overlaps the next video's prepare with this video's complete, one core each.
STOP = threading.Event()  # set on Ctrl-C: the frame loop of a background stage stops


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
    """Run a stage; turn any failure into the video's error result."""
    try:
        return stage()
    except (KeyboardInterrupt, SystemExit):
        raise
    except PosecheckError as exc:
        message = str(exc)
    except MemoryError:
        message = (f"{job.video}: ran out of memory; try a shorter clip, a smaller resolution "
                   "or fewer --workers")
    except Exception as exc:  # a bug or a library failure: keep the batch going, say what
        message = f"{job.video}: unexpected {type(exc).__name__}: {exc}"
        traceback.print_exc(file=sys.stderr)
    return _error_result(job, message, t0)


def _error_result(job: Job, message: str, t0: float | None = None) -> VideoResult:
    report = {"report_version": REPORT_VERSION, "status": "error", "error": message,
              "video": job.video, "model": _model_json(job), "stretch_requested": job.stretch}
    try:
        atomic_write_text(job.report_path, dump_json(report))
    except OSError:
        pass  # the row still carries the error
    return VideoResult(row=_row_from_report(report, job), ok=False,
                       seconds=0.0 if t0 is None else time.monotonic() - t0)


def _model_json(job: Job) -> dict[str, str]:
    return {"label": job.model_label, "sha256": job.model_sha256,
            "file": Path(job.model_path).name}


def prepare_video(job: Job, progress: ProgressFn, t0: float) -> Prepared | VideoResult:
    """Stage 1: the finished result if the report is up to date, else the landmarks."""
    video = Path(job.video)
    if not video.is_file():
        raise VideoError(f"{job.video}: file not found (moved or deleted during the batch?)")
    video_sha = sha256_file(video)
    specs = load_specs(job.stretch)
    spec_hash = hashlib.sha256("\n".join(
        f"{sid}:{spec_fingerprint(s)}" for sid, s in specs).encode()).hexdigest()

    if not job.force:
        done = _up_to_date(job.report_path, video_sha, job, spec_hash)
        if done is not None:
            if job.plots and not job.plot_path.is_file():
                _write_plot(done, [(sid, s) for sid, s in specs if sid == done.get("stretch")],
                            job.plot_path)
            return VideoResult(row=_row_from_report(done, job, skipped=True), ok=True,
                               skipped=True, frames=0, seconds=time.monotonic() - t0)

    info = video_info(video)
    if info.frame_count > job.max_frames:
        raise _too_long(job, info.frame_count)
    frames, scale, fresh = landmark_frames(video, job, info, progress, video_sha)
    if len(frames) > job.max_frames:
        raise _too_long(job, len(frames))
    if not frames:
        raise VideoError(f"{job.video}: no frame could be decoded; the file is empty or "
                         "damaged (re-encode it, e.g. to H.264 MP4)")
    return Prepared(video_sha, specs, spec_hash, info, frames, scale, fresh, t0)


def _too_long(job: Job, frames: int) -> VideoError:
    return VideoError(f"{job.video}: {frames} frames is longer than --max-frames "
                      f"{job.max_frames}; split the clip (or raise --max-frames if the machine "
                      "has the memory: about 55 KB a frame)")


def complete_video(job: Job, p: Prepared) -> VideoResult:
    """Stage 2: cache the landmarks, analyse, draw, write the report (last)."""
    video = Path(job.video)
    frames = p.frames
    if p.fresh:
        frames = as_cached(frames)  # the values a cached rerun will see: identical reports
        _cache_put(video, job, p.info, frames, p.video_sha)
    pose_frames = sum(1 for f in frames if f.has_pose)
    if pose_frames == 0:
        raise VideoError(f"{job.video}: no person found in any of its {len(frames)} frames; "
                         "film the whole body, side-on, in good light")

    outcome = analyze_track(frames, p.specs, p.info, job.video, auto=job.stretch == "auto",
                            smoothing=job.smoothing, mirrored=job.mirrored)
    report = outcome.report
    report.update({
        "report_version": REPORT_VERSION,
        "status": "ok",
        "error": None,
        "video": job.video,
        "video_sha256": p.video_sha,
        "video_info": info_json(p.info, frames),
        "model": _model_json(job),
        "model_input": {"scale": p.scale, "coordinates": "original video pixels"},
        "stretch_requested": job.stretch,
        "options": job.options,
        "spec_hash": p.spec_hash,
        "recognition": outcome.recognition,
        "warnings": warnings_for(frames, p.info, job),
    })
    if job.plots:
        _write_plot(report, [(sid, s) for sid, s in p.specs if sid == outcome.spec_id],
                    job.plot_path)
    if job.annotate:
        write_annotated(video, outcome, job.annotated_path, p.info)
    # The report goes last: its presence means the video is done (resume relies on that).
    atomic_write_text(job.report_path, dump_json(report))
    return VideoResult(row=_row_from_report(report, job), ok=True, frames=len(frames),
                       seconds=time.monotonic() - p.t0)


def _write_plot(report: dict[str, Any], specs: list[tuple[str, Any]], path: Path) -> None:
    from posecheck import plots

    spec = specs[0][1] if specs else None
    atomic_write_bytes(path, plots.plot_report_png(report, spec))


def _up_to_date(path: Path, video_sha: str, job: Job, spec_hash: str) -> dict | None:
    """The existing report if it was made from this very video, model and spec."""
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    same = (report.get("status") == "ok"
            and report.get("report_version") == REPORT_VERSION
            and report.get("video_sha256") == video_sha
            and (report.get("model") or {}).get("sha256") == job.model_sha256
            and report.get("spec_hash") == spec_hash
            and report.get("stretch_requested") == job.stretch
            and report.get("options") == job.options)
    if not same:
        return None
    if job.annotate and not job.annotated_path.is_file():
        return None
    report["video"] = job.video  # the same file may have been reached by another path
    return report


# ============================================================================ summary rows
def _row_from_report(report: dict[str, Any], job: Job, skipped: bool = False) -> dict[str, Any]:
    info = report.get("video_info") or {}
    row: dict[str, Any] = {
        "video": job.video,
        "status": report.get("status", "error"),
        "error": report.get("error") or "",
        "warnings": "; ".join(report.get("warnings") or []),
        "stretch": report.get("stretch", "") if report.get("status") == "ok" else "",
        "segments": _segments_text(report.get("recognition")),
        "frames": report.get("frames", ""),
        "pose_frames": report.get("pose_frames", ""),
        "duration_s": info.get("duration_s", ""),
        "width": info.get("width", ""),
        "height": info.get("height", ""),
        "fps": info.get("fps", ""),
        "model": job.model_label,
        "skipped": bool(skipped),
        "report": job.report_path.name,
        "plot": job.plot_path.name if job.plot_path.is_file() else "",
        "annotated": (job.annotated_path.name
                      if job.annotated_path.is_file() and report.get("status") == "ok"
                      else ""),
    }
    for side, s in sorted((report.get("sides") or {}).items()):
        row[f"{side}_valid_hold_s"] = _r(s.get("valid_hold_s"))
        row[f"{side}_in_pose_s"] = _r(s.get("in_pose_s"))
        row[f"{side}_reps"] = s.get("reps", "")
    for cid, c in sorted((report.get("checks") or {}).items()):
        row[f"pass_{cid}"] = _r(c.get("pass_fraction"), 3)
    return row


def _r(value: Any, digits: int = 2) -> Any:
    return round(value, digits) if isinstance(value, float) else ("" if value is None else value)


def _segments_text(recognition: dict | None) -> str:
    if not recognition:
        return ""
    parts = [f"{s['stretch']} {s['start_s']:.1f}-{s['end_s']:.1f}s"
             + (f" ({s['valid_s']:.1f}s valid)" if "valid_s" in s else "")
             for s in recognition.get("segments", [])]
    return "; ".join(parts)


def summary_columns(rows: Sequence[dict[str, Any]]) -> list[str]:
    extra = sorted({k for r in rows for k in r} - set(BASE_COLUMNS),
                   key=lambda k: (not k.endswith(("_valid_hold_s", "_in_pose_s", "_reps")), k))
    return list(BASE_COLUMNS) + extra


def write_summary(out: Path, rows: Sequence[dict[str, Any]]) -> None:
    columns = summary_columns(rows)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, restval="", lineterminator="\n")
    writer.writeheader()
    for r in rows:
        writer.writerow({k: ("" if v is None else v) for k, v in r.items()})
    atomic_write_text(out / "summary.csv", buf.getvalue())
    atomic_write_text(out / "summary.json", dump_json({"columns": columns, "videos": list(rows)}))


# ============================================================================ worker processes
_WORKER_QUEUE: Any = None
# In a worker, the previous video's analysis runs in this one thread while the main thread
# runs the model on the next video: the same two-stage overlap as the serial runner.
_COMPLETER: Any = None
_COMPLETING: Any = None  # Future of the analysis in flight, if any


class Deferred:
    """What a worker returns for a video whose analysis goes on in the background; the
    finished VideoResult follows as a ``("done", slug, result)`` message on the queue."""

    def __init__(self, slug: str) -> None:
        self.slug = slug


def limit_threads() -> None:
    """One thread each for OpenCV and the math libraries: on a 2-core machine, N worker
    processes with their own thread pools would only fight over the cores."""
    for name in THREAD_ENV:
        os.environ[name] = "1"
    try:
        import cv2

        cv2.setNumThreads(1)
    except ImportError:  # pragma: no cover - cv2 comes with mediapipe
        pass


def _worker_init(q: Any) -> None:
    import signal
    from concurrent.futures import ThreadPoolExecutor

    global _WORKER_QUEUE, _COMPLETER
    _WORKER_QUEUE = q
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent handles Ctrl-C for everyone
    limit_threads()
    sys.setswitchinterval(GIL_SWITCH_S)
    _COMPLETER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="posecheck-complete")


def _worker_progress(slug: str, done: int, total: int) -> None:
    if _WORKER_QUEUE is not None:
        _WORKER_QUEUE.put(("progress", slug, done, total))


# Test hook: a worker given a video whose path contains this text dies, like a native crash
# in a decoder would (tests/test_batch.py checks the batch survives it). With
# CRASH_STAGE_ENV=complete it dies in the background analysis instead, after its model stage.
CRASH_TEST_ENV = "POSECHECK_BATCH_CRASH_TEST"
CRASH_STAGE_ENV = "POSECHECK_BATCH_CRASH_STAGE"


def _crash_here(job: Job, stage: str) -> None:
    marker = os.environ.get(CRASH_TEST_ENV)
    if marker and marker in job.video and os.environ.get(CRASH_STAGE_ENV, "start") == stage:
        if stage == "complete":
            time.sleep(1.0)  # a moment into the analysis: the video was handed back by now
        os._exit(70)


def _worker_run(job: Job) -> VideoResult | Deferred:
    """Stage 1 of ``job`` here; stage 2 in the background thread once the previous video's
    stage 2 is done (at most two videos in memory, as in the serial runner)."""
    global _COMPLETING
    if _WORKER_QUEUE is not None:
        _WORKER_QUEUE.put(("start", job.slug, 0, 0))
    _crash_here(job, "start")
    t0 = time.monotonic()
    prepared = guarded(job, t0, lambda: prepare_video(job, _worker_progress, t0))
    if isinstance(prepared, VideoResult):
        return prepared
    if _COMPLETING is not None:
        _COMPLETING.result()
    _COMPLETING = _COMPLETER.submit(_complete_and_send, job, prepared, t0)
    return Deferred(job.slug)


def _complete_and_send(job: Job, prepared: Prepared, t0: float) -> None:
    _crash_here(job, "complete")
    result = guarded(job, t0, lambda: complete_video(job, prepared))
    _WORKER_QUEUE.put(("done", job.slug, result, 0))


# ============================================================================ progress display
class Progress:
    """An overall bar (videos, with frames per second) and one bar per running video."""

    def __init__(self, total_videos: int, enabled: bool, slots: int) -> None:
        self.enabled = enabled
        self._lock = threading.Lock()  # updated from the prepare thread and the main thread
        self._bars: dict[str, Any] = {}
        self._free = list(range(1, slots + 1))
        self._slot: dict[str, int] = {}
        self._frames = 0
        self._t0 = time.monotonic()
        self.overall = None
        if enabled:
            from tqdm import tqdm

            self._tqdm = tqdm
            self.overall = tqdm(total=total_videos, desc="videos", unit="video", position=0,
                                dynamic_ncols=True, leave=True)

    def update(self, slug: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._update(slug, done, total)

    def _update(self, slug: str, done: int, total: int) -> None:
        bar = self._bars.get(slug)
        if bar is None:
            pos = self._free.pop(0) if self._free else len(self._slot) + 1
            self._slot[slug] = pos
            bar = self._bars[slug] = self._tqdm(total=total or None, desc=slug[:40],
                                                unit="frame", position=pos, leave=False,
                                                dynamic_ncols=True)
        if total and bar.total != total:
            bar.total = total
        step = done - bar.n
        if step > 0:
            self._frames += step
            bar.update(step)
            elapsed = max(time.monotonic() - self._t0, 1e-6)
            self.overall.set_postfix_str(f"{self._frames / elapsed:.1f} frames/s", refresh=False)

    def finish(self, slug: str, result: VideoResult) -> None:
        if not self.enabled:
            return
        with self._lock:
            self._finish(slug, result)

    def _finish(self, slug: str, result: VideoResult) -> None:
        bar = self._bars.pop(slug, None)
        if bar is not None:
            bar.close()
            self._free.append(self._slot.pop(slug))
            self._free.sort()
        self.overall.update(1)
        if not result.ok:
            self.overall.write(f"  error: {result.row['error']}")

    def close(self) -> None:
        for bar in self._bars.values():
            bar.close()
        if self.overall is not None:
            self.overall.close()


# ============================================================================ the batch
def run(args: argparse.Namespace) -> int:
    """Run the batch described by parsed ``args``; 0 if every video worked, 1 otherwise."""
    if args.workers != "auto" and int(args.workers) < 1:
        raise PosecheckError(f"--workers must be at least 1, got {args.workers}")
    out = Path(args.out)
    files, missing = expand_paths(args.paths, exclude=out)
    if not files and not missing:
        raise PosecheckError("no input: give video files, folders or globs")

    model_path, label, model_sha = _resolve_model(args.model, quiet=args.quiet)
    _check_stretch(args.stretch)

    slugs = make_slugs(files)
    jobs = [Job(video=str(f), slug=s, out_dir=str(out), model_path=str(model_path),
                model_label=label, model_sha256=model_sha, stretch=args.stretch,
                annotate=args.annotate, plots=getattr(args, "plots", True),
                use_cache=args.use_cache, cache_dir=args.cache_dir, force=args.force,
                smoothing=getattr(args, "smoothing", "batch"),
                mirrored=getattr(args, "mirrored", False),
                max_frames=getattr(args, "max_frames", DEFAULT_MAX_FRAMES))
            for f, s in zip(files, slugs)]
    out.mkdir(parents=True, exist_ok=True)

    results: dict[str, VideoResult] = {}
    t0 = time.monotonic()
    workers = worker_count(args.workers, len(jobs))
    progress = Progress(len(jobs), enabled=not args.quiet, slots=workers)
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(GIL_SWITCH_S)
    try:
        if workers == 1:
            _run_serial(largest_first(jobs), progress, results)
        else:
            _run_parallel(largest_first(jobs), workers, progress, results)
    except KeyboardInterrupt:
        progress.close()
        _finish(out, jobs, results, missing, interrupted=True)
        print(f"posecheck analyze: interrupted; {len(results)} of {len(jobs)} videos done. "
              "Run the same command again to resume.", file=sys.stderr)
        return 130
    finally:
        sys.setswitchinterval(switch_interval)
    progress.close()
    rows = _finish(out, jobs, results, missing, interrupted=False)
    failed = sum(1 for r in rows if r["status"] != "ok")
    for r in rows:  # errors are shown even with --quiet: scripts need them on stderr
        if r["status"] != "ok":
            print(f"posecheck analyze: error: {r['error']}", file=sys.stderr)
    if not args.quiet:
        frames = sum(r.frames for r in results.values())
        wall = time.monotonic() - t0
        skipped = sum(1 for r in results.values() if r.skipped)
        print(f"{len(rows)} inputs: {len(rows) - failed} ok ({skipped} already done), "
              f"{failed} failed; {frames} frames in {wall:.1f} s"
              + (f" ({frames / wall:.1f} frames/s)" if frames and wall > 0 else ""),
              file=sys.stderr)
        print(f"report: {out / 'index.html'}", file=sys.stderr)
    return 1 if failed else 0


def largest_first(jobs: Sequence[Job]) -> list[Job]:
    """The order to work in: biggest files first. Workers then finish together (no long video
    left alone at the end) and the serial runner's unoverlapped last step is the smallest.
    Reports and the summary keep the order the videos were given in."""
    def size(job: Job) -> int:
        try:
            return os.path.getsize(job.video)
        except OSError:
            return 0
    return sorted(jobs, key=size, reverse=True)


def _finish(out: Path, jobs: Sequence[Job], results: dict[str, VideoResult],
            missing: Sequence[tuple[str, str]], interrupted: bool) -> list[dict[str, Any]]:
    rows = [results[j.slug].row for j in jobs if j.slug in results]
    for raw, message in missing:
        rows.append({"video": raw, "status": "error", "error": message, "skipped": False})
    write_summary(out, rows)
    from posecheck import html_report

    atomic_write_text(out / "index.html",
                      html_report.render_index(rows, title="posecheck analyze",
                                               pending=[j.video for j in jobs
                                                        if j.slug not in results]
                                               if interrupted else []))
    return rows


def _run_serial(jobs: Sequence[Job], progress: Progress,
                results: dict[str, VideoResult]) -> None:
    """One video after another, in this process, two stages overlapped: while this video is
    analysed and drawn (Python, holding the GIL), the next one's frames go through the model
    in a thread (MediaPipe and OpenCV release the GIL), so both cores work."""
    from concurrent.futures import ThreadPoolExecutor

    def prepare(job: Job) -> Any:
        t0 = time.monotonic()
        return job, t0, guarded(job, t0, lambda: prepare_video(job, progress.update, t0))

    STOP.clear()
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="posecheck-prepare")
    try:
        ahead = pool.submit(prepare, jobs[0]) if jobs else None
        for k in range(len(jobs)):
            job, t0, prepared = ahead.result()
            ahead = pool.submit(prepare, jobs[k + 1]) if k + 1 < len(jobs) else None
            if isinstance(prepared, VideoResult):
                result = prepared
            else:
                result = guarded(job, t0, lambda: complete_video(job, prepared))
            results[job.slug] = result
            progress.finish(job.slug, result)
    except BaseException:
        STOP.set()  # the thread's frame loop stops at its next frame
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_parallel(jobs: Sequence[Job], workers: int, progress: Progress,
                  results: dict[str, VideoResult]) -> None:
    """Run jobs in spawned processes.

    Each worker overlaps two videos like the serial runner: it hands back a ``Deferred`` once
    a video's landmarks are done and finishes its analysis in a thread while the next video
    goes through the model; the result then comes as a message.

    If a worker dies (a native crash in a decoder or the model), every video that may have
    been in it becomes a suspect and is retried alone; a suspect that crashes again gets an
    error row. Each round either finishes a video or makes one a suspect, so this ends.
    """
    import multiprocessing as mp
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
    from concurrent.futures.process import BrokenProcessPool

    ctx = mp.get_context("spawn")
    pending = list(jobs)
    suspects: set[str] = set()
    by_slug = {j.slug: j for j in jobs}
    while pending:
        alone = [j for j in pending if j.slug in suspects]
        batch = alone[:1] if alone else list(pending)
        q = ctx.Queue()
        started: set[str] = set()
        deferred: set[str] = set()  # analysed in a worker's background thread, not back yet
        pool = ProcessPoolExecutor(max_workers=min(workers, len(batch)), mp_context=ctx,
                                   initializer=_worker_init, initargs=(q,))

        def finished(job: Job, result: VideoResult) -> None:
            results[job.slug] = result
            progress.finish(job.slug, result)
            pending.remove(job)

        try:
            futures = {pool.submit(_worker_run, j): j for j in batch}
            broken = False
            while (futures or deferred) and not broken:
                done, _ = (wait(futures, timeout=0.1, return_when=FIRST_COMPLETED) if futures
                           else (set(), set()))
                for slug, result in _drain(q, progress, started, timeout=0 if futures else 0.1):
                    deferred.discard(slug)
                    finished(by_slug[slug], result)
                for fut in done:
                    try:
                        result = fut.result()
                    except BrokenProcessPool:
                        broken = True
                        break
                    job = futures.pop(fut)
                    if isinstance(result, Deferred):
                        deferred.add(job.slug)
                    else:
                        finished(job, result)
                # With nothing queued, the executor does not notice a dead worker: look.
                broken = broken or _a_worker_died(pool)
            if broken:
                for slug, result in _drain(q, progress, started):
                    if slug in deferred:
                        deferred.discard(slug)
                        finished(by_slug[slug], result)
                unfinished = [j for j in batch if j in pending]
                known = [j for j in unfinished if j.slug in started]
                for job in known or unfinished:
                    if job.slug in suspects:
                        finished(job, _crash_result(job))
                    else:
                        suspects.add(job.slug)
        except KeyboardInterrupt:
            # Workers ignore Ctrl-C (no tracebacks from them); stop them here. Their files
            # are written atomically, so nothing half-written stays behind.
            _terminate(pool)
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        if broken:
            _terminate(pool)  # the survivors' videos are retried: no stray writer stays
        pool.shutdown(wait=True, cancel_futures=True)
        q.close()


def _terminate(pool: Any) -> None:
    for proc in list((getattr(pool, "_processes", None) or {}).values()):
        proc.terminate()


def _a_worker_died(pool: Any) -> bool:
    """True if one of the pool's processes has exited (workers only exit at shutdown)."""
    procs = getattr(pool, "_processes", None) or {}
    return any(p.exitcode is not None for p in list(procs.values()))


def _drain(q: Any, progress: Progress, started: set[str], timeout: float = 0.0
           ) -> list[tuple[str, VideoResult]]:
    """Handle the workers' queued messages; return the finished videos ``(slug, result)``."""
    finished = []
    while True:
        try:
            kind, slug, a, b = q.get(timeout=timeout) if timeout else q.get_nowait()
        except queue.Empty:
            return finished
        except (EOFError, OSError):
            return finished
        timeout = 0.0  # wait only for the first message
        if kind == "start":
            started.add(slug)
        elif kind == "done":
            finished.append((slug, a))
        else:
            progress.update(slug, a, b)


def _crash_result(job: Job) -> VideoResult:
    message = (f"{job.video}: the worker process crashed while reading or analysing this file "
               "(a decoder or model failure); re-encode it as H.264 MP4 and try again")
    report = {"report_version": REPORT_VERSION, "status": "error", "error": message,
              "video": job.video, "model": _model_json(job), "stretch_requested": job.stretch}
    try:
        atomic_write_text(job.report_path, dump_json(report))
    except OSError:
        pass
    return VideoResult(row=_row_from_report(report, job), ok=False)


def _resolve_model(name: str, quiet: bool) -> tuple[Path, str, str]:
    from posecheck import models

    path = models.resolve_model(name, progress=not quiet)
    return Path(path), models.model_label(name), models.sha256_file(Path(path))


def _check_stretch(stretch: str) -> None:
    """Fail before any video is read if the stretch id is unknown (a usage error)."""
    load_specs(stretch)


# ============================================================================ pipeline edges
# The only places batch touches the model, the video decoder and the analysis modules.
MODEL_MAX_SIDE = 1280  # px; larger frames are downscaled before the model (it sees 256 px)
PREFETCH_FRAMES = 4    # decoded frames queued ahead of the model (decode overlaps inference)
# A hip centre moving more than this many torso lengths between two consecutive pose frames
# is a jump to another person, not a movement. Torso lengths.
JUMP_TORSO_LENGTHS = 1.5
RECOGNITION_FPS = 5.0  # frames/s at which --stretch auto tries every spec


def load_specs(stretch: str) -> list[tuple[str, Any]]:
    """``[(id, spec)]``: the one spec asked for, or every bundled spec for ``auto``."""
    from posecheck import specs

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


def video_info(path: Path) -> Any:
    from posecheck.video import VideoInfo

    return VideoInfo.from_path(path)


def info_json(info: Any, frames: Sequence[Any]) -> dict[str, Any]:
    return {"width": info.width, "height": info.height, "fps": round(float(info.fps), 4),
            "frame_count": info.frame_count, "frames_decoded": len(frames),
            "duration_s": round(float(info.duration_s), 3), "rotation": info.rotation,
            "is_image": bool(info.is_image)}


def landmark_frames(video: Path, job: Job, info: Any, progress: ProgressFn,
                    video_sha: str) -> tuple[list[Any], float, bool]:
    """Pose frames of a video, from the landmark cache or by running the model.

    Returns the frames, the scale the model saw them at and whether they are fresh from the
    model (the caller then caches them, off the model's critical path).
    """
    total = max(int(info.frame_count), 1)
    if job.use_cache:
        cached = _cache_get(video_sha, job)
        if cached is not None:
            progress(job.slug, len(cached), len(cached))
            return cached, model_scale(info), False
    frames, scale = estimate_frames(video, job.model_path, info,
                                    lambda done: progress(job.slug, done, max(total, done)),
                                    max_frames=job.max_frames)
    progress(job.slug, len(frames), len(frames))
    return frames, scale, True


def _prefetch(source: Iterator[Any], depth: int) -> Iterator[Any]:
    """Run ``source`` in a thread, ``depth`` items ahead, so decoding overlaps the model.

    OpenCV releases the GIL while decoding, so the two really run at once. Errors raised by
    the source are re-raised in the consumer; closing the consumer stops the thread.
    """
    q: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    end = object()

    def produce() -> None:
        try:
            for item in source:
                while not stop.is_set():
                    try:
                        q.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    break
            q.put(end)
        except BaseException as exc:  # handed to the consumer
            q.put(("__error__", exc))
        finally:
            close = getattr(source, "close", None)
            if close is not None:
                close()

    thread = threading.Thread(target=produce, name="posecheck-decode", daemon=True)
    thread.start()
    try:
        while True:
            item = q.get()
            if item is end:
                return
            if isinstance(item, tuple) and len(item) == 2 and item[0] == "__error__":
                raise item[1]
            yield item
    finally:
        stop.set()
        while thread.is_alive():
            try:
                q.get_nowait()
            except queue.Empty:
                thread.join(timeout=0.05)


def _downscaled(frames: Iterator[tuple[int, int, Any]], scale: float) -> Iterator[Any]:
    """Resize in the decoding thread (cv2.resize also releases the GIL)."""
    import cv2

    for index, t_ms, bgr in frames:
        if scale < 1.0:
            small = cv2.resize(bgr, (max(1, round(bgr.shape[1] * scale)),
                                     max(1, round(bgr.shape[0] * scale))),
                               interpolation=cv2.INTER_AREA)
        else:
            small = bgr
        yield index, t_ms, small


def _as_rgb(frames: Iterator[tuple[int, int, Any]]) -> Iterator[Any]:
    """BGR -> RGB in the decoding thread, so the model's thread only runs the model."""
    import cv2

    for index, t_ms, bgr in frames:
        yield index, t_ms, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def estimate_frames(video: Path, model_path: str, info: Any,
                    on_frame: Callable[[int], None] = lambda n: None,
                    max_side: int = MODEL_MAX_SIDE,
                    max_frames: int | None = None) -> tuple[list[Any], float]:
    """Run the model over every frame; landmarks come back in the video's own pixels.

    Frames larger than ``max_side`` are shrunk for the model (it works on 256 px crops, so
    this loses nothing but decode time) and the landmarks scaled back.
    """
    from posecheck.estimator import PoseEstimator
    from posecheck.video import iter_frames

    scale = model_scale(info, max_side)
    frames: list[Any] = []
    if info.is_image:
        # IMAGE mode keeps no state between calls, so one landmarker serves every image
        # (creating one costs more than running it once).
        est = _image_estimator(model_path)
        for index, t_ms, image in _downscaled(iter_frames(video), scale):
            pf = est.process(image, t_ms, index=index)
            frames.append(_to_size(pf, info.width, info.height) if scale < 1.0 else pf)
        return frames, scale
    with PoseEstimator(model_path, running_mode="video") as est:
        for index, t_ms, rgb in _prefetch(_as_rgb(_downscaled(iter_frames(video), scale)),
                                          PREFETCH_FRAMES):
            if STOP.is_set():
                raise KeyboardInterrupt
            if max_frames is not None and len(frames) >= max_frames:
                # The container under-announced its length: stop before memory runs out.
                raise VideoError(f"{video}: more than --max-frames {max_frames} frames; "
                                 "split the clip (or raise --max-frames)")
            pf = est.process_rgb(rgb, t_ms, index=index)
            if scale < 1.0:
                pf = _to_size(pf, info.width, info.height)
            frames.append(pf)
            if len(frames) % PROGRESS_EVERY == 0:
                on_frame(len(frames))
    return frames, scale


_IMAGE_ESTIMATORS: dict[tuple[str, int], Any] = {}


def _image_estimator(model_path: str) -> Any:
    """This thread's IMAGE-mode estimator for a model, made on first use."""
    from posecheck.estimator import PoseEstimator

    key = (str(model_path), threading.get_ident())
    if key not in _IMAGE_ESTIMATORS:
        _IMAGE_ESTIMATORS[key] = PoseEstimator(model_path, running_mode="image")
    return _IMAGE_ESTIMATORS[key]


def model_scale(info: Any, max_side: int = MODEL_MAX_SIDE) -> float:
    """Factor applied to frames before the model (1.0 unless the long side exceeds max_side)."""
    long_side = max(info.width, info.height)
    return round(min(1.0, max_side / long_side), 6) if long_side > 0 else 1.0


def _to_size(pf: Any, width: int, height: int) -> Any:
    """The same pose in pixels of a ``width`` x ``height`` frame (normalized coords kept)."""
    from posecheck.pose import PoseFrame

    if not pf.has_pose:
        return PoseFrame.empty(pf.t_ms, width, height, index=pf.index, reason=pf.reason)
    return PoseFrame.from_normalized(pf.to_normalized(), pf.t_ms, width, height,
                                     world=pf.world, index=pf.index)


def _cache_file(video_sha: str, job: Job) -> Path:
    from posecheck import cache

    directory = (Path(job.cache_dir).expanduser() if job.cache_dir is not None
                 else cache.default_cache_dir())
    return cache.cache_path(directory, video_sha, job.model_label, job.model_sha256)


def _cache_get(video_sha: str, job: Job) -> list[Any] | None:
    """Cached frames of this video and model bundle, or None (missing or unreadable)."""
    from posecheck import cache

    target = _cache_file(video_sha, job)
    if not target.is_file():
        return None
    try:
        track = cache.LandmarkTrack.load(target)
    except cache.LandmarkFileError:
        return None  # recomputed and overwritten
    if track.video_sha256 != video_sha or track.model_sha256 != job.model_sha256:
        return None
    return list(track.frames)


def _cache_put(video: Path, job: Job, info: Any, frames: Sequence[Any],
               video_sha: str) -> None:
    from posecheck import cache

    track = cache.LandmarkTrack(info=info, frames=tuple(frames), model=job.model_label,
                                video_sha256=video_sha, model_sha256=job.model_sha256)
    try:
        track.save(_cache_file(video_sha, job))
    except OSError as exc:  # a read-only cache must not fail the analysis
        print(f"posecheck analyze: warning: landmark cache not written ({exc})",
              file=sys.stderr)


def as_cached(frames: Sequence[Any]) -> list[Any]:
    """The frames exactly as the landmark cache would give them back (values rounded the
    same way), so a report is byte-identical whether the landmarks were cached or fresh."""
    from posecheck import cache

    return [cache._parse_frame(cache._frame_record(f), f.width, f.height) for f in frames]


@dataclass
class Outcome:
    """The analysis of one clip: JSON report, the spec used, per-frame reports (for drawing)."""

    report: dict[str, Any]
    spec_id: str | None
    spec: Any
    analysis: Any
    recognition: dict[str, Any] | None


def analyze_track(frames: Sequence[Any], specs: Sequence[tuple[str, Any]], info: Any,
                  video: str, auto: bool = False, smoothing: str = "batch",
                  mirrored: bool = False) -> Outcome:
    """Analyse the frames with the one spec, or recognise the spec first (``auto``)."""
    from functools import partial

    from posecheck.analysis import analyze_frames

    run_spec = partial(analyze_frames, smoothing=smoothing, mirrored=mirrored)

    fps = float(info.fps) if info.fps and info.fps > 0 else 0.0
    if not auto:
        sid, spec = specs[0]
        analysis = run_spec(frames, spec, fps=fps, video=video)
        return Outcome(analysis.to_json(), sid, spec, analysis, None)

    from posecheck import recognize

    # Recognition runs every spec over a subsampled track (RECOGNITION_FPS is plenty for
    # holds lasting seconds); only the winner is then analysed at the full frame rate.
    step = max(1, int(round(fps / RECOGNITION_FPS))) if fps > 0 else 1
    sub = list(frames[::step])
    traces = [recognize.trace_from_frames(
        sid, run_spec(sub, spec, fps=fps / step if fps else 0.0, video=video).frames,
        n_conditions=len(getattr(spec, "pose", ()) or ()))
        for sid, spec in specs]
    rec = recognize.recognize([f.t_ms / 1000.0 for f in sub], traces)
    rec_json = {**rec.to_json(), "sampled_fps": round(fps / step, 3) if fps else 0.0,
                "specs": [sid for sid, _ in specs]}
    # Each segment gets the valid time of its own spec inside it (the report's totals are
    # the main stretch's over the whole clip).
    full: dict[str, Any] = {}
    for seg in rec_json["segments"]:
        sid = seg["stretch"]
        if sid not in full:
            full[sid] = run_spec(frames, dict(specs)[sid], fps=fps, video=video)
        seg.update(segment_hold(full[sid].frames, seg["start_s"], seg["end_s"]))
    if rec.stretch == recognize.NONE:
        report = {"stretch": recognize.NONE, "video": video, "fps": fps, "frames": len(frames),
                  "pose_frames": sum(1 for f in frames if f.has_pose), "sides": {},
                  "checks": {}, "timeline": [{"t_s": round(f.t_ms / 1000.0, 3),
                                              "has_pose": f.has_pose} for f in frames]}
        return Outcome(report, None, None, None, rec_json)
    spec = dict(specs)[rec.stretch]
    analysis = full[rec.stretch]
    return Outcome(analysis.to_json(), rec.stretch, spec, analysis, rec_json)


def segment_hold(frame_reports: Sequence[Any], start_s: float, end_s: float
                 ) -> dict[str, Any]:
    """Valid seconds inside ``[start_s, end_s)`` and the stretched side(s) seen there.

    A frame counts for the time until the next frame (the last one for the median step).
    """
    t = [r.t_ms / 1000.0 for r in frame_reports]
    steps = [b - a for a, b in zip(t, t[1:])]
    typical = sorted(steps)[len(steps) // 2] if steps else 0.0
    valid_s = 0.0
    sides: set[str] = set()
    for i, r in enumerate(frame_reports):
        if not start_s <= t[i] < end_s:
            continue
        if r.valid is True:
            valid_s += steps[i] if i < len(steps) else typical
        if r.in_pose and r.stretched_side:
            sides.add(str(r.stretched_side))
    return {"valid_s": round(valid_s, 3), "sides": sorted(sides)}


def warnings_for(frames: Sequence[Any], info: Any, job: Job) -> list[str]:
    """Things the user should know about a result that still counts as analysed."""
    out: list[str] = []
    n = len(frames)
    if info.frame_count and n < 0.9 * info.frame_count and not info.is_image:
        out.append(f"only {n} of the {info.frame_count} frames the file announces could be "
                   "decoded: the file may be truncated")
    pose = sum(1 for f in frames if f.has_pose)
    if n and pose < 0.5 * n:
        out.append(f"a person was found in only {pose} of {n} frames")
    jumps = identity_jumps(frames)
    if jumps:
        out.append(f"the tracked body jumped {jumps} time(s) between frames: there may be "
                   "several people and the model may have switched between them; film one "
                   "person at a time")
    return out


def identity_jumps(frames: Sequence[Any], max_jump: float | None = None) -> int:
    """How often the hip centre moves more than ``max_jump`` torso lengths from one pose
    frame to the next: a single-pose model hopping between people (nobody moves that fast).

    Pure geometry on the landmarks already there, so cached runs give the same answer.
    """
    import numpy as np

    from posecheck.pose import Landmark

    max_jump = JUMP_TORSO_LENGTHS if max_jump is None else max_jump
    hips = [int(Landmark.LEFT_HIP), int(Landmark.RIGHT_HIP)]
    shoulders = [int(Landmark.LEFT_SHOULDER), int(Landmark.RIGHT_SHOULDER)]
    jumps, prev = 0, None
    for f in frames:
        if not f.has_pose:
            continue
        hip = f.xy[hips].mean(axis=0)
        torso = float(np.linalg.norm(f.xy[shoulders].mean(axis=0) - hip))
        if prev is not None and torso > 0 and np.linalg.norm(hip - prev) > max_jump * torso:
            jumps += 1
        prev = hip
    return jumps


def write_annotated(video: Path, outcome: Outcome, path: Path, info: Any) -> None:
    """An MP4 of the clip with the skeleton coloured by check status, the cue and the hold
    counter (posecheck.drawing.annotate); written to a temporary file, then moved."""
    from posecheck.video import iter_frames

    reports = list(getattr(outcome.analysis, "frames", None) or [])
    by_index = {getattr(r, "index", i): r for i, r in enumerate(reports)}
    fps = float(info.fps) if info.fps and info.fps > 0 else 30.0
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".annotated.", suffix=".mp4", dir=path.parent)
    os.close(fd)
    writer = None
    try:
        for index, t_ms, bgr in _prefetch(iter_frames(video), PREFETCH_FRAMES):
            if writer is None:
                writer = _open_writer(tmp, fps, bgr.shape[1], bgr.shape[0])
            report = by_index.get(index)
            writer.write(_annotate(bgr, report) if report is not None else bgr)
        if writer is None:
            raise VideoError(f"{video}: no frame could be decoded for the annotated video")
        writer.release()
        writer = None
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    finally:
        if writer is not None:
            writer.release()
        _unlink_quietly(tmp)


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


def _annotate(bgr: Any, report: Any) -> Any:
    from posecheck import drawing

    return drawing.annotate(bgr, report)
