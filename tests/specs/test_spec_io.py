"""Saving a tuned spec: a new file that loads, keeps every comment and unit, notes provenance,
and never overwrites the original or leaves half-written files."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from posecheck.core.errors import SpecError
from posecheck.specs.write import (default_tuned_path, provenance_lines, save_tuned_spec,
                               tuned_document)
from posecheck.specs.parse import SPEC_DIR, load_spec


@pytest.fixture()
def spec_file(tmp_path: Path) -> Path:
    src = tmp_path / "deep_lunge.toml"
    shutil.copy(SPEC_DIR / "deep_lunge.toml", src)
    return src


def _comment_lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.strip().startswith("#")]


def test_saved_spec_loads_with_new_values_and_all_comments(spec_file: Path,
                                                           tmp_path: Path) -> None:
    orig = load_spec(spec_file)
    check = orig.check("torso_upright")
    new_max = check.max + 2.5
    out = tmp_path / "tuned" / "deep_lunge.tuned.toml"
    prov = provenance_lines(spec_source=str(spec_file), labels="labels/x.toml",
                            train=["a.mp4"], test=["b.mp4"], seed=3, fraction=0.5,
                            scores={"table": "row 1\nrow 2"}, changes=["torso_upright max"])
    path = save_tuned_spec(spec_file, {"torso_upright": {"max": new_max}},
                           {"grace_s": orig.hold.grace_s + 0.5}, out=out, provenance=prov)
    assert path == out
    tuned = load_spec(out)
    assert tuned.id == orig.id
    assert tuned.check("torso_upright").max == pytest.approx(new_max)
    assert tuned.hold.grace_s == pytest.approx(orig.hold.grace_s + 0.5)
    # everything else untouched
    for c in orig.checks:
        if c.id != "torso_upright":
            assert tuned.check(c.id) == c
    assert tuned.pose == orig.pose
    text = out.read_text(encoding="utf-8")
    old_text = spec_file.read_text(encoding="utf-8")
    new_comments = _comment_lines(text)
    for line in _comment_lines(old_text):
        assert line in new_comments, line
    # the changed value keeps its line comment (with the unit) and says what it was
    line = next(ln for ln in text.splitlines()
                if ln.strip().startswith("max") and f"{new_max:g}" in ln)
    assert "deg" in line and f"(was {check.max:g})" in line
    # provenance block with split and seed
    assert "TUNED COPY" in text and "seed 3" in text and "b.mp4" in text
    assert spec_file.read_text(encoding="utf-8") == old_text  # original unchanged


def test_refuses_to_overwrite_original_or_existing(spec_file: Path, tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="original"):
        save_tuned_spec(spec_file, {"torso_upright": {"max": 25.0}}, out=spec_file)
    out = tmp_path / "o.toml"
    out.write_text("keep me", encoding="utf-8")
    with pytest.raises(SpecError, match="already exists"):
        save_tuned_spec(spec_file, {"torso_upright": {"max": 25.0}}, out=out)
    assert out.read_text(encoding="utf-8") == "keep me"
    save_tuned_spec(spec_file, {"torso_upright": {"max": 25.0}}, out=out, overwrite=True)
    assert load_spec(out).check("torso_upright").max == 25.0


@pytest.mark.parametrize("thresholds, words", [
    ({"no_such_check": {"max": 1.0}}, "no_such_check"),
    ({"front_knee_90": {"min": 120.0}}, "min"),  # min above max: does not validate
    ({"torso_upright": {"colour": 1.0}}, "cannot be tuned"),
])
def test_bad_changes_write_nothing(spec_file: Path, tmp_path: Path, thresholds: dict,
                                   words: str) -> None:
    out = tmp_path / "bad" / "x.toml"
    with pytest.raises(SpecError, match=words):
        save_tuned_spec(spec_file, thresholds, out=out)
    assert not out.exists()
    leftovers = list((tmp_path / "bad").glob("*")) if (tmp_path / "bad").exists() else []
    assert leftovers == []  # no temporary file left behind


def test_unchanged_values_keep_their_text(spec_file: Path) -> None:
    text = spec_file.read_text(encoding="utf-8")
    spec = load_spec(spec_file)
    same = {"torso_upright": {"max": spec.check("torso_upright").max}}
    new, changes = tuned_document(text, same)
    assert new == text and changes == []


def test_default_path_is_beside_the_specs() -> None:
    p = default_tuned_path("deep_lunge")
    assert p == SPEC_DIR / "tuned" / "deep_lunge.tuned.toml"
