"""Parts of the live page drawn from the worker's state: the live numbers, the summary, the
voice, the history save (Streamlit wiring only; the words are ``live.texts``)."""

from __future__ import annotations

import streamlit as st
import streamlit.components.v1 as components
from streamlit.errors import StreamlitAPIException

from posecheck.core.errors import PosecheckError
from posecheck.live.figure import timeline_figure
from posecheck.live.summary import HoldSummary, SessionSummary, rep_counts
from posecheck.live.texts import plan_line, speech_html, story_box
from posecheck.live.worker import LEAD_IN_S, LiveProcessor, LiveSnapshot, load_estimator
from posecheck.page import PROGRESS_PAGE
from posecheck.page.cached import model_path
from posecheck.programme import history
from posecheck.specs.model import StretchSpec

# Below this processing rate frame gaps exceed the timer's max_frame_gap_s (frames/s).
SLOW_FPS = 5.0
SAVE_KEY = "save_history"  # the sidebar toggle: store each session in the history


def speak(slot, text: str, n: int) -> None:
    """Say ``text`` in the browser (Web Speech API), replacing what ``slot`` held."""
    slot.empty()
    with slot:
        components.html(speech_html(text, n), height=0)


def show_live_numbers(slots: dict, snap: LiveSnapshot, spec: StretchSpec) -> None:
    report = snap.report
    told = snap.story
    hold = report.hold if report is not None else None
    if snap.error:
        slots["error"].error(f"Processing stopped on a frame: {snap.error}")
    if report is None or hold is None or told is None:
        slots["state"].info("Waiting for the first frame...")
        return
    slots["state"].markdown(story_box(told), unsafe_allow_html=True)
    valid = float(hold.hold_valid_s)
    target = float(hold.target_s)
    slots["hold"].metric("Valid hold (this side)", f"{valid:.1f} s",
                         help=f"target {target:g} s; only time with good form counts")
    side = f"{hold.side} side" if hold.side and hold.side != "both" else "this hold"
    slots["progress"].progress(min(1.0, valid / target) if target > 0 else 0.0,
                               text=f"{side}: {valid:.0f} of {target:g} s")
    line = plan_line(hold)
    for side, (n, good, _held) in (rep_counts(report) or {}).items():
        where = "" if side == "both" else f" ({side})"
        line += f" · lifts{where}: **{n}** ({good} with good form)"
    slots["reps"].markdown(line)
    perf = (f"{snap.fps:.1f} frames/s processed, {snap.latency_ms_median:.0f} ms per frame "
            f"(p90 {snap.latency_ms_p90:.0f} ms), pose found in "
            f"{100 * snap.pose_fraction:.0f}% of {snap.frames} frames ({snap.dropped} "
            f"skipped while busy); voice cues so far: {snap.spoken}")
    if snap.frames >= 20 and snap.fps < SLOW_FPS:
        slots["perf"].warning(f"{perf}. Too slow to count a hold well: use the lite model or "
                              "close other programs.")
    else:
        slots["perf"].caption(perf)


def side_cell(h: HoldSummary) -> str:
    """A hold's side in the summary table: "left", "left (unsure 42 %)" or "both"."""
    if h.side_unsure and h.side_confidence is not None:
        return f"{h.side} (unsure, {100 * h.side_confidence:.0f} %)"
    return h.side


def show_summary(summary: SessionSummary, spec: StretchSpec, title: str = "Session summary") -> None:
    st.subheader(title)
    if summary.frames == 0:
        st.info("No frames were processed.")
        return
    for line in summary.lines:
        st.markdown(f"- {line}")
    if summary.holds:
        st.markdown("| side | hold | from | to | valid | outcome |\n|---|---|---|---|---|---|\n"
                    + "\n".join(f"| {side_cell(h)} | {h.rep} | {h.start_s:.1f} s | {h.end_s:.1f} s | "
                                f"{h.valid_s:.1f} s | {h.outcome} |" for h in summary.holds))
    else:
        st.markdown("No hold started.")
    tips = [(s.side, n, secs) for s in summary.sides for n, secs in s.tips]
    if tips:
        st.markdown("**Tips** (advice; they did not stop the count): " + "; ".join(
            f"{side}: {n} ({secs:.0f} s)" for side, n, secs in tips[:4]))
    st.caption(f"Session {summary.duration_s:.0f} s, {summary.frames} frames, pose found in "
               f"{100 * summary.pose_fraction:.0f}%. Faults are counted only while a hold "
               "was open and you were in position.")
    fig = timeline_figure(summary)
    st.pyplot(fig, clear_figure=True)


def build_processor(spec: StretchSpec, model: str, mirrored: bool, camera: bool = False,
                    side: str | None = None) -> LiveProcessor:
    """The worker: with the camera, a set-up step and a spoken countdown before each hold.
    It keeps the frame reports (about 7 kB a frame) so the session can go to the history."""
    path = model_path(model)
    return LiveProcessor(spec, model=model, mirrored=mirrored,
                              estimator_factory=lambda: load_estimator(
                                  model, model_path=path,
                                  segmentation=spec.needs_outline),
                              lead_in_s=LEAD_IN_S if camera else None, framing=camera,
                              keep_frames=True, side=side)


def sticky(key: str, default, options=None) -> str:
    """Give widget ``key`` its last value before it is drawn; returns the key to store the
    value under afterwards. Streamlit drops a widget's state after a run that did not draw
    it (another page), and neither "save off" nor the place in a routine may be lost so."""
    kept = f"{key}__kept"
    if key not in st.session_state:
        value = st.session_state.get(kept, default)
        st.session_state[key] = value if options is None or value in options else default
    return kept


def save_session(processor: LiveProcessor, routine_id: str | None) -> tuple[str, str]:
    """Store a finished session (unless the sidebar toggle is off): ``(kind, line)`` with
    kind "saved", "nothing", "off" or "error"; the line is what the page shows."""
    if not st.session_state.get(f"{SAVE_KEY}__kept", True):
        return "off", "Not saved: saving to your history is off (sidebar)."
    try:
        sid = history.save_frames(processor.frames(), processor.spec,
                                  started_at=processor.started_at, routine=routine_id)
    except PosecheckError as exc:
        return "error", f"Not saved to your history: {exc}"
    except (OSError, ValueError) as exc:  # a disk or value problem: one line, no traceback
        return "error", f"Not saved to your history ({type(exc).__name__}: {exc})."
    if sid is None:
        return "nothing", "Nothing saved to your history: no hold began."
    return "saved", f"Saved to your history (session {sid})."


def show_saved(outcome: tuple[str, str]) -> None:
    kind, line = outcome
    if kind == "error":
        st.error(line)
    elif kind != "saved":
        st.caption(line)
        return
    st.success(line)
    try:
        st.page_link(str(PROGRESS_PAGE), label="See it on the Progress page")
    except StreamlitAPIException:  # this page run alone, without the app's navigation
        st.caption("The Progress page (`posecheck page`) shows it over days and weeks.")
