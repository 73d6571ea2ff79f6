"""Routine files (posecheck.programme.routines): pure layer. The shipped routines load; broken files fail
with a message naming the file and the field."""

from __future__ import annotations

import pytest

from posecheck.programme.routines import RoutineError, list_routines, load_routine
from posecheck.specs.parse import list_specs

GOOD = """
id = "{id}"
name = "Test routine"
rest_between_s = 15.0

[[steps]]
stretch = "half_kneeling_hip_flexor"
sides = ["right", "left"]
reps = 2
target_s = 25.0
rest_s = 8.0

[[steps]]
stretch = "glute_bridge"
"""


def write(tmp_path, text: str, name: str = "mine"):
    path = tmp_path / f"{name}.toml"
    path.write_text(text.format(id=name) if "{id}" in text else text, encoding="utf-8")
    return path


def test_shipped_routines_load_and_name_real_specs():
    ids = list_routines()
    assert {"daily_psoas", "gentle_psoas"} <= set(ids)
    specs = set(list_specs())
    for rid in ids:
        r = load_routine(rid)
        assert r.steps and all(s.stretch in specs for s in r.steps)
    daily = load_routine("daily_psoas")
    assert [s.stretch for s in daily.steps] == ["half_kneeling_hip_flexor", "supine_psoas",
                                                "glute_bridge"]
    gentle = load_routine("gentle_psoas")
    assert [s.stretch for s in gentle.steps] == ["supine_psoas_gentle", "lying_edge_psoas"]
    assert daily.steps[2].sides == ("both",)


def test_a_good_file_and_its_step_specs(tmp_path):
    r = load_routine(write(tmp_path, GOOD))
    hk, bridge = r.steps
    assert (hk.sides, hk.reps, hk.target_s, hk.rest_s) == (("right", "left"), 2, 25.0, 8.0)
    spec = hk.spec()
    assert (spec.hold.target_s, spec.hold.reps, spec.hold.sides, spec.hold.rest_s) == (
        25.0, 2, ("right", "left"), 8.0)
    # left out: the spec's own values
    from posecheck.specs.parse import load_spec

    base = load_spec("glute_bridge").hold
    assert (bridge.sides, bridge.reps, bridge.target_s) == (tuple(base.sides), base.reps,
                                                            base.target_s)
    assert r.planned_s == pytest.approx(4 * 25 + 3 * 8 + 15 + base.reps * base.target_s
                                        + (base.reps - 1) * base.rest_s)


@pytest.mark.parametrize("text, field, words", [
    (GOOD.replace('"half_kneeling_hip_flexor"', '"psoas_yoga"'), "steps[0].stretch",
     "unknown stretch"),
    (GOOD.replace("reps = 2", "reps = 0"), "steps[0].reps", "whole number"),
    (GOOD.replace("reps = 2", "reps = 2.5"), "steps[0].reps", "whole number"),
    (GOOD.replace("target_s = 25.0", "target_s = -3"), "steps[0].target_s", "seconds"),
    (GOOD.replace("target_s = 25.0", "target_s = 3000"), "steps[0].target_s", "<= 600"),
    (GOOD.replace('sides = ["right", "left"]', 'sides = ["both"]'), "steps[0].sides",
     "bad sides"),
    (GOOD + 'sides = ["left"]\n', "steps[1].sides", 'sides = ["both"]'),
    (GOOD.replace("rest_s = 8.0", "rest_s = 8.0\nrepz = 3"), "steps[0].repz", "unknown key"),
    (GOOD.replace('name = "Test routine"', ""), "name", "non-empty"),
    (GOOD.split("[[steps]]")[0], "steps", "missing or empty"),
    (GOOD.replace("rest_between_s = 15.0", 'rest_between_s = "soon"'), "rest_between_s",
     "seconds"),
    (GOOD.replace('id = "{id}"', 'id = "other"'), "id", "differs from the file name"),
])
def test_broken_files_name_file_and_field(tmp_path, text, field, words):
    path = write(tmp_path, text)
    with pytest.raises(RoutineError) as exc:
        load_routine(path)
    msg = str(exc.value)
    assert str(path) in msg
    assert f"field '{field}'" in msg
    assert words in msg
    assert "Fix:" in msg


def test_bad_toml_and_unknown_id(tmp_path):
    path = write(tmp_path, "id = [oops")
    with pytest.raises(RoutineError, match="not valid TOML") as exc:
        load_routine(path)
    assert str(path) in str(exc.value)
    with pytest.raises(RoutineError, match="unknown routine 'nope'.*daily_psoas"):
        load_routine("nope")


def test_running_a_routine_done_skip_repeat():
    from posecheck.programme.routines import RoutineRun

    run = RoutineRun(load_routine("daily_psoas"))
    hk, supine, bridge = run.routine.steps
    assert run.step is hk and run.next_step is supine
    run.done()
    run.repeat(previous=True)  # once more on the half-kneeling stretch
    assert run.step is hk
    run.done()
    run.skip()
    assert run.step is bridge and run.next_step is None
    run.repeat()
    assert run.step is bridge
    run.done()
    assert run.finished and run.step is None
    assert run.log == [(0, "done"), (0, "repeated"), (0, "done"), (1, "skipped"),
                       (2, "repeated"), (2, "done")]
    with pytest.raises(ValueError):
        run.done()
    with pytest.raises(ValueError):
        RoutineRun(run.routine).repeat(previous=True)


def test_announcements():
    from posecheck.programme.routines import announcement

    hk, _, bridge = load_routine("daily_psoas").steps
    assert announcement(hk, "Half-kneeling stretch", first=True) == (
        "First: Half-kneeling stretch. Left side, then right, 2 holds of 30 seconds on each "
        "side, 10 seconds rest between them.")
    assert announcement(bridge, "Glute bridge") == (
        "Next: Glute bridge. Both sides at once, 10 holds of 5 seconds, 2 seconds rest "
        "between them.")


def test_step_status_and_rows_for_the_page():
    from posecheck.programme.routines import RoutineRun, sides_text, step_rows

    run = RoutineRun(load_routine("daily_psoas"))
    hk, supine, bridge = run.routine.steps
    assert [sides_text(s) for s in run.routine.steps] == ["left, then right", "left, then right",
                                                          "both at once"]
    run.done()
    run.skip()
    assert [run.status(k) for k in range(3)] == ["done", "skipped", "now"]
    run.repeat(previous=True)  # back to the skipped step: it is the current one again
    assert [run.status(k) for k in range(3)] == ["done", "now", "to do"]
    run.done()
    rows = step_rows(run, name=str.upper)
    assert [r["stretch"] for r in rows] == [s.stretch.upper() for s in run.routine.steps]
    assert [r["status"] for r in rows] == ["done", "done", "now"]
    assert [(r["reps"], r["hold (s)"], r["rest (s)"]) for r in rows] == [
        (2, "30", "10"), (2, "30", "10"), (10, "5", "2")]
