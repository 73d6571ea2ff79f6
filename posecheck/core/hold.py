"""What a hold is: its settings (the spec's ``[hold]`` table), its phases and the state the
hold timer (:mod:`posecheck.core.timer`) reports after each frame.

:class:`HoldSettings` is the one home of the hold's numbers: the spec parser fills it from
``[hold]`` (a key left out keeps the default written here), the timer, the session, the
routines and the tuning replay read it. All times are seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from posecheck.core.errors import SettingError, check_number
from posecheck.core.hold_exit import Interval
from posecheck.core.motion import StillnessSettings

BOTH = "both"
SIDES = ("left", "right")


class Phase(str, Enum):
    WAITING = "waiting"
    SETTLING = "settling"
    HOLDING = "holding"
    PAUSED = "paused"
    REST = "rest"
    SWITCH = "switch"
    DONE = "done"


# Timer prompts (shown as the lowest-priority cue).
PROMPT_GET_READY = "Get ready"
PROMPT_HOLD = "Hold"
PROMPT_REST = "Rest"
PROMPT_SWITCH = "Switch sides"
PROMPT_DONE = "Done"


@dataclass(frozen=True)
class HoldSettings:
    """How long, how often and how forgivingly a stretch is held (the spec's ``[hold]``).

    ``sides`` comes from the spec's top-level ``sides``; ``stillness`` from ``[hold]
    max_motion`` and ``motion_window_s``. ``max_invalid_s`` is not a spec key (the timer's
    tests and tools set it).
    """

    target_s: float = 30.0      # s of valid form that complete one hold (a rep)
    max_s: float | None = None  # s, upper end of the guide's range; None = target_s
    reps: int = 1               # holds per side
    reps_max: int = 0           # upper end of a rep range (0 = same as reps)
    sides: tuple[str, ...] = SIDES  # order of the sides, or ("both",) for symmetric stretches
    rest_s: float = 10.0        # s of rest after a completed rep (ends early on leaving)
    debounce_s: float = 0.5     # s in position (and still) before the hold starts: "Get ready"
    grace_s: float = 1.5        # s out of position (or moving) a hold survives; longer ends it
    per_day: int = 0            # times a day the guide suggests (0 = not stated)
    max_frame_gap_s: float = 0.5  # s; a longer frame interval is a dropout and adds no time
    # s of continuous invalid form (still in position) that end a hold; None = never, invalid
    # form just does not count
    max_invalid_s: float | None = None
    stillness: StillnessSettings = StillnessSettings()  # the body must be still to count

    def __post_init__(self) -> None:
        object.__setattr__(self, "sides", tuple(str(s).lower() for s in self.sides))
        check_number("hold.target_s", self.target_s, positive=True, unit="seconds")
        max_s = self.target_s if self.max_s is None else self.max_s
        object.__setattr__(self, "max_s", max_s)
        for name in ("max_s", "rest_s", "debounce_s", "grace_s", "max_invalid_s"):
            if getattr(self, name) is not None:
                check_number(f"hold.{name}", getattr(self, name), unit="seconds")
        check_number("hold.max_frame_gap_s", self.max_frame_gap_s, positive=True,
                     unit="seconds")
        if max_s < self.target_s:
            raise SettingError("hold.max_s", f"{max_s:g} s is below target_s "
                               f"{self.target_s:g} s", "make max_s >= target_s")
        for name, least in (("reps", 1), ("reps_max", 0), ("per_day", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < least:
                raise SettingError(f"hold.{name}", f"must be a whole number >= {least}, got "
                                   f"{value!r}", f"use {least} or more")
        if self.reps_max and self.reps_max < self.reps:
            raise SettingError("hold.reps_max", f"{self.reps_max} is below reps {self.reps}",
                               "make reps_max >= reps (or 0)")
        bad = [s for s in self.sides if s not in (*SIDES, BOTH)]
        if not self.sides or bad or len(set(self.sides)) != len(self.sides) or (
                BOTH in self.sides and len(self.sides) > 1):
            raise SettingError("hold.sides", f"bad sides {list(self.sides)!r}",
                               'use distinct sides from "left", "right", or just ["both"]')


@dataclass(frozen=True)
class Hold:
    """One finished hold (completed or broken off)."""

    side: str
    start_s: float  # when the hold began (after the debounce)
    end_s: float  # completion time, or the last in-position frame of a broken hold
    valid_s: float  # seconds of valid form inside it
    completed: bool
    in_pose_s: float = 0.0  # seconds in position inside it, whatever the form


@dataclass
class OpenHold:
    """The hold the timer is counting now (mutable: the timer's own working state)."""

    side: str
    start_ms: int  # where its debounce began
    valid_ms: int = 0
    in_pose_ms: int = 0
    out_ms: int = 0  # continuous time out of position (grace clock)
    invalid_ms: int = 0  # continuous invalid form (for max_invalid_s)
    out_since_ms: int | None = None  # first frame of the current spell out of position
    settled_ms: int = 0  # valid, still ms of the debounce, credited once the hold earns them
    log: list[Interval] = field(default_factory=list)  # the hold's own valid intervals


@dataclass(frozen=True)
class HoldState:
    """The timer's state after one frame (what the page, drawing and reports show)."""

    t_ms: int
    phase: Phase
    side: str | None  # side of the current hold / debounce, or the side to do next
    hold_valid_s: float  # valid seconds of the current hold
    target_s: float
    rep: int  # 1-based current rep on ``side``
    reps_target: int
    valid_s_by_side: dict[str, float]
    in_pose_s_by_side: dict[str, float]
    reps_by_side: dict[str, int]
    holds: tuple[Hold, ...]
    prompt: str | None
    countdown_s: float | None  # s to the target (hold), to the start (settling), of rest
    remaining: dict[str, int]  # reps still to do per planned side
    grace_left_s: float | None = None  # during a grace period: s before the hold ends
    session_valid_s: float = 0.0  # valid seconds over all sides
    moving_reps_by_side: dict[str, int] | None = None  # visits that moved, with no hold
    hold_start_s: float | None = None  # s, when the current hold's person settled (in a hold)

    @property
    def done(self) -> bool:
        return self.phase is Phase.DONE

    @property
    def in_hold(self) -> bool:
        return self.phase in (Phase.HOLDING, Phase.PAUSED)

    @property
    def remaining_text(self) -> str:
        """What is left, e.g. ``"2 reps on the left, 3 reps on the right"``."""
        parts = []
        for side, n in self.remaining.items():
            if n > 0:
                reps = f"{n} rep{'s' if n != 1 else ''}"
                parts.append(reps if side == BOTH else f"{reps} on the {side}")
        return ", ".join(parts) if parts else "all reps done"

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "t_ms": self.t_ms, "phase": self.phase.value, "side": self.side,
            "hold_valid_s": round(self.hold_valid_s, 3), "target_s": self.target_s,
            "rep": self.rep, "reps_target": self.reps_target,
            "valid_s_by_side": {k: round(v, 3) for k, v in self.valid_s_by_side.items()},
            "in_pose_s_by_side": {k: round(v, 3) for k, v in self.in_pose_s_by_side.items()},
            "reps_by_side": dict(self.reps_by_side),
            "holds": [{"side": h.side, "start_s": h.start_s, "end_s": h.end_s,
                       "valid_s": round(h.valid_s, 3), "in_pose_s": round(h.in_pose_s, 3),
                       "completed": h.completed} for h in self.holds],
            "prompt": self.prompt,
            "countdown_s": None if self.countdown_s is None else round(self.countdown_s, 3),
            "remaining": dict(self.remaining),
            "grace_left_s": None if self.grace_left_s is None else round(self.grace_left_s, 3),
            "moving_reps_by_side": dict(self.moving_reps_by_side or {}),
            "hold_start_s": self.hold_start_s,
        }


__all__ = ["BOTH", "SIDES", "Hold", "HoldSettings", "HoldState", "OpenHold", "Phase"]
