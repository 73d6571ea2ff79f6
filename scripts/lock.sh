#!/usr/bin/env bash
# Refresh requirements.lock: the exact versions, with hashes, of everything scripts/setup.sh
# installs (posecheck's dependencies, its dev and ray extras, the build backend and pip itself).
#
#   bash scripts/lock.sh            re-resolve to the newest versions pyproject.toml allows
#   bash scripts/lock.sh --upgrade-package streamlit    move one package only
#
# The lock is made with uv (`uv pip compile`, a pinned uv in a throw-away virtual environment);
# it is a plain pip requirements file, so installing it needs nothing but pip
# (`pip install --require-hashes -r requirements.lock`). Commit the new lock with the change
# that needed it, after `bash scripts/test.sh` passes on it.
set -euo pipefail
cd "$(dirname "$0")/.."

UV_VERSION=0.13.9
PY=${PYTHON:-python3}
tool=$(mktemp -d)
trap 'rm -rf "$tool"' EXIT
"$PY" -m venv "$tool/venv"
"$tool/venv/bin/python" -m pip install --quiet "uv==$UV_VERSION" 2>&1 | grep -v "is ignored" || true

# The build backend (pyproject's [build-system] requires) and pip are locked too, so that an
# editable install needs no unpinned download.
printf '%s\n' "setuptools>=77" "pip" > "$tool/build.in"

upgrade=(--upgrade)
[ "$#" -gt 0 ] && upgrade=("$@")
"$tool/venv/bin/uv" pip compile pyproject.toml "$tool/build.in" --extra dev --extra ray \
    --generate-hashes --universal --fork-strategy fewest --python-version 3.11 \
    --no-header --quiet "${upgrade[@]}" -o requirements.lock.new
# uv names the temporary input in "# via" comments; say what it is instead.
sed -i "s|$tool/build.in|build and install tools (scripts/lock.sh)|" requirements.lock.new
{
    echo "# The exact versions (with hashes) that scripts/setup.sh installs. Do not edit by hand:"
    echo "# refresh with  bash scripts/lock.sh  (uv $UV_VERSION, universal, Python >= 3.11)."
    cat requirements.lock.new
} > requirements.lock
rm requirements.lock.new
echo "requirements.lock: $(grep -cE '^[a-z0-9]' requirements.lock) packages"
