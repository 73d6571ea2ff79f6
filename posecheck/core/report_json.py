"""The JSON form of a report (:mod:`posecheck.core.report`): its schema and version, the only
writer and the only reader.

``posecheck analyze`` writes ``DIR/<name>.json`` with :func:`to_json` (atomically, through the
batch's file writer); whatever reads a report back (the resume check, the Ray driver, the
benchmarks) goes through :func:`from_json` / :func:`read`, which refuse a report of another
:data:`REPORT_VERSION`, a missing field, a field this version does not know and a value of the
wrong kind, naming the file and the field.

The schema (one JSON object; keys sorted, 2-space indent, no NaN):

- ``report_version``, ``status`` (``"ok"`` / ``"error"``), ``error`` (the message or null),
  ``video``, ``model`` (``label``, ``sha256``, ``file``), ``stretch_requested``; an error
  report has only these;
- the analysis: ``stretch``, ``fps``, ``frames``, ``pose_frames``, ``sides`` (per side: valid
  and in-position seconds, reps, holds and, when the spec counts the reps of a moving
  exercise, ``counted_reps``: ``count``, ``good_form``, ``held`` and each rep's ``start_s``,
  ``end_s``, ``good_form``, ``held``, ``open`` when the video ended in it), ``checks`` (per
  check: ``pass_fraction``, ``fail_fraction``, ``unknown_fraction`` of the in-position frames), ``timeline`` (one entry
  per frame) and, when a stretch was analysed, ``smoothing``, ``in_pose_frames``, ``metrics``
  (per metric: p10, median, p90), ``leg_label_swaps``, ``garbled_leg_frames``; when
  ``--stretch auto`` named no stretch these five are left out and a timeline entry has only
  ``t_s`` and ``has_pose``;
- the run: ``video_sha256``, ``video_info``, ``model_input``, ``options``, ``spec_hash``,
  ``recognition`` (``--stretch auto``, else null), ``warnings``.

Encodings: a check's status is :class:`~posecheck.core.checks.Status`'s value (``"pass"``,
``"fail"``, ``"unknown"``), a hold phase :class:`~posecheck.core.timer.Phase`'s value; a value
that was not measured is null. Reading a report and writing it again gives the same bytes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from posecheck.core.checks import Status
from posecheck.core.errors import PosecheckError
from posecheck.core.report import (BatchInfo, CheckEntry, CheckFractions, ErrorReport,
                                   HoldSpan, MetricSpread, ModelInput, ModelRef, Options,
                                   Presence, RecognitionSummary, RepSpan, RepTotals, Report,
                                   SegmentSummary, SideTotals, TimelineEntry, VideoFacts)
from posecheck.core.hold import Phase

REPORT_VERSION = 1
STATUSES = ("ok", "error")
# Present only when a stretch was analysed (Report.analysed).
_DETAILS = ("smoothing", "in_pose_frames", "metrics", "leg_label_swaps", "garbled_leg_frames")


class ReportError(PosecheckError):
    """A report file this posecheck cannot read; the message names the file and the field."""


# ---------------------------------------------------------------------------- the writer
def to_json(report: Report | ErrorReport) -> str:
    """The file form of a report (written only by ``posecheck analyze``, atomically).

    A :class:`Report` needs its :class:`BatchInfo`."""
    return json.dumps(_plain(report), indent=2, sort_keys=True, ensure_ascii=False,
                      allow_nan=False) + "\n"


def _plain(report: Report | ErrorReport) -> dict[str, Any]:
    if isinstance(report, ErrorReport):
        return {"report_version": REPORT_VERSION, "status": "error", "error": report.error,
                "video": report.video, "model": _fields(report.model),
                "stretch_requested": report.stretch_requested}
    b = report.batch
    if b is None:
        raise ValueError("to_json: a report is written with its BatchInfo (posecheck analyze)")
    out: dict[str, Any] = {
        "report_version": REPORT_VERSION, "status": "ok", "error": None,
        "stretch": report.stretch, "video": report.video, "fps": report.fps,
        "frames": report.frames, "pose_frames": report.pose_frames,
        "sides": sides_to_json(report.sides),
        "checks": {c: _fields(f) for c, f in report.checks.items()},
        "timeline": [_entry(e) for e in report.timeline],
        "model": _fields(b.model), "stretch_requested": b.stretch_requested,
        "video_sha256": b.video_sha256, "video_info": _fields(b.video_info),
        "model_input": _fields(b.model_input), "options": _options(b.options),
        "spec_hash": b.spec_hash, "warnings": list(b.warnings),
        "recognition": None if b.recognition is None else _recognition(b.recognition),
    }
    if report.analysed:
        out.update(smoothing=report.smoothing, in_pose_frames=report.in_pose_frames,
                   metrics={m: _fields(s) for m, s in (report.metrics or {}).items()},
                   leg_label_swaps=report.leg_label_swaps,
                   garbled_leg_frames=report.garbled_leg_frames)
    return out


def _fields(obj: Any) -> dict[str, Any]:
    return dict(vars(obj))


def sides_to_json(sides: Mapping[str, SideTotals]) -> dict[str, Any]:
    """The ``sides`` part of a report in its JSON form (the synthetic truth embeds it)."""
    return {s: _side(t) for s, t in sides.items()}


def _side(t: SideTotals) -> dict[str, Any]:
    out = _fields(t)
    out["holds"] = [_hold(h) for h in t.holds]
    if t.counted_reps is None:
        del out["counted_reps"]  # the spec counts no reps: the key is left out
    else:
        c = t.counted_reps
        out["counted_reps"] = {"count": c.count, "good_form": c.good_form, "held": c.held,
                               "reps": [_rep(r) for r in c.reps]}
    return out


def _rep(r: RepSpan) -> dict[str, Any]:
    out: dict[str, Any] = {"start_s": r.start_s, "end_s": r.end_s, "good_form": r.good_form,
                           "held": r.held}
    if r.open:
        out["open"] = True
    return out


def _hold(h: HoldSpan) -> dict[str, Any]:
    out: dict[str, Any] = {"start_s": h.start_s, "end_s": h.end_s, "valid_s": h.valid_s,
                           "completed": h.completed}
    if h.open:
        out["open"] = True
    if h.side is not None:
        out.update(side=h.side, side_confidence=h.side_confidence)
    return out


def _entry(e: TimelineEntry | Presence) -> dict[str, Any]:
    if isinstance(e, Presence):
        return {"t_s": e.t_s, "has_pose": e.has_pose}
    out = _fields(e)
    out["phase"] = e.phase.value
    out["checks"] = {c: _check(r) for c, r in e.checks.items()}
    return out


def _check(r: CheckEntry) -> dict[str, Any]:
    out: dict[str, Any] = {"status": r.status.value, "value": r.value}
    if r.metric is not None:
        out["metric"] = r.metric
    return out


def _options(o: Options) -> dict[str, Any]:
    out: dict[str, Any] = {"smoothing": o.smoothing, "mirrored": o.mirrored}
    if o.sample_fps is not None:
        out["sample_fps"] = o.sample_fps
    return out


def _recognition(r: RecognitionSummary) -> dict[str, Any]:
    out = _fields(r)
    out["segments"] = [{**_fields(s), "sides": list(s.sides),
                        "candidates": [{"stretch": c, "score": v} for c, v in s.candidates]}
                       for s in r.segments]
    out["in_pose_s"] = dict(r.in_pose_s)
    out["specs"] = list(r.specs)
    return out


# ---------------------------------------------------------------------------- the reader
def read(path: str | Path) -> Report | ErrorReport:
    """Read a report file (:func:`from_json`); an unreadable file raises :class:`ReportError`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ReportError(f"{path}: cannot read the report ({exc})") from None
    return from_json(text, source=str(path))


