"""`posecheck score` and `tune` on labels (pure + CLI layer, no model: factory landmarks are
served as the landmark cache), and the accuracy table of posecheck.tuning.scorecard."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from posecheck.tuning.labels import ClipLabels, Interval
from posecheck.tuning.scorecard import (UNSURE, ClipResult, Row, majority_side, markdown_table,
                                        reported_side, rows)
from posecheck.tuning.score import Counts


# ---------------------------------------------------------------------------- fake clips
def _track(path: Path, frames: tuple, fps: float = 10.0):
    from posecheck.model.cache import LandmarkTrack
    from posecheck.io.video import VideoInfo

    return LandmarkTrack(info=VideoInfo(path=path, width=1280, height=720, fps=fps,
                                        frame_count=len(frames),
                                        duration_s=len(frames) / fps),
                         frames=frames, model="lite", video_sha256="0" * 64)


@pytest.fixture()
def fake_cache(tmp_path, monkeypatch):
    """``add(name, frames)`` registers a 10 fps clip whose landmarks come from the cache."""
    from posecheck.model import landmarks as model_landmarks
    tracks: dict[str, object] = {}

    def add(name: str, frames: tuple) -> str:
        path = tmp_path / name
        path.write_bytes(b"not really a video")
        tracks[str(path.resolve())] = _track(path, frames)
        return name

    monkeypatch.setattr(model_landmarks, "load_or_estimate",
                        lambda video, *a, **k: tracks[str(Path(video).resolve())])
    return add


def _lunge(n: int, t0: int = 0, **kw) -> tuple:
    from factories import make_pose

    return tuple(make_pose("deep_lunge", t_ms=t0 + i * 100, index=i, **kw) for i in range(n))


def _labels(tmp_path: Path, clips: list[str]) -> Path:
    p = tmp_path / "labels.toml"
    p.write_text('format = "posecheck-labels/1"\nroot = "."\n' + "\n".join(clips) + "\n",
                 encoding="utf-8")
    return p


# ---------------------------------------------------------------------------- issue 18 item 6
OUTSIDE = '''[[clips]]
video = "{name}"
stretch = "deep_lunge"
intervals = [ {{ start_s = 100.0, end_s = 200.0, in_position = true }} ]'''


def test_score_refuses_an_interval_outside_the_clip(fake_cache, tmp_path, capsys) -> None:
    from posecheck.cli import main

    fake_cache("four.mp4", _lunge(40))  # a 4 s clip
    labels = _labels(tmp_path, [OUTSIDE.format(name="four.mp4")])
    assert main(["score", "--labels", str(labels)]) == 2
    err = capsys.readouterr().err
    for word in (str(labels), "four.mp4", "[100, 200]", "4.00 s"):
        assert word in err
    assert "Traceback" not in err


def test_tune_refuses_labels_outside_the_clips(fake_cache, tmp_path, capsys) -> None:
    from posecheck.cli import main

    for k in range(2):
        fake_cache(f"c{k}.mp4", _lunge(40))
    labels = _labels(tmp_path, [OUTSIDE.format(name=f"c{k}.mp4") for k in range(2)])
    out = tmp_path / "tuned.toml"
    assert main(["tune", "--spec", "deep_lunge", "--labels", str(labels), "--out",
                 str(out)]) == 2
    err = capsys.readouterr().err
    assert "outside the clip" in err and "nan" not in err
    assert not out.exists()


def test_tune_refuses_labels_that_say_nothing(fake_cache, tmp_path, capsys) -> None:
    """Intervals inside the clips that label neither the position nor a check: no evidence."""
    from posecheck.cli import main

    clips = []
    for k in range(2):
        fake_cache(f"c{k}.mp4", _lunge(40))
        clips.append(f'[[clips]]\nvideo = "c{k}.mp4"\nstretch = "deep_lunge"\n'
                     'intervals = [ { start_s = 0.0, end_s = 3.0, note = "looked" } ]')
    out = tmp_path / "tuned.toml"
    assert main(["tune", "--spec", "deep_lunge", "--labels", str(_labels(tmp_path, clips)),
                 "--out", str(out)]) == 2
    assert "nothing to" in capsys.readouterr().err
    assert not out.exists()


# ---------------------------------------------------------------------------- table (CLI)
def test_score_table_counts_false_holds_and_auto(fake_cache, tmp_path, capsys) -> None:
    """A held lunge, the same pose labelled as reps (no hold is right) and a standing
    negative: the reps clip's booked seconds are a false hold; the table says so."""
    import json

    from factories import make_pose
    from posecheck.cli import main

    fake_cache("held.mp4", _lunge(80))
    fake_cache("reps.mp4", _lunge(80))
    fake_cache("stand.mp4", tuple(make_pose("standing", t_ms=i * 100, index=i)
                                  for i in range(40)))
    doc = tmp_path / "ACC.md"
    from posecheck.commands.score import MARK_BEGIN, MARK_END
    doc.write_text(f"# intro\n\n{MARK_BEGIN}\nold\n{MARK_END}\n\ntail\n", encoding="utf-8")
    held = ('[[clips]]\nvideo = "held.mp4"\nstretch = "deep_lunge"\nside = "left"\n'
            'intervals = [ { start_s = 0.0, end_s = 8.0, in_position = true } ]')
    reps = ('[[clips]]\nvideo = "reps.mp4"\nstretch = "deep_lunge"\nmotion = "reps"\n'
            'intervals = [ { start_s = 0.0, end_s = 8.0, in_position = true } ]')
    neg = ('[[clips]]\nvideo = "stand.mp4"\nstretch = "none"\n'
           'intervals = [ { start_s = 0.0, end_s = 4.0 } ]')
    res = tmp_path / "s.json"
    assert main(["score", "--labels", str(_labels(tmp_path, [held, reps, neg])),
                 "--markdown", str(doc), "--json", str(res)]) == 0
    out = capsys.readouterr().out
    assert "negatives" in out
    clips = {c["video"]: c for c in json.loads(res.read_text())["clips"]}
    assert clips["held.mp4"]["hold_pred_s"] > 1.0  # the factory lunge is a valid hold
    assert clips["held.mp4"]["hold_true_s"] == pytest.approx(8.0, abs=0.2)
    assert clips["reps.mp4"]["hold_true_s"] == 0.0
    # the same landmarks as the held clip: what its own spec books is a false hold here
    assert clips["reps.mp4"]["hold_pred_s"] == pytest.approx(clips["held.mp4"]["hold_pred_s"])
    assert clips["reps.mp4"]["false_hold_s"] >= clips["reps.mp4"]["hold_pred_s"] > 1.0
    assert clips["reps.mp4"]["auto_expected"] == "none"
    assert clips["stand.mp4"]["auto_expected"] == "none"
    assert clips["held.mp4"]["side_label"] == "left"
    text = doc.read_text()
    assert text.startswith("# intro") and text.rstrip().endswith("tail") and "\nold\n" not in text
    assert "no real footage" in text  # stretches without clips are marked
    assert "by `posecheck score --labels " in text and "--json" not in text  # how to remake it


