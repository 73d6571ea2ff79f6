"""The spec's settings tables are the owning modules' dataclasses, with their defaults written
once there: the parser passes only the keys a file gives (pure layer, no model)."""

from __future__ import annotations

import ast
import tomllib
from dataclasses import field, fields, make_dataclass
from pathlib import Path

import pytest

from posecheck.core.errors import SpecError
from posecheck.core.feedback import FeedbackSettings
from factories import TINY_SPEC
from posecheck.core.hold import HoldSettings
from posecheck.core.motion import StillnessSettings
from posecheck.core.pose import VisibilitySettings
from posecheck.core.reps import RepSettings
from posecheck.core.smoothing import SmoothingSettings
from posecheck.specs import parse
from posecheck.specs.model import CueTexts, SideDetectSettings, ViewSettings
from posecheck.specs.parse import spec_from_dict

# A spec with no settings table but the one required key, [hold] target_s.
BARE = (TINY_SPEC.replace('id = "tiny"', 'id = "bare"').replace('name = "Tiny"', 'name = "Bare"')
        .replace("hysteresis = 2.0\n", ""))

# (the class, where the parsed spec holds it)
SETTINGS = [
    (HoldSettings, lambda s: s.hold), (StillnessSettings, lambda s: s.hold.stillness),
    (SmoothingSettings, lambda s: s.smoothing), (FeedbackSettings, lambda s: s.feedback),
    (VisibilitySettings, lambda s: s.visibility), (ViewSettings, lambda s: s.view_detect),
    (SideDetectSettings, lambda s: s.side_detect), (RepSettings, lambda s: s.reps),
]


def _numeric_defaults(cls: type) -> dict[str, float]:
    return {f.name: f.default for f in fields(cls)
            if isinstance(f.default, (int, float)) and not isinstance(f.default, bool)}


def test_a_spec_without_settings_tables_gets_exactly_the_owning_defaults():
    spec = spec_from_dict(tomllib.loads(BARE), "bare.toml")
    assert spec.hold == HoldSettings(target_s=20.0, sides=("left", "right"))
    assert spec.hold.max_s == 20.0  # max_s left out follows target_s
    assert spec.hold.stillness == StillnessSettings() and not spec.hold.stillness.enabled
    assert spec.smoothing == SmoothingSettings()
    assert spec.feedback == FeedbackSettings()
    assert spec.visibility == VisibilitySettings()
    assert spec.view_detect == ViewSettings()
    assert spec.side_detect == SideDetectSettings()
    assert spec.cues == CueTexts()
    assert spec.reps == RepSettings() and not spec.reps.count  # no [reps]: no reps counted
    # field by field, against the defaults the dataclasses write
    for cls, held in SETTINGS:
        for name, default in _numeric_defaults(cls).items():
            if name != "target_s":
                assert getattr(held(spec), name) == default, (cls.__name__, name)


def test_keys_given_win_over_the_defaults():
    text = BARE.replace("target_s = 20.0", "target_s = 20.0\nmax_s = 40.0\ngrace_s = 3.0\n"
                        "max_motion = 0.2\nmotion_window_s = 2.0\nreps = 2")
    text += "\n[smoothing]\nbatch_cutoff_hz = 4.5\n\n[feedback]\nswitch_margin = 0.5\n"
    spec = spec_from_dict(tomllib.loads(text), "bare.toml")
    assert (spec.hold.max_s, spec.hold.grace_s, spec.hold.reps) == (40.0, 3.0, 2)
    assert spec.hold.stillness == StillnessSettings(max_motion=0.2, window_s=2.0)
    assert spec.smoothing == SmoothingSettings(batch_cutoff_hz=4.5)
    assert spec.feedback == FeedbackSettings(switch_margin=0.5)
    text += "\n[reps]\ncount = true\nmin_out_s = 0.5\n"
    assert spec_from_dict(tomllib.loads(text), "bare.toml").reps == RepSettings(count=True,
                                                                               min_out_s=0.5)


def _moved(value: float) -> float:
    """Another valid value for a default: whole numbers 10 - n (so reps_max stays >= reps),
    others halved plus 0.1 (positive, at most 1 for the 0..1 thresholds)."""
    return 10 - value if isinstance(value, int) else value / 2 + 0.1


