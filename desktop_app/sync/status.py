"""What the sync engine is doing, as one immutable snapshot the UI can show."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class SyncStatus:
    online: bool | None = None  # None: not known yet (no pass has reached the server)
    syncing: bool = False  # a pass is running
    done: int = 0  # messages settled in the running pass
    total: int = 0  # messages the running pass set out to send
    last_error: str | None = None  # plain sentence for the user
    last_error_at: datetime | None = None
    next_attempt_at: datetime | None = None  # when the engine will try again by itself
    server_wait_until: datetime | None = None  # Retry-After: nothing is sent before this
    last_success_at: datetime | None = None  # the server last answered a pass
