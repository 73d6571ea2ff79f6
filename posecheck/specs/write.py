"""Write a tuned copy of a stretch spec, keeping the original's comments and units.

The original file is edited as a TOML document (tomlkit), so every comment, unit note and
key order stays as the author wrote it; only the tuned values change, each keeping its line
comment with ``(was X)`` appended. A provenance comment block at the top says which labels,
which split, the scores and the date. The result is written to a NEW file (atomically), never
over the original, and is loaded back with :func:`posecheck.specs.parse.load_spec` before it is
kept, so a tuned spec that does not validate is never left behind.
"""

from __future__ import annotations

import datetime as _dt
import os
from pathlib import Path
from typing import Any, Mapping, Sequence

from posecheck.core.errors import SpecError
from posecheck.specs import parse

TUNED_DIR_NAME = "tuned"
# Where tuned copies go when the spec folder cannot be written (an installed package).
USER_TUNED_DIR = "posecheck/tuned"  # under $XDG_DATA_HOME, default ~/.local/share


def user_tuned_dir() -> Path:
    """``$XDG_DATA_HOME/posecheck/tuned`` (``~/.local/share/posecheck/tuned`` by default)."""
    base = os.environ.get("XDG_DATA_HOME") or "~/.local/share"
    return Path(base).expanduser() / USER_TUNED_DIR


def default_tuned_path(spec_id: str, spec_dir: Path | None = None) -> Path:
    """``<spec folder>/tuned/<id>.tuned.toml``, or :func:`user_tuned_dir` when the spec
    folder cannot be written."""
    if spec_dir is None:
        spec_dir = parse.spec_dir()
    folder = Path(spec_dir) / TUNED_DIR_NAME
    if not _writable(folder):
        folder = user_tuned_dir()
    return folder / f"{spec_id}.tuned.toml"


def _writable(folder: Path) -> bool:
    """Whether a file can be made in ``folder`` (or, if it does not exist, in its parent)."""
    probe = folder if folder.exists() else folder.parent
    return probe.is_dir() and os.access(probe, os.W_OK | os.X_OK)


def _fmt(x: float) -> str:
    return f"{x:g}"


def _set_value(table: Any, key: str, value: float | None, *, note: str = "") -> bool:
    """Replace ``table[key]`` keeping its line comment; returns True if the value changed."""
    import tomlkit

    old = table.get(key) if hasattr(table, "get") else None
    old_val = None if old is None else float(old)
    if value is None:
        if old is None:
            return False
        raise SpecError(f"cannot remove {key}: tuning never opens a bound that was set")
    value = float(value)
    if old_val is not None and abs(old_val - value) < 1e-12:
        return False
    new = tomlkit.item(round(value, 6))
    if old is not None and hasattr(old, "trivia"):
        new.trivia.comment_ws = old.trivia.comment_ws or "  "
        base = old.trivia.comment or "#"
        was = f"(was {_fmt(old_val)})" if old_val is not None else ""
        new.trivia.comment = " ".join(x for x in (base, was, note) if x and x != "#") or ""
        if new.trivia.comment and not new.trivia.comment.startswith("#"):
            new.trivia.comment = "# " + new.trivia.comment
    else:
        new.trivia.comment_ws = "  "
        new.trivia.comment = f"# {note or 'added by posecheck tune'}"
    table[key] = new
    return True


FALLBACK = "fallback"  # a check's thresholds key for its fallback's band (tuning.replay)


def _set_fallback(entry: Any, cid: str, band: Mapping[str, float | None], source: str
                  ) -> list[str]:
    """Tune the band inside a check's ``fallback = { ... }`` inline table. An inline table
    holds no comments of its own, so what changed goes, as ``(fallback max was X)``, into the
    comment of the ``fallback`` line (its unit note stays)."""
    import tomlkit

    table = entry.get(FALLBACK)
    if table is None:
        raise SpecError(f"{source}: check {cid!r} has no fallback to tune. Fix: tune its "
                        "fallback only where the spec gives one")
    changes, notes = [], []
    for key, value in band.items():
        if key not in ("min", "max", "hysteresis"):
            raise SpecError(f"{source}: {cid}.fallback.{key} cannot be tuned. Fix: give only "
                            "min, max or hysteresis")
        old = table.get(key)
        if value is None:
            if old is None:
                continue
            raise SpecError(f"cannot remove {cid}.fallback.{key}: tuning never opens a bound "
                            "that was set")
        if old is not None and abs(float(old) - float(value)) < 1e-12:
            continue
        table[key] = tomlkit.item(round(float(value), 6))
        was = "-" if old is None else _fmt(float(old))
        changes.append(f"checks.{cid}.fallback.{key}: {was} -> {_fmt(float(value))}")
        notes.append(f"(fallback {key} was {was})")
    if notes:
        base = table.trivia.comment or ""
        table.trivia.comment_ws = table.trivia.comment_ws or "  "
        table.trivia.comment = " ".join([base or "#", *notes])
    return changes


