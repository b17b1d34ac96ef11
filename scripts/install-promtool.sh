#!/usr/bin/env bash
# Provides promtool for the alert-rule tests, once: prints its path on the last line.
# Debian ships it in the `prometheus` package, whose installation would also set up a Prometheus
# server; only the one binary is taken out of the package, into .infra/bin, so nothing runs.
set -euo pipefail

cd "$(dirname "$0")/.."
TARGET="$PWD/.infra/bin/promtool"

if command -v promtool >/dev/null 2>&1; then
  command -v promtool
  exit 0
fi
if [[ -x "$TARGET" ]]; then
  echo "$TARGET"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then
  echo "promtool: missing, and apt-get/dpkg-deb are not available to fetch Debian's prometheus package; install promtool with this system's package manager" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fetch() { (cd "$work" && apt-get download -qq prometheus >/dev/null 2>&1); }
if ! fetch; then
  # A fresh machine may have no package lists yet: reading them needs root.
  if [[ "$(id -u)" -ne 0 ]]; then
    echo "promtool: could not download Debian's prometheus package; refreshing the package lists needs root: sudo apt-get update" >&2
    exit 1
  fi
  apt-get update -qq
  fetch || { echo "promtool: could not download Debian's prometheus package" >&2; exit 1; }
fi
dpkg-deb -x "$work"/prometheus_*.deb "$work/package"
mkdir -p "$(dirname "$TARGET")"
install -m 0755 "$work/package/usr/bin/promtool" "$TARGET"
"$TARGET" --version >/dev/null
echo "$TARGET"
