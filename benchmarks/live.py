"""Live-page performance: frames/s in the frame callback, per-frame latency, memory over time.

Three measurements (each prints its figures; nothing is asserted):

  callback   (default) a 30 fps "camera" thread feeds 640x480 frames to the same
             streamlit-webrtc processor the page uses (``live.webrtc.WebrtcFrameProcessor``), with
             the page's async rule: a frame arriving while the model is busy replaces the
             waiting one (dropped, never queued). Reports frames/s processed, latency
             median/p90, and RSS + latency per interval to show they stay flat.
  browser    the real page in headless Chromium with the clip as a fake webcam; reads the
             frames/s and latency the page itself reports.
  clicks     N Start clicks on the real page, with the Start-click fix off and on; counts
             dropped clicks (no frames moving after Start), the library's stale-state resets
             and the ones the fix prevented (from the server log). --stress-delay S injects
             a delay into Streamlit's run bookkeeping (benchmarks/webrtc_stress/) to make
             the race likelier.

Examples:
  .venv/bin/python benchmarks/live.py --model lite --seconds 60
  .venv/bin/python benchmarks/live.py --model full --seconds 60
  .venv/bin/python benchmarks/live.py --seconds 600 --interval 60      # the long run
  .venv/bin/python benchmarks/live.py browser --seconds 30
  .venv/bin/python benchmarks/live.py clicks --clicks 40
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import threading
import time
from collections import Counter
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
DEFAULT_CLIP = ROOT.parent / "shared" / "footage" / "lunge" / "lunge_reverse_side_nowva.mp4"
SIZE = (640, 480)


def default_clip() -> Path:
    """The good-form deep-lunge sample when generated, else a real side-view lunge clip."""
    sample = ROOT / "sample_videos" / "deep_lunge_good_right.mp4"
    return sample if sample.is_file() else DEFAULT_CLIP


def load_frames(clip: Path, max_frames: int = 300) -> list[np.ndarray]:
    """Up to ``max_frames`` frames of ``clip`` letterboxed to 640x480 (kept in memory, so the
    benchmark measures processing, not decoding)."""
    import cv2

    from posecheck.live.replay import iter_video

    out = []
    w, h = SIZE
    for img, _ in iter_video(clip):
        scale = min(w / img.shape[1], h / img.shape[0])
        nw, nh = int(img.shape[1] * scale), int(img.shape[0] * scale)
        canvas = np.zeros((h, w, 3), np.uint8)
        canvas[(h - nh) // 2:(h - nh) // 2 + nh, (w - nw) // 2:(w - nw) // 2 + nw] = \
            cv2.resize(img, (nw, nh), interpolation=cv2.INTER_AREA)
        out.append(canvas)
        if len(out) >= max_frames:
            break
    return out


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def bench_callback(args: argparse.Namespace) -> None:
    import av

    from posecheck.live.webrtc import WebrtcFrameProcessor
    from posecheck.live.worker import LiveProcessor
    from posecheck.specs.parse import load_spec

    frames = load_frames(args.clip)
    spec = load_spec(args.spec)
    proc = LiveProcessor(spec, model=args.model, mirrored=True)
    adapter = WebrtcFrameProcessor(proc, flip=True)
    # Warm-up: the first frames include graph initialisation.
    for i in range(5):
        f = av.VideoFrame.from_ndarray(frames[i % len(frames)], format="bgr24")
        f.pts, f.time_base = i * 3000, Fraction(1, 90000)
        adapter.recv(f)

    slot: list = [None]
    cond = threading.Condition()
    stop = threading.Event()
    arrived = [0]

    def camera() -> None:
        """30 fps frames with RTP-style timestamps; a waiting frame is replaced, not queued."""
        period = 1 / 30
        i = 5
        t0 = time.perf_counter()
        while not stop.is_set():
            f = av.VideoFrame.from_ndarray(frames[i % len(frames)], format="bgr24")
            f.pts, f.time_base = i * 3000, Fraction(1, 90000)
            with cond:
                slot[0] = f
                arrived[0] += 1
                cond.notify()
            i += 1
            time.sleep(max(0.0, t0 + (i - 4) * period - time.perf_counter()))

    cam = threading.Thread(target=camera, daemon=True)
    latencies: list[float] = []
    intervals: list[tuple[float, int, float, float, float]] = []
    start = time.perf_counter()
    next_mark = start + args.interval
    window: list[float] = []
    rss0 = rss_mb()
    cam.start()
    processed = 0
    while time.perf_counter() - start < args.seconds:
        with cond:
            while slot[0] is None:
                cond.wait()
            frame, slot[0] = slot[0], None
        t = time.perf_counter()
        adapter.recv(frame)
        dt = (time.perf_counter() - t) * 1000
        latencies.append(dt)
        window.append(dt)
        processed += 1
        if time.perf_counter() >= next_mark:
            el = time.perf_counter() - start
            intervals.append((el, len(window), float(np.median(window)),
                              float(np.percentile(window, 90)), rss_mb()))
            window = []
            next_mark += args.interval
    stop.set()
    elapsed = time.perf_counter() - start
    lat = np.array(latencies)
    snap = proc.snapshot()
    print(f"callback benchmark: model={args.model} spec={args.spec} clip={args.clip.name} "
          f"640x480, camera 30 fps, {elapsed:.0f} s, {os.cpu_count()} cores "
          f"(load average {os.getloadavg()[0]:.1f})")
    print(f"  frames arrived {arrived[0]}, processed {processed} "
          f"({processed / elapsed:.1f} frames/s), dropped {arrived[0] - processed}")
    print(f"  latency per frame (decode+model+checks+drawing+encode): median "
          f"{np.median(lat):.1f} ms, p90 {np.percentile(lat, 90):.1f} ms, max {lat.max():.1f} ms")
    print(f"  pose found in {100 * snap.pose_fraction:.0f}% of frames; RSS {rss0:.0f} MB at "
          f"start, {rss_mb():.0f} MB at the end")
    if len(intervals) > 1:
        print("  per interval: t_s  frames/s  median_ms  p90_ms  rss_MB")
        prev = 0.0
        for el, n, med, p90, rss in intervals:
            print(f"    {el:6.0f}  {n / (el - prev):7.1f}  {med:9.1f}  {p90:6.1f}  {rss:6.0f}")
            prev = el
    proc.close()


def bench_browser(args: argparse.Namespace) -> None:
    import browser_harness as bh

    with tempfile.TemporaryDirectory() as tmp:
        cam = bh.to_mjpeg(args.clip, Path(tmp) / "cam.mjpeg", max_s=20)
        log = Path(tmp) / "server.log"
        with bh.streamlit_server(log=log) as url, bh.chromium(cam) as ctx:
            page = ctx.new_page()
            page.goto(url)
            if args.model != "lite":
                page.get_by_text(args.model, exact=True).click()
            bh.start_button(page).wait_for(timeout=60000)
            if not bh.click_start(page, settle_s=2):
                print("Start click dropped; run again")
                return
            time.sleep(args.seconds)
            text = page.get_by_text(re.compile("frames/s processed")).first.inner_text()
            print(f"browser benchmark ({args.model}, {args.seconds:.0f} s after Start): {text}")
            bh.click_stop(page)


def bench_clicks(args: argparse.Namespace) -> None:
    import browser_harness as bh

    env = {}
    if args.stress_delay > 0:
        env = {"PYTHONPATH": str(ROOT / "benchmarks" / "webrtc_stress"),
               "POSECHECK_STRESS_FINISH_DELAY_S": str(args.stress_delay)}
    with tempfile.TemporaryDirectory() as tmp:
        cam = bh.to_mjpeg(args.clip, Path(tmp) / "cam.mjpeg", max_s=10)
        for fix in ("0", "1"):
            log = Path(tmp) / f"server{fix}.log"
            outcomes: Counter[str] = Counter()
            with bh.streamlit_server(env={**env, "POSECHECK_WEBRTC_STALE_FIX": fix},
                                     log=log) as url, bh.chromium(cam) as ctx:
                page = ctx.new_page()
                page.goto(url)
                bh.start_button(page).wait_for(timeout=60000)
                for _ in range(args.clicks):
                    outcomes[bh.start_outcome(page, settle_s=args.settle,
                                              progress=bh.frames_shown)] += 1
                    try:
                        bh.click_stop(page)
                    except Exception:
                        page.reload()
                        bh.start_button(page).wait_for(timeout=60000)
            text = log.read_text()
            failed = {k: v for k, v in outcomes.items() if k != "ok"}
            print(f"fix {'on ' if fix == '1' else 'off'}: {args.clicks} Start clicks, "
                  f"{sum(failed.values())} failed {failed or ''}, "
                  f"{text.count('streamlit-webrtc resets')} stale-state resets, "
                  f"{text.count('reset prevented')} prevented (stress delay "
                  f"{args.stress_delay:g} s)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="?", default="callback",
                        choices=["callback", "browser", "clicks"])
    parser.add_argument("--model", default="lite", choices=["lite", "full", "heavy"])
    parser.add_argument("--spec", default="deep_lunge")
    parser.add_argument("--clip", type=Path, default=None)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--interval", type=float, default=15.0,
                        help="seconds per line of the over-time table")
    parser.add_argument("--clicks", type=int, default=40)
    parser.add_argument("--settle", type=float, default=5.0,
                        help="s a stream must stay up (frames moving) after Start to count")
    parser.add_argument("--stress-delay", type=float, default=0.0,
                        help="clicks: delay (s) Streamlit's run-finished bookkeeping to make "
                             "the race behind dropped Start clicks likelier")
    args = parser.parse_args()
    args.clip = args.clip or default_clip()
    {"callback": bench_callback, "browser": bench_browser, "clicks": bench_clicks}[args.what](args)


if __name__ == "__main__":
    main()
