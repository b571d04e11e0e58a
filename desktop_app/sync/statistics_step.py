"""Sync step for the unit's statistics (updated by the registry once a day)."""

from __future__ import annotations

from desktop_app.sync.steps import StepContext


def refresh_statistics(ctx: StepContext) -> None:
    """(to be written)"""
