"""Soak test of the live worker: an hour of camera frames (a clip looped), with the camera's
clock restarting on the same connection, reconnects and gaps, printing memory (RSS) and
latency per interval of stream time, so a leak or a slow-down shows as a trend.

Frames go through ``live.webrtc.WebrtcFrameProcessor.recv`` as fast as the machine allows (no
sleeping: the timestamps carry the stream time), so an hour of frames takes about as long
as the model needs for 108,000 frames. Nothing is asserted; the figures are printed.

Events, in stream time:
  --restart-every S   the camera's clock restarts at 0 on the same connection (new session)
  --reconnect-every S a new connection: a new processor and model, the old one closed
  --gap-every S       no frames for --gap-s seconds (a stalled camera), then on

Examples:
  .venv/bin/python benchmarks/live_soak.py                    # one hour of frames
  .venv/bin/python benchmarks/live_soak.py --seconds 300 --interval 30
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT / "sample_videos" / "deep_lunge_good_right.mp4"
TICKS = 90000  # RTP video clock, ticks per second


def rss_mb() -> float:
    """Resident memory of this process (MB), from /proc (Linux) or resource (peak)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
        return pages * os.sysconf("SC_PAGE_SIZE") / 1e6
    except OSError:
        import resource

        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3


def load_frames(clip: Path, limit: int) -> list[np.ndarray]:
    from posecheck.live.replay import iter_video

    frames = []
    for image, _ in iter_video(clip):
        frames.append(image)
        if len(frames) >= limit:
            break
    if not frames:
        raise SystemExit(f"{clip}: no frames")
    return frames


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=3600.0, help="stream time (default 3600)")
    ap.add_argument("--fps", type=float, default=30.0, help="camera frame rate (default 30)")
    ap.add_argument("--interval", type=float, default=300.0,
                    help="stream seconds per printed line (default 300)")
    ap.add_argument("--clip", type=Path, default=CLIP)
    ap.add_argument("--model", default="lite")
    ap.add_argument("--spec", default="deep_lunge")
    ap.add_argument("--restart-every", type=float, default=600.0)
    ap.add_argument("--reconnect-every", type=float, default=1200.0)
    ap.add_argument("--gap-every", type=float, default=180.0)
    ap.add_argument("--gap-s", type=float, default=5.0)
    ap.add_argument("--max-frames", type=int, default=300,
                    help="frames of the clip kept in memory and looped (default 300)")
    args = ap.parse_args(argv)

    import av

    from posecheck.live.webrtc import WebrtcFrameProcessor
    from posecheck.live.worker import LiveProcessor
    frames = load_frames(args.clip, args.max_frames)
    h, w = frames[0].shape[:2]
    n_clip = len(frames)
    av_frames = [av.VideoFrame.from_ndarray(f, format="bgr24") for f in frames]
    del frames  # the av frames hold their own copy
    tb = Fraction(1, TICKS)

    def connect() -> WebrtcFrameProcessor:
        return WebrtcFrameProcessor(LiveProcessor(args.spec, args.model))

    adapter = connect()
    print(f"clip {args.clip.name} {w}x{h}, {n_clip} frames looped; model {args.model}; "
          f"{args.seconds:.0f} s of stream at {args.fps:g} fps; restart every "
          f"{args.restart_every:g} s, reconnect every {args.reconnect_every:g} s, a "
          f"{args.gap_s:g} s gap every {args.gap_every:g} s; pid {os.getpid()}, "
          f"{os.cpu_count()} CPUs", flush=True)
    print(f"{'stream_s':>8} {'wall_s':>7} {'frames':>7} {'rss_mb':>7} {'lat_med_ms':>10} "
          f"{'lat_p90_ms':>10} {'lat_max_ms':>10} {'timeline':>8} {'restarts':>8} "
          f"{'errors':>6}", flush=True)
    start_rss = rss_mb()
    t0 = time.perf_counter()
    period = 1.0 / args.fps
    stream_s = 0.0        # stream time since the start (with gaps)
    clock_origin = 0.0    # stream time at which the camera's clock last started at 0
    next_line = args.interval
    next_restart, next_reconnect, next_gap = (args.restart_every, args.reconnect_every,
                                              args.gap_every)
    latencies: list[float] = []
    n = total = restarts = errors = 0
    lines = []
    while stream_s < args.seconds:
        if stream_s >= next_gap:
            stream_s += args.gap_s
            next_gap += args.gap_every
        if stream_s >= next_restart:
            clock_origin = stream_s
            next_restart += args.restart_every
        if stream_s >= next_reconnect:
            adapter.on_ended()
            adapter = connect()
            clock_origin = stream_s
            next_reconnect += args.reconnect_every
            gc.collect()
        frame = av_frames[total % len(av_frames)]
        frame.pts = int(round((stream_s - clock_origin) * TICKS))
        frame.time_base = tb
        before = adapter.clock.restarts
        s = time.perf_counter()
        adapter.recv(frame)
        latencies.append((time.perf_counter() - s) * 1000.0)
        restarts += adapter.clock.restarts - before
        proc = adapter.processor
        if proc is not None and proc.snapshot().error:
            errors += 1
        n += 1
        total += 1
        stream_s += period
        if stream_s >= next_line or stream_s >= args.seconds:
            lat = np.array(latencies)
            line = (stream_s, time.perf_counter() - t0, total, rss_mb(),
                    float(np.median(lat)), float(np.percentile(lat, 90)), float(lat.max()),
                    len(proc.timeline()) if proc is not None else 0, restarts, errors)
            lines.append(line)
            print(f"{line[0]:8.0f} {line[1]:7.1f} {line[2]:7d} {line[3]:7.1f} {line[4]:10.1f} "
                  f"{line[5]:10.1f} {line[6]:10.1f} {line[7]:8d} {line[8]:8d} {line[9]:6d}",
                  flush=True)
            latencies, n = [], 0
            next_line += args.interval
    adapter.on_ended()
    if len(lines) >= 2:
        rss = [ln[3] for ln in lines]
        med = [ln[4] for ln in lines]
        print(f"RSS: start {start_rss:.0f} MB, first interval {rss[0]:.0f}, last {rss[-1]:.0f} "
              f"(max {max(rss):.0f}); latency median first {med[0]:.1f} ms, last {med[-1]:.1f} "
              f"ms; {total} frames in {time.perf_counter() - t0:.0f} s wall", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
