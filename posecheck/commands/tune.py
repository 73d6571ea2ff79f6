"""``posecheck tune --spec ID --labels FILE``: fit a spec's thresholds to labelled footage.

Clips (never frames) are split into a training part and a held-out test part (``--split``,
``--seed``). Metric values are computed once per clip from cached landmarks; the search then
replays only the cheap part (check statuses, the in-position decision, the hold timer) for
each candidate threshold. Pose conditions are fitted to the ``in_position`` labels, each form
check to its own labels, and with ``--timer`` the debounce/grace times to the valid-hold
labels. Test clips are scored before and after, never tuned on. The tuned spec is written to
a NEW file (default ``pose_specs/tuned/<id>.tuned.toml``) with the original's comments and
units, and a provenance note.
"""

from __future__ import annotations

import argparse
import math
import shlex
import sys
from pathlib import Path
from typing import Any, Sequence

from posecheck.core.errors import PosecheckError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "tune",
        help="fit a spec's thresholds to labelled footage; report held-out scores",
        description="Split the labelled clips of one stretch into train and held-out test "
                    "(by clip), search each check's thresholds (and optionally debounce/grace) "
                    "to agree best with the training labels, print a before/after table for "
                    "both parts and write the tuned spec to a new file.",
    )
    parser.add_argument("--spec", required=True, metavar="ID|FILE",
                        help="stretch id or spec .toml to start from")
    parser.add_argument("--labels", required=True, metavar="FILE", help="label file")
    parser.add_argument("--checks", nargs="+", metavar="ID",
                        help="tune only these checks / pose conditions (default: all)")
    parser.add_argument("--split", type=float, default=0.5, metavar="FRACTION",
                        help="share of clips used for training (default 0.5)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the clip split (default 0)")
    parser.add_argument("--repeat", type=int, default=1, metavar="N",
                        help="also tune on N-1 more splits (seeds seed+1...) and print the "
                             "held-out scores of all N; the saved spec is the --seed one")
    parser.add_argument("--objective", choices=("agreement", "balanced", "f1"),
                        default="agreement",
                        help="what the search maximises on train: agreement per labelled "
                             "second (default), balanced accuracy, or F1 of FAIL")
    parser.add_argument("--min-gain", type=float, default=0.02, metavar="X",
                        help="a bound moves only if the train objective improves by at least "
                             "X (default 0.02 = 2 %% of labelled time)")
    parser.add_argument("--one-class", action="store_true",
                        help="also apply moves of checks whose training labels hold one class "
                             "only (e.g. good form throughout): they can only relax a check and "
                             "nothing bounds how far; by default they are shown as suggestions")
    parser.add_argument("--no-pose", action="store_true",
                        help="leave the pose (in-position) conditions alone")
    parser.add_argument("--timer", action="store_true",
                        help="also tune hold.debounce_s and hold.grace_s (use held stretches, "
                             "not rep-by-rep clips: a rep's bottom is shorter than any debounce)")
    parser.add_argument("--root", metavar="DIR", help="override the label file's video root")
    from posecheck.commands.score import add_replay_options
    add_replay_options(parser)
    parser.add_argument("--out", metavar="FILE",
                        help="tuned spec path (default: tuned/<id>.tuned.toml in the spec's "
                             "folder, or ~/.local/share/posecheck/tuned/ ($XDG_DATA_HOME) when "
                             "that folder cannot be written, as in a system-wide install)")
    parser.add_argument("--force", action="store_true", help="replace an existing --out file")
    parser.add_argument("--dry-run", action="store_true", help="print the table, write nothing")
    parser.add_argument("--json", metavar="OUT", help="also write the result as JSON")
    parser.set_defaults(func=run)


def _fmt(x: float) -> str:
    return "  -  " if x is None or (isinstance(x, float) and math.isnan(x)) else f"{x:5.2f}"


def before_after_table(rows: Sequence[tuple[str, Sequence[float]]], n_train: int,
                       n_test: int) -> str:
    """Rows of (name, [train before, train after, test before, test after])."""
    head1 = f"{'':<34}{'train (' + str(n_train) + ' clips)':^16}  " \
            f"{'held-out test (' + str(n_test) + ' clips)':^22}"
    head2 = f"{'row':<34}{'before':>8}{'after':>8}  {'before':>11}{'after':>8}"
    lines = [head1, head2, "-" * len(head2)]
    for name, vals in rows:
        a, b, c, d = vals
        lines.append(f"{name:<34}{_fmt(a):>8}{_fmt(b):>8}  {_fmt(c):>11}{_fmt(d):>8}")
    return "\n".join(lines)


