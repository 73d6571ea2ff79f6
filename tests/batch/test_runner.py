"""The whole batch (posecheck.batch.runner): an interrupted run resumes, the sample videos give
complete reports.

Layer: worker (fakes) and, marked slow, the real pipeline.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from posecheck import batch
from posecheck.batch import stages

from fakes import fake_analyze, fake_pipeline, make_video, run, summary_rows  # noqa: F401


def test_interrupted_batch_keeps_done_work_and_resumes(tmp_path, fake_pipeline, monkeypatch):
    a = make_video(tmp_path / "a.mp4")
    b = make_video(tmp_path / "b.mp4")

    def ctrl_c_on_b(frames, specs, info, video, auto=False, **options):
        if video.endswith("b.mp4"):
            raise KeyboardInterrupt
        return fake_analyze(frames, specs, info, video, auto)

    monkeypatch.setattr(stages, "analyze_track", ctrl_c_on_b)
    status, out = run(tmp_path, a, b)
    assert status == 130
    assert [r["video"] for r in summary_rows(out)] == [str(a)]
    assert "Not done yet" in (out / "index.html").read_text()
    slug_b = batch.make_slugs([a, b])[1]
    assert not (out / f"{slug_b}.json").exists()

    monkeypatch.setattr(stages, "analyze_track", fake_analyze)
    status, out = run(tmp_path, a, b)
    rows = summary_rows(out)
    assert status == 0 and [r["skipped"] for r in rows] == ["True", "False"]


SAMPLES = Path(__file__).resolve().parents[2] / "sample_videos"


@pytest.mark.slow
def test_sample_videos_give_complete_reports(tmp_path):
    clips = sorted(p for p in SAMPLES.glob("*.mp4") if not p.name.startswith("."))[:2]
    if not clips:
        pytest.skip("no sample_videos/*.mp4 yet")
    out = tmp_path / "out"
    status = batch.main([str(c) for c in clips] + ["--out", str(out), "--quiet", "--stretch",
                                                   "auto"])
    rows = summary_rows(out)
    assert status == 0, [r["error"] for r in rows]
    for row in rows:
        report = json.loads((out / row["report"]).read_text())
        assert report["status"] == "ok" and report["pose_frames"] > 0
        assert report["recognition"]["specs"]  # auto tried the bundled specs
        assert (out / row["plot"]).is_file()
    assert "<img" in (out / "index.html").read_text()
