"""posecheck tuning page: see why a check passes or fails on labelled footage, move its
thresholds, watch the decisions and the scores change, save a tuned copy of the spec.

Run alone with ``streamlit run pages/tune.py`` (or from the app's page list). Everything
shown is replayed from cached landmarks (``posecheck.model.cache``): the pose model runs only for a
clip it has never seen. Moving a slider recomputes only check statuses, the in-position
decision and the hold timer (``posecheck.tuning.replay.replay``), so the page answers at once.
docs/TUNING.md explains the numbers.
"""

from __future__ import annotations

import dataclasses
import math
import os
from pathlib import Path

import numpy as np
import streamlit as st

from posecheck.core.errors import PosecheckError
from posecheck.model.provision import DEFAULT_MODEL

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_LABELS = os.environ.get("POSECHECK_LABELS", str(ROOT / "labels" / "real_footage.toml"))
MODEL = os.environ.get("POSECHECK_TUNE_MODEL", DEFAULT_MODEL)
STATUS_COLOURS = {1: "#2e7d32", 0: "#c62828", -1: "#9e9e9e"}

st.set_page_config(page_title="Tune thresholds - posecheck", layout="wide")


# ---------------------------------------------------------------------------- cached parts
@st.cache_resource(show_spinner="Loading landmarks (cached) and running the checks once...")
def analysis(video: str, spec_path: str, model: str, stamp: float = 0.0):
    """The full analysis of one clip with the spec as saved (kept in memory, not copied).
    ``stamp`` (the spec file's mtime) makes an edited spec file a new cache entry."""
    from posecheck.core.analysis import analyze_frames
    from posecheck.model.landmarks import load_or_estimate
    from posecheck.specs.parse import load_spec

    spec = load_spec(spec_path)
    track = load_or_estimate(video, model, progress=False, segmentation=spec.needs_outline)
    return analyze_frames(track.frames, spec, fps=track.info.fps, video=video)


@st.cache_data(show_spinner=False)
def trace_arrays(video: str, label_video: str, spec_path: str, model: str,
                 stamp: float = 0.0) -> dict:
    """Per-frame metric values and decisions of one clip (plain arrays, cached)."""
    from posecheck.specs.parse import load_spec
    from posecheck.tuning.trace import ClipTrace

    spec = load_spec(spec_path)
    tr = ClipTrace.from_report(analysis(video, spec_path, model, stamp), label_video, spec)
    return {"t_ms": tr.t_ms, "values": dict(tr.values), "status": dict(tr.status),
            "in_pose": tr.in_pose, "side": tr.side, "has_pose": tr.has_pose,
            "view_ok": tr.view_ok, "fallback": dict(tr.fallback)}


def make_trace(arrays: dict, label_video: str, spec):
    from posecheck.tuning.trace import ClipTrace

    return ClipTrace(video=label_video, stretch=spec.id, checks=spec.checks,
                     conditions=spec.pose, hold=spec.hold, timer_only=spec.timer_only,
                     **arrays)


def read_frame(video: str, index: int):
    import cv2

    cap = cv2.VideoCapture(video)
    try:
        cap.set(cv2.CAP_PROP_POS_FRAMES, int(index))
        ok, image = cap.read()
    finally:
        cap.release()
    return image if ok else None


def spec_choices() -> dict[str, str]:
    """Label -> path of every bundled spec and every tuned copy."""
    from posecheck.specs.parse import SPEC_DIR, list_specs

    out = {sid: str(SPEC_DIR / f"{sid}.toml") for sid in list_specs()}
    for p in sorted((SPEC_DIR / "tuned").glob("*.toml")):
        out[f"tuned/{p.name}"] = str(p)
    return out


