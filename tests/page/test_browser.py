"""The live page in a real browser (browser layer): headless Chromium with a real clip as the
fake webcam, one page session watched for about a minute and judged on the story it tells.

The clip is the real half-kneeling hip-flexor recording of the shared footage, converted at
test time to the 640x480 MJPEG Chromium's fake camera plays (it loops the 18 s clip). The
session must show the set-up step, the countdown, counting, a paused hold and the switch; while
the panel says a hold is paused the valid seconds must not rise; the banner on the video must
have the panel's colour; the voice must stay under a stated rate; Stop must give the summary in
plain words with fault names. Screenshots of each state go to test-artifacts/ (git-ignored),
with the spoken-cue log (browser-spoken.txt).

Chromium is Debian's package (scripts/browser.sh installs it where it can); these tests are
skipped only where it cannot be installed, or without the shared footage.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import browser_harness as bh  # noqa: E402
from conftest import footage_path  # noqa: E402

from posecheck.specs.parse import load_spec  # noqa: E402
from posecheck.core.story import TONE_RGB  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = bh.ROOT / "test-artifacts"
CLIP = "footage/hip_flexor/hip_flexor_half_kneeling_oblique_nd.mp4"
SPEC = "half_kneeling_hip_flexor"
# Longest watch (s of wall time); it ends earlier once the switch to the other side is seen.
MAX_WATCH_S = 95.0
MIN_WATCH_S = 60.0
# Stated voice rate (spoken cues per minute of session, a countdown counted as one; the issue
# saw 15).
MAX_CUES_PER_MIN = 12.0
SHOT_STATES = ("framing", "get_ready", "counting", "paused", "tip", "switch")


@pytest.fixture(scope="module")
def chromium_ok() -> str:
    exe = bh.find_chromium()
    if exe is None:
        pytest.skip("Chromium is not installed and could not be installed here (scripts/"
                    "browser.sh needs root and apt-get); the browser tests need it")
    return exe


@pytest.fixture(scope="module")
def camera(tmp_path_factory, chromium_ok, footage_dir) -> Path:
    clip = footage_path(CLIP)
    if not clip.is_file():
        pytest.skip(f"{clip} not found")
    tmp = tmp_path_factory.mktemp("cams")
    return bh.to_mjpeg(clip, tmp / "hip_flexor.mjpeg")


@pytest.fixture(scope="module")
def server(chromium_ok):
    ARTIFACTS.mkdir(exist_ok=True)
    with bh.streamlit_server(log=ARTIFACTS / "browser-streamlit.log") as url:
        yield url


def banner_tone(page) -> str | None:
    """The tone (story.TONE_RGB) nearest to the banner's colour on the shown video frame."""
    rgb = bh.video_pixel(page, 0.005, 0.995)
    if rgb is None:
        return None
    # The banner is the tone at 80 % over the frame: compare against each tone so blended.
    def dist(tone):
        return sum(abs(c - 0.8 * t) for c, t in zip(rgb, TONE_RGB[tone]))
    best = min(TONE_RGB, key=dist)
    return best if dist(best) < 110 else None


@pytest.fixture(scope="module")
def session(server, camera) -> dict:
    """One page session: landing page, START with Speak cues on, watch, STOP, summary."""
    seen: dict = {"samples": [], "shots": {}, "landing": "", "summary": ""}
    with bh.chromium(camera) as ctx:
        page = ctx.new_page()
        page.goto(server)
        bh.start_button(page).wait_for(timeout=60_000)
        page.wait_for_timeout(1500)
        seen["landing"] = page.locator('[data-testid="stMain"]').inner_text()
        seen["sidebar"] = page.locator('[data-testid="stSidebar"]').inner_text()
        seen["picked"] = page.locator('[data-testid="stSidebar"] [data-testid="stSelectbox"]'
                                      ).filter(has_text=re.compile(r"^Stretch")).first.evaluate(
            "el => el.textContent + ' ' + [...el.querySelectorAll('input')]"
            ".map(i => i.value).join(' ')")
        seen["deploy"] = page.get_by_role("button", name=re.compile("deploy", re.I)).count()
        page.screenshot(path=str(ARTIFACTS / "browser-landing.png"))
        assert bh.start_with_voice(page, pause_ms=800), "the stream did not start"
        t0 = time.monotonic()
        while time.monotonic() - t0 < MAX_WATCH_S:
            page.wait_for_timeout(500)
            s = bh.story_panel(page)
            if s is None:
                continue
            s["t"] = time.monotonic() - t0
            s["valid"] = bh.seconds(bh.metric_value(page, "Valid hold")) or 0.0
            s["banner"] = banner_tone(page)
            seen["samples"].append(s)
            if s["state"] in SHOT_STATES and s["state"] not in seen["shots"]:
                path = ARTIFACTS / f"browser-{s['state']}.png"
                page.screenshot(path=str(path))
                seen["shots"][s["state"]] = path
            if s["state"] == "switch" and s["t"] >= MIN_WATCH_S:
                break
        seen["watched_s"] = time.monotonic() - t0
        frame = next(f for f in page.frames if "component" in (f.url or ""))
        seen["controls"] = frame.evaluate(
            "[...document.querySelectorAll('video')].some(v => v.controls)")
        seen["spoken"] = page.evaluate("window.posecheckSpoken || []")
        bh.click_stop(page)
        page.get_by_text("Session summary").wait_for(timeout=30_000)
        exp = page.get_by_text(re.compile(r"^Spoken cues \("))
        exp.first.wait_for(timeout=30_000)  # the last part of the summary, after the plot
        exp.first.click()
        page.wait_for_timeout(1000)
        page.screenshot(path=str(ARTIFACTS / "browser-summary.png"), full_page=True)
        seen["summary"] = page.locator('[data-testid="stMain"]').inner_text()
    (ARTIFACTS / "browser-spoken.txt").write_text("\n".join(seen["spoken"]) + "\n")
    (ARTIFACTS / "browser-summary.txt").write_text(seen["summary"])
    (ARTIFACTS / "browser-samples.json").write_text(json.dumps(seen["samples"], indent=1))
    return seen


