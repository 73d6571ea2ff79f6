"""posecheck's Streamlit page: live stretch checking from the webcam, or from a video file.

Run with ``bash scripts/app.sh`` (or ``streamlit run app.py``). The page only wires parts
together; the per-frame work is ``posecheck.live`` (same core as the batch analysis), the
pictures are ``posecheck.draw``. The page's parts: ``page.cached`` (specs, routines, model),
``page.parts`` (live numbers, summary, voice, history), ``page.routine`` (routines),
``page.webrtc_fix`` (the Start-click fix). docs/LIVE.md explains the settings and the
networking.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from posecheck.core.errors import PosecheckError
from posecheck.io import uploads
from posecheck.live.replay import run_on_video
from posecheck.live.texts import VIDEO_TYPES, camera_hint, samples_for, side_plan
from posecheck.live.webrtc import ICE_ENV, WebrtcFrameProcessor, rtc_configuration
from posecheck.page.cached import figure, get_spec, model_path, spec_ids, step_spec
from posecheck.page.parts import (SAVE_KEY, build_processor, save_session, show_live_numbers,
                                  show_saved, show_summary, speak, sticky)
from posecheck.page.routine import routine_choice, routine_panel, routine_step_key
from posecheck.page.webrtc_fix import CAMERA_MARKER, keep_webrtc_context
from posecheck.programme import database
from posecheck.specs.model import StretchSpec

ROOT = Path(__file__).resolve().parent
SAMPLE_DIR = Path(os.environ.get("POSECHECK_SAMPLE_DIR", ROOT / "sample_videos"))
WEBRTC_KEY = "posecheck-live"
# Page refresh period while the camera runs (s): faster refreshes cost frame rate.
POLL_S = 0.5
# Selected when the page opens: the psoas stretch the app is mostly used for.
DEFAULT_SPEC = "half_kneeling_hip_flexor"
SOURCE_KEY = "source"
SIDE_CHOICES = ("tell it for me", "left", "right")  # the "Stretched side" control

st.set_page_config(page_title="Stretch - posecheck", layout="wide")


def intro(spec: StretchSpec) -> None:
    """The landing text before START: what happens, and a way to try it without a camera."""
    st.markdown(
        f"**{spec.name}.** Press **START** below and allow the camera. First a short set-up: "
        "step back until your feet are in the picture and turn side-on. Then get into the "
        "stretch: a spoken countdown starts each hold, and only seconds with good form count "
        "(green). Red says what stops the count; amber is a tip.")
    st.button("No camera? Try it on a sample video", key="try_sample",
              on_click=lambda: st.session_state.update({SOURCE_KEY: "Video file"}))


def camera_section(spec: StretchSpec, model: str, mirror: bool, step_key: tuple | None = None,
                   side: str | None = None) -> None:
    """The camera view. ``step_key``: the routine step being run (routine_step_key)."""
    try:
        rtc = rtc_configuration(os.environ.get(ICE_ENV))
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

        def factory() -> WebrtcFrameProcessor:
            # One processor (and landmarker) per connection, loaded in the background.
            return WebrtcFrameProcessor(
                lambda: build_processor(spec, model, mirror, camera=True, side=side),
                flip=mirror)

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
        if running is not None and running != (spec.id, model, mirror, step_key, side):
            slots["error"].info("The camera is running with the earlier settings (or routine "
                                "step): press STOP and START to apply the new ones.")
        else:
            st.session_state["live_settings"] = (spec.id, model, mirror, step_key, side)
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


def video_section(spec: StretchSpec, model: str, mirror: bool, step_key: tuple | None = None,
                  side: str | None = None) -> None:
    """The video-file view. ``step_key``: the routine step being run (routine_step_key)."""
    samples = samples_for(spec.id, SAMPLE_DIR)
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
              spec.id, model, mirror, step_key, side)
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
        processor = build_processor(spec, model, mirror, side=side)

        def progress(done: int, total: int) -> None:
            bar.progress(min(1.0, done / total) if total else 0.0,
                         text=f"Analysing... frame {done}" + (f" of {total}" if total else ""))

        with uploads.video_file(video) as path:
            summary = run_on_video(processor, path, out, progress=progress)
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
        side = confirmed_side(spec)
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
        camera_section(spec, model, mirror, step_key, side)
    else:
        video_section(spec, model, mirror, step_key, side)


def confirmed_side(spec: StretchSpec) -> str | None:
    """The sidebar's "Stretched side" control: posecheck tells the side (and says when it is
    unsure), or the person confirms it. None for a symmetric stretch or "tell it for me"."""
    symmetric = spec.stretched_leg in ("both", "none")  # drawn anyway: a widget that comes
    # and goes with the stretch loses its state
    choice = st.radio("Stretched side", SIDE_CHOICES, horizontal=True, key="side_choice",
                      disabled=symmetric,
                      help="both sides at once" if symmetric else
                      "posecheck tells the stretched side from the pose and says when it is "
                      "unsure; pick left or right to confirm it yourself")
    return None if symmetric or choice == SIDE_CHOICES[0] else choice


main()
