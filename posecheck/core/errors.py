"""Errors posecheck raises for problems a user can fix.

Every message names the file (or field) at fault and, where there is one, the fix.
"""

from __future__ import annotations

import math


class PosecheckError(Exception):
    """Base class: a clear, user-facing problem. The CLI prints it without a traceback."""


class VideoError(PosecheckError):
    """A video or image cannot be read (missing, empty, corrupt, not a video)."""


class ModelError(PosecheckError):
    """No usable pose model: provisioning failed or a given ``.task`` is broken."""


class SpecError(PosecheckError):
    """A stretch spec file is malformed; the message names the file, field and fix."""

    @classmethod
    def at(cls, source: str, field: str, problem: str, fix: str) -> "SpecError":
        """The error for ``field`` of the spec ``source`` (a file path or a name)."""
        return cls(f"{source}: field '{field}': {problem}. Fix: {fix}")


class OutputError(PosecheckError):
    """An output folder cannot take the results (not writable, full, in use by another run):
    a problem of the machine, not of one input, so the run stops."""


class SettingError(ValueError):
    """A setting out of its range, raised by the settings dataclasses themselves.

    ``field`` is the key as a spec writes it (``"hold.grace_s"``); the spec parser adds the file
    and raises :class:`SpecError`. Code building settings by hand gets it as a ValueError.
    """

    def __init__(self, field: str, problem: str, fix: str) -> None:
        self.field, self.problem, self.fix = field, problem, fix
        super().__init__(f"field '{field}': {problem}. Fix: {fix}")


def check_number(field: str, value: object, *, positive: bool = False, unit: str = "",
                 at_most: float | None = None) -> None:
    """Raise :class:`SettingError` unless ``value`` is a finite number >= 0 (> 0 when
    ``positive``; also <= ``at_most`` when given, e.g. 1 for a fraction, 180 for an angle);
    ``unit`` names what the number counts (``"s"``, ``"Hz"``) in the message."""
    what = f"a number of {unit}" if unit else "a number"
    ok = (isinstance(value, (int, float)) and not isinstance(value, bool)
          and math.isfinite(value) and (value > 0 if positive else value >= 0)
          and (at_most is None or value <= at_most))
    if not ok:
        bound = "> 0" if positive else ">= 0"
        if at_most is not None:
            bound += f" and <= {at_most:g}"
        raise SettingError(field, f"must be {what} {bound}, got {value!r}",
                           f"use {what} {bound}")
