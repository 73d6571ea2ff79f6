"""The tuning page renders under AppTest (no browser, no pose model): a synthetic clip whose
landmarks come from the factory, a slider change alters the score, saving writes a new spec."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

PAGE = Path(__file__).resolve().parents[2] / "posecheck" / "page" / "tune.py"
N, FPS, W, H = 40, 10.0, 320, 240


@pytest.fixture()
def clip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A 4 s clip: a deep lunge whose torso leans 0 -> 40 deg, then standing; the lean is
    labelled fine up to 1.5 s and a fault after."""
    import cv2

    from factories import make_pose
    from posecheck.model import landmarks as model_landmarks
    from posecheck.model.cache import LandmarkTrack
    from posecheck.io.video import VideoInfo

    video = tmp_path / "clip.mp4"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (W, H))
    for i in range(N):
        writer.write(np.full((H, W, 3), 40 + 4 * i, np.uint8))
    writer.release()
    frames = [make_pose("deep_lunge", torso_deg=40 * i / 29, t_ms=i * 100, index=i, width=W,
                        height=H) if i < 30 else
              make_pose("standing", t_ms=i * 100, index=i, width=W, height=H)
              for i in range(N)]
    track = LandmarkTrack(info=VideoInfo(path=video, width=W, height=H, fps=FPS, frame_count=N,
                                         duration_s=N / FPS),
                          frames=tuple(frames), model="lite", video_sha256="0" * 64)
    monkeypatch.setattr(model_landmarks, "load_or_estimate", lambda *a, **k: track)
    labels = tmp_path / "labels.toml"
    labels.write_text(
        'format = "posecheck-labels/1"\nroot = "."\n[[clips]]\nvideo = "clip.mp4"\n'
        'stretch = "deep_lunge"\nintervals = [\n'
        '  { start_s = 0.0, end_s = 1.5, in_position = true, side = "left", '
        'checks = { torso_upright = true } },\n'
        '  { start_s = 1.5, end_s = 3.0, in_position = true, side = "left", '
        'checks = { torso_upright = false } },\n'
        '  { start_s = 3.2, end_s = 4.0, in_position = false },\n]\n', encoding="utf-8")
    monkeypatch.setenv("POSECHECK_LABELS", str(labels))
    return labels


def _metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_page_renders_and_a_slider_changes_the_score(clip: Path) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    before = _metric(at, "check agreement (mean)")
    slider = next(s for s in at.sidebar.slider if s.label.startswith("torso_upright"))
    # a band that is far too strict: most of the labelled-fine frames now fail too
    slider.set_value(float(slider.min) + 0.1 * (float(slider.max) - float(slider.min)))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    after = _metric(at, "check agreement (mean)")
    assert after != before
    assert "torso_upright" in " ".join(m.value for m in at.markdown)


def test_page_saves_a_new_spec_that_loads(clip: Path, tmp_path: Path) -> None:
    from streamlit.testing.v1 import AppTest

    from posecheck.specs.parse import load_spec

    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.run()
    slider = next(s for s in at.sidebar.slider if s.label.startswith("torso_upright"))
    new = round(float(slider.min) + 0.5 * (float(slider.max) - float(slider.min)), 1)
    slider.set_value(new)
    out = tmp_path / "saved.toml"
    at.text_input(key="save_path").set_value(str(out))
    at.run()
    at.button(key="save").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert out.is_file(), [e.value for e in at.error]
    spec = load_spec(out)
    assert spec.check("torso_upright").max == pytest.approx(new, abs=0.05)
    assert "posecheck tune" in out.read_text(encoding="utf-8")  # provenance note
