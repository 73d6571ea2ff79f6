"""``posecheck analyze --sample-fps`` (worker layer): the option, the cache and resume keys,
the annotated video; the slow tests run the model on a sample clip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from posecheck import batch
from posecheck.batch import annotate
from posecheck.batch.jobs import Job
from posecheck.io.video import VideoInfo, iter_frames
from media import sample_clip

CLIP = "hk_good_left"  # 15 fps, 285 frames
SHORT_FRAMES = 60  # the slow tests use the clip's first 4 s (test time)


@pytest.fixture
def short_clip(tmp_path) -> Path:
    """The first SHORT_FRAMES frames of the sample clip, at its rate."""
    import cv2

    src = sample_clip(CLIP, tmp_path)
    fps = VideoInfo.from_path(src).fps
    out = tmp_path / "short.mp4"
    writer = None
    for index, _, bgr in iter_frames(src):
        if index >= SHORT_FRAMES:
            break
        if writer is None:
            writer = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"mp4v"), fps,
                                     (bgr.shape[1], bgr.shape[0]))
        writer.write(bgr)
    writer.release()
    return out


def job(**kw) -> Job:
    base = dict(video="v.mp4", slug="v", out_dir="out", model_path="m.task", model_label="lite",
                model_sha256="ab" * 32, stretch="half_kneeling_hip_flexor")
    return Job(**{**base, **kw})


@pytest.mark.parametrize("value", ["0", "-5", "abc", "nan", "inf", ""])
def test_invalid_sample_fps_is_a_usage_error(value, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        batch.main([str(tmp_path / "x.mp4"), "--sample-fps", value, "--out", str(tmp_path)])
    assert exit_.value.code == 2
    assert "--sample-fps" in capsys.readouterr().err


def test_sample_fps_argument_values():
    from posecheck.batch.cli import build_parser

    parse = build_parser().parse_args
    assert parse(["v.mp4", "--sample-fps", "7.5"]).sample_fps == 7.5
    assert parse(["v.mp4", "--sample-fps", "full"]).sample_fps is None


def test_options_name_the_rate_only_when_it_samples_the_video():
    info30 = VideoInfo(path="v.mp4", width=64, height=48, fps=30.0, frame_count=300,
                       duration_s=10.0)
    assert job().options_for(info30) == job().options
    assert job(sample_fps=30.0).options_for(info30) == job().options
    assert job(sample_fps=10.0).options_for(info30) == {**job().options, "sample_fps": 10.0}


def test_nearest_report_for_frames_the_model_did_not_see():
    class R:
        def __init__(self, index):
            self.index = index

    find = annotate.nearest_report([R(0), R(3), R(6)])
    assert [find(i).index for i in range(9)] == [0, 0, 3, 3, 3, 6, 6, 6, 6]  # ties: earlier
    assert annotate.nearest_report([])(4) is None


def _run(clip: Path, out: Path, *extra: str) -> int:
    return batch.main([str(clip), "--out", str(out), "--quiet", "--no-plots", "--workers", "1",
                       "--model", "lite", "--stretch", "half_kneeling_hip_flexor", *extra])


@pytest.mark.slow
def test_rate_at_or_above_the_video_rate_gives_todays_report_byte_for_byte(tmp_path,
                                                                          short_clip):
    clip = short_clip
    assert _run(clip, tmp_path / "a", "--no-cache") == 0
    assert _run(clip, tmp_path / "b", "--no-cache", "--sample-fps", "60") == 0
    slug = batch.make_slugs([clip])[0]
    assert (tmp_path / "a" / f"{slug}.json").read_bytes() == \
        (tmp_path / "b" / f"{slug}.json").read_bytes()


@pytest.mark.slow
def test_sampled_run_caches_per_rate_and_annotates_every_frame(tmp_path, short_clip):
    clip = short_clip
    cache = tmp_path / "cache"
    slug = batch.make_slugs([clip])[0]
    assert _run(clip, tmp_path / "five", "--cache-dir", str(cache), "--sample-fps", "5",
                "--annotate") == 0
    report = json.loads((tmp_path / "five" / f"{slug}.json").read_text())
    info = VideoInfo.from_path(clip)
    expected = [(i, t) for i, t, _ in iter_frames(clip, sample_fps=5)]
    assert [(e["index"], round(e["t_s"] * 1000)) for e in report["timeline"]] == expected
    assert report["fps"] == 5.0 and report["options"]["sample_fps"] == 5.0
    assert len(expected) < info.frame_count / 2
    # The annotated video has every frame of the clip, not only the analysed ones.
    annotated = list(iter_frames(tmp_path / "five" / f"{slug}.annotated.mp4"))
    assert len(annotated) == info.frame_count == SHORT_FRAMES
    assert [p.name for p in cache.iterdir()] and all(".fps5." in p.name
                                                     for p in cache.iterdir())
    # A full-rate run with the same cache is not served the 5 fps track.
    assert _run(clip, tmp_path / "full", "--cache-dir", str(cache)) == 0
    full = json.loads((tmp_path / "full" / f"{slug}.json").read_text())
    assert full["frames"] == info.frame_count and "sample_fps" not in full["options"]
    assert len(list(cache.iterdir())) == 2
