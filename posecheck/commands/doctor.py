"""``posecheck doctor``: what posecheck runs on here, and whether the page can start.

One line per item: the Python and library versions in use, the model cache and each pose
model (cached? does it load and run on a blank frame?), the spec folder (does every spec
validate?), Chromium for the browser tests, and the history database. A problem line starts
with ``FAIL`` (something is broken) or ``warn`` (missing, or needed only by the tests) and ends
with the fix. The exit status is 0 when the page can start: streamlit importable, every spec
valid and at least one model loading; 1 otherwise. Nothing is downloaded or built: a missing model is reported with
the command that fetches it.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import os
import shutil
import sys
from dataclasses import dataclass, replace
from pathlib import Path

OK, WARN, FAIL, NONE = "ok", "warn", "FAIL", "--"  # NONE: not there, and nothing needs it

# (name shown, module imported, distribution whose version is shown)
LIBRARIES = (
    ("mediapipe", "mediapipe", "mediapipe"),
    ("opencv", "cv2", "opencv-contrib-python"),
    ("numpy", "numpy", "numpy"),
    ("streamlit", "streamlit", "streamlit"),
    ("streamlit-webrtc", "streamlit_webrtc", "streamlit-webrtc"),
    ("av", "av", "av"),
)
# Same rule as the browser tests (tests/browser_harness.py).
ENV_CHROMIUM = "POSECHECK_CHROMIUM"
DEFAULT_CHROMIUM = "/usr/bin/chromium"


@dataclass(frozen=True)
class Finding:
    """One line of the report: what, how it stands, and the fix when it is not OK."""

    item: str
    status: str  # OK, WARN, FAIL or NONE
    text: str
    fix: str = ""

    def line(self) -> str:
        fix = f" Fix: {self.fix}" if self.fix and self.status in (WARN, FAIL) else ""
        return f"{self.item:17} {self.status:4} {self.text}{fix}"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "doctor",
        help="check the installation: versions, pose models, specs, browser, history",
        description="Print the Python and library versions in use, the model cache and "
                    "whether each pose model is cached and loads, the spec folder and whether "
                    "every spec validates, whether Chromium is there for the browser tests, and "
                    "the history database. Problem lines start with FAIL or warn and say the "
                    "fix. Exit status 0 when the page can start (streamlit installed, specs "
                    "valid, at least one model loads), 1 otherwise. Downloads nothing.",
    )
    parser.set_defaults(func=run)


# ---------------------------------------------------------------------------- the checks
def versions() -> list[Finding]:
    from posecheck import __version__
    out = [Finding("python", OK, f"{sys.version.split()[0]} ({sys.executable})"),
           Finding("posecheck", OK, f"{__version__} ({Path(__file__).resolve().parents[1]})")]
    for name, module, dist in LIBRARIES:
        if importlib.util.find_spec(module) is None:
            status = FAIL if module == "streamlit" else WARN
            out.append(Finding(name, status, "not installed",
                               f"pip install {dist} (posecheck's dependencies: pip install "
                               "posecheck, or bash scripts/setup.sh in a checkout)"))
            continue
        try:
            version = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            version = "version unknown"
        out.append(Finding(name, OK, version))
    providers = importlib.metadata.packages_distributions().get("cv2", [])
    if len(set(providers)) > 1:
        extra = sorted(set(providers) - {"opencv-contrib-python"})
        out.append(Finding("opencv", WARN, f"cv2 comes from {len(set(providers))} "
                           f"distributions ({', '.join(sorted(set(providers)))})",
                           f"pip uninstall {' '.join(extra)} (keep opencv-contrib-python)"))
    return out


def model_cache_finding() -> Finding:
    from posecheck.model import provision as models
    folder = models.model_dir()
    return Finding("model cache", OK, f"{folder} (${models.ENV_MODEL_DIR} to change)"
                   + ("" if folder.is_dir() else ", not created yet"))


def model_finding(name: str) -> Finding:
    """One variant: is it cached, and does it load and run on a blank frame?"""
    from posecheck.model import provision as models
    item = f"model {name}"
    path = models.bundle_path(name)
    if not path.exists():
        return Finding(item, WARN, f"not cached ({path.name})",
                       f"posecheck models {name} (downloads or builds it once)")
    if not models.cached_bundle_ok(path):
        problem = models.bundle_problem(path) or "does not match the SHA-256 recorded beside it"
        return Finding(item, FAIL, f"cached bundle {path} is damaged: {problem}",
                       f"posecheck models {name} --force")
    problem = model_load_problem(path)
    if problem:
        return Finding(item, FAIL, f"cached bundle {path} does not load: {problem}",
                       f"posecheck models {name} --force")
    size_mb = path.stat().st_size / 1e6
    return Finding(item, OK, f"cached, loads ({size_mb:.1f} MB)")


def model_load_problem(path: Path) -> str:
    """Why the bundle does not build a landmarker that runs on a blank frame ("" if it does)."""
    from posecheck.core.errors import PosecheckError
    from posecheck.model.landmarks import model_load_error

    try:
        # A path, not the variant name: a path is checked, never fetched or built.
        exc = model_load_error(str(path))
    except PosecheckError as err:
        exc = err
    if exc is None:
        return ""
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def spec_findings() -> list[Finding]:
    """The spec folder in use and whether every spec in it (and in tuned/) validates."""
    from posecheck.specs import parse as specs
    from posecheck.core.errors import SpecError

    try:
        folder = specs.spec_dir()
    except SpecError as exc:
        return [Finding("specs", FAIL, str(exc).split(". Fix: ")[0],
                        str(exc).split(". Fix: ")[-1])]
    where = (f"from ${specs.ENV_SPECS}" if os.environ.get(specs.ENV_SPECS) else "bundled")
    files = sorted(folder.glob("*.toml"))
    tuned = sorted((folder / "tuned").glob("*.toml"))
    out: list[Finding] = []
    bad = 0
    for path in [*files, *tuned]:
        try:
            specs.load_spec(path)
        except SpecError as exc:
            bad += 1
            problem, _, fix = str(exc).partition(". Fix: ")
            out.append(Finding("spec", FAIL, problem, fix or "correct the file"))
    if not files:
        out.insert(0, Finding("specs", FAIL, f"{folder} ({where}): no <id>.toml specs",
                              f"point --specs / ${specs.ENV_SPECS} at a folder of specs, or "
                              "unset it to use the bundled ones"))
    elif bad:
        out.insert(0, Finding("specs", FAIL, f"{folder} ({where}): {bad} of "
                              f"{len(files) + len(tuned)} specs do not validate",
                              "correct the files named below"))
    else:
        out.insert(0, Finding("specs", OK, f"{folder} ({where}): {len(files)} specs, "
                              f"{len(tuned)} tuned copies, all valid"))
    return out


def chromium_finding() -> Finding:
    exe = os.environ.get(ENV_CHROMIUM) or DEFAULT_CHROMIUM
    found = exe if Path(exe).is_file() else shutil.which("chromium")
    if not found:
        return Finding("chromium", WARN, "not found (only the browser tests need it)",
                       f"bash scripts/browser.sh (Debian's chromium), or set {ENV_CHROMIUM}")
    if importlib.util.find_spec("playwright") is None:
        return Finding("chromium", WARN, f"{found}, but the playwright package is missing "
                       "(the browser tests drive Chromium with it)", "pip install playwright")
    return Finding("chromium", OK, f"{found} (for the browser tests)")


def ray_finding() -> Finding:
    """The optional ``ray`` extra (``posecheck analyze --executor ray``): absent is no fault."""
    if importlib.util.find_spec("ray") is None:
        return Finding("ray", NONE, "not installed (only --executor ray needs it: "
                       "pip install 'posecheck[ray]')")
    try:
        version = importlib.metadata.version("ray")
    except importlib.metadata.PackageNotFoundError:
        version = "version unknown"
    return Finding("ray", OK, f"{version} (for posecheck analyze --executor ray)")


def history_finding() -> Finding:
    """The session-history database, looked at read only (docs/HISTORY.md). A broken one is a
    warning: the page runs, it only cannot save sessions."""
    from posecheck.programme import database
    try:
        return Finding("history", OK, database.inspect())
    except database.HistoryError as exc:
        return Finding("history", WARN, str(exc).split(". Fix: ")[0],
                       str(exc).split(". Fix: ")[-1])


# ---------------------------------------------------------------------------- the report
def diagnose() -> tuple[list[Finding], list[str]]:
    """All findings, and the reasons the page cannot start (empty: it can)."""
    found = versions()
    blockers = [f"{f.item} is not installed" for f in found
                if f.item == "streamlit" and f.status == FAIL]
    from posecheck.model.provision import VARIANTS

    model_lines = [model_finding(name) for name in VARIANTS]
    if not any(f.status == OK for f in model_lines):
        blockers.append("no pose model loads")
        # With no model at all, a missing one is no longer a mere warning.
        model_lines = [replace(f, status=FAIL) for f in model_lines]
    found += [model_cache_finding(), *model_lines]
    spec_lines = spec_findings()
    found += spec_lines
    if any(f.status == FAIL for f in spec_lines):
        blockers.append("a spec is broken")
    found += [ray_finding(), chromium_finding(), history_finding()]
    return found, blockers


def run(args: argparse.Namespace) -> int:
    found, blockers = diagnose()
    for finding in found:
        print(finding.line())
    if blockers:
        print(f"result: FAIL, the page cannot start ({'; '.join(blockers)}). Fix: follow the "
              "FAIL lines above, then run posecheck doctor again")
        return 1
    print("result: ok, the page can start (posecheck page)")
    return 0