def table_rows(spec: Any, sb: Any, sa: Any, tb: Any, ta: Any) -> list[tuple[str, list[float]]]:
    """Before/after rows from four :class:`~posecheck.tuning.score.Summary` objects."""
    rows: list[tuple[str, list[float]]] = []
    ids = [c.id for c in spec.checks]
    for cid in ids:
        parts = [s.checks.get(cid) for s in (sb, sa, tb, ta)]
        if all(p is None for p in parts):
            continue
        rows.append((f"{cid}: agreement", [p.agreement if p else math.nan for p in parts]))
        rows.append((f"{cid}: F1 of FAIL", [p.f1 if p else math.nan for p in parts]))
    rows.append(("in_position: agreement", [s.in_position.agreement for s in (sb, sa, tb, ta)]))
    rows.append(("in_position: F1 (in)", [s.in_position.f1 for s in (sb, sa, tb, ta)]))
    rows.append(("valid hold: agreement", [s.valid.agreement for s in (sb, sa, tb, ta)]))
    rows.append(("valid hold: MAE per clip (s)",
                 [s.hold_error().get("total", {}).get("mae_s", math.nan)
                  for s in (sb, sa, tb, ta)]))
    return rows


def repeated_splits(traces: Sequence[Any], by_video: dict, spec: Any, videos: Sequence[str],
                    args: argparse.Namespace) -> dict[str, Any]:
    """Tune on ``args.repeat`` different splits; held-out agreement before/after of each."""
    from posecheck.tuning.score import score, split_clips
    from posecheck.tuning.sweep import tune

    runs = []
    for seed in range(args.seed, args.seed + args.repeat):
        train, test = split_clips(videos, args.split, seed)
        res = tune(traces, by_video, spec, train=train, test=test, check_ids=args.checks,
                   objective=args.objective, tune_pose=not args.no_pose,
                   tune_timer=args.timer, min_gain=args.min_gain, one_class=args.one_class)
        te = [t for t in traces if t.video in set(test)]
        tb = score(te, by_video)
        ta = score(te, by_video, res.thresholds, res.timer if args.timer else None)
        rows = {cid: (tb.checks[cid].agreement, ta.checks[cid].agreement)
                for cid in tb.checks}
        rows["in_position"] = (tb.in_position.agreement, ta.in_position.agreement)
        rows["valid hold"] = (tb.valid.agreement, ta.valid.agreement)
        runs.append({"seed": seed, "test": list(test), "changes": res.changes(),
                     "held_out_agreement": rows})
    names = list(dict.fromkeys(k for r in runs for k in r["held_out_agreement"]))
    lines = [f"Held-out agreement over {len(runs)} splits (seeds {args.seed}.."
             f"{args.seed + args.repeat - 1}): mean before -> after [worst change]"]
    for name in names:
        pairs = [r["held_out_agreement"][name] for r in runs if name in r["held_out_agreement"]]
        pairs = [(b, a) for b, a in pairs if not (math.isnan(b) or math.isnan(a))]
        if not pairs:
            continue
        b = sum(p[0] for p in pairs) / len(pairs)
        a = sum(p[1] for p in pairs) / len(pairs)
        worst = min(p[1] - p[0] for p in pairs)
        lines.append(f"  {name:<30}{b:6.2f} -> {a:5.2f}  [{worst:+.2f}]  ({len(pairs)} splits)")
    for r in runs:
        lines.append(f"  seed {r['seed']}: " + ("; ".join(r["changes"]) or "no change"))
    return {"runs": runs, "text": "\n".join(lines)}


def refuse_without_evidence(traces: Sequence[Any], by_video: dict, train: Sequence[str],
                            labels_path: Any, spec_id: str) -> None:
    """Stop before tuning when the training clips hold no labelled time at all (a tuned spec
    fitted to nothing would look like evidence)."""
    from posecheck.tuning.score import score_clip

    seconds = sum(score_clip(t, by_video[t.video]).labelled_s for t in traces
                  if t.video in set(train))
    if not seconds > 0:
        raise PosecheckError(f"{labels_path}: the training clips of {spec_id} "
                             f"({', '.join(train)}) have no labelled time inside them: "
                             "nothing to tune on, no spec written. Fix: label intervals "
                             "inside the clips")


def _rel(path: Any) -> str:
    """``path`` relative to the working directory when it is inside it (shorter notes)."""
    p = Path(path).resolve()
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return str(p)


