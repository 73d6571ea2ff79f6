"""``posecheck specs [list | show ID | validate FILE...]``: the stretch specs."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "specs",
        help="list, show or validate stretch specs",
        description="Stretch specs live in pose_specs/*.toml: recognition conditions, form "
                    "checks with thresholds and units, hold times, smoothing. `list` names "
                    "them, `show ID` prints one in full, `validate FILE` checks a spec file "
                    "you edited (exit status 2 with the field and the fix if it is wrong).",
    )
    sub = parser.add_subparsers(dest="action", metavar="ACTION")
    sub.add_parser("list", help="list the bundled specs").set_defaults(func=run_list)
    show = sub.add_parser("show", help="print one spec: checks, thresholds, hold settings")
    show.add_argument("spec", metavar="ID", help="stretch id or .toml path")
    show.set_defaults(func=run_show)
    val = sub.add_parser("validate", help="check spec files and report the first problem")
    val.add_argument("files", nargs="+", metavar="FILE", help=".toml spec files")
    val.set_defaults(func=run_validate)
    parser.set_defaults(func=run_list)


def run_list(args: argparse.Namespace) -> int:
    from posecheck.specs.parse import list_specs, load_spec

    for sid in list_specs():
        spec = load_spec(sid)
        kind = "timer only" if spec.timer_only else f"{len(spec.checks)} checks"
        sides = "/".join(spec.sides)
        print(f"{sid:26} {spec.view:5} {sides:10} {kind:10} {spec.name}")
    return 0


def _range(c) -> str:
    lo = "-inf" if c.min is None else f"{c.min:g}"
    hi = "inf" if c.max is None else f"{c.max:g}"
    return f"{lo}..{hi} {c.unit} (+/- {c.hysteresis:g})"


def run_show(args: argparse.Namespace) -> int:
    from posecheck.specs.parse import load_spec

    spec = load_spec(args.spec)
    h = spec.hold
    print(f"{spec.name} [{spec.id}]  ({spec.source_path})")
    print(f"  {spec.description}")
    print(f"  view: {spec.view}, posture: {spec.posture}, stretched leg: {spec.stretched_leg}, "
          f"sides: {', '.join(spec.sides)}{', timer only' if spec.timer_only else ''}")
    reps = f"{h.reps}" + (f"-{h.reps_max}" if h.reps_max else "")
    print(f"  hold: {h.target_s:g}-{h.max_s:g} s x {reps} per side, rest {h.rest_s:g} s, "
          f"debounce {h.debounce_s:g} s, grace {h.grace_s:g} s"
          + (f", {h.per_day} times a day" if h.per_day else ""))
    print("  in position when:")
    for c in spec.pose:
        print(f"    {c.id:24} {c.metric:32} {_range(c)}")
    if spec.checks:
        print("  checks (priority 1 = most important):")
        for c in spec.checks:
            kind = "required" if c.required else "advisory"
            print(f"    {c.id:24} {c.metric:32} {_range(c)}  {kind}, priority {c.priority}")
            if c.cue_low:
                print(f"      too low:  {c.cue_low}")
            if c.cue_high:
                print(f"      too high: {c.cue_high}")
    print("  cautions:")
    for text in spec.cautions:
        print(f"    - {text}")
    return 0


def run_validate(args: argparse.Namespace) -> int:
    from posecheck.specs.parse import load_spec

    for path in args.files:
        spec = load_spec(path)
        print(f"{path}: ok ({spec.id}: {len(spec.pose)} conditions, {len(spec.checks)} checks)")
    return 0
