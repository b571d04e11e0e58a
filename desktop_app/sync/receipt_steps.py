"""Sync steps for receipts: the registry's public keys, and the unit's receipts by cursor
(also those of messages sent from other computers).

Keys come first in a pass, so a receipt signed with a key published since the last pass
verifies when it arrives; receipts stored before a key was known ("unknown key", or not checked
at all) are checked again once new keys are in.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from desktop_app.events import ReceiptsUpdated
from desktop_app.receipt_signature import ALGORITHM, Verdict
from desktop_app.receipts.keys import TrustedKeys
from desktop_app.sync.steps import StepContext

log = logging.getLogger(__name__)

# A guard against a server whose cursor never ends (500 receipts a page on ours).
MAX_PAGES_PER_PASS = 200
# Verdicts worth finding again once more keys are known.
RECHECK = (None, Verdict.UNKNOWN_KEY.value)


def refresh_receipt_keys(ctx: StepContext) -> None:
    """GET /receipt-keys into the cache (keys seen before stay); then check again the
    receipts that could not be checked with the keys known when they arrived."""
    published = ctx.api.receipt_keys()
    keys = {
        str(k["key_id"]): str(k["public_key"])
        for k in published
        if k.get("key_id") and k.get("public_key") and k.get("algorithm", ALGORITHM) == ALGORITHM
    }
    known = ctx.cache.receipt_keys.keys()
    new = {k: v for k, v in keys.items() if known.get(k) != v}
    if new:
        ctx.cache.receipt_keys.save_keys(ctx.session.server_url, new, datetime.now(UTC))
        log.info("Stored %d receipt-signing key(s) from the server", len(new))
    # Never checked (stored by an older version): always; "unknown key": once keys are new.
    if recheck_receipts(ctx.cache, verdicts=RECHECK if new else (None,)):
        ctx.events.publish(ReceiptsUpdated(added=0))  # no new receipts, but verdicts changed


def recheck_receipts(
    cache: Any, trusted: TrustedKeys | None = None, verdicts: tuple[str | None, ...] = RECHECK
) -> int:
    """Check again the receipts stored with one of `verdicts` (default: unchecked, or with a
    key unknown then); returns how many verdicts changed."""
    pending = cache.receipts.with_verdicts(verdicts)
    if not pending:
        return 0
    trusted = trusted or TrustedKeys.for_cache(cache)
    changed = {}
    for receipt in pending:
        found = trusted.verdict(receipt.to_dict()).value
        if found != receipt.verdict:
            changed[receipt.receipt_id] = found
    cache.receipts.set_verdicts(changed)
    if changed:
        log.info("Checked %d stored receipt(s) again with newly known keys", len(changed))
    return len(changed)


def fetch_receipts(ctx: StepContext) -> None:
    """GET /receipts?since=<cursor>, page after page, storing each new receipt (origin
    "server", with its verdict) and the cursor after each page; publishes
    ReceiptsUpdated(added) when some were new."""
    server_url = ctx.session.server_url
    trusted = TrustedKeys.for_cache(ctx.cache)
    since = ctx.cache.receipt_keys.cursor(ctx.owner, server_url)
    added = 0
    for _ in range(MAX_PAGES_PER_PASS):
        receipts, cursor = ctx.api.receipts(ctx.token, since)
        # Most are often our own, stored when sent: only the others are checked and stored.
        stored = ctx.cache.receipts.stored_ids(str(r.get("receipt_id")) for r in receipts)
        fresh = [r for r in receipts if str(r.get("receipt_id")) not in stored]
        if fresh:
            checked = [(r, trusted.verdict(r).value) for r in fresh]
            added += ctx.cache.receipts.store_fetched(ctx.owner, checked, datetime.now(UTC))
        if cursor and cursor != since:
            ctx.cache.receipt_keys.set_cursor(ctx.owner, server_url, cursor, datetime.now(UTC))
        if not receipts or not cursor or cursor == since:
            break
        since = cursor
    else:
        log.warning(
            "Stopped fetching receipts after %d pages; the rest next pass", MAX_PAGES_PER_PASS
        )
    if added:
        log.info("Fetched %d receipt(s) of the unit from the server", added)
        ctx.events.publish(ReceiptsUpdated(added=added))
