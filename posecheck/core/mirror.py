"""Mirroring, in one place: whether a frame source is a mirror image, and what that changes.

Convention:
    MediaPipe names landmarks after the subject's own sides as it sees them. On a mirror image
    (a selfie camera, or a recording of one) the subject's left arm is drawn where a right arm
    would be, so the model names it "right". :meth:`Mirror.to_subject` turns a pose estimated
    on such an image back into the subject's true sides (``PoseFrame.mirrored``: x reflected,
    LEFT_*/RIGHT_* exchanged); everything after it (session, checks, timer, reports) sees only
    true sides. To draw that pose on the mirror image it was estimated on,
    :meth:`Mirror.to_image_x` reflects x back and keeps the labels, so the colour of the left
    knee's check lands on the knee the viewer sees.

The live camera page turns the camera's picture into a mirror view with :func:`mirror_view`
and then says ``Mirror(True)``; a video file says so when the user ticks "Mirror"; the batch
CLI when ``--mirrored`` is given. Pure numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posecheck.core.pose import PoseFrame


@dataclass(frozen=True)
class Mirror:
    """Whether the frames of a source are mirror images of the scene (``on``).

    Example:
        >>> Mirror(True).to_image_x(np.array([10.0]), 640).tolist()
        [630.0]
    """

    on: bool = False

    def to_subject(self, pose: PoseFrame) -> PoseFrame:
        """``pose`` (estimated on this source's frame) with the subject's true sides."""
        return pose.mirrored() if self.on else pose

    def to_image_x(self, x: np.ndarray, width: float) -> np.ndarray:
        """x of a subject-side pose on this source's picture, ``width`` pixels wide."""
        return width - x if self.on else x


def mirror_view(image: np.ndarray) -> np.ndarray:
    """The picture as a mirror shows it (left-right flipped), contiguous for encoders."""
    return np.ascontiguousarray(image[:, ::-1])
