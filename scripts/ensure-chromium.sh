#!/usr/bin/env bash
# Installs Debian's Chromium for the inspector's browser tests when it is missing. Runs as root without
# prompts (CI=true, no stdin); a no-op when Chromium is already there.
set -euo pipefail
chromium_path="${ARBOR_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$chromium_path" ]; then
  exit 0
fi
if [ "$(id -u)" != "0" ]; then
  echo "Chromium is missing at $chromium_path and installing it needs root: run 'sudo apt-get install chromium', or set ARBOR_CHROMIUM to a Chromium binary." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
echo "Installing Debian's chromium for the browser tests..." >&2
# Wait for another apt/dpkg run (unattended upgrades, a parallel job) rather than fail on its lock.
apt-get -o DPkg::Lock::Timeout=600 update -qq
apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium >/dev/null
"$chromium_path" --version >&2
