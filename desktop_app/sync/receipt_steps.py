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
from desktop_app.receipt_signature import ALGORITHM, Verdict, key_id_of, load_public_key
from desktop_app.receipts.keys import TrustedKeys
from desktop_app.sync.steps import StepContext
from local_cache.receipts import missing_fields

log = logging.getLogger(__name__)

# A guard against a server whose cursor never ends (500 receipts a page on ours).
MAX_PAGES_PER_PASS = 200
# Verdicts worth finding again once more keys are known.
RECHECK = (None, Verdict.UNKNOWN_KEY.value)


def refresh_receipt_keys(ctx: StepContext) -> None:
    """GET /receipt-keys into the cache, pinned to this server (keys seen before stay); then
    check again the receipts that could not be checked with the keys known when they
    arrived."""
    new = store_published_keys(ctx.api, ctx.cache, ctx.session.server_url)
    # Never checked (stored by an older version): always; "unknown key": once keys are new.
    trusted = TrustedKeys.for_cache(ctx.cache, ctx.session.server_url)
    if recheck_receipts(ctx.cache, trusted, verdicts=RECHECK if new else (None,)):
        ctx.events.publish(ReceiptsUpdated(added=0))  # no new receipts, but verdicts changed


def store_published_keys(api: Any, cache: Any, server_url: str) -> int:
    """Fetch the server's published keys and save those not saved yet for `server_url`;
    returns how many were new. Each key is saved only under its own id (`key_id_of`): an
    entry naming a key under another id is ignored, so it can never stand in for a good key.
    ApiErrors are raised (nothing saved)."""
    keys: dict[str, str] = {}
    for entry in api.receipt_keys():
        key_id, text = str(entry.get("key_id") or ""), str(entry.get("public_key") or "")
        if not key_id or not text or entry.get("algorithm", ALGORITHM) != ALGORITHM:
            continue
        try:
            matches = key_id_of(load_public_key(text)) == key_id
        except ValueError:
            matches = False
        if not matches:
            log.warning("The server lists receipt key %s with another key; ignored", key_id)
            continue
        keys[key_id] = text
    known = cache.receipt_keys.keys(server_url)
    new = {k: v for k, v in keys.items() if k not in known}
    if new:
        cache.receipt_keys.save_keys(server_url, new, datetime.now(UTC))
        log.info("Stored %d receipt-signing key(s) from the server", len(new))
    return len(new)


def recheck_receipts(
    cache: Any, trusted: TrustedKeys, verdicts: tuple[str | None, ...] = RECHECK
) -> int:
    """Check again the receipts stored with one of `verdicts` (default: unchecked, or with a
    key unknown then); returns how many verdicts changed."""
    pending = cache.receipts.with_verdicts(verdicts)
    if not pending:
        return 0
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
    trusted = TrustedKeys.for_cache(ctx.cache, server_url)
    since = ctx.cache.receipt_keys.cursor(ctx.owner, server_url)
    added = 0
    for _ in range(MAX_PAGES_PER_PASS):
        receipts, cursor = ctx.api.receipts(ctx.token, since)
        # One that cannot be stored (a field missing) must not hold up the rest for good.
        complete = [r for r in receipts if not missing_fields(r)]
        if len(complete) < len(receipts):
            log.warning(
                "Skipped %d incomplete receipt(s) from the server", len(receipts) - len(complete)
            )
        # Most are often our own, stored when sent: only the others are checked and stored.
        stored = ctx.cache.receipts.stored_ids(str(r["receipt_id"]) for r in complete)
        fresh = [r for r in complete if str(r["receipt_id"]) not in stored]
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
