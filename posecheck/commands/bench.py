"""``posecheck bench``: measure the pipeline.

    posecheck bench accuracy [--dir sample_videos] [--model lite] [--only ID ...] [--json F]

``accuracy`` runs video -> MediaPipe -> checks -> hold timer on the synthetic clips and compares
every step with the clips' ground truth (see posecheck/synth/accuracy.py and docs/SYNTH.md).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from posecheck.io.files import atomic_write_text
from posecheck.model.provision import DEFAULT_MODEL

# In the current folder (a checkout's root, where the samples live), never inside the package.
DEFAULT_DIR = Path("sample_videos")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("bench", help="benchmarks (accuracy on the synthetic set)",
                              description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    a = sub.add_parser("accuracy", help="pipeline accuracy against synthetic ground truth")
    add_accuracy_args(a)
    a.set_defaults(func=run_accuracy)
    p.set_defaults(func=lambda args: (p.print_help(), 2)[1])


def add_accuracy_args(a: argparse.ArgumentParser) -> None:
    a.add_argument("--dir", type=Path, default=DEFAULT_DIR,
                   help="folder of synthetic clips with *.truth.json (default sample_videos/)")
    a.add_argument("--model", default=DEFAULT_MODEL,
                   help=f"lite, full, heavy or a .task path (default: {DEFAULT_MODEL})")
    a.add_argument("--only", nargs="+", metavar="ID", help="only these clip or stretch ids")
    a.add_argument("--smoothing", default="batch", choices=("batch", "live", "none"),
                   help="landmark smoothing of the analysis (default batch)")
    a.add_argument("--cache-dir", type=Path, default=None,
                   help="landmark cache folder (default ~/.cache/posecheck/landmarks)")
    a.add_argument("--json", type=Path, default=None, help="also write the figures as JSON")


def run_accuracy(args: argparse.Namespace) -> int:
    from posecheck.synth.accuracy import evaluate_clip, find_clips, format_table, summarize

    clips = find_clips(args.dir, args.only)
    results = []
    for video, truth in clips:
        print(f"[bench] {video.name}", flush=True)
        results.append(evaluate_clip(video, truth, model=args.model, cache_dir=args.cache_dir,
                                     smoothing=args.smoothing))
    summary = summarize(results)
    summary["model"] = str(args.model)
    summary["smoothing"] = args.smoothing
    print(format_table(summary))
    if args.json:
        atomic_write_text(args.json, json.dumps(summary, indent=1))
        print(f"[bench] wrote {args.json}")
    return 0
