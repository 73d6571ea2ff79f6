"""Throughput of ``posecheck analyze --executor ray`` beside the local runners, same clips.

Each method runs ``posecheck analyze CLIPS --no-cache --quiet`` as a user would (a fresh
output folder each time), and prints wall seconds, frames per second and videos per minute:

- serial:            ``--workers 1``
- workers auto:      ``--workers auto`` (one process per core)
- ray local 1 / 2:   ``--executor ray --workers N`` with no cluster: posecheck starts a local
                     Ray for the run (its start-up is included)
- ray cluster 1:     a running one-node cluster of 1 CPU (``ray start --head``), so Ray's
                     start-up is not included
- ray two nodes:     a head of 1 CPU and a second node of 1 CPU joined with
                     ``ray start --address 127.0.0.1:PORT``, both on this machine

Ray's per-video overhead is printed as (ray cluster 1 - serial) / videos: what one actor costs
beside this process running the videos itself (actor start, shipping the files back, and no
overlap of one video's analysis with the next video's model inside an actor).

The clusters are started in a session of their own and stopped by killing that process group,
so no other Ray on the machine is touched. Usage::

    .venv/bin/python benchmarks/ray_batch.py [--model lite] [CLIP ...]
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DEFAULT_CLIPS = ["camel_good.mp4", "hk_oblique_right.mp4", "cobra_good.mp4",
                 "hk_front_view.mp4"]
PORT = 6391  # loopback only
# Ray 2.60's `ray start` turns token authentication on (the token in ~/.ray/auth_token); a
# driver and a second node then have to be told to present it.
RAY_ENV = dict(os.environ, RAY_AUTH_MODE="token", RAY_USAGE_STATS_ENABLED="0")


def analyze(clips: list[str], model: str, *extra: str) -> tuple[float, int]:
    """Wall seconds and frames of one ``posecheck analyze`` run."""
    out = Path(tempfile.mkdtemp(prefix="pcrb-out"))
    cache = Path(tempfile.mkdtemp(prefix="pcrb-cache"))
    try:
        t0 = time.perf_counter()
        subprocess.run([str(BIN / "posecheck"), "analyze", *clips, "--model", model,
                        "--no-cache", "--cache-dir", str(cache), "--quiet", "--out", str(out),
                        *extra], check=True, env=RAY_ENV if "--address" in extra else None)
        wall = time.perf_counter() - t0
        with open(out / "summary.csv", newline="") as fh:
            frames = sum(int(r["frames"] or 0) for r in csv.DictReader(fh))
        return wall, frames
    finally:
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)


class Cluster:
    """``ray start`` nodes on the loopback address, each in its own process group."""

    def __init__(self, nodes: int) -> None:
        self.temp = tempfile.mkdtemp(prefix="pcrb", dir="/tmp")
        self.procs: list[subprocess.Popen] = []
        self.address = f"127.0.0.1:{PORT}"
        self._start(["--head", f"--port={PORT}", f"--temp-dir={self.temp}",
                     "--include-dashboard=false"])
        for _ in range(nodes - 1):
            self._start([f"--address={self.address}"])
        time.sleep(3.0)  # the second node registers with the head

    def _start(self, args: list[str]) -> None:
        proc = subprocess.Popen([str(BIN / "ray"), "start", "--block", "--num-cpus=1",
                                 "--node-ip-address=127.0.0.1", *args], env=RAY_ENV,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        self.procs.append(proc)
        time.sleep(6.0 if not self.procs[:-1] else 4.0)

    def stop(self) -> None:
        for proc in reversed(self.procs):
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    proc.wait(timeout=10)
                    time.sleep(1.0)  # its children leave the group after it
                except subprocess.TimeoutExpired:
                    continue
        shutil.rmtree(self.temp, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clips", nargs="*")
    parser.add_argument("--model", default="lite")
    args = parser.parse_args()
    clips = args.clips or [str(ROOT / "sample_videos" / c) for c in DEFAULT_CLIPS]
    rows: list[tuple[str, float, int]] = []

    def measure(name: str, *extra: str) -> None:
        wall, frames = analyze(clips, args.model, *extra)
        rows.append((name, wall, frames))
        print(f"{name:18} {wall:7.1f} s  {frames / wall:6.1f} frames/s  "
              f"{60 * len(clips) / wall:5.1f} videos/min", flush=True)

    print(f"{len(clips)} clips, model {args.model}, {os.cpu_count()} CPUs")
    only = os.environ.get("RAY_BATCH_ONLY_CLUSTERS")  # "1": skip the local methods
    if not only:
        measure("serial", "--workers", "1")
        measure("workers auto", "--workers", "auto")
        measure("ray local 1", "--executor", "ray", "--workers", "1")
        measure("ray local 2", "--executor", "ray", "--workers", "2")
    for nodes, name in ((1, "ray cluster 1"), (2, "ray two nodes")):
        cluster = Cluster(nodes)
        try:
            measure(name, "--executor", "ray", "--address", cluster.address)
        finally:
            cluster.stop()
    walls = {name: wall for name, wall, _ in rows}
    if only:
        return 0
    print(f"Ray overhead per video (ray cluster 1 - serial) / videos: "
          f"{(walls['ray cluster 1'] - walls['serial']) / len(clips):.2f} s")
    print(f"Ray local start-up and shut-down (ray local 1 - ray cluster 1): "
          f"{walls['ray local 1'] - walls['ray cluster 1']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
