#!/usr/bin/env bash
# Make sure Debian's Chromium is installed, for the browser tests of the live page.
# (Playwright cannot download its own browser here; it drives the system one.)
# Exit status 0 when `chromium` is usable afterwards, 1 when it cannot be installed here.
set -euo pipefail
ready() { command -v chromium >/dev/null 2>&1 && chromium --version >/dev/null 2>&1; }
ready && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "[browser] installing Debian's chromium (once)"
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 || true
fi
if ready; then
    exit 0
fi
echo "[browser] Chromium is not installed and cannot be installed here (needs root and" \
     "apt-get with Debian's chromium package)" >&2
exit 1
