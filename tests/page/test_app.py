"""The Streamlit page renders (AppTest, no browser): every spec is in the picker, both sources
show their controls, and nothing raises."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from posecheck.live.texts import samples_for
from posecheck.specs.parse import list_specs, load_spec

APP = Path(__file__).resolve().parents[2] / "app.py"


class FakeStreamer:
    """Stands in for ``webrtc_streamer``: it needs a real Streamlit server (the browser
    tests cover it); here we only record how the page calls it."""

    def __init__(self):
        self.calls: list[dict] = []

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        return SimpleNamespace(state=SimpleNamespace(playing=False, signalling=False),
                               video_processor=None)


@pytest.fixture(autouse=True)
def private_history(monkeypatch, tmp_path):
    """The page saves every session it runs: never into the user's own history."""
    monkeypatch.setenv("POSECHECK_DB", str(tmp_path / "history.sqlite3"))


@pytest.fixture()
def streamer(monkeypatch):
    import streamlit_webrtc

    fake = FakeStreamer()
    monkeypatch.setattr(streamlit_webrtc, "webrtc_streamer", fake)
    monkeypatch.delenv("POSECHECK_ICE_SERVERS", raising=False)
    return fake


@pytest.fixture()
def app(streamer):
    testing = pytest.importorskip("streamlit.testing.v1")
    at = testing.AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def widget(elements, label: str):
    found = [e for e in elements if e.label == label]
    assert found, f"no widget labelled {label!r}: {[e.label for e in elements]}"
    return found[0]


def test_every_spec_is_in_the_picker(app):
    picker = widget(app.sidebar.selectbox, "Stretch")
    names = [load_spec(i).name for i in list_specs()]
    assert list(picker.options) == names
    assert names  # at least one bundled spec


def test_the_half_kneeling_stretch_is_selected_by_default(app):
    assert widget(app.sidebar.selectbox, "Stretch").value == "half_kneeling_hip_flexor"


def test_landing_page_offers_a_sample_video_and_switches_to_it(app):
    assert app.title[0].value == "Stretch"
    text = " ".join(m.value for m in app.markdown)
    assert "Press **START**" in text
    [b for b in app.button if b.label.startswith("No camera? Try it on a sample video")][0] \
        .click().run()
    assert not app.exception
    assert widget(app.sidebar.radio, "Source").value == "Video file"


def test_samples_are_those_of_the_chosen_stretch(tmp_path):
    for name, stretch in (("a.mp4", "deep_lunge"), ("b.mp4", "half_kneeling_hip_flexor"),
                          ("deep_lunge_x.mp4", None), (".c.mp4", "deep_lunge")):
        (tmp_path / name).write_bytes(b"")
        if stretch:
            import gzip
            import json

            with gzip.open(tmp_path / (Path(name).stem + ".truth.json.gz"), "wt") as fh:
                json.dump({"stretch": stretch}, fh)
    assert [p.name for p in samples_for("deep_lunge", tmp_path)] == ["a.mp4", "deep_lunge_x.mp4"]
    assert [p.name for p in samples_for("half_kneeling_hip_flexor", tmp_path)] == ["b.mp4"]


def test_picking_a_stretch_shows_its_plan(app):
    picker = widget(app.sidebar.selectbox, "Stretch")
    for spec_id in list_specs():
        spec = load_spec(spec_id)
        picker.set_value(spec_id).run()
        assert not app.exception
        text = " ".join(m.value for m in app.sidebar.markdown)
        assert spec.description in text
        assert f"{spec.hold.target_s:g} s" in text


def test_camera_view_has_model_mirror_and_placement_hint(app):
    assert list(widget(app.sidebar.radio, "Pose model").options) == ["lite", "full"]
    assert widget(app.sidebar.checkbox, "Mirror").value is True
    captions = " ".join(c.value for c in app.sidebar.caption)
    assert "hip height" in captions and "2-4 m" in captions


def test_video_source_offers_a_file(app):
    widget(app.sidebar.radio, "Source").set_value("Video file").run()
    assert not app.exception
    labels = [r.label for r in app.radio] + [getattr(u, "label", "") for u in
                                              app.get("file_uploader")]
    assert "Video" in labels or "Video file" in labels


def test_camera_is_sendrecv_with_no_ice_servers_by_default(app, streamer):
    from streamlit_webrtc import WebRtcMode

    call = streamer.calls[-1]
    assert call["mode"] == WebRtcMode.SENDRECV
    assert call["rtc_configuration"] == {"iceServers": []}
    assert call["async_processing"] is True
    assert call["video_html_attrs"]["controls"] is False  # nothing over the banner
    assert callable(call["video_processor_factory"])