def from_json(text: str | bytes, source: str = "<report>") -> Report | ErrorReport:
    """The report of :func:`to_json`'s text. Refuses (:class:`ReportError`, naming ``source``
    and the field) a report of another version, a missing field and a value of the wrong
    kind; a report from another version of posecheck is made again by ``posecheck analyze``."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ReportError(f"{source}: not a JSON report ({exc})") from None
    r = _Fields(data, source)
    version = r.get("report_version", int)
    if version != REPORT_VERSION:
        raise ReportError(f"{source}: report_version {version} is not the version this "
                          f"posecheck reads ({REPORT_VERSION}); analyse the video again "
                          "(posecheck analyze --force) to replace it")
    status = r.get("status", str)
    if status not in STATUSES:
        raise ReportError(f"{source}: status must be one of {STATUSES}, got {status!r}")
    model = ModelRef(**r.sub("model").take(label=str, sha256=str, file=str))
    if status == "error":
        return ErrorReport(video=r.get("video", str), error=r.get("error", str), model=model,
                           stretch_requested=r.get("stretch_requested", str))
    analysed = r.has("smoothing")
    details: dict[str, Any] = {}
    if analysed:
        details = dict(smoothing=r.get("smoothing", str),
                       in_pose_frames=r.get("in_pose_frames", int),
                       leg_label_swaps=r.get("leg_label_swaps", int),
                       garbled_leg_frames=r.get("garbled_leg_frames", int),
                       metrics={m: MetricSpread(**s.take(p10=_OPT_NUM, median=_OPT_NUM,
                                                         p90=_OPT_NUM))
                                for m, s in r.sub("metrics").items()})
    else:
        missing = [k for k in _DETAILS if r.has(k)]
        if missing:
            raise ReportError(f"{source}: {missing} without smoothing: a report has all of "
                              f"{list(_DETAILS)} or (no stretch analysed) none")
    rec = None if r.get("recognition", (dict, type(None))) is None else \
        _read_recognition(r.sub("recognition"))
    o = r.sub("options")
    batch = BatchInfo(
        model=model, stretch_requested=r.get("stretch_requested", str),
        video_sha256=r.get("video_sha256", str),
        video_info=VideoFacts(**r.sub("video_info").take(
            width=int, height=int, fps=_NUM, frame_count=int, frames_decoded=int,
            duration_s=_NUM, rotation=int, is_image=bool)),
        model_input=ModelInput(**r.sub("model_input").take(scale=_NUM, coordinates=str)),
        options=Options(smoothing=o.get("smoothing", str), mirrored=o.get("mirrored", bool),
                        sample_fps=o.get("sample_fps", _NUM) if o.has("sample_fps") else None),
        spec_hash=r.get("spec_hash", str), recognition=rec,
        warnings=tuple(r.get_list("warnings", str)))
    if r.get("error", type(None)) is not None:
        raise ReportError(f"{source}: error must be null in an ok report")
    timeline = tuple(_read_entry(e) if analysed else
                     Presence(**e.take(t_s=_NUM, has_pose=bool))
                     for e in r.sub_list("timeline"))
    return Report(
        stretch=r.get("stretch", str), video=r.get("video", str), fps=r.get("fps", _NUM),
        frames=r.get("frames", int), pose_frames=r.get("pose_frames", int),
        sides={s: _read_side(t) for s, t in r.sub("sides").items()},
        checks={c: CheckFractions(**f.take(pass_fraction=_NUM, fail_fraction=_NUM,
                                           unknown_fraction=_NUM))
                for c, f in r.sub("checks").items()},
        timeline=timeline, batch=batch, **details)


_NUM = (int, float)
_OPT_NUM = (int, float, type(None))
_OPT_STR = (str, type(None))


def _read_entry(e: "_Fields") -> TimelineEntry:
    f = e.take(t_s=_NUM, index=int, has_pose=bool, view=_OPT_STR, in_pose=bool,
               valid=(bool, type(None)), stretched_side=_OPT_STR, phase=str,
               hold_valid_s=_NUM, cue=_OPT_STR, checks=dict, motion=_OPT_NUM,
               reason=_OPT_STR)
    try:
        f["phase"] = Phase(f["phase"])
    except ValueError:
        raise e.error("phase", f"{f['phase']!r} is not a hold phase") from None
    checks = {}
    for cid, c in e.sub("checks").items():
        raw = c.take(status=str, value=_OPT_NUM, metric=str, optional=("metric",))
        try:
            raw["status"] = Status(raw["status"])
        except ValueError:
            raise c.error("status", f"{raw['status']!r} is not one of "
                          f"{[s.value for s in Status]}") from None
        checks[cid] = CheckEntry(**raw)
    f["checks"] = checks
    return TimelineEntry(**f)


def _read_side(t: "_Fields") -> SideTotals:
    f = t.take(valid_hold_s=_NUM, in_pose_s=_NUM, reps=int, moving_reps=int, holds=list,
               counted_reps=dict, optional=("counted_reps",))
    f["holds"] = tuple(HoldSpan(**h.take(start_s=_NUM, end_s=_NUM, valid_s=_NUM,
                                         completed=bool, side=str, side_confidence=_OPT_NUM,
                                         open=bool,
                                         optional=("side", "side_confidence", "open")))
                       for h in t.sub_list("holds"))
    if "counted_reps" in f:
        f["counted_reps"] = _read_reps(t.sub("counted_reps"))
    return SideTotals(**f)


def _read_reps(c: "_Fields") -> RepTotals:
    f = c.take(count=int, good_form=int, held=int, reps=list)
    spans = tuple(RepSpan(**r.take(start_s=_NUM, end_s=_NUM, good_form=bool, held=bool,
                                   open=bool, optional=("open",)))
                  for r in c.sub_list("reps"))
    totals = RepTotals.from_spans(spans)
    if (totals.count, totals.good_form, totals.held) != (f["count"], f["good_form"], f["held"]):
        raise c.error("count", f"count/good_form/held {f['count']}/{f['good_form']}/"
                      f"{f['held']} do not match its {len(spans)} reps")
    return totals


def _read_recognition(r: "_Fields") -> RecognitionSummary:
    segments = []
    for s in r.sub_list("segments"):
        f = s.take(stretch=str, start_s=_NUM, end_s=_NUM, duration_s=_NUM,
                   in_pose_fraction=_NUM, score=_NUM, ambiguous=bool, pass_fraction=_OPT_NUM,
                   candidates=list, valid_s=_NUM, sides=list)
        f["candidates"] = tuple((c.get("stretch", str), c.get("score", _NUM))
                                for c in s.sub_list("candidates"))
        f["sides"] = tuple(s.get_list("sides", str))
        segments.append(SegmentSummary(**f))
    return RecognitionSummary(
        stretch=r.get("stretch", str), confidence=r.get("confidence", _NUM),
        segments=tuple(segments),
        in_pose_s={k: v.value for k, v in r.sub_values("in_pose_s", _NUM)},
        sampled_fps=r.get("sampled_fps", _NUM), specs=tuple(r.get_list("specs", str)))


@dataclass
class _Value:
    value: Any


@dataclass
class _Fields:
    """A JSON object being read, with its place in the file for error messages."""

    data: Any
    source: str
    where: str = ""
    _seen: set = field(default_factory=set)

    def __post_init__(self) -> None:
        if not isinstance(self.data, dict):
            raise ReportError(f"{self.source}: {self.where or 'the report'} must be a JSON "
                              f"object, got {type(self.data).__name__}")

    def error(self, key: str, why: str) -> ReportError:
        return ReportError(f"{self.source}: {self._path(key)}: {why}")

    def _path(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def has(self, key: str) -> bool:
        return key in self.data

    def get(self, key: str, kind: Any) -> Any:
        if key not in self.data:
            raise ReportError(f"{self.source}: missing field {self._path(key)}; the file was not "
                              "written by this posecheck: analyse the video again")
        value = self.data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        # bool is an int to Python, never to a report
        if not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds):
            names = "/".join("null" if k is type(None) else k.__name__ for k in kinds)
            raise self.error(key, f"must be {names}, got {value!r}")
        return value

    def take(self, optional: tuple[str, ...] = (), **kinds: Any) -> dict[str, Any]:
        """The named fields (each of its kind); ``optional`` ones only when present. A field
        the schema does not know is refused too."""
        unknown = sorted(set(self.data) - set(kinds))
        if unknown:
            raise self.error(unknown[0], "is not a field of this report version")
        return {k: self.get(k, kind) for k, kind in kinds.items()
                if k not in optional or k in self.data}

    def sub(self, key: str) -> "_Fields":
        return _Fields(self.get(key, dict), self.source, self._path(key))

    def items(self) -> list[tuple[str, "_Fields"]]:
        return [(k, _Fields(v, self.source, self._path(k))) for k, v in self.data.items()]

    def sub_values(self, key: str, kind: Any) -> list[tuple[str, _Value]]:
        d = self.sub(key)
        return [(k, _Value(d.get(k, kind))) for k in d.data]

    def sub_list(self, key: str) -> list["_Fields"]:
        return [_Fields(v, self.source, f"{self._path(key)}[{i}]")
                for i, v in enumerate(self.get(key, list))]

    def get_list(self, key: str, kind: Any) -> list[Any]:
        items = self.get(key, list)
        bad = [v for v in items if not isinstance(v, kind)]
        if bad:
            raise self.error(key, f"must hold {kind.__name__} values, got {bad[0]!r}")
        return items
