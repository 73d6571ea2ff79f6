"""The routine on the live page: the sidebar's picker and the panel above the live view."""

from __future__ import annotations

from html import escape

import streamlit as st
import streamlit.components.v1 as components

from posecheck.core.errors import PosecheckError
from posecheck.live.texts import side_plan, speech_html
from posecheck.page.cached import figure, get_routine, get_spec, routine_ids, step_spec
from posecheck.page.parts import sticky
from posecheck.programme import routines as routinelib

ROUTINE_KEY = "routine"  # the sidebar's routine choice
NO_ROUTINE = "none"


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
