"""``posecheck landmarks`` and ``posecheck models`` from the command line."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from posecheck.cli import main
from conftest import footage_path

LUNGE = "footage/lunge/lunge_reverse_side_nowva.mp4"
PHOTO = "footage/hip_flexor/hip_flexor_half_kneeling_side_steve.jpg"


@pytest.fixture
def cache_env(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "lmcache"
    monkeypatch.setenv("POSECHECK_CACHE_DIR", str(d))
    return d


@pytest.fixture
def bad_files(tmp_path) -> dict[str, Path]:
    zero = tmp_path / "zero.mp4"
    zero.touch()
    text = tmp_path / "text.mp4"
    text.write_text("not a video\n")
    return {"zero": zero, "text": text, "missing": tmp_path / "missing.mp4"}


def test_help_lists_the_options(capsys):
    with pytest.raises(SystemExit) as info:
        main(["landmarks", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for flag in ("-o DIR", "--model", "--no-cache", "--quiet", "VIDEO"):
        assert flag in out


def test_bad_files_get_error_lines_and_exit_1(tmp_path, bad_files, cache_env, capsys):
    noise = tmp_path / "noise.png"
    import cv2
    cv2.imwrite(str(noise), np.random.default_rng(1).integers(0, 256, (120, 160, 3), np.uint8))
    args = ["landmarks", *map(str, bad_files.values()), str(noise), "-o", str(tmp_path / "out"),
            "--model", "lite", "--quiet"]
    assert main(args) == 1
    captured = capsys.readouterr()
    for name in ("zero.mp4", "text.mp4", "missing.mp4"):
        assert name in captured.err
    assert "Traceback" not in captured.err
    # The good (if empty) file still ran: an empty result with its reason.
    assert "noise.png: 0/1 frames with a pose (no person detected" in captured.out
    assert (tmp_path / "out" / "noise.lite.landmarks.jsonl.gz").is_file()
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["noise.lite.landmarks.jsonl.gz"]


def test_bad_model_path_is_one_clear_error(tmp_path, capsys):
    code = main(["landmarks", str(tmp_path / "x.mp4"), "-o", str(tmp_path),
                 "--model", str(tmp_path / "mine.task")])
    assert code == 2
    assert "mine.task does not exist" in capsys.readouterr().err


@pytest.mark.slow
def test_truncated_video_reports_decoded_frames(footage_dir, tmp_path, cache_env, capsys):
    src = footage_path(LUNGE).read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(src[: len(src) // 8])
    assert main(["landmarks", str(cut), "-o", str(tmp_path / "out"), "--quiet"]) == 0
    out = capsys.readouterr().out
    assert "of 961 announced frames decoded" in out


@pytest.mark.slow
def test_no_traceback_from_a_real_process(footage_dir, tmp_path, bad_files, cache_env):
    env = {**os.environ, "POSECHECK_CACHE_DIR": str(cache_env)}
    proc = subprocess.run(
        [sys.executable, "-m", "posecheck.cli", "landmarks", str(bad_files["text"]),
         str(footage_path(PHOTO)), "-o", str(tmp_path / "out"), "--quiet"],
        capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "text.mp4" in proc.stderr and "not a readable video" in proc.stderr
    assert "1/1 frames with a pose" in proc.stdout


@pytest.mark.slow
def test_lunge_clip_end_to_end_and_cached(footage_dir, tmp_path, tmp_path_factory, capsys,
                                          monkeypatch):
    # The landmark cache test_estimator.py also uses: the clip is estimated once per session.
    cache_env = tmp_path_factory.getbasetemp() / "lunge-landmark-cache"
    monkeypatch.setenv("POSECHECK_CACHE_DIR", str(cache_env))
    out_dir = tmp_path / "lm"
    assert main(["landmarks", str(footage_path(LUNGE)), "-o", str(out_dir), "--model", "lite",
                 "--quiet"]) == 0
    line = capsys.readouterr().out
    assert "/961 frames with a pose" in line
    out = out_dir / "lunge_reverse_side_nowva.lite.landmarks.jsonl.gz"
    with gzip.open(out, "rt") as fh:
        lines = fh.read().splitlines()
    assert len(lines) == 1 + 961
    assert json.loads(lines[0])["frame_count"] == 961
    assert len(list(cache_env.glob("*.landmarks.jsonl.gz"))) == 1

    # Second run: served from the cache (the model is not run: estimate_video is not called).
    import posecheck.model.landmarks as lm
    monkeypatch.setattr(lm, "estimate_video",
                        lambda *a, **k: pytest.fail("estimated again despite the cache"))
    assert main(["landmarks", str(footage_path(LUNGE)), "-o", str(out_dir), "--model", "lite",
                 "--quiet"]) == 0


def test_outputs_sharing_a_file_name_get_their_folder_in_front(tmp_path, monkeypatch, capsys):
    """a/clip.mp4 and b/clip.mp4 used to write the same landmark file; they are named as
    analyze names its reports (posecheck.batch.inputs.make_slugs)."""
    from posecheck.model import cache
    from posecheck.model import landmarks as lm
    from posecheck.core.pose import PoseFrame
    from posecheck.io.video import VideoInfo

    def fake(video, model, **kw):
        info = VideoInfo(path=video, width=64, height=48, fps=10.0, frame_count=2,
                         duration_s=0.2)
        frames = tuple(PoseFrame.empty(100 * i, 64, 48, index=i) for i in range(2))
        return cache.LandmarkTrack(info=info, frames=frames, model="lite",
                                   video_sha256=str(video), model_sha256="ab" * 32)

    monkeypatch.setattr(lm, "load_or_estimate", fake)
    videos = []
    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
        videos.append(tmp_path / folder / "clip.mp4")
        videos[-1].write_bytes(b"x")
    out = tmp_path / "out"
    assert main(["landmarks", *map(str, videos), "-o", str(out), "--model", "lite",
                 "--quiet"]) == 0
    names = sorted(p.name for p in out.iterdir())
    assert names == ["a__clip.lite.landmarks.jsonl.gz", "b__clip.lite.landmarks.jsonl.gz"]
    loaded = {cache.LandmarkTrack.load(out / n).video_sha256 for n in names}
    assert loaded == {str(v) for v in videos}
