"""Reps of a moving exercise: each entry into the position and the exit after it.

``RepCounter(settings).update(t_ms, in_pose_now=..., form_ok=..., counted_s=...) -> RepState``,
one call per frame, time from the frames' own ``t_ms``. Pure: dataclasses only.

What a rep is (docs/TIMER.md, "Reps"):
    - it starts at the first frame whose pose conditions all pass (``in_pose_now`` True, the
      spec's ``[[pose]]`` entries in range, before the hold's no-pose grace) and counts once
      the position has lasted ``min_in_s``: a shorter visit (landmark jitter at a threshold)
      is no rep;
    - it ends at the first frame of a spell out of position that lasts ``min_out_s``: a
      shorter dip (jitter again) belongs to the same rep, so a long hold is one rep;
    - a frame whose conditions are undecided (``None``: a landmark not seen) neither
      starts, continues nor ends anything; a frame without a person is out of position.
    - ``good_form``: the required checks passed (``form_ok`` True) for at least
      ``good_form_fraction`` of the rep's in-position time whose form was judged (frames
      with the form unknown are left out; a rep with no judged time is not good).
    - ``held``: the hold timer counted valid seconds during the rep (``counted_s``, the
      session's valid seconds so far, grew), so a rep that became a hold says so; reps never
      add hold seconds (the counter only reads the timer).
A rep still open when the clip ends is counted (once it lasted ``min_in_s``) and marked open.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from posecheck.core.errors import check_number


@dataclass(frozen=True)
class RepSettings:
    """The spec's ``[reps]`` table; ``count = false`` (the default) counts no reps."""

    count: bool = False              # count reps of this exercise at all
    min_in_s: float = 0.3            # s in position before a visit is a rep (jitter: shorter)
    min_out_s: float = 0.3           # s out of position that end a rep (shorter dips: same rep)
    good_form_fraction: float = 0.5  # share (0..1) of the rep's judged time with good form

    def __post_init__(self) -> None:
        check_number("reps.min_in_s", self.min_in_s, unit="seconds")
        check_number("reps.min_out_s", self.min_out_s, unit="seconds")
        check_number("reps.good_form_fraction", self.good_form_fraction, at_most=1.0)


@dataclass(frozen=True)
class Rep:
    """One rep: from the first in-position frame to the first frame of the exit (or the
    last frame of the clip, ``open``)."""

    side: str
    start_s: float
    end_s: float
    good_form: bool
    held: bool
    open: bool = False


@dataclass(frozen=True)
class RepState:
    """The counter after one frame: the reps so far (the current one included once it lasted
    ``min_in_s``, as an open :class:`Rep`)."""

    reps: tuple[Rep, ...] = ()
    in_rep: bool = False  # a rep is under way now

    @property
    def count(self) -> int:
        return len(self.reps)

    def of_side(self, side: str) -> tuple[Rep, ...]:
        return tuple(r for r in self.reps if r.side == side)


@dataclass
class _Open:
    side: str
    start_ms: int
    last_in_ms: int
    counted_at_start: float
    in_ms: int = 0           # time in position so far
    good_ms: int = 0         # of it, with the form judged good
    judged_ms: int = 0       # of it, with the form judged at all
    out_since_ms: int | None = None
    held: bool = False


@dataclass
class RepCounter:
    """Counts reps (see the module docstring); one :meth:`update` per frame."""

    settings: RepSettings
    _done: list[Rep] = field(default_factory=list)
    _open: _Open | None = None
    _last_ms: int | None = None
    _state: RepState = RepState()

    def reset(self) -> None:
        self._done, self._open, self._last_ms, self._state = [], None, None, RepState()

    @property
    def state(self) -> RepState:
        return self._state

    def update(self, t_ms: int, *, in_pose_now: bool | None, form_ok: bool | None = None,
               counted_s: float = 0.0, side: str = "both") -> RepState | None:
        """One frame: ``in_pose_now`` the pose conditions now (None undecided), ``form_ok``
        the required checks (None unknown), ``counted_s`` the hold timer's valid seconds so
        far (all sides), ``side`` the side the rep is booked to. None when the settings
        count no reps (``count = false``)."""
        if not self.settings.count:
            return None
        t_ms = int(t_ms)
        if self._last_ms is not None and t_ms <= self._last_ms:
            return self._state  # a repeated or earlier timestamp adds nothing
        dt = 0 if self._last_ms is None else t_ms - self._last_ms
        self._last_ms = t_ms
        s = self.settings
        rep = self._open
        if rep is not None and counted_s > rep.counted_at_start:
            rep.held = True
        if in_pose_now is True:
            if rep is None:
                rep = self._open = _Open(side=side, start_ms=t_ms, last_in_ms=t_ms,
                                         counted_at_start=counted_s)
            else:
                rep.in_ms += dt
                if form_ok is not None:
                    rep.judged_ms += dt
                    rep.good_ms += dt if form_ok else 0
            rep.out_since_ms = None
            rep.last_in_ms = t_ms
        elif in_pose_now is False and rep is not None:
            if rep.out_since_ms is None:
                rep.out_since_ms = t_ms
            if t_ms - rep.out_since_ms >= s.min_out_s * 1000.0:
                if self._lasted(rep):
                    self._done.append(self._rep(rep, rep.out_since_ms, open_=False))
                self._open = rep = None
        reps = list(self._done)
        if rep is not None and self._lasted(rep):
            reps.append(self._rep(rep, rep.last_in_ms, open_=True))
        self._state = RepState(reps=tuple(reps), in_rep=rep is not None and self._lasted(rep))
        return self._state

    def _lasted(self, rep: _Open) -> bool:
        return rep.last_in_ms - rep.start_ms >= self.settings.min_in_s * 1000.0

    def _rep(self, rep: _Open, end_ms: int, open_: bool) -> Rep:
        good = rep.judged_ms > 0 and rep.good_ms >= self.settings.good_form_fraction * rep.judged_ms
        return Rep(side=rep.side, start_s=rep.start_ms / 1000.0, end_s=end_ms / 1000.0,
                   good_form=bool(good), held=rep.held, open=open_)


__all__ = ["Rep", "RepCounter", "RepSettings", "RepState"]
