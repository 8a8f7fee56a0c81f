#!/usr/bin/env bash
# Downloads the Lambda layer's wheels (Graviton, the Lambda Python version) once, so synth and tests stay offline.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
want=$($PY -c 'from infra.lambda_runtime import wheels_stamp; print(wheels_stamp())')
dest=.cache/lambda-wheels
if [ -f "$dest/.stamp" ] && [ "$(cat "$dest/.stamp")" = "$want" ]; then
  exit 0
fi
version=$($PY -c 'from infra.lambda_runtime import PYTHON_VERSION; print(PYTHON_VERSION)')
platforms=$($PY -c 'from infra.lambda_runtime import WHEEL_PLATFORMS; print(" ".join(f"--platform {p}" for p in WHEEL_PLATFORMS))')
echo "setup: Lambda layer wheels for python$version (aarch64) into $dest"
rm -rf "$dest"
mkdir -p "$dest"
# shellcheck disable=SC2086  # $platforms is a list of flags
$PY -m pip download -q --disable-pip-version-check --no-deps --only-binary=:all: \
  --implementation cp --python-version "$version" $platforms \
  -r requirements-lambda.txt -r requirements-lambda-ffmpeg.txt -d "$dest"
echo "$want" > "$dest/.stamp"
