"""``posecheck score --labels FILE [--spec ID|FILE]``: how well the checks agree with labels.

Replays cached landmarks (the pose model runs only for clips never seen before), runs each
clip's spec over them and compares every decision with the labelled intervals: per check and
per stretch precision / recall / F1 of the FAIL decision (FAIL is the positive class),
agreement per labelled second, coverage (UNKNOWN time is left out of the other numbers and
shown here), the in-position decision, and the valid-hold seconds per side. See
docs/TUNING.md for the label format and what each number means.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from posecheck.errors import PosecheckError
from posecheck.models import DEFAULT_MODEL, VARIANTS


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "score",
        help="score the checks against labelled footage (precision, recall, agreement)",
        description="Compare the checks' decisions on labelled clips with the labels: per "
                    "check precision/recall/F1 of FAIL (the positive class), agreement per "
                    "labelled second, coverage (UNKNOWN time), in-position and valid-hold "
                    "error per side. Landmarks come from the cache.",
    )
    parser.add_argument("--labels", required=True, metavar="FILE",
                        help="label file (.toml or .json, see docs/TUNING.md)")
    parser.add_argument("--spec", metavar="ID|FILE",
                        help="score only the clips of this stretch, with this spec (an id or "
                             "a .toml path, e.g. a tuned copy); default: each clip's own")
    add_replay_options(parser)
    parser.add_argument("--root", metavar="DIR",
                        help="folder the label file's video paths start from (overrides its "
                             "`root`)")
    parser.add_argument("--json", metavar="OUT", help="also write the scores as JSON")
    parser.add_argument("--per-clip", action="store_true", help="print a table per clip too")
    parser.set_defaults(func=run)


def add_replay_options(parser: argparse.ArgumentParser) -> None:
    """--model and --smoothing: which cached landmarks are replayed, and how (score, tune)."""
    parser.add_argument("--model", choices=VARIANTS, default=DEFAULT_MODEL,
                        help="pose model whose cached landmarks are replayed "
                             f"(default: {DEFAULT_MODEL})")
    parser.add_argument("--smoothing", choices=("batch", "live", "none"), default="batch",
                        help="landmark smoothing as in `posecheck analyze`: batch (zero-phase, "
                             "default), live (the live page's One Euro filter), none")


def resolve_specs(labels: Any, spec_arg: str | None, warn: Callable[[str], None] = print
                  ) -> tuple[dict[str, Any], list[Any]]:
    """Specs by stretch id and the clips to score. ``spec_arg`` restricts to one stretch."""
    from posecheck.specs import load_spec

    if spec_arg:
        spec = load_spec(spec_arg)
        clips = [c for c in labels.clips if c.stretch == spec.id]
        if not clips:
            raise PosecheckError(
                f"{labels.source_path}: no clip is labelled with stretch {spec.id!r} (labels "
                f"have: {', '.join(labels.stretches())}). Fix: pick one of those with --spec")
        return {spec.id: spec}, clips
    specs: dict[str, Any] = {}
    clips = []
    for c in labels.clips:
        if c.stretch not in specs:
            try:
                specs[c.stretch] = load_spec(c.stretch)
            except PosecheckError as exc:
                warn(f"skipping clips of stretch {c.stretch!r}: {exc}")
                specs[c.stretch] = None
        if specs[c.stretch] is not None:
            clips.append(c)
    if not clips:
        raise PosecheckError(f"{labels.source_path}: no clip has a spec to score against. "
                             "Fix: use stretch ids from `posecheck specs list`")
    return {k: v for k, v in specs.items() if v is not None}, clips


def unknown_check_warnings(clips: Sequence[Any], specs: dict[str, Any]) -> list[str]:
    """Label check ids the clip's spec does not have (a typo would otherwise be ignored)."""
    out = []
    for c in clips:
        spec = specs.get(c.stretch)
        if spec is None:
            continue
        known = {k.id for k in spec.checks}
        for cid in c.check_ids:
            if cid not in known:
                out.append(f"{c.video}: labels name check {cid!r}, which {spec.id} does not "
                           f"have (ignored; its checks: {', '.join(sorted(known))})")
    return out


def load_traces(labels: Any, clips: Sequence[Any], specs: dict[str, Any], model: str = DEFAULT_MODEL,
                progress: Callable[[str], None] | None = None, smoothing: str = "batch"
                ) -> list[Any]:
    """One :class:`~posecheck.tuning.ClipTrace` per clip, from cached landmarks."""
    from posecheck.analysis import analyze_frames
    from posecheck.cache import load_or_estimate
    from posecheck.tuning import ClipTrace

    out = []
    for clip in clips:
        path = labels.video_path(clip)
        if not path.is_file():
            raise PosecheckError(
                f"{labels.source_path}: clip {clip.video!r} not found at {path}. Fix: check "
                "the label file's `root` or pass --root")
        if progress:
            progress(f"  {clip.video}")
        track = load_or_estimate(path, model, progress=False)
        spec = specs[clip.stretch]
        report = analyze_frames(track.frames, spec, fps=track.info.fps, video=clip.video,
                                smoothing=smoothing)
        out.append(ClipTrace.from_report(report, clip.video, spec))
    return out


def run(args: argparse.Namespace) -> int:
    from posecheck.labels import load_labels
    from posecheck.tuning import Summary, format_summary, score_clip

    labels = load_labels(args.labels, root=args.root)
    specs, clips = resolve_specs(labels, args.spec,
                                 warn=lambda m: print(f"posecheck score: {m}", file=sys.stderr))
    print(f"Scoring {len(clips)} clips from {args.labels} (model {args.model}; landmarks "
          "from the cache)", file=sys.stderr)
    for w in unknown_check_warnings(clips, specs):
        print(f"posecheck score: warning: {w}", file=sys.stderr)
    traces = load_traces(labels, clips, specs, args.model,
                         progress=lambda m: print(m, file=sys.stderr), smoothing=args.smoothing)
    by_video = {c.video: c for c in clips}
    scores = [score_clip(tr, by_video[tr.video]) for tr in traces]
    overall = Summary(tuple(scores))
    print("Positive class: FAIL for checks (precision low = too strict, recall low = too lax);"
          " 'in' for in_position; 'counted' for valid. Numbers are labelled seconds; UNKNOWN "
          "time only lowers coverage.")
    result: dict[str, Any] = {"labels": str(Path(args.labels)), "model": args.model,
                              "smoothing": args.smoothing,
                              "positive_class": {"checks": "FAIL", "in_position": "in",
                                                 "valid": "counted as valid hold"},
                              "stretches": {}}
    for sid, summ in overall.by_stretch().items():
        spec = specs[sid]
        print()
        print(format_summary(summ, title=f"== {sid} ({len(summ.clips)} clips, spec "
                                         f"{spec.source_path})"))
        result["stretches"][sid] = {"spec": str(spec.source_path), **summ.to_dict(),
                                    "per_clip": [c.to_dict() for c in summ.clips]}
        if args.per_clip:
            for c in summ.clips:
                print()
                print(format_summary(Summary((c,)), title=f"-- {c.video}"))
    if args.json:
        from posecheck.batch import atomic_write_text, dump_json
        atomic_write_text(Path(args.json), dump_json(result))
        print(f"\nwrote {args.json}")
    return 0