def run(args: argparse.Namespace) -> int:
    from posecheck.commands.score import load_traces, resolve_specs, unknown_check_warnings
    from posecheck.tuning.label_files import load_labels
    from posecheck.specs.write import default_tuned_path, provenance_lines, save_tuned_spec
    from posecheck.tuning.score import score, split_clips
    from posecheck.tuning.sweep import tune

    if not 0.0 < args.split < 1.0:
        raise PosecheckError(f"--split must be between 0 and 1, got {args.split}. Fix: use "
                             "e.g. 0.5")
    labels = load_labels(args.labels, root=args.root)
    specs, clips = resolve_specs(labels, args.spec)
    spec = next(iter(specs.values()))
    if args.repeat < 1:
        raise PosecheckError(f"--repeat must be >= 1, got {args.repeat}")
    if len(clips) < 2:
        raise PosecheckError(f"{args.labels}: only {len(clips)} clip labelled {spec.id!r}; a "
                             "held-out split needs at least 2. Fix: label more clips")
    out = Path(args.out) if args.out else default_tuned_path(spec.id)
    if not args.dry_run and out.exists() and not args.force:
        raise PosecheckError(f"{out}: already exists. Fix: pass --force to replace it, or give "
                             "another --out")
    for w in unknown_check_warnings(clips, specs):
        print(f"posecheck tune: warning: {w}", file=sys.stderr)
    train, test = split_clips([c.video for c in clips], args.split, args.seed)
    print(f"{spec.id}: {len(clips)} labelled clips -> train {len(train)}, held-out test "
          f"{len(test)} (split {args.split:g}, seed {args.seed})", file=sys.stderr)
    traces = load_traces(labels, clips, specs, args.model,
                         progress=lambda m: print(m, file=sys.stderr), smoothing=args.smoothing)
    by_video = {c.video: c for c in clips}
    refuse_without_evidence(traces, by_video, train, args.labels, spec.id)
    try:
        result = tune(traces, by_video, spec, train=train, test=test, check_ids=args.checks,
                      objective=args.objective, tune_pose=not args.no_pose,
                      tune_timer=args.timer, min_gain=args.min_gain,
                      one_class=args.one_class)
    except ValueError as exc:
        raise PosecheckError(f"{args.spec}: {exc}. Fix: check --checks") from None
    if not any(r.evaluated for r in result.sweeps) and not args.timer:
        raise PosecheckError(f"{args.labels}: the training clips label none of the tuned "
                             f"checks or conditions of {spec.id}: nothing to fit, no spec "
                             "written. Fix: label in_position or checks, or pick --checks")
    tr_traces = [t for t in traces if t.video in set(train)]
    te_traces = [t for t in traces if t.video in set(test)]
    timer = result.timer if args.timer else None
    sb = score(tr_traces, by_video)
    sa = score(tr_traces, by_video, result.thresholds, timer)
    tb = score(te_traces, by_video)
    ta = score(te_traces, by_video, result.thresholds, timer)
    table = before_after_table(table_rows(spec, sb, sa, tb, ta), len(train), len(test))
    changes = result.changes()
    if args.timer:
        for k in ("debounce_s", "grace_s"):
            old = float(getattr(spec.hold, k))
            if result.timer[k] != old:
                changes.append(f"hold.{k}: {old:g} -> {result.timer[k]:g}")
    print(f"\nTrain: {', '.join(train)}\nTest:  {', '.join(test)}\n")
    print(table)
    print("\nChanges (fitted on train only):")
    for line in changes or ["none: the training labels gave no reason to move a threshold"]:
        print(f"  {line}")
    if result.suggestions():
        print("Suggested but NOT applied (one-class training labels; --one-class applies them):")
        for line in result.suggestions():
            print(f"  {line}")
    print("\nSearch on train:")
    for r in result.sweeps:
        note = ""
        if r.one_class:
            note = ("  ! labels of one class only (no 'should fail' time): can only relax"
                    if r.fail_s == 0 else "  ! labels of one class only: can only tighten")
        print(f"  [{r.kind} {r.check_id}] {args.objective} {_fmt(r.train_before).strip()}"
              f" -> {_fmt(r.train_after).strip()}; labelled pass/in {r.pass_s:.1f} s, "
              f"fail/out {r.fail_s:.1f} s; {r.evaluated} settings{note}")
    payload: dict[str, Any] = {
        "spec": spec.id, "spec_source": str(spec.source_path), "labels": str(args.labels),
        "model": args.model, "smoothing": args.smoothing,
        "split": args.split, "seed": args.seed, "objective": args.objective,
        "train": list(train), "test": list(test), "thresholds": result.thresholds,
        "timer": result.timer if args.timer else None, "changes": changes,
        "suggestions": result.suggestions(),
        "scores": {"train_before": sb.to_dict(), "train_after": sa.to_dict(),
                   "test_before": tb.to_dict(), "test_after": ta.to_dict()},
    }
    if args.repeat > 1:
        rep = repeated_splits(traces, by_video, spec, [c.video for c in clips], args)
        print("\n" + rep["text"])
        payload["repeats"] = rep["runs"]
    if not args.dry_run:
        prov = provenance_lines(spec_source=_rel(spec.source_path), labels=str(args.labels),
                                train=train, test=test, seed=args.seed, fraction=args.split,
                                scores={"Before/after (agreement per labelled second; "
                                        "F1 of FAIL)": table}, changes=changes,
                                command="posecheck tune " + " ".join(
                                    shlex.quote(a) for a in sys.argv[2:]))
        path = save_tuned_spec(spec.source_path, result.thresholds,
                               {k: result.timer[k] for k in ("debounce_s", "grace_s")}
                               if args.timer else None,
                               out=out, provenance=prov, overwrite=args.force)
        payload["written"] = str(path)
        print(f"\nwrote {path} (the original {spec.source_path} is unchanged)")
    if args.json:
        from posecheck.batch.files import dump_json
        from posecheck.io.files import atomic_write_text
        atomic_write_text(Path(args.json), dump_json(payload))
        print(f"wrote {args.json}")
    return 0