# ---------------------------------------------------------------------------- table (pure)
def _clip(stretch="deep_lunge", motion="", side=None, video="a.mp4") -> ClipLabels:
    return ClipLabels(video, stretch, (Interval(0.0, 4.0, in_position=True),), motion=motion,
                      side=side)


def test_clip_result_judgements_by_hand() -> None:
    held = ClipResult(_clip(side="right"), hold_pred_s=3.0, hold_true_s=4.0, in_position_s=4.0,
                      side_pred="right", auto="deep_lunge")
    assert held.side_right is True and held.auto_right is True
    assert held.false_hold_s == 0.0 and held.hold_error_s == 1.0
    reps = ClipResult(_clip(motion="reps", video="b.mp4"), hold_pred_s=2.5, auto="deep_lunge",
                      auto_hold_s=6.0)
    assert reps.expected_auto == "none" and reps.auto_right is False
    assert reps.false_hold_s == 6.0  # the larger of own spec and --stretch auto
    unsure = ClipResult(_clip(side="unsure", video="c.mp4"), side_pred="left")
    assert unsure.side_right is None
    both = ClipResult(_clip(stretch="cobra", side="none", video="d.mp4"))
    assert Row("x", (held, unsure, both)).side == (1, 1, 0, 1, 0)  # "none" is not unsure
    # posecheck unsure where the person was sure: not right, and counted as said unsure
    told_unsure = ClipResult(_clip(side="right", video="e.mp4"), side_pred=UNSURE)
    agree_unsure = ClipResult(_clip(side="unsure", video="f.mp4"), side_pred=UNSURE)
    assert told_unsure.side_right is False
    assert Row("x", (held, told_unsure, unsure, agree_unsure)).side == (1, 2, 1, 2, 1)


