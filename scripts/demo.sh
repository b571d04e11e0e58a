#!/usr/bin/env bash
# Sets everything up and runs the main job: a local demo registry server (SQLite; demo units and
# users; on the first start a national year of synthetic cases, messages, expected-case
# notifications, computed reminders and statistics; a self-signed CA) and the desktop client
# against it. Demo data lives in ./demo-data (delete the folder to start afresh).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$ROOT"
setup_venv "headless"
ensure_qt_libs xcb

DEMO_DIR="${REGISTRY_DEMO_DIR:-$ROOT/demo-data}"
PORT="${REGISTRY_DEMO_PORT:-8443}"
# The demo's folder and log are this user's only, as the server's and client's own files are.
mkdir -p -m 700 "$DEMO_DIR"
( umask 077 && touch "$DEMO_DIR/server.log" ) && chmod 600 "$DEMO_DIR/server.log"

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "error: no display. Run this on a desktop, or under a virtual one: xvfb-run -a $0" >&2
  exit 1
fi

echo ">> starting the demo registry server on https://127.0.0.1:$PORT"
if [ ! -f "$DEMO_DIR/server/registry.sqlite3" ]; then
  echo ">> first start: making a national year of synthetic demo data (takes a few seconds)"
fi
.venv/bin/registry-server --demo --port "$PORT" --data-dir "$DEMO_DIR/server" \
  >"$DEMO_DIR/server.log" 2>&1 &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null || true' EXIT
CA="$(.venv/bin/registry-server --data-dir "$DEMO_DIR/server" --print-ca)"
for _ in $(seq 1 600); do
  if .venv/bin/python - "$PORT" "$CA" <<'PY' 2>/dev/null; then break; fi
import sys, httpx
httpx.get(f"https://127.0.0.1:{sys.argv[1]}/api/v1/health", verify=sys.argv[2], timeout=1).raise_for_status()
PY
  if ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "error: the demo server stopped; see $DEMO_DIR/server.log" >&2
    exit 1
  fi
  sleep 0.2
done
echo ">> demo users: demo / demo (Oslo), bergen / demo (Bergen). Server log: $DEMO_DIR/server.log"
# Without a desktop secret service (Xvfb, a bare VM) keyring falls back to keyrings.alt's
# PlaintextKeyring, which the product refuses; the demo's users and tokens are throwaway.
REGISTRY_ALLOW_PLAINTEXT_KEYRING="${REGISTRY_ALLOW_PLAINTEXT_KEYRING:-1}" \
.venv/bin/registry-desktop --server "https://127.0.0.1:$PORT" --ca-bundle "$CA" \
  --data-dir "$DEMO_DIR/client" --username demo "$@"
