"""The bad-input corpus: files a user (or a failing machine) hands posecheck, built at test
time with PyAV and OpenCV (no binary blobs in the repository), and a runner that feeds them,
with good files beside them, to ``posecheck analyze``, ``posecheck landmarks``, the page's
video path (``posecheck.io.uploads`` + ``live.replay.run_on_video``) and the live worker
(``live.webrtc.WebrtcFrameProcessor``).

For every (input, consumer) pair it records one outcome:

- ``ok``: handled; for a good file, its report is complete
- ``clear``: a user-facing error that names the file and says what to do
- ``unclear``: an error without the file's name or without a fix
- ``traceback``: an exception escaped (a traceback on the terminal or the page)
- ``partial``: a half-written or temporary file was left behind
- ``lost``: a good file without a complete report, or an input without any row or message

``python tests/bad_inputs.py [DIR]`` builds the corpus in DIR (default: a temporary folder),
runs everything and prints the counts; tests/test_bad_inputs.py asserts them. It uses the
lite model and clips of a few dozen frames.
"""

from __future__ import annotations

import collections
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
GOOD_SOURCE = ROOT / "sample_videos" / "camel_good.mp4"
GOOD_FRAMES = 24
STRETCH = "camel"
MODEL = "lite"
# Words of the fix in a clear message (each message names the file and one of these).
FIX_WORDS = ("re-encode", "give ", "check", "upload", "film", "save it", "choose", "pick",
             "split", "trim", "free ", "wait", "pass ", "rebuild", "use ", "copy", "fix")
HIDDEN_OK = {".posecheck.lock"}


# ============================================================================ the corpus
@dataclass(frozen=True)
class Case:
    name: str                 # path inside the corpus folder
    kind: str                 # what it is
    good: bool = False        # must give a complete report everywhere
    is_file: bool = True      # can be uploaded to the page / decoded for the live worker


def _good_frames() -> list[tuple[np.ndarray, float]]:
    import av

    frames = []
    with av.open(str(GOOD_SOURCE)) as c:
        for f in c.decode(video=0):
            frames.append((f.to_ndarray(format="bgr24"), float(f.time)))
            if len(frames) == GOOD_FRAMES:
                break
    return frames


def _encode(path: Path, frames: list[np.ndarray], fps: int = 15, codec: str = "libx264",
            fmt: str | None = None, stamps_ms: list[int] | None = None) -> Path:
    import av

    h, w = frames[0].shape[:2] if frames else (48, 64)
    with av.open(str(path), "w", format=fmt) as out:
        s = out.add_stream(codec, rate=fps)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        if codec == "mpeg4":
            s.codec_context.gop_size, s.codec_context.max_b_frames = 1, 0
        packets = []
        for img in frames:
            packets += list(s.encode(av.VideoFrame.from_ndarray(img, format="bgr24")))
        packets += list(s.encode())
        if not packets:
            out.start_encoding()  # the header alone: a video stream without frames
        for i, p in enumerate(packets):
            if stamps_ms is not None:
                p.pts = p.dts = int(round(stamps_ms[i] / 1000 / p.time_base))
            out.mux(p)
    return path


def _png_header(width: int, height: int) -> bytes:
    import struct
    import zlib

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = b"IHDR" + ihdr
    return (b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(ihdr)) + chunk
            + struct.pack(">I", zlib.crc32(chunk)))


