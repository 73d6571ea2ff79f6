#!/usr/bin/env bash
# Idempotent set-up shared by scripts/app.sh and scripts/test.sh:
#   1. a virtual environment in .venv holding exactly requirements.lock (versions and hashes)
#      and posecheck itself (editable, no dependency resolution at install time);
#   2. the pose models (lite and full) provisioned into the model cache.
# Re-running is cheap: each step is skipped when its stamp says it is up to date. When the lock
# changes, the environment is made anew, so nothing from an older lock stays behind.
# Refresh the lock itself with  bash scripts/lock.sh  (see docs/INSTALL.md).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=${PYTHON:-python3}
VENV=.venv
STAMP=$VENV/.posecheck-installed
LOCK=requirements.lock

want=$(cat "$LOCK" pyproject.toml | sha256sum | cut -d' ' -f1)
if [ ! -f "$STAMP" ] || [ "$(cat "$STAMP")" != "$want" ]; then
    if [ -d "$VENV" ]; then
        echo "[setup] $LOCK or pyproject.toml changed: making $VENV anew"
        rm -rf "$VENV"
    fi
    echo "[setup] creating $VENV and installing $LOCK (first run takes about a minute)"
    "$PY" -m venv "$VENV"
    log=$VENV/setup.log
    run() { "$@" >>"$log" 2>&1 || { tail -n 30 "$log" >&2;
        echo "[setup] error: '$*' failed; the whole log is in $log" >&2; exit 1; }; }
    # Exactly the lock (pip itself is in it): --require-hashes refuses any file whose hash is not
    # in the lock, --no-deps refuses anything the lock does not list.
    run "$VENV/bin/python" -m pip install --require-hashes --no-deps -r "$LOCK"
    run "$VENV/bin/python" -m pip install --no-deps --no-build-isolation -e .
    "$VENV/bin/python" -m pip check >/dev/null \
        || { "$VENV/bin/python" -m pip check >&2;
             echo "[setup] error: the installed packages do not fit together; see above" >&2; exit 1; }
    "$VENV/bin/python" -c "import posecheck, mediapipe, cv2, streamlit" \
        || { echo "[setup] error: the install did not complete; see the pip output above" >&2; exit 1; }
    echo "$want" > "$STAMP"
fi

# Models: built once into the cache (see posecheck/model/provision.py); quick when already there.
"$VENV/bin/posecheck" models lite full --quiet
