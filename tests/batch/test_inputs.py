"""Inputs of a batch (posecheck.batch.inputs): paths, folders and globs to media files, and their
output names.

Layer: pure (files in tmp_path).
"""

from __future__ import annotations

import json
from pathlib import Path

from posecheck import batch
from posecheck.batch import annotate

from fakes import fake_pipeline, make_video, summary_rows  # noqa: F401


def test_expand_paths_files_folders_globs_and_missing(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "deep").mkdir()
    v1 = tmp_path / "a" / "one.mp4"
    v2 = tmp_path / "a" / "deep" / "two.MOV"
    img = tmp_path / "a" / "pic.jpg"
    txt = tmp_path / "a" / "notes.txt"
    for p in (v1, v2, img, txt):
        p.write_bytes(b"x")
    files, missing = batch.expand_paths([str(tmp_path / "a"), str(v1),
                                         str(tmp_path / "a" / "*.jpg"),
                                         str(tmp_path / "nope.mp4"),
                                         str(tmp_path / "*.avi")])
    assert sorted(f.name for f in files) == ["one.mp4", "pic.jpg", "two.MOV"]  # deduplicated
    assert [m[0] for m in missing] == [str(tmp_path / "nope.mp4"), str(tmp_path / "*.avi")]
    assert "does not exist" in missing[0][1] and "matches no" in missing[1][1]


def test_explicit_file_with_odd_extension_is_taken(tmp_path):
    odd = tmp_path / "clip.data"
    odd.write_bytes(b"x")
    files, missing = batch.expand_paths([str(odd)])
    assert files == [odd] and missing == []


def test_slugs_are_unique_and_readable(tmp_path):
    a = tmp_path / "lunge" / "clip.mp4"
    b = tmp_path / "bridge" / "clip.mp4"
    c = tmp_path / "bridge" / "my clip!.mp4"
    slugs = batch.make_slugs([a, b, c])
    assert slugs == ["lunge__clip", "bridge__clip", "my_clip"]
    assert len(set(batch.make_slugs([a, a]))) == 2


def test_output_folder_inside_the_input_folder_is_not_an_input(tmp_path, fake_pipeline):
    make_video(tmp_path / "clip.mp4")
    out = tmp_path / "out"
    argv = [str(tmp_path), "--out", str(out), "--quiet", "--stretch", "fake_stretch",
            "--cache-dir", str(tmp_path / "cache")]
    assert batch.main(argv + ["--annotate"]) in (0, 1)
    (out / "x").mkdir(parents=True, exist_ok=True)
    make_video(out / "x" / "clip.annotated.mp4")
    batch.main(argv)
    assert [Path(r["video"]).name for r in summary_rows(out)] == ["clip.mp4"]


def test_output_names_are_video_stems_with_folders_only_on_a_clash(tmp_path):
    a = tmp_path / "day1" / "lunge.mp4"
    b = tmp_path / "day2" / "lunge.mp4"
    c = tmp_path / "day2" / "summary.mp4"  # would overwrite the batch's summary.json
    d = tmp_path / "day1" / "bridge.MOV"
    assert batch.make_slugs([a, b, c, d]) == ["day1__lunge", "day2__lunge", "day2__summary",
                                              "bridge"]