def _shifted(cls: type) -> tuple[type, dict[str, float]]:
    """A subclass of ``cls`` whose every number default is moved."""
    moved = {name: _moved(v) for name, v in _numeric_defaults(cls).items()}
    assert all(moved[k] != v for k, v in _numeric_defaults(cls).items())
    sub = make_dataclass(cls.__name__, [(k, type(v), field(default=v)) for k, v in moved.items()],
                         bases=(cls,), frozen=True)
    return sub, moved


def test_the_parser_takes_every_default_from_the_dataclass(monkeypatch):
    # Move every default of every settings class: a spec leaving the keys out must follow. A
    # number restated in the parser (default=1.5) would keep the old value and fail here.
    expected = []
    for cls, held in SETTINGS:
        sub, moved = _shifted(cls)
        monkeypatch.setattr(parse, cls.__name__, sub)
        expected.append((held, moved))
    spec = spec_from_dict(tomllib.loads(BARE), "bare.toml")
    for held, moved in expected:
        for name, value in moved.items():
            if name != "target_s":  # the one required key, given by the file
                assert getattr(held(spec), name) == pytest.approx(value), name


def test_the_parser_source_restates_no_settings_number():
    defaults = {v for cls, _ in SETTINGS for v in _numeric_defaults(cls).values()}
    tree = ast.parse(Path(parse.__file__).read_text(), parse.__file__)
    restated = [(node.lineno, node.value) for node in ast.walk(tree)
                if isinstance(node, ast.Constant) and type(node.value) in (int, float)
                and node.value in defaults
                and not (type(node.value) is int and node.value in (0, 1))]  # counts, indexes
    assert not restated, f"specs/parse.py writes settings numbers (line, value): {restated}"


@pytest.mark.parametrize("edit, fld", [
    (lambda t: t + "\n[smoothing]\nbatch_cutoff_hz = 0.0\n", "smoothing.batch_cutoff_hz"),
    (lambda t: t + "\n[smoothing]\ncutoff = 2.0\n", "smoothing.cutoff"),
    (lambda t: t + "\n[feedback]\nmin_show_s = -1.0\n", "feedback.min_show_s"),
    (lambda t: t + "\n[feedback]\nmin_show = 1.0\n", "feedback.min_show"),
    (lambda t: t + "\n[visibility]\nmin_visibility = 1.5\n", "visibility.min_visibility"),
    (lambda t: t + "\n[view_detect]\nside_max_ratio = \"wide\"\n", "view_detect.side_max_ratio"),
    (lambda t: t + "\n[side_detect]\nswitch_debounce_s = -2.0\n", "side_detect.switch_debounce_s"),
    (lambda t: t + "\n[cues]\ngood = 3\n", "cues.good"),
    (lambda t: t + "\n[reps]\ncount = \"yes\"\n", "reps.count"),
    (lambda t: t + "\n[reps]\ncount = true\nmin_in_s = -0.1\n", "reps.min_in_s"),
    (lambda t: t + "\n[reps]\ncount = true\ngood_form_fraction = 1.5\n",
     "reps.good_form_fraction"),
    (lambda t: t + "\n[reps]\ncount = true\nmin_out = 0.3\n", "reps.min_out"),
    (lambda t: "reps = true\n" + t, "reps"),
    (lambda t: t.replace("target_s = 20.0", "target_s = 20.0\nmax_motion = 0.0"),
     "hold.max_motion"),
    (lambda t: t.replace("target_s = 20.0", "target_s = 20.0\nmotion_window_s = 0.0"),
     "hold.motion_window_s"),
    (lambda t: t.replace("target_s = 20.0", "target_s = 20.0\nmax_s = 10.0"), "hold.max_s"),
    (lambda t: t.replace("target_s = 20.0", "target_s = 20.0\nreps = 3\nreps_max = 2"),
     "hold.reps_max"),
    (lambda t: t.replace("target_s = 20.0", "target_s = 20.0\nreps = 1.5"), "hold.reps"),
    (lambda t: t.replace("target_s = 20.0", "grace_s = 1.0"), "hold.target_s"),
    (lambda t: t.replace("target_s = 20.0", "target_s = 20.0\nmax_invalid_s = 2.0"),
     "hold.max_invalid_s"),  # a timer setting, not a spec key
])
def test_a_bad_setting_names_the_file_the_field_and_the_fix(edit, fld):
    with pytest.raises(SpecError) as info:
        spec_from_dict(tomllib.loads(edit(BARE)), "pose_specs/bare.toml")
    msg = str(info.value)
    assert msg.startswith("pose_specs/bare.toml: ") and f"'{fld}'" in msg and "Fix:" in msg
