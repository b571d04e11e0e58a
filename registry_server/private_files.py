"""The server's own folders and files (database, receipt-signing key, TLS key) readable by the
server's account only: folders 0700, files 0600. POSIX modes; on Windows the data folder under
the user's profile is private already."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

log = logging.getLogger(__name__)

_POSIX = os.name == "posix"


def private_folder(path: Path) -> Path:
    """Make `path` (and missing parents) and narrow it to 0700 if this account owns it."""
    path = Path(path)
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    _narrow(path, 0o700)
    return path


def private_file(path: Path) -> None:
    """Create `path` empty with mode 0600 if missing (never readable by others, not even for
    a moment); narrow an existing one of this account's to 0600."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        _narrow(path, 0o600)
    else:
        os.close(fd)


def _narrow(path: Path, mode: int) -> None:
    if not _POSIX:
        return
    info = path.stat()
    if info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) & ~mode == 0:
        return
    os.chmod(path, stat.S_IMODE(info.st_mode) & mode)
    log.info("Narrowed the permissions of %s to %o", path, mode)
