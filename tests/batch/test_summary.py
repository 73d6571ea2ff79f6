"""The batch summary and its index.html (posecheck.batch.summary).

Layer: worker (fake model and analysis).
"""

from __future__ import annotations

import json

from posecheck import batch

from fakes import fake_pipeline, make_video, run  # noqa: F401


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