def build_corpus(root: Path) -> list[Case]:
    """Write every case into ``root``; return them (good files first)."""
    import cv2

    from media import make_audio_only

    root.mkdir(parents=True, exist_ok=True)
    frames = _good_frames()
    images = [f for f, _ in frames]
    good = _encode(root / "good.mp4", images)
    data = good.read_bytes()
    (root / "other").mkdir(exist_ok=True)
    shutil.copy(good, root / "other" / "good.mp4")
    shutil.copy(good, root / "=HYPERLINK(1).mp4")
    cases = [Case("good.mp4", "good clip", good=True),
             Case("other/good.mp4", "good clip sharing a file name", good=True),
             Case("=HYPERLINK(1).mp4", "good clip, name starts with =", good=True)]

    def add(name: str, kind: str, writer: Callable[[Path], Any], is_file: bool = True) -> None:
        writer(root / name)
        cases.append(Case(name, kind, is_file=is_file))

    add("zero.mp4", "zero bytes", lambda p: p.write_bytes(b""))
    add("text.mp4", "text renamed .mp4", lambda p: p.write_text("not a video\n" * 40))
    add("header_only.mp4", "first 64 bytes of a video", lambda p: p.write_bytes(data[:64]))
    add("truncated.mp4", "first 40 % of a video", lambda p: p.write_bytes(data[: len(data) * 2 // 5]))

    def corrupt_middle(p: Path) -> None:
        b = bytearray(data)
        lo, hi = len(b) * 3 // 10, len(b) * 6 // 10
        b[lo:hi] = np.random.default_rng(3).integers(0, 256, hi - lo, np.uint8).tobytes()
        p.write_bytes(bytes(b))
    add("corrupt_middle.mp4", "noise over the middle of a video", corrupt_middle)
    add("audio_only.mp4", "audio stream only", make_audio_only)
    add("no_frames.mp4", "video stream without frames", lambda p: _encode(p, [], codec="mpeg4"))
    add("one_pixel.mp4", "1x1 video",
        lambda p: _encode(p, [np.full((1, 1, 3), 40 * i, np.uint8) for i in range(6)],
                          codec="mpeg4"))
    add("thin.mp4", "1-pixel-wide video",
        lambda p: _encode(p, [np.full((64, 1, 3), 40 * i, np.uint8) for i in range(6)],
                          codec="mpeg4"))
    add("single_frame.mp4", "one frame", lambda p: _encode(p, images[:1]))
    add("blank.mp4", "no person",
        lambda p: _encode(p, [np.full((48, 64, 3), 90, np.uint8)] * 6))
    stamps = [i * 66 for i in range(GOOD_FRAMES)]
    stamps[5:9] = [stamps[5]] * 4          # repeated
    stamps[14:] = [s + 600_000 for s in stamps[14:]]  # ten minutes ahead
    add("broken_timestamps.mkv", "repeated and jumping timestamps",
        lambda p: _encode(p, images, codec="mpeg4", fmt="matroska", stamps_ms=stamps))
    add("video_named.jpg", "a video with a .jpg name", lambda p: p.write_bytes(data))
    add("image_named.mp4", "a PNG with a .mp4 name",
        lambda p: p.write_bytes(cv2.imencode(".png", images[0])[1].tobytes()))
    add("huge_header.png", "PNG header announcing 100000x100000",
        lambda p: p.write_bytes(_png_header(100_000, 100_000) + b"\0" * 64))
    add("not_image.png", "text renamed .png", lambda p: p.write_text("<html>nope</html>\n"))
    add("noise.jpg", "JPEG magic then noise",
        lambda p: p.write_bytes(b"\xff\xd8\xff\xe0" + np.random.default_rng(4).integers(
            0, 256, 4000, np.uint8).tobytes()))
    add("folder.mp4", "a folder named like a video", lambda p: p.mkdir(exist_ok=True),
        is_file=False)
    add("broken_link.mp4", "a symlink to nothing",
        lambda p: p.symlink_to(root / "nowhere.mp4"), is_file=False)
    if os.geteuid() != 0:  # root reads anything
        def unreadable(p: Path) -> None:
            shutil.copy(good, p)
            p.chmod(0)
        add("unreadable.mp4", "no read permission", unreadable, is_file=False)
    return cases


def broken_model(path: Path) -> Path:
    """A .task bundle that passes the zip and CRC checks but holds a corrupt model."""
    from posecheck.model.provision import resolve_model

    src = resolve_model(MODEL, progress=False)
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            body = zin.read(item)
            if item.filename == "pose_landmarks_detector.tflite":
                body = body[:8] + b"\xde\xad\xbe\xef" * 1000
            zout.writestr(item.filename, body)
    return path


# ============================================================================ judging
@dataclass
class Outcomes:
    rows: list[tuple[str, str, str, str]] = field(default_factory=list)  # consumer, input, outcome, detail

    def add(self, consumer: str, name: str, outcome: str, detail: str = "") -> None:
        self.rows.append((consumer, name, outcome, detail))

    def counts(self) -> dict[str, int]:
        c = collections.Counter(o for _, _, o, _ in self.rows)
        # Rows about a whole run (its traceback, its leftovers) are outcomes, not inputs.
        tried = {(k, n) for k, n, _, _ in self.rows if not n.startswith("(")
                 and n != "summary.csv"}
        return {"inputs tried": len(tried), "ok": c["ok"], "clear errors": c["clear"],
                "unclear errors": c["unclear"], "tracebacks": c["traceback"],
                "partial files": c["partial"], "lost reports": c["lost"]}

    def bad(self) -> list[tuple[str, str, str, str]]:
        return [r for r in self.rows if r[2] not in ("ok", "clear")]


def is_clear(message: str, name: str) -> bool:
    """Names the file (its path or its base name) and says what to do."""
    text = message.lower()
    return (name.lower() in text or Path(name).name.lower() in text) and any(
        w in text for w in FIX_WORDS)


def leftovers(folder: Path) -> list[str]:
    """Temporary or half-written files in a folder (hidden files, .tmp, .part)."""
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.rglob("*")
                  if (p.name.startswith(".") and p.name not in HIDDEN_OK)
                  or p.suffix in (".tmp", ".part"))


def _cli(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "posecheck", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=900)


def _env(root: Path) -> dict[str, str]:
    return dict(os.environ, POSECHECK_CACHE_DIR=str(root / "cache"),
                PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT),
                                                         os.environ.get("PYTHONPATH")])))


