#!/usr/bin/env bash
# The admin console's browser tests drive Debian's Chromium (never a browser downloaded by a
# test tool). Installs it when missing, so `npm test` works on a fresh Debian machine.
set -euo pipefail
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$chromium" ] && exit 0
echo "ensure-chromium: $chromium is missing; installing Debian's chromium package" >&2
as_root=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "ensure-chromium: run 'apt-get install chromium' as root" >&2; exit 1; }
  as_root="sudo"
fi
$as_root apt-get update -qq
DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq chromium >/dev/null
