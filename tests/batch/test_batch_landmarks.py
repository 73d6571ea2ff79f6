"""Landmarks of a batch video (posecheck.batch.landmarks over posecheck.model.landmarks).

Layer: slow (the real model on footage).
"""

from __future__ import annotations

import json

import pytest

from posecheck import batch

from conftest import footage_path

LUNGE_CLIP = "footage/lunge/lunge_forward_side_whitebg.mp4"  # short, side-on


@pytest.mark.slow
def test_huge_resolution_is_downscaled_for_the_model(tmp_path, footage_dir):
    """A 4K copy of a real clip: the model sees it shrunk, the report keeps 3840x2160."""
    import cv2

    src = cv2.VideoCapture(str(footage_path(LUNGE_CLIP)))
    big = tmp_path / "big.mp4"
    writer = cv2.VideoWriter(str(big), cv2.VideoWriter_fourcc(*"mp4v"), 10, (3840, 2160))
    for _ in range(12):
        ok, frame = src.read()
        assert ok
        writer.write(cv2.resize(frame, (3840, 2160)))
    writer.release()
    out = tmp_path / "out"
    status = batch.main([str(big), "--out", str(out), "--quiet", "--no-plots", "--stretch",
                         "deep_lunge", "--cache-dir", str(tmp_path / "cache")])
    assert status == 0
    report = json.loads((out / f"{batch.make_slugs([big])[0]}.json").read_text())
    assert report["video_info"]["width"] == 3840
    assert report["model_input"]["scale"] == pytest.approx(1280 / 3840, abs=1e-5)
    assert report["pose_frames"] >= 10
