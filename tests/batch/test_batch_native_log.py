"""MediaPipe's native log lines stay out of the terminal of ``posecheck analyze`` (they go to
DIR/mediapipe.log) unless ``--verbose``; the progress and result lines still reach it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from media import sample_clip
from posecheck.batch.landmarks import NATIVE_LOG, native_log

NATIVE_MARKS = ("INFO: ", "WARNING: ", "W0000 ", "I0000 ")


def test_native_log_moves_fd2_and_restores_it(tmp_path, capfd):
    log = tmp_path / "native.log"
    with native_log(log):
        os.write(2, b"native line\n")
    os.write(2, b"after\n")
    assert log.read_text() == "native line\n"
    assert capfd.readouterr().err == "after\n"
    with native_log(None):
        os.write(2, b"verbose\n")
    assert capfd.readouterr().err == "verbose\n"


def analyze(clip: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "posecheck", "analyze", str(clip), "--stretch",
                           "cobra", "--model", "lite", "--workers", "1", "--out", str(out),
                           *extra], capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_analyze_keeps_mediapipe_lines_out_of_the_terminal_unless_verbose(tmp_path):
    clip = sample_clip("cobra_good", tmp_path)
    quiet = analyze(clip, tmp_path / "a")
    assert quiet.returncode == 0, quiet.stderr[-2000:]
    assert not [ln for ln in quiet.stderr.splitlines() if ln.startswith(NATIVE_MARKS)]
    assert "1 ok" in quiet.stderr + quiet.stdout
    said = (tmp_path / "a" / NATIVE_LOG).read_text()
    assert any(ln.startswith(NATIVE_MARKS) for ln in said.splitlines())
    loud = analyze(clip, tmp_path / "b", "--verbose")
    assert loud.returncode == 0
    assert [ln for ln in loud.stderr.splitlines() if ln.startswith(NATIVE_MARKS)]
    assert not (tmp_path / "b" / NATIVE_LOG).exists()