@pytest.mark.slow
def test_a_sample_video_is_analysed_with_the_live_core(streamer, monkeypatch, tmp_path):
    from posecheck.synth.samples import write_samples

    clip_id = "deep_lunge_good_right"
    existing = Path(__file__).resolve().parents[2] / "sample_videos" / f"{clip_id}.mp4"
    if existing.is_file():
        (tmp_path / existing.name).symlink_to(existing)
    else:
        write_samples(tmp_path, only=[clip_id], progress=False)
    monkeypatch.setenv("POSECHECK_SAMPLE_DIR", str(tmp_path))
    testing = pytest.importorskip("streamlit.testing.v1")
    at = testing.AppTest.from_file(str(APP), default_timeout=300)
    at.run()
    widget(at.sidebar.selectbox, "Stretch").set_value("deep_lunge").run()
    widget(at.sidebar.radio, "Source").set_value("Video file").run()
    widget(at.selectbox, "Sample").set_value(tmp_path / f"{clip_id}.mp4").run()
    [b for b in at.button if b.label == "Analyse"][0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.get("video"), "no annotated video shown"
    assert any(h.value == "Summary of the video" for h in at.subheader)
    text = " ".join(m.value for m in at.markdown)
    assert "Left: " in text and "Right: " in text and "held well" in text
    # A new choice clears the earlier result: nothing is shown under another file's name.
    widget(at.sidebar.checkbox, "Mirror").set_value(True).run()
    assert not at.get("video") and not any(h.value == "Summary of the video"
                                           for h in at.subheader)


# ---------------------------------------------------------------------------- routines, history
SAMPLES = Path(__file__).resolve().parents[2] / "sample_videos"


def texts(at) -> str:
    return " ".join(m.value for m in list(at.markdown) + list(at.sidebar.markdown))


def test_a_routine_shows_its_steps_and_done_skip_repeat_move_through_it(app):
    from posecheck.programme.routines import announcement, load_routine

    routine = load_routine("daily_psoas")
    hk, supine, bridge = routine.steps
    widget(app.sidebar.selectbox, "Routine").set_value("daily_psoas").run()
    assert not app.exception, [e.value for e in app.exception]
    # The routine picks the stretch: no stretch picker, the step's stretch and plan instead.
    assert not [e for e in app.sidebar.selectbox if e.label == "Stretch"]
    assert "routine step 1 of 3" in texts(app)
    assert f"{hk.reps} holds of {hk.target_s:g} s per side" in texts(app)
    table = app.table[0].value
    assert list(table["stretch"]) == [load_spec(s.stretch).name for s in routine.steps]
    assert list(table["status"]) == ["now", "to do", "to do"]
    assert list(table["hold (s)"]) == ["30", "30", "5"] and list(table["reps"]) == [2, 2, 10]
    text = texts(app)
    assert announcement(hk, load_spec(hk.stretch).name, first=True) in text
    assert f"**Next:** {load_spec(supine.stretch).name}" in text
    assert app.get("imgs") or app.get("image")  # the figures: sidebar and next stretch

    def press(label):
        [b for b in app.button if b.label == label][0].click().run()
        assert not app.exception, [e.value for e in app.exception]

    press("Step done")
    assert "routine step 2 of 3" in texts(app)
    assert list(app.table[0].value["status"]) == ["done", "now", "to do"]
    assert announcement(supine, load_spec(supine.stretch).name) in texts(app)
    press("Repeat step")
    assert "routine step 2 of 3" in texts(app)
    press("Skip step")
    assert list(app.table[0].value["status"]) == ["done", "skipped", "now"]
    assert "**Next:** nothing, this is the last step." in texts(app)
    assert load_spec(bridge.stretch).name in texts(app)
    press("Step done")
    assert any("Routine finished: 2 of 3 steps done" in s.value for s in app.success)
    # Finished: the stretch picker is back; starting again goes to step 1.
    assert [e for e in app.sidebar.selectbox if e.label == "Stretch"]
    press("Start the routine again")
    assert "routine step 1 of 3" in texts(app)
    # Leaving the routine gives the single-stretch page back.
    widget(app.sidebar.selectbox, "Routine").set_value("none").run()
    assert not app.table and [e for e in app.sidebar.selectbox if e.label == "Stretch"]


def test_the_save_toggle_is_on_by_default(app):
    toggle = widget(app.sidebar.toggle, "Save this session to my history")
    assert toggle.value is True


def history_rows(capsys) -> list[dict]:
    """``posecheck history list --json`` (POSECHECK_DB is set by the test)."""
    import json

    from posecheck import cli
    capsys.readouterr()
    assert cli.main(["history", "list", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def analyse(at, clip: str) -> None:
    widget(at.selectbox, "Sample").set_value(SAMPLES / clip).run()
    assert not at.exception, [e.value for e in at.exception]
    [b for b in at.button if b.label == "Analyse"][0].click().run()
    assert not at.exception, [e.value for e in at.exception]


@pytest.fixture()
def page_with_db(streamer, monkeypatch, tmp_path):
    testing = pytest.importorskip("streamlit.testing.v1")
    db = tmp_path / "history.sqlite3"
    monkeypatch.setenv("POSECHECK_DB", str(db))
    monkeypatch.setenv("POSECHECK_SAMPLE_DIR", str(SAMPLES))
    at = testing.AppTest.from_file(str(APP), default_timeout=300)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    widget(at.sidebar.radio, "Pose model").set_value("lite").run()
    return at, db


@pytest.mark.slow
def test_a_routine_step_on_a_sample_video_is_saved_with_the_routine(page_with_db, capsys):
    at, db = page_with_db
    widget(at.sidebar.selectbox, "Routine").set_value("daily_psoas").run()
    widget(at.sidebar.radio, "Source").set_value("Video file").run()
    analyse(at, "hk_good_left.mp4")
    assert any("Saved to your history" in s.value for s in at.success), \
        [s.value for s in at.success] + [e.value for e in at.error]
    rows = history_rows(capsys)
    assert rows, "nothing in the history"
    assert {r["stretch"] for r in rows} == {"half_kneeling_hip_flexor"}
    assert {r["routine"] for r in rows} == {"daily_psoas"} and {r["source"] for r in rows} == {
        "live"}
    best = max(rows, key=lambda r: r["valid_hold_s"])
    assert best["side"] == "left"
    assert best["valid_hold_s"] > 5.0
    assert best["target_s"] == 30.0  # the routine step's target, not the spec's own 20 s
    assert best["rom_metric"] == "stretched_hip_extension_deg"
    assert best["rom_deg"] is not None and 0.0 < best["rom_deg"] < 60.0
    # The next step runs the next stretch, and its session is saved too.
    [b for b in at.button if b.label == "Step done"][0].click().run()
    assert not any("Saved to your history" in s.value for s in at.success)  # old result gone
    analyse(at, "supine_psoas_good_left.mp4")
    rows = history_rows(capsys)
    supine = [r for r in rows if r["stretch"] == "supine_psoas"]
    assert supine and {r["routine"] for r in supine} == {"daily_psoas"}
    assert {r["target_s"] for r in supine} == {30.0}
    assert any(r["rom_deg"] is not None and r["rom_metric"] == "other_hip_flexion_deg"
               for r in supine)
    assert len({r["session_id"] for r in rows}) == 2


@pytest.mark.slow
def test_with_the_toggle_off_nothing_is_saved(page_with_db, capsys):
    at, db = page_with_db
    widget(at.sidebar.toggle, "Save this session to my history").set_value(False).run()
    widget(at.sidebar.radio, "Source").set_value("Video file").run()
    analyse(at, "hk_good_left.mp4")
    assert any(h.value == "Summary of the video" for h in at.subheader)
    assert not any("Saved to your history" in s.value for s in at.success)
    assert any("saving to your history is off" in c.value for c in at.caption)
    assert history_rows(capsys) == []
    # On again: the same clip is saved (so the empty history above was the toggle's doing).
    widget(at.sidebar.toggle, "Save this session to my history").set_value(True).run()
    [b for b in at.button if b.label == "Analyse"][0].click().run()
    assert any("Saved to your history" in s.value for s in at.success)
    assert history_rows(capsys)


@pytest.mark.slow
def test_a_history_that_cannot_be_used_is_one_line_on_the_page(page_with_db, monkeypatch,
                                                               tmp_path):
    at, _ = page_with_db
    bad = tmp_path / "not-a-db.sqlite3"
    bad.write_bytes(b"my notes, not a database\n" * 100)
    monkeypatch.setenv("POSECHECK_DB", str(bad))
    widget(at.sidebar.radio, "Source").set_value("Video file").run()
    analyse(at, "hk_good_left.mp4")
    assert any(h.value == "Summary of the video" for h in at.subheader)  # the result stays
    errors = [e.value for e in at.error]
    assert len(errors) == 1 and errors[0].startswith("Not saved to your history: ")
    assert str(bad) in errors[0] and "not a SQLite database" in errors[0]
    assert "\n" not in errors[0] and "Traceback" not in errors[0]
    assert bad.read_bytes() == b"my notes, not a database\n" * 100  # never overwritten


def test_save_off_and_the_place_in_a_routine_survive_a_visit_to_another_page(app):
    from posecheck.page import PROGRESS_PAGE

    widget(app.sidebar.toggle, "Save this session to my history").set_value(False).run()
    widget(app.sidebar.selectbox, "Routine").set_value("daily_psoas").run()
    [b for b in app.button if b.label == "Step done"][0].click().run()
    assert "routine step 2 of 3" in texts(app)
    app.switch_page(str(PROGRESS_PAGE)).run()
    assert not app.exception, [e.value for e in app.exception]
    assert app.title[0].value == "Progress"
    app.switch_page(str(Path(__file__).resolve().parents[2] / "posecheck/page/app.py")).run()
    assert not app.exception, [e.value for e in app.exception]
    assert widget(app.sidebar.toggle, "Save this session to my history").value is False
    assert widget(app.sidebar.selectbox, "Routine").value == "daily_psoas"
    assert "routine step 2 of 3" in texts(app)
