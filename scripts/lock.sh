#!/usr/bin/env bash
# Writes the lock files from pyproject.toml: every dependency and every dependency's dependency pinned,
# with the hashes of their files, for Python 3.11 on Linux x86_64.
#   requirements.lock        what the app runs on        (bash scripts/dev.sh run installs it)
#   requirements-test.lock   the same plus the [test] extra (bash scripts/dev.sh test installs it)
# Run it after changing a dependency in pyproject.toml: bash scripts/lock.sh
# Pins already in a lock file are kept when they still fit; --upgrade moves every one to the newest
# release that pyproject.toml allows (bash scripts/lock.sh --upgrade).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
UV_VERSION=0.13.9
PYTHON=${PYTHON:-$(command -v /usr/bin/python3.11 || command -v python3.11 || command -v python3)}

# uv in a throwaway virtualenv: not in the project's, which installs from the lock files themselves.
TOOL=$(mktemp -d /tmp/dxpia-lock.XXXXXX)
trap 'rm -rf "$TOOL"' EXIT
"$PYTHON" -m venv "$TOOL/venv"
"$TOOL/venv/bin/python" -m pip install -q "uv==$UV_VERSION"

compile() {  # compile OUTPUT uv-arguments…
    local out=$1
    shift
    "$TOOL/venv/bin/uv" pip compile pyproject.toml --quiet --generate-hashes \
        --python-version 3.11 --python-platform x86_64-unknown-linux-gnu \
        --build-constraints build-constraints.txt \
        --custom-compile-command "bash scripts/lock.sh" --output-file "$out" "$@"
}
compile requirements.lock "$@"
# The runtime pins as constraints: the test lock never installs another version of what the app runs on.
compile requirements-test.lock --extra test --constraint requirements.lock "$@"
echo "requirements.lock: $(grep -c '^[a-z0-9]' requirements.lock) packages; requirements-test.lock: $(grep -c '^[a-z0-9]' requirements-test.lock)"
