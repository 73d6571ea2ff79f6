"""The ``posecheck`` console command.

Each sub-command lives in its own module under :mod:`posecheck.commands` and exposes
``register(subparsers)``, which adds its parser and sets ``func`` (called with the parsed
arguments, returning the exit status). Modules import heavy libraries (cv2, mediapipe) inside
``func`` so that ``posecheck --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from posecheck import __version__
from posecheck.errors import PosecheckError

# Sub-command modules, in the order ``--help`` lists them.
COMMANDS = ("models", "landmarks", "analyze", "specs", "synth", "bench", "score", "tune")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="posecheck",
        description="Check psoas and hip-flexor stretches from video: pose landmarks, "
                    "per-stretch form checks, and valid hold time.",
    )
    parser.add_argument("--version", action="version", version=f"posecheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"posecheck.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"posecheck.commands.{name}":
                continue  # not built yet
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except PosecheckError as exc:
        print(f"posecheck {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"posecheck {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
