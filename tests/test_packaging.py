"""posecheck as an installed package (CLI and page layers): the specs and the page ship inside
it, ``--specs`` / ``POSECHECK_SPECS`` pick a user folder, and a built wheel works in a fresh
virtual environment from a folder outside the repository (slow)."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import tomllib
import urllib.request
import zipfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from conftest import footage_path, footage_rows
from posecheck import __version__, cli, page
from posecheck.specs import write as spec_io
from posecheck.commands import page as page_command
from posecheck.core.errors import SpecError
from posecheck.specs.parse import ENV_SPECS, bundled_spec_dir, list_specs, load_spec, spec_dir

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
STRETCH = "half_kneeling_hip_flexor"
# What `pip wheel .` reads from the checkout.
WHEEL_SOURCES = ("pyproject.toml", "README.md", "posecheck", "pose_specs", "routines")


# ---------------------------------------------------------------------------- what ships
def test_every_subpackage_is_listed_for_the_wheel():
    listed = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {".".join(p.parent.relative_to(ROOT).parts)
             for p in (ROOT / "posecheck").rglob("__init__.py")}
    assert set(listed["packages"]) == found | {"posecheck.pose_specs", "posecheck.pose_specs.tuned",
                                              "posecheck.routine_files"}
    assert listed["package-dir"] == {"posecheck.pose_specs": "pose_specs",
                                    "posecheck.routine_files": "routines"}


def test_bundled_routines_are_the_routines_folder():
    from posecheck.programme.routines import list_routines, routine_dir

    assert routine_dir().resolve() == (ROOT / "routines").resolve()
    assert list_routines() == sorted(p.stem for p in (ROOT / "routines").glob("*.toml"))
    assert list_routines()  # the daily and gentle routines ship


def test_bundled_specs_are_the_pose_specs_folder():
    # An editable install maps the package data onto the repository's folder itself.
    assert bundled_spec_dir().resolve() == (ROOT / "pose_specs").resolve()
    assert list_specs() == sorted(p.stem for p in (ROOT / "pose_specs").glob("*.toml"))


def test_page_entry_ships_inside_the_package():
    assert page.ENTRY.is_file() and page.LIVE_PAGE.is_file() and page.TUNE_PAGE.is_file()
    package = Path(page.__file__).resolve().parent
    assert page.ENTRY.parent == package and package.parent.name == "posecheck"


# ---------------------------------------------------------------------------- spec folders
@pytest.fixture()
def user_specs(tmp_path, monkeypatch) -> Path:
    """A user folder holding one spec, and a valid spec just outside it (../outside.toml)."""
    monkeypatch.delenv(ENV_SPECS, raising=False)
    folder = tmp_path / "mine"
    folder.mkdir()
    shutil.copy(bundled_spec_dir() / "deep_lunge.toml", folder)
    text = (bundled_spec_dir() / "cobra.toml").read_text()
    (tmp_path / "outside.toml").write_text(text.replace('id = "cobra"', 'id = "outside"'))
    return folder


@pytest.mark.parametrize("where", ["before", "after"])
def test_specs_option_before_or_after_the_sub_command(user_specs, capsys, where):
    argv = (["--specs", str(user_specs), "specs", "list"] if where == "before"
            else ["specs", "list", "--specs", str(user_specs)])
    assert cli.main(argv) == 0
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    assert listed == ["deep_lunge"]
    assert ENV_SPECS not in os.environ  # put back after the command


def test_env_var_picks_the_spec_folder(user_specs, monkeypatch):
    monkeypatch.setenv(ENV_SPECS, str(user_specs))
    assert spec_dir() == user_specs.resolve()
    assert list_specs() == ["deep_lunge"]
    assert load_spec("deep_lunge").source_path == str(user_specs.resolve() / "deep_lunge.toml")


def test_missing_spec_folder_is_an_error_with_the_fix(tmp_path, capsys):
    assert cli.main(["--specs", str(tmp_path / "nope"), "specs", "list"]) == 2
    err = capsys.readouterr().err
    assert "nope" in err and "not a folder" in err and "Fix:" in err


@pytest.mark.parametrize("bad_id", ["../outside", "sub/deep_lunge", "..", "."])
def test_an_id_cannot_name_a_file_outside_the_spec_folder(user_specs, monkeypatch, bad_id):
    monkeypatch.setenv(ENV_SPECS, str(user_specs))
    with pytest.raises(SpecError) as err:
        load_spec(bad_id)
    text = str(err.value)
    assert repr(bad_id) in text and "outside the spec folder" in text
    assert "Fix: give a plain id (one of: deep_lunge)" in text


def test_stretch_outside_the_folder_is_a_usage_error_of_analyze(user_specs, capsys, tmp_path):
    argv = ["--specs", str(user_specs), "analyze", str(tmp_path / "clip.mp4"), "--stretch",
            "../outside", "--out", str(tmp_path / "out")]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert "'../outside'" in err and "Fix:" in err
    assert not (tmp_path / "out").exists()


def test_tuned_copy_goes_beside_a_writable_spec_folder(user_specs):
    assert spec_io.default_tuned_path("deep_lunge", user_specs) == \
        user_specs / "tuned" / "deep_lunge.tuned.toml"


def test_tuned_copy_goes_to_the_user_folder_when_the_spec_folder_is_read_only(
        user_specs, monkeypatch, tmp_path):
    # Tests run as root here, for whom every folder is writable: deny it the way os.access
    # answers for another user on a system-wide install.
    real_access = os.access
    monkeypatch.setattr(spec_io.os, "access", lambda p, mode: False if Path(p).is_relative_to(
        user_specs) else real_access(p, mode))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    target = spec_io.default_tuned_path("deep_lunge", user_specs)
    assert target == tmp_path / "data" / "posecheck" / "tuned" / "deep_lunge.tuned.toml"
    from posecheck.commands.tune import register  # the help text says where

    sub = argparse.ArgumentParser().add_subparsers()
    register(sub)
    assert "~/.local/share/posecheck/tuned" in sub.choices["tune"].format_help()


# ---------------------------------------------------------------------------- posecheck page
def test_page_command_runs_streamlit_on_the_shipped_entry(monkeypatch, user_specs):
    ran = {}

    def fake_execv(path, argv):
        ran.update(path=path, argv=argv, specs=os.environ.get(ENV_SPECS))
        raise SystemExit(0)  # execv does not return

    monkeypatch.setattr(page_command.os, "execv", fake_execv)
    with pytest.raises(SystemExit):
        cli.main(["--specs", str(user_specs), "page", "--server.headless", "true",
                  "--server.port=8599"])
    assert ran["path"] == sys.executable
    assert ran["argv"] == [sys.executable, "-m", "streamlit", "run", str(page.ENTRY),
                           "--browser.gatherUsageStats", "false", "--client.toolbarMode",
                           "minimal", "--server.headless", "true", "--server.port=8599"]
    assert ran["specs"] == str(user_specs.resolve())


def test_unknown_arguments_still_fail_other_commands(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["specs", "list", "--server.port", "1"])
    assert exit_.value.code == 2
    assert "unrecognized arguments: --server.port 1" in capsys.readouterr().err


def test_shipped_page_starts_without_sample_videos(monkeypatch):
    testing = pytest.importorskip("streamlit.testing.v1")
    import streamlit_webrtc

    # The camera component needs a live server (the browser tests cover it): a stand-in.
    stopped = SimpleNamespace(state=SimpleNamespace(playing=False, signalling=False),
                              video_processor=None)
    monkeypatch.setattr(streamlit_webrtc, "webrtc_streamer", lambda **kw: stopped)
    monkeypatch.delenv("POSECHECK_SAMPLE_DIR", raising=False)
    at = testing.AppTest.from_file(str(page.ENTRY), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    source = [r for r in at.sidebar.radio if r.label == "Source"][0]
    source.set_value("Video file").run()
    assert not at.exception, [e.value for e in at.exception]
    assert [list(r.options) for r in at.radio if r.label == "Video"] == [["Upload a file"]]


# ---------------------------------------------------------------------------- the wheel
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _short_clip() -> Path:
    rows = [r for r in footage_rows() if r["kind"] == "video" and r["duration_s"]]
    if not rows:
        pytest.skip("shared footage not found (set POSECHECK_FOOTAGE)")
    return footage_path(min(rows, key=lambda r: float(r["duration_s"]))["file"])


def _run(argv: list, cwd: Path, env: dict, timeout: float = 600) -> subprocess.CompletedProcess:
    proc = subprocess.run([str(a) for a in argv], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=timeout)
    assert proc.returncode == 0, f"{argv}: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


@pytest.fixture(scope="module")
def wheel_venv(tmp_path_factory) -> tuple[Path, Path]:
    """(wheel, venv bin folder): the wheel built from this checkout, installed alone into a
    new venv without system site-packages."""
    tmp = tmp_path_factory.mktemp("wheel")
    # Built from a copy of what the wheel is made of, so setuptools' build/ folder (which
    # keeps files deleted from the source) cannot leak stale files into it.
    source = tmp / "source"
    source.mkdir()
    for name in WHEEL_SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, source / name,
                            ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(ROOT / name, source / name)
    started = time.monotonic()
    # The locked setuptools of the project's .venv builds it (as scripts/setup.sh does):
    # nothing is downloaded.
    _run([VENV_BIN / "pip", "wheel", ".", "--no-deps", "--no-build-isolation", "-q",
          "-w", tmp / "dist"], cwd=source, env=os.environ.copy())
    print(f"wheel built in {time.monotonic() - started:.1f} s")
    wheel = next((tmp / "dist").glob("posecheck-*.whl"))
    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp, env=os.environ.copy())
    _run([VENV_BIN / "pip", "--python", venv / "bin" / "python", "install", "--no-deps",
          "--no-index", "-q", wheel], cwd=tmp, env=os.environ.copy())
    # The dependencies come from the project's .venv without downloading anything: a .pth
    # file adds its site-packages AFTER the new venv's own, so posecheck is the wheel's copy
    # while mediapipe, streamlit, ... are the project's (no wheels of them exist offline).
    new_site = next((venv / "lib").glob("python3*/site-packages"))
    project_site = sysconfig.get_paths()["purelib"]
    (new_site / "zz_project_deps.pth").write_text(f"{project_site}\n")
    return wheel, venv / "bin"


@pytest.mark.slow
def test_wheel_holds_every_spec_and_the_page(wheel_venv):
    wheel, _ = wheel_venv
    names = set(zipfile.ZipFile(wheel).namelist())
    for spec in (ROOT / "pose_specs").glob("*.toml"):
        assert f"posecheck/pose_specs/{spec.name}" in names
    for tuned in (ROOT / "pose_specs" / "tuned").glob("*.toml"):
        assert f"posecheck/pose_specs/tuned/{tuned.name}" in names
    for routine in (ROOT / "routines").glob("*.toml"):
        assert f"posecheck/routine_files/{routine.name}" in names
    for script in ("main.py", "app.py", "tune.py", "progress.py"):
        assert f"posecheck/page/{script}" in names
    assert not any(n.startswith(("sample_videos/", "tests/", "pages/")) for n in names)


@pytest.mark.slow
def test_installed_wheel_works_outside_the_repository(wheel_venv, tmp_path):
    _, bin_ = wheel_venv
    env = {k: v for k, v in os.environ.items() if k not in (ENV_SPECS, "PYTHONPATH")}
    env["POSECHECK_CACHE_DIR"] = str(tmp_path / "cache")  # run the model, not a cached result
    where = _run([bin_ / "python", "-c", "import posecheck, streamlit; "
                  "print(posecheck.__file__)"], cwd=tmp_path, env=env).stdout
    assert Path(where.strip()).is_relative_to(bin_.parent)  # the wheel's copy, not the repo

    listed = _run([bin_ / "posecheck", "specs", "list"], cwd=tmp_path, env=env).stdout
    assert [line.split()[0] for line in listed.splitlines()] == list_specs()
    version = _run([bin_ / "posecheck", "--version"], cwd=tmp_path, env=env).stdout
    assert version.strip() == f"posecheck {__version__}"

    clip, out = _short_clip(), tmp_path / "out"
    _run([bin_ / "posecheck", "analyze", clip, "--stretch", STRETCH, "--model", "lite",
          "--workers", "1", "--no-plots", "--quiet", "--out", out], cwd=tmp_path, env=env)
    report = json.loads((out / f"{clip.stem}.json").read_text())
    assert report["stretch"] == STRETCH
    assert report["video"].endswith(clip.name)


@pytest.mark.slow
def test_installed_page_answers_health_checks(wheel_venv, tmp_path):
    _, bin_ = wheel_venv
    env = {k: v for k, v in os.environ.items() if k not in (ENV_SPECS, "POSECHECK_SAMPLE_DIR")}
    port = _free_port()
    log = tmp_path / "page.log"
    with open(log, "w") as fh:
        proc = subprocess.Popen([str(bin_ / "posecheck"), "page", "--server.headless", "true",
                                 "--server.port", str(port), "--server.address", "127.0.0.1"],
                                cwd=tmp_path, env=env, stdout=fh, stderr=subprocess.STDOUT)
    try:
        answer, deadline = "", time.monotonic() + 90
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                            timeout=2) as resp:
                    answer = resp.read().decode()
                    break
            except OSError:
                time.sleep(0.5)
        assert answer == "ok", log.read_text()
        # posecheck page became streamlit (execv) on the page inside the wheel's package.
        cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().split(b"\0")
        assert b"streamlit" in cmdline and b"run" in cmdline
        entry = Path(cmdline[cmdline.index(b"run") + 1].decode())
        assert entry.name == "main.py" and entry.is_relative_to(bin_.parent)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
