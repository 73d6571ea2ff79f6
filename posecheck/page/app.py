"""posecheck's Streamlit page: live stretch checking from the webcam, or from a video file.

Run with ``bash scripts/app.sh`` (or ``streamlit run app.py``). The page only wires parts
together; the per-frame work is ``posecheck.live.worker`` (same core as the batch analysis) and the
pictures are ``posecheck.draw.overlay``. docs/LIVE.md explains the settings and the networking.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path

import streamlit as st
import streamlit.components.v1 as components
from streamlit.logger import get_logger

from posecheck.programme import database, history

from posecheck.live import worker as live

from posecheck.io import uploads
from posecheck.programme import routines as routinelib
from posecheck.core import story as storylib
from posecheck.core.errors import PosecheckError

ROOT = Path(__file__).resolve().parent
SAMPLE_DIR = Path(os.environ.get("POSECHECK_SAMPLE_DIR", ROOT / "sample_videos"))
WEBRTC_KEY = "posecheck-live"
# Page refresh period while the camera runs (s): faster refreshes cost frame rate.
POLL_S = 0.5
# Diagnostic switch for the Start-click fix (see keep_webrtc_context and docs/LIVE.md).
STALE_FIX = os.environ.get("POSECHECK_WEBRTC_STALE_FIX", "1") != "0"
# Below this processing rate frame gaps exceed the timer's max_frame_gap_s (frames/s).
SLOW_FPS = 5.0
VIDEO_TYPES = ["mp4", "mov", "avi", "mkv", "webm", "m4v"]
# Selected when the page opens: the psoas stretch the app is mostly used for.
DEFAULT_SPEC = "half_kneeling_hip_flexor"
SOURCE_KEY = "source"
SAVE_KEY = "save_history"  # the sidebar toggle: store each session in the history
ROUTINE_KEY = "routine"  # the sidebar's routine choice
NO_ROUTINE = "none"

LOG = get_logger("posecheck.app")

st.set_page_config(page_title="Stretch - posecheck", layout="wide")


# ---------------------------------------------------------------------------- cached parts
# Specs are re-read after a minute, so edited thresholds show without a restart.
@st.cache_resource(show_spinner=False, ttl=60)
def spec_ids() -> list[str]:
    from posecheck.specs.parse import list_specs

    return list_specs()


@st.cache_resource(show_spinner=False, ttl=60)
def get_spec(spec_id: str):
    from posecheck.specs.parse import load_spec

    return load_spec(spec_id)


@st.cache_resource(show_spinner=False, ttl=60)
def routine_ids() -> list[str]:
    return routinelib.list_routines()


@st.cache_resource(show_spinner=False, ttl=60)
def get_routine(routine_id: str) -> routinelib.Routine:
    return routinelib.load_routine(routine_id)


@st.cache_resource(show_spinner="Preparing the pose model (once)...")
def model_path(model: str) -> str:
    """The model's .task file, fetched or built once; the landmarker itself is per stream
    because MediaPipe's VIDEO mode keeps tracking state."""
    from posecheck.model.provision import resolve_model

    return str(resolve_model(model, progress=False))


@st.cache_data(show_spinner=False)
def figure(spec_id: str, posture: str, stretched_leg: str):
    from posecheck.draw.overlay import stretch_figure

    return stretch_figure(posture, stretched_leg, spec_id=spec_id)


# ---------------------------------------------------------------------------- Start-click fix
# A widget drawn only with the camera view. Streamlit drops a widget's state after any
# completed run that did not draw it (another page, the video-file view), so its presence at
# the start of a run says the last completed run drew the camera view, and the component.
CAMERA_MARKER = "live_voice"


def _script_run_count() -> int | None:
    from streamlit_webrtc.session_info import get_script_run_count, get_this_session_info

    info = get_this_session_info()
    return get_script_run_count(info) if info is not None else None