# ---------------------------------------------------------------------------- widgets
def threshold_widgets(spec, values: dict, fallback: dict | None = None
                      ) -> tuple[dict, dict]:
    """Sliders for every check / pose condition (and a check's fallback band, over the
    frames it was judged on) and the timer; returns (thresholds, timer) holding only what
    differs from the spec (a fallback's under ``thresholds[id]["fallback"]``)."""
    fallback = fallback or {}
    thresholds: dict[str, dict] = {}
    for group, items in (("Form checks", spec.checks), ("In-position conditions", spec.pose)):
        st.sidebar.subheader(group)
        for c in items:
            v = values.get(c.id)
            used = fallback.get(c.id)
            own = v if v is None or used is None else np.where(used, np.nan, v)
            changed = _band_slider(c, own, f"th::{spec.id}::{c.id}",
                                   f"{c.id} ({c.metric}, {c.unit})")
            if c.fallback is not None and v is not None:
                fb = _band_slider(c.fallback, np.where(used, v, np.nan) if used is not None
                                  else np.zeros(0), f"th::{spec.id}::{c.id}::fallback",
                                  f"{c.id} fallback ({c.fallback.metric}, {c.fallback.unit})")
                if fb:
                    changed["fallback"] = fb
            if changed:
                thresholds[c.id] = changed
    st.sidebar.subheader("Hold timer")
    timer = {}
    for name, top in (("debounce_s", 3.0), ("grace_s", 5.0)):
        old = float(getattr(spec.hold, name))
        new = st.sidebar.slider(f"hold.{name} (s)", 0.0, max(top, old), old, step=0.05,
                                key=f"timer::{spec.id}::{name}")
        if not math.isclose(new, old, abs_tol=0.01):
            timer[name] = float(new)
    return thresholds, timer


def _band_slider(c, v, key: str, label: str) -> dict:
    """One band's slider over the range of its values; returns the bounds moved (a
    measure has no band: no slider)."""
    if c.min is None and c.max is None:
        return {}
    finite = v[np.isfinite(v)] if v is not None else np.zeros(0)
    bounds = [x for x in (c.min, c.max) if x is not None]
    extent = [float(finite.min()), float(finite.max())] if finite.size else []
    lo_r, hi_r = min([*bounds, *extent]), max([*bounds, *extent])
    pad = 0.1 * (hi_r - lo_r) or 1.0
    lo_r, hi_r = float(lo_r - pad), float(hi_r + pad)
    step = _step(hi_r - lo_r)
    lo_r, hi_r = _snap(lo_r, step, math.floor), _snap(hi_r, step, math.ceil)
    if c.min is not None and c.max is not None:
        new = st.sidebar.slider(label, lo_r, hi_r, (float(c.min), float(c.max)),
                                step=step, key=key)
        picked = {"min": new[0], "max": new[1]}
    elif c.min is not None:
        picked = {"min": st.sidebar.slider(label + " min", lo_r, hi_r, float(c.min),
                                           step=step, key=key)}
    else:
        picked = {"max": st.sidebar.slider(label + " max", lo_r, hi_r, float(c.max),
                                           step=step, key=key)}
    return {k: float(x) for k, x in picked.items()
            if not math.isclose(x, getattr(c, k), abs_tol=step / 2)}


def _step(span: float) -> float:
    return float(10 ** math.floor(math.log10(span / 200))) if span > 0 else 0.01


def _snap(x: float, step: float, fn) -> float:
    return round(fn(x / step) * step, 6)


def score_table(before, after) -> list[dict]:
    rows = []
    for name, cb, ca in [*((f"{k} (+ = FAIL)", before.checks.get(k), after.checks.get(k))
                           for k in dict.fromkeys([*before.checks, *after.checks])),
                         ("in_position (+ = in)", before.in_position, after.in_position),
                         ("valid hold (+ = counted)", before.valid, after.valid)]:
        row = {"row": name}
        for tag, c in (("spec", cb), ("now", ca)):
            for m in ("agreement", "precision", "recall", "f1", "coverage"):
                x = getattr(c, m) if c is not None else math.nan
                row[f"{m} {tag}"] = None if math.isnan(x) else round(x, 3)
        row["labelled s"] = round(ca.labelled, 1) if ca is not None else None
        rows.append(row)
    return rows


