"""``posecheck doctor`` (CLI layer): every item is named, a good setup exits 0, and a setup
the page cannot start on exits 1 with the model or spec at fault and its fix. Nothing here
may fetch or build a model: provisioning is made to fail the test if it is reached."""

from __future__ import annotations

import importlib.metadata
import json
import shutil
import zipfile
from pathlib import Path

import pytest

from posecheck import cli

from posecheck.model import provision as models
from posecheck.model.provision import BUNDLE_MEMBERS, VARIANTS, bundle_path, cached_bundle_ok, sha256_file
from posecheck.specs.parse import bundled_spec_dir

ITEMS = ("python", "posecheck", "mediapipe", "opencv", "numpy", "streamlit", "streamlit-webrtc",
         "av", "model cache", "model lite", "model full", "model heavy", "specs", "ray",
         "chromium", "history")


@pytest.fixture(autouse=True)
def own_history(monkeypatch, tmp_path):
    monkeypatch.setenv("POSECHECK_DB", str(tmp_path / "history.sqlite3"))


@pytest.fixture(autouse=True)
def no_provisioning(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("posecheck doctor tried to fetch or build a model")

    monkeypatch.setattr(models, "_provision", refuse)


def doctor(capsys, *args: str) -> tuple[int, dict[str, str], str]:
    """Exit status, {item: its line}, and the result line."""
    status = cli.main(["doctor", *args])
    out = capsys.readouterr().out.splitlines()
    lines = {}
    for line in out[:-1]:
        item = line[:17].strip()
        lines.setdefault(item, line)
    return status, lines, out[-1]


def corrupt_bundle(folder: Path, name: str) -> Path:
    """A cache entry that passes every check short of loading: a zip with both members (not
    models) and the matching SHA-256 record, as a bad build would leave it."""
    path = folder / f"pose_landmarker_{name}.task"
    with zipfile.ZipFile(path, "w") as zf:
        for member in BUNDLE_MEMBERS:
            zf.writestr(member, b"not a flatbuffer " * 64)
    record = {"file": path.name, "sha256": sha256_file(path), "source": "test"}
    path.with_name(path.name + ".json").write_text(json.dumps(record))
    return path


@pytest.mark.slow
def test_good_setup_exits_0_and_names_every_item(capsys):
    if not any(cached_bundle_ok(bundle_path(v)) for v in VARIANTS):
        pytest.skip("no pose model cached (bash scripts/setup.sh caches lite and full)")
    status, lines, result = doctor(capsys)
    assert status == 0, "\n".join([*lines.values(), result])
    assert list(lines) == list(ITEMS)
    assert "ok" in result and "FAIL" not in "".join(lines.values())
    loaded = [v for v in VARIANTS if "cached, loads" in lines[f"model {v}"]]
    assert loaded == [v for v in VARIANTS if cached_bundle_ok(bundle_path(v))]
    assert str(bundled_spec_dir()) in lines["specs"] and "all valid" in lines["specs"]
    assert importlib.metadata.version("ray") in lines["ray"]  # the lock installs the extra


def test_empty_model_cache_exits_1_naming_each_model_and_its_fix(capsys, monkeypatch,
                                                                  tmp_path):
    monkeypatch.setenv(models.ENV_MODEL_DIR, str(tmp_path))
    status, lines, result = doctor(capsys)
    assert status == 1
    assert "no pose model loads" in result
    assert str(tmp_path) in lines["model cache"]
    for name in VARIANTS:
        assert "FAIL not cached" in lines[f"model {name}"]
        assert lines[f"model {name}"].endswith(f"Fix: posecheck models {name} (downloads or "
                                               "builds it once)")
    assert list(tmp_path.iterdir()) == []  # nothing was written to the cache


def test_damaged_cache_entry_is_named_with_its_fix(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv(models.ENV_MODEL_DIR, str(tmp_path))
    (tmp_path / "pose_landmarker_full.task").write_bytes(b"half a download")
    status, lines, _ = doctor(capsys)
    assert status == 1
    assert "FAIL" in lines["model full"] and "damaged" in lines["model full"]
    assert lines["model full"].endswith("Fix: posecheck models full --force")


@pytest.mark.slow
def test_corrupt_model_that_does_not_load_exits_1(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv(models.ENV_MODEL_DIR, str(tmp_path))
    corrupt_bundle(tmp_path, "lite")
    status, lines, result = doctor(capsys)
    assert status == 1 and "no pose model loads" in result
    line = lines["model lite"]
    assert "FAIL" in line and "does not load" in line and str(tmp_path) in line
    assert line.endswith("Fix: posecheck models lite --force")


@pytest.mark.slow
def test_one_loading_model_is_enough_for_the_page(capsys, monkeypatch, tmp_path):
    lite = bundle_path("lite")
    if not cached_bundle_ok(lite):
        pytest.skip("the lite model is not cached")
    monkeypatch.setenv(models.ENV_MODEL_DIR, str(tmp_path))
    shutil.copy(lite, tmp_path / lite.name)
    shutil.copy(lite.with_name(lite.name + ".json"), tmp_path)
    corrupt_bundle(tmp_path, "full")
    status, lines, result = doctor(capsys)
    assert status == 0, result
    assert "cached, loads" in lines["model lite"]
    assert "FAIL" in lines["model full"] and "does not load" in lines["model full"]
    assert "warn not cached" in lines["model heavy"]


def test_broken_spec_exits_1_naming_file_field_and_fix(capsys, monkeypatch, tmp_path):
    monkeypatch.setenv(models.ENV_MODEL_DIR, str(tmp_path / "models"))
    specs = tmp_path / "specs"
    specs.mkdir()
    shutil.copy(bundled_spec_dir() / "deep_lunge.toml", specs)
    text = (bundled_spec_dir() / "cobra.toml").read_text().replace('id = "cobra"',
                                                                    'id = "cobra"\nbogus = 1')
    (specs / "cobra.toml").write_text(text)
    status, lines, result = doctor(capsys, "--specs", str(specs))
    assert status == 1 and "a spec is broken" in result
    assert "FAIL" in lines["specs"] and "1 of 2 specs" in lines["specs"]
    assert str(specs / "cobra.toml") in lines["spec"] and "bogus" in lines["spec"]
    assert "Fix:" in lines["spec"]


def test_history_line_reads_the_database_without_changing_it(capsys, monkeypatch, tmp_path):
    from posecheck.programme import database, history
    db = tmp_path / "history.sqlite3"
    _, lines, _ = doctor(capsys)
    assert "not created yet" in lines["history"] and not db.exists()  # doctor creates nothing
    history.History(db).close()
    before = db.read_bytes()
    _, lines, _ = doctor(capsys)
    assert f"schema v{database.SCHEMA_VERSION}, 0 sessions" in lines["history"]
    assert db.read_bytes() == before


def test_damaged_history_is_a_warning_with_its_fix_and_the_page_can_start(capsys, tmp_path):
    db = tmp_path / "history.sqlite3"
    db.write_bytes(b"not a database at all" * 10)
    status, lines, _ = doctor(capsys)
    assert lines["history"].lstrip().startswith("history") and "warn" in lines["history"]
    assert "not a SQLite database" in lines["history"] and "Fix:" in lines["history"]
    assert db.read_bytes() == b"not a database at all" * 10
    assert status == 0
