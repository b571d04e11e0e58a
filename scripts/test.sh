#!/usr/bin/env bash
# Sets everything up and runs the whole test suite (lint, then pytest). `.ci/run` calls this.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
setup_venv "test"
ensure_qt_libs offscreen
# The receipt tests print a PDF to an image, as a scanner would, and read its QR code back.
ensure_command pdftoppm poppler-utils
export QT_QPA_PLATFORM=offscreen
# In CI the PostgreSQL tests must run, never silently skip.
if [ "${CI:-}" = "true" ]; then export REGISTRY_TESTS_REQUIRE_POSTGRES=1; fi
echo ">> ruff"
.venv/bin/ruff check .
echo ">> pytest"
exec .venv/bin/python -m pytest "$@"
