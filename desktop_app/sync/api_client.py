"""HTTP client for the registry server API (``/api/v1``).

TLS is always verified. Every failure becomes one of the exception classes below, each with a
plain sentence in ``.message`` that the UI can show as is. Nothing here logs request bodies,
passwords or tokens.
"""

from __future__ import annotations

import email.utils
import ssl
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import certifi
import httpx

from desktop_app.sync.api_errors import (
    NETWORK_MESSAGE,
    UNREADABLE_ANSWER,
    ApiError,
    AuthError,
    Conflict,
    InsecureUrlError,
    Invalid,
    ItemResult,
    NetworkError,
    Receipted,
    Refused,
    ServerError,
    SubmitResult,
    TlsError,
    detail_of,
    item_result,
)

__all__ = [
    "NETWORK_MESSAGE",
    "UNREADABLE_ANSWER",
    "ApiClient",
    "ApiError",
    "AuthError",
    "Conflict",
    "InsecureUrlError",
    "Invalid",
    "ItemResult",
    "NetworkError",
    "Receipted",
    "Refused",
    "ServerError",
    "SubmitResult",
    "TlsError",
    "make_ssl_context",
    "parse_retry_after",
]

API_PREFIX = "/api/v1"
# Sign-out must not keep a clinician waiting on a dead network.
SIGN_OUT_TIMEOUT_S = 3.0

# Given the access token a request was refused with (401), a fresh one, or None.
Refresher = Callable[[str], "str | None"]


def make_ssl_context(
    ca_bundle: str | None = None, use_system_trust: bool = False
) -> ssl.SSLContext:
    """The verifying TLS context: a hospital CA bundle and/or the OS trust, else certifi's CAs."""
    if use_system_trust:
        context = _system_trust_context()
        if ca_bundle:
            context.load_verify_locations(cafile=ca_bundle)
        return context
    # httpx does not read SSL_CERT_FILE itself, so the bundle is loaded explicitly.
    return ssl.create_default_context(cafile=ca_bundle or certifi.where())


def _system_trust_context() -> ssl.SSLContext:
    # truststore verifies with the OS (Windows and macOS certificate stores, where hospital
    # IT installs its CAs; OpenSSL's system paths on Linux). Imported here: it patches nothing.
    import truststore

    return truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