def keep_webrtc_context(key: str, drawn_last_run: bool) -> None:
    """Stop streamlit-webrtc 0.79 from dropping a Start click as "stale state".

    Before drawing, the library compares Streamlit's ``script_run_count`` with the count it
    recorded when it last drew the component, and resets the connection when more than one
    run went by (meant for a page left and re-entered). But the count is bumped when a run's
    "finished" message is *sent* by the event loop, not when the run ends: a run that starts
    right after another (the quick reruns around the SDP answer and ICE) can read the count
    before the previous run is counted, the library records that stale value, and the next
    run sees a gap of two and tears down a live connection.

    We do not need to guess from counts: ``drawn_last_run`` (from :data:`CAMERA_MARKER`)
    says whether the last completed run drew the component. When it did, the library's
    check is skipped; when it did not (another page, the video-file view), the library
    still resets as intended. Each reset, and each one prevented, is logged so the fix can
    be measured; ``POSECHECK_WEBRTC_STALE_FIX=0`` turns the fix off.
    """
    context = st.session_state.get(key)
    last = getattr(context, "_last_rendered_run_count", None)
    if last is None:
        return
    count = _script_run_count()
    if count is None or count <= last + 1:
        return
    if STALE_FIX and drawn_last_run:
        LOG.warning("streamlit-webrtc would reset %r as stale (run count %d, drawn at %d) "
                    "although the last run drew it: reset prevented", key, count, last)
        context._last_rendered_run_count = None
    else:
        LOG.warning("streamlit-webrtc resets %r as stale (run count %d, drawn at %d; last run "
                 "drew it: %s)", key, count, last, drawn_last_run)


# ---------------------------------------------------------------------------- page parts
def side_plan(spec) -> str:
    hold = spec.hold
    reps = f"{hold.reps} hold{'s' if hold.reps != 1 else ''} of {hold.target_s:g} s"
    if tuple(spec.sides) == ("both",):
        return f"{reps} (both sides together), rest {hold.rest_s:g} s between holds"
    order = " then ".join(s for s in spec.sides)
    return f"{order.capitalize()}: {reps} per side, rest {hold.rest_s:g} s between holds"


def camera_hint(spec) -> str:
    view = {"side": "side-on to the camera", "front": "facing the camera",
            "any": "side-on or facing the camera"}.get(spec.view, "side-on to the camera")
    return (f"Stand the camera at hip height, 2-4 m away, with you {view}. Your whole body, "
            "feet included, must be in the picture. Even light from the front, not a bright "
            "window behind you.")


def speak(slot, text: str, n: int) -> None:
    """Say ``text`` in the browser (Web Speech API), replacing what ``slot`` held."""
    slot.empty()
    with slot:
        components.html(speech_html(text, n), height=0)


def speech_html(text: str, n: int) -> str:
    """The script that says ``text`` (cue number ``n``) when its frame loads. The top page is
    used when reachable, because browsers only let a page that the user has clicked speak."""
    payload = json.dumps(text)
    return f"""<script>/* cue {n} */
(function() {{
  let synth = window.speechSynthesis;
  try {{ if (window.parent && window.parent.speechSynthesis) synth = window.parent.speechSynthesis; }}
  catch (e) {{}}
  try {{  // for the tests: what was said, in order
    window.parent.posecheckLastSpoken = {payload};
    (window.parent.posecheckSpoken = window.parent.posecheckSpoken || []).push({payload});
  }} catch (e) {{}}
  if (!synth) return;
  const SpeechUtt = (window.parent && window.parent.SpeechSynthesisUtterance) || SpeechSynthesisUtterance;
  synth.cancel();
  synth.speak(new SpeechUtt({payload}));
}})();</script>"""


def story_box(told: storylib.Story) -> str:
    """The panel's state box: the same message and colour as the banner on the video."""
    from html import escape

    return (f'<div class="posecheck-story" data-state="{told.state}" data-tone="{told.tone}" '
            f'data-reason="{escape(told.reason or "")}" '
            f'style="background:{told.hex};color:white;border-radius:0.5rem;'
            f'padding:0.6rem 0.9rem;margin-bottom:0.4rem">'
            f'<div style="font-size:0.85rem;opacity:0.9">{escape(told.headline)}</div>'
            f'<div class="posecheck-message" style="font-size:1.25rem;font-weight:600">'
            f'{escape(told.message)}</div></div>'
            f'<div class="posecheck-phase">{escape(told.phase_line)}</div>')


