#!/usr/bin/env bash
# Vendors the web app's runtime packages from the pinned lockfile into web/vendor/ (served as static files).
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -f node_modules/.svideo-stamp ] || ! cmp -s package-lock.json node_modules/.svideo-stamp; then
  echo "setup: npm ci (web)"
  npm ci --no-audit --no-fund --loglevel=error
  cp package-lock.json node_modules/.svideo-stamp
fi
mkdir -p vendor
cp node_modules/hls.js/dist/hls.min.mjs vendor/hls.mjs
cp node_modules/hls.js/LICENSE vendor/hls.LICENSE
