"""``posecheck page [STREAMLIT OPTIONS]``: start the Streamlit page shipped inside the package.

The process becomes ``python -m streamlit run <posecheck/page/main.py> OPTIONS`` (the same
Python, so the same installed packages), which works from a wheel as well as from a checkout.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys

# Added unless the user gives the option: posecheck sends nothing to anyone, and the
# toolbar shows no developer menu (no Deploy button).
DEFAULT_OPTIONS = (("--browser.gatherUsageStats", "false"), ("--client.toolbarMode", "minimal"))


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "page",
        help="start the Streamlit page (live check from the webcam or a video file, tuning)",
        usage="posecheck page [-h] [--specs DIR] [STREAMLIT OPTION ...]",
        description="Run `streamlit run` on the page shipped with posecheck (it works from an\n"
                    "installed package). Every argument posecheck does not know goes to\n"
                    "streamlit unchanged, so no `--` is needed. Sample videos are offered when\n"
                    "$POSECHECK_SAMPLE_DIR names a folder of them (bash scripts/app.sh, in a\n"
                    "checkout, offers its sample_videos/).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="examples:\n"
               "  posecheck page\n"
               "  posecheck page --server.headless true --server.port 8502\n"
               "  posecheck --specs my_specs/ page\n",
    )
    parser.set_defaults(func=run, extra_args=True)


def streamlit_command(extra: list[str]) -> list[str]:
    """The command line that starts the page (``extra`` are streamlit's options)."""
    from posecheck.page import ENTRY

    given = {arg.split("=", 1)[0] for arg in extra}
    defaults = [part for option in DEFAULT_OPTIONS if option[0] not in given for part in option]
    return [sys.executable, "-m", "streamlit", "run", str(ENTRY), *defaults, *extra]


def run(args: argparse.Namespace) -> int:
    from posecheck.core.errors import PosecheckError

    if importlib.util.find_spec("streamlit") is None:
        raise PosecheckError(f"streamlit is not installed in {sys.prefix}. Fix: pip install "
                             "posecheck's dependencies there (posecheck doctor lists them)")
    command = streamlit_command(list(args.extra))
    sys.stdout.flush()
    sys.stderr.flush()
    # Replace this process: signals (Ctrl-C, a test stopping the server) reach streamlit itself.
    os.execv(command[0], command)
    return 0  # not reached
