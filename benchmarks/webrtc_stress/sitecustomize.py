"""Fault injection for ``benchmarks/live.py clicks --stress-delay S`` (never used by the app).

Put on PYTHONPATH of the Streamlit server only. It delays, by S seconds, the moment Streamlit
sends a run's FINISHED_SUCCESSFULLY message and bumps ``script_run_count`` (in
``Runtime._send_message``), widening the window in which a quick rerun reads a count that does
not yet include the previous run: the race behind streamlit-webrtc's dropped Start clicks.
"""

import os
import time

_DELAY_S = float(os.environ.get("POSECHECK_STRESS_FINISH_DELAY_S", "0") or 0)

if _DELAY_S > 0:
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
    from streamlit.runtime import runtime as _runtime

    _send = _runtime.Runtime._send_message

    def _delayed_send(self, session_info, msg):
        if msg.WhichOneof("type") == "script_finished" \
                and msg.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY:
            time.sleep(_DELAY_S)
        return _send(self, session_info, msg)

    _runtime.Runtime._send_message = _delayed_send
