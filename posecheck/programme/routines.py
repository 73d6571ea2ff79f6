"""Routines: an ordered list of stretches with sides, reps, hold target and rest.

Loaded and validated from ``routines/*.toml`` (the top-level folder beside ``pose_specs/``)
like the specs are: any mistake raises :class:`RoutineError` naming the file, the field and
the fix. A file looks like::

    id = "daily_psoas"                 # = the file name
    name = "Daily psoas routine"
    description = "..."
    when = "twice a day, or when your back hurts"
    rest_between_s = 20.0              # s between one stretch and the next

    [[steps]]
    stretch = "half_kneeling_hip_flexor"   # a spec id in pose_specs/
    sides = ["left", "right"]              # optional; default: the spec's sides
    reps = 2                               # holds per side; default: the spec's
    target_s = 30.0                        # s of valid form per hold; default: the spec's
    rest_s = 10.0                          # s between reps and sides; default: the spec's

``RoutineStep.spec()`` gives the step's spec with its hold settings replaced by the step's, so
the session and hold timer run a routine step exactly as they run a single stretch.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Callable, Mapping

from posecheck.core.errors import PosecheckError, SpecError

MAX_TARGET_S = 600.0  # s; a longer hold is a typo (the guides say 20-60 s)
MAX_REPS = 50
_TOP_KEYS = {"id", "name", "description", "when", "rest_between_s", "steps"}
_STEP_KEYS = {"stretch", "sides", "reps", "target_s", "rest_s", "note"}


class RoutineError(PosecheckError):
    """A routine file is malformed; the message names the file, field and fix."""


def _fail(source: str, fld: str, problem: str, fix: str) -> RoutineError:
    return RoutineError(f"{source}: field '{fld}': {problem}. Fix: {fix}")


@dataclass(frozen=True)
class RoutineStep:
    """One stretch of a routine. ``sides``, ``reps``, ``target_s``, ``rest_s`` as in the file
    (with the spec's values filled in where the file leaves them out)."""

    stretch: str
    sides: tuple[str, ...]
    reps: int
    target_s: float
    rest_s: float
    note: str = ""

    def spec(self) -> Any:
        """The stretch's spec with this step's hold settings."""
        from posecheck.specs.parse import load_spec

        base = load_spec(self.stretch)
        hold = replace(base.hold, target_s=self.target_s, max_s=max(base.hold.max_s,
                                                                    self.target_s),
                       reps=self.reps, reps_max=max(base.hold.reps_max, self.reps)
                       if base.hold.reps_max else 0,
                       sides=self.sides, rest_s=self.rest_s)
        return replace(base, sides=self.sides, hold=hold)

    @property
    def holds(self) -> int:
        """Holds in this step (reps x sides)."""
        return self.reps * len(self.sides)


@dataclass(frozen=True)
class Routine:
    id: str
    name: str
    steps: tuple[RoutineStep, ...]
    description: str = ""
    when: str = ""
    rest_between_s: float = 20.0
    source_path: str = ""

    @property
    def planned_s(self) -> float:
        """About how long the routine takes: holds plus rests (s)."""
        total = 0.0
        for k, s in enumerate(self.steps):
            total += s.holds * s.target_s + max(s.holds - 1, 0) * s.rest_s
            if k:
                total += self.rest_between_s
        return total

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<routine>") -> "Routine":
        """Validate a parsed routine table (see the module docstring)."""
        from posecheck.specs.parse import list_specs, load_spec

        _keys(data, _TOP_KEYS, source, "")
        rid = _text(data, "id", source, required=True)
        name = _text(data, "name", source, required=True)
        rest_between = _seconds(data, "rest_between_s", source, "", default=20.0)
        raw_steps = data.get("steps")
        if not isinstance(raw_steps, list) or not raw_steps:
            raise _fail(source, "steps", "missing or empty",
                        "add at least one [[steps]] table with a stretch")
        known = list_specs()
        steps = []
        for i, raw in enumerate(raw_steps):
            where = f"steps[{i}]."
            if not isinstance(raw, dict):
                raise _fail(source, f"steps[{i}]", "must be a table", "write it as [[steps]]")
            _keys(raw, _STEP_KEYS, source, where)
            stretch = _text(raw, "stretch", source, required=True, where=where)
            if stretch not in known:
                raise _fail(source, f"{where}stretch", f"unknown stretch {stretch!r}",
                            f"use one of: {', '.join(known)}")
            try:
                spec = load_spec(stretch)
            except SpecError as exc:
                raise _fail(source, f"{where}stretch", f"its spec does not load ({exc})",
                            "fix the spec first") from None
            sides = _sides(raw, spec, source, where)
            reps = raw.get("reps", spec.hold.reps)
            if isinstance(reps, bool) or not isinstance(reps, int) or not 1 <= reps <= MAX_REPS:
                raise _fail(source, f"{where}reps", f"must be a whole number 1-{MAX_REPS}, "
                            f"got {reps!r}", "give the holds per side, e.g. reps = 2")
            target = _seconds(raw, "target_s", source, where, default=spec.hold.target_s)
            if not 0 < target <= MAX_TARGET_S:
                raise _fail(source, f"{where}target_s", f"must be > 0 and <= {MAX_TARGET_S:g} "
                            f"s, got {target!r}", "give the hold in seconds, e.g. 30")
            rest = _seconds(raw, "rest_s", source, where, default=spec.hold.rest_s)
            note = _text(raw, "note", source, where=where)
            steps.append(RoutineStep(stretch, sides, reps, float(target), float(rest), note))
        return cls(id=rid, name=name, steps=tuple(steps),
                   description=_text(data, "description", source),
                   when=_text(data, "when", source), rest_between_s=float(rest_between),
                   source_path=source)


class RoutineRun:
    """Where a person is in a routine: the current step, what comes next, and what was done,
    skipped or repeated. One call per user action (the page's timer decides when a step is
    done); no clock inside."""

    def __init__(self, routine: Routine):
        self.routine = routine
        self.index = 0
        self.log: list[tuple[int, str]] = []  # (step index, "done" | "skipped" | "repeated")

    @property
    def step(self) -> RoutineStep | None:
        """The step to do now (None when the routine is finished)."""
        return self.routine.steps[self.index] if not self.finished else None

    @property
    def next_step(self) -> RoutineStep | None:
        """The step after the current one (None: the current one is the last)."""
        k = self.index + 1
        return self.routine.steps[k] if k < len(self.routine.steps) else None

    @property
    def finished(self) -> bool:
        return self.index >= len(self.routine.steps)

    def done(self) -> None:
        self._leave("done")

    def skip(self) -> None:
        self._leave("skipped")

    def repeat(self, previous: bool = False) -> None:
        """Start the current step again, or (``previous``) go back to the one before it."""
        if previous:
            if self.index == 0:
                raise ValueError("no step before the first one")
            self.index -= 1
        elif self.finished:
            raise ValueError("the routine is finished: repeat(previous=True) goes back")
        self.log.append((self.index, "repeated"))

    def status(self, index: int) -> str:
        """Step ``index``'s state: "now" (the current step), else its latest outcome, "done"
        or "skipped", or "to do"."""
        if index == self.index:
            return "now"
        outcomes = [what for k, what in self.log if k == index and what != "repeated"]
        return outcomes[-1] if outcomes else "to do"

    def _leave(self, what: str) -> None:
        if self.finished:
            raise ValueError("the routine is already finished")
        self.log.append((self.index, what))
        self.index += 1


def sides_text(step: RoutineStep) -> str:
    """The step's sides in words: "left, then right", "both at once", "right only"."""
    if step.sides == ("both",):
        return "both at once"
    if len(step.sides) == 2:
        return f"{step.sides[0]}, then {step.sides[1]}"
    return f"{step.sides[0]} only"


def step_rows(run: RoutineRun, name: Callable[[str], str] = str) -> list[dict[str, Any]]:
    """One row per step for a table: its number, stretch (``name(spec id)``), sides, reps,
    hold target, rest and status (:meth:`RoutineRun.status`)."""
    return [{"step": k + 1, "stretch": name(s.stretch), "sides": sides_text(s),
             "reps": s.reps, "hold (s)": f"{s.target_s:g}", "rest (s)": f"{s.rest_s:g}",
             "status": run.status(k)} for k, s in enumerate(run.routine.steps)]


def announcement(step: RoutineStep, name: str, *, first: bool = False) -> str:
    """What the voice says before a step, e.g. "Next: Glute bridge. Both sides at once, 10
    holds of 5 seconds, 2 seconds rest between them." """
    if step.sides == ("both",):
        sides = "Both sides at once"
    elif len(step.sides) == 2:
        sides = f"{step.sides[0].capitalize()} side, then {step.sides[1]}"
    else:
        sides = f"{step.sides[0].capitalize()} side only"
    holds = f"{step.reps} hold{'s' if step.reps != 1 else ''} of {step.target_s:g} seconds"
    each = " on each side" if len(step.sides) == 2 else ""
    rest = (f", {step.rest_s:g} seconds rest between them" if step.holds > 1 and step.rest_s
            else "")
    return f"{'First' if first else 'Next'}: {name}. {sides}, {holds}{each}{rest}."


def _keys(table: Mapping[str, Any], allowed: set[str], source: str, where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise _fail(source, f"{where}{unknown[0]}", "unknown key",
                    f"remove it or use one of: {', '.join(sorted(allowed))}")


def _text(table: Mapping[str, Any], key: str, source: str, *, required: bool = False,
          where: str = "") -> str:
    value = table.get(key, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise _fail(source, f"{where}{key}", f"must be {'a non-empty' if required else 'a'} "
                    f"text, got {value!r}", f'write e.g. {key} = "..."')
    return value.strip()


def _seconds(table: Mapping[str, Any], key: str, source: str, where: str, *,
             default: float) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (
            math.isfinite(value) and value >= 0):
        raise _fail(source, f"{where}{key}", f"must be a number of seconds >= 0, got {value!r}",
                    "give seconds, e.g. 10.0")
    return float(value)


def _sides(raw: Mapping[str, Any], spec: Any, source: str, where: str) -> tuple[str, ...]:
    if "sides" not in raw:
        return tuple(spec.hold.sides)
    sides = raw["sides"]
    symmetric = tuple(spec.hold.sides) == ("both",)
    allowed = ("both",) if symmetric else ("left", "right")
    ok = (isinstance(sides, list) and sides and all(isinstance(s, str) for s in sides)
          and len(set(sides)) == len(sides) and all(s in allowed for s in sides))
    if not ok:
        fix = ('this stretch works both sides at once: use sides = ["both"]' if symmetric else
               'use sides = ["left", "right"], ["right", "left"] or one of them')
        raise _fail(source, f"{where}sides", f"bad sides {sides!r} for {spec.id}", fix)
    return tuple(sides)


def load_routine(name_or_path: str | Path) -> Routine:
    """A routine by id (from :data:`ROUTINE_DIR`) or by file path."""
    text = str(name_or_path)
    path = Path(text)
    if not (text.endswith(".toml") or path.is_file()):
        path = routine_dir() / f"{text}.toml"
        if not path.is_file():
            raise RoutineError(f"unknown routine {text!r}. Fix: use one of: "
                               f"{', '.join(list_routines()) or '(none)'} (or give a .toml path)")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RoutineError(f"{path}: routine file not found. Fix: check the path") from None
    except tomllib.TOMLDecodeError as exc:
        raise RoutineError(f"{path}: not valid TOML ({exc}). Fix: correct the syntax "
                           "there") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RoutineError(f"{path}: cannot be read ({exc}). Fix: check the file") from None
    routine = Routine.from_dict(data, str(path))
    if path.stem != routine.id:
        raise _fail(str(path), "id", f"{routine.id!r} differs from the file name {path.stem!r}",
                    "make the file name <id>.toml")
    return routine


def routine_dir() -> Path:
    """The routines shipped with posecheck: the package data ``posecheck.routine_files`` (the
    repository's ``routines/`` folder in an editable install)."""
    from importlib import resources

    root = resources.files("posecheck.routine_files")
    if not isinstance(root, Path):  # only a zipped install would do this
        raise SpecError(f"the bundled routines are not a folder on disk ({root}). Fix: install "
                        "posecheck unzipped (pip install)")
    return root


def __getattr__(name: str) -> Any:
    # ROUTINE_DIR is read when asked for, like posecheck.specs.parse.SPEC_DIR.
    if name == "ROUTINE_DIR":
        return routine_dir()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def list_routines() -> list[str]:
    """Ids of the bundled routines, sorted."""
    return sorted(p.stem for p in routine_dir().glob("*.toml"))
