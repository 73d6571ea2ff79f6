"""--workers (posecheck.batch.parallel): worker processes, crashes that cost only their video, the
worker count.

Layer: worker (fakes) and, marked slow, real clips in worker processes.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from posecheck import batch

from conftest import footage_path
from fakes import run, summary_rows  # noqa: F401


SHORT_CLIPS = ("footage/negatives/neg_squat_side_kaiakol.mp4",
               "footage/lunge/lunge_forward_side_whitebg.mp4")


@pytest.mark.slow
def test_real_clips_serial_and_parallel_reports_are_identical(tmp_path, footage_dir):
    clips = [footage_path(c) for c in SHORT_CLIPS]
    outs = []
    for workers in ("1", "2"):
        out = tmp_path / f"out{workers}"
        status = batch.main([str(c) for c in clips] + [
            "--out", str(out), "--workers", workers, "--quiet", "--no-cache", "--no-plots",
            "--cache-dir", str(tmp_path / f"cache{workers}")])
        assert status == 0
        outs.append(out)
    for c, slug in zip(clips, batch.make_slugs(clips)):
        one = (outs[0] / f"{slug}.json").read_bytes()
        two = (outs[1] / f"{slug}.json").read_bytes()
        assert one == two, slug
        report = json.loads(one)
        assert report["frames"] > 0 and report["pose_frames"] > 0
        assert report["timeline"] and "sides" in report and "checks" in report


@pytest.mark.slow
def test_a_crashing_worker_costs_only_its_own_video(tmp_path, monkeypatch):
    """A worker process that dies (a native crash) is replaced; its video gets an error row
    after one retry on its own, the other videos are still analysed."""
    monkeypatch.setenv(batch.CRASH_TEST_ENV, "crashme")
    files = []
    for name in ("a.mp4", "crashme.mp4", "b.mp4"):
        files.append(tmp_path / name)
        files[-1].write_bytes(b"")  # unreadable: a quick error row, no model run
    out = tmp_path / "out"
    status = batch.main([str(f) for f in files] + ["--out", str(out), "--workers", "2",
                                                   "--quiet", "--stretch", "deep_lunge"])
    rows = {Path(r["video"]).name: r for r in summary_rows(out)}
    assert status == 1 and set(rows) == {"a.mp4", "crashme.mp4", "b.mp4"}
    assert "crashed" in rows["crashme.mp4"]["error"]
    for name in ("a.mp4", "b.mp4"):
        assert "crashed" not in rows[name]["error"] and name in rows[name]["error"]


@pytest.mark.slow
def test_a_worker_dying_in_its_background_analysis_costs_only_that_video(tmp_path):
    """Workers finish a video's analysis in a thread after handing it back; a crash there
    (when nothing is queued in the pool any more) is noticed too, and the other video
    completes. Run as a command with a time limit: not noticing it would mean waiting forever."""
    import shutil
    import subprocess
    import sys

    clip = Path(__file__).resolve().parents[2] / "sample_videos" / "camel_good.mp4"
    files = [tmp_path / "a.mp4", tmp_path / "crashme.mp4"]
    for f in files:
        shutil.copy(clip, f)
    out = tmp_path / "out"
    env = dict(os.environ, **{batch.CRASH_TEST_ENV: "crashme", batch.CRASH_STAGE_ENV: "complete"})
    proc = subprocess.run(
        [sys.executable, "-m", "posecheck", "analyze", *map(str, files), "--out", str(out),
         "--workers", "2", "--quiet", "--no-plots", "--stretch", "camel", "--model", "lite",
         "--cache-dir", str(tmp_path / "cache")], env=env, capture_output=True, text=True,
        timeout=300)
    rows = {Path(r["video"]).name: r for r in summary_rows(out)}
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert rows["a.mp4"]["status"] == "ok"
    assert rows["crashme.mp4"]["status"] == "error" and "crashed" in rows["crashme.mp4"]["error"]


def test_workers_option_takes_a_number_or_auto():
    import argparse

    assert batch.workers_arg("auto") == "auto" and batch.workers_arg("3") == 3
    for bad in ("0", "-1", "two"):
        with pytest.raises(argparse.ArgumentTypeError):
            batch.workers_arg(bad)


def test_auto_workers_is_one_per_core_but_never_more_than_videos(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    assert batch.worker_count("auto", 10) == 4
    assert batch.worker_count("auto", 3) == 3
    assert batch.worker_count("auto", 1) == 1  # one video: serial, no process start-up
    assert batch.worker_count(2, 1) == 1
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    assert batch.worker_count("auto", 100) == batch.MAX_AUTO_WORKERS


def test_parent_books_a_result_message_that_overtakes_its_deferred(tmp_path):
    """A worker's "done" message and the Deferred its call returned come by different
    channels; whichever arrives first, the video is finished once and nothing stays awaited
    (an awaited video that never comes back would keep the parent waiting forever)."""
    from posecheck.batch.parallel import Collector, Deferred
    from posecheck.batch.progress import Progress

    jobs = [batch.Job(video=f"{name}.mp4", slug=name, out_dir=str(tmp_path), model_path="m",
                      model_label="full", model_sha256="0", stretch="auto")
            for name in ("a", "b", "c")]
    pending, results = list(jobs), {}
    books = Collector(pending, results, Progress(3, enabled=False, slots=2),
                      {j.slug: j for j in jobs})
    ok = {name: batch.VideoResult(row={"video": name}, ok=True) for name in "abc"}

    books.came_back("a", ok["a"])          # the message first ...
    books.returned(jobs[0], Deferred("a"))  # ... then the call's return value
    books.returned(jobs[1], Deferred("b"))  # the usual order
    books.returned(jobs[2], ok["c"])        # finished inside the call (e.g. an error)
    assert books.deferred == {"b"} and pending == [jobs[1]]
    books.came_back("b", ok["b"])
    assert books.deferred == set() and pending == []
    assert results == ok
