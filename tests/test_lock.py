"""requirements.lock: what scripts/setup.sh installs, exactly, and that it fits pyproject.toml.

The lock is refreshed by ``bash scripts/lock.sh``; these tests fail when pyproject.toml asks for
something the lock does not hold (someone changed a range and forgot the lock), when an entry has
no hash, or when the environment the suite runs in is not the locked one.
"""

from __future__ import annotations

import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
ENTRY = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^ ;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def parse_lock(text: str) -> dict[str, tuple[str, str | None, int]]:
    """``{name: (version, marker or None, number of hashes)}`` of a uv/pip-tools lock."""
    out: dict[str, tuple[str, str | None, int]] = {}
    current = None
    for line in text.splitlines():
        m = ENTRY.match(line)
        if m:
            name = canonicalize_name(m.group(1))
            if name in out:
                raise ValueError(f"{name} is locked twice")
            current = name
            out[name] = (m.group(2), m.group(3), 0)
        elif current and line.strip().startswith("--hash=sha256:"):
            version, marker, n = out[current]
            out[current] = (version, marker, n + 1)
    return out


def project_requirements() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = [Requirement(r) for r in project["dependencies"]]
    for extra in ("dev", "ray"):  # both are in the lock (scripts/lock.sh)
        reqs += [Requirement(r) for r in project["optional-dependencies"][extra]]
    return reqs


def test_parse_lock_reads_versions_markers_and_hashes() -> None:
    text = ("a-b==1.2 \\\n    --hash=sha256:00 \\\n    --hash=sha256:11\n"
            "    # via x\nc==3 ; sys_platform == 'win32' \\\n    --hash=sha256:22\n")
    assert parse_lock(text) == {"a-b": ("1.2", None, 2), "c": ("3", "sys_platform == 'win32'", 1)}
    with pytest.raises(ValueError, match="locked twice"):
        parse_lock("a==1 \\\n    --hash=sha256:0\na==2 \\\n    --hash=sha256:1\n")


def test_every_locked_package_has_a_hash() -> None:
    lock = parse_lock(LOCK.read_text())
    assert len(lock) > 30
    assert [name for name, (_, _, n) in lock.items() if n == 0] == []


def test_lock_satisfies_every_range_of_pyproject() -> None:
    lock = parse_lock(LOCK.read_text())
    wrong = []
    for req in project_requirements():
        name = canonicalize_name(req.name)
        if name not in lock:
            wrong.append(f"{req}: not in the lock")
        elif not req.specifier.contains(lock[name][0], prereleases=True):
            wrong.append(f"{req}: the lock has {lock[name][0]}")
    assert wrong == [], "run  bash scripts/lock.sh  after changing pyproject.toml"


def test_lock_holds_one_version_per_package_and_one_cv2() -> None:
    lock = parse_lock(LOCK.read_text())
    cv2_dists = [n for n in lock if n.startswith("opencv")]
    assert cv2_dists == ["opencv-contrib-python"]


@pytest.mark.skipif(sys.prefix == sys.base_prefix, reason="not running in a virtual environment")
def test_the_running_environment_is_the_lock() -> None:
    lock = parse_lock(LOCK.read_text())
    env = default_environment()
    wanted = {name: version for name, (version, marker, _) in lock.items()
              if marker is None or Requirement(f"x; {marker}").marker.evaluate(env)}
    # Ray puts its own vendored copies (ray/thirdparty_files: psutil, colorama) on sys.path
    # once imported; pip did not install them, so they are not the environment's.
    installed = {canonicalize_name(d.metadata["Name"]): d.version for d in metadata.distributions()
                 if "thirdparty_files" not in str(d.locate_file(""))}
    installed.pop("posecheck", None)
    assert {n: installed.get(n) for n in wanted if installed.get(n) != wanted[n]} == {}
    assert sorted(set(installed) - set(wanted)) == []
