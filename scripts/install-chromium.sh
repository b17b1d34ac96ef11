#!/usr/bin/env bash
# Installs Debian's Chromium for the dashboard's browser tests, once: a second run changes nothing.
# Playwright's own browser download cannot work here, so the tests drive /usr/bin/chromium.
set -euo pipefail

CHROMIUM=/usr/bin/chromium

if [[ -x "$CHROMIUM" ]]; then
  echo "chromium: already installed ($("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM"))"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "chromium: $CHROMIUM is missing and apt-get is not available; install Chromium with this system's package manager" >&2
  exit 1
fi
if [[ "$(id -u)" -ne 0 ]]; then
  echo "chromium: $CHROMIUM is missing; installing it needs root: sudo $0" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
if [[ ! -x "$CHROMIUM" ]]; then
  echo "chromium: apt-get installed the package but $CHROMIUM is still missing" >&2
  exit 1
fi
echo "chromium: installed ($("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM"))"
