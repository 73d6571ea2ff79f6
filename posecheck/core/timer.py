"""The hold timer: counts *valid* seconds of a stretch hold, reps and sides.

One :meth:`HoldTimer.update` per frame, fed by the checks::

    state = timer.update(frame.t_ms, in_pose=..., valid=..., side=..., still=...)

- ``in_pose``, ``valid``: the position / form checks pass (``True``), fail (``False``) or are
  UNKNOWN (``None``: landmarks hidden).
- ``side``: the stretched side the checks see (``"left"``/``"right"``, ``None``: cannot tell);
  ignored for ``sides=("both",)`` specs.
- ``still``: the body is still (``True``), moving (``False``) or unknown (``None``), from
  :mod:`posecheck.core.motion`. Default ``True`` (no stillness rule).

The model (docs/TIMER.md, "Hold timer and cues", has the full table):

- WAITING: not in position. SETTLING: the debounce (``debounce_s`` in position *and still*,
  "Get ready"; moving restarts it). Its still, valid seconds count once the hold has counted
  ``debounce_s`` of its own (a rep's short pause never does).
- HOLDING: valid seconds grow while ``valid`` is True and the body is still; invalid form
  counts nothing. Out of position, the other side or moving for longer than ``grace_s`` ends
  the hold, and the start of the exit is taken back (:mod:`posecheck.core.hold_exit`); so is
  what a hold counted before bouncing was found (docs/TIMER.md, "Stillness").
  PAUSED: ``valid``, ``in_pose`` or ``still`` unknown; nothing counts or resets (once out,
  an unknown ``in_pose`` or ``still`` lets the grace run on).
- A visit that moved and ended without a hold is a *moving rep*, never hold time. A hold
  reaching ``target_s`` is a completed rep; then REST, SWITCH or DONE.

Time is the frames' own ``t_ms`` only, in whole milliseconds, so 10 fps and 30 fps footage
of the same session give the same seconds. A frame gap over ``max_frame_gap_s`` (a dropout)
adds no time to anything. A non-increasing ``t_ms`` is ignored: ``update`` returns the
previous state (counted in ``HoldTimer.ignored_frames``); :meth:`HoldTimer.reset` restarts.

Settings, the open hold, phases and states live in :mod:`posecheck.core.hold`.
"""

from __future__ import annotations

import math

from posecheck.core.hold_exit import take_back_exit, take_back_since
from posecheck.core.hold import (BOTH, PROMPT_DONE, PROMPT_GET_READY, PROMPT_HOLD, PROMPT_REST,
                                 PROMPT_SWITCH, SIDES, Hold, HoldSettings, HoldState, OpenHold,
                                 Phase)


def _ms(seconds: float) -> int:
    return int(round(seconds * 1000.0))


