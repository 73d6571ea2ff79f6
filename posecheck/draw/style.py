"""What every picture shares: colours by check status, which skeleton segment a check colours,
sizes that scale with the image, outlined ASCII text and translucent panels (OpenCV, BGR)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

import cv2
import numpy as np

from posecheck.core.checks import CheckResult
from posecheck.core.pose import SKELETON

# BGR colours.
PASS_COLOR = (80, 200, 60)
FAIL_COLOR = (40, 40, 230)
UNKNOWN_COLOR = (0, 190, 255)
NEUTRAL_COLOR = (170, 170, 170)
TEXT_COLOR = (255, 255, 255)
PANEL_COLOR = (30, 30, 30)
ADVICE_COLOR = (0, 140, 225)  # an advisory check failing: the tip's amber, never a fault's red
STATUS_COLORS: dict[str, tuple[int, int, int]] = {
    "pass": PASS_COLOR,
    "advice": ADVICE_COLOR,
    "fail": FAIL_COLOR,
    "unknown": UNKNOWN_COLOR,
}
# When two checks share a segment the worse status wins the colour.
_STATUS_RANK = {"pass": 0, "advice": 1, "unknown": 2, "fail": 3}
# Landmarks whose visibility is below this are not drawn (they would be guesses).
MIN_DRAW_VISIBILITY = 0.3


def worse(a: str | None, b: str) -> str:
    """The worse of two status names (``None`` means no status yet)."""
    if a is None:
        return b
    return a if _STATUS_RANK[a] >= _STATUS_RANK[b] else b


def segment_statuses(checks: Mapping[str, CheckResult]) -> dict[tuple[int, int], str]:
    """Status of every skeleton segment some check looks at.

    A segment belongs to a check when both its end landmarks are among the check's
    ``landmarks``; checks whose landmarks are not joined by a skeleton segment (e.g. knee
    against toes) get their consecutive landmarks joined instead, so every check is visible.
    """
    out: dict[tuple[int, int], str] = {}
    skeleton = {(int(a), int(b)) for a, b in SKELETON}
    for result in checks.values():
        lms = [int(lm) for lm in result.landmarks]
        if len(lms) < 2:
            continue
        status = result.status.value
        if status == "fail" and not result.required:
            status = "advice"  # drawn as a tip, not as a fault that stops the count
        members = set(lms)
        covered = False
        for a, b in skeleton:
            if a in members and b in members:
                out[(a, b)] = worse(out.get((a, b)), status)
                covered = True
        if not covered:
            for a, b in zip(lms, lms[1:]):
                if a != b:
                    key = (a, b) if (b, a) not in out else (b, a)
                    out[key] = worse(out.get(key), status)
    return out


def ascii_text(text: str) -> str:
    """Text the Hershey fonts can draw: common typography mapped, the rest dropped."""
    table = {"\u2013": "-", "\u2014": "-", "\u2019": "'", "\u2018": "'", "\u201c": '"',
             "\u201d": '"', "\u00b0": " deg", "\u2026": "...", "\u00b7": "-", "\u2192": "->"}
    return "".join(table.get(ch, ch) for ch in text).encode("ascii", "ignore").decode()


@dataclass(frozen=True)
class Scale:
    """Sizes derived from the image height (reference: 480 px)."""

    k: float

    @classmethod
    def from_image(cls, image: np.ndarray) -> "Scale":
        return cls(max(0.5, image.shape[0] / 480.0))

    def px(self, value: float) -> int:
        return max(1, int(round(value * self.k)))

    def font(self, value: float) -> float:
        return value * self.k


def put_text(image: np.ndarray, text: str, org: tuple[int, int], size: float, color=TEXT_COLOR,
          thickness: int = 1, outline: bool = True) -> None:
    text = ascii_text(text)
    if outline:
        # A dark halo from offset copies: a thicker stroke would also widen the glyph advance
        # in Hershey fonts, so the outline would drift away from the letters.
        d = max(1, min(thickness, 3))
        x, y = org
        for dx, dy in ((-d, -d), (d, -d), (-d, d), (d, d)):
            cv2.putText(image, text, (x + dx, y + dy), cv2.FONT_HERSHEY_SIMPLEX, size, (0, 0, 0),
                        thickness, cv2.LINE_AA)
    cv2.putText(image, text, org, cv2.FONT_HERSHEY_SIMPLEX, size, color, thickness, cv2.LINE_AA)


def text_size(text: str, size: float, thickness: int) -> tuple[int, int]:
    (w, h), _ = cv2.getTextSize(ascii_text(text), cv2.FONT_HERSHEY_SIMPLEX, size, thickness)
    return w, h


def panel(image: np.ndarray, x0: int, y0: int, x1: int, y1: int, color=PANEL_COLOR,
           alpha: float = 0.6) -> None:
    """A translucent box (blended only inside its rectangle, so it stays cheap)."""
    h, w = image.shape[:2]
    x0, x1 = max(0, x0), min(w, x1)
    y0, y1 = max(0, y0), min(h, y1)
    if x1 <= x0 or y1 <= y0:
        return
    roi = image[y0:y1, x0:x1]
    overlay = np.empty_like(roi)
    overlay[:] = color
    cv2.addWeighted(overlay, alpha, roi, 1 - alpha, 0, dst=roi)
