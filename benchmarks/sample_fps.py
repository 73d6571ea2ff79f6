"""What ``posecheck analyze --sample-fps`` does to the results and the throughput.

For each rate, runs ``posecheck analyze CLIPS --sample-fps RATE --no-cache --force``
(``--repeat`` times, interleaved; wall time of the whole command, so model loading and
writing are in it) and compares every clip's
report with the full-rate one (rate 30, which is every frame of clips at or under 30 fps):

- hold: clips whose valid-hold seconds (all sides) are within ``--hold-tol`` s of full rate,
  and the largest difference;
- verdicts: the share of analysed time where each check's status equals the full-rate
  status at the same frame (each analysed frame weighs the time until the next one; a check
  present at one rate and not the other, e.g. another recognised stretch, disagrees),
  pooled over all clips, and the worst clip;
- sides: clips whose main side (most valid seconds, or none) equals full rate's;
- stretch: clips whose recognised stretch equals full rate's; leg-label swaps (sum).

The clips are ``sample_videos/*.mp4`` and the labelled real videos of
``labels/real_footage.toml`` (photos skipped), read from the shared footage folder
(``POSECHECK_FOOTAGE``, default ``../shared/footage``). Figures depend on the machine and on
what else runs on it; the table says how it was run.

    python benchmarks/sample_fps.py [--rates 30,15,10,7.5,5] [--model full] [--workers 1]
        [--limit-sample N] [--limit-real N] [--per-clip]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from posecheck.core import report_json
from posecheck.core.report import Report

ROOT = Path(__file__).resolve().parents[1]
FOOTAGE = Path(os.environ.get("POSECHECK_FOOTAGE", ROOT.parent / "shared" / "footage"))
LABELS = ROOT / "labels" / "real_footage.toml"
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".bmp"}


def clips(limit_sample: int | None, limit_real: int | None) -> list[Path]:
    import tomllib

    sample = sorted((ROOT / "sample_videos").glob("*.mp4"))[:limit_sample]
    seen: list[Path] = []
    for clip in tomllib.loads(LABELS.read_text())["clips"]:
        path = FOOTAGE.parent / clip["video"]
        if path.suffix.lower() not in IMAGE_SUFFIXES and path.is_file() and path not in seen:
            seen.append(path)
    return sample + seen[:limit_real]


def run_rate(paths: list[Path], rate: str, out: Path, model: str, workers: int) -> float:
    cmd = [sys.executable, "-m", "posecheck", "analyze", *map(str, paths), "--sample-fps", rate,
           "--no-cache", "--force", "--no-plots", "--quiet", "--model", model,
           "--workers", str(workers), "--out", str(out)]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                          text=True)
    wall = time.perf_counter() - t0
    if done.returncode not in (0, 1):
        raise SystemExit(f"rate {rate}: posecheck analyze failed ({done.returncode}):\n"
                         f"{done.stderr[-2000:]}")
    return wall


def reports(out: Path) -> dict[str, Report]:
    found = {}
    for f in out.glob("*.json"):
        if f.name.startswith("summary"):
            continue
        r = report_json.read(f)
        if isinstance(r, Report):
            found[r.video] = r
    return found


def valid_s(r: Report) -> float:
    return sum(float(s.valid_hold_s) for s in r.sides.values())


def main_side(r: Report) -> str | None:
    sides = {k: float(v.valid_hold_s) for k, v in r.sides.items()}
    best = max(sides, key=sides.get, default=None)
    return best if best is not None and sides[best] > 0 else None


def agreement(r: Report, full: Report) -> tuple[float, float]:
    """(time where statuses agree, time compared), summed over checks, seconds."""
    by_index = {e.index: e for e in full.entries}
    line = r.entries
    steps = [b.t_s - a.t_s for a, b in zip(line, line[1:])]
    last = sorted(steps)[len(steps) // 2] if steps else 0.0
    same = total = 0.0
    for e, dt in zip(line, steps + [last]):
        ref = by_index.get(e.index)
        if ref is None:
            continue
        for cid in set(e.checks) | set(ref.checks):
            a, b = e.checks.get(cid), ref.checks.get(cid)
            total += dt
            same += dt if (a and a.status) == (b and b.status) else 0.0
    return same, total


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rates", default="30,15,10,7.5,5")
    ap.add_argument("--model", default="full")
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--limit-sample", type=int, default=None)
    ap.add_argument("--limit-real", type=int, default=None)
    ap.add_argument("--hold-tol", type=float, default=0.3, help="s")
    ap.add_argument("--per-clip", action="store_true")
    ap.add_argument("--keep", default=None, metavar="DIR", help="keep the reports here")
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs per rate, interleaved; the wall time is the fastest (the "
                         "machine is shared: the minimum is the least disturbed)")
    args = ap.parse_args(argv)

    paths = clips(args.limit_sample, args.limit_real)
    rates = [r.strip() for r in args.rates.split(",")]
    base = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="sample_fps."))
    walls, runs = {}, {}
    for _ in range(args.repeat):
        for rate in rates:
            wall = run_rate(paths, rate, base / f"rate_{rate}", args.model, args.workers)
            walls[rate] = min(wall, walls.get(rate, wall))
            print(f"rate {rate}: {wall:.1f} s wall", file=sys.stderr)
    for rate in rates:
        runs[rate] = reports(base / f"rate_{rate}")

    full_rate = rates[0]
    full = runs[full_rate]
    print(f"{len(paths)} clips ({sum(1 for p in paths if 'sample_videos' in str(p))} synthetic "
          f"at 15 fps, the rest real), model {args.model}, --workers {args.workers}, "
          f"{os.cpu_count()} CPUs shared with other work, fastest of {args.repeat} run(s); "
          f"reference: rate {full_rate}")
    head = ["rate", "wall s", "speed-up", f"hold within {args.hold_tol:g} s", "max |d hold| s",
            "verdicts (pooled)", "worst clip", "sides", "stretch", "leg swaps"]
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    detail = []
    for rate in rates:
        ok = max_d = 0.0
        same_all = total_all = 0.0
        worst, sides, stretch, swaps, n = 1.0, 0, 0, 0, 0
        for video, ref in full.items():
            r = runs[rate].get(video)
            if r is None:
                continue
            n += 1
            d = abs(valid_s(r) - valid_s(ref))
            ok += d <= args.hold_tol + 1e-9
            max_d = max(max_d, d)
            same, total = agreement(r, ref)
            same_all, total_all = same_all + same, total_all + total
            share = same / total if total else 1.0
            worst = min(worst, share)
            sides += main_side(r) == main_side(ref)
            stretch += r.stretch == ref.stretch
            swaps += int(r.leg_label_swaps or 0)
            detail.append((rate, Path(video).name, valid_s(ref), valid_s(r), share,
                           main_side(ref), main_side(r)))
        pooled = same_all / total_all if total_all else 1.0
        print(f"| {rate} | {walls[rate]:.1f} | {walls[full_rate] / walls[rate]:.2f}x | "
              f"{int(ok)}/{n} | {max_d:.2f} | {pooled:.3f} | {worst:.3f} | {sides}/{n} | "
              f"{stretch}/{n} | {swaps} |")
    if args.per_clip:
        print("\n| rate | clip | hold full s | hold s | verdicts | side full | side |")
        print("|---|---|---|---|---|---|---|")
        for rate, name, h0, h, share, s0, s in detail:
            if rate != full_rate:
                print(f"| {rate} | {name} | {h0:.2f} | {h:.2f} | {share:.3f} | {s0} | {s} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
