"""Sync step for the unit's statistics (computed by the registry once a day).

The registry computes its statistics nightly, "as of" a day. A pass fetches them only when the
cached answer could be out of date: never fetched; or older than today and last fetched more
than `REFETCH_AFTER` ago (the nightly job may not have finished when we last asked). A cached
answer as of today cannot get newer, so it is not fetched again until tomorrow.

`fetch_statistics` fetches now whatever the cache holds; the Statistics page's Refresh button
runs it on a background thread (ui.workers.run_in_background) with the session's token, beside
the sync engine rather than through its pass: a pass first sends the outbox and may be waiting
for the server's Retry-After, and the user who pressed Refresh wants the figures, not the queue.
Both the step and the button store the answer with `cache.statistics.save` and publish
`StatisticsUpdated`, which the page listens to.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

from desktop_app.events import EventBus, StatisticsUpdated
from desktop_app.sync.steps import StepContext

log = logging.getLogger(__name__)

REFETCH_AFTER = timedelta(hours=1)


def needs_refresh(cached: Any, now: datetime, today: date | None = None) -> bool:
    """Whether a pass should fetch, given the cached answer (`local_cache.statistics.
    CachedStatistics` or None) and the time now (aware)."""
    if cached is None:
        return True
    today = today or now.astimezone().date()
    if cached.as_of is not None and cached.as_of >= today.isoformat():
        return False
    fetched_at = cached.fetched_at
    if fetched_at.tzinfo is None:
        fetched_at = fetched_at.replace(tzinfo=UTC)
    # A clock set back (fetched "in the future") must not stop fetching for good.
    return not (now - REFETCH_AFTER < fetched_at <= now)


def fetch_statistics(
    api: Any, token: str, owner: str, cache: Any, events: EventBus, *, now: datetime | None = None
) -> dict[str, Any]:
    """GET /statistics now, store the answer for `owner` and publish `StatisticsUpdated`;
    returns the answer. ApiErrors (no network, token refused, ...) are raised, nothing stored."""
    payload = api.statistics(token)
    if not isinstance(payload, dict):
        payload = {}
    cache.statistics.save(owner, payload, now or datetime.now(UTC))
    as_of = payload.get("as_of")
    as_of = as_of if isinstance(as_of, str) else None
    log.info("Statistics fetched (as of %s)", as_of or "not computed yet")
    events.publish(StatisticsUpdated(as_of=as_of))
    return payload


def refresh_statistics(ctx: StepContext, *, now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    if not needs_refresh(ctx.cache.statistics.load(ctx.owner), now):
        return
    fetch_statistics(ctx.api, ctx.token, ctx.owner, ctx.cache, ctx.events, now=now)
