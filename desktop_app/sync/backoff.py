"""Exponential backoff with jitter for retrying the server."""

from __future__ import annotations

import random


class Backoff:
    """Delays base, 2*base, 4*base, ... capped at ``cap``; each shortened by up to 25 % jitter.

    Jitter keeps a ward of PCs from retrying in lock-step after a network outage.
    """

    def __init__(self, base: float, cap: float, *, rng: random.Random | None = None) -> None:
        self.base = max(0.0, base)
        self.cap = max(self.base, cap)
        self.failures = 0
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        self.failures += 1
        delay = min(self.cap, self.base * 2 ** min(self.failures - 1, 30))
        return delay * self._rng.uniform(0.75, 1.0)

    def reset(self) -> None:
        self.failures = 0
