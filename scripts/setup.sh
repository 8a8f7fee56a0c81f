#!/usr/bin/env bash
# Installs everything svideo needs on a fresh Debian machine; re-running is cheap (stamps skip done work).
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages: media tools for ingest and post-processing, speech for the demo clip, and Debian's
# AWS CLI v2 (`aws logs tail` is a v2 command; the v1 CLI from PyPI in .venv drives everything else).
APT_PACKAGES=(ffmpeg nginx libnginx-mod-rtmp espeak-ng sox chromium awscli)
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  echo "setup: apt-get install ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# pip prints a warning per package for index locations in the machine's pip config that do not exist.
pip_quiet() {
  local out
  if ! out=$("$@" 2>&1); then
    grep -v '^WARNING: Location' <<<"$out" >&2
    return 1
  fi
  grep -v '^WARNING: Location' <<<"$out" || true
}

# Python: a virtualenv at .venv from the pinned lock.
want=$(cat requirements.lock pyproject.toml | sha256sum | cut -c1-16)
if [ ! -f .venv/.svideo-stamp ] || [ "$(cat .venv/.svideo-stamp)" != "$want" ]; then
  echo "setup: python packages into .venv"
  [ -x .venv/bin/python ] || python3 -m venv .venv
  pip_quiet .venv/bin/pip install -q --disable-pip-version-check -r requirements.lock
  pip_quiet .venv/bin/pip install -q --disable-pip-version-check --no-deps -e .
  echo "$want" > .venv/.svideo-stamp
fi

# Node: the pinned CDK CLI and a Node release jsii supports, from the npm registry.
if [ ! -f node_modules/.svideo-stamp ] || ! cmp -s package-lock.json node_modules/.svideo-stamp; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.svideo-stamp
fi

# Lambda layer: pre-downloaded Graviton wheels, so synth and the infra tests stay offline.
bash scripts/lambda_deps.sh

# Web app: hls.js from the pinned web/package-lock.json into web/vendor/ (served locally, never from a CDN).
bash web/vendor.sh
