"""The batch summary and its index.html (posecheck.batch.summary).

Layer: worker (fake model and analysis).
"""

from __future__ import annotations

import json

from posecheck import batch
from posecheck.batch import summary

from fakes import fake_pipeline, make_video, run, summary_rows  # noqa: F401


def test_index_html_is_self_contained_with_relative_links(tmp_path, fake_pipeline):
    good = make_video(tmp_path / "good.mp4")
    bad = tmp_path / "bad file.mp4"
    bad.write_bytes(b"")
    _, out = run(tmp_path, good, bad)
    page = (out / "index.html").read_text()
    slug = batch.make_slugs([good])[0]
    assert slug == "good"  # DIR/<video stem>.json, .png
    assert f'src="{slug}.png"' in page
    assert str(tmp_path) not in page.replace(str(good), "").replace(str(bad), "")
    assert "<style>" in page and "http" not in page
    assert "bad file.mp4" in page and "status-error" in page


def test_console_prints_a_result_line_per_analysed_video(tmp_path, fake_pipeline, capsys):
    good = make_video(tmp_path / "good.mp4")
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"")
    out = tmp_path / "out"
    status = batch.main([str(good), str(bad), "--out", str(out), "--stretch", "fake_stretch",
                         "--cache-dir", str(tmp_path / "cache"), "--workers", "1", "--no-plots"])
    printed = capsys.readouterr()
    row = next(r for r in summary_rows(out) if r["status"] == "ok")
    left = float(row["left_valid_hold_s"])
    assert status == 1 and left > 0
    lines = printed.out.splitlines()
    assert f"good.mp4: fake_stretch, valid hold left {left:.1f} s, right 0.0 s" in lines
    assert not any(line.startswith("bad.mp4") for line in lines)  # no result line for it
    assert "bad.mp4 is empty" in printed.err  # its error, as before


def test_result_lines_say_photo_position_none_and_how_many_more():
    photo = {"video": "/x/a.jpg", "status": "ok", "stretch": "cobra", "frames": 1,
             "in_pose_frames": 0, "both_valid_hold_s": 0.0}
    video = {"video": "b.mp4", "status": "ok", "stretch": "cobra", "frames": 90,
             "both_valid_hold_s": 12.34, "warnings": "short; dark"}
    nothing = {"video": "c.mp4", "status": "ok", "stretch": "none", "frames": 90}
    failed = {"video": "d.mp4", "status": "error", "error": "unreadable"}
    assert summary.result_lines([photo, video, nothing, failed]) == [
        "a.jpg: cobra, photo: not in position",
        "b.mp4: cobra, valid hold 12.3 s (see the report's warnings)",
        "c.mp4: no stretch recognised (name one with --stretch ID)"]
    assert summary.result_line({**photo, "in_pose_frames": 1}).endswith("photo: in position")
    assert summary.result_line({**video, "warnings": "", "recognition_confidence": 0.8761}) == \
        "b.mp4: cobra (recognised, confidence 0.88), valid hold 12.3 s"
    bridge = {"video": "e.mp4", "status": "ok", "stretch": "glute_bridge", "frames": 90,
              "both_valid_hold_s": 4.0, "both_lifts": 6, "both_lifts_good_form": 5}
    assert summary.result_line(bridge) == \
        "e.mp4: glute_bridge, valid hold 4.0 s, 6 lifts (5 with good form)"
    many = summary.result_lines([video] * 5, limit=3)
    assert len(many) == 4 and many[-1] == "... and 2 more in summary.csv"
