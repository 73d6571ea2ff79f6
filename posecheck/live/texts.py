"""The live page's words and markup, from a spec, a story or the hold state (no Streamlit):
the plan line, the camera hint, the story box, the script that speaks a cue, and the sample
videos of a stretch."""

from __future__ import annotations

import gzip
import json
from html import escape
from pathlib import Path

from posecheck.core import story as storylib
from posecheck.core.hold import HoldState
from posecheck.specs.model import StretchSpec

VIDEO_TYPES = ["mp4", "mov", "avi", "mkv", "webm", "m4v"]


def side_plan(spec: StretchSpec) -> str:
    hold = spec.hold
    reps = f"{hold.reps} hold{'s' if hold.reps != 1 else ''} of {hold.target_s:g} s"
    if tuple(spec.sides) == ("both",):
        return f"{reps} (both sides together), rest {hold.rest_s:g} s between holds"
    order = " then ".join(s for s in spec.sides)
    return f"{order.capitalize()}: {reps} per side, rest {hold.rest_s:g} s between holds"


def camera_hint(spec: StretchSpec) -> str:
    view = {"side": "side-on to the camera", "front": "facing the camera",
            "any": "side-on or facing the camera"}.get(spec.view, "side-on to the camera")
    return (f"Stand the camera at hip height, 2-4 m away, with you {view}. Your whole body, "
            "feet included, must be in the picture. Even light from the front, not a bright "
            "window behind you.")


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
    return (f'<div class="posecheck-story" data-state="{told.state}" data-tone="{told.tone}" '
            f'data-reason="{escape(told.reason or "")}" '
            f'style="background:{told.hex};color:white;border-radius:0.5rem;'
            f'padding:0.6rem 0.9rem;margin-bottom:0.4rem">'
            f'<div style="font-size:0.85rem;opacity:0.9">{escape(told.headline)}</div>'
            f'<div class="posecheck-message" style="font-size:1.25rem;font-weight:600">'
            f'{escape(told.message)}</div></div>'
            f'<div class="posecheck-phase">{escape(told.phase_line)}</div>')


def plan_line(hold: HoldState) -> str:
    """Holds done against the plan, per side, in one line."""
    done = hold.reps_by_side
    target = int(hold.reps_target or 1)
    parts = [f"{s.capitalize() if s != 'both' else 'Holds'}: {n} of {target} done"
             for s, n in done.items()]
    return " \u00b7 ".join(parts)


def samples_for(spec_id: str, folder: Path) -> list[Path]:
    """Sample videos of this stretch in ``folder`` (their ``.truth.json.gz`` names it; without one, the
    file name must start with the spec id); hidden files (being written) are left out."""
    found = []
    for p in sorted(folder.glob("*")):
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
