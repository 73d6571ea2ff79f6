"""The ``posecheck`` console command.

Each sub-command lives in its own module under :mod:`posecheck.commands` and exposes
``register(subparsers)``, which adds its parser and sets ``func`` (called with the parsed
arguments, returning the exit status). Modules import heavy libraries (cv2, mediapipe) inside
``func`` so that ``posecheck --help`` stays fast. A module whose command passes unknown
arguments on (``posecheck page`` to streamlit) sets ``extra_args=True``; they arrive in
``args.extra``.

``--specs DIR`` is global: it may come before the sub-command or anywhere after it, and sets
``$POSECHECK_SPECS`` for the command (and the processes it starts).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from pathlib import Path
from typing import Iterator

from posecheck import __version__
from posecheck.core.errors import PosecheckError

# Sub-command modules, in the order ``--help`` lists them.
COMMANDS = ("models", "landmarks", "analyze", "specs", "synth", "bench", "score", "tune",
            "page", "doctor", "history")
SPECS_HELP = ("use the stretch specs in DIR (<id>.toml files) instead of the bundled ones; "
              "the same as setting POSECHECK_SPECS=DIR")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="posecheck",
        description="Check psoas and hip-flexor stretches from video: pose landmarks, "
                    "per-stretch form checks, and valid hold time.",
    )
    parser.add_argument("--version", action="version", version=f"posecheck {__version__}")
    parser.add_argument("--specs", metavar="DIR", help=SPECS_HELP)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"posecheck.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"posecheck.commands.{name}":
                continue  # not built yet
            raise
        module.register(sub)
    _add_specs_option(sub)
    return parser


def _add_specs_option(subparsers: argparse._SubParsersAction) -> None:
    """Accept ``--specs DIR`` after every sub-command too (nested ones included); SUPPRESS
    keeps a value given before the sub-command."""
    for child in dict.fromkeys(subparsers.choices.values()):
        child.add_argument("--specs", metavar="DIR", default=argparse.SUPPRESS, help=SPECS_HELP)
        for action in child._actions:
            if isinstance(action, argparse._SubParsersAction):
                _add_specs_option(action)


@contextlib.contextmanager
def _specs_folder(folder: str | None) -> Iterator[None]:
    """``$POSECHECK_SPECS`` set to ``--specs DIR`` while the command runs (so processes it
    starts use it too), and put back afterwards (``main`` may be called in-process)."""
    from posecheck.specs.parse import ENV_SPECS

    if folder is None:
        yield
        return
    path = Path(folder).expanduser().resolve()
    if not path.is_dir():
        raise PosecheckError(f"--specs {folder}: not a folder. Fix: give a folder of "
                             "<id>.toml spec files (posecheck doctor shows the bundled one)")
    previous = os.environ.get(ENV_SPECS)
    os.environ[ENV_SPECS] = str(path)
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(ENV_SPECS, None)
        else:
            os.environ[ENV_SPECS] = previous


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "extra_args", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        with _specs_folder(args.specs):
            return int(args.func(args) or 0)
    except PosecheckError as exc:
        print(f"posecheck {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"posecheck {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
