"""Reading stretch specs: ``pose_specs/<id>.toml`` -> :class:`~posecheck.specs.model.StretchSpec`.

One TOML file per stretch. Loading checks what a person can get wrong editing one (unknown
keys or metrics, a unit unlike the metric's, ``min > max``, negative times, ...) and raises
:class:`~posecheck.core.errors.SpecError` naming the file, the field and the fix.

File layout (see ``pose_specs/deep_lunge.toml`` for a complete example and
``docs/CHECKS.md`` for what each metric measures)::

    id, name, description, view, posture, stretched_leg, sides, timer_only, cautions
    [parts]        words for the two legs in cues ("back"/"front", "straight"/"bent", ...)
    [view_detect]  side-view threshold on view_width_ratio         -> ViewSettings
    [side_detect]  hysteresis of the automatic stretched-side choice -> SideDetectSettings
    [visibility]   landmark visibility / presence needed to measure -> VisibilitySettings
    [hold]         target_s, max_s, reps, rest_s, debounce_s, grace_s, ...  -> HoldSettings,
                   max_motion, motion_window_s (stillness)            -> StillnessSettings
    [reps]         count (true: count a moving exercise's reps), min_in_s, ... -> RepSettings
    [smoothing]    One Euro (live) and zero-phase (batch) settings    -> SmoothingSettings
    [feedback]     cue hysteresis                                     -> FeedbackSettings
    [cues]         position / view / hold texts                       -> CueTexts
    [[pose]]       in-position ranges, all must hold; [[recognition]]: ranges only auto reads
    [[checks]]     form checks: metric range, hysteresis, required/advisory, priority, cues;
                   or ``measure = true`` (the metric reported, never judged: no band, no cue)

A settings table is read into its owning dataclass by :func:`_settings`: a key the file gives
is read as the field's type, a key left out is not passed, so the default is the dataclass's
(none restated here); its :class:`~posecheck.core.errors.SettingError` names the file.
"""

from __future__ import annotations

import math
import os
import tomllib
from dataclasses import fields, replace
from importlib import resources
from pathlib import Path
from typing import Any, Mapping, TypeVar, get_type_hints

from posecheck.core.errors import SettingError, SpecError
from posecheck.core.feedback import FeedbackSettings
from posecheck.core.hold import HoldSettings
from posecheck.core.metrics import METRICS
from posecheck.core.motion import StillnessSettings
from posecheck.core.pose import VisibilitySettings
from posecheck.core.reps import RepSettings
from posecheck.core.smoothing import SmoothingSettings
from posecheck.specs.model import (CHECK_VIEWS, POSTURES, SIDE_NAMES, STRETCHED_LEG_RULES,
                                   UNITS, VIEWS, CheckSpec, CueTexts, SideDetectSettings,
                                   StretchSpec, ViewSettings, validate_band)

# The user's own specs instead of the bundled ones (set by --specs DIR, so workers see it).
ENV_SPECS = "POSECHECK_SPECS"

_fail = SpecError.at
T = TypeVar("T")

_TOP_KEYS = {"id", "name", "description", "view", "posture", "stretched_leg", "sides",
             "timer_only", "cautions", "parts", "view_detect", "side_detect", "visibility",
             "hold", "smoothing", "cues", "feedback", "pose", "checks", "variant_of", "notes",
             "recognition", "reps"}
_FALLBACK_KEYS = {"metric", "min", "max", "unit", "hysteresis"}
_NOT_IN_MEASURE = ("min", "max", "hysteresis", "fallback", "required", "safety", "cue_low",
                   "cue_high", "fault")  # a measure (reported, never judged) has none of these
_CHECK_KEYS = {"id", "metric", "unit", "priority", "label", "why", "views", "measure",
               *_NOT_IN_MEASURE}
_COND_KEYS = {"id", "metric", "min", "max", "unit", "hysteresis", "label", "why", "cue_low",
              "cue_high", "views"}