# ============================================================================ consumers
def run_analyze(root: Path, cases: list[Case], res: Outcomes) -> None:
    out = root / "out_analyze"
    proc = _cli(["analyze", *[c.name for c in cases], "--out", out.name, "--model", MODEL,
                 "--stretch", STRETCH, "--workers", "1", "--quiet",
                 "--cache-dir", str(root / "cache")], root, _env(root))
    tb = "Traceback" in proc.stderr
    rows = {}
    if (out / "summary.json").is_file():
        rows = {r["video"]: r for r in json.loads((out / "summary.json").read_text())["videos"]}
    csv_text = (out / "summary.csv").read_text() if (out / "summary.csv").is_file() else ""
    injected = any(cell[:1] in "=+-@" for line in csv_text.splitlines()[1:]
                   for cell in line.split(",") if cell)
    left = leftovers(out)
    for c in cases:
        row = rows.get(c.name)
        if row is None:
            res.add("analyze", c.name, "lost", "no summary row")
        elif c.good:
            report = out / row.get("report", "")
            ok = (row["status"] == "ok" and report.is_file()
                  and json.loads(report.read_text()).get("status") == "ok"
                  and (out / row.get("plot", "-")).is_file())
            res.add("analyze", c.name, "ok" if ok else "lost", row.get("error", ""))
        elif row["status"] == "ok":
            res.add("analyze", c.name, "ok", row.get("warnings", ""))
        else:
            res.add("analyze", c.name, "clear" if is_clear(row["error"], c.name) else "unclear",
                    row["error"])
    if tb:
        res.add("analyze", "(the run)", "traceback", proc.stderr[-800:])
    if left:
        res.add("analyze", "(the run)", "partial", ", ".join(left))
    if injected:
        res.add("analyze", "summary.csv", "unclear", "a cell starts with = + - @")
    if proc.returncode != 1:
        res.add("analyze", "(exit status)", "unclear", f"{proc.returncode}, documented 1")


def run_landmarks(root: Path, cases: list[Case], res: Outcomes) -> None:
    out = root / "out_landmarks"
    proc = _cli(["landmarks", *[c.name for c in cases], "-o", out.name, "--model", MODEL,
                 "--quiet"], root, _env(root))
    outputs = {}
    for line in proc.stdout.splitlines():
        m = re.match(r"(.+?): .* -> (.+)$", line)
        if m:
            outputs[m.group(1)] = Path(m.group(2))
    errors = [line for line in proc.stderr.splitlines() if ": error: " in line]
    written = set()
    for c in cases:
        if c.name in outputs:
            target = outputs[c.name] if outputs[c.name].is_absolute() else root / outputs[c.name]
            fresh = target.is_file() and target not in written
            written.add(target)
            res.add("landmarks", c.name, "ok" if fresh else "lost",
                    "" if fresh else f"{target} missing or shared with another input")
            continue
        mine = [e for e in errors if re.search(rf"(^|[\s/]){re.escape(c.name)}(:|\s|$)", e)]
        if c.good or not mine:
            res.add("landmarks", c.name, "lost", "; ".join(mine) or "no output, no message")
        else:
            res.add("landmarks", c.name, "clear" if is_clear(mine[0], c.name) else "unclear",
                    mine[0])
    if "Traceback" in proc.stderr:
        res.add("landmarks", "(the run)", "traceback", proc.stderr[-800:])
    if leftovers(out):
        res.add("landmarks", "(the run)", "partial", ", ".join(leftovers(out)))
    if proc.returncode != 1:
        res.add("landmarks", "(exit status)", "unclear", f"{proc.returncode}, documented 1")


