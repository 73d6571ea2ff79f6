"""``posecheck score --labels FILE [--spec ID|FILE]``: how well the checks agree with labels.
``posecheck score --all [--markdown docs/ACCURACY.md]``: the accuracy table over the labelled
real footage and the synthetic set (docs/ACCURACY.md).

Replays cached landmarks (the pose model runs only for clips never seen before), runs each
clip's spec over them and compares every decision with the labelled intervals: per check and
per stretch precision / recall / F1 of the FAIL decision (FAIL is the positive class),
agreement per labelled second, coverage (UNKNOWN time is left out of the other numbers),
the in-position decision, the valid-hold seconds per side. Then the table per stretch
(:mod:`posecheck.tuning.scorecard`): in-position agreement, valid-hold error, form-check
agreement, side, false holds where no hold is right, what ``--stretch auto`` names (labels:
docs/TUNING.md). The landmarks carry the trunk outline where a spec needs it, as analyze's.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from posecheck.core.errors import PosecheckError
from posecheck.model.provision import DEFAULT_MODEL, VARIANTS

# --all: in the current folder (a checkout's root), never inside the installed package.
REAL_LABELS = Path("labels") / "real_footage.toml"
MARK_BEGIN = "<!-- posecheck score: begin (generated; do not edit by hand) -->"
MARK_END = "<!-- posecheck score: end -->"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "score",
        help="score the checks against labelled footage (precision, recall, agreement)",
        description="Compare the checks' decisions on labelled clips with the labels: per "
                    "check precision/recall/F1 of FAIL (the positive class), agreement per "
                    "labelled second, coverage (UNKNOWN time), in-position and valid-hold "
                    "error per side. Landmarks come from the cache.",
    )
    parser.add_argument("--labels", action="append", metavar="FILE|DIR",
                        help="label file (.toml or .json, see docs/TUNING.md) or a folder of "
                             "synthetic clips with *.truth.json.gz; repeat for several")
    parser.add_argument("--all", action="store_true",
                        help=f"score {REAL_LABELS} and the synthetic set sample_videos/ (from "
                             "a checkout's root; with any --labels given too)")
    parser.add_argument("--no-auto", action="store_true",
                        help="skip the --stretch auto column (recognition runs every spec)")
    parser.add_argument("--markdown", metavar="OUT",
                        help="also write the table as Markdown; into an existing file "
                             "between its 'posecheck score' markers (docs/ACCURACY.md), else "
                             "as a new file")
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
    from posecheck.specs.parse import load_spec

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
        if c.negative:
            continue  # no spec of its own: scored by score_all (false holds, auto)
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


def load_tracks(labels: Any, clips: Sequence[Any], model: str = DEFAULT_MODEL,
                progress: Callable[[str], None] | None = None,
                outline: Callable[[Any], bool] = lambda clip: False) -> dict[str, Any]:
    """Landmarks of every clip (video -> track, cache or model; the trunk outline where
    ``outline(clip)``), each labelled interval checked to lie inside its clip. Raises :class:`~posecheck.tuning.labels.LabelError` (exit 2) naming the label file, the
    clip and the interval; :class:`PosecheckError` for a clip that is not there."""
    from posecheck.model.landmarks import load_or_estimate

    out = {}
    for clip in clips:
        path = labels.video_path(clip)
        if not path.is_file():
            raise PosecheckError(
                f"{labels.source_path}: clip {clip.video!r} not found at {path}. Fix: check "
                "the label file's `root` or pass --root")
        if progress:
            progress(f"  {clip.video}")
        track = load_or_estimate(path, model, progress=False, segmentation=outline(clip))
        clip.check_duration(clip_duration_s(track), is_image=bool(track.info.is_image),
                            source=str(labels.source_path))
        out[clip.video] = track
    return out


def clip_duration_s(track: Any) -> float:
    """A clip's length: the container's, or to one frame past the last decoded frame."""
    last = (track.frames[-1].t_ms / 1000.0) if track.frames else 0.0
    step = 1.0 / track.info.fps if track.info.fps else 0.0
    return max(float(track.info.duration_s or 0.0), last + step)


def load_traces(labels: Any, clips: Sequence[Any], specs: dict[str, Any], model: str = DEFAULT_MODEL,
                progress: Callable[[str], None] | None = None, smoothing: str = "batch"
                ) -> list[Any]:
    """One :class:`~posecheck.tuning.trace.ClipTrace` per clip, from cached landmarks."""
    from posecheck.core.analysis import analyze_frames
    from posecheck.tuning.trace import ClipTrace

    tracks = load_tracks(labels, clips, model, progress,
                         outline=lambda c: specs[c.stretch].needs_outline)
    out = []
    for clip in clips:
        track = tracks[clip.video]
        spec = specs[clip.stretch]
        report = analyze_frames(track.frames, spec, fps=track.info.fps, video=clip.video,
                                smoothing=smoothing)
        out.append(ClipTrace.from_report(report, clip.video, spec))
    return out


def clip_result(track: Any, clip: Any, spec: Any, auto_specs: Sequence[tuple[str, Any]],
                smoothing: str = "batch", source: str = "real") -> Any:
    """One :class:`~posecheck.tuning.scorecard.ClipResult`: the clip's own spec (unless it is a
    negative) scored against its labels, and what ``--stretch auto`` names on it (unless
    ``auto_specs`` is empty)."""
    from posecheck.core.analysis import analyze_frames
    from posecheck.batch.track import analyze_track
    from posecheck.tuning.labels import TRUE
    from posecheck.tuning.scorecard import PHOTO_WEIGHT_S, ClipResult, scaled, told_side
    from posecheck.tuning.score import score_clip
    from posecheck.tuning.trace import ClipTrace

    photo = bool(track.info.is_image)
    fields: dict[str, Any] = {}
    if spec is not None and track.frames:
        report = analyze_frames(track.frames, spec, fps=track.info.fps, video=clip.video,
                                smoothing=smoothing)
        trace = ClipTrace.from_report(report, clip.video, spec)
        cs = score_clip(trace, clip)
        truth = clip.at_times(trace.t_s)
        w = trace.weights
        k = PHOTO_WEIGHT_S / float(w.sum()) if photo and w.sum() > 0 else 1.0
        fields = {"in_position": scaled(cs.in_position, k),
                  "checks": {c: scaled(v, k) for c, v in cs.checks.items()},
                  "hold_pred_s": float(cs.hold_pred_s.get("total", 0.0)),
                  "hold_true_s": float(cs.hold_true_s.get("total", 0.0)),
                  "in_position_s": float(w[truth.in_position == TRUE].sum()),
                  "side_pred": told_side(report, trace, truth.in_position, w)}
    if auto_specs and track.frames:
        out = analyze_track(track.frames, auto_specs, track.info, clip.video, auto=True,
                            smoothing=smoothing)
        rec = out.recognition
        fields["auto"] = "none" if rec is None else rec.stretch
        fields["auto_hold_s"] = float(sum(seg.valid_s for seg in rec.segments)) if rec else 0.0
    return ClipResult(clip=clip, source=source, photo=photo, **fields)


def score_all(label_sets: Sequence[tuple[Any, str]], model: str = DEFAULT_MODEL,
              smoothing: str = "batch", auto: bool = True,
              progress: Callable[[str], None] | None = None) -> list[Any]:
    """:func:`clip_result` for every clip of every ``(LabelSet, source)``."""
    from posecheck.batch.stages import load_specs
    from posecheck.specs.parse import load_spec

    auto_specs = load_specs("auto") if auto else []
    auto_outline = any(s.needs_outline for _, s in auto_specs)  # as analyze asks for the mask
    specs: dict[str, Any] = {}
    out = []
    for labels, source in label_sets:
        for clip in labels.clips:
            if not clip.negative and clip.stretch not in specs:
                specs[clip.stretch] = load_spec(clip.stretch)
        tracks = load_tracks(labels, labels.clips, model, outline=lambda c: auto_outline or (
            not c.negative and specs[c.stretch].needs_outline))  # intervals checked first
        for clip in labels.clips:
            if progress:
                progress(f"  {clip.video}")
            out.append(clip_result(tracks[clip.video], clip,
                                   None if clip.negative else specs[clip.stretch],
                                   auto_specs, smoothing, source))
    return out


def markdown_report(results: Sequence[Any], command: str, model: str, smoothing: str) -> str:
    """The generated block of docs/ACCURACY.md: date, command, one table per source."""
    import datetime

    from posecheck.tuning.scorecard import markdown_table, rows
    from posecheck.specs.parse import list_specs

    today = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [MARK_BEGIN, "", f"Made {today} by `{command}` (model {model}, smoothing "
             f"{smoothing}; landmarks from the cache).", ""]
    for source, title, ids in (("real", "Real footage (labelled by eye)", list_specs()),
                               ("synthetic", "Synthetic set (exact truth)", ())):
        sel = [r for r in results if r.source == source]
        if not sel:
            continue
        parts += [f"### {title}", "", markdown_table(rows(sel, ids)), ""]
    parts.append(MARK_END)
    return "\n".join(parts)


def write_markdown(path: Path, block: str) -> None:
    """Replace the block between the markers of an existing file, or write a new file."""
    from posecheck.io.files import atomic_write_text

    if path.is_file():
        text = path.read_text(encoding="utf-8")
        a, b = text.find(MARK_BEGIN), text.find(MARK_END)
        if a < 0 or b < a:
            raise PosecheckError(f"{path}: has no '{MARK_BEGIN}' ... '{MARK_END}' block. "
                                 "Fix: add the two marker lines where the table goes, or "
                                 "give a new file")
        text = text[:a] + block + text[b + len(MARK_END):]
    else:
        text = "# posecheck accuracy\n\n" + block + "\n"
    atomic_write_text(path, text)


def run(args: argparse.Namespace) -> int:
    from posecheck.tuning.label_files import load_labels

    from posecheck.commands.bench import DEFAULT_DIR as SYNTH_DIR

    sources = list(args.labels or [])
    if args.all:
        sources = [str(REAL_LABELS), str(SYNTH_DIR), *sources]
    if not sources:
        raise PosecheckError("score: give --labels FILE (or a synthetic folder), or --all")
    if len(sources) > 1 or args.all or args.markdown:
        if args.spec:
            raise PosecheckError("score: --spec works with one --labels file only")
        return run_table(args, [(load_labels(src, root=_root_for(src, args.root)),
                                 "synthetic" if Path(src).is_dir() else "real")
                                for src in sources])
    args.labels = sources[0]
    return run_one(args, load_labels(args.labels, root=_root_for(args.labels, args.root)))


def _root_for(source: str, root: str | None) -> str | None:
    """--root for a label file; for the project's real-footage labels, $POSECHECK_FOOTAGE
    (the footage folder, as the tests use it) when no --root is given."""
    import os

    if Path(source).is_dir():
        return None
    if root is None and Path(source).resolve() == REAL_LABELS.resolve() and \
            os.environ.get("POSECHECK_FOOTAGE"):
        return str(Path(os.environ["POSECHECK_FOOTAGE"]).parent)
    return root


def run_table(args: argparse.Namespace, label_sets: list[tuple[Any, str]]) -> int:
    """The accuracy table over several label sets (real and synthetic)."""
    from posecheck.tuning.scorecard import rows, text_table
    from posecheck.specs.parse import list_specs

    n = sum(len(ls.clips) for ls, _ in label_sets)
    print(f"Scoring {n} clips (model {args.model}; landmarks from the cache; the model runs "
          "only for clips never seen before)", file=sys.stderr)
    results = score_all(label_sets, args.model, args.smoothing, auto=not args.no_auto,
                        progress=lambda m: print(m, file=sys.stderr))
    for source in ("real", "synthetic"):
        sel = [r for r in results if r.source == source]
        if sel:
            print(f"\n== {source} ({len(sel)} clips)")
            print(text_table(rows(sel, list_specs() if source == "real" else ())))
    if args.per_clip:
        print("\nper clip: video | in-pos agreement | hold booked/labelled s | side "
              "label/pred | auto (expected)")
        for r in results:
            print(f"  {r.clip.video} | {r.in_position.agreement:.2f} | {r.hold_pred_s:.1f}/"
                  f"{r.hold_true_s:.1f} | {r.clip.sure_side or '-'}/{r.side_pred or '-'} | "
                  f"{r.auto} ({r.expected_auto})")
    if args.markdown:
        write_markdown(Path(args.markdown), markdown_report(results, regenerate_command(args),
                                                            args.model, args.smoothing))
        print(f"\nwrote {args.markdown}")
    if args.json:
        from posecheck.batch.files import dump_json
        from posecheck.io.files import atomic_write_text
        payload = {"model": args.model, "smoothing": args.smoothing,
                   "clips": [r.to_dict() for r in results]}
        atomic_write_text(Path(args.json), dump_json(payload))
        print(f"wrote {args.json}")
    return 0


def regenerate_command(args: argparse.Namespace) -> str:
    """The command that makes the same table again (output-only options left out)."""
    import shlex

    parts = ["posecheck", "score"]
    if args.all:
        parts.append("--all")
    for src in args.labels or []:
        parts += ["--labels", src]
    if args.root:
        parts += ["--root", args.root]
    if args.model != DEFAULT_MODEL:
        parts += ["--model", args.model]
    if args.smoothing != "batch":
        parts += ["--smoothing", args.smoothing]
    if args.no_auto:
        parts.append("--no-auto")
    parts += ["--markdown", args.markdown]
    return " ".join(shlex.quote(p) for p in parts)


def run_one(args: argparse.Namespace, labels: Any) -> int:
    """The detailed per-check report of one label file."""
    from posecheck.tuning.score import Summary, format_summary, score_clip

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
        from posecheck.batch.files import dump_json
        from posecheck.io.files import atomic_write_text
        atomic_write_text(Path(args.json), dump_json(result))
        print(f"\nwrote {args.json}")
    return 0