# [hold] keys -> HoldSettings fields (its sides come from the top level) and StillnessSettings.
_HOLD_KEYS = {k: k for k in ("target_s", "max_s", "reps", "reps_max", "rest_s", "debounce_s",
                             "grace_s", "per_day", "max_frame_gap_s")}
_STILLNESS_KEYS = {"max_motion": "max_motion", "motion_window_s": "window_s"}


# ---------------------------------------------------------------------------- typed reads
def _check_keys(table: Mapping[str, Any], allowed: set[str], source: str, where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise _fail(source, f"{where}{unknown[0]}", "unknown key",
                    f"remove it or use one of: {', '.join(sorted(allowed))}")


def _num(table: Mapping[str, Any], key: str, source: str, where: str, *,
         default: float | None = None, allow_none: bool = False) -> float | None:
    fld = f"{where}{key}"
    if key not in table:
        if default is None and not allow_none:
            raise _fail(source, fld, "missing", "add it (a number)")
        return default
    value = table[key]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _fail(source, fld, f"must be a number, got {value!r}", "write a plain number")
    value = float(value)
    if not math.isfinite(value):
        raise _fail(source, fld, f"must be finite, got {value}", "write a finite number")
    return value


def _int(table: Mapping[str, Any], key: str, source: str, where: str,
         default: int | None = None, minimum: int | None = None) -> int:
    fld = f"{where}{key}"
    value = table.get(key, default)
    if value is None:
        raise _fail(source, fld, "missing", "add it (a whole number)")
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(source, fld, f"must be a whole number, got {value!r}", "write e.g. 3")
    if minimum is not None and value < minimum:
        raise _fail(source, fld, f"must be >= {minimum}, got {value}", f"use {minimum} or more")
    return value


def _str(table: Mapping[str, Any], key: str, source: str, where: str, *,
         default: str | None = None, choices: tuple[str, ...] | None = None) -> str:
    fld = f"{where}{key}"
    if key not in table:
        if default is None:
            raise _fail(source, fld, "missing", "add it (a quoted string)")
        return default
    value = table[key]
    if not isinstance(value, str):
        raise _fail(source, fld, f"must be a string, got {value!r}", "quote it")
    if choices is not None and value not in choices:
        raise _fail(source, fld, f"unknown value {value!r}", f"use one of: {', '.join(choices)}")
    return value


def _bool(table: Mapping[str, Any], key: str, source: str, where: str, default: bool) -> bool:
    value = table.get(key, default)
    if not isinstance(value, bool):
        raise _fail(source, f"{where}{key}", f"must be true or false, got {value!r}",
                    "write true or false (no quotes)")
    return value


def _str_list(table: Mapping[str, Any], key: str, source: str, where: str,
              default: tuple[str, ...] = ()) -> tuple[str, ...]:
    value = table.get(key, list(default))
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _fail(source, f"{where}{key}", f"must be a list of strings, got {value!r}",
                    'write e.g. ["one", "two"]')
    return tuple(value)


def _table(data: Mapping[str, Any], key: str, source: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise _fail(source, key, "must be a table", f"write it as [{key}]")
    return value


def _settings(cls: type[T], table: Mapping[str, Any], source: str, where: str,
              keys: Mapping[str, str] | None = None, **given: Any) -> T:
    """The settings dataclass ``cls`` from a spec table.

    ``keys`` maps the table's keys to ``cls``'s fields (default: every field, same name); only
    the keys present are read (as the field's type: true/false, whole number, string, else a
    number) and passed, so a key left out takes ``cls``'s own default. ``given``: fields filled
    from elsewhere in the spec. A range error of ``cls`` is raised as a SpecError naming the file.
    """
    hints = get_type_hints(cls)
    keys = keys if keys is not None else {f.name: f.name for f in fields(cls)}
    _check_keys(table, set(keys), source, where)
    values: dict[str, Any] = {}
    for key, name in keys.items():
        if key not in table:
            continue
        if hints[name] is bool:
            values[name] = _bool(table, key, source, where, False)
        elif hints[name] is int:
            values[name] = _int(table, key, source, where)
        elif hints[name] is str:
            values[name] = _str(table, key, source, where)
        else:
            values[name] = _num(table, key, source, where)
    try:
        return cls(**values, **given)
    except SettingError as exc:
        raise _fail(source, exc.field, exc.problem, exc.fix) from None


# ---------------------------------------------------------------------------- checks
def _metric_and_unit(raw: Mapping[str, Any], source: str, where: str) -> tuple[str, str]:
    metric = _str(raw, "metric", source, where)
    if metric not in METRICS:
        raise _fail(source, f"{where}metric", f"unknown metric {metric!r}",
                    "use a name listed by docs/CHECKS.md (posecheck.core.metrics.METRICS)")
    if "unit" not in raw:
        raise _fail(source, f"{where}unit", "missing unit",
                    f"add unit = \"{METRICS[metric].unit}\" (the unit of {metric})")
    unit = _str(raw, "unit", source, where, choices=UNITS)
    if unit != METRICS[metric].unit:
        raise _fail(source, f"{where}unit", f"{metric} is measured in {METRICS[metric].unit!r}, "
                    f"not {unit!r}", f"write unit = \"{METRICS[metric].unit}\" and thresholds "
                    "in that unit")
    return metric, unit


def _band(raw: Mapping[str, Any], source: str, where: str) -> dict[str, float | None]:
    return {"min": _num(raw, "min", source, where, allow_none=True),
            "max": _num(raw, "max", source, where, allow_none=True),
            "hysteresis": _num(raw, "hysteresis", source, where, default=CheckSpec.hysteresis)}


def _parse_range(raw: Any, source: str, where: str, keys: set[str], is_check: bool) -> CheckSpec:
    if not isinstance(raw, dict):
        raise _fail(source, where.rstrip("."), "must be a table", "write it as [[...]]")
    _check_keys(raw, keys, source, where)
    cid = _str(raw, "id", source, where)
    where = f"{where.rstrip('.')}({cid})."
    metric, unit = _metric_and_unit(raw, source, where)
    measure = is_check and _bool(raw, "measure", source, where, CheckSpec.measure)
    if measure and (bad := next((k for k in _NOT_IN_MEASURE if k in raw), None)):
        raise _fail(source, f"{where}{bad}", "a measure is never judged",
                    f"remove {bad} (or drop measure = true to make it a check)")
    c = CheckSpec(
        id=cid, metric=metric, unit=unit, **_band(raw, source, where), measure=measure,
        required=_bool(raw, "required", source, where, not measure) if is_check else True,
        priority=_int(raw, "priority", source, where, CheckSpec.priority, minimum=1)
        if is_check else 0,
        safety=_bool(raw, "safety", source, where, CheckSpec.safety) if is_check else False,
        cue_low=_str(raw, "cue_low", source, where, default=""),
        cue_high=_str(raw, "cue_high", source, where, default=""),
        label=_str(raw, "label", source, where, default=cid.replace("_", " ")),
        why=_str(raw, "why", source, where, default=""),
        views=_str_list(raw, "views", source, where),
        fault=_str(raw, "fault", source, where, default="") if is_check else "",
    )
    if is_check and "fallback" in raw:
        c = replace(c, fallback=_parse_fallback(raw["fallback"], c, source, f"{where}fallback."))
    bad = [v for v in c.views if v not in CHECK_VIEWS]
    if bad:
        raise _fail(source, f"{where}views", f"unknown view {bad[0]!r}",
                    f"use some of {list(CHECK_VIEWS)}")
    if not measure:
        validate_band(c, source, where)
    if is_check and c.min is not None and not c.cue_low:
        raise _fail(source, f"{where}cue_low", "missing (the check has a min)",
                    "add the cue to say when the value is too low")
    if is_check and c.max is not None and not c.cue_high:
        raise _fail(source, f"{where}cue_high", "missing (the check has a max)",
                    "add the cue to say when the value is too high")
    return c


def _parse_fallback(raw: Any, check: CheckSpec, source: str, where: str) -> CheckSpec:
    """A check's ``fallback`` table: the check again with another metric and band."""
    if not isinstance(raw, dict):
        raise _fail(source, where.rstrip("."), "must be a table",
                    "write it as fallback = { metric = ..., max = ..., unit = ... }")
    _check_keys(raw, _FALLBACK_KEYS, source, where)
    metric, unit = _metric_and_unit(raw, source, where)
    fb = replace(check, metric=metric, unit=unit, **_band(raw, source, where))
    validate_band(fb, source, where)
    return fb


# ---------------------------------------------------------------------------- the spec
def spec_from_dict(data: Mapping[str, Any], source: str = "<spec>") -> StretchSpec:
    """Validate a parsed spec table and build the :class:`StretchSpec`."""
    _check_keys(data, _TOP_KEYS, source, "")
    sid = _str(data, "id", source, "")
    if not sid.replace("_", "").isalnum() or sid != sid.lower():
        raise _fail(source, "id", f"{sid!r} is not a lower_snake_case id", "use e.g. deep_lunge")
    name = _str(data, "name", source, "")
    description = _str(data, "description", source, "")
    view = _str(data, "view", source, "", choices=VIEWS)
    posture = _str(data, "posture", source, "", choices=POSTURES)
    rule = _str(data, "stretched_leg", source, "", choices=STRETCHED_LEG_RULES)
    sides = _str_list(data, "sides", source, "")
    if not sides or any(s not in SIDE_NAMES for s in sides):
        raise _fail(source, "sides", f"bad value {list(sides)!r}",
                    'use ["left", "right"] for one-sided stretches or ["both"]')
    if (rule in ("both", "none")) != (sides == ("both",)):
        raise _fail(source, "sides", f"{list(sides)!r} does not fit stretched_leg = {rule!r}",
                    'use ["both"] exactly when stretched_leg is "both" or "none"')
    timer_only = _bool(data, "timer_only", source, "", False)
    cautions = _str_list(data, "cautions", source, "")
    if not cautions:
        raise _fail(source, "cautions", "missing", "add the guide's safety notes (never pain, ...)")

    parts_raw = _table(data, "parts", source)
    _check_keys(parts_raw, {"stretched", "other"}, source, "parts.")
    parts = {"stretched": _str(parts_raw, "stretched", source, "parts.", default="stretched"),
             "other": _str(parts_raw, "other", source, "parts.", default="other")}

    view_detect, side_detect, visibility, reps, smoothing, cues, feedback = (
        _settings(cls, _table(data, key, source), source, f"{key}.") for cls, key in (
            (ViewSettings, "view_detect"), (SideDetectSettings, "side_detect"),
            (VisibilitySettings, "visibility"), (RepSettings, "reps"),
            (SmoothingSettings, "smoothing"), (CueTexts, "cues"), (FeedbackSettings, "feedback")))

    hold_raw = _table(data, "hold", source)
    _check_keys(hold_raw, {*_HOLD_KEYS, *_STILLNESS_KEYS}, source, "hold.")
    if "target_s" not in hold_raw:
        raise _fail(source, "hold.target_s", "missing", "add it (a number of seconds)")
    stillness = _settings(StillnessSettings,
                          {k: v for k, v in hold_raw.items() if k in _STILLNESS_KEYS},
                          source, "hold.", _STILLNESS_KEYS)
    hold = _settings(HoldSettings, {k: v for k, v in hold_raw.items() if k in _HOLD_KEYS},
                     source, "hold.", _HOLD_KEYS, sides=sides, stillness=stillness)

    tables = {"pose": _COND_KEYS, "checks": _CHECK_KEYS, "recognition": _COND_KEYS}
    for key in [k for k in tables if not isinstance(data.get(k, []), list)][:1]:
        raise _fail(source, key, "must be an array of tables", f"write each as [[{key}]]")
    pose, checks, recognition = (tuple(_parse_range(r, source, f"{k}.", keys, k == "checks")
                                       for r in data.get(k, [])) for k, keys in tables.items())
    if not pose:
        raise _fail(source, "pose", "no recognition conditions",
                    "add at least one [[pose]] entry saying how to tell the person is in position")
    if timer_only and checks:
        raise _fail(source, "checks", "a timer_only spec must not have checks",
                    "remove the [[checks]] or set timer_only = false")
    if not timer_only and not checks:
        raise _fail(source, "checks", "no checks", "add [[checks]] or set timer_only = true")
    ids = [c.id for c in (*pose, *checks, *recognition)]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise _fail(source, dup[0], "duplicate id", "give every check and condition its own id")

    return StretchSpec(id=sid, name=name, description=description, view=view, posture=posture,
                       stretched_leg=rule, sides=sides, timer_only=timer_only, checks=checks,
                       pose=pose, hold=hold, smoothing=smoothing, visibility=visibility,
                       view_detect=view_detect, side_detect=side_detect, parts=parts,
                       cues=cues, feedback=feedback, cautions=cautions, source_path=source,
                       recognition=recognition, reps=reps)


# ---------------------------------------------------------------------------- the folder
def bundled_spec_dir() -> Path:
    """The specs shipped with posecheck: the package data ``posecheck.pose_specs`` (the
    repository's ``pose_specs/`` folder in an editable install)."""
    root = resources.files("posecheck.pose_specs")
    if not isinstance(root, Path):  # only a zipped install would do this
        raise SpecError(f"the bundled specs are not a folder on disk ({root}). Fix: install "
                        f"posecheck unzipped (pip install), or set {ENV_SPECS} to a spec folder")
    return root


def spec_dir() -> Path:
    """The spec folder in use: ``$POSECHECK_SPECS`` when set, else :func:`bundled_spec_dir`.

    ``SPEC_DIR`` (a module attribute) is the same value, read when it is asked for.
    """
    custom = os.environ.get(ENV_SPECS)
    if not custom:
        return bundled_spec_dir()
    folder = Path(custom).expanduser().resolve()
    if not folder.is_dir():
        raise SpecError(f"spec folder {folder} (from --specs or {ENV_SPECS}) is not a folder. "
                        f"Fix: give a folder of <id>.toml spec files, or unset {ENV_SPECS} to "
                        "use the bundled specs")
    return folder


def __getattr__(name: str) -> Any:
    # SPEC_DIR follows spec_dir(), so a --specs folder chosen after import is the one used.
    if name == "SPEC_DIR":
        return spec_dir()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_spec(name_or_path: str | Path) -> StretchSpec:
    """Load a spec by id (``"deep_lunge"``, from :func:`spec_dir`) or by file path.

    An id is a plain file name without ``.toml``; one that reaches outside the spec folder
    (``../x``, ``a/b``) is an error rather than a file somewhere else.
    """
    text = str(name_or_path)
    path = Path(text)
    folder = spec_dir()
    if not (text.endswith(".toml") or path.is_file()):
        if text in ("", ".", "..") or path.name != text or "\\" in text:
            raise SpecError(f"stretch id {text!r} names a file outside the spec folder "
                            f"{folder}. Fix: give a plain id (one of: {', '.join(list_specs())})"
                            " or the path of a .toml file")
        path = folder / f"{text}.toml"
        if not path.is_file():
            raise SpecError(f"unknown stretch {text!r}. Fix: use one of: "
                            f"{', '.join(list_specs())} (or give a .toml path)")
    if not path.is_file():
        raise SpecError(f"{path}: spec file not found. Fix: check the path")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise SpecError(f"{path}: not valid TOML ({exc}). Fix: correct the syntax there") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SpecError(f"{path}: cannot be read ({exc}). Fix: check the file") from None
    spec = spec_from_dict(data, str(path))
    if path.resolve().parent == folder.resolve() and path.stem != spec.id:
        raise _fail(str(path), "id", f"{spec.id!r} differs from the file name {path.stem!r}",
                    "make the file name <id>.toml")
    return spec


def list_specs() -> list[str]:
    """Ids of the specs in the spec folder (:func:`spec_dir`), sorted."""
    return sorted(p.stem for p in spec_dir().glob("*.toml"))
