"""Shared test fixtures: paths to the project, the shared real footage, and the pose models."""

from __future__ import annotations

import csv
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The tests mirror the package in sub-folders (tests/core/, tests/batch/, ...); their shared
# helpers (factories.py, media.py, ...) live here, in tests/, and are imported by name.
sys.path.insert(0, str(Path(__file__).resolve().parent))
# Real footage lives beside the project (never copied into it). POSECHECK_FOOTAGE overrides.
FOOTAGE = Path(os.environ.get("POSECHECK_FOOTAGE", ROOT.parent / "shared" / "footage"))


def footage_rows() -> list[dict[str, str]]:
    """Rows of the shared footage MANIFEST.csv (empty when the footage is not there)."""
    manifest = FOOTAGE / "MANIFEST.csv"
    if not manifest.is_file():
        return []
    with manifest.open(newline="") as fh:
        return list(csv.DictReader(fh))


@pytest.fixture(scope="session")
def footage_dir() -> Path:
    if not (FOOTAGE / "MANIFEST.csv").is_file():
        pytest.skip(f"shared footage not found at {FOOTAGE} (set POSECHECK_FOOTAGE)")
    return FOOTAGE


def footage_path(rel: str) -> Path:
    """Path of a manifest entry; ``rel`` is relative to shared/ (``footage/...``)."""
    return FOOTAGE.parent / rel
