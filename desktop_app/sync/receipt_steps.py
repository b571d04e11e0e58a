"""Sync steps for receipts: the registry's public keys, and the unit's receipts by cursor
(also those of messages sent from other computers)."""

from __future__ import annotations

from desktop_app.sync.steps import StepContext


def refresh_receipt_keys(ctx: StepContext) -> None:
    """(to be written)"""


def fetch_receipts(ctx: StepContext) -> None:
    """(to be written)"""
