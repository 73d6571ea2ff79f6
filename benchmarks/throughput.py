"""Frames per second of ``posecheck analyze`` against MediaPipe alone, on the same clips.

Measured, in one run, interleaved (each round runs every method once; the best round per
method counts, because the machine is shared and noisy):

- raw:      PoseLandmarker VIDEO mode on frames decoded (and converted to RGB) beforehand;
            only ``detect_for_video`` is timed. One stream, the ceiling for one process.
- naive:    the loop tutorials use: read a frame, convert, IMAGE-mode ``detect()`` on every
            frame (landmarker created once, but full detection each time, no tracking).
- analyze:  ``posecheck analyze CLIPS --no-cache`` end to end as a user runs it, with its
            default ``--workers auto`` (one process per core, at most one per video): decode,
            model, analysis, JSON reports, plots, summary and index.html, worker start-up
            included.
- analyze --workers 1: the same in this one process (decode and analysis overlap the model
            in threads, but there is one model stream).
- analyze --workers 2: when ``auto`` is not already 2.

Usage::

    .venv/bin/python benchmarks/throughput.py [--model full] [--rounds 2] [--set short|folder]
                                              [CLIP ...]

``--set short`` (default): 3 short shared side-view clips (554 frames), analysed as
``deep_lunge``. ``--set folder``: 6 longer stretch clips (4,063 frames) analysed with
``--stretch auto``, closer to a folder of real recordings.

Targets: analyze >= 0.9x raw and >= 2x naive with the same model; 2 workers faster than 1
on two cores.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import resource
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOOTAGE = Path(os.environ.get("POSECHECK_FOOTAGE", ROOT.parent / "shared" / "footage"))
DEFAULT_CLIPS = (
    "lunge/lunge_forward_side_whitebg.mp4",        # 109 frames, 540x304
    "lunge/lunge_splitsquat_band_side_rnhrn.mp4",  # 191 frames, 960x540
    "negatives/neg_squat_side_prak.mp4",           # 254 frames, 540x960
)
FOLDER_CLIPS = (
    "supine/supine_knee_to_chest_on_table_side.mp4",    # 999 frames, 640x360
    "lunge/lunge_reverse_side_nowva.mp4",               # 961 frames, 960x540
    "bridge/glute_bridge_side_leap.mp4",                # 888 frames, 640x360
    "hip_flexor/hip_flexor_half_kneeling_oblique_nd.mp4",  # 543 frames, 540x960
    "bridge/glute_bridge_side_nd.mp4",                  # 404 frames, 540x960
    "cobra/cobra_side_aris.mp4",                        # 268 frames, 958x488
)
SETS = {"short": (DEFAULT_CLIPS, "deep_lunge"), "folder": (FOLDER_CLIPS, "auto")}


def decode_rgb(clip: Path) -> tuple[list, float]:
    import cv2
    import mediapipe as mp

    cap = cv2.VideoCapture(str(clip))
    fps = cap.get(cv2.CAP_PROP_FPS) or 30.0
    images = []
    while True:
        ok, bgr = cap.read()
        if not ok:
            break
        rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
        images.append(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb))
    cap.release()
    return images, fps


def landmarker(model_path: Path, video_mode: bool):
    from mediapipe.tasks.python import BaseOptions, vision

    mode = vision.RunningMode.VIDEO if video_mode else vision.RunningMode.IMAGE
    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(model_path)), running_mode=mode)
    return vision.PoseLandmarker.create_from_options(options)


def time_raw(model_path: Path, decoded: dict[Path, tuple[list, float]]) -> tuple[int, float]:
    frames, seconds = 0, 0.0
    for images, fps in decoded.values():
        with landmarker(model_path, video_mode=True) as lm:
            t0 = time.perf_counter()
            for i, image in enumerate(images):
                lm.detect_for_video(image, int(round(i * 1000.0 / fps)))
            seconds += time.perf_counter() - t0
        frames += len(images)
    return frames, seconds


def time_naive(model_path: Path, clips: list[Path]) -> tuple[int, float]:
    import cv2
    import mediapipe as mp

    frames, seconds = 0, 0.0
    for clip in clips:
        with landmarker(model_path, video_mode=False) as lm:
            t0 = time.perf_counter()
            cap = cv2.VideoCapture(str(clip))
            while True:
                ok, bgr = cap.read()
                if not ok:
                    break
                rgb = cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
                lm.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb))
                frames += 1
            cap.release()
            seconds += time.perf_counter() - t0
    return frames, seconds


def time_analyze(model: str, clips: list[Path], workers: int | str, stretch: str,
                 frames_total: int) -> tuple[int, float]:
    from posecheck import batch
    work = Path(tempfile.mkdtemp(prefix="posecheck-bench-"))
    try:
        argv = [str(c) for c in clips] + [
            "--out", str(work / "out"), "--cache-dir", str(work / "cache"), "--no-cache",
            "--model", model, "--stretch", stretch, "--workers", str(workers), "--quiet"]
        t0 = time.perf_counter()
        with contextlib.redirect_stderr(io.StringIO()):
            status = batch.main(argv)
        seconds = time.perf_counter() - t0
        if status != 0:
            raise SystemExit(f"posecheck analyze failed (status {status}); see {work}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return frames_total, seconds


def cpu_breakdown(model: str, clips: list[Path], stretch: str) -> dict[str, float]:
    """CPU milliseconds per frame of each stage of ``posecheck analyze``, run one after the
    other (no overlap). CPU time, unlike wall time, barely changes with other load on the
    machine, so this says where the work is even on a busy shared box."""
    from posecheck import batch
    from posecheck.batch.stages import video_facts
    from posecheck.core import report_json
    from posecheck.core.report import BatchInfo, ModelInput, ModelRef, Options
    from posecheck.model import cache
    from posecheck.model.cache import as_cached
    from posecheck.model.landmarks import estimate_frames
    from posecheck.draw import plots
    from posecheck.model.provision import model_label, resolve_model, sha256_file
    from posecheck.io.video import VideoInfo, iter_frames

    model_path = resolve_model(model)
    totals: dict[str, float] = {}
    frames_total = 0

    def timed(name, fn):
        t0 = time.process_time()
        out = fn()
        totals[name] = totals.get(name, 0.0) + time.process_time() - t0
        return out

    specs = batch.load_specs(stretch)
    for clip in clips:
        info = VideoInfo.from_path(clip)
        timed("decode only (for reference)", lambda: sum(1 for _ in iter_frames(clip)))
        frames, _ = timed("decode + model", lambda: estimate_frames(clip, str(model_path),
                                                                         info))
        frames = timed("round like the cache", lambda: as_cached(frames))
        with tempfile.TemporaryDirectory() as tmp:
            track = cache.LandmarkTrack(info=info, frames=tuple(frames),
                                        model=model_label(model), video_sha256="0" * 64,
                                        model_sha256=sha256_file(model_path))
            timed("write landmark cache", lambda: track.save(Path(tmp) / "t.jsonl.gz"))
        outcome = timed("analysis", lambda: batch.analyze_track(frames, specs, info, str(clip),
                                                                auto=stretch == "auto"))
        timed("plot", lambda: plots.plot_report_png(outcome.report, outcome.spec))
        run = BatchInfo(model=ModelRef(model_label(model), sha256_file(model_path),
                                       Path(model_path).name),
                        stretch_requested=stretch, video_sha256="0" * 64,
                        video_info=video_facts(info, frames),
                        model_input=ModelInput(1.0, "original video pixels"),
                        options=Options("batch", False), spec_hash="0" * 64,
                        recognition=outcome.recognition, warnings=())
        timed("report JSON", lambda: report_json.to_json(replace(outcome.report, batch=run)))
        frames_total += len(frames)
    return {k: 1000.0 * v / frames_total for k, v in totals.items()}


def cpu_seconds() -> float:
    """CPU time of this process and its finished children (worker processes), seconds."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> int:
    from posecheck import batch
    from posecheck.model.provision import DEFAULT_MODEL, resolve_model

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("clips", nargs="*", type=Path, help="video files (default: the set)")
    parser.add_argument("--set", choices=sorted(SETS), default="short",
                        help="shared clips to use when none are given (default: short)")
    parser.add_argument("--model", default=DEFAULT_MODEL,
                        help=f"lite, full or heavy (default: {DEFAULT_MODEL})")
    parser.add_argument("--stretch", default=None, help="spec for analyze (default: the set's)")
    parser.add_argument("--rounds", type=int, default=2, help="interleaved rounds; best counts")
    parser.add_argument("--no-breakdown", action="store_true",
                        help="skip the CPU time per stage")
    parser.add_argument("--breakdown-only", action="store_true",
                        help="only the CPU time per stage (robust on a busy machine)")
    args = parser.parse_args()

    set_clips, set_stretch = SETS[args.set]
    clips = args.clips or [FOOTAGE / c for c in set_clips]
    stretch = args.stretch or set_stretch
    missing = [c for c in clips if not c.is_file()]
    if missing:
        print(f"missing clips: {', '.join(map(str, missing))} (set POSECHECK_FOOTAGE)",
              file=sys.stderr)
        return 2

    model_path = resolve_model(args.model)
    decoded = {c: decode_rgb(c) for c in clips}
    frames_total = sum(len(v[0]) for v in decoded.values())
    auto = batch.worker_count("auto", len(clips))
    print(f"{len(clips)} clips, {frames_total} frames, model {args.model}, stretch {stretch}, "
          f"{os.cpu_count()} CPUs, --workers auto = {auto}, "
          f"load average {os.getloadavg()[0]:.1f} at start")

    # Warm-up: imports, model file in the page cache, matplotlib fonts.
    time_analyze(args.model, clips[:1], 1, stretch, 0)

    if not args.no_breakdown:
        print("\nCPU time per frame of each analyze stage, run one after the other:")
        for name, ms in cpu_breakdown(args.model, clips, stretch).items():
            print(f"  {name:<28} {ms:6.2f} ms/frame")
        if args.breakdown_only:
            return 0
    print()

    default = f"analyze (auto: {auto} workers)"
    methods = {"raw": lambda: time_raw(model_path, decoded),
               "naive": lambda: time_naive(model_path, clips),
               "analyze --workers 1": lambda: time_analyze(args.model, clips, 1, stretch,
                                                           frames_total)}
    if auto > 1:
        methods[default] = lambda: time_analyze(args.model, clips, "auto", stretch,
                                                frames_total)
    if auto != 2 and len(clips) > 1:
        methods["analyze --workers 2"] = lambda: time_analyze(args.model, clips, 2, stretch,
                                                              frames_total)
    if auto == 1:
        default = "analyze --workers 1"
    best: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for r in range(args.rounds):
        for name, fn in methods.items():
            c0 = cpu_seconds()
            frames, seconds = fn()
            cpu_ms = 1000.0 * (cpu_seconds() - c0) / frames
            fps = frames / seconds if seconds > 0 else float("nan")
            best[name] = max(best.get(name, 0.0), fps)
            cpu[name] = min(cpu.get(name, float("inf")), cpu_ms)
            print(f"  round {r + 1}: {name:<28} {frames:5d} frames {seconds:7.2f} s "
                  f"{fps:6.1f} frames/s  {cpu_ms:6.1f} CPU ms/frame  "
                  f"(load {os.getloadavg()[0]:.1f})", flush=True)

    print("\nbest of rounds:")
    for name, fps in best.items():
        print(f"  {name:<28} {fps:6.1f} frames/s   {cpu[name]:6.1f} CPU ms/frame")
    one = best["analyze --workers 1"]
    two = best.get("analyze --workers 2", best.get(default) if auto == 2 else None)
    print("\nratios (frames per second, same clips, same model):")
    for name in dict.fromkeys((default, "analyze --workers 1")):
        print(f"  {name:<28} / raw   {best[name] / best['raw']:.2f}x   (target >= 0.9)")
        print(f"  {name:<28} / naive {best[name] / best['naive']:.2f}x   (target >= 2)")
    if two is not None:
        print(f"  workers 2 / workers 1        {two / one:.2f}x   (target > 1)")
    print(f"\nCPU per frame, analyze --workers 1 / raw: {cpu['analyze --workers 1'] / cpu['raw']:.2f}x "
          "(the work analyze adds to the model's)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