def tuned_document(text: str, thresholds: Mapping[str, Mapping[str, float | None]],
                   timer: Mapping[str, float] | None = None,
                   provenance: Sequence[str] = (), source: str = "<spec>") -> tuple[str, list[str]]:
    """Apply thresholds (check/condition id -> min/max/hysteresis, and for a check with a
    fallback ``"fallback": {min/max/hysteresis}``, its fallback's band) and timer settings
    (``debounce_s``/``grace_s``) to a spec's TOML text. Returns ``(new_text, changes)``."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        doc = tomlkit.parse(text)
    except TOMLKitError as exc:
        raise SpecError(f"{source}: not valid TOML ({exc}). Fix: correct the syntax") from None
    changes: list[str] = []
    seen: set[str] = set()
    for section in ("pose", "checks"):
        for entry in doc.get(section, []) or []:
            cid = str(entry.get("id", ""))
            if cid not in thresholds:
                continue
            seen.add(cid)
            for key, value in thresholds[cid].items():
                if key == FALLBACK and section == "checks":
                    changes += _set_fallback(entry, cid, value, source)
                    continue
                if key not in ("min", "max", "hysteresis"):
                    raise SpecError(f"{source}: {cid}.{key} cannot be tuned. Fix: give only "
                                    "min, max or hysteresis")
                before = entry.get(key)
                if _set_value(entry, key, value):
                    changes.append(f"{section}.{cid}.{key}: "
                                   f"{'-' if before is None else _fmt(float(before))} -> "
                                   f"{_fmt(float(value))}")
    missing = sorted(set(thresholds) - seen)
    if missing:
        raise SpecError(f"{source}: no [[checks]] or [[pose]] entry with id {missing[0]!r}. "
                        "Fix: tune ids that exist in this spec")
    if timer:
        hold = doc.get("hold")
        if hold is None:
            hold = tomlkit.table()
            doc["hold"] = hold
        for key, value in timer.items():
            if key not in ("debounce_s", "grace_s"):
                raise SpecError(f"{source}: hold.{key} cannot be tuned. Fix: use debounce_s "
                                "or grace_s")
            before = hold.get(key)
            if _set_value(hold, key, value, note="" if before is not None else
                          "s, added by posecheck tune"):
                changes.append(f"hold.{key}: {'-' if before is None else _fmt(float(before))}"
                               f" -> {_fmt(float(value))}")
    out = tomlkit.dumps(doc)
    if provenance:
        block = "\n".join("# " + line if line else "#" for line in provenance)
        out = block + "\n\n" + out
    return out, changes


def provenance_lines(*, spec_source: str, labels: str, train: Sequence[str],
                     test: Sequence[str], seed: int | None, fraction: float | None,
                     scores: Mapping[str, Any] | None = None, changes: Sequence[str] = (),
                     when: _dt.datetime | None = None, command: str = "") -> list[str]:
    """The provenance comment: what was tuned from what, and how well it scored."""
    when = when or _dt.datetime.now(_dt.timezone.utc)
    lines = ["=" * 72,
             f"TUNED COPY made by posecheck tune on {when:%Y-%m-%d %H:%M} UTC.",
             f"Original spec: {spec_source}",
             f"Labels: {labels}"]
    if fraction is not None:
        lines.append(f"Split: clips (not frames), train fraction {fraction:g}, seed {seed}")
    lines.append(f"Train clips ({len(train)}): {', '.join(train) or '-'}")
    lines.append(f"Held-out test clips ({len(test)}, never tuned on): {', '.join(test) or '-'}")
    if command:
        lines.append(f"Command: {command}")
    if changes:
        lines.append("Changes:")
        lines += [f"  {c}" for c in changes]
    else:
        lines.append("Changes: none (the labels gave no reason to move any threshold)")
    for name, text in (scores or {}).items():
        lines.append(f"{name}:")
        lines += [f"  {row}" for row in str(text).splitlines()]
    lines.append("=" * 72)
    return lines


def save_tuned_spec(source: str | os.PathLike[str],
                    thresholds: Mapping[str, Mapping[str, float | None]],
                    timer: Mapping[str, float] | None = None, *,
                    out: str | os.PathLike[str] | None = None,
                    provenance: Sequence[str] = (), overwrite: bool = False) -> Path:
    """Write a tuned copy of the spec file ``source`` and return its path.

    ``out`` defaults to :func:`default_tuned_path` (``tuned/`` beside the source, or the user
    folder when that cannot be written). The original is never written;
    an existing ``out`` is replaced only with ``overwrite=True``. The new file is validated
    with :func:`posecheck.specs.parse.load_spec` before it replaces anything.
    """
    src = Path(source)
    if not src.is_file():
        raise SpecError(f"{src}: spec file not found. Fix: give the spec's .toml path or id")
    spec = parse.load_spec(src)
    target = Path(out) if out is not None else default_tuned_path(spec.id, src.parent)
    if target.resolve() == src.resolve():
        raise SpecError(f"{target}: refusing to overwrite the original spec. Fix: give another "
                        "--out (the default is tuned/<id>.tuned.toml beside the spec)")
    if target.exists() and not overwrite:
        raise SpecError(f"{target}: already exists. Fix: pass --force to replace it, or give "
                        "another --out")
    text, _changes = tuned_document(src.read_text(encoding="utf-8"), thresholds, timer,
                                    provenance, source=str(src))
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp.toml")
    tmp.write_text(text, encoding="utf-8")
    try:
        parse.load_spec(tmp)
    except SpecError as exc:
        tmp.unlink(missing_ok=True)
        raise SpecError(f"{target}: the tuned spec does not validate ({exc}). Nothing was "
                        "written. Fix: tune fewer checks or report the bug") from None
    os.replace(tmp, target)
    return target
