"""Label files: a :class:`LabelSet` (every clip of one TOML or JSON file, format in
:mod:`posecheck.tuning.labels`) loaded, validated and saved, and the labels of synthetic
clips converted from their ``<clip>.truth.json.gz``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from posecheck.io.files import atomic_write_text
from posecheck.synth.scripts import HELD_PHASES
from posecheck.synth.truth import MOVING_PHASES, read_truth_files
from posecheck.tuning.labels import FORMAT, SIDES, ClipLabels, Interval, LabelError


@dataclass(frozen=True)
class LabelSet:
    """All clips of one label file, with the directory their video paths start from."""

    clips: tuple[ClipLabels, ...]
    root: Path
    source_path: Path | None = None

    def __post_init__(self) -> None:
        videos = [c.video for c in self.clips]
        dupes = sorted({v for v in videos if videos.count(v) > 1})
        if dupes:
            raise ValueError(f"clips listed twice: {dupes}; keep one entry per video")

    def video_path(self, clip: ClipLabels) -> Path:
        return (self.root / clip.video).resolve()

    def stretches(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(c.stretch for c in self.clips))

    def select(self, stretch: str | None = None) -> "LabelSet":
        clips = self.clips if stretch is None else tuple(
            c for c in self.clips if c.stretch == stretch)
        return LabelSet(clips=clips, root=self.root, source_path=self.source_path)

    def to_dict(self, root: str | None = None) -> dict[str, Any]:
        return {"format": FORMAT, "root": root if root is not None else str(self.root),
                "clips": [c.to_dict() for c in self.clips]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], base_dir: Path,
                  source: str = "<labels>") -> "LabelSet":
        fmt = data.get("format", FORMAT)
        if fmt != FORMAT:
            raise LabelError(f"{source}: format is {fmt!r}, expected {FORMAT!r}")
        unknown = set(data) - {"format", "root", "clips", "notes"}
        if unknown:
            raise LabelError(f"{source}: unknown top-level keys {sorted(unknown)}; allowed: "
                             "format, root, notes, clips")
        root = Path(str(data.get("root", ".")))
        if not root.is_absolute():
            root = base_dir / root
        raw = data.get("clips", [])
        if not isinstance(raw, Sequence) or not raw:
            raise LabelError(f"{source}: needs at least one [[clips]] entry")
        clips = []
        for i, item in enumerate(raw):
            name = item.get("video", f"#{i}") if isinstance(item, Mapping) else f"#{i}"
            try:
                if not isinstance(item, Mapping):
                    raise ValueError("must be a table")
                clips.append(ClipLabels.from_dict(item))
            except ValueError as exc:
                raise LabelError(f"{source}: clips[{i}] ({name}): {exc}") from None
        try:
            return cls(clips=tuple(clips), root=root.resolve(), source_path=None)
        except ValueError as exc:
            raise LabelError(f"{source}: {exc}") from None

    @classmethod
    def from_file(cls, path: str | os.PathLike[str], root: str | os.PathLike[str] | None = None,
                  ) -> "LabelSet":
        """Load and validate a ``.toml`` or ``.json`` label file. ``root`` overrides the file's."""
        p = Path(path)
        if not p.is_file():
            raise LabelError(f"{p}: label file not found; see docs/TUNING.md for the format")
        try:
            text = p.read_text(encoding="utf-8")
            if p.suffix.lower() == ".json":
                data = json.loads(text)
            else:
                import tomllib
                data = tomllib.loads(text)
        except (ValueError, UnicodeDecodeError) as exc:
            raise LabelError(f"{p}: cannot parse ({exc}); fix the syntax") from None
        if not isinstance(data, Mapping):
            raise LabelError(f"{p}: top level must be a table")
        if root is not None:
            data = {**data, "root": str(Path(root).resolve())}
        out = cls.from_dict(data, base_dir=p.parent.resolve(), source=str(p))
        return LabelSet(clips=out.clips, root=out.root, source_path=p.resolve())

    def save(self, path: str | os.PathLike[str], root: str | None = None) -> Path:
        """Write as JSON (``.json``) or TOML (anything else), atomically."""
        p = Path(path)
        data = self.to_dict(root=root)
        if p.suffix.lower() == ".json":
            text = json.dumps(data, indent=1) + "\n"
        else:
            import tomlkit
            text = tomlkit.dumps(data)
        atomic_write_text(p, text)
        return p


