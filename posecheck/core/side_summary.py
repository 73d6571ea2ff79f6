"""The end-of-session text per side: valid seconds against the target and the seconds each
fault cost (:func:`side_summaries`), in plain words (:func:`summary_lines`).

Pure: numpy and dataclasses only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from posecheck.core.story import HOLD_PHASES, fault_name


@dataclass(frozen=True)
class SideSummary:
    """One side's result in plain figures."""

    side: str
    valid_s: float
    target_s: float
    reps_done: int
    reps_target: int
    faults: tuple[tuple[str, float], ...]  # (fault name, s), worst first: required checks
    tips: tuple[tuple[str, float], ...] = ()  # advisory checks, same form
    unsure_holds: int = 0  # holds booked here whose side posecheck could not tell
    # reps of a moving exercise (specs with [reps] count): (lifts, with good form, in which
    # the timer counted hold seconds); None when the spec counts no reps
    lifts: tuple[int, int, int] | None = None

    @property
    def goal_s(self) -> float:
        return self.target_s * self.reps_target

    @property
    def reached(self) -> bool:
        return self.reps_done >= self.reps_target

    def sentence(self) -> str:
        name = self.side.capitalize() if self.side != "both" else "Both sides"
        if self.reached or self.valid_s < self.goal_s:
            held = f"{self.valid_s:.0f} of {self.goal_s:g} s held well"
            verdict = "target reached" if self.reached else "target not reached"
        else:  # enough seconds in all, but in holds that each ended before the target
            held = f"{self.valid_s:.0f} s held well in all"
            verdict = (f"target not reached: {self.reps_done} of {self.reps_target} holds "
                       f"lasted the {self.target_s:g} s")
        text = f"{name}: {held}, {verdict}"
        if self.faults:
            lost = ", ".join(f"{n} ({s:.0f} s)" for n, s in self.faults[:3])
            text += f"; most time lost to: {lost}"
        if self.lifts is not None:
            n, good, held = self.lifts
            text += (f"; {n} lift{'s' if n != 1 else ''} ({good} with good form), {held} "
                     f"counted as hold time")
        if self.unsure_holds:
            n = self.unsure_holds
            text += (f"; the side of {n} hold{'s' if n != 1 else ''} was unsure (booked here, "
                     "not checked): confirm the side on the page")
        return text + "."


def side_summaries(points: Sequence[Any], spec: Any, valid_s_by_side: Mapping[str, float],
                   reps_by_side: Mapping[str, int], durations: np.ndarray | None = None,
                   unsure_holds: Mapping[str, int] | None = None,
                   lifts: Mapping[str, tuple[int, int, int]] | None = None
                   ) -> list[SideSummary]:
    """Per side: valid seconds against the target, and the seconds each fault cost, counted
    only while a hold was open and the person was in position (never in switch or rest).

    ``points`` are ``live.TimelinePoint`` (``t_ms``, ``side``, ``phase``, ``in_pose``,
    ``failing``, ``failing_required``); ``durations`` the seconds each stands for;
    ``unsure_holds``: per side, the holds whose side was unsure
    (:func:`posecheck.core.session.side_confidence` below the spec's
    ``side_detect.min_confidence``), said in the sentence rather than hidden; ``lifts``: per
    side, the counted reps (count, with good form, held; :mod:`posecheck.core.reps`), None
    when the spec counts no reps."""
    hold = getattr(spec, "hold", None)
    target = float(getattr(hold, "target_s", 0.0) or 0.0)
    reps_target = int(getattr(hold, "reps", 1) or 1)
    sides = [str(s) for s in (getattr(spec, "sides", None) or valid_s_by_side or ())]
    if durations is None:
        durations = np.zeros(len(points))
    lost: dict[str, dict[str, float]] = {s: {} for s in sides}
    tips: dict[str, dict[str, float]] = {s: {} for s in sides}
    for p, d in zip(points, durations):
        if p.phase not in HOLD_PHASES or not p.in_pose or p.side not in lost:
            continue
        required = set(getattr(p, "failing_required", ()) or ())
        for cid in getattr(p, "failing", ()) or ():
            table = lost if cid in required else tips
            name = fault_name(spec, cid)
            table[p.side][name] = table[p.side].get(name, 0.0) + float(d)
    out = []
    for s in sides:
        out.append(SideSummary(
            side=s, valid_s=float(valid_s_by_side.get(s, 0.0)), target_s=target,
            reps_done=int(reps_by_side.get(s, 0)), reps_target=reps_target,
            faults=tuple(sorted(((n, v) for n, v in lost[s].items() if v >= 0.5),
                                key=lambda kv: -kv[1])),
            tips=tuple(sorted(((n, v) for n, v in tips[s].items() if v >= 0.5),
                              key=lambda kv: -kv[1])),
            unsure_holds=int((unsure_holds or {}).get(s, 0)),
            lifts=None if lifts is None else tuple(lifts.get(s, (0, 0, 0)))))
    return out


def summary_lines(sides: Iterable[SideSummary]) -> list[str]:
    """The summary per side in plain words, one sentence each."""
    return [s.sentence() for s in sides]