def test_landing_page_first_impression(session):
    spec = load_spec(SPEC)
    assert spec.name in session["picked"]  # the half-kneeling stretch is the default
    assert "Stretch" in session["sidebar"] and "Tune thresholds" in session["sidebar"]
    assert "Try it on a sample video" in session["landing"]
    assert session["deploy"] == 0  # toolbar minimal


def test_the_session_shows_every_state(session):
    states = {s["state"] for s in session["samples"]}
    # the fake camera loops the clip: the person gets up at its end and kneels again, so
    # each pass is its own hold (none reaches the target) with "waiting" in between
    assert {"framing", "get_ready", "counting", "paused", "waiting"} <= states, states


def test_valid_seconds_do_not_rise_while_the_panel_says_not_counting(session):
    samples = session["samples"]
    rises = [(a, b) for a, b in zip(samples, samples[1:])
             if a["state"] == b["state"] == "paused" and a["reason"] == b["reason"] == "form"
             and b["valid"] > a["valid"] + 0.6]  # a flicker to counting between two polls
    total = sum(max(0.0, b["valid"] - a["valid"]) for a, b in zip(samples, samples[1:])
                if a["state"] == b["state"] == "paused")
    counted = sum(max(0.0, b["valid"] - a["valid"]) for a, b in zip(samples, samples[1:])
                  if a["state"] in ("counting", "tip") and b["state"] in ("counting", "tip"))
    assert not rises, rises
    assert counted > 3.0 and total <= 0.25 * counted, (total, counted)


def test_no_player_controls_over_the_banner(session):
    assert session["controls"] is False


def test_the_banner_has_the_panels_colour(session):
    judged = [s for s in session["samples"] if s["banner"] is not None]
    assert len(judged) >= 20
    agree = sum(s["banner"] == s["tone"] for s in judged)
    # The panel polls twice a second and the video moves on meanwhile: allow a few misses
    # at state changes, not a different story.
    assert agree >= 0.75 * len(judged), [(s["state"], s["tone"], s["banner"]) for s in judged]


def test_panel_and_phase_line_never_say_holding_out_of_position(session):
    for s in session["samples"]:
        if s["state"] in ("paused", "waiting"):
            assert "holding" not in s["phase"].lower(), s


def utterances(spoken: list[str]) -> list[str]:
    """Spoken cues with each countdown ("Get ready: 3", "2", "1") as the one cue it is."""
    out: list[str] = []
    for text in spoken:
        if text.strip().isdigit() and out and out[-1].startswith("Get ready"):
            out[-1] += f", {text.strip()}"
        else:
            out.append(text)
    return out


def test_utterances_join_a_countdown():
    assert utterances(["Get ready: 3", "2", "1", "Hold it", "2"]) == \
        ["Get ready: 3, 2, 1", "Hold it", "2"]


def test_voice_speaks_under_a_stated_rate(session):
    spoken = session["spoken"]
    minutes = session["watched_s"] / 60.0
    assert spoken, "nothing was spoken with Speak cues on"
    assert len(utterances(spoken)) <= MAX_CUES_PER_MIN * minutes, spoken
    assert "Hold it" in spoken or any(x.startswith("Get ready") for x in spoken)


def test_summary_in_plain_words_with_fault_names(session):
    spec = load_spec(SPEC)
    text = session["summary"]
    assert re.search(r"Left: \d+ (of 20 s held well|s held well in all), target (not )?reached",
                     text), text
    assert "Right: " in text
    lost = re.findall(r"most time lost to: ([^\n]*)", text)
    for line in lost:
        for c in spec.checks:
            assert f"{c.label} (" not in line, line  # the fault, not the pass label
    # each pass's hold ends when the person gets up at the clip's end ("ended early",
    # docs/TIMER.md rule 3); a hold still open when the session stops is "unfinished"
    assert len(re.findall(r"\bended early\b", text)) >= 2, text
    assert "completed" not in text, text  # no pass holds the 20 s
