"""Voice cues of the live page: when the voice speaks, and what it says (frame time only)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from posecheck.core import story as storylib
from posecheck.core.story import Story


@dataclass(frozen=True)
class VoiceRules:
    """When the voice speaks (seconds of frame time).

    Attributes:
        min_gap_s: between two corrections, tips or praise (anything but the timer's words).
        event_gap_s: between two timer announcements ("Switch sides", "10 seconds left"); a
            "Switch sides", "Rest" or "Done" also waits this long after any other words.
        repeat_s: before the same correction is said again.
        tip_repeat_s: before the same tip (advisory check) is said again.
        settle_s: a correction must stay the story's message this long before it is said.
        visibility_settle_s: the same for "I can't see ..." and framing problems.
        tip_settle_s: the same for tips.
        left_s: "10 seconds left" is said when this many seconds of the hold remain.
        countdown_repeat_s: a spoken countdown at most this often; a person who drops out of
            the stretch and settles back sooner hears only "Hold it".
    """

    min_gap_s: float = 4.0
    event_gap_s: float = 1.5
    repeat_s: float = 20.0
    tip_repeat_s: float = 45.0
    settle_s: float = 1.5
    visibility_settle_s: float = 3.0
    tip_settle_s: float = 3.0
    left_s: float = 10.0
    countdown_repeat_s: float = 30.0


class CueSpeaker:
    """Decides what the voice says, from each frame's :class:`story.Story` (so the voice says
    what the banner and the panel show). One :meth:`update` per frame.

    It says what changed, not what stays: the countdown before a hold ("Get ready: 3", "2",
    "1", "Hold it"); a correction once it has been the message for ``settle_s`` (and again
    only after ``repeat_s``); praise when the form comes back after a correction; "10
    seconds left"; "Switch sides", "Rest", "Done". Corrections only exist while a hold is
    open, so the side just finished is never corrected during the switch. A "can't see"
    cue waits longer and is never said for landmarks the pose shows at good visibility
    (the story does not produce it then). Time is the frame timestamp.
    """

    def __init__(self, rules: VoiceRules | None = None) -> None:
        self.rules = rules or VoiceRules()
        self.reset()

    def reset(self) -> None:
        self._last_ms: int | None = None        # anything said
        self._last_event_ms: int | None = None  # timer words
        self._said_at: dict[str, int] = {}
        self._stable_id = ""
        self._stable_since = 0
        self._prev_state = ""
        self._corrected = False  # a correction was said in this hold (praise follows)
        self._counting_since: int | None = None  # first frame of the current counting spell
        self._left_said: set[tuple[str, int]] = set()
        self._countdown_ms: int | None = None  # when the last spoken countdown began
        self._silent_countdown = False          # this countdown is not spoken (too soon)
        self._pending: str | None = None        # a switch / rest / done still to be said
        self.log: list[tuple[int, str]] = []

    def _since(self, ms: int | None, t_ms: int) -> float:
        return math.inf if ms is None else (t_ms - ms) / 1000.0

    def _say(self, text: str, key: str, t_ms: int, event: bool = False) -> str:
        self._last_ms = t_ms
        if event:
            self._last_event_ms = t_ms
        self._said_at[key] = t_ms
        self.log.append((t_ms, text))
        return text

    def update(self, story: Story, t_ms: int) -> str | None:
        """The text to say on this frame, or ``None``."""
        r = self.rules
        t_ms = int(t_ms)
        if story.message_id != self._stable_id:
            self._stable_id, self._stable_since = story.message_id, t_ms
        stable_s = (t_ms - self._stable_since) / 1000.0
        prev, self._prev_state = self._prev_state, story.state
        if not story.counting:
            self._counting_since = None
        elif self._counting_since is None:
            self._counting_since = t_ms
        changed = story.state != prev

        # Timer words, at once (they are what changed).
        if story.state == "get_ready":
            key = story.message_id  # countdown:N
            if changed:
                self._silent_countdown = \
                    self._since(self._countdown_ms, t_ms) < r.countdown_repeat_s
                if not self._silent_countdown:
                    self._countdown_ms = t_ms
            if self._silent_countdown:
                return None
            if key not in self._said_at or self._since(self._said_at[key], t_ms) > 10:
                text = story.message if changed else key.split(":")[-1]
                return self._say(text, key, t_ms, event=True)
            return None
        if changed and story.state in ("switch", "rest", "done"):
            self._corrected = False
            self._pending = story.state
        if self._pending is not None:
            # said once the last words are event_gap_s old (praise may have just been said)
            if story.state != self._pending:
                self._pending = None
            elif self._since(self._last_ms, t_ms) >= r.event_gap_s:
                self._pending = None
                return self._say(story.message, story.message_id, t_ms, event=True)
            else:
                return None
        if changed and prev == "get_ready" and story.state in ("counting", "tip"):
            self._corrected = False
            return self._say("Hold it", "go", t_ms, event=True)
        if story.state in ("counting", "tip", "paused") and story.target_s >= 1.5 * r.left_s:
            left = story.target_s - story.valid_s
            key = (str(story.side), int(round(story.target_s * 1000)))
            if 0 < left <= r.left_s and key not in self._left_said \
                    and self._since(self._last_event_ms, t_ms) >= r.event_gap_s:
                self._left_said.add(key)
                return self._say(f"{r.left_s:.0f} seconds left", "left", t_ms, event=True)
            if left > r.left_s:
                self._left_said.discard(key)

        quiet = self._since(self._last_ms, t_ms) >= r.min_gap_s
        if not quiet:
            return None
        key = story.message_id
        if story.state == "paused":
            wait = r.visibility_settle_s if story.reason in storylib.VISIBILITY_REASONS \
                else r.settle_s
            if stable_s >= wait and self._since(self._said_at.get(key), t_ms) >= r.repeat_s:
                self._corrected = True
                return self._say(story.message, key, t_ms)
        elif story.counting and self._corrected and self._counting_since is not None:
            if (t_ms - self._counting_since) / 1000.0 >= 1.0 \
                    and self._since(self._said_at.get("good"), t_ms) >= r.repeat_s:
                self._corrected = False
                return self._say("Good, hold it", "good", t_ms)
        if story.state == "tip":
            if stable_s >= r.tip_settle_s \
                    and self._since(self._said_at.get(key), t_ms) >= r.tip_repeat_s:
                return self._say(story.message, key, t_ms)
        elif story.state in ("framing", "waiting"):
            if stable_s >= r.visibility_settle_s \
                    and self._since(self._said_at.get(key), t_ms) >= r.repeat_s:
                return self._say(story.message, key, t_ms)
        return None

