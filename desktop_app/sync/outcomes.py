"""What one item of the server's batch answer means for its message (``local_cache`` outcomes),
and checking a receipt before it takes a message out of the outbox.

A message is receipted only on its receipt, and a receipt that does not verify proves nothing.
So a receipt answering our message must be for that message (``message_id``), for exactly the
body we sent (``body_sha256``) and signed with a key this computer trusts for this server. A
receipt signed with a key not known yet makes the checker fetch the server's published keys
once (per pass) and check again. A receipt that still does not verify is not stored: the
message is quarantined with a sentence saying so, and stays in the outbox (Retry sends it
again; the server answers with the same receipt).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from desktop_app.forms import body_sha256
from desktop_app.receipt_signature import Verdict
from desktop_app.receipts.keys import TrustedKeys
from desktop_app.sync.api_client import (
    ApiError,
    Conflict,
    Invalid,
    ItemResult,
    Receipted,
    Refused,
)
from desktop_app.sync.receipt_steps import store_published_keys
from local_cache import Outcome, OutgoingMessage, Quarantine, Receipt, ReturnToDraft

log = logging.getLogger(__name__)

NOT_VERIFIED = (
    "The registry's receipt for this report could not be verified ({reason}): the report is "
    "kept in the outbox. Retry later or tell the registry."
)
# Why, in the words that go between the brackets above.
REASONS = {
    Verdict.INVALID.value: "its signature does not match it",
    Verdict.UNKNOWN_KEY.value: "it is signed with a key this computer does not know",
    Verdict.UNSIGNED.value: "it is not signed",
    Verdict.MALFORMED.value: "it is incomplete",
    "unchecked": "its signature could not be checked",
    "other_message": "it is for another message",
    "other_body": "it is for other content than the report that was sent",
}


class ReceiptChecker:
    """Checks the receipts answering our own messages (the engine's thread only).

    `verdict(receipt)` -> a Verdict value (default: the shipped keys and those fetched from
    `server_url`, ``TrustedKeys.for_cache``). With `api` and `cache`, a receipt naming a key
    not known yet fetches the server's keys once per pass (``new_pass``) and is checked again.
    """

    def __init__(
        self,
        cache: Any,
        api: Any,
        server_url: str,
        verdict: Callable[[Mapping[str, Any]], str | None] | None = None,
    ) -> None:
        self._cache = cache
        self._api = api
        self._server_url = server_url
        if verdict is None:
            trusted = TrustedKeys.for_cache(cache, server_url)
            verdict = lambda receipt: trusted.verdict(receipt).value  # noqa: E731
        self._verdict = verdict
        self._keys_fetched = False

    def new_pass(self) -> None:
        self._keys_fetched = False

    def verdict(self, receipt: Mapping[str, Any]) -> str | None:
        """The receipt's signature verdict, after fetching the keys once if its key is not
        known yet."""
        found = self._verdict(receipt)
        if found == Verdict.UNKNOWN_KEY.value and not self._keys_fetched:
            self._keys_fetched = True
            if self._fetch_keys():
                found = self._verdict(receipt)
        return found

    def problem(self, message: OutgoingMessage, receipt: Mapping[str, Any]) -> tuple[str, str]:
        """(problem, verdict): problem is "" when the receipt is this message's, for the body
        sent, and valid; else a key of REASONS."""
        if str(receipt.get("message_id")) != message.id:
            return "other_message", ""
        verdict = self.verdict(receipt)
        if verdict != Verdict.VALID.value:
            return (verdict if verdict in REASONS else "unchecked"), str(verdict)
        try:
            sent = body_sha256(message.body)
        except (TypeError, ValueError):
            sent = None
        if receipt.get("body_sha256") != sent:
            return "other_body", verdict
        return "", verdict

    def outcome(self, message: OutgoingMessage, result: ItemResult) -> Outcome:
        """What one item's answer means for the message."""
        match result:
            case Receipted(receipt=receipt):
                problem, verdict = self.problem(message, receipt)
                if not problem:
                    return Receipt(message.id, receipt, verdict)
                log.warning(
                    "The receipt for message %s does not verify (%s); kept in the outbox",
                    message.id,
                    problem,
                )
                return Quarantine(message.id, NOT_VERIFIED.format(reason=REASONS[problem]))
            case Invalid(issues=issues, detail=detail):
                return ReturnToDraft(message.id, issues, detail)
            case Conflict(detail=detail):
                return Quarantine(message.id, detail)
            case Refused(detail=detail):
                # Bad key or too large: the author must change something and submit again.
                return ReturnToDraft(
                    message.id, [], f"The registry server refused the message: {detail}"
                )
        raise TypeError(f"Unknown result {type(result).__name__}")

    def _fetch_keys(self) -> bool:
        """Fetch and save the server's published keys; False when they could not be had."""
        try:
            store_published_keys(self._api, self._cache, self._server_url)
        except ApiError as exc:
            log.warning("The server's receipt keys could not be fetched (%s)", type(exc).__name__)
            return False
        return True