def run_environment(root: Path, res: Outcomes) -> None:
    """Problems outside the videos: each must stop at once, exit 2, one clear line."""
    env = _env(root)
    (root / "env").mkdir(exist_ok=True)
    as_file = root / "env" / "a_file"
    as_file.write_text("x")
    model = broken_model(root / "env" / "broken.task")
    common = ["--stretch", STRETCH, "--workers", "1", "--quiet"]
    trials = [
        ("analyze", "--out is a file", ["analyze", "good.mp4", "--out", str(as_file), *common],
         str(as_file)),
        ("analyze", "--out under /proc", ["analyze", "good.mp4", "--out", "/proc/posecheck/x",
                                          *common], "/proc/posecheck/x"),
        ("analyze", "--out is the input folder", ["analyze", "other", "--out", "other", *common],
         "other"),
        ("analyze", "--model is a broken bundle", ["analyze", "good.mp4", "other/good.mp4",
                                                   "--out", "env/o", "--model", str(model),
                                                   *common], "broken.task"),
        ("landmarks", "-o is a file", ["landmarks", "good.mp4", "-o", str(as_file), "--quiet"],
         str(as_file)),
        ("landmarks", "--model is a broken bundle", ["landmarks", "good.mp4", "-o", "env/lm",
                                                     "--model", str(model), "--quiet"],
         "broken.task"),
    ]
    for consumer, what, args, name in trials:
        proc = _cli(args, root, env)
        lines = [ln for ln in proc.stderr.splitlines() if ln.strip()]
        if "Traceback" in proc.stderr:
            res.add(consumer, what, "traceback", proc.stderr[-600:])
        elif proc.returncode == 2 and len(lines) == 1 and is_clear(lines[0], name):
            res.add(consumer, what, "clear", lines[0])
        else:
            res.add(consumer, what, "unclear", f"exit {proc.returncode}: {' | '.join(lines)[-400:]}")


class FakeUpload(io.BytesIO):
    """What Streamlit's file_uploader gives: bytes with a name, a size and an id."""

    def __init__(self, name: str, data: bytes) -> None:
        super().__init__(data)
        self.name, self.size, self.file_id = name, len(data), f"id{abs(hash(name))}"


def _page_path(upload: FakeUpload, processor: Any, out: Path) -> Any:
    """The page's video path: ``posecheck.io.uploads`` if there, else what app.py did before."""
    from posecheck.live import replay
    try:
        from posecheck.io import uploads
    except ImportError:
        tmp = Path(tempfile.gettempdir()) / f"posecheck-upload-{upload.file_id}"
        tmp.write_bytes(upload.getvalue())
        return replay.run_on_video(processor, tmp, out)
    with uploads.saved_upload(upload) as path:
        return replay.run_on_video(processor, path, out)


def run_page(root: Path, cases: list[Case], res: Outcomes) -> None:
    from posecheck.live import worker
    from posecheck.core.errors import PosecheckError

    tmp = root / "page_tmp"
    tmp.mkdir(exist_ok=True)
    old = tempfile.tempdir
    tempfile.tempdir = str(tmp)
    estimator = worker.load_estimator(MODEL)
    try:
        for c in (c for c in cases if c.is_file):
            out = root / "page_out" / f"{Path(c.name).name}.annotated.mp4"
            out.parent.mkdir(exist_ok=True)
            estimator.reset()
            processor = worker.LiveProcessor(STRETCH, MODEL, estimator=estimator,
                                           estimator_factory=lambda: estimator)
            upload = FakeUpload(Path(c.name).name, (root / c.name).read_bytes())
            try:
                summary = _page_path(upload, processor, out)
            except PosecheckError as exc:
                res.add("page", c.name, "lost" if c.good else
                        ("clear" if is_clear(str(exc), upload.name) else "unclear"), str(exc))
            except Exception as exc:  # noqa: BLE001 - a traceback on the page
                res.add("page", c.name, "traceback", f"{type(exc).__name__}: {exc}")
            else:
                complete = summary.frames > 0 and (out.is_file() or summary.frames == 0)
                res.add("page", c.name, "ok" if complete or not c.good else "lost",
                        f"{summary.frames} frames")
            left = [p.name for p in tmp.iterdir()] + leftovers(out.parent)
            if left:
                res.add("page", c.name, "partial", ", ".join(left))
                for p in tmp.iterdir():
                    p.unlink()
    finally:
        tempfile.tempdir = old
        estimator.close()


