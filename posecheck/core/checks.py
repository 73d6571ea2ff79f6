"""Form checks: a metric value against a spec's band, with hysteresis -> PASS / FAIL / UNKNOWN.

A check whose metric could not be measured (a landmark hidden or unsure) is UNKNOWN, never
PASS. The band and its hysteresis are :func:`posecheck.core.rules.band` (the rule's one home,
shared with the tuning replay): a passing check keeps passing in the widened band, a failing
one passes again only in the narrowed band, the first decision uses the plain band, and an
UNKNOWN frame leaves the last decision as it was.

A check that declares the camera views it can be judged from (``CheckSpec.views``) is
UNKNOWN in any other view (``view_blocked``): the person gets the setup cue, never a form cue.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from enum import Enum
from typing import Mapping, Sequence

from posecheck.core import rules
from posecheck.core.metrics import MetricValue
from posecheck.specs.model import CheckSpec


class Status(str, Enum):
    """A check's verdict: the one pass / fail / unknown of the project.

    Encodings (one each): in JSON its lowercase value (``Status("pass")`` reads it back); in
    numpy arrays :attr:`code`, the rules' 1 / 0 / -1 (:meth:`from_code` reads it back); in the
    rules' scalar form :attr:`passed`; a label file's truth codes map through
    ``posecheck.tuning.labels.status_of_truth``.
    """

    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"

    @property
    def passed(self) -> bool | None:
        """The rules' scalar form (:mod:`posecheck.core.rules`): True / False / None."""
        return None if self is Status.UNKNOWN else self is Status.PASS

    @property
    def code(self) -> int:
        return _CODES[self]

    @classmethod
    def from_code(cls, code: int) -> "Status":
        return _STATUS_OF_CODE[int(code)]


_CODES = {Status.PASS: rules.PASS, Status.FAIL: rules.FAIL, Status.UNKNOWN: rules.UNKNOWN}
_STATUS_OF_CODE = {v: k for k, v in _CODES.items()}


@dataclass(frozen=True)
class CheckResult:
    """One check on one frame.

    Attributes:
        id: the check's id in the spec.
        status: PASS, FAIL or UNKNOWN.
        value: the metric in the check's unit; NaN when UNKNOWN.
        margin: signed distance to the nearest threshold in the same unit, > 0 inside the band
            (NaN when UNKNOWN).
        landmarks: landmark indices the metric used (for drawing).
        required: False for advisory checks (they cue but never make a hold invalid).
        cue: what to say: the too-low / too-high cue when failing, "" otherwise.
        hidden: landmark indices that were not seen (why it is UNKNOWN).
        priority, unit: copied from the spec for the cue selector and reports.
        view_blocked: UNKNOWN because the camera view is not one the check can be judged from.
        metric: the metric judged; for a check with a fallback, the fallback's metric when the
            main one could not be measured (and the JSON form then names it).
        fallback_used: the check's main metric was not measured and its fallback was judged.
    """

    id: str
    status: Status
    value: float
    margin: float
    landmarks: tuple[int, ...] = ()
    required: bool = True
    cue: str = ""
    hidden: tuple[int, ...] = ()
    priority: int = 5
    unit: str = ""
    metric: str = ""
    view_blocked: bool = False
    fallback_used: bool = False

    def to_json(self) -> dict:
        out = {"status": self.status.value,
               "value": None if not math.isfinite(self.value) else round(self.value, 3)}
        if self.fallback_used:
            out["metric"] = self.metric
        return out


def evaluate_one(check: CheckSpec, mv: MetricValue, previous: Status | None = None,
                 view: str | None = None) -> CheckResult:
    """Judge one metric value; ``previous`` (the last status) selects the hysteresis band;
    ``view`` ("side" / "oblique" / "front", None unknown) is the camera's view of the body."""
    common = dict(id=check.id, landmarks=mv.landmarks, required=check.required,
                  priority=check.priority, unit=check.unit, metric=check.metric)
    if not check.judged_in(view):
        return CheckResult(status=Status.UNKNOWN, value=math.nan, margin=math.nan,
                           view_blocked=True, **common)
    if not mv.known:
        return CheckResult(status=Status.UNKNOWN, value=math.nan, margin=math.nan,
                           hidden=mv.hidden, **common)
    value = float(mv.value)
    ok = rules.band(value, check.min, check.max, check.hysteresis,
                    None if previous is None else previous.passed)
    cue = ""
    if not ok:
        if check.max is None:
            low = True
        elif check.min is None:
            low = False
        else:  # failing inside a narrowed band: the nearer threshold decides
            low = value < (check.min + check.max) / 2
        cue = check.cue_low if low else check.cue_high
    return CheckResult(status=Status.PASS if ok else Status.FAIL, value=value,
                       margin=check.margin(value), cue=cue, **common)


class CheckEvaluator:
    """Stateful evaluation of a list of checks, one :meth:`update` per frame."""

    def __init__(self, checks: Sequence[CheckSpec]):
        self.checks = tuple(checks)
        self._last: dict[str, Status] = {}

    def reset(self) -> None:
        self._last.clear()

    def update(self, metrics: Mapping[str, MetricValue], view: str | None = None
               ) -> dict[str, CheckResult]:
        out: dict[str, CheckResult] = {}
        for c in self.checks:
            mv = metrics.get(c.metric, MetricValue(math.nan))
            res = evaluate_one(c, mv, self._last.get(c.id), view)
            if (c.fallback is not None and res.status is Status.UNKNOWN
                    and not res.view_blocked):
                fmv = metrics.get(c.fallback.metric, MetricValue(math.nan))
                res = replace(evaluate_one(c.fallback, fmv, self._last.get(c.id), view),
                              fallback_used=True)
            out[c.id] = res
            # UNKNOWN keeps the last known status for hysteresis: a blink of occlusion
            # should not reset a passing check to the strict band.
            if res.status is not Status.UNKNOWN:
                self._last[c.id] = res.status
        return out


def evaluate(checks: Sequence[CheckSpec], metrics: Mapping[str, MetricValue]
             ) -> dict[str, CheckResult]:
    """Stateless evaluation (no hysteresis): each check against its plain band."""
    return CheckEvaluator(checks).update(metrics)


def overall(results: Mapping[str, CheckResult]) -> bool | None:
    """Validity of a frame from its required checks: False if one fails, None (unknown) if
    one is unknown and none fails, True if all pass. Advisory checks do not count."""
    return rules.all_pass(r.status.passed for r in results.values() if r.required)
