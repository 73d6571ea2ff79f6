"""Errors posecheck raises for problems a user can fix.

Every message names the file (or field) at fault and, where there is one, the fix.
"""

from __future__ import annotations


class PosecheckError(Exception):
    """Base class: a clear, user-facing problem. The CLI prints it without a traceback."""


class VideoError(PosecheckError):
    """A video or image cannot be read (missing, empty, corrupt, not a video)."""


class ModelError(PosecheckError):
    """No usable pose model: provisioning failed or a given ``.task`` is broken."""


class SpecError(PosecheckError):
    """A stretch spec file is malformed; the message names the file, field and fix."""


class OutputError(PosecheckError):
    """An output folder cannot take the results (not writable, full, in use by another run):
    a problem of the machine, not of one input, so the run stops."""
