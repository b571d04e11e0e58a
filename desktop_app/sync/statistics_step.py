"""Sync step for the unit's statistics (computed by the registry once a day).

The registry computes its statistics nightly, "as of" a day. A pass fetches them when nothing
is cached, or when the last fetch is more than `REFETCH_AFTER` old, whatever the answer's
as_of: the nightly job may not have finished when we last asked, an operator may run the job
again the same day, or run it "as of" a day in the future (`registry-server jobs --today`), and
none of these may keep the client from asking again for long. A fetch "in the future" (the
clock was set back) counts as old.

`fetch_statistics` fetches now whatever the cache holds; the Statistics page's Refresh button
does the same in two halves (`api.statistics` on a background thread, then `store_statistics`
on the UI's one cache worker) with the session's token, beside the sync engine rather than
through its pass: a pass first sends the outbox and may be waiting
for the server's Retry-After, and the user who pressed Refresh wants the figures, not the queue.
Both the step and the button store the answer with `cache.statistics.save` and publish
`StatisticsUpdated`, which the page listens to.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from desktop_app.events import EventBus, StatisticsUpdated
from desktop_app.sync.steps import StepContext

log = logging.getLogger(__name__)

REFETCH_AFTER = timedelta(hours=3)


def needs_refresh(cached: Any, now: datetime) -> bool:
    """Whether a pass should fetch, given the cached answer (`local_cache.statistics.
    CachedStatistics` or None) and the time now (aware)."""
    if cached is None:
        return True
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
    return store_statistics(api.statistics(token), owner, cache, events, now=now)


def store_statistics(
    payload: Any, owner: str, cache: Any, events: EventBus, *, now: datetime | None = None
) -> dict[str, Any]:
    """Store a fetched answer for `owner` and publish `StatisticsUpdated`; the answer."""
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
