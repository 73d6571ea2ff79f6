"""posecheck analyze when the trouble is not a video: the output folder, the model, the disk,
the worker processes, a second run (worker and CLI layer).

Fast tests use test_batch's fakes (no model); the slow ones start real worker processes.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from posecheck import batch
from posecheck.batch import files, stages
from posecheck.io import files as io_files

from fakes import fake_pipeline, make_video, run, summary_rows  # noqa: F401 - fixture

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "sample_videos"


def one_error_line(capsys) -> str:
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(err) == 1, err
    assert "Traceback" not in err[0]
    return err[0]


# ---------------------------------------------------------------------------- --out
@pytest.mark.parametrize("kind", ["a file", "under a file", "under /proc"])
def test_an_output_folder_that_cannot_be_written_stops_before_the_model(
        tmp_path, fake_pipeline, capsys, kind):
    a_file = tmp_path / "taken"
    a_file.write_text("x")
    out = {"a file": a_file, "under a file": a_file / "sub",
           "under /proc": Path("/proc/posecheck-test/out")}[kind]
    good = make_video(tmp_path / "good.mp4")
    status = batch.main([str(good), "--out", str(out), "--quiet", "--workers", "1",
                         "--stretch", "fake_stretch"])
    assert status == 2
    line = one_error_line(capsys)
    assert str(out) in line and "--out" in line and "choose" in line
    assert fake_pipeline["estimate"] == 0


def test_landmarks_output_that_cannot_be_written_is_one_line_before_the_model(
        tmp_path, capsys, monkeypatch):
    from posecheck.model import landmarks as model_landmarks
    from posecheck.cli import main

    monkeypatch.setattr(model_landmarks, "load_or_estimate",
                        lambda *a, **k: pytest.fail("ran the model for an unwritable -o"))
    a_file = tmp_path / "taken"
    a_file.write_text("x")
    good = make_video(tmp_path / "good.mp4")
    assert main(["landmarks", str(good), "-o", str(a_file), "--quiet"]) == 2
    line = one_error_line(capsys)
    assert str(a_file) in line and "-o" in line


@pytest.mark.parametrize("where", ["equal", "input inside out"])
def test_out_equal_to_or_holding_an_input_folder_is_refused(tmp_path, fake_pipeline, capsys,
                                                            where):
    rec = tmp_path / "recordings"
    rec.mkdir()
    make_video(rec / "a.mp4")
    other = make_video(tmp_path / "b.mp4")
    out = rec if where == "equal" else tmp_path
    status = batch.main([str(rec), str(other), "--out", str(out), "--quiet", "--workers", "1",
                         "--stretch", "fake_stretch"])
    assert status == 2
    line = one_error_line(capsys)
    assert str(rec) in line and "--out" in line
    assert not (rec / "a.json").exists() and fake_pipeline["estimate"] == 0


# ---------------------------------------------------------------------------- the disk
def test_a_full_disk_names_the_output_folder_and_stops_the_batch(tmp_path, fake_pipeline,
                                                                 monkeypatch, capsys):
    videos = [make_video(tmp_path / f"v{i}.mp4") for i in range(4)]
    real = io_files.atomic_write_bytes

    def full(path, data):
        if path.suffix == ".json" and path.name != "summary.json":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(path, data)

    monkeypatch.setattr(io_files, "atomic_write_bytes", full)
    status, out = run(tmp_path, *videos)
    err = capsys.readouterr().err
    assert status == 2
    assert str(out) in err and "full" in err and "Traceback" not in err
    assert err.count("No space left") == 1  # said once, not per video
    assert fake_pipeline["estimate"] <= 2  # stopped: the next video at most was prepared


# ---------------------------------------------------------------------------- a second run
def test_two_runs_sharing_an_output_folder_are_refused(tmp_path, fake_pipeline, capsys):
    out = tmp_path / "out"
    good = make_video(tmp_path / "good.mp4")
    with files.output_lock(out, "--out"):
        status, _ = run(tmp_path, good)
        assert status == 2
        line = one_error_line(capsys)
        assert str(out) in line and str(os.getpid()) in line
    status, _ = run(tmp_path, good)
    assert status == 0


def test_a_rerun_removes_temporary_files_left_by_a_killed_run(tmp_path, fake_pipeline):
    out = tmp_path / "out"
    out.mkdir()
    stale = [out / ".good.annotated.mp4.k2j3.tmp", out / ".good.json.x81.tmp"]
    for p in stale:
        p.write_bytes(b"half")
    status, _ = run(tmp_path, make_video(tmp_path / "good.mp4"))
    assert status == 0
    assert not any(p.exists() for p in stale)
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [".posecheck.lock"]


# ---------------------------------------------------------------------------- summary.csv
def test_summary_cells_cannot_start_a_spreadsheet_formula(tmp_path, fake_pipeline, monkeypatch):
    monkeypatch.chdir(tmp_path)
    make_video(tmp_path / "=cmd.mp4")
    make_video(tmp_path / "@sum.mp4")
    make_video(tmp_path / "+2-3.mp4")
    status, out = run(tmp_path, "=cmd.mp4", "@sum.mp4", "+2-3.mp4")
    assert status == 0
    text = (out / "summary.csv").read_text()
    cells = [c for line in text.splitlines()[1:] for c in line.split(",")]
    assert not [c for c in cells if c and c[0] in "=+-@"]
    assert "'=cmd.mp4" in text
    # The JSON keeps the real names.
    videos = [v["video"] for v in json.loads((out / "summary.json").read_text())["videos"]]
    assert "=cmd.mp4" in videos


# ---------------------------------------------------------------------------- the model
@pytest.mark.slow
def test_a_broken_model_is_named_once_before_the_batch(tmp_path, capsys):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from bad_inputs import broken_model

    model = broken_model(tmp_path / "broken.task")
    videos = [make_video(tmp_path / f"v{i}.mp4") for i in range(2)]
    out = tmp_path / "out"
    status = batch.main([*map(str, videos), "--out", str(out), "--model", str(model),
                         "--quiet", "--workers", "1", "--stretch", "camel"])
    assert status == 2
    err = capsys.readouterr().err
    assert "broken.task" in err and "Traceback" not in err
    assert "v0.mp4" not in err and not (out / "v0.json").exists()


# ---------------------------------------------------------------------------- processes
def _cmdline(pid: int) -> str:
    """A process's command line, "" once it has exited (a child can end between the listing
    and the read: seen on a fresh-clone CI run)."""
    try:
        return Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
    except OSError:
        return ""


def _children(pid: int) -> set[int]:
    kids = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            kids.add(int(stat.parent.name))
    return kids


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _start_batch(tmp_path: Path, extra: list[str]) -> tuple[subprocess.Popen, Path]:
    clips = sorted(SAMPLES.glob("*_good.mp4"))[:4]
    if len(clips) < 2:
        pytest.skip("sample_videos/*_good.mp4 not there")
    out = tmp_path / "out"
    proc = subprocess.Popen(
        [sys.executable, "-m", "posecheck", "analyze", *map(str, clips), "--out", str(out),
         "--workers", "2", "--quiet", "--model", "lite", "--no-cache", "--stretch", "auto",
         *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ, POSECHECK_CACHE_DIR=str(tmp_path / "cache")),
        # A test run started in the background by a shell (`cmd &`) ignores Ctrl-C, and an
        # ignored signal stays ignored in children: give the batch the terminal's default.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    return proc, out


@pytest.mark.slow
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_workers_exit_when_the_parent_is_killed(tmp_path):
    proc, out = _start_batch(tmp_path, [])
    workers: set[int] = set()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        # spawned workers (and multiprocessing's resource tracker) are children of the batch
        workers = {p for p in _children(proc.pid) if "spawn_main" in _cmdline(p)}
        if len(workers) >= 2:
            break
        time.sleep(0.2)
    assert len(workers) >= 2, "the batch never started its workers"
    time.sleep(3)  # mid-run: the workers are on their videos
    assert proc.poll() is None, proc.stderr.read()[-1000:]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(p) for p in workers):
        time.sleep(0.2)
    survivors = [p for p in workers if _alive(p)]
    for p in survivors:
        os.kill(p, signal.SIGKILL)
    assert not survivors, "orphaned workers kept running after the parent was killed"


@pytest.mark.slow
def test_ctrl_c_with_workers_leaves_no_hidden_annotated_video(tmp_path):
    proc, out = _start_batch(tmp_path, ["--annotate"])
    deadline = time.monotonic() + 180
    seen = False
    while time.monotonic() < deadline and proc.poll() is None:
        if out.is_dir() and any(p.name.startswith(".") and ".annotated.mp4." in p.name
                                 for p in out.iterdir()):
            seen = True
            break
        time.sleep(0.05)
    assert seen, "no annotated video was being written"
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err[-1000:]
    assert "Traceback" not in err
    left = sorted(p.name for p in out.iterdir() if p.name.startswith(".")
                  and p.name != files.LOCK_NAME)
    assert left == []


def test_help_documents_the_exit_statuses(capsys):
    from posecheck.cli import main

    with pytest.raises(SystemExit):
        main(["analyze", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for line in ("exit status: 0 every input was analysed", "1 some input failed",
                 "2 nothing was analysed, or the batch stopped", "130 interrupted"):
        assert line in text
    with pytest.raises(SystemExit):
        main(["landmarks", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "Exit status: 0 every file done; 1 some file could not be read" in text
    assert "2 nothing was done" in text
    with pytest.raises(SystemExit):
        batch.main(["--help"])
    assert "130  interrupted" in capsys.readouterr().out


# ---------------------------------------------------------------------------- timestamps
def test_odd_timestamps_counts_repeats_steps_back_and_jumps():
    from posecheck.io.video import odd_timestamps

    assert odd_timestamps([0, 33, 67, 100, 133], 30.0) == 0
    assert odd_timestamps([0, 33, 34, 35, 67], 30.0) == 2  # two frames bumped by 1 ms
    assert odd_timestamps([0, 33, 67, 600_000, 600_033], 30.0) == 1  # ten minutes ahead
    assert odd_timestamps([0, 1, 2], 0.0) == 0  # no frame rate: nothing to compare with


def test_broken_timestamps_are_a_warning_in_the_report(tmp_path, fake_pipeline, monkeypatch):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    import numpy as np

    from bad_inputs import _encode
    from posecheck.batch import landmarks
    from posecheck.io.video import iter_frames

    images = [np.full((48, 64, 3), 20 * i, np.uint8) for i in range(12)]
    stamps = [0, 100, 200, 200, 200, 200, 300, 400, 99000, 99100, 99200, 99300]
    clip = _encode(tmp_path / "clock.mkv", images, fps=10, codec="mpeg4", fmt="matroska",
                   stamps_ms=stamps)

    def estimate(video, model_path, info, on_frame=lambda n: None, **options):
        from posecheck.core.pose import PoseFrame

        return [PoseFrame.empty(t, info.width, info.height, index=i)
                for i, t, _ in iter_frames(video)], 1.0  # the real, repaired timestamps

    monkeypatch.setattr(landmarks, "estimate_frames", estimate)
    monkeypatch.setattr(stages, "complete_video", lambda job, p: stages.VideoResult(
        row={"warnings": stages.warnings_for(p.frames, p.info, job)}, ok=True))
    job = batch.Job(video=str(clip), slug="clock", out_dir=str(tmp_path / "out"),
                    model_path="m", model_label="lite", model_sha256="ab" * 32,
                    stretch="fake_stretch", use_cache=False)
    result = stages.analyze_video(job)
    assert any("timestamps were repeated, out of order or jumped ahead" in w
               for w in result.row["warnings"]), result.row


def test_a_video_with_an_image_name_is_read_as_a_video(tmp_path):
    from posecheck.io.video import VideoInfo, iter_frames

    clip = make_video(tmp_path / "clip.mp4", frames=5)
    named = tmp_path / "holiday.jpg"
    named.write_bytes(clip.read_bytes())
    info = VideoInfo.from_path(named)
    assert not info.is_image and info.frame_count == 5
    assert len(list(iter_frames(named))) == 5


def test_a_full_output_folder_in_a_worker_stops_the_parent():
    """A worker's background analysis cannot raise into the parent: it sends a "fatal"
    message, which the parent's loop turns back into the OutputError that stops the batch."""
    import queue as queue_module

    from posecheck.batch import parallel
    from posecheck.batch.progress import Progress
    from posecheck.core.errors import OutputError

    q = queue_module.Queue()
    q.put(("fatal", "v0", "the output folder out is full (No space left on device)", 0))
    with pytest.raises(OutputError, match="out is full"):
        parallel._drain(q, Progress(1, enabled=False, slots=1), set())
