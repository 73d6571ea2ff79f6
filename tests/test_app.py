"""The Streamlit page renders (AppTest, no browser): every spec is in the picker, both sources
show their controls, and nothing raises."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from posecheck.specs import list_specs, load_spec

APP = Path(__file__).resolve().parents[1] / "app.py"


class FakeStreamer:
    """Stands in for ``webrtc_streamer``: it needs a real Streamlit server (the browser
    tests cover it); here we only record how the page calls it."""

    def __init__(self):
        self.calls: list[dict] = []

    def __call__(self, **kwargs):
        self.calls.append(kwargs)
        return SimpleNamespace(state=SimpleNamespace(playing=False, signalling=False),
                               video_processor=None)


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


def test_samples_are_those_of_the_chosen_stretch(monkeypatch, tmp_path):
    from posecheck.page import app as page_app

    for name, stretch in (("a.mp4", "deep_lunge"), ("b.mp4", "half_kneeling_hip_flexor"),
                          ("deep_lunge_x.mp4", None), (".c.mp4", "deep_lunge")):
        (tmp_path / name).write_bytes(b"")
        if stretch:
            import gzip
            import json

            with gzip.open(tmp_path / (Path(name).stem + ".truth.json.gz"), "wt") as fh:
                json.dump({"stretch": stretch}, fh)
    monkeypatch.setattr(page_app, "SAMPLE_DIR", tmp_path)
    assert [p.name for p in page_app.samples_for("deep_lunge")] == ["a.mp4",
                                                                   "deep_lunge_x.mp4"]
    assert [p.name for p in page_app.samples_for("half_kneeling_hip_flexor")] == ["b.mp4"]


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
    existing = Path(__file__).resolve().parents[1] / "sample_videos" / f"{clip_id}.mp4"
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
