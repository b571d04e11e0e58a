"""Exceptions raised by the local cache."""

from __future__ import annotations


class CacheError(Exception):
    """A problem with the local cache; str(error) is a plain sentence for the user."""


class CacheVersionError(CacheError):
    """The cache file has a schema this program does not know (written by a newer version)."""


class InvalidTransition(CacheError):
    """A message was asked to change in a way its current state does not allow."""

    def __init__(self, message_id: str, state: str, action: str) -> None:
        self.message_id = message_id
        self.state = state
        self.action = action
        super().__init__(
            f"The message cannot be {action} because it is {state} now. "
            "Reopen it from the list to see its current state."
        )


class CacheLocked(CacheError):
    """A payload needs the clinician's data key, which is dropped while the screen is locked."""

    key = "cache.locked"

    def __init__(self, column: str) -> None:
        self.column = column
        super().__init__(f"{column} needs the data key; the session is locked")


class PayloadRefused(CacheError):
    """A stored payload does not decrypt under this user's key for this record: changed on
    disk, copied from another row, or another user's. It is refused, never shown."""

    key = "cache.payload_refused"

    def __init__(self, context: str) -> None:
        self.context = context
        super().__init__(f"A stored payload was refused ({context.split('|', 1)[0]})")


class NotOwner(KeyError):
    """A record exists but belongs to another user of this computer (handled as unknown)."""
