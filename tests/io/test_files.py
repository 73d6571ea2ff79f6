"""The one atomic write (posecheck.io.files): readers see the old file or the whole new one,
and no temporary file outlives a write.

Layer: pure (files in a temporary folder).
"""

from __future__ import annotations

import os
import stat

import pytest

from posecheck.io import files


def test_atomic_write_keeps_old_file_when_interrupted(tmp_path, monkeypatch):
    target = tmp_path / "report.json"
    files.atomic_write_text(target, "old\n")

    def boom(src, dst):
        raise KeyboardInterrupt  # Ctrl-C just before the rename

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(KeyboardInterrupt):
        files.atomic_write_text(target, "new\n")
    assert target.read_text() == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temp file left


def test_written_files_are_shared_readable_and_folders_made(tmp_path):
    target = tmp_path / "a" / "b" / "x.bin"
    files.atomic_write_bytes(target, b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
    assert stat.S_IMODE(target.stat().st_mode) == files.FILE_MODE


def test_an_error_while_writing_removes_the_temporary_and_forgets_it(tmp_path):
    target = tmp_path / "x.txt"
    with pytest.raises(ValueError):
        with files.atomic_open(target) as fh:
            fh.write(b"half")
            raise ValueError("stop")
    assert list(tmp_path.iterdir()) == []
    assert not files._TEMPS


def test_temporaries_are_tracked_until_moved_and_a_stop_removes_them(tmp_path):
    tmp = files.make_temp(tmp_path / "clip.mp4")
    name = os.path.basename(tmp)
    assert name.startswith(".clip.mp4.") and files.is_temp_name(name)
    files.remove_own_temps()
    assert not os.path.exists(tmp)
    files.forget_temp(tmp)
    assert tmp not in files._TEMPS


@pytest.mark.parametrize("name, temp", [(".x.json.ab12.tmp", True), ("x.json.tmp", False),
                                        (".posecheck.lock", False), ("x.json", False)])
def test_temp_names(name, temp):
    assert files.is_temp_name(name) is temp
