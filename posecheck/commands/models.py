"""``posecheck models``: fetch or build the pose model bundles into the local cache."""

from __future__ import annotations

import argparse

VARIANT_CHOICES = ("lite", "full", "heavy")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "models",
        help="download or build the pose models (lite, full, heavy)",
        description="Make the MediaPipe pose models available offline. Each variant is taken "
                    "from Google's model storage, or, when that is unreachable, built from the "
                    "npm package @mediapipe/pose (needs npm). Bundles are cached in "
                    "~/.cache/posecheck/models (set POSECHECK_MODEL_DIR to change it). Other "
                    "commands do this on first use; run it ahead to work offline later.",
        epilog="Trade-off: lite is fastest, heavy most accurate; full sits between.",
    )
    # A type check, not `choices`: argparse would reject the empty default of nargs="*".
    parser.add_argument("variants", nargs="*", metavar="VARIANT", type=_variant,
                        help="lite, full and/or heavy (default: lite)")
    parser.add_argument("--force", action="store_true",
                        help="fetch or build again even if a good bundle is cached")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.set_defaults(func=run)


def _variant(text: str) -> str:
    if text not in VARIANT_CHOICES:
        raise argparse.ArgumentTypeError(
            f"unknown variant {text!r} (choose from {', '.join(VARIANT_CHOICES)}; a .task file "
            "of your own needs no provisioning: pass it as --model PATH)")
    return text


def run(args: argparse.Namespace) -> int:
    from posecheck.model.provision import bundle_info, resolve_model

    for name in dict.fromkeys(args.variants or ["lite"]):
        path = resolve_model(name, progress=not args.quiet, force=args.force)
        source = bundle_info(path).get("source", "unknown source")
        print(f"{name}: {path} ({source})")
    return 0
