"""Drive the live page in headless Chromium with a video file as a fake webcam.

Shared by tests/page/test_browser.py and benchmarks/live.py (Start-click measurement). Uses
Debian's ``chromium`` (Playwright cannot download its own browser here) through the Python
``playwright`` package, and a Streamlit server on a free localhost port.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Iterator

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("POSECHECK_CHROMIUM", "/usr/bin/chromium")
# Flags from docs/LIVE.md: headless, no GPU/sandbox (containers), no background traffic, and a
# fake camera that plays a file (granted without a permission prompt).
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
    "--allow-loopback-in-peer-connection", "--autoplay-policy=no-user-gesture-required",
]


def find_chromium() -> str | None:
    """Path of a usable Chromium, installing Debian's package with scripts/browser.sh if
    it is missing and we may; ``None`` when it cannot exist here."""
    if Path(CHROMIUM).is_file():
        return CHROMIUM
    found = shutil.which("chromium")
    if found:
        return found
    script = ROOT / "scripts" / "browser.sh"
    if script.is_file():
        subprocess.run(["bash", str(script)], check=False, timeout=900,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return shutil.which("chromium") or (CHROMIUM if Path(CHROMIUM).is_file() else None)


def to_mjpeg(video: Path, out: Path, size: tuple[int, int] = (640, 480),
             max_s: float | None = None, quality: int = 85) -> Path:
    """Convert a video to the MJPEG stream Chromium's fake camera plays (JPEGs back to back),
    letterboxed to ``size`` and resampled to 30 frames/s (the fake camera's rate)."""
    import av
    import cv2

    w, h = size
    frames: list[bytes] = []
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        step_ms = 1000.0 / 30.0
        next_ms = 0.0
        for frame in container.decode(stream):
            t_ms = float(frame.pts * stream.time_base * 1000) if frame.pts is not None \
                else next_ms
            if max_s is not None and t_ms > max_s * 1000:
                break
            if t_ms + 1e-6 < next_ms:
                continue  # drop: the source is faster than 30 fps
            img = frame.to_ndarray(format="bgr24")
            scale = min(w / img.shape[1], h / img.shape[0])
            nw, nh = int(round(img.shape[1] * scale)), int(round(img.shape[0] * scale))
            canvas = np.zeros((h, w, 3), np.uint8)
            x0, y0 = (w - nw) // 2, (h - nh) // 2
            canvas[y0:y0 + nh, x0:x0 + nw] = cv2.resize(img, (nw, nh),
                                                        interpolation=cv2.INTER_AREA)
            ok, jpg = cv2.imencode(".jpg", canvas, [cv2.IMWRITE_JPEG_QUALITY, quality])
            assert ok
            while next_ms <= t_ms + 1e-6:  # repeat frames when the source is slower
                frames.append(jpg.tobytes())
                next_ms += step_ms
    if not frames:
        raise ValueError(f"{video}: no frames decoded")
    tmp = out.with_name(out.name + ".part")
    tmp.write_bytes(b"".join(frames))
    tmp.replace(out)
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(env: dict[str, str] | None = None, log: Path | None = None,
                     app: Path = ROOT / "app.py") -> Iterator[str]:
    """Run ``app`` on a free port; yield its URL once /_stcore/health answers.

    The page saves each session to the history: unless ``env`` names a ``POSECHECK_DB``, the
    server gets one in a temporary folder (deleted after), never the user's own."""
    port = free_port()
    history_dir = tempfile.TemporaryDirectory(prefix="posecheck-history-")
    env = {"POSECHECK_DB": str(Path(history_dir.name) / "history.sqlite3"), **(env or {})}
    cmd = [sys.executable, "-m", "streamlit", "run", str(app),
           "--server.port", str(port), "--server.address", "127.0.0.1",
           "--server.headless", "true", "--browser.gatherUsageStats", "false",
           "--server.fileWatcherType", "none"]
    out = open(log, "w") if log else subprocess.DEVNULL
    proc = subprocess.Popen(cmd, cwd=ROOT, env={**os.environ, **env},
                            stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {proc.returncode} (log: {log})")
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("streamlit did not answer /_stcore/health within 60 s")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        if log:
            out.close()
        history_dir.cleanup()


@contextlib.contextmanager
def chromium(fake_camera: Path) -> Iterator[object]:
    """A headless Chromium (Playwright ``Browser``) whose webcam plays ``fake_camera``."""
    from playwright.sync_api import sync_playwright

    exe = find_chromium()
    if exe is None:
        raise RuntimeError("no Chromium")
    with tempfile.TemporaryDirectory(prefix="posecheck-chromium-") as profile, \
            sync_playwright() as pw:
        args = CHROMIUM_FLAGS + [
            f"--use-file-for-fake-video-capture={fake_camera.resolve()}",
        ]
        ctx = pw.chromium.launch_persistent_context(
            profile, executable_path=exe, headless=True, args=args,
            viewport={"width": 1400, "height": 1000})
        try:
            yield ctx
        finally:
            ctx.close()


def webrtc_frame(page):
    return page.frame_locator('iframe[title*="streamlit_webrtc"]')


def start_button(page):
    return webrtc_frame(page).get_by_role("button", name=re.compile(r"^start$", re.I))


def stop_button(page):
    return webrtc_frame(page).get_by_role("button", name=re.compile(r"^stop$", re.I))


def click_start(page, settle_s: float = 6.0, timeout_s: float = 20.0, progress=None) -> bool:
    """Click Start; ``True`` when the stream is still running ``settle_s`` after it began.

    A dropped click (the page going quietly back to Start, or a stream that stops moving)
    returns ``False``. ``progress(page) -> number``, when given, must grow during the
    settle time (e.g. the count of processed frames the page shows).
    """
    return start_outcome(page, settle_s, timeout_s, progress) == "ok"


def start_with_voice(page, pause_ms: int = 800) -> bool:
    """Turn on "Speak cues", then Start the stream; one retry if the first click is dropped
    (the Start-click fix makes that rare; the retry keeps a test about its own subject)."""
    page.get_by_text("Speak cues").click()
    page.wait_for_timeout(pause_ms)
    if click_start(page, settle_s=1.0):
        return True
    page.wait_for_timeout(1000)
    return click_start(page, settle_s=1.0)


def start_outcome(page, settle_s: float = 6.0, timeout_s: float = 20.0, progress=None) -> str:
    """Click Start and say what happened: ``"ok"``, ``"no stop button"`` (the click did not
    take), ``"back to start"`` (the stream ended by itself), ``"no frames"`` (none within
    ``timeout_s``) or ``"stalled"`` (frames stopped moving)."""
    # The previous stream's numbers can stay on the page for a moment after Start.
    before = progress(page) if progress is not None else None
    start_button(page).click(timeout=timeout_s * 1000)
    try:
        stop_button(page).wait_for(state="visible", timeout=timeout_s * 1000)
    except Exception:
        return "no stop button"
    first = None
    if progress is not None:  # wait for the first frames (model loading can take a while)
        deadline = time.monotonic() + timeout_s
        while ((first := progress(page)) <= 0 or first == before) \
                and time.monotonic() < deadline:
            if not stop_button(page).is_visible():
                return "back to start"
            time.sleep(0.3)
        if first <= 0 or first == before:
            return "no frames"
    deadline = time.monotonic() + settle_s
    while time.monotonic() < deadline:
        if not stop_button(page).is_visible():
            return "back to start"
        time.sleep(0.2)
    if not stop_button(page).is_visible():
        return "back to start"
    if progress is not None and progress(page) <= first:
        return "stalled"
    return "ok"


def frames_shown(page) -> int:
    """Processed frames according to the page's performance line (0 before it shows)."""
    texts = page.get_by_text(re.compile("frames/s processed")).all_inner_texts()
    m = re.search(r"of (\d+) frames", texts[0]) if texts else None
    return int(m.group(1)) if m else 0


def click_stop(page, timeout_s: float = 20.0) -> None:
    if stop_button(page).is_visible():
        stop_button(page).click(timeout=timeout_s * 1000)
    start_button(page).wait_for(state="visible", timeout=timeout_s * 1000)


def metric_value(page, label: str) -> str | None:
    """Text of the ``st.metric`` whose label contains ``label`` (None if absent)."""
    metric = page.locator('[data-testid="stMetric"]').filter(has_text=label)
    if metric.count() == 0:
        return None
    value = metric.first.locator('[data-testid="stMetricValue"]')
    return value.inner_text() if value.count() else None


def seconds(text: str | None) -> float | None:
    if text is None:
        return None
    m = re.search(r"(-?\d+(?:\.\d+)?)", text)
    return float(m.group(1)) if m else None


def story_panel(page) -> dict | None:
    """The live panel's story box: state, tone, reason, message and phase line (None before
    it shows)."""
    box = page.locator(".posecheck-story")
    if box.count() == 0:
        return None
    try:
        data = box.first.evaluate(
            "el => ({state: el.dataset.state, tone: el.dataset.tone, reason: el.dataset.reason,"
            " message: el.querySelector('.posecheck-message').innerText,"
            " phase: (document.querySelector('.posecheck-phase') || {innerText: ''}).innerText})",
            timeout=2000)
    except Exception:  # re-drawn between the count and the read
        return None
    return data


def video_pixel(page, fx: float, fy: float) -> tuple[int, int, int] | None:
    """RGB of the shown video frame at (fx, fy), fractions of its width and height, read by
    drawing the stream's current frame on a canvas inside the component's frame."""
    frame = next((f for f in page.frames if "streamlit_webrtc" in (f.url or "")
                  or "component" in (f.url or "")), None)
    if frame is None:
        return None
    try:
        rgb = frame.evaluate(
            """([fx, fy]) => {
                const vids = [...document.querySelectorAll('video')].filter(v => v.videoWidth);
                if (!vids.length) return null;
                const v = vids[vids.length - 1];
                const c = document.createElement('canvas');
                c.width = v.videoWidth; c.height = v.videoHeight;
                const g = c.getContext('2d');
                g.drawImage(v, 0, 0);
                const d = g.getImageData(Math.floor(fx * c.width), Math.floor(fy * c.height),
                                         1, 1).data;
                return [d[0], d[1], d[2]];
            }""", [fx, fy])
    except Exception:
        return None
    return tuple(rgb) if rgb else None
