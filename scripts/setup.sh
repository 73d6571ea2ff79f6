#!/usr/bin/env bash
# Idempotent set-up shared by scripts/app.sh and scripts/test.sh:
#   1. a virtual environment in .venv with posecheck installed (editable) and its dev extras;
#   2. the pose models (lite and full) provisioned into the model cache.
# Re-running is cheap: each step is skipped when its stamp says it is up to date.
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
VENV=.venv
STAMP=$VENV/.posecheck-installed

if [ ! -x "$VENV/bin/python" ]; then
    echo "[setup] creating virtual environment in $VENV"
    "$PY" -m venv "$VENV"
fi

want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$want" ]; then
    echo "[setup] installing posecheck and its dependencies (first run takes about a minute)"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip 2>&1 | grep -v "is ignored" || true
    "$VENV/bin/python" -m pip install --quiet -e ".[dev]" 2>&1 | grep -v "is ignored" || true
    "$VENV/bin/python" -c "import posecheck, mediapipe, cv2, streamlit" \
        || { echo "[setup] error: the install did not complete; see the pip output above" >&2; exit 1; }
    echo "$want" > "$STAMP"
fi

# Models: built once into the cache (see posecheck/models.py); quick when already there.
"$VENV/bin/posecheck" models lite full --quiet
