"""--annotate (posecheck.batch.annotate): the annotated H.264 video, mirrored or not.

Layer: worker (fake model and analysis, videos made with OpenCV).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from posecheck.batch import annotate, stages

from fakes import fake_analyze, fake_pipeline, make_video, run, summary_rows  # noqa: F401


def analyze_with_frames(frames, specs, info, video, auto=False, **options):
    """fake_analyze, with one per-frame report (its index only) for the annotated video."""
    outcome = fake_analyze(frames, specs, info, video, auto)
    return dataclasses.replace(outcome, analysis=type("A", (), {"frames": [
        type("R", (), {"index": f.index})() for f in frames]})())


def test_annotated_video_is_h264_with_every_frame(tmp_path, fake_pipeline, monkeypatch):
    av = pytest.importorskip("av")
    good = make_video(tmp_path / "good.mp4", frames=9, size=(65, 49))  # odd sizes
    drawn = []
    monkeypatch.setattr(annotate, "_annotate",
                        lambda img, rep, mirrored=False: drawn.append(rep) or img)

    monkeypatch.setattr(stages, "analyze_track", analyze_with_frames)
    status, out = run(tmp_path, good, extra=["--annotate"])
    assert status == 0 and len(drawn) == 9
    row = summary_rows(out)[0]
    with av.open(str(out / row["annotated"])) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        assert sum(1 for _ in container.decode(stream)) == 9
    assert oct((out / row["report"]).stat().st_mode & 0o777) == "0o644"


@pytest.mark.parametrize("flag, mirrored", [((), False), (("--mirrored",), True)])
def test_annotated_skeleton_follows_mirrored(tmp_path, fake_pipeline, monkeypatch, flag,
                                             mirrored):
    """--mirrored un-mirrors the poses for the analysis; drawing them on the video's own
    (mirrored) pixels must reflect them back, or the skeleton comes out flipped."""
    good = make_video(tmp_path / "good.mp4", frames=4, size=(64, 48))
    seen = []
    monkeypatch.setattr(annotate, "_annotate",
                        lambda img, rep, mirrored=False: seen.append(mirrored) or img)

    monkeypatch.setattr(stages, "analyze_track", analyze_with_frames)
    status, _ = run(tmp_path, good, extra=["--annotate", *flag])
    assert status == 0 and seen == [mirrored] * 4


def test_drawing_a_mirrored_report_lands_on_the_mirrored_pixels():
    """The end to end promise behind the flag: a pose un-mirrored for the analysis, drawn with
    mirrored=True on the original image, puts the skeleton where the person is."""
    import numpy as np
    from factories import make_pose
    from fakes import frame_report, hold_state

    from posecheck.core.hold import Phase
    from posecheck.draw import overlay as drawing
    seen_pose = make_pose("deep_lunge", width=320, height=240)  # as the model saw the image
    report = frame_report(pose=seen_pose.mirrored(), hold=hold_state(Phase.WAITING, None),
                          in_pose=False, valid=False)
    blank = np.zeros((240, 320, 3), np.uint8)
    drawn = drawing.annotate(blank.copy(), report, mirrored=True)
    ankle = seen_pose.xy[27].astype(int)  # an ankle: far from the middle of the image
    mirrored_ankle = (320 - ankle[0], ankle[1])
    near = lambda p: drawn[max(p[1] - 3, 0):p[1] + 4, max(p[0] - 3, 0):p[0] + 4].any()
    assert abs(ankle[0] - 160) > 20  # the two places are apart
    assert near(ankle) and not near(mirrored_ankle)
