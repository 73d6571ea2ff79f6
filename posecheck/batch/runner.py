"""``run``: the whole batch. Inputs become jobs (one per video), the jobs go through the
serial runner (one process, two stages overlapped), the parallel one (``--workers``) or Ray
actors (``--executor ray``, ``cluster``),
largest videos first, and the summary, index.html and exit status come last.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any, Sequence

from posecheck.batch.files import check_output_dir, output_lock, sweep_temps
from posecheck.batch.inputs import expand_paths, make_slugs, out_overlaps_input
from posecheck.batch.jobs import DEFAULT_MAX_FRAMES, DEFAULT_SAMPLE_FPS, Job, VideoResult
from posecheck.batch.landmarks import NATIVE_LOG, native_log
from posecheck.batch.parallel import run_parallel, worker_count
from posecheck.batch.progress import Progress
from posecheck.batch import stages
from posecheck.batch.stages import (GIL_SWITCH_S, check_stretch, complete_video, guarded,
                                    prepare_video)
from posecheck.batch.summary import finish_summary, result_lines
from posecheck.core.errors import OutputError, PosecheckError
from posecheck.model.landmarks import STOP, check_model



def run(args: argparse.Namespace) -> int:
    """Run the batch described by parsed ``args``; 0 if every video worked, 1 otherwise.

    Problems that are not a video's (the output folder, the model, the stretch, a full
    disk) raise ``PosecheckError`` before the batch or stop it: the CLI's exit status 2.
    """
    if args.workers != "auto" and int(args.workers) < 1:
        raise PosecheckError(f"--workers must be at least 1, got {args.workers}")
    out = Path(args.out)
    overlap = out_overlaps_input(args.paths, out)
    if overlap:
        raise OutputError(overlap)
    check_executor(args)
    check_stretch(args.stretch)  # a usage error creates nothing
    check_output_dir(out, "--out")
    with output_lock(out, "--out"):
        sweep_temps(out)  # what a killed run left; no other run writes here now
        log = None if getattr(args, "verbose", False) else out / NATIVE_LOG
        try:
            with native_log(log):
                return _run_locked(args, out)
        finally:
            sweep_temps(out)


def _run_locked(args: argparse.Namespace, out: Path) -> int:
    files, missing = expand_paths(args.paths, exclude=out)
    if not files and not missing:
        raise PosecheckError("no input: give video files, folders or globs")

    model_path, label, model_sha = _resolve_model(args.model, quiet=args.quiet)

    slugs = make_slugs(files)
    # the person mask only where a spec measures on its outline (it costs model time)
    segmentation = any(getattr(spec, "needs_outline", False)
                       for _, spec in stages.load_specs(args.stretch))
    jobs = [Job(video=str(f), slug=s, out_dir=str(out), model_path=str(model_path),
                model_label=label, model_sha256=model_sha, stretch=args.stretch,
                annotate=args.annotate, plots=getattr(args, "plots", True),
                use_cache=args.use_cache, cache_dir=args.cache_dir, force=args.force,
                smoothing=getattr(args, "smoothing", "batch"),
                mirrored=getattr(args, "mirrored", False),
                max_frames=getattr(args, "max_frames", DEFAULT_MAX_FRAMES),
                save_history=getattr(args, "save_history", False),
                sample_fps=getattr(args, "sample_fps", DEFAULT_SAMPLE_FPS),
                segmentation=segmentation)
            for f, s in zip(files, slugs)]
    out.mkdir(parents=True, exist_ok=True)

    results: dict[str, VideoResult] = {}
    t0 = time.monotonic()
    workers = worker_count(args.workers, len(jobs))
    executor = getattr(args, "executor", "local")
    progress = Progress(len(jobs), enabled=not args.quiet, slots=workers)
    switch_interval = sys.getswitchinterval()
    sys.setswitchinterval(GIL_SWITCH_S)
    try:
        if executor == "ray":
            from posecheck.batch.cluster import run_ray

            run_ray(args, largest_first(jobs), progress, results)
        elif workers == 1:
            _run_serial(largest_first(jobs), progress, results)
        else:
            run_parallel(largest_first(jobs), workers, progress, results)
    except KeyboardInterrupt:
        progress.close()
        finish_summary(out, jobs, results, missing, interrupted=True)
        print(f"posecheck analyze: interrupted; {len(results)} of {len(jobs)} videos done. "
              "Run the same command again to resume.", file=sys.stderr)
        return 130
    except OutputError:
        progress.close()
        try:  # the summary of what is done, if the folder still takes it
            finish_summary(out, jobs, results, missing, interrupted=True)
        except OSError:
            pass
        raise
    finally:
        sys.setswitchinterval(switch_interval)
    progress.close()
    rows = finish_summary(out, jobs, results, missing, interrupted=False)
    failed = sum(1 for r in rows if r["status"] != "ok")
    for r in rows:  # errors are shown even with --quiet: scripts need them on stderr
        if r["status"] != "ok":
            print(f"posecheck analyze: error: {r['error']}", file=sys.stderr)
    if not args.quiet:
        for line in result_lines(rows):
            print(line)
        frames = sum(r.frames for r in results.values())
        wall = time.monotonic() - t0
        skipped = sum(1 for r in results.values() if r.skipped)
        print(f"{len(rows)} inputs: {len(rows) - failed} ok ({skipped} already done), "
              f"{failed} failed; {frames} frames in {wall:.1f} s"
              + (f" ({frames / wall:.1f} frames/s)" if frames and wall > 0 else ""),
              file=sys.stderr)
        print(f"report: {out / 'index.html'}", file=sys.stderr)
    return 1 if failed else 0


def check_executor(args: argparse.Namespace) -> None:
    """``--executor`` and ``--address`` fit together and Ray is there (a usage error)."""
    executor = getattr(args, "executor", "local")
    if executor == "local":
        if getattr(args, "address", None):
            raise PosecheckError("--address needs --executor ray")
        return
    from posecheck.batch.cluster import ray_installed

    if not ray_installed():
        raise PosecheckError("--executor ray needs Ray: pip install 'posecheck[ray]'")
    if getattr(args, "save_history", False):
        raise PosecheckError("--save-history is not available with --executor ray (the "
                             "history database is a file of one machine); run without it")


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


def _resolve_model(name: str, quiet: bool) -> tuple[Path, str, str]:
    from posecheck.model import provision as models

    path = models.resolve_model(name, progress=not quiet)
    check_model(path)  # a model MediaPipe cannot load is named once, not blamed on each video
    return Path(path), models.model_label(name), models.sha256_file(Path(path))
