"""checks.py: PASS / FAIL / UNKNOWN, margins, cues and hysteresis."""

from __future__ import annotations

import math

import pytest

from posecheck.core.checks import CheckEvaluator, CheckResult, Status, evaluate, evaluate_one, overall
from posecheck.core.metrics import MetricValue
from posecheck.specs.model import CheckSpec

BAND = CheckSpec(id="knee", metric="other_knee_angle_deg", min=80.0, max=100.0, unit="deg",
                 hysteresis=2.0, cue_low="too bent", cue_high="bend more")
CAP = CheckSpec(id="lean", metric="torso_lean_deg", min=None, max=10.0, unit="deg",
                hysteresis=1.0, cue_high="lift your chest")


def mv(x: float) -> MetricValue:
    return MetricValue(x, landmarks=(25, 27))


def test_status_is_a_string_enum():
    assert Status.PASS == "pass" and Status("unknown") is Status.UNKNOWN


@pytest.mark.parametrize("value, status, margin, cue", [
    (90.0, Status.PASS, 10.0, ""),
    (80.0, Status.PASS, 0.0, ""),
    (75.0, Status.FAIL, -5.0, "too bent"),
    (104.0, Status.FAIL, -4.0, "bend more"),
])
def test_band(value, status, margin, cue):
    r = evaluate_one(BAND, mv(value))
    assert r.status is status
    assert r.margin == pytest.approx(margin)
    assert r.cue == cue
    assert r.value == value and r.landmarks == (25, 27)


def test_unknown_when_not_measured():
    r = evaluate_one(BAND, MetricValue(math.nan, hidden=(31,)))
    assert r.status is Status.UNKNOWN
    assert math.isnan(r.value) and math.isnan(r.margin)
    assert r.hidden == (31,)


def test_hysteresis_sequence():
    ev = CheckEvaluator([CAP])
    seq = [(9.0, Status.PASS), (10.5, Status.PASS),   # within +1 of a passing check
           (11.5, Status.FAIL), (9.5, Status.FAIL),   # must come back below 9 to pass again
           (8.5, Status.PASS)]
    for value, expected in seq:
        assert ev.update({"torso_lean_deg": mv(value)})["lean"].status is expected, value


def test_unknown_keeps_the_hysteresis_state():
    ev = CheckEvaluator([CAP])
    ev.update({"torso_lean_deg": mv(9.0)})
    assert ev.update({})["lean"].status is Status.UNKNOWN
    assert ev.update({"torso_lean_deg": mv(10.5)})["lean"].status is Status.PASS
    ev.reset()
    assert ev.update({"torso_lean_deg": mv(10.5)})["lean"].status is Status.FAIL


def test_stateless_evaluate_uses_the_plain_band():
    assert evaluate([CAP], {"torso_lean_deg": mv(10.5)})["lean"].status is Status.FAIL


def _res(status: Status, required: bool = True) -> CheckResult:
    return CheckResult("x", status, 0.0, 0.0, required=required)


@pytest.mark.parametrize("statuses, expected", [
    ([Status.PASS, Status.PASS], True),
    ([Status.PASS, Status.FAIL], False),
    ([Status.UNKNOWN, Status.PASS], None),
    ([Status.UNKNOWN, Status.FAIL], False),
])
def test_overall(statuses, expected):
    assert overall({str(i): _res(s) for i, s in enumerate(statuses)}) is expected


def test_advisory_checks_do_not_decide_validity():
    assert overall({"a": _res(Status.PASS), "b": _res(Status.FAIL, required=False)}) is True


def test_result_json():
    assert evaluate_one(BAND, mv(90.0)).to_json() == {"status": "pass", "value": 90.0}
    assert evaluate_one(BAND, MetricValue(math.nan)).to_json()["value"] is None


# ---------------------------------------------------------------------------- declared views
def test_a_check_outside_its_declared_views_is_unknown_not_a_form_verdict():
    from dataclasses import replace as _replace

    from posecheck.core.checks import evaluate_one
    from posecheck.core.metrics import MetricValue
    from posecheck.specs.parse import load_spec

    knee = next(c for c in load_spec("deep_lunge").checks if c.id == "knee_behind_toes")
    assert knee.views == ("side",)
    far_past = MetricValue(knee.max + 1.0)
    assert evaluate_one(knee, far_past, view="side").status is Status.FAIL
    oblique = evaluate_one(knee, far_past, view="oblique")
    assert oblique.status is Status.UNKNOWN and oblique.view_blocked and oblique.cue == ""
    assert evaluate_one(knee, far_past, view=None).status is Status.FAIL  # unknown view
    anyview = _replace(knee, views=())
    assert evaluate_one(anyview, far_past, view="front").status is Status.FAIL


ARCH = CheckSpec(id="back_not_arched", metric="lumbar_lordosis_deg", min=None, max=45.0,
                 unit="deg", hysteresis=4.0, cue_high="no arch",
                 fallback=CheckSpec(id="back_not_arched", metric="lumbar_arch_proxy_deg",
                                    min=None, max=10.0, unit="deg", cue_high="no arch"))


def test_fallback_is_judged_only_when_the_main_metric_is_not_measured():
    ev = CheckEvaluator([ARCH])
    main = ev.update({"lumbar_lordosis_deg": mv(50.0), "lumbar_arch_proxy_deg": mv(0.0)})
    assert main["back_not_arched"].status is Status.FAIL
    assert not main["back_not_arched"].fallback_used
    assert "metric" not in main["back_not_arched"].to_json()
    fb = ev.update({"lumbar_lordosis_deg": MetricValue(math.nan),
                    "lumbar_arch_proxy_deg": mv(12.0)})["back_not_arched"]
    assert (fb.status, fb.metric, fb.fallback_used) == (Status.FAIL, "lumbar_arch_proxy_deg", True)
    assert fb.to_json()["metric"] == "lumbar_arch_proxy_deg"
    ok = ev.update({"lumbar_arch_proxy_deg": mv(5.0)})["back_not_arched"]
    assert ok.status is Status.PASS and ok.fallback_used


def test_a_view_blocked_check_does_not_fall_back():
    from dataclasses import replace

    res = CheckEvaluator([replace(ARCH, views=("side",))]).update(
        {"lumbar_arch_proxy_deg": mv(5.0)}, view="front")["back_not_arched"]
    assert res.status is Status.UNKNOWN and res.view_blocked and not res.fallback_used