def plan_line(hold) -> str:
    """Holds done against the plan, per side, in one line."""
    done = getattr(hold, "reps_by_side", {}) or {}
    target = int(getattr(hold, "reps_target", 1) or 1)
    parts = [f"{s.capitalize() if s != 'both' else 'Holds'}: {n} of {target} done"
             for s, n in done.items()]
    return " \u00b7 ".join(parts)


def show_live_numbers(slots: dict, snap: live.LiveSnapshot, spec) -> None:
    report = snap.report
    told = snap.story
    hold = getattr(report, "hold", None)
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
    slots["reps"].markdown(plan_line(hold))
    perf = (f"{snap.fps:.1f} frames/s processed, {snap.latency_ms_median:.0f} ms per frame "
            f"(p90 {snap.latency_ms_p90:.0f} ms), pose found in "
            f"{100 * snap.pose_fraction:.0f}% of {snap.frames} frames ({snap.dropped} "
            f"skipped while busy); voice cues so far: {snap.spoken}")
    if snap.frames >= 20 and snap.fps < SLOW_FPS:
        slots["perf"].warning(f"{perf}. Too slow to count a hold well: use the lite model or "
                              "close other programs.")
    else:
        slots["perf"].caption(perf)


def show_summary(summary: live.SessionSummary, spec, title: str = "Session summary") -> None:
    st.subheader(title)
    if summary.frames == 0:
        st.info("No frames were processed.")
        return
    for line in summary.lines:
        st.markdown(f"- {line}")
    if summary.holds:
        st.markdown("| side | hold | from | to | valid | outcome |\n|---|---|---|---|---|---|\n"
                    + "\n".join(f"| {h.side} | {h.rep} | {h.start_s:.1f} s | {h.end_s:.1f} s | "
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
    fig = live.timeline_figure(summary)
    st.pyplot(fig, clear_figure=True)


def build_processor(spec, model: str, mirrored: bool, camera: bool = False
                    ) -> live.LiveProcessor:
    """The worker: with the camera, a set-up step and a spoken countdown before each hold.
    It keeps the frame reports (about 7 kB a frame) so the session can go to the history."""
    path = model_path(model)
    return live.LiveProcessor(spec, model=model, mirrored=mirrored,
                              estimator_factory=lambda: live.load_estimator(
                                  model, model_path=path,
                                  segmentation=getattr(spec, "needs_outline", False)),
                              lead_in_s=live.LEAD_IN_S if camera else None, framing=camera,
                              keep_frames=True)


def sticky(key: str, default, options=None) -> str:
    """Give widget ``key`` its last value before it is drawn; returns the key to store the
    value under afterwards. Streamlit drops a widget's state after a run that did not draw
    it (another page), and neither "save off" nor the place in a routine may be lost so."""
    kept = f"{key}__kept"
    if key not in st.session_state:
        value = st.session_state.get(kept, default)
        st.session_state[key] = value if options is None or value in options else default
    return kept


# ---------------------------------------------------------------------------- history
def save_session(processor: live.LiveProcessor, routine_id: str | None) -> tuple[str, str]:
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
    from streamlit.errors import StreamlitAPIException

    from posecheck.page import PROGRESS_PAGE

    try:
        st.page_link(str(PROGRESS_PAGE), label="See it on the Progress page")
    except StreamlitAPIException:  # this page run alone, without the app's navigation
        st.caption("The Progress page (`posecheck page`) shows it over days and weeks.")


# ---------------------------------------------------------------------------- routines
def routine_name(routine_id: str) -> str:
    if routine_id == NO_ROUTINE:
        return "None: one stretch"
    try:
        return get_routine(routine_id).name
    except PosecheckError:
        return routine_id


def routine_choice() -> routinelib.RoutineRun | None:
    """The sidebar's routine picker; the run (where the person is in it) lives in the
    session state until another routine is chosen."""
    try:
        ids = routine_ids()
    except PosecheckError as exc:
        st.error(str(exc))
        return None
    kept = sticky(ROUTINE_KEY, NO_ROUTINE, [NO_ROUTINE] + ids)
    choice = st.selectbox("Routine", [NO_ROUTINE] + ids, key=ROUTINE_KEY,
                          format_func=routine_name,
                          help="Several stretches in order, with sides, holds and rests")
    st.session_state[kept] = choice
    if choice == NO_ROUTINE:
        st.session_state.pop("routine_run", None)
        return None
    try:
        routine = get_routine(choice)
    except PosecheckError as exc:
        st.error(str(exc))
        return None
    run = st.session_state.get("routine_run")
    if run is None or run.routine.id != routine.id:
        run = routinelib.RoutineRun(routine)
        st.session_state["routine_run"] = run
    return run


@st.cache_resource(show_spinner=False, ttl=60)
def step_spec(routine_id: str, index: int):
    """The spec of a routine step: its stretch with the step's sides, reps, target, rest."""
    return get_routine(routine_id).steps[index].spec()


def routine_step_key(run: routinelib.RoutineRun | None) -> tuple | None:
    """Names the routine step being run (None: no routine, or it is finished)."""
    if run is None or run.finished:
        return None
    return (run.routine.id, run.index, len(run.log))


def _step_action(run: routinelib.RoutineRun, action: str) -> None:
    """A routine button: move the run, and drop the last step's result from the page."""
    if action == "restart":
        st.session_state["routine_run"] = routinelib.RoutineRun(run.routine)
    elif action == "back":
        run.repeat(previous=True)
    else:
        getattr(run, action)()
    for key in ("live_processor", "live_saved", "video_result"):
        st.session_state.pop(key, None)


def routine_panel(run: routinelib.RoutineRun, voice: bool) -> None:
    """The routine above the live view: its steps, the one now and the next, and the voice
    reading each step's sentence once."""
    from html import escape

    routine = run.routine
    names = lambda sid: get_spec(sid).name  # noqa: E731
    st.subheader(f"Routine: {routine.name}")
    st.caption(" ".join(x for x in (routine.description, f"When: {routine.when}."
                                    if routine.when else "",
                                    f"About {routine.planned_s / 60:.0f} min.") if x))
    st.table(routinelib.step_rows(run, names))
    if run.finished:
        done = sum(1 for k in range(len(routine.steps)) if run.status(k) == "done")
        st.success(f"Routine finished: {done} of {len(routine.steps)} steps done.")
        c1, c2 = st.columns(2)
        c1.button("Start the routine again", key="routine_restart",
                  on_click=_step_action, args=(run, "restart"))
        c2.button("Back to the last step", key="routine_back",
                  on_click=_step_action, args=(run, "back"))
        return
    step = run.step
    spec = step_spec(routine.id, run.index)
    sentence = routinelib.announcement(step, spec.name, first=run.index == 0 and not run.log)
    now, after = st.columns([3, 2])
    with now:
        st.markdown(f"**Now: step {run.index + 1} of {len(routine.steps)}, {spec.name}.** "
                    f"{side_plan(spec)}." + (f" {step.note}" if step.note else ""))
        st.markdown(f'<div class="posecheck-routine-say">The voice says: '
                    f'{escape(sentence)}</div>', unsafe_allow_html=True)
        c1, c2, c3 = st.columns(3)
        c1.button("Step done", key="routine_done", type="primary",
                  on_click=_step_action, args=(run, "done"))
        c2.button("Skip step", key="routine_skip", on_click=_step_action, args=(run, "skip"))
        c3.button("Repeat step", key="routine_repeat", on_click=_step_action,
                  args=(run, "repeat"))
        if voice:
            # Drawn on every run while the step stays (never emptied first): the browser keeps
            # an unchanged frame, so the sentence is said once a step, and a rerun right after
            # cannot remove the frame before it has spoken.
            components.html(speech_html(sentence, len(run.log) + 1000 * run.index), height=0)
    with after:
        nxt = run.next_step
        if nxt is None:
            st.markdown("**Next:** nothing, this is the last step.")
        else:
            nspec = step_spec(routine.id, run.index + 1)
            st.markdown(f"**Next:** {nspec.name}, {routinelib.sides_text(nxt)}, "
                        f"{nxt.reps} x {nxt.target_s:g} s (after {routine.rest_between_s:g} s "
                        "rest)")
            st.image(figure(nspec.id, nspec.posture, nspec.stretched_leg), width=220)


def intro(spec) -> None:
    """The landing text before START: what happens, and a way to try it without a camera."""
    st.markdown(
        f"**{spec.name}.** Press **START** below and allow the camera. First a short set-up: "
        "step back until your feet are in the picture and turn side-on. Then get into the "
        "stretch: a spoken countdown starts each hold, and only seconds with good form count "
        "(green). Red says what stops the count; amber is a tip.")
    st.button("No camera? Try it on a sample video", key="try_sample",
              on_click=lambda: st.session_state.update({SOURCE_KEY: "Video file"}))


# ---------------------------------------------------------------------------- sections
def camera_section(spec, model: str, mirror: bool, step_key: tuple | None = None) -> None:
    """The camera view. ``step_key``: the routine step being run (routine_step_key)."""
    from streamlit_webrtc import WebRtcMode, webrtc_streamer

    try:
        rtc = live.rtc_configuration(os.environ.get(live.ICE_ENV))
    except PosecheckError as exc:
        st.error(str(exc))
        rtc = {"iceServers": []}
    try:
        model_path(model)
    except PosecheckError as exc:
        st.error(f"The {model} pose model is not available: {exc}")
        return

    drawn_last_run = CAMERA_MARKER in st.session_state  # read before the marker is drawn
    intro_slot = st.empty()
    col_video, col_stats = st.columns([3, 2])
    with col_video:
        keep_webrtc_context(WEBRTC_KEY, drawn_last_run)

        def factory() -> live.WebrtcFrameProcessor:
            # One processor (and landmarker) per connection, loaded in the background.
            return live.WebrtcFrameProcessor(
                lambda: build_processor(spec, model, mirror, camera=True), flip=mirror)

        ctx = webrtc_streamer(
            key=WEBRTC_KEY,
            mode=WebRtcMode.SENDRECV,
            rtc_configuration=rtc,
            media_stream_constraints={"video": {"width": 640, "height": 480}, "audio": False},
            video_processor_factory=factory,
            async_processing=True,
            # No player controls over the picture: they would hide the banner at the bottom.
            video_html_attrs={"autoPlay": True, "controls": False, "muted": True,
                              "style": {"width": "100%"}},
        )
    with col_stats:
        voice = st.checkbox("Speak cues", key=CAMERA_MARKER,
                            help="The browser says what changed: the countdown, corrections "
                                 "(at most one every few seconds), praise, time left")
        slots = {name: st.empty() for name in
                 ("error", "state", "hold", "progress", "reps", "skip", "perf")}
        voice_slot = st.empty()

    if ctx.state.playing:
        running = st.session_state.get("live_settings")
        if running is not None and running != (spec.id, model, mirror, step_key):
            slots["error"].info("The camera is running with the earlier settings (or routine "
                                "step): press STOP and START to apply the new ones.")
        else:
            st.session_state["live_settings"] = (spec.id, model, mirror, step_key)
        running = st.session_state["live_settings"]
        st.session_state["live_routine"] = running[3][0] if running[3] else None
        said = st.session_state.get("live_said", 0)
        skip_shown = False
        while ctx.state.playing:
            adapter = ctx.video_processor
            processor = adapter.processor if adapter is not None else None
            if adapter is not None and adapter.error:
                slots["error"].error(f"The pose model could not be loaded: {adapter.error}")
            elif processor is not None:
                if st.session_state.get("live_processor") is not processor:
                    said = 0
                st.session_state["live_processor"] = processor
                snap = processor.snapshot()
                show_live_numbers(slots, snap, spec)
                if snap.framing and not skip_shown:
                    slots["skip"].button("Skip the set-up", key="skip_setup",
                                         on_click=processor.skip_framing)
                    skip_shown = True
                elif not snap.framing and skip_shown:
                    slots["skip"].empty()
                    skip_shown = False
                spoken = processor.spoken()
                if len(spoken) > said:
                    said = len(spoken)
                    st.session_state["live_said"] = said
                    if voice:  # only the newest: an old cue is no news
                        speak(voice_slot, spoken[-1][1], said)
            else:
                slots["state"].info("Connecting and loading the pose model...")
            time.sleep(POLL_S)
    else:
        st.session_state.pop("live_settings", None)
        st.session_state.pop("live_said", None)
        if "live_processor" not in st.session_state:
            with intro_slot.container():
                intro(spec)
        slots["state"].markdown("Press **START** and allow the camera. "
                                + ("Frames are mirrored like a mirror." if mirror else ""))

    last = st.session_state.get("live_processor")
    if last is not None and not ctx.state.playing:
        saved = st.session_state.get("live_saved")
        if saved is None or saved[0] is not last:  # once per session, when it stops
            saved = (last, save_session(last, st.session_state.get("live_routine")))
            st.session_state["live_saved"] = saved
        show_saved(saved[1])
        show_summary(last.summary(), last.spec)
        spoken = last.spoken()
        if spoken:
            with st.expander(f"Spoken cues ({len(spoken)})"):
                st.markdown("\n".join(f"- {t / 1000:.1f} s: {text}" for t, text in spoken))
        if st.button("Clear summary"):
            del st.session_state["live_processor"]
            st.session_state.pop("live_saved", None)
            st.rerun()


def samples_for(spec_id: str) -> list[Path]:
    """Sample videos of this stretch (their ``.truth.json.gz`` names it; without one, the
    file name must start with the spec id); hidden files (being written) are left out."""
    import gzip

    found = []
    for p in sorted(SAMPLE_DIR.glob("*")):
        if p.suffix.lower().lstrip(".") not in VIDEO_TYPES or p.name.startswith("."):
            continue
        truth = p.with_name(p.stem + ".truth.json.gz")
        stretch = None
        if truth.is_file():
            try:
                with gzip.open(truth, "rt") as fh:
                    stretch = json.load(fh).get("stretch")
            except (OSError, ValueError):
                stretch = None
        if stretch == spec_id or (stretch is None and p.stem.startswith(spec_id)):
            found.append(p)
    return found


def video_section(spec, model: str, mirror: bool, step_key: tuple | None = None) -> None:
    """The video-file view. ``step_key``: the routine step being run (routine_step_key)."""
    samples = samples_for(spec.id)
    choice = st.radio("Video", ["A sample video", "Upload a file"] if samples
                      else ["Upload a file"], horizontal=True)
    if not samples:
        st.caption(f"No sample video of the {spec.name} here: upload one.")
    video = None  # a sample's Path, or the UploadedFile
    if choice == "A sample video":
        picked = st.selectbox("Sample", samples, format_func=lambda p: p.name)
        video = Path(picked) if picked else None
    else:
        # Checked, saved and deleted around the analysis (posecheck.io.uploads).
        video = st.file_uploader("Video file", type=VIDEO_TYPES)
    st.caption("Mirror on means the video itself is a mirror image (a selfie recording).")
    chosen = (choice, getattr(video, "name", str(video)), getattr(video, "file_id", None),
              spec.id, model, mirror, step_key)
    if video is None or not st.button("Analyse", type="primary"):
        result = st.session_state.get("video_result")
        if result is not None and result[3] == chosen:  # only the result of what is chosen
            out, summary, spec_id, _, saved = result
            show_saved(saved)
            st.columns([3, 2])[0].video(out)
            show_summary(summary, get_spec(spec_id), title="Summary of the video")
        elif result is not None:
            st.session_state.pop("video_result", None)
        return
    bar = st.progress(0.0, text="Analysing...")
    out = Path(tempfile.gettempdir()) / f"posecheck-annotated-{os.getpid()}-{int(time.time())}.mp4"
    try:
        processor = build_processor(spec, model, mirror)

        def progress(done: int, total: int) -> None:
            bar.progress(min(1.0, done / total) if total else 0.0,
                         text=f"Analysing... frame {done}" + (f" of {total}" if total else ""))

        with uploads.video_file(video) as path:
            summary = live.run_on_video(processor, path, out, progress=progress)
        processor.close()
    except PosecheckError as exc:
        bar.empty()
        st.error(str(exc))
        return
    bar.empty()
    saved = save_session(processor, step_key[0] if step_key else None)
    data = out.read_bytes()
    out.unlink(missing_ok=True)
    st.session_state["video_result"] = (data, summary, spec.id, chosen, saved)
    show_saved(saved)
    st.columns([3, 2])[0].video(data)
    show_summary(summary, spec, title="Summary of the video")


# ---------------------------------------------------------------------------- the page
def main() -> None:
    st.title("Stretch")
    try:
        ids = spec_ids()
    except PosecheckError as exc:
        st.error(str(exc))
        return
    if not ids:
        st.error("No stretch specs found in pose_specs/. Fix: check the installation.")
        return
    with st.sidebar:
        run = routine_choice()
        step_key = routine_step_key(run)
        if step_key is not None:  # the routine chooses the stretch and its hold plan
            try:
                spec = step_spec(run.routine.id, run.index)
            except PosecheckError as exc:
                st.error(str(exc))
                return
            st.markdown(f"**Stretch:** {spec.name} (routine step {run.index + 1} of "
                        f"{len(run.routine.steps)})")
        else:
            spec_id = st.selectbox("Stretch", ids, format_func=lambda i: get_spec(i).name,
                                   index=ids.index(DEFAULT_SPEC) if DEFAULT_SPEC in ids else 0)
            spec = get_spec(spec_id)
        st.image(figure(spec.id, spec.posture, spec.stretched_leg),
                 caption="Target position (orange: the leg being stretched)")
        st.markdown(spec.description)
        st.markdown(f"**Plan:** {side_plan(spec)}")
        # full by default: on side views lite often swaps the legs and misplaces the toes, which
        # books holds to the wrong side; full still runs ~27 fps at 640x480 on 2 cores.
        model = st.radio("Pose model", ["lite", "full"], index=1, horizontal=True,
                         help="full (default) places feet and legs better; lite is faster on "
                              "a slow machine")
        source = st.radio("Source", ["Camera", "Video file"], horizontal=True, key=SOURCE_KEY)
        mirror = st.checkbox("Mirror", value=(source == "Camera"), key=f"mirror_{source}",
                             help="Camera: show the picture like a mirror. Video: the video "
                                  "is a mirror image. Sides are counted right either way.")
        kept = sticky(SAVE_KEY, True)
        st.session_state[kept] = st.toggle(
            "Save this session to my history", key=SAVE_KEY,
            help=f"Each session is stored when it stops (STOP, or the end of a video), on this "
                 f"computer only: {database.default_path()}. The Progress page shows it; "
                 "`posecheck history delete` removes it.")
        st.markdown("**How to place the camera**")
        st.caption(camera_hint(spec))
        if spec.cautions:
            with st.expander("Safety"):
                st.markdown("\n".join(f"- {c}" for c in spec.cautions))
    if run is not None:
        routine_panel(run, voice=source == "Camera"
                      and bool(st.session_state.get(CAMERA_MARKER)))
    if source == "Camera":
        camera_section(spec, model, mirror, step_key)
    else:
        video_section(spec, model, mirror, step_key)


main()
