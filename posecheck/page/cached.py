"""The page's cached parts: specs and routines (re-read after a minute, so edited thresholds
show without a restart), the model file, the stretch pictures."""

from __future__ import annotations

import streamlit as st

from posecheck.draw.posture import stretch_figure
from posecheck.model.provision import resolve_model
from posecheck.programme import routines as routinelib
from posecheck.specs.model import StretchSpec
from posecheck.specs.parse import list_specs, load_spec


@st.cache_resource(show_spinner=False, ttl=60)
def spec_ids() -> list[str]:
    return list_specs()


@st.cache_resource(show_spinner=False, ttl=60)
def get_spec(spec_id: str) -> StretchSpec:
    return load_spec(spec_id)


@st.cache_resource(show_spinner=False, ttl=60)
def routine_ids() -> list[str]:
    return routinelib.list_routines()


@st.cache_resource(show_spinner=False, ttl=60)
def get_routine(routine_id: str) -> routinelib.Routine:
    return routinelib.load_routine(routine_id)


@st.cache_resource(show_spinner=False, ttl=60)
def step_spec(routine_id: str, index: int) -> StretchSpec:
    """The spec of a routine step: its stretch with the step's sides, reps, target, rest."""
    return get_routine(routine_id).steps[index].spec()


@st.cache_resource(show_spinner="Preparing the pose model (once)...")
def model_path(model: str) -> str:
    """The model's .task file, fetched or built once; the landmarker itself is per stream
    because MediaPipe's VIDEO mode keeps tracking state."""
    return str(resolve_model(model, progress=False))


@st.cache_data(show_spinner=False)
def figure(spec_id: str, posture: str, stretched_leg: str):
    return stretch_figure(posture, stretched_leg, spec_id=spec_id)
