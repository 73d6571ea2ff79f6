"""Choosing the one cue to show: priorities and hysteresis.

Every frame the session offers candidate :class:`Cue` objects (one per failing check, a
visibility or view problem, the timer prompt, ...). :class:`CueSelector` picks one:

1. Order: ``safety`` < ``view`` < ``visibility`` < ``form`` < ``timer`` < ``info`` (kind
   first), then ``priority`` (lower = more urgent), then ``severity`` (larger = further out of
   range). The view comes before what is hidden: facing the camera hides the far side's
   joints, and turning side-on is the one change that fixes both.
2. Hysteresis, so the text does not flicker:
   - a cue of a more urgent *kind* than the shown one replaces it at once;
   - otherwise a shown cue stays at least ``min_show_s``, even if its condition cleared;
   - after that, a cue of the same kind replaces the shown one only if it has a more urgent
     ``priority``, or the same priority and a severity larger by more than ``switch_margin``;
     a shown cue that is no longer offered gives way to the best candidate.

Time is the frames' ``t_ms``; a non-increasing ``t_ms`` is treated as no time passing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from posecheck.core.errors import check_number

KINDS = ("safety", "view", "visibility", "form", "timer", "info")
KIND_RANK = {kind: rank for rank, kind in enumerate(KINDS)}


@dataclass(frozen=True)
class Cue:
    """One message for the person.

    Attributes:
        id: stable identifier (e.g. the check id, ``"timer"``); hysteresis follows ids.
        text: what to show or say ("Lean your torso forward").
        kind: one of :data:`KINDS`.
        priority: lower is more urgent, compared within a kind (from the spec).
        severity: >= 0, how far out of range, normalised (e.g. the check's margin divided by
            its tolerance); compared within a kind and priority.
    """

    id: str
    text: str
    kind: str = "form"
    priority: int = 100
    severity: float = 0.0

    def __post_init__(self) -> None:
        if self.kind not in KIND_RANK:
            raise ValueError(f"Cue {self.id!r}: kind must be one of {KINDS}, got {self.kind!r}")
        if not (isinstance(self.severity, (int, float)) and self.severity >= 0):
            raise ValueError(f"Cue {self.id!r}: severity must be a number >= 0, got "
                             f"{self.severity!r}")

    @property
    def rank(self) -> tuple[int, int, float]:
        """Sort key: smaller is shown first."""
        return (KIND_RANK[self.kind], self.priority, -float(self.severity))


@dataclass(frozen=True)
class FeedbackSettings:
    """Hysteresis of the cue selector (the spec's ``[feedback]`` table; a key left out keeps
    the default written here)."""

    min_show_s: float = 1.0  # s a shown cue stays at least (unless a more urgent kind appears)
    # unitless severity lead a same-priority cue needs to replace the shown one (severities are
    # normalised, so 0.25 = a quarter of a tolerance further out)
    switch_margin: float = 0.25

    def __post_init__(self) -> None:
        check_number("feedback.min_show_s", self.min_show_s, unit="seconds")
        check_number("feedback.switch_margin", self.switch_margin)


class CueSelector:
    """Picks the cue to show each frame; one :meth:`update` per frame."""

    def __init__(self, settings: FeedbackSettings = FeedbackSettings()) -> None:
        self.settings = settings
        self._min_show_ms = int(round(self.settings.min_show_s * 1000.0))
        self.reset()

    def reset(self) -> None:
        self._current: Cue | None = None
        self._since_ms = 0
        self._t_ms: int | None = None

    @property
    def current(self) -> Cue | None:
        return self._current

    def update(self, t_ms: int, candidates: Sequence[Cue]) -> Cue | None:
        """The cue to show at ``t_ms`` given this frame's candidates (any order)."""
        t_ms = int(t_ms)
        if self._t_ms is not None and t_ms < self._t_ms:
            t_ms = self._t_ms  # time does not run backwards here
        self._t_ms = t_ms
        best = min(candidates, key=lambda c: c.rank, default=None)
        cur = self._current
        if cur is None:
            return self._show(best, t_ms)
        fresh = next((c for c in candidates if c.id == cur.id), None)
        if fresh is not None:
            cur = self._current = fresh  # same cue, latest text and severity
        if best is None or best.id == cur.id:
            if fresh is None and t_ms - self._since_ms >= self._min_show_ms:
                return self._show(None, t_ms)
            return cur
        if KIND_RANK[best.kind] < KIND_RANK[cur.kind]:
            return self._show(best, t_ms)  # more urgent kind: no waiting
        if t_ms - self._since_ms < self._min_show_ms:
            return cur
        if fresh is None or self._beats(best, cur):
            return self._show(best, t_ms)
        return cur

    def _beats(self, new: Cue, cur: Cue) -> bool:
        if new.kind != cur.kind:
            return KIND_RANK[new.kind] < KIND_RANK[cur.kind]
        if new.priority != cur.priority:
            return new.priority < cur.priority
        return new.severity > cur.severity + self.settings.switch_margin

    def _show(self, cue: Cue | None, t_ms: int) -> Cue | None:
        if cue is None or self._current is None or cue.id != self._current.id:
            self._since_ms = t_ms
        self._current = cue
        return cue


__all__ = ["KINDS", "Cue", "CueSelector", "FeedbackSettings"]
