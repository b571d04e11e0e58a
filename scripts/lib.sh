# Shared set-up for scripts/demo.sh and scripts/test.sh (sourced, not run).
# Creates .venv with a Python >= 3.11, installs the project with the given extras, and makes sure
# the system libraries Qt needs are present (installing them with apt-get when run as root).

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$ROOT/.venv"

find_python() {
  local candidate
  for candidate in python3.11 python3.12 python3.13 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      command -v "$candidate"
      return 0
    fi
  done
  echo "error: Python 3.11 or newer is needed; install it (e.g. apt-get install python3) and run again." >&2
  return 1
}

# setup_venv EXTRAS: (re)install only when pyproject.toml or the extras changed since last time.
setup_venv() {
  local extras="$1" python stamp want
  python="$(find_python)" || exit 1
  if [ ! -x "$VENV/bin/python" ]; then
    echo ">> creating virtual environment in .venv"
    "$python" -m venv "$VENV" || {
      echo "error: could not create a virtual environment. On Debian/Ubuntu: apt-get install python3-venv" >&2
      exit 1
    }
  fi
  stamp="$VENV/.installed"
  want="$(sha256sum "$ROOT/pyproject.toml" | cut -c1-64) $extras"
  if [ ! -f "$stamp" ] || ! grep -qxF "$want" "$stamp"; then
    echo ">> installing the project and its dependencies ($extras)"
    "$VENV/bin/python" -m pip install --quiet --upgrade pip
    "$VENV/bin/python" -m pip install --quiet -e "$ROOT[$extras]"
    echo "$want" >>"$stamp"
  fi
}

# ensure_qt_libs PLATFORM: PLATFORM is "offscreen" (tests) or "xcb" (a real X display).
ensure_qt_libs() {
  local platform="$1" plugin missing
  plugin="$("$VENV/bin/python" -c 'import PySide6, pathlib; print(pathlib.Path(PySide6.__file__).parent / "Qt/plugins/platforms")')/libq${platform}.so"
  missing="$(ldd "$plugin" 2>/dev/null | grep 'not found' || true)"
  [ -z "$missing" ] && return 0
  local packages="libegl1 libgl1 libxkbcommon0 libfontconfig1 libdbus-1-3 libglib2.0-0 libx11-6"
  if [ "$platform" = "xcb" ]; then
    packages="$packages libxcb-cursor0 libxkbcommon-x11-0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0
      libxcb-xinerama0 libxcb-randr0 libxcb-render-util0 libxcb-image0 libx11-xcb1"
  fi
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo ">> installing system libraries Qt needs: $packages"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages >/dev/null
  else
    echo "error: Qt is missing system libraries:" >&2
    echo "$missing" >&2
    echo "Install them (Debian/Ubuntu: sudo apt-get install $packages) and run again." >&2
    exit 1
  fi
}

# ensure_command COMMAND PACKAGE: a Debian package's program the tests need (e.g. pdftoppm from
# poppler-utils), installed with apt-get when run as root.
ensure_command() {
  local command="$1" package="$2"
  command -v "$command" >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo ">> installing $package (for $command)"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package" >/dev/null
  else
    echo "error: $command is missing. Install it (Debian/Ubuntu: sudo apt-get install $package) and run again." >&2
    exit 1
  fi
}
