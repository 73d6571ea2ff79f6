"""Scoring and sweeps on tiny synthetic traces (expected numbers worked out by hand)."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from posecheck.tuning.labels import ClipLabels, Interval
from posecheck.core.hold import HoldSettings
from posecheck.specs.model import CheckSpec
from posecheck.core.rules import FAIL, PASS, UNKNOWN, band_array
from posecheck.tuning.replay import replay, run_timer
from posecheck.tuning.score import Counts, score, score_clip, split_by_stretch, split_clips
from posecheck.tuning.sweep import sweep_check, sweep_timer, tune
from posecheck.tuning.trace import ClipTrace, frame_weights

P, F, U = PASS, FAIL, UNKNOWN


CHECK = CheckSpec(id="c", metric="torso_lean_deg", min=None, max=60.0, unit="deg",
                  cue_high="x")
HOLD = HoldSettings(target_s=30, debounce_s=0.5, grace_s=1.5)


def trace(video: str, t_ms, status=None, values=None, side=None, hold=HOLD,
          check=CHECK) -> ClipTrace:
    """A clip always in position (no pose conditions), one check ``c``."""
    n = len(t_ms)
    return ClipTrace(video=video, stretch="s", t_ms=np.asarray(t_ms),
                     values=values or {}, status=status or {},
                     in_pose=np.ones(n, np.int8),
                     side=np.full(n, "left", object) if side is None else side,
                     checks=(check,), hold=hold)


# ---------------------------------------------------------------------------- scoring
def test_ten_frame_scores_match_hand_count() -> None:
    # 10 frames at 10 fps: each frame stands for 0.1 s.
    #   frame:   0  1  2  3  4  5  6  7  8  9
    #   status:  P  P  F  F  U  P  F  P  P  P
    #   truth:   ok ok bad ok bad ok bad bad -  ok     (- = unlabelled)
    # FAIL is positive: TP = {2, 6}, FP = {3}, FN = {7}, TN = {0, 1, 5, 9};
    # frame 4 is UNKNOWN (coverage), frame 8 unlabelled (ignored).
    status = np.array([P, P, F, F, U, P, F, P, P, P], np.int8)
    t_ms = np.arange(10) * 100
    ivs = []
    truth = [True, True, False, True, False, True, False, False, None, True]
    for i, ok in enumerate(truth):
        if ok is not None:
            ivs.append(Interval(i / 10, (i + 1) / 10, in_position=True, side="left",
                                checks={"c": ok}))
    clip = ClipLabels("v.mp4", "s", tuple(ivs))
    sc = score_clip(trace("v.mp4", t_ms, status={"c": status}), clip)
    c = sc.checks["c"]
    assert (c.tp, c.fp, c.fn, c.tn) == pytest.approx((0.2, 0.1, 0.1, 0.4))
    assert c.unknown == pytest.approx(0.1)
    assert c.precision == pytest.approx(2 / 3)
    assert c.recall == pytest.approx(2 / 3)
    assert c.f1 == pytest.approx(2 / 3)
    assert c.agreement == pytest.approx(6 / 8)
    assert c.coverage == pytest.approx(8 / 9)
    assert c.frames == 9
    assert sc.labelled_s == pytest.approx(0.9)


def test_counts_weigh_by_time_not_frames() -> None:
    # One clip at 30 fps for 1 s all right, one at 10 fps for 1 s all wrong: 50 % agreement.
    a = Counts.from_arrays(np.zeros(30, np.int8), np.zeros(30, np.int8), frame_weights(
        np.arange(30) * 1000 / 30))
    b = Counts.from_arrays(np.ones(10, np.int8), np.zeros(10, np.int8), frame_weights(
        np.arange(10) * 100))
    assert (a + b).agreement == pytest.approx(0.5, abs=0.02)


def test_empty_counts_are_nan_not_errors() -> None:
    c = Counts()
    assert math.isnan(c.precision) and math.isnan(c.agreement) and math.isnan(c.coverage)


def test_frame_weights_treat_dropouts_as_one_frame() -> None:
    w = frame_weights(np.array([0, 100, 200, 5000, 5100]))
    assert w.tolist() == pytest.approx([0.1, 0.1, 0.1, 0.1, 0.1])


# ---------------------------------------------------------------------------- timer replay
def test_replay_hold_counts_what_the_timer_counts() -> None:
    from dataclasses import replace

    from posecheck.core.timer import HoldTimer

    n = 40
    t = np.arange(n) * 100
    in_pose = np.ones(n, np.int8)
    in_pose[25:28] = 0  # a 0.3 s break
    valid = np.ones(n, np.int8)
    valid[10:15] = 0
    side = np.full(n, "left", object)
    hold = HoldSettings(target_s=30, debounce_s=0.5, grace_s=1.0)
    counted, booked = run_timer(t, in_pose, valid, side, hold)
    timer = HoldTimer(replace(hold, target_s=1e9, max_s=1e9))
    for i in range(n):
        st = timer.update(int(t[i]), in_pose=bool(in_pose[i]), valid=bool(valid[i]), side="left")
    assert counted.sum() == pytest.approx(st.valid_s_by_side["left"])
    assert set(booked[counted > 0]) == {"left"}
    # invalid frames (0.5 s) and the break (0.3 s) cost time; the 0.5 s debounce, earned back
    # by the hold, is put back on its own frames
    assert counted.sum() == pytest.approx(3.9 - 0.5 - 0.3)
    assert counted[1:6] == pytest.approx([0.1] * 5) and counted[11:15].sum() == 0.0


def test_hold_error_per_side() -> None:
    n = 30
    t = np.arange(n) * 100  # 3 s
    clip = ClipLabels("v.mp4", "s", (Interval(0.0, 3.0, in_position=True, side="left",
                                              checks={"c": True}),))
    hold = HoldSettings(target_s=30, debounce_s=0.0, grace_s=0.0)
    tr = trace("v.mp4", t, status={"c": np.full(n, P, np.int8)}, hold=hold)
    sc = score_clip(tr, clip)
    assert sc.hold_true_s["left"] == pytest.approx(3.0)
    # without debounce the timer counts every interval after the first frame: 2.9 s
    assert sc.hold_pred_s["left"] == pytest.approx(2.9, abs=0.11)
    assert sc.hold_true_s["total"] == pytest.approx(3.0)
    # a 1 s debounce is earned back by the hold's next second: the same seconds
    sc2 = score_clip(tr, clip, replay(tr, timer={"debounce_s": 1.0}))
    assert sc2.hold_pred_s["left"] == pytest.approx(sc.hold_pred_s["left"], abs=0.01)
    # a 2 s debounce is not (the hold's own 0.9 s are fewer): only those count
    sc3 = score_clip(tr, clip, replay(tr, timer={"debounce_s": 2.0}))
    assert sc3.hold_pred_s["left"] == pytest.approx(0.9, abs=0.11)


# ---------------------------------------------------------------------------- splits
def test_split_is_by_clip_deterministic_and_disjoint() -> None:
    vids = [f"c{i}.mp4" for i in range(9)]
    a1, b1 = split_clips(vids, 0.5, seed=0)
    a2, b2 = split_clips(list(reversed(vids)), 0.5, seed=0)
    assert (a1, b1) == (a2, b2)
    assert not set(a1) & set(b1)
    assert sorted(a1 + b1) == sorted(vids)
    assert len(a1) in (4, 5)
    others = {split_clips(vids, 0.5, seed=s)[0] for s in range(6)}
    assert len(others) > 1  # the seed matters


def test_split_keeps_one_clip_each_side() -> None:
    a, b = split_clips(["x", "y"], 0.9, seed=1)
    assert len(a) == 1 and len(b) == 1


def test_split_by_stretch_covers_each_stretch() -> None:
    clips = [ClipLabels(f"{s}{i}.mp4", s, (Interval(0, 1),)) for s in "ab" for i in range(4)]
    train, test = split_by_stretch(clips, 0.5, seed=0)
    for s in "ab":
        assert any(v.startswith(s) for v in train) and any(v.startswith(s) for v in test)


# ---------------------------------------------------------------------------- sweeps
def _planted(n_clips: int = 4, cut: float = 37.0, seed: int = 0):
    """Clips whose metric rises 0..100; the check truly passes iff value <= cut."""
    rng = np.random.default_rng(seed)
    traces, labels = [], {}
    for k in range(n_clips):
        n = 200
        t = np.arange(n) * 50
        v = np.sort(rng.uniform(0, 100, n))
        vid = f"c{k}.mp4"
        traces.append(trace(vid, t, status={"c": band_array(v, None, 60.0, 0.0)},
                            values={"c": v}))
        ivs = []
        for i in range(n):
            ivs.append(Interval(t[i] / 1000, (t[i] + 50) / 1000, in_position=True,
                                side="left", checks={"c": bool(v[i] <= cut)}))
        labels[vid] = ClipLabels(vid, "s", tuple(ivs))
    return traces, labels


def test_sweep_finds_planted_threshold() -> None:
    traces, labels = _planted()
    check = CheckSpec(id="c", metric="torso_lean_deg", min=None, max=60.0, unit="deg",
                      cue_high="x")
    r = sweep_check(traces, labels, check, grid=101)
    assert r.after["min"] is None  # an open bound stays open
    assert r.after["max"] == pytest.approx(37.0, abs=1.5)
    assert r.train_after > 0.98 > r.train_before


def test_sweep_keeps_threshold_when_labels_agree() -> None:
    traces, labels = _planted(cut=60.0)
    check = CheckSpec(id="c", metric="torso_lean_deg", min=None, max=60.0, unit="deg",
                      cue_high="x")
    r = sweep_check(traces, labels, check)
    assert r.after == r.before and not r.changed


class _Spec:
    """The parts of a StretchSpec that tune() reads."""

    id = "s"
    pose = ()
    hold = HOLD
    checks = (CHECK,)


def test_tune_never_looks_at_test_clips() -> None:
    traces, labels = _planted(n_clips=4)
    train = ("c0.mp4", "c1.mp4")
    test = ("c2.mp4", "c3.mp4")
    r1 = tune(traces, labels, _Spec(), train=train, test=test, tune_timer=False)
    # Make the test clips' labels say something wild: the tuned result must not move.
    wild = dict(labels)
    for vid in test:
        c = labels[vid]
        wild[vid] = ClipLabels(vid, "s", tuple(Interval(iv.start_s, iv.end_s, in_position=True,
                                                        checks={"c": False})
                                               for iv in c.intervals))
    r2 = tune(traces, wild, _Spec(), train=train, test=test, tune_timer=False)
    assert r1.thresholds == r2.thresholds
    assert r1.thresholds["c"]["max"] == pytest.approx(37.0, abs=3.0)
    with pytest.raises(ValueError, match="both train and test"):
        tune(traces, labels, _Spec(), train=train, test=("c1.mp4",))


def test_tune_timer_keeps_the_debounce_when_a_long_hold_earns_it_back() -> None:
    # labels count from the start; the debounce's seconds count once the hold has earned them,
    # so on a 10 s hold every debounce agrees equally and the tie keeps the spec's own
    traces, labels = _planted(n_clips=2, cut=101.0)
    r = tune(traces, labels, _Spec(), train=("c0.mp4", "c1.mp4"), tune_timer=True)
    assert r.timer["debounce_s"] == HOLD.debounce_s
    assert r.timer_train[1] == pytest.approx(r.timer_train[0])


def test_tune_timer_prefers_less_debounce_when_short_holds_are_labelled() -> None:
    # 1.5 s visits labelled as held: a debounce longer than half a visit never earns its credit
    n = 200
    t = np.arange(n) * 50  # 10 s
    in_pose = ((t // 500) % 5 < 3).astype(np.int8)  # 1.5 s in, 1 s out
    cond = CheckSpec(id="p", metric="torso_lean_deg", min=None, max=10.0, unit="deg",
                     cue_high="x")  # in position while the value is 0, out at 50
    tr = replace(trace("c0.mp4", t, status={"c": np.ones(n, np.int8)}), in_pose=in_pose,
                 values={"p": np.where(in_pose == 1, 0.0, 50.0)}, conditions=(cond,))
    ivs = tuple(Interval(t[i] / 1000, (t[i] + 50) / 1000, in_position=bool(in_pose[i]),
                         side="left", checks={"c": True} if in_pose[i] else {})
                for i in range(n))
    labels = {"c0.mp4": ClipLabels("c0.mp4", "s", ivs)}
    r = sweep_timer([tr], labels, {}, replace(HOLD, debounce_s=1.0, grace_s=0.0),
                    grace=(0.0,))
    assert r[0]["debounce_s"] <= 0.75
    assert r[2] > r[1]


# ---------------------------------------------------------------------------- replay = pipeline
def _lunge_clip():
    """3 s at 10 fps of a deep lunge whose torso lean sweeps 0 -> 40 deg, then standing."""
    from factories import make_pose

    frames = []
    for i in range(40):
        if i < 30:
            f = make_pose("deep_lunge", torso_deg=40 * i / 29, t_ms=i * 100, index=i)
        else:
            f = make_pose("standing", t_ms=i * 100, index=i)
        frames.append(f)
    return frames


def test_replay_reproduces_the_session_and_retuned_spec() -> None:
    from posecheck.core.analysis import analyze_frames
    from posecheck.specs.parse import load_spec

    spec = load_spec("deep_lunge")
    frames = _lunge_clip()
    rep = analyze_frames(frames, spec, fps=10, smoothing="none")
    tr = ClipTrace.from_report(rep, "x.mp4", spec)
    rp = replay(tr)
    assert rp.in_pose.tolist() == [int(f.in_pose) for f in rep.frames]
    assert rp.valid.tolist() == [-1 if f.valid is None else int(f.valid) for f in rep.frames]
    for cid in tr.status:
        assert rp.status[cid].tolist() == tr.status[cid].tolist()
    # new thresholds: the replay equals a full re-analysis with the changed spec
    th = {"torso_upright": {"max": 30.0}, spec.pose[0].id: {"min": 45.0}}
    rep2 = analyze_frames(frames, spec.with_thresholds(th), fps=10, smoothing="none")
    rp2 = replay(tr, th)
    codes = {"pass": P, "fail": F, "unknown": U}
    assert rp2.status["torso_upright"].tolist() == [
        codes[f.checks["torso_upright"].status.value] for f in rep2.frames]
    assert rp2.in_pose.tolist() == [int(f.in_pose) for f in rep2.frames]
    counted = {s: rp2.counted[rp2.booked == s].sum() for s in ("left", "right")}
    final = rep2.frames[-1].hold.valid_s_by_side
    for s in ("left", "right"):
        assert counted[s] == pytest.approx(final.get(s, 0.0))


def test_score_summary_across_clips() -> None:
    t = np.arange(10) * 100
    v = np.linspace(0, 90, 10)
    labels = {}
    traces = []
    for name in ("a.mp4", "b.mp4"):
        traces.append(trace(name, t, status={"c": band_array(v, None, 60.0, 0.0)},
                            values={"c": v}))
        labels[name] = ClipLabels(name, "s", (Interval(0.0, 1.0, in_position=True,
                                                       checks={"c": True}),))
    s = score(traces, labels)
    # values 0..90 step 10: 70, 80, 90 fail (> 60) but all should pass: 3 FP frames per clip
    assert s.checks["c"].fp == pytest.approx(0.6)
    assert s.checks["c"].agreement == pytest.approx(0.7)
    s2 = score(traces, labels, thresholds={"c": {"max": 95.0}})
    assert s2.checks["c"].agreement == pytest.approx(1.0)
    assert set(s.by_stretch()) == {"s"}


def test_one_class_labels_only_suggest_a_move() -> None:
    # every frame labelled fine, values up to 100 against max 60: relaxing "helps" on train,
    # but nothing bounds how far, so it is a suggestion unless asked for
    traces, labels = _planted(n_clips=2, cut=101.0)
    r = tune(traces, labels, _Spec(), train=("c0.mp4", "c1.mp4"), tune_pose=False)
    assert r.thresholds == {}
    assert r.suggestions() and "c" in r.suggestions()[0]
    r2 = tune(traces, labels, _Spec(), train=("c0.mp4", "c1.mp4"), tune_pose=False,
              one_class=True)
    assert r2.thresholds["c"]["max"] > 95.0


# ---------------------------------------------------------------------------- CLI (no model)
@pytest.fixture()
def labelled_set(tmp_path, monkeypatch):
    """Four fake deep-lunge clips (factory landmarks served as the landmark cache) and a
    label file: torso lean labelled a fault above 25 deg."""
    from factories import make_pose
    from posecheck.model import landmarks as model_landmarks
    from posecheck.model.cache import LandmarkTrack
    from posecheck.io.video import VideoInfo

    tracks = {}
    lines = ['format = "posecheck-labels/1"', 'root = "."']
    for k in range(4):
        name = f"c{k}.mp4"
        (tmp_path / name).write_bytes(b"not really a video")
        leans = [10 + 25 * ((i / 30 + k / 4) % 1.0) for i in range(30)]
        frames = tuple(make_pose("deep_lunge", torso_deg=lean, t_ms=i * 100, index=i)
                       for i, lean in enumerate(leans))
        tracks[str((tmp_path / name).resolve())] = LandmarkTrack(
            info=VideoInfo(path=tmp_path / name, width=1280, height=720, fps=10.0,
                           frame_count=30, duration_s=3.0),
            frames=frames, model="lite", video_sha256="0" * 64)
        ivs = ", ".join(
            f'{{ start_s = {i / 10:.1f}, end_s = {(i + 1) / 10:.1f}, in_position = true, '
            f'checks = {{ torso_upright = {"true" if lean <= 25 else "false"} }} }}'
            for i, lean in enumerate(leans))
        lines += ["[[clips]]", f'video = "{name}"', 'stretch = "deep_lunge"',
                  f"intervals = [ {ivs} ]"]
    path = tmp_path / "labels.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(model_landmarks, "load_or_estimate",
                        lambda video, *a, **k: tracks[str(Path(video).resolve())])
    return path


def test_cli_score_prints_rows_and_writes_json(labelled_set, tmp_path, capsys) -> None:
    import json

    from posecheck.cli import main

    out = tmp_path / "s.json"
    assert main(["score", "--labels", str(labelled_set), "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "torso_upright (+ = FAIL)" in text and "in_position" in text
    data = json.loads(out.read_text())
    row = data["stretches"]["deep_lunge"]["checks"]["torso_upright"]
    assert 0.0 <= row["agreement"] <= 1.0 and row["labelled_s"] == pytest.approx(12.0, abs=0.2)
    assert data["positive_class"]["checks"] == "FAIL"


def test_cli_tune_splits_by_clip_and_writes_a_loadable_spec(labelled_set, tmp_path,
                                                            capsys) -> None:
    import json

    from posecheck.cli import main
    from posecheck.specs.parse import load_spec

    out = tmp_path / "t.toml"
    res = tmp_path / "t.json"
    assert main(["tune", "--spec", "deep_lunge", "--labels", str(labelled_set), "--out",
                 str(out), "--seed", "1", "--json", str(res)]) == 0
    data = json.loads(res.read_text())
    assert set(data["train"]).isdisjoint(data["test"])
    assert sorted(data["train"] + data["test"]) == [f"c{k}.mp4" for k in range(4)]
    tuned = load_spec(out)
    assert tuned.check("torso_upright").max == pytest.approx(25.0, abs=3.0)
    assert data["scores"]["test_after"]["checks"]["torso_upright"]["agreement"] >= \
        data["scores"]["test_before"]["checks"]["torso_upright"]["agreement"]
    assert "held-out test" in capsys.readouterr().out
    # a second run does not overwrite silently
    assert main(["tune", "--spec", "deep_lunge", "--labels", str(labelled_set), "--out",
                 str(out)]) == 2


def test_cli_tune_repeat_reports_each_split(labelled_set, tmp_path, capsys) -> None:
    import json

    from posecheck.cli import main

    res = tmp_path / "r.json"
    assert main(["tune", "--spec", "deep_lunge", "--labels", str(labelled_set), "--dry-run",
                 "--repeat", "3", "--json", str(res)]) == 0
    runs = json.loads(res.read_text())["repeats"]
    assert [r["seed"] for r in runs] == [0, 1, 2]
    assert "Held-out agreement over 3 splits" in capsys.readouterr().out
