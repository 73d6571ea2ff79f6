"""The outline arch and check fallbacks in the tuning replay, sweeps and tuned specs (pure +
CLI layer, no model: factory frames on a synthetic back mask are served as the landmark
cache)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from posecheck.core.hold import HoldSettings
from posecheck.core.rules import FAIL, PASS, UNKNOWN
from posecheck.specs.model import CheckSpec
from posecheck.tuning.labels import ClipLabels, Interval
from posecheck.tuning.replay import replay
from posecheck.tuning.sweep import sweep_check, tune
from posecheck.tuning.trace import ClipTrace

ARCH = "back_not_arched"
STRETCH = "half_kneeling_hip_flexor"


def _clip(arches, with_outline=True):
    """A half-kneeling clip at 10 fps on synthetic back masks of these lordosis angles."""
    from factories import pose_on_back_mask

    out = []
    for i, a in enumerate(arches):
        seen = with_outline if isinstance(with_outline, bool) else with_outline[i]
        out.append(replace(pose_on_back_mask(a, with_outline=seen), t_ms=i * 100, index=i))
    return out


def _analysed(frames, spec):
    from posecheck.core.analysis import analyze_frames

    return analyze_frames(frames, spec, fps=10, smoothing="none")


# ---------------------------------------------------------------------------- item 1
def test_score_replays_the_outline_as_analyze_does(tmp_path, monkeypatch) -> None:
    """The cache keeps the outline only for a run that asked for the mask: the replay must
    ask (the spec measures on the outline), then judge back_not_arched on the outline metric,
    with the same values and statuses as the analysis of the same frames."""
    from posecheck.commands.score import load_traces, resolve_specs
    from posecheck.model import landmarks as model_landmarks
    from posecheck.model.cache import LandmarkTrack
    from posecheck.io.video import VideoInfo
    from posecheck.specs.parse import load_spec
    from posecheck.tuning.label_files import load_labels

    frames = _clip([20.0] * 10 + [60.0] * 10)
    asked = []

    def cached(video, *a, segmentation=False, **k):
        asked.append(segmentation)
        fs = frames if segmentation else [replace(f, outline=None) for f in frames]
        return LandmarkTrack(info=VideoInfo(path=Path(video), width=640, height=480, fps=10.0,
                                            frame_count=len(fs), duration_s=len(fs) / 10),
                             frames=tuple(fs), model="full", video_sha256="0" * 64)

    monkeypatch.setattr(model_landmarks, "load_or_estimate", cached)
    (tmp_path / "hk.mp4").write_bytes(b"not really a video")
    label_file = tmp_path / "labels.toml"
    label_file.write_text(
        'format = "posecheck-labels/1"\nroot = "."\n[[clips]]\nvideo = "hk.mp4"\n'
        f'stretch = "{STRETCH}"\nintervals = [\n'
        f'  {{ start_s = 0.0, end_s = 1.0, checks = {{ {ARCH} = true }} }},\n'
        f'  {{ start_s = 1.0, end_s = 2.0, checks = {{ {ARCH} = false }} }},\n]\n',
        encoding="utf-8")
    labels = load_labels(str(label_file))
    specs, clips = resolve_specs(labels, None)
    (trace,) = load_traces(labels, clips, specs, smoothing="none")
    assert asked == [True]
    spec = load_spec(STRETCH)
    rep = _analysed(frames, spec)
    want = [f.checks[ARCH] for f in rep.frames]
    assert all(r.metric == "lumbar_lordosis_deg" and not r.fallback_used for r in want)
    assert not trace.fallback[ARCH].any()
    np.testing.assert_allclose(trace.values[ARCH], [r.value for r in want])
    codes = {"pass": PASS, "fail": FAIL, "unknown": UNKNOWN}
    assert trace.status[ARCH].tolist() == [codes[r.status.value] for r in want]
    assert trace.status[ARCH][:10].tolist() == [PASS] * 10      # 20 deg: under max 45
    assert trace.status[ARCH][12:].tolist() == [FAIL] * 8       # 60 deg: arched
    # without the outline (an old cache) every frame is judged on the trunk-line fallback
    old = ClipTrace.from_report(_analysed([replace(f, outline=None) for f in frames], spec),
                                "hk.mp4", spec)
    assert old.fallback[ARCH].all()


def test_replay_under_new_bands_equals_reanalysis_with_both_bands() -> None:
    """Frames with and without the outline: the replay judges each frame on the band of the
    metric the session judged it on (one hysteresis state across both), as re-analysing with
    the tuned spec does."""
    from posecheck.specs.parse import load_spec

    spec = load_spec(STRETCH)
    arches = list(np.linspace(10.0, 70.0, 30))
    seen = [i % 7 not in (3, 4) for i in range(30)]
    frames = _clip(arches, with_outline=seen)
    tr = ClipTrace.from_report(_analysed(frames, spec), "x.mp4", spec)
    assert tr.fallback[ARCH].tolist() == [not s for s in seen]
    for th in ({ARCH: {"max": 30.0, "fallback": {"max": 2.0}}},
               {ARCH: {"fallback": {"max": -5.0, "hysteresis": 1.0}}},
               {ARCH: {"max": 55.0}}):
        again = _analysed(frames, spec.with_thresholds(th))
        codes = {"pass": PASS, "fail": FAIL, "unknown": UNKNOWN}
        assert replay(tr, th).status[ARCH].tolist() == [
            codes[f.checks[ARCH].status.value] for f in again.frames], th


# ---------------------------------------------------------------------------- item 4
FB_CHECK = CheckSpec(id="c", metric="lumbar_lordosis_deg", min=None, max=45.0, unit="deg",
                     cue_high="x",
                     fallback=CheckSpec(id="c", metric="lumbar_arch_proxy_deg", min=None,
                                        max=10.0, unit="deg", cue_high="x"))


def _fallback_clips(n_clips=2, cut=20.0, seed=3):
    """Clips whose odd frames were judged on the fallback; the labels fail a fallback frame
    above ``cut`` and an outline frame above 45 (the spec's own band is right)."""
    from posecheck.core.rules import band_array

    rng = np.random.default_rng(seed)
    traces, labels = [], {}
    for k in range(n_clips):
        n = 200
        t = np.arange(n) * 50
        used = np.arange(n) % 2 == 1
        v = np.where(used, rng.uniform(0, 40, n), rng.uniform(20, 70, n))
        lo_band = np.where(used, 10.0, 45.0)
        vid = f"c{k}.mp4"
        traces.append(ClipTrace(video=vid, stretch="s", t_ms=t, values={"c": v},
                                status={"c": band_array(v, None, lo_band, 0.0)},
                                in_pose=np.ones(n, np.int8), side=np.full(n, "left", object),
                                checks=(FB_CHECK,), fallback={"c": used}))
        ok = np.where(used, v <= cut, v <= 45.0)
        labels[vid] = ClipLabels(vid, "s", tuple(
            Interval(t[i] / 1000, (t[i] + 50) / 1000, in_position=True, side="left",
                     checks={"c": bool(ok[i])}) for i in range(n)))
    return traces, labels


def test_sweep_tunes_the_fallback_band_on_its_own_frames() -> None:
    traces, labels = _fallback_clips()
    own = sweep_check(traces, labels, FB_CHECK, grid=101)
    assert not own.changed  # the outline frames agree with max 45
    fb = sweep_check(traces, labels, FB_CHECK, grid=101, part="fallback")
    assert fb.kind == "fallback" and fb.before == {"min": None, "max": 10.0}
    assert fb.after["min"] is None and fb.after["max"] == pytest.approx(20.0, abs=1.5)
    assert fb.train_after > 0.97 > fb.train_before

    class Spec:
        id, pose, checks, hold = "s", (), (FB_CHECK,), HoldSettings()

    res = tune(traces, labels, Spec(), train=("c0.mp4", "c1.mp4"))
    assert set(res.thresholds) == {"c"} and set(res.thresholds["c"]) == {"fallback"}
    assert res.thresholds["c"]["fallback"]["max"] == pytest.approx(20.0, abs=1.5)
    assert any(line.startswith("fallback c: max 10 -> ") for line in res.changes())


def test_a_tuned_spec_round_trips_the_fallback(tmp_path) -> None:
    from posecheck.specs.parse import load_spec
    from posecheck.specs.write import save_tuned_spec

    src = load_spec(STRETCH)
    before = src.check(ARCH)
    out = save_tuned_spec(src.source_path, {ARCH: {"max": 40.0, "fallback": {"max": 12.5}}},
                          out=tmp_path / "hk.tuned.toml")
    tuned = load_spec(out).check(ARCH)
    assert tuned.max == 40.0
    assert tuned.fallback is not None
    assert (tuned.fallback.metric, tuned.fallback.max, tuned.fallback.hysteresis) == (
        before.fallback.metric, 12.5, before.fallback.hysteresis)
    line = next(ln for ln in out.read_text().splitlines() if ln.startswith("fallback ="))
    assert "(fallback max was 10)" in line and "behind vertical" in line  # unit note kept
    # tuning only the main band leaves the fallback as it was
    out2 = save_tuned_spec(src.source_path, {ARCH: {"max": 40.0}},
                           out=tmp_path / "hk2.tuned.toml")
    assert load_spec(out2).check(ARCH).fallback == before.fallback
    # and what tune() decides is what the saved spec holds
    assert load_spec(out).with_thresholds({ARCH: {"fallback": {"max": 12.5}}}).check(ARCH) \
        == tuned
    with pytest.raises(Exception, match="no fallback"):
        save_tuned_spec(src.source_path, {"front_foot_flat": {"fallback": {"max": 1.0}}},
                        out=tmp_path / "bad.toml")