def metric_figure(tr, rp, labels_truth, spec, thresholds, t_now: float):
    """One row per check / condition: value over time, threshold band, labels behind it,
    and the check's status strip; the current frame as a vertical line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    items = [c for c in (*spec.checks, *spec.pose) if c.id in tr.values]
    fig, axes = plt.subplots(len(items) + 1, 1, figsize=(11, 1.7 * (len(items) + 1)),
                             sharex=True, squeeze=False)
    t = tr.t_s
    for ax, c in zip(axes[:, 0], items):
        truth = labels_truth.checks.get(c.id) if c in spec.checks else labels_truth.in_position
        if truth is not None:
            for code, colour in ((1, "#c8e6c9"), (0, "#ffcdd2")):
                ax.fill_between(t, 0, 1, where=truth == code, color=colour, step="post",
                                transform=ax.get_xaxis_transform(), linewidth=0)
        merged = {"min": c.min, "max": c.max, **thresholds.get(c.id, {})}
        lo = merged["min"] if merged["min"] is not None else -np.inf
        hi = merged["max"] if merged["max"] is not None else np.inf
        v = tr.values[c.id]
        ax.plot(t, v, color="#1565c0", linewidth=1.2)
        finite = v[np.isfinite(v)]
        ymin = np.nanmin([*finite, *(x for x in (merged["min"], merged["max"]) if x is not None)])
        ymax = np.nanmax([*finite, *(x for x in (merged["min"], merged["max"]) if x is not None)])
        band_lo = lo if np.isfinite(lo) else ymin - abs(ymax - ymin)
        band_hi = hi if np.isfinite(hi) else ymax + abs(ymax - ymin)
        ax.axhspan(band_lo, band_hi, color="#2e7d32", alpha=0.08)
        for x in (merged["min"], merged["max"]):
            if x is not None:
                ax.axhline(x, color="#2e7d32", linewidth=1, linestyle="--")
        pad = 0.1 * (ymax - ymin or 1.0)
        ax.set_ylim(ymin - pad, ymax + pad)
        st_arr = rp.status.get(c.id)
        if st_arr is not None:
            for code, colour in STATUS_COLOURS.items():
                ax.scatter(t[st_arr == code], np.full((st_arr == code).sum(), ymin - pad * 0.6),
                           s=4, color=colour, marker="s")
        kind = "check" if c in spec.checks else "in position"
        ax.set_ylabel(f"{c.id}\n({c.unit})", fontsize=8)
        ax.set_title(f"{kind} {c.id}: {c.metric}  band {_b(merged['min'])} .. "
                     f"{_b(merged['max'])}  (green/red behind = labelled pass/fail)",
                     fontsize=8, loc="left")
        ax.axvline(t_now, color="black", linewidth=0.8)
    ax = axes[-1, 0]
    ax.fill_between(t, 0, 1, where=labels_truth.in_position == 1, color="#c8e6c9", step="post",
                    transform=ax.get_xaxis_transform(), linewidth=0)
    ax.step(t, rp.in_pose, where="post", color="#6a1b9a", label="in position")
    ax.plot(t, np.cumsum(rp.counted) / max(np.sum(rp.counted), 1e-9), color="#ef6c00",
            label="valid hold (share of total counted)")
    ax.axvline(t_now, color="black", linewidth=0.8)
    ax.set_ylim(-0.1, 1.1)
    ax.legend(fontsize=7, loc="upper left")
    ax.set_xlabel("time (s)")
    fig.tight_layout()
    return fig


def _b(x) -> str:
    return "open" if x is None else f"{x:g}"


# ---------------------------------------------------------------------------- the page
def main() -> None:
    from posecheck.tuning.label_files import load_labels
    from posecheck.specs.parse import load_spec
    from posecheck.tuning.replay import replay
    from posecheck.tuning.score import Summary, score_clip

    st.title("Tune the checks against labelled footage")
    st.caption("Pick a labelled clip and a spec, scrub through it, move thresholds and watch "
               "the decisions and scores change. Everything replays cached landmarks. "
               "For checks, FAIL is the positive class: low precision = too strict, low "
               "recall = too lax.")
    labels_path = st.sidebar.text_input("Label file", DEFAULT_LABELS)
    try:
        labels = load_labels(labels_path)
    except PosecheckError as exc:
        st.error(str(exc))
        return
    clip_names = [c.video for c in labels.clips]
    clip_name = st.sidebar.selectbox("Clip", clip_names, key="clip")
    clip = labels.clips[clip_names.index(clip_name)]
    choices = spec_choices()
    names = list(choices)
    default = names.index(clip.stretch) if clip.stretch in names else 0
    spec_name = st.sidebar.selectbox("Spec", names, index=default, key="spec")
    spec = load_spec(choices[spec_name])
    stamp = Path(spec.source_path).stat().st_mtime
    if spec.id != clip.stretch:
        st.warning(f"This clip is labelled for {clip.stretch!r}; the spec is {spec.id!r}. "
                   "Check labels that the spec does not have are ignored.")
    video = str(labels.video_path(clip))
    if not Path(video).is_file():
        st.error(f"{labels_path}: clip {clip.video!r} not found at {video}. Fix the label "
                 "file's root.")
        return
    try:
        arrays = trace_arrays(video, clip.video, str(spec.source_path), MODEL, stamp)
    except PosecheckError as exc:
        st.error(str(exc))
        return
    tr = make_trace(arrays, clip.video, spec)
    thresholds, timer = threshold_widgets(spec, tr.values, tr.fallback)
    rp0 = replay(tr)
    rp = replay(tr, thresholds, timer)
    before = Summary((score_clip(tr, clip, rp0),))
    after = Summary((score_clip(tr, clip, rp),))
    truth = clip.at_times(tr.t_s)

    c1, c2, c3, c4 = st.columns(4)
    agree = [x.agreement for x in after.checks.values() if not math.isnan(x.agreement)]
    agree0 = [x.agreement for x in before.checks.values() if not math.isnan(x.agreement)]
    mean_now = float(np.mean(agree)) if agree else math.nan
    mean_0 = float(np.mean(agree0)) if agree0 else math.nan
    c1.metric("check agreement (mean)", _pct(mean_now), _delta(mean_now, mean_0))
    c2.metric("in-position agreement", _pct(after.in_position.agreement),
              _delta(after.in_position.agreement, before.in_position.agreement))
    hold_now = after.hold_error().get("total", {})
    hold_0 = before.hold_error().get("total", {})
    c3.metric("valid hold counted (s)", f"{hold_now.get('pred_s', 0.0):.1f}",
              f"{hold_now.get('pred_s', 0.0) - hold_0.get('pred_s', 0.0):+.1f}")
    c4.metric("valid hold labelled (s)", f"{hold_now.get('true_s', 0.0):.1f}")

    n = len(tr.t_ms)
    idx = st.slider("Frame", 0, max(n - 1, 0), min(n // 2, max(n - 1, 0)), key="frame")
    t_now = float(tr.t_s[idx]) if n else 0.0
    left, right = st.columns([2, 3])
    with left:
        report = analysis(video, str(spec.source_path), MODEL, stamp).frames[idx]
        image = read_frame(video, idx)
        if image is not None:
            from posecheck.core.checks import Status
            from posecheck.draw.overlay import annotate

            checks = {cid: dataclasses.replace(r, status=Status.from_code(rp.status[cid][idx]))
                      if cid in rp.status else r for cid, r in report.checks.items()}
            shown = dataclasses.replace(report, checks=checks, in_pose=bool(rp.in_pose[idx]))
            st.image(annotate(image, shown)[:, :, ::-1], caption=f"t = {t_now:.2f} s",
                     width="stretch")
        else:
            st.info("The video frame cannot be read; the scores still work.")
        lab = [iv for iv in clip.intervals if iv.start_s <= t_now < iv.end_s]
        st.markdown("**Label here:** " + (", ".join(f"{k}={v}" for k, v in
                                                  lab[0].to_dict().items()) if lab else
                                        "unlabelled"))
        st.markdown("**Decisions here:** " + ", ".join(
            f"{cid} {['FAIL', 'PASS', 'UNKNOWN'][[0, 1, -1].index(int(s[idx]))]}"
            f" ({tr.values[cid][idx]:.2f})" for cid, s in rp.status.items()))
    with right:
        st.pyplot(metric_figure(tr, rp, truth, spec, thresholds, t_now))

    st.subheader("Scores on this clip (spec as saved vs. sliders now)")
    st.dataframe(score_table(before, after), hide_index=True, width="stretch")
    if thresholds or timer:
        st.markdown("**Changed:** " + "; ".join(
            [f"{k}: " + ", ".join(f"{b} {v:g}" for b, v in d.items())
             for k, d in thresholds.items()] + [f"hold.{k} {v:g}" for k, v in timer.items()]))

    same = [c for c in labels.clips if c.stretch == spec.id]
    if len(same) > 1 and st.checkbox(f"Also score all {len(same)} labelled {spec.id} clips "
                                     "(loads each once)", key="all_clips"):
        sb, sa = [], []
        for c in same:
            path = str(labels.video_path(c))
            if not Path(path).is_file():
                st.warning(f"{c.video}: not found at {path}; skipped")
                continue
            t = make_trace(trace_arrays(path, c.video, str(spec.source_path), MODEL, stamp),
                           c.video, spec)
            sb.append(score_clip(t, c, replay(t)))
            sa.append(score_clip(t, c, replay(t, thresholds, timer)))
        st.dataframe(score_table(Summary(tuple(sb)), Summary(tuple(sa))), hide_index=True,
                     width="stretch")

    st.subheader("Save")
    from posecheck.specs.write import default_tuned_path, provenance_lines, save_tuned_spec

    out = st.text_input("Save the tuned spec to", str(default_tuned_path(spec.id)),
                        key="save_path")
    overwrite = st.checkbox("Replace the file if it exists", value=False, key="overwrite")
    if st.button("Save tuned spec", disabled=not (thresholds or timer), key="save"):
        prov = provenance_lines(
            spec_source=str(spec.source_path), labels=labels_path, train=[clip.video],
            test=[], seed=None, fraction=None, changes=[
                f"{k}: {d}" for k, d in thresholds.items()] + [
                f"hold.{k}: {v:g}" for k, v in timer.items()],
            scores={"Set by hand on the tuning page; scores on this clip only (no held-out "
                    "split: check with `posecheck score`)":
                    f"check agreement {_pct(mean_0)} -> {_pct(mean_now)}"})
        try:
            path = save_tuned_spec(spec.source_path, thresholds,
                                   {**{k: float(getattr(spec.hold, k))
                                       for k in ("debounce_s", "grace_s")}, **timer}
                                   if timer else None,
                                   out=out, provenance=prov, overwrite=overwrite)
            st.success(f"Saved {path}; the original {spec.source_path} is unchanged.")
        except PosecheckError as exc:
            st.error(str(exc))


def _pct(x: float) -> str:
    return "-" if x is None or math.isnan(x) else f"{100 * x:.1f} %"


def _delta(now: float, then: float) -> str | None:
    if math.isnan(now) or math.isnan(then):
        return None
    return f"{100 * (now - then):+.1f} pts"


main()
