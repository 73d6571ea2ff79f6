"""A routine on the live page in a real browser (browser layer), through to the progress page.

Headless Chromium with the real half-kneeling recording of the shared footage as the fake
webcam (converted to MJPEG at test time), a Streamlit server with ``POSECHECK_DB`` in a temp
folder. The test picks the daily psoas routine, runs its first step (the half-kneeling stretch)
with the camera until some valid seconds are counted, presses STOP, follows "See it on the
Progress page" and finds the session there; ``posecheck history list --json`` has it too, with
the routine's id and the step's target. The progress page's screenshot goes to
``$POSECHECK_SHOTS`` (default test-artifacts/).
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import browser_harness as bh  # noqa: E402
from conftest import footage_path  # noqa: E402

from posecheck.programme.routines import announcement, load_routine  # noqa: E402
from posecheck.specs.parse import load_spec  # noqa: E402

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CLIP = "footage/hip_flexor/hip_flexor_half_kneeling_oblique_nd.mp4"
ROUTINE = "daily_psoas"
SHOTS = Path(os.environ.get("POSECHECK_SHOTS", bh.ROOT / "test-artifacts"))
MAX_WATCH_S = 90.0  # s of wall time at most
ENOUGH_VALID_S = 4.0  # s counted before STOP


def history_rows(db: Path) -> list[dict]:
    import subprocess

    out = subprocess.run([sys.executable, "-m", "posecheck", "history", "list", "--json"],
                         env={**os.environ, "POSECHECK_DB": str(db)}, capture_output=True,
                         text=True, timeout=120, check=True)
    return json.loads(out.stdout)


def test_a_routine_step_with_the_camera_lands_on_the_progress_page(tmp_path, footage_dir):
    if bh.find_chromium() is None:
        pytest.skip("Chromium is not installed and could not be installed here")
    clip = footage_path(CLIP)
    if not clip.is_file():
        pytest.skip(f"{clip} not found")
    camera = bh.to_mjpeg(clip, tmp_path / "hk.mjpeg")
    db = tmp_path / "history.sqlite3"
    routine = load_routine(ROUTINE)
    first = routine.steps[0]
    spec = load_spec(first.stretch)
    SHOTS.mkdir(parents=True, exist_ok=True)
    valid = 0.0
    with bh.streamlit_server(env={"POSECHECK_DB": str(db)},
                             log=tmp_path / "streamlit.log") as url, bh.chromium(camera) as ctx:
        page = ctx.new_page()
        page.goto(url)
        bh.start_button(page).wait_for(timeout=60_000)
        sidebar = page.locator('[data-testid="stSidebar"]')
        sidebar.locator('[data-testid="stSelectbox"]').filter(has_text="Routine").click()
        page.get_by_role("option", name=routine.name).click()
        page.get_by_text(f"Now: step 1 of {len(routine.steps)}").wait_for(timeout=30_000)
        assert bh.start_with_voice(page, pause_ms=1500), "the stream did not start"
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        t0 = time.monotonic()
        while time.monotonic() - t0 < MAX_WATCH_S:
            page.wait_for_timeout(500)
            skip = page.get_by_role("button", name="Skip the set-up")
            if skip.count() and skip.first.is_visible():
                try:  # the set-up may pass on its own between the look and the click
                    skip.first.click(timeout=2000)
                except PlaywrightTimeout:
                    pass
            valid = bh.seconds(bh.metric_value(page, "Valid hold")) or 0.0
            if valid >= ENOUGH_VALID_S:
                break
        page.screenshot(path=str(SHOTS / "routine-step-live.png"))
        bh.click_stop(page)
        page.get_by_text("Saved to your history").wait_for(timeout=60_000)
        page.screenshot(path=str(SHOTS / "routine-step-saved.png"), full_page=True)
        page.get_by_role("link", name="See it on the Progress page").click()
        page.get_by_role("heading", name="Progress").wait_for(timeout=60_000)
        page.get_by_text(spec.name).first.wait_for(timeout=30_000)
        page.wait_for_timeout(2000)  # the plot image
        main = page.locator('[data-testid="stMain"]').inner_text()
        page.screenshot(path=str(SHOTS / "routine-progress.png"), full_page=True)
        spoken = page.evaluate("window.posecheckSpoken || []")
    # Ticking Speak cues read the step's sentence (once), then the live cues followed.
    said = announcement(first, spec.name, first=True)
    assert spoken and spoken[0] == said and spoken.count(said) == 1, spoken
    assert valid >= ENOUGH_VALID_S, f"only {valid} s counted in {MAX_WATCH_S} s"
    assert "Days with stretching" in main and "No sessions stored yet" not in main, main
    assert re.search(r"\b(left|right)\b", main), main  # the table's side rows
    rows = history_rows(db)
    assert rows and {r["stretch"] for r in rows} == {first.stretch}
    assert {r["routine"] for r in rows} == {ROUTINE}
    assert {r["target_s"] for r in rows} == {first.target_s}
    assert max(r["valid_hold_s"] for r in rows) >= ENOUGH_VALID_S - 1.0
    assert all(r["rom_metric"] == "stretched_hip_extension_deg" for r in rows)
    assert any(r["rom_deg"] is not None for r in rows)
