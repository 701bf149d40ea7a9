#!/usr/bin/env bash
# Installs what netdicom's build and tests need on a fresh machine: the DICOM peers from Debian (DCMTK, GDCM,
# tshark), pnpm, and the workspace dependencies. Safe to run again; it skips what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive

# `--no-peers` skips the Debian packages: running netdicom needs only Node.js; the tests need the peers.
debs=(dcmtk libgdcm-tools tshark openssl)
[ "${1:-}" = "--no-peers" ] && debs=()
missing=()
for p in "${debs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  command -v apt-get >/dev/null || { echo "setup: need ${missing[*]} (Debian packages) for the tests; install them" >&2; exit 1; }
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  echo "setup: installing ${missing[*]} from Debian"
  $sudo_cmd apt-get update -qq
  # tshark asks whether non-root users may capture; answer no without a prompt.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $sudo_cmd debconf-set-selections
  $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
fi

want_pnpm=$(node -p "require('./package.json').packageManager.split('@')[1]")
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$want_pnpm" ]; then
  echo "setup: installing pnpm@$want_pnpm"
  npm install -g --silent "pnpm@$want_pnpm" </dev/null
fi

if [ -n "${CI:-}" ]; then frozen=--frozen-lockfile; else frozen=; fi
pnpm install $frozen </dev/null 2>&1 | tail -n 20
