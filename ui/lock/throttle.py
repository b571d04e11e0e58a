"""A growing wait between wrong unlock passwords, counted on this computer.

The key derivation already costs about 0.3 s a guess; the wait makes guessing at an unattended
ward PC slow as well, while a clinician's typo or two costs nothing.
"""

from __future__ import annotations

from collections.abc import Callable


class GuessThrottle:
    FREE_GUESSES = 3  # wrong passwords before any wait
    FIRST_WAIT_S = 2.0  # then 2, 4, 8 ... seconds
    MAX_WAIT_S = 60.0

    def __init__(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self.failures = 0
        self._until = 0.0

    def wait_s(self) -> float:
        """Seconds until the next guess is taken (0: now)."""
        return max(0.0, self._until - self._clock())

    def failed(self) -> float:
        """Count a wrong password; returns the wait before the next one."""
        self.failures += 1
        extra = self.failures - self.FREE_GUESSES
        if extra >= 0:
            wait = min(self.MAX_WAIT_S, self.FIRST_WAIT_S * 2**extra)
            self._until = self._clock() + wait
        return self.wait_s()

    def succeeded(self) -> None:
        self.failures = 0
        self._until = 0.0