class HoldTimer:
    """Counts valid hold time, reps and sides from per-frame check outcomes."""

    def __init__(self, settings: HoldSettings = HoldSettings()) -> None:
        self.settings = s = settings
        self._target_ms = _ms(s.target_s)
        self._debounce_ms = _ms(s.debounce_s)
        self._grace_ms = _ms(s.grace_s)
        self._rest_ms = _ms(s.rest_s)
        self._max_dt_ms = _ms(s.max_frame_gap_s)
        self._max_invalid_ms = None if s.max_invalid_s is None else _ms(s.max_invalid_s)
        self.reset()

    # ------------------------------------------------------------------ public
    def reset(self) -> None:
        """Start a new session."""
        self._phase = Phase.WAITING
        self._t_prev: int | None = None
        self._settle_side: str | None = None
        self._clear_settle()  # _settle_ms, and _settle_valid_ms: the debounce's still, valid ms
        self._bouncing = False  # the last frame's hips were swinging back and forth
        self._motion = math.nan  # the last frame's motion (what the next interval is booked with)
        self._rest_ms_done = 0
        self._hold: OpenHold | None = None
        self._holds: list[Hold] = []
        self._reps: dict[str, int] = {s: 0 for s in self.settings.sides}
        self._valid_ms: dict[str, int] = {s: 0 for s in self.settings.sides}
        self._in_pose_ms: dict[str, int] = {s: 0 for s in self.settings.sides}
        self._need_leave = False  # after a side is finished: wait for the person to leave
        self._last_side: str | None = None
        self._state: HoldState | None = None
        self._credit: str | None = None  # what the interval after the last frame adds to
        self._pose_side: str | None = None  # side the last frame was in position on
        self._still: bool | None = True  # the current frame's stillness
        self._visit_moved = False  # the current visit to the position (no hold yet) moved
        self._moving_reps: dict[str, int] = {s: 0 for s in self.settings.sides}
        self.ignored_frames = 0

    @property
    def state(self) -> HoldState:
        """The latest state (a WAITING state before the first frame)."""
        if self._state is None:
            return self._make_state(0)
        return self._state

    def update(self, t_ms: int, *, in_pose: bool | None, valid: bool | None,
               side: str | None = None, still: bool | None = True,
               motion: float | None = None, bouncing: bool = False) -> HoldState:
        """Advance the timer to the frame at ``t_ms`` with that frame's check outcomes.

        The interval since the previous frame is booked with the previous frame's outcome (a
        frame's outcome holds until the next frame), then this frame's outcome decides the
        transitions. ``still`` False (the body moving) counts as being out of the hold.
        ``motion``: the body motion behind ``still`` (body lengths/s, None or NaN unknown);
        it decides where an exit began (docs/TIMER.md, rule 4). ``bouncing``: the hips swing
        back and forth (``still`` is False then too); as it starts, the hold gives back what it
        counted over the bounce window, which the swings filled (docs/TIMER.md, "Stillness").
        """
        t_ms = int(t_ms)
        if self._t_prev is not None and t_ms <= self._t_prev:
            self.ignored_frames += 1  # repeated / out-of-order frame: nothing happens
            return self.state
        dt = 0 if self._t_prev is None else t_ms - self._t_prev
        if dt > self._max_dt_ms:
            dt = 0  # a dropout: we do not know what happened, so no time is added
        self._t_prev = t_ms
        self._book(dt, t_ms)
        if bouncing and not self._bouncing and self._hold is not None:
            self._take_back_bounce(t_ms)
        self._bouncing = bool(bouncing)
        self._credit = None
        self._motion = math.nan if motion is None else float(motion)
        seen = self._side_of(side)
        self._still = still

        if self._hold is not None and self._hold.valid_ms >= self._target_ms:
            self._complete(t_ms)
        if self._phase is Phase.DONE:
            pass
        elif self._phase is Phase.REST:
            if self._rest_ms_done >= self._rest_ms or in_pose is False:
                self._phase = Phase.WAITING
                self._idle(t_ms, in_pose, valid, seen)
            else:
                self._credit = "rest"
        elif self._phase in (Phase.WAITING, Phase.SWITCH):
            self._idle(t_ms, in_pose, valid, seen)
        elif self._phase is Phase.SETTLING:
            self._settling(t_ms, in_pose, valid, seen)
        else:
            self._holding(t_ms, in_pose, valid, seen)

        # Time in position is booked to the side seen, else to the hold's / debounce's side.
        booked = seen or (self._hold.side if self._hold is not None else self._settle_side)
        self._pose_side = booked if (in_pose and self._phase is not Phase.DONE) else None
        self._state = self._make_state(t_ms)
        return self._state

    # ------------------------------------------------------------------ booking
    def _book(self, dt: int, t_ms: int) -> None:
        """Add the interval since the previous frame (ending at ``t_ms``) to whatever that
        frame was doing."""
        if dt <= 0:
            return
        if self._pose_side is not None:
            self._add(self._in_pose_ms, self._pose_side, dt)
        kind, hold = self._credit, self._hold
        if kind in ("settle", "settle_valid"):
            self._settle_ms += dt
            if kind == "settle_valid":
                self._settle_valid_ms += dt
        elif kind == "rest":
            self._rest_ms_done += dt
        elif hold is not None:
            if kind in ("valid", "invalid"):
                hold.in_pose_ms += dt
            if kind == "valid":
                add = min(dt, self._target_ms - hold.valid_ms)  # a rep ends exactly on target
                hold.valid_ms += add
                hold.log.append((t_ms, add, self._motion))
                if hold.settled_ms and hold.valid_ms >= self._debounce_ms:
                    # The hold has counted a debounce of its own: the settle was a hold too.
                    # (All of it: the settle's motion is no guide, as the trailing window
                    # still holds the arrival for window_s after the body has stopped.)
                    extra = min(hold.settled_ms, self._target_ms - hold.valid_ms)
                    hold.valid_ms, hold.settled_ms, add = hold.valid_ms + extra, 0, add + extra
                    hold.log.append((t_ms, extra, math.nan))  # motion unknown: never an exit
                self._add(self._valid_ms, hold.side, add)
            elif kind == "invalid":
                hold.invalid_ms += dt
            elif kind == "out":
                hold.out_ms += dt

    def _give_back(self, ms: int) -> None:
        """Take ``ms`` of counted time back from the open hold and its side's total."""
        assert self._hold is not None
        self._hold.valid_ms -= ms
        self._add(self._valid_ms, self._hold.side, -ms)

    def _take_back_bounce(self, t_ms: int) -> None:
        """Bouncing was found at ``t_ms``: the swings it counted fill the bounce window
        before it, so what the hold counted there, and a debounce inside it, was a bounce."""
        assert (hold := self._hold) is not None
        since = t_ms - _ms(self.settings.stillness.bounce_window_s)
        self._give_back(take_back_since(hold.log, since))
        if hold.start_ms >= since:
            hold.settled_ms = 0

    def _clear_settle(self) -> None:
        self._settle_ms = self._settle_valid_ms = 0

    # ------------------------------------------------------------------ phases
    def _side_of(self, side: str | None) -> str | None:
        """The reported side as the timer books it (``"both"`` specs ignore the report)."""
        if self.settings.sides == (BOTH,):
            return BOTH
        if side is None:
            return None
        side = str(side).lower()
        return side if side in SIDES else None

    def _finished(self, side: str) -> bool:
        return side in self._reps and self._reps[side] >= self.settings.reps

    def _next_side(self) -> str | None:
        """First planned side with reps still to do."""
        for s in self.settings.sides:
            if not self._finished(s):
                return s
        return None

    def _start_side(self, seen: str | None) -> str | None:
        """Which side a new hold belongs to, or ``None`` if none may start now."""
        if seen is not None:
            # The reported side decides (even out of the planned order); a finished side
            # gets no extra reps.
            return None if self._finished(seen) else seen
        if self._need_leave:  # most likely still the pose of the side just finished: wait
            return None
        return self._next_side()

    def _idle(self, t_ms: int, in_pose: bool | None, valid: bool | None,
              seen: str | None) -> None:
        if in_pose is False:
            self._need_leave = False
        if in_pose:
            start = self._start_side(seen)
            if start is not None:
                self._phase = Phase.SETTLING
                self._settle_side = start
                self._clear_settle()
                self._need_leave = False
                self._settling(t_ms, in_pose, valid, seen)
                return
        if self._phase is not Phase.SWITCH:
            self._phase = Phase.WAITING

    def _settling(self, t_ms: int, in_pose: bool | None, valid: bool | None,
                  seen: str | None) -> None:
        if in_pose and self._still is False:
            self._visit_moved = True
        if in_pose is False:
            if self._visit_moved and self._settle_side is not None:
                self._add(self._moving_reps, self._settle_side, 1)  # moved in and out: a rep
            self._visit_moved = False
            self._phase = Phase.WAITING
            self._settle_side = None
            self._clear_settle()
            return
        if in_pose is None or self._still is None:
            return  # unknown: the debounce neither advances nor resets
        if self._still is False:
            self._clear_settle()  # moving: the person has not settled yet
            return
        if seen is not None and seen != self._settle_side:
            # They turned to the other side: the debounce restarts for that side.
            self._phase = Phase.WAITING
            self._settle_side = None
            self._idle(t_ms, in_pose, valid, seen)
            return
        if self._settle_ms < self._debounce_ms:
            self._credit = "settle_valid" if valid else "settle"
            return
        assert self._settle_side is not None
        self._visit_moved = False
        self._hold = OpenHold(side=self._settle_side, start_ms=t_ms - self._settle_ms)
        self._hold.in_pose_ms = self._settle_ms
        self._hold.settled_ms = self._settle_valid_ms
        self._last_side = self._settle_side
        self._phase = Phase.HOLDING
        self._settle_side = None
        self._clear_settle()
        self._holding(t_ms, in_pose, valid, seen)

    def _holding(self, t_ms: int, in_pose: bool | None, valid: bool | None,
                 seen: str | None) -> None:
        hold = self._hold
        assert hold is not None
        other_side = seen is not None and seen != hold.side
        moving = in_pose is True and self._still is False
        # once out, unknown does not bring the person back: the grace runs on (rule 3)
        if in_pose is False or (in_pose and other_side) or moving or (
                hold.out_since_ms is not None and (in_pose is None or self._still is None)):
            if hold.out_since_ms is None:
                hold.out_since_ms = t_ms
            if hold.out_ms > self._grace_ms:
                # the start of the exit (hold_exit)
                self._give_back(take_back_exit(hold.log, hold.out_since_ms,
                                               self.settings.stillness))
                self._end_hold(completed=False, end_ms=hold.out_since_ms)
                self._phase = Phase.WAITING
                self._idle(t_ms, in_pose, valid, seen)
            else:
                self._phase = Phase.HOLDING
                self._credit = "out"
            return
        if in_pose is None or valid is None or self._still is None:
            self._phase = Phase.PAUSED  # unknown: nothing counts, nothing resets
            return
        hold.out_ms = 0
        hold.out_since_ms = None
        self._phase = Phase.HOLDING
        if valid:
            hold.invalid_ms = 0
            self._credit = "valid"
            return
        if self._max_invalid_ms is not None and hold.invalid_ms > self._max_invalid_ms:
            self._end_hold(completed=False, end_ms=t_ms)
            self._phase = Phase.WAITING
            return
        self._credit = "invalid"

    def _complete(self, t_ms: int) -> None:
        """The current hold reached its target at ``t_ms``: count the rep, move on."""
        assert self._hold is not None
        side = self._hold.side
        self._end_hold(completed=True, end_ms=t_ms)
        self._reps[side] = self._reps.get(side, 0) + 1
        if self._next_side() is None:
            self._phase = Phase.DONE
        elif self._finished(side):
            self._phase = Phase.SWITCH
            self._need_leave = True
        else:
            self._phase = Phase.REST
            self._rest_ms_done = 0

    def _end_hold(self, *, completed: bool, end_ms: int) -> None:
        h = self._hold
        assert h is not None
        self._holds.append(Hold(side=h.side, start_s=h.start_ms / 1000.0,
                                end_s=max(end_ms, h.start_ms) / 1000.0,
                                valid_s=h.valid_ms / 1000.0, completed=completed,
                                in_pose_s=h.in_pose_ms / 1000.0))
        self._hold = None

    @staticmethod
    def _add(table: dict[str, int], side: str, ms: int) -> None:
        table[side] = table.get(side, 0) + ms

    # ------------------------------------------------------------------ state
    def _make_state(self, t_ms: int) -> HoldState:
        s = self.settings
        phase = self._phase
        hold = self._hold
        if hold is not None:
            side: str | None = hold.side
        elif phase is Phase.SETTLING:
            side = self._settle_side
        elif phase is Phase.REST:
            side = self._last_side
        else:
            side = self._next_side() or self._last_side
        hold_valid_ms = hold.valid_ms if hold is not None else 0
        done_reps = self._reps.get(side, 0) if side is not None else 0
        rep = min(done_reps + 1, s.reps)
        countdown: float | None = None
        grace_left: float | None = None
        prompt: str | None = None
        if phase is Phase.SETTLING:
            prompt = PROMPT_GET_READY
            countdown = max(self._debounce_ms - self._settle_ms, 0) / 1000.0
        elif phase in (Phase.HOLDING, Phase.PAUSED):
            prompt = PROMPT_HOLD
            countdown = (self._target_ms - hold_valid_ms) / 1000.0
            if hold is not None and hold.out_ms > 0:
                grace_left = max(self._grace_ms - hold.out_ms, 0) / 1000.0
        elif phase is Phase.REST:
            prompt = PROMPT_REST
            countdown = max(self._rest_ms - self._rest_ms_done, 0) / 1000.0
        elif phase is Phase.SWITCH:
            prompt = PROMPT_SWITCH
        elif phase is Phase.DONE:
            prompt = PROMPT_DONE
            rep = s.reps
        return HoldState(
            t_ms=t_ms, phase=phase, side=side, hold_valid_s=hold_valid_ms / 1000.0,
            target_s=s.target_s, rep=rep, reps_target=s.reps,
            valid_s_by_side={k: v / 1000.0 for k, v in self._valid_ms.items()},
            in_pose_s_by_side={k: v / 1000.0 for k, v in self._in_pose_ms.items()},
            reps_by_side=dict(self._reps), holds=tuple(self._holds), prompt=prompt,
            countdown_s=countdown,
            remaining={k: max(s.reps - self._reps.get(k, 0), 0) for k in s.sides},
            grace_left_s=grace_left,
            session_valid_s=sum(self._valid_ms.values()) / 1000.0,
            moving_reps_by_side=dict(self._moving_reps),
            hold_start_s=None if hold is None else hold.start_ms / 1000.0,
        )


__all__ = ["HoldTimer"]
