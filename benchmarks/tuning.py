"""How fast scoring and sweeping are (no pose model: landmarks from the factory).

    python benchmarks/tuning.py [--frames 1000] [--clips 4]

Prints the time of one full analysis per clip (done once), of one replay (what every sweep
candidate and every slider move costs), and of a full ``tune`` run.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from factories import make_pose  # noqa: E402

from posecheck.core.analysis import analyze_frames  # noqa: E402
from posecheck.tuning.labels import ClipLabels, Interval  # noqa: E402
from posecheck.specs.parse import load_spec  # noqa: E402
from posecheck.tuning.replay import replay  # noqa: E402
from posecheck.tuning.score import score  # noqa: E402
from posecheck.tuning.sweep import tune  # noqa: E402
from posecheck.tuning.trace import ClipTrace  # noqa: E402


def clip_frames(n: int, phase: float):
    frames = []
    for i in range(n):
        lean = 20 + 20 * ((i / n + phase) % 1.0)  # torso 20..40 deg, a slow saw
        frames.append(make_pose("deep_lunge", torso_deg=lean, t_ms=i * 33, index=i))
    return frames


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=1000)
    ap.add_argument("--clips", type=int, default=4)
    args = ap.parse_args()
    spec = load_spec("deep_lunge")
    traces, labels = [], {}
    t_an = 0.0
    for k in range(args.clips):
        frames = clip_frames(args.frames, k / args.clips)
        t0 = time.perf_counter()
        rep = analyze_frames(frames, spec, fps=30.0, smoothing="none")
        t_an += time.perf_counter() - t0
        name = f"c{k}.mp4"
        tr = ClipTrace.from_report(rep, name, spec)
        traces.append(tr)
        truth = tr.values["torso_upright"] <= 30.0
        ivs = tuple(Interval(t / 1000, (t + 33) / 1000, in_position=True,
                             checks={"torso_upright": bool(ok)})
                    for t, ok in zip(tr.t_ms, truth))
        labels[name] = ClipLabels(name, spec.id, ivs)
    n_total = args.frames * args.clips
    print(f"analysis (once per clip): {1000 * t_an / n_total:.3f} ms/frame "
          f"({t_an:.2f} s for {n_total} frames)")
    t0 = time.perf_counter()
    reps = 5
    for _ in range(reps):
        for tr in traces:
            replay(tr, {"torso_upright": {"max": 25.0}})
    dt = (time.perf_counter() - t0) / reps
    print(f"replay with timer: {1000 * dt / n_total:.4f} ms/frame ({1000 * dt:.1f} ms for all "
          f"clips)")
    t0 = time.perf_counter()
    score(traces, labels)
    print(f"score: {time.perf_counter() - t0:.2f} s")
    t0 = time.perf_counter()
    res = tune(traces, labels, spec, train=[t.video for t in traces[: args.clips // 2]],
               test=[t.video for t in traces[args.clips // 2:]])
    print(f"tune (pose conditions + checks): {time.perf_counter() - t0:.2f} s, "
          f"{sum(r.evaluated for r in res.sweeps)} settings tried; changes: {res.changes()}")


if __name__ == "__main__":
    main()
