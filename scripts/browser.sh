#!/usr/bin/env bash
# Make sure Debian's Chromium is installed, for the browser tests of the live page.
# (Playwright cannot download its own browser here; it drives the system one.)
set -euo pipefail
command -v chromium >/dev/null 2>&1 && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "[browser] installing Debian's chromium (once)"
    apt-get update -qq >/dev/null 2>&1 || true
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 || true
fi
command -v chromium >/dev/null 2>&1