def load_labels(path: str | os.PathLike[str],
                root: str | os.PathLike[str] | None = None) -> LabelSet:
    """Load a label file (see the module docstring for the format), or a folder of synthetic
    clips (``*.truth.json.gz`` beside the videos), converted on the fly."""
    if Path(path).is_dir():
        return labels_from_synth_dir(path)
    return LabelSet.from_file(path, root=root)


# ---------------------------------------------------------------------------- synthetic truth

def intervals_from_frames(t_s: Sequence[float], rows: Sequence[Mapping[str, Any]],
                          end_s: float | None = None) -> tuple[Interval, ...]:
    """Run-length encode per-frame truth rows into intervals.

    Each row is ``{"in_position": bool|None, "side": str|None, "checks": {id: bool},
    "valid": bool|None}``; consecutive frames with equal rows become one interval, which runs
    from its first frame's time to the next run's first frame (or ``end_s``).
    """
    t = [float(x) for x in t_s]
    if len(t) != len(rows):
        raise ValueError(f"{len(t)} times but {len(rows)} truth rows")
    if not t:
        return ()
    if end_s is None:
        step = float(np.median(np.diff(t))) if len(t) > 1 else 1.0 / 30
        end_s = t[-1] + step

    def key(row: Mapping[str, Any]) -> str:
        return json.dumps(row, sort_keys=True)

    out: list[Interval] = []
    start = 0
    for i in range(1, len(t) + 1):
        if i == len(t) or key(rows[i]) != key(rows[start]):
            stop = t[i] if i < len(t) else end_s
            row = rows[start]
            if stop > t[start]:
                out.append(Interval(start_s=t[start], end_s=stop,
                                    in_position=row.get("in_position"), side=row.get("side"),
                                    checks=row.get("checks", {}), valid=row.get("valid")))
            start = i
    return tuple(out)


def clip_from_synth_truth(truth: Mapping[str, Any], video: str,
                          stretch: str | None = None) -> ClipLabels:
    """Convert a synthetic clip's ``<clip>.truth.json.gz`` into :class:`ClipLabels`.

    Reads per-frame entries (``frames``: ``t_s`` or ``t_ms``; which checks truly pass; the
    stretched side; whether the pose is in position / valid). A frame moving into or out of
    the position (a moving phase not between two held phases) is never valid hold time,
    even where its geometry passes: a person labelling the clip would not count the seconds
    spent getting into or out of the position, and neither may the hold timer. Key names are
    read leniently so small changes in the synth writer do not break the conversion.
    """
    frames = truth.get("frames")
    if not isinstance(frames, Sequence) or not frames:
        raise ValueError("truth has no 'frames' list")
    stretch = stretch or truth.get("stretch") or truth.get("spec") or truth.get("spec_id")
    if not stretch:
        raise ValueError("truth names no stretch/spec; pass stretch=")
    times, rows = [], []
    entering_or_leaving = _moving_between_positions([fr.get("phase") for fr in frames])
    # a clip whose script stretches one leg only: that leg, also while getting into position
    scripted_sides = {str(fr.get("script_side") or "").lower() for fr in frames} & set(SIDES)
    only_side = scripted_sides.pop() if len(scripted_sides) == 1 else None
    for i, fr in enumerate(frames):
        if "t_s" in fr:
            times.append(float(fr["t_s"]))
        elif "t_ms" in fr:
            times.append(float(fr["t_ms"]) / 1000.0)
        else:
            raise ValueError(f"frames[{i}] has no t_s/t_ms")
        checks = fr.get("checks_pass", fr.get("checks", {}))
        if isinstance(checks, Mapping):
            checks = {str(k): _truthy(v) for k, v in checks.items() if _truthy(v) is not None}
        else:
            checks = {}
        side = fr.get("stretched_side", fr.get("side"))
        side = str(side).lower() if side else None
        side = side if side in SIDES else None  # "both" / unknown: no side label
        scripted = str(fr.get("script_side") or "").lower()
        if side is not None and (only_side or scripted in SIDES):
            # the leg the script stretched, as a person would label it; the side tracker
            # on the exact landmarks can lag it (a kneel shorter than its switch debounce)
            side = only_side or scripted
        valid = _truthy(fr.get("valid"))
        if entering_or_leaving[i] and valid:
            valid = False  # moving into or out of the position: no hold time (issue 13)
        row = {"in_position": _truthy(fr.get("in_position", fr.get("in_pose"))),
               "side": side, "checks": checks, "valid": valid}
        rows.append(row)
    end_s = truth.get("duration_s")
    return ClipLabels(video=video, stretch=str(stretch),
                      intervals=intervals_from_frames(times, rows,
                                                      float(end_s) if end_s else None),
                      notes="converted from synthetic ground truth",
                      motion=_scripted_motion(truth.get("summary")))


