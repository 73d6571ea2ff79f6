"""Spec files: every bundled spec loads; malformed ones fail naming the file, field and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from posecheck.core.errors import SpecError
from factories import TINY_SPEC
from posecheck.core.metrics import METRICS
from posecheck.specs.parse import SPEC_DIR, load_spec, list_specs

STRETCHES = ("half_kneeling_hip_flexor", "standing_psoas", "low_lunge_quad", "deep_lunge",
             "supine_psoas", "lying_edge_psoas", "seated_psoas", "side_lying_psoas",
             "glute_bridge", "camel", "cobra", "pigeon", "foam_roller_psoas")

GOOD = TINY_SPEC


def write(tmp_path: Path, text: str, name: str = "tiny.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# ---------------------------------------------------------------- bundled specs
def test_every_stretch_has_a_spec():
    assert set(STRETCHES) <= set(list_specs())


@pytest.mark.parametrize("sid", list_specs())
def test_bundled_spec_loads_and_is_consistent(sid):
    spec = load_spec(sid)
    assert spec.id == sid and spec.source_path.endswith(f"{sid}.toml")
    assert spec.name and spec.description and spec.cautions
    assert any("pain" in c for c in spec.cautions)
    assert spec.hold.target_s > 0 and spec.hold.max_s >= spec.hold.target_s
    assert spec.hold.sides == spec.sides
    for c in (*spec.pose, *spec.checks):
        assert c.unit == METRICS[c.metric].unit
        assert c.min is not None or c.max is not None or getattr(c, "measure", False)
    if spec.timer_only:
        assert not spec.checks
    else:
        assert any(c.required for c in spec.checks)


def test_symmetric_specs_use_both():
    for sid in ("glute_bridge", "camel", "cobra"):
        assert load_spec(sid).sides == ("both",)


def test_foam_roller_is_honestly_timer_only():
    spec = load_spec("foam_roller_psoas")
    assert spec.timer_only and spec.checks == ()


def test_gentle_supine_variant():
    gentle, base = load_spec("supine_psoas_gentle"), load_spec("supine_psoas")
    assert gentle.hold.reps == 3 and gentle.hold.target_s == pytest.approx(40.0)
    assert [c.id for c in gentle.checks] == [c.id for c in base.checks]


def test_load_by_path(tmp_path):
    assert load_spec(write(tmp_path, GOOD)).id == "tiny"


# ---------------------------------------------------------------- malformed specs
@pytest.mark.parametrize("edit, field", [
    (lambda t: t + '\nbogus = 1\n', "bogus"),
    (lambda t: t.replace('metric = "torso_lean_deg"', 'metric = "torso_leen_deg"'), "metric"),
    (lambda t: t.replace("max = 20.0", "max = 20.0\nmin = 30.0"), "min"),
    (lambda t: t.replace('max = 20.0\nunit = "deg"', 'max = 20.0'), "unit"),
    (lambda t: t.replace('max = 20.0\nunit = "deg"', 'max = 20.0\nunit = "ratio"'), "unit"),
    (lambda t: t.replace("target_s = 20.0", "target_s = -5.0"), "hold.target_s"),
    (lambda t: t.replace("target_s = 20.0", "target_s = 20.0\ngrace_s = -1"), "hold.grace_s"),
    (lambda t: t.replace('cue_high = "Lift your chest"', ""), "cue_high"),
    (lambda t: t.replace('sides = ["left", "right"]', 'sides = ["both"]'), "sides"),
    (lambda t: t.replace('view = "side"', 'view = "top"'), "view"),
    (lambda t: t.replace("hysteresis = 2.0", "hysteresis = 15.0\nmin = 0.0"), "hysteresis"),
    (lambda t: t.replace('cautions = ["never pain"]', ""), "cautions"),
    (lambda t: t.replace("[hold]", "[hold]\nrest_s = \"ten\""), "hold.rest_s"),
])
def test_malformed_spec_names_file_field_and_fix(tmp_path, edit, field):
    path = write(tmp_path, edit(GOOD))
    with pytest.raises(SpecError) as info:
        load_spec(path)
    msg = str(info.value)
    assert str(path) in msg
    assert field in msg
    assert "Fix:" in msg


def test_bad_toml_syntax(tmp_path):
    path = write(tmp_path, GOOD.replace('name = "Tiny"', "name = Tiny"))
    with pytest.raises(SpecError, match="not valid TOML"):
        load_spec(path)


def test_unknown_stretch_lists_the_known_ones():
    with pytest.raises(SpecError) as info:
        load_spec("no_such_stretch")
    assert "deep_lunge" in str(info.value)


def test_timer_only_with_checks_is_refused(tmp_path):
    path = write(tmp_path, GOOD.replace('cautions', 'timer_only = true\ncautions'))
    with pytest.raises(SpecError, match="timer_only"):
        load_spec(path)


# ---------------------------------------------------------------- tuning copies
def test_with_thresholds_replaces_only_what_is_given():
    spec = load_spec("deep_lunge")
    tuned = spec.with_thresholds({"torso_upright": {"max": 12.0}, "front_knee_90": {"min": 80}})
    assert tuned.check("torso_upright").max == 12.0
    assert tuned.check("front_knee_90").min == 80.0
    assert tuned.check("front_knee_90").max == spec.check("front_knee_90").max
    assert spec.check("torso_upright").max != 12.0  # the original is untouched (frozen)


def test_with_thresholds_validates():
    spec = load_spec("deep_lunge")
    with pytest.raises(SpecError, match="no such check"):
        spec.with_thresholds({"nope": {"max": 1}})
    with pytest.raises(SpecError, match="min"):
        spec.with_thresholds({"front_knee_90": {"min": 150.0}})


def test_spec_dir_holds_one_file_per_listed_stretch():
    files = {f.stem for f in SPEC_DIR.glob("*.toml")}
    assert set(STRETCHES) <= files  # every stretch the guide names has its file
    assert set(list_specs()) == files  # and every file is listed, none invented


# ---------------------------------------------------------------- the specs command
def test_specs_command(tmp_path, capsys):
    from posecheck.cli import main

    assert main(["specs", "list"]) == 0
    assert "deep_lunge" in capsys.readouterr().out
    assert main(["specs", "show", "glute_bridge"]) == 0
    out = capsys.readouterr().out
    assert "hip_line_dev_deg" in out and "pain" in out
    assert main(["specs", "validate", str(write(tmp_path, GOOD))]) == 0
    bad = write(tmp_path, GOOD.replace('unit = "deg"\nhysteresis', 'hysteresis'), "bad.toml")
    assert main(["specs", "validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.toml" in err and "unit" in err


def test_half_kneeling_has_no_knee_over_toes_check_and_deep_lunge_keeps_it():
    hk = {c.metric for c in load_spec("half_kneeling_hip_flexor").checks}
    lunge = {c.metric for c in load_spec("deep_lunge").checks}
    assert "other_knee_over_toes_ratio" not in hk
    assert "other_knee_over_toes_ratio" in lunge


def test_check_views_are_validated(tmp_path):
    import tomllib

    from posecheck.core.errors import SpecError
    from posecheck.specs.parse import SPEC_DIR, spec_from_dict

    data = tomllib.loads((SPEC_DIR / "deep_lunge.toml").read_text())
    data["checks"][0]["views"] = ["sideways"]
    with pytest.raises(SpecError, match="views"):
        spec_from_dict(data, "x.toml")
    # position conditions declare views the same way
    data = tomllib.loads((SPEC_DIR / "cobra.toml").read_text())
    assert spec_from_dict(data, "x.toml").pose[0].views == ("side", "oblique")
    data["pose"][0]["views"] = ["above"]
    with pytest.raises(SpecError, match="views"):
        spec_from_dict(data, "x.toml")


@pytest.mark.parametrize("sid", ["deep_lunge", "half_kneeling_hip_flexor", "low_lunge_quad",
                                 "pigeon"])
def test_back_not_arched_uses_the_outline_with_the_trunk_line_as_fallback(sid):
    from posecheck.specs.parse import load_spec

    spec = load_spec(sid)
    c = spec.check("back_not_arched")
    assert c.metric == "lumbar_lordosis_deg" and c.fallback is not None
    assert c.fallback.metric == "lumbar_arch_proxy_deg" and c.fallback.id == c.id
    assert spec.needs_outline and "lumbar_arch_proxy_deg" in spec.metric_names


def test_a_spec_without_outline_metrics_does_not_ask_for_the_mask():
    from posecheck.specs.parse import load_spec

    assert not load_spec("supine_psoas").needs_outline


def test_fallback_unit_is_validated():
    import tomllib

    from posecheck.core.errors import SpecError
    from posecheck.specs.parse import SPEC_DIR, spec_from_dict

    data = tomllib.loads((SPEC_DIR / "pigeon.toml").read_text())
    check = next(c for c in data["checks"] if c["id"] == "back_not_arched")
    check["fallback"]["unit"] = "ratio"
    with pytest.raises(SpecError, match="fallback"):
        spec_from_dict(data, "x.toml")


@pytest.mark.parametrize("sid", ["camel", "cobra"])
def test_camel_and_cobra_measure_the_arch_without_judging_it(sid):
    """Arching is the pose: the outline arch is a measure (reported, never judged)."""
    import math

    from posecheck.core.checks import CheckEvaluator, Status, overall
    from posecheck.core.metrics import MetricValue

    spec = load_spec(sid)
    c = spec.check("back_arch")
    assert c.measure and not c.required and c.metric == "lumbar_lordosis_deg"
    assert (c.min, c.max, c.fallback, c.cue_low, c.cue_high) == (None, None, None, "", "")
    assert spec.needs_outline  # the estimator is asked for the mask
    ev = CheckEvaluator([c])
    for value in (-30.0, 0.0, 75.0, 170.0):
        r = ev.update({c.metric: MetricValue(value)})[c.id]
        assert (r.status, r.value, r.cue) == (Status.PASS, value, "")
    r = ev.update({c.metric: MetricValue(math.nan)})[c.id]
    assert r.status is Status.UNKNOWN
    assert overall({c.id: r}) is True  # never required: an unseen arch pauses nothing


@pytest.mark.parametrize("extra", ['max = 40.0', 'hysteresis = 2.0', 'cue_high = "x"',
                                   'required = true', 'safety = true',
                                   'fallback = { metric = "torso_lean_deg", max = 1.0, '
                                   'unit = "deg" }'])
def test_a_measure_refuses_what_would_judge_it(tmp_path, extra):
    text = GOOD + ('\n[[checks]]\nid = "arch"\nmetric = "lumbar_lordosis_deg"\nunit = "deg"\n'
                   f'measure = true\n{extra}\n')
    p = tmp_path / "tiny.toml"
    p.write_text(text)
    with pytest.raises(SpecError, match=r"checks\(arch\)\..*a measure is never judged"):
        load_spec(p)
    p.write_text(text.replace(extra, ""))
    assert load_spec(p).check("arch").measure
