"""``posecheck analyze --executor ray`` on a real local Ray cluster (worker layer, slow), and
its usage errors (CLI layer, quick).

One cluster of two CPUs (``ray.init`` in this process, its temporary folder under /tmp with
a short name for Ray's Unix sockets) serves every test of the module and is shut down after
them, so no Ray process stays behind. The batch then runs in this process against it: two
actors, each a separate worker process with its own model.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

import pytest

from posecheck.batch import main
from posecheck.batch.cluster import ACTOR_NAME

ray = pytest.importorskip("ray")

ROOT = Path(__file__).resolve().parents[2]
CLIPS = [ROOT / "sample_videos" / "camel_good.mp4",
         ROOT / "sample_videos" / "hk_oblique_right.mp4"]
MODEL = "lite"  # the runner is under test, not the model: the fastest one
# Files that legitimately differ between two runs: MediaPipe's own log (pointer values and
# thread ids) and the lock file (the pid of the run). Everything else must be byte-identical.
NOT_COMPARED = {"mediapipe.log", ".posecheck.lock"}


@pytest.fixture(scope="module")
def cluster():
    temp = tempfile.mkdtemp(prefix="pcray", dir="/tmp")
    ray.init(num_cpus=2, _temp_dir=temp, include_dashboard=False, log_to_driver=False,
             logging_level="WARNING")
    try:
        yield
    finally:
        ray.shutdown()
        shutil.rmtree(temp, ignore_errors=True)


def outputs(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())
            if p.is_file() and p.name not in NOT_COMPARED}


def analyze(out: Path, cache: Path, *extra: str) -> int:
    return main([*map(str, CLIPS), "--model", MODEL, "--out", str(out), "--cache-dir",
                 str(cache), "--no-cache", "--quiet", *extra])


@pytest.fixture(scope="module")
def serial_dir(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("serial")
    assert analyze(base / "out", base / "cache", "--workers", "1") == 0
    return base / "out"


@pytest.fixture(scope="module")
def serial(serial_dir) -> dict[str, bytes]:
    return outputs(serial_dir)


@pytest.mark.slow
def test_ray_outputs_are_byte_identical_to_a_serial_run(cluster, serial, tmp_path) -> None:
    assert analyze(tmp_path / "out", tmp_path / "cache", "--executor", "ray") == 0
    got = outputs(tmp_path / "out")
    assert {"camel_good.json", "hk_oblique_right.json", "summary.csv",
            "camel_good.png"} <= set(got)
    assert sorted(got) == sorted(serial)
    assert [n for n in got if got[n] != serial[n]] == []


@pytest.mark.slow
def test_ray_resumes_a_serial_batch(cluster, serial_dir, serial, tmp_path) -> None:
    out = tmp_path / "out"
    shutil.copytree(serial_dir, out)
    (out / "camel_good.png").unlink()
    assert analyze(out, tmp_path / "cache", "--executor", "ray") == 0
    summary = (out / "summary.csv").read_text().splitlines()
    skipped = summary[0].split(",").index("skipped")
    assert [line.split(",")[skipped] for line in summary[1:]] == ["True", "True"]
    assert (out / "camel_good.png").read_bytes()[:4] == b"\x89PNG"  # the missing plot redrawn
    assert (out / "camel_good.json").read_bytes() == serial["camel_good.json"]


@pytest.mark.slow
def test_an_actor_killed_mid_video_costs_no_report(cluster, serial, tmp_path) -> None:
    status: list[int] = []
    batch = threading.Thread(target=lambda: status.append(
        analyze(tmp_path / "out", tmp_path / "cache", "--executor", "ray")))
    batch.start()
    killed = None
    deadline = time.monotonic() + 60
    while killed is None and batch.is_alive() and time.monotonic() < deadline:
        for i in range(2):
            try:
                actor = ray.get_actor(ACTOR_NAME.format(i))
                state = ray.get(actor.progress.remote(), timeout=2)
            except (ValueError, ray.exceptions.RayError):
                continue
            if state is not None and state[1] > 0:  # frames of a video through the model
                os.kill(ray.get(actor.pid.remote(), timeout=2), signal.SIGKILL)
                killed = state[0]
                break
        time.sleep(0.1)
    batch.join(timeout=120)
    assert killed is not None, "no actor was seen mid-video"
    assert status == [0]
    got = outputs(tmp_path / "out")
    assert [n for n in serial if got.get(n) != serial[n]] == []


@pytest.mark.parametrize("extra, said", [
    (["--address", "127.0.0.1:1"], "--address needs --executor ray"),
    (["--executor", "ray", "--save-history"], "--save-history is not available"),
])
def test_usage_errors_exit_2_and_create_nothing(extra, said, tmp_path, capsys) -> None:
    out = tmp_path / "out"
    assert main([str(CLIPS[0]), "--out", str(out), *extra]) == 2
    assert said in capsys.readouterr().err
    assert not out.exists()
