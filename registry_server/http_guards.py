"""ASGI middleware for every API answer: no caching of anything that may carry patient data
or tokens, and request bodies only as JSON."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class NoStore:
    """`Cache-Control: no-store` on every answer under `prefix` (messages, receipts,
    reminders, statistics and tokens all live there): no proxy or browser cache keeps one."""

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Cache-Control"] = "no-store"
                headers.setdefault("Pragma", "no-cache")
            await send(message)

        await self.app(scope, receive, send_no_store)


def _is_json(content_type: bytes) -> bool:
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (
        media.startswith(b"application/") and media.endswith(b"+json")
    )


class JsonBodiesOnly:
    """A request with a body under `prefix` that says it is not JSON is answered 415, so a
    form post or plain text is refused with a sentence before anything tries to read it."""

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(self.prefix):
            headers = dict(scope["headers"])
            length = headers.get(b"content-length", b"")
            has_body = (length.isdigit() and int(length) > 0) or b"transfer-encoding" in headers
            # No Content-Type at all is read as JSON, as before; a different one is refused.
            content_type = headers.get(b"content-type", b"").strip()
            if has_body and content_type and not _is_json(content_type):
                response = JSONResponse(
                    {
                        "detail": "The request body must be JSON; send it with the header "
                        "Content-Type: application/json."
                    },
                    status_code=415,
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
