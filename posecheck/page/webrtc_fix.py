"""The Start-click fix for streamlit-webrtc 0.79 (:func:`keep_webrtc_context`)."""

from __future__ import annotations

import os

import streamlit as st
from streamlit.logger import get_logger
from streamlit_webrtc.session_info import get_script_run_count, get_this_session_info

# Diagnostic switch for the Start-click fix (see keep_webrtc_context and docs/LIVE.md).
STALE_FIX = os.environ.get("POSECHECK_WEBRTC_STALE_FIX", "1") != "0"
# A widget drawn only with the camera view. Streamlit drops a widget's state after any
# completed run that did not draw it (another page, the video-file view), so its presence at
# the start of a run says the last completed run drew the camera view, and the component.
CAMERA_MARKER = "live_voice"

LOG = get_logger("posecheck.app")


def _script_run_count() -> int | None:
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