class _Unconvertible:
    """A camera frame the worker cannot turn into pixels."""

    pts, time_base, width, height = 0, Fraction(1, 90000), 64, 48

    def to_ndarray(self, format: str | None = None) -> np.ndarray:
        raise ValueError("Conversion from yuvj422p to bgr24 is not supported")

    def to_image(self) -> Any:
        raise ValueError("no image")


def run_live(root: Path, cases: list[Case], res: Outcomes) -> None:
    """The camera worker: frames of every decodable case, then odd frames, timestamp restarts."""
    import av

    from posecheck.live import webrtc, worker
    estimator = worker.load_estimator(MODEL)

    def adapter() -> Any:
        estimator.reset()
        return webrtc.WebrtcFrameProcessor(worker.LiveProcessor(
            STRETCH, MODEL, estimator=estimator, estimator_factory=lambda: estimator))

    def feed(name: str, frames: list[Any], check: Callable[[Any, int], str] | None = None) -> None:
        a = adapter()
        try:
            for f in frames:
                back = a.recv(f)
                if (back.width, back.height) != (f.width, f.height):
                    raise AssertionError(f"frame came back {back.width}x{back.height}")
        except Exception as exc:  # noqa: BLE001
            res.add("live", name, "traceback", f"{type(exc).__name__}: {exc}")
            return
        problem = check(a, len(frames)) if check else ""
        res.add("live", name, "lost" if problem else "ok", problem)

    try:
        for c in (c for c in cases if c.is_file):
            try:
                with av.open(str(root / c.name)) as container:
                    frames = [f for f in container.decode(video=0)][:GOOD_FRAMES]
            except (av.error.FFmpegError, ValueError, IndexError, OSError):
                continue  # not decodable: the camera would never send it
            if frames:
                feed(c.name, frames, lambda a, n: "" if a.processor.snapshot().frames == n
                     else f"{a.processor.snapshot().frames} of {n} frames processed")
        good = [f for f, _ in _good_frames()]

        def stamped(images: list[np.ndarray], pts: list[int | None]) -> list[Any]:
            out = []
            for img, p in zip(images, pts):
                f = av.VideoFrame.from_ndarray(img, format="bgr24")
                f.pts, f.time_base = p, Fraction(1, 90000)
                out.append(f)
            return out

        first = len(good) * 3 // 4  # 18 frames, 1.1 s; then the clock starts again at 0
        step = 6000  # 90 kHz ticks: 15 frames/s

        def restarted(a: Any, n: int) -> str:
            # A new session counts from the new clock; the old code bumped each frame 1 ms
            # past the old maximum, freezing the hold timer.
            t = a.processor.snapshot().t_ms
            return "" if t <= (n - first) * 67 else f"timeline not restarted (t_ms {t})"
        feed("timestamps restart at 0", stamped(good, [i * step for i in range(first)]
                                                 + [i * step for i in range(len(good) - first)]),
             restarted)
        feed("no timestamps", stamped(good[:4], [None] * 4))
        gray = av.VideoFrame.from_ndarray(np.zeros((48, 64), np.uint8), format="gray")
        gray.pts, gray.time_base = 0, Fraction(1, 90000)
        feed("grey frame", [gray])
        feed("1x1 frame", stamped([np.zeros((1, 1, 3), np.uint8)], [0]))
        a = adapter()
        try:
            a.recv(_Unconvertible())
            res.add("live", "unconvertible frame", "ok")
        except Exception as exc:  # noqa: BLE001
            res.add("live", "unconvertible frame", "traceback", f"{type(exc).__name__}: {exc}")
    finally:
        estimator.close()


def run_all(root: Path) -> Outcomes:
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    cases = build_corpus(root)
    res = Outcomes()
    run_analyze(root, cases, res)
    run_landmarks(root, cases, res)
    run_environment(root, res)
    run_page(root, cases, res)
    run_live(root, cases, res)
    return res


def main(argv: list[str]) -> int:
    root = Path(argv[0]) if argv else Path(tempfile.mkdtemp(prefix="posecheck-corpus-"))
    res = run_all(root)
    for consumer, name, outcome, detail in res.rows:
        print(f"{consumer:10s} {outcome:9s} {name:32s} {detail[:150]}")
    print(json.dumps(res.counts()))
    return 0 if not res.bad() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