class ApiClient:
    def __init__(
        self,
        base_url: str,
        *,
        ca_bundle: str | None = None,
        use_system_trust: bool = False,
        allow_insecure_http: bool = False,
        timeout: float = 10.0,
    ) -> None:
        url = httpx.URL(base_url)
        if url.scheme not in ("https", "http") or not url.host:
            raise InsecureUrlError(
                f"The server address {base_url!r} is not a valid https:// address. "
                "Check the server_url setting."
            )
        if url.scheme == "http" and not allow_insecure_http:
            raise InsecureUrlError(
                f"The server address {base_url} uses plain http://, which would send passwords "
                "and patient data unencrypted. Use an https:// address in the server_url setting."
            )
        self.base_url = str(url).rstrip("/")
        self.timeout = timeout  # seconds, for each phase of a request (connect, read, ...)
        try:
            verify = make_ssl_context(ca_bundle, use_system_trust)
        except (OSError, ssl.SSLError) as exc:
            raise TlsError(
                f"The CA bundle {ca_bundle} cannot be loaded ({exc}). Check the ca_bundle setting."
            ) from exc
        self._client = httpx.Client(
            base_url=self.base_url + API_PREFIX,
            verify=verify,
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            headers={"Accept": "application/json"},
        )
        self._refresher: Refresher | None = None
        # Access tokens already renewed -> their successors, so the rest of a sync pass that
        # still holds the old one does not meet a 401 on every request.
        self._renewed: dict[str, str] = {}

    def use_refresher(self, refresher: Refresher | None) -> None:
        """Who renews an expired access token (desktop_app.auth.Session.renewed_token): on a
        401, a request is sent once more with the token it returns."""
        self._refresher = refresher
        self._renewed.clear()

    # -- API calls ------------------------------------------------------------------------

    def sign_in(self, username: str, password: str) -> dict:
        """Exchange credentials for a token; AuthError when they are wrong."""
        response = self._request(
            "POST", "/auth/token", json={"username": username, "password": password}
        )
        if response.status_code == 401:
            raise AuthError("Wrong username or password.", status=401)
        if response.status_code == 429:
            # Too many failed attempts: the server's sentence says how long to wait.
            raise ServerError(
                detail_of(response),
                status=429,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        return self._json(self._check(response))

    def refresh(self, refresh_token: str) -> dict:
        """New tokens for a refresh token (spent by this call): the answer has the shape of
        sign_in's. AuthError when it is expired, revoked or was used before."""
        response = self._request("POST", "/auth/refresh", json={"refresh_token": refresh_token})
        if response.status_code == 401:
            raise AuthError("Your sign-in has expired. Sign in again.", status=401)
        return self._json(self._check(response))

    def sign_out(self, access_token: str) -> None:
        """Revoke this sign-in's tokens on the server (a short timeout: never a long wait)."""
        response = self._authorized(
            "POST", "/auth/sign-out", access_token, timeout=SIGN_OUT_TIMEOUT_S
        )
        if response.status_code != 401:  # 401: already expired or revoked
            self._check(response)

    def change_password(self, token: str, current: str, new: str) -> None:
        """Change the password; the user's other sign-ins end. ApiError with the server's
        sentence when the current password is wrong (403) or the new one too short (422)."""
        response = self._authorized(
            "POST",
            "/auth/password",
            token,
            json={"current_password": current, "new_password": new},
        )
        self._check(response)

    def submit(self, token: str, body: dict, idempotency_key: str) -> SubmitResult:
        """Send one message; the same key and body may be sent again safely."""
        response = self._authorized(
            "POST",
            "/messages",
            token,
            json=body,
            headers={"Idempotency-Key": idempotency_key},
        )
        if response.status_code == 422:
            data = self._json(response, default={})
            return Invalid(issues=list(data.get("issues") or []), detail=detail_of(response))
        if response.status_code == 409:
            return Conflict(detail=detail_of(response))
        self._check(response)
        return Receipted(receipt=self._json(response), replay=response.status_code == 200)

    def submit_batch(self, token: str, items: list[tuple[str, dict]]) -> list[ItemResult]:
        """Send several messages in one request; ``items`` are (idempotency key, body) pairs.

        Returns one result per item, in the items' order. Each item may be sent again safely
        with the same key and body. Failures of the whole request raise as for ``submit``;
        an answer that does not match the items raises ServerError (retrying is safe).
        """
        payload = {"items": [{"idempotency_key": key, "message": body} for key, body in items]}
        response = self._authorized("POST", "/messages/batch", token, json=payload)
        results = self._json(self._check(response)).get("results")
        if not isinstance(results, list) or len(results) != len(items):
            raise ServerError(UNREADABLE_ANSWER, status=response.status_code)
        return [
            item_result(result, key, body["message_id"])
            for result, (key, body) in zip(results, items, strict=True)
        ]

    def reminders(self, token: str) -> tuple[list[dict], datetime]:
        data = self._json(self._check(self._authorized("GET", "/reminders", token)))
        return list(data.get("reminders") or []), _parse_time(data.get("fetched_at"))

    def answer_reminder(self, token: str, reminder_id: str, answer: str, reason: str) -> dict:
        """Tell the registry the reminder is not this unit's to answer ("not_ours",
        "patient_moved") and why; sending the same answer again is safe."""
        response = self._authorized(
            "POST",
            f"/reminders/{reminder_id}/answer",
            token,
            json={"answer": answer, "reason": reason},
        )
        return self._json(self._check(response))

    def receipts(self, token: str, since: str | None = None) -> tuple[list[dict], str]:
        """The unit's receipts after the cursor `since` (all from the start without it), at
        most one page, and the cursor to ask for the next ones with."""
        params = {"since": since} if since else None
        response = self._authorized("GET", "/receipts", token, params=params)
        data = self._json(self._check(response))
        return list(data.get("receipts") or []), str(data.get("cursor") or "")

    def receipt_keys(self) -> list[dict]:
        """The registry's receipt-signing public keys (GET /receipt-keys; no sign-in)."""
        return list(
            self._json(self._check(self._request("GET", "/receipt-keys"))).get("keys") or []
        )

    def statistics(self, token: str, registry: str | None = None) -> dict:
        """The unit's statistics beside its hospital, region and nation (GET /statistics)."""
        params = {"registry": registry} if registry else None
        response = self._authorized("GET", "/statistics", token, params=params)
        return self._json(self._check(response))

    def forms(self) -> list[dict]:
        return list(self._json(self._check(self._request("GET", "/forms"))).get("forms") or [])

    def health(self) -> dict:
        return self._json(self._check(self._request("GET", "/health")))

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ApiClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing -------------------------------------------------------------------------

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._client.request(method, path, **kwargs)
        except httpx.TransportError as exc:
            tls = _tls_cause(exc)
            if tls is not None:
                raise TlsError(_tls_message(tls, self.base_url)) from exc
            raise NetworkError(NETWORK_MESSAGE) from exc

    def _authorized(self, method: str, path: str, token: str, **kwargs: Any) -> httpx.Response:
        """A request with the bearer token; after a 401, once more with a renewed token (the
        refresher decides, under its lock, whether that means a refresh)."""
        token = self._renewed.get(token, token)
        headers = kwargs.pop("headers", {})
        response = self._request(method, path, headers={**headers, **_bearer(token)}, **kwargs)
        refresher = self._refresher
        if response.status_code != 401 or refresher is None:
            return response
        fresh = refresher(token)
        if not fresh or fresh == token:
            return response
        if len(self._renewed) > 16:
            self._renewed.clear()
        self._renewed[token] = fresh
        return self._request(method, path, headers={**headers, **_bearer(fresh)}, **kwargs)

    def _check(self, response: httpx.Response) -> httpx.Response:
        status = response.status_code
        if 200 <= status < 300:
            return response
        if status == 401:
            raise AuthError(
                "Your sign-in has expired or was not accepted. Sign in again.", status=status
            )
        if status in (408, 429) or status >= 500:
            raise ServerError(
                "The registry server is busy or has a problem. "
                "Your message is kept and will be sent later.",
                status=status,
                retry_after=parse_retry_after(response.headers.get("Retry-After")),
            )
        raise ApiError(
            f"The registry server refused the request: {detail_of(response)}", status=status
        )

    @staticmethod
    def _json(response: httpx.Response, default: Any = None) -> Any:
        try:
            data = response.json()
        except ValueError as exc:
            if default is not None:
                return default
            raise ServerError(UNREADABLE_ANSWER, status=response.status_code) from exc
        if not isinstance(data, dict):
            if default is not None:
                return default
            raise ServerError(
                "The registry server sent an unexpected answer. Try again later.",
                status=response.status_code,
            )
        return data


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _parse_time(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None:
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return datetime.now(UTC)


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _tls_cause(exc: BaseException) -> ssl.SSLError | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _tls_message(error: ssl.SSLError, base_url: str) -> str:
    host = httpx.URL(base_url).host
    if isinstance(error, ssl.SSLCertVerificationError):
        code = error.verify_code
        reason = (error.verify_message or str(error)).rstrip(".")
        if code == 62 or "hostname" in reason.lower() or "ip address mismatch" in reason.lower():
            return (
                f"The server's certificate is not valid for the host name {host}: {reason}. "
                "Check the server_url setting. Nothing was sent."
            )
        if code == 10 or "expired" in reason.lower():
            return (
                f"The certificate of {host} has expired (or this computer's date is wrong). "
                "Nothing was sent. Check the date and time, or tell your IT department."
            )
        if code == 9 or "not yet valid" in reason.lower():
            return (
                f"The certificate of {host} is not valid yet, so this computer's clock may be "
                "wrong. Nothing was sent. Check the date and time, or tell your IT department."
            )
        return (
            f"The certificate of {host} is issued by an authority this computer does not trust "
            f"({reason}). Nothing was sent. Ask your IT department for the hospital CA bundle "
            "and set it in the ca_bundle setting."
        )
    return (
        f"A secure connection to {host} could not be set up ({error.reason or error}). "
        "Nothing was sent. Check that server_url is the registry's https:// address."
    )
