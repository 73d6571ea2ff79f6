"""The static index.html of a batch."""

from __future__ import annotations

import re

from posecheck.html_report import render_index

OK = {"video": "/data/a clip.mp4", "status": "ok", "error": "", "stretch": "deep_lunge",
      "left_valid_hold_s": 31.2, "left_reps": 1, "right_valid_hold_s": 0.0, "right_reps": 0,
      "pass_front_knee_90": 0.875, "frames": 300, "pose_frames": 298, "width": 960,
      "height": 540, "fps": 30.0, "report": "a clip.json",
      "plot": "a clip.png", "annotated": ""}
BAD = {"video": "/data/<broken>.mp4", "status": "error",
       "error": "/data/<broken>.mp4: no video frame could be decoded", "report": "", "plot": ""}


def test_page_shows_each_video_with_numbers_and_plot():
    page = render_index([OK, BAD])
    assert page.startswith("<!DOCTYPE html>")
    assert 'src="a%20clip.png"' in page  # relative, URL-escaped
    assert "31.2" in page and "88%" in page and "deep_lunge" in page
    assert "2 inputs: 1 analysed, 1 failed" in page


def test_text_is_escaped():
    page = render_index([BAD])
    assert "<broken>" not in page and "&lt;broken&gt;" in page


def test_no_absolute_or_remote_links():
    page = render_index([OK, BAD])
    for link in re.findall(r'(?:href|src)="([^"]*)"', page):
        assert not link.startswith(("/", "http:", "https:", "file:")), link


def test_interrupted_batch_lists_pending_videos():
    page = render_index([OK], pending=["/data/next.mp4"])
    assert "Not done yet" in page and "/data/next.mp4" in page


def test_table_shows_paths_below_the_common_folder():
    rows = [dict(OK, video="/data/set/lunge/a.mp4"), dict(OK, video="/data/set/bridge/b.mp4")]
    page = render_index(rows)
    assert ">lunge/a.mp4</a>" in page and ">bridge/b.mp4</a>" in page
    assert "<h2>/data/set/lunge/a.mp4</h2>" in page  # the card keeps the full path