def _scripted_motion(summary: Any) -> str:
    """A moving clip's truth (``scripted_hold_s`` all zero) is labelled as a real one would be:
    ``"reps"`` when it scripts reps, else ``"moving"``; a held clip says nothing (a hold)."""
    if not isinstance(summary, Mapping) or not isinstance(summary.get("scripted_hold_s"), Mapping):
        return ""
    if any(float(v) > 0 for v in summary["scripted_hold_s"].values()):
        return ""
    return "reps" if int(summary.get("scripted_reps", 0)) > 0 else "moving"


def _moving_between_positions(phases: Sequence[Any]) -> list[bool]:
    """Per frame: the body is moving into, out of or between positions.

    A run of moving frames (a transition, a rep, settling: ``synth.truth.MOVING_PHASES``)
    counts as such unless both of its neighbours are held
    (``hold``, ``fault`` or ``recover``): a drift from good form into a fault and back happens
    *inside* the hold, and its good-form part is hold time as a person would label it.
    """
    out = [False] * len(phases)
    i = 0
    while i < len(phases):
        if phases[i] not in MOVING_PHASES:
            i += 1
            continue
        j = i
        while j < len(phases) and phases[j] in MOVING_PHASES:
            j += 1
        before = phases[i - 1] if i > 0 else None
        after = phases[j] if j < len(phases) else None
        if not (before in HELD_PHASES and after in HELD_PHASES):
            out[i:j] = [True] * (j - i)
        i = j
    return out


def _truthy(value: Any) -> bool | None:
    if value is None:
        return None
    if isinstance(value, str):
        v = value.strip().lower()
        if v in ("pass", "true", "yes"):
            return True
        if v in ("fail", "false", "no"):
            return False
        return None
    return bool(value)


def labels_from_synth_dir(folder: str | os.PathLike[str], root_rel: str = "..",
                          ) -> LabelSet:
    """Labels for every ``*.truth.json.gz`` in ``folder`` (videos named by the truth file)."""
    d = Path(folder)
    clips = []
    try:
        files = read_truth_files(d)
    except ValueError as exc:
        raise LabelError(str(exc)) from None
    for tp, truth, video in files:
        try:
            clips.append(clip_from_synth_truth(truth, video=f"{d.name}/{video.name}"))
        except ValueError as exc:
            raise LabelError(f"{tp}: {exc}") from None
    if not clips:
        raise LabelError(f"{d}: no *.truth.json.gz files; render synthetic clips first "
                         "(posecheck synth samples)")
    return LabelSet(clips=tuple(clips), root=d.resolve().parent, source_path=d.resolve())


