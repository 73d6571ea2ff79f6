"""The static index.html of a batch."""

from __future__ import annotations

import re

from posecheck.draw.html_report import render_index

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


def test_annotated_videos_have_a_poster_beside_them():
    page = render_index([dict(OK, annotated="a clip.annotated.mp4")])
    assert 'poster="a%20clip.annotated.poster.jpg"' in page


def test_write_poster_takes_a_frame_a_second_into_the_first_counted_hold(tmp_path):
    from types import SimpleNamespace

    import numpy as np

    from posecheck.draw.html_report import poster_index, poster_name, write_poster
    from posecheck.live.replay import VideoWriter

    video = tmp_path / "clip.annotated.mp4"
    writer = VideoWriter(video, 10, 64, 48)
    for i in range(30):
        writer.write(np.full((48, 64, 3), i * 8, np.uint8))
    writer.close()

    def report(phase, valid):
        return SimpleNamespace(hold=SimpleNamespace(phase=SimpleNamespace(value=phase)),
                               valid=valid)

    reports = [report("waiting", False)] * 5 + [report("holding", True)] * 25
    assert poster_index(reports, fps=10) == 15
    assert poster_index([report("waiting", False)] * 30, fps=10) == 15 // 1  # the middle
    # --sample-fps: every 3rd frame analysed; the poster is still a second of video frames in.
    sampled = [SimpleNamespace(index=3 * k, **vars(r)) for k, r in enumerate(
        [report("waiting", False)] * 2 + [report("holding", True)] * 8)]
    assert poster_index(sampled, fps=10) == 6 + 10
    write_poster(video, reports, fps=10)
    import cv2

    img = cv2.imread(poster_name(str(video)))
    assert img is not None and img.shape[:2] == (48, 64)
    assert abs(int(img.mean()) - 15 * 8) < 12  # frame 15, not the first or the last
