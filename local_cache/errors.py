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
