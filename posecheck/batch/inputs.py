"""What to analyse: the media files named by paths, folders and globs, and a unique output
name (slug) for each.
"""

from __future__ import annotations

import glob
import os
import re
from pathlib import Path
from typing import Iterable, Sequence

VIDEO_EXTENSIONS = frozenset({".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg",
                              ".wmv", ".flv", ".3gp", ".gif", ".ts"})
IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff"})
MEDIA_EXTENSIONS = VIDEO_EXTENSIONS | IMAGE_EXTENSIONS


def expand_paths(paths: Iterable[str], exclude: Path | None = None
                 ) -> tuple[list[Path], list[tuple[str, str]]]:
    """Media files named by ``paths`` (files, folders searched recursively, globs).

    Returns the files (deduplicated, in a stable order) and ``(path, error)`` pairs for
    arguments that name nothing, so they get an error row instead of stopping the batch.
    A file named explicitly is taken whatever its extension (reading it says if it is bad);
    inside folders and globs only known video and image extensions count, and nothing under
    ``exclude`` (the output folder: its annotated videos are not inputs).
    """
    found: list[Path] = []
    missing: list[tuple[str, str]] = []
    explicit: set[Path] = set()
    for raw in paths:
        p = Path(raw).expanduser()
        if p.is_file():
            found.append(p)
            explicit.add(p.resolve())
        elif p.is_dir():
            hits = sorted(f for f in p.rglob("*")
                          if f.is_file() and f.suffix.lower() in MEDIA_EXTENSIONS)
            if not hits:
                missing.append((raw, f"folder {raw} holds no video or image files "
                                     f"({', '.join(sorted(MEDIA_EXTENSIONS))}); give the "
                                     "files themselves or the folder that holds them"))
            found.extend(hits)
        elif glob.has_magic(raw):
            hits = sorted(Path(h) for h in glob.glob(os.path.expanduser(raw), recursive=True))
            files = [h for h in hits if h.is_file() and h.suffix.lower() in MEDIA_EXTENSIONS]
            for d in (h for h in hits if h.is_dir()):
                files.extend(sorted(f for f in d.rglob("*")
                                    if f.is_file() and f.suffix.lower() in MEDIA_EXTENSIONS))
            if not files:
                missing.append((raw, f"pattern {raw} matches no video or image files"))
            found.extend(files)
        else:
            missing.append((raw, f"{raw} does not exist; check the path"))
    skip = exclude.resolve() if exclude is not None else None
    seen: set[Path] = set()
    unique: list[Path] = []
    for f in found:
        key = f.resolve()
        if skip is not None and key.is_relative_to(skip) and key not in explicit:
            continue
        if key not in seen:
            seen.add(key)
            unique.append(f)
    return unique, missing


def out_overlaps_input(paths: Iterable[str], out: Path) -> str:
    """Why ``out`` cannot take this run's results ("" if it can): it is one of the input
    folders, or holds one. (The reports would land among the videos, the folder's videos
    would be skipped as our own output, and a same-named video elsewhere would overwrite a
    report.) An output folder *inside* an input folder is fine: it is never scanned.
    """
    target = out.expanduser().resolve()
    for raw in paths:
        p = Path(raw).expanduser()
        if not p.is_dir():
            continue
        folder = p.resolve()
        if folder == target:
            return (f"--out {out} is also the input folder {raw}; choose another --out, e.g. "
                    f"{Path(raw) / 'posecheck-report'}")
        if folder.is_relative_to(target):
            return (f"--out {out} holds the input folder {raw}; choose another --out, outside "
                    "the inputs")
    return ""


# Names the batch writes itself; a video may not take them.
RESERVED_NAMES = frozenset({"summary", "index"})


def _safe_name(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "video"


def make_slugs(files: Sequence[Path]) -> list[str]:
    """Unique, file-system-safe output names for the videos: the video's stem.

    Stems that occur more than once in the batch (or clash with ``summary``/``index``) become
    ``<parent folder>__<stem>``; a remaining clash gets a ``-2``, ``-3`` suffix in input order.
    """
    resolved = [f.resolve() for f in files]
    stems = [_safe_name(r.stem) for r in resolved]
    counts: dict[str, int] = {}
    for stem in stems:
        counts[stem.lower()] = counts.get(stem.lower(), 0) + 1
    slugs: list[str] = []
    used: set[str] = set(RESERVED_NAMES)
    for r, stem in zip(resolved, stems):
        base = stem
        if counts[stem.lower()] > 1 or stem.lower() in RESERVED_NAMES:
            base = _safe_name(f"{r.parent.name}__{r.stem}") if r.parent.name else stem
        slug, n = base, 2
        while slug.lower() in used:
            slug, n = f"{base}-{n}", n + 1
        used.add(slug.lower())
        slugs.append(slug)
    return slugs