def test_rows_figures_and_empty_stretches() -> None:
    a = ClipResult(_clip(side="left"), in_position=Counts(tp=3.0, fn=1.0),
                   checks={"c": Counts(tn=2.0, fp=2.0)}, hold_pred_s=3.0, hold_true_s=4.0,
                   in_position_s=4.0, side_pred="right", auto="deep_lunge")
    b = ClipResult(_clip(video="b.mp4", motion="reps"), hold_pred_s=2.0, hold_true_s=0.0,
                   in_position_s=1.0, auto="none")
    n = ClipResult(_clip("none", video="n.mp4"), auto="none", auto_hold_s=0.0)
    table = rows([a, b, n], stretch_ids=["camel", "deep_lunge"])
    by = {r.name: r for r in table}
    assert by["camel"].results == ()
    lunge = by["deep_lunge"]
    assert lunge.in_position.agreement == pytest.approx(0.75)
    assert lunge.checks.agreement == pytest.approx(0.5)
    assert lunge.hold_error_s == pytest.approx(3.0)  # |3-4| + |2-0|
    assert lunge.hold_error_fraction == pytest.approx(3.0 / 5.0)
    assert lunge.side == (0, 1, 0, 0, 0)
    assert lunge.false_holds == (1, 1)
    assert lunge.auto == (2, 2)
    assert by["all"].false_holds == (1, 2)
    md = markdown_table(table)
    assert "| camel | no real footage |" in md
    assert "0/1, 0 unsure (-)" in md  # side: wrong on the one sure clip


def test_the_told_side_is_the_holds_call_by_seconds() -> None:
    assert reported_side([("left", 5.0)]) == "left"
    assert reported_side([("left", 5.0), (UNSURE, 2.0)]) == "left"
    assert reported_side([("left", 2.0), (UNSURE, 5.0)]) == UNSURE  # as the user read it
    assert reported_side([("left", 3.0), ("right", 3.0)]) == UNSURE  # a tie tells no side
    assert reported_side([("right", 1.0), ("left", 4.0)], photo_side="right") == "left"
    # no hold (a photo): the frames' side, as its caller judged it
    assert reported_side([], photo_side="right") == "right"
    assert reported_side([], photo_side=UNSURE) == UNSURE
    assert reported_side([]) == ""


def test_majority_side_weighs_seconds_where_both_say_in_position() -> None:
    side = np.array(["left", "left", "right", "right", "right", ""], dtype=object)
    in_pose = np.array([1, 1, 1, 1, 0, 1])
    truth = np.array([1, 1, 1, 1, 1, 1])
    w = np.array([0.5, 0.5, 0.1, 0.1, 5.0, 1.0])
    assert majority_side(side, in_pose, truth, w) == "left"
    assert majority_side(side, np.zeros(6), truth, w) == ""


def test_empty_row_agreements_are_nan_not_errors() -> None:
    r = Row("x", ())
    assert math.isnan(r.in_position.agreement) and math.isnan(r.hold_error_fraction)


def test_the_score_takes_the_side_the_report_tells() -> None:
    """clip_result's side is the report's hold call, so "unsure" reaches the column."""
    from dataclasses import replace

    from factories import mislabelled_trunk, sequence
    from posecheck.core.analysis import analyze_frames
    from posecheck.specs.parse import load_spec
    from posecheck.tuning.scorecard import told_side
    from posecheck.tuning.trace import ClipTrace

    spec = load_spec("deep_lunge")

    def told(frames, fps=30.0, flip=False):
        report = analyze_frames(frames, spec, fps=fps, smoothing="none")
        trace = ClipTrace.from_report(report, "x.mp4", spec)
        if flip:  # the frames' majority says the other side
            trace = replace(trace, side=np.array(
                [{"left": "right", "right": "left"}.get(s, s) for s in trace.side], dtype=object))
        return told_side(report, trace, np.ones(len(trace.t_s), dtype=int), trace.weights)

    clear = sequence(120, 30.0, stretch="deep_lunge", side="left")
    assert told(clear) == "left"
    assert told(clear, flip=True) == "left"  # the holds, not the frames' majority
    doubtful = [mislabelled_trunk(f) for f in clear]
    assert told(doubtful) == UNSURE
    assert told(doubtful[:1], fps=0.0) == UNSURE  # no hold: the frames' side, same rule
    assert told(clear[:1], fps=0.0) == "left"
