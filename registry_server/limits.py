"""Refuse request bodies over the configured size, whether or not they announce their length."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def _too_large(max_bytes: int, advice: str = "send a smaller message") -> str:
    return (
        f"The request body is larger than the server accepts ({max_bytes // 1024} KiB); {advice}."
    )


class BodySizeLimit:
    """ASGI middleware: a declared Content-Length over the limit is answered at once with 413;
    a streamed body is counted and cut off with 413 when it passes the limit.

    `max_bytes` holds for every path except `batch_path`, which has `max_batch_bytes`."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        *,
        batch_path: str | None = None,
        max_batch_bytes: int | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.batch_path = batch_path
        self.max_batch_bytes = max_batch_bytes if max_batch_bytes is not None else max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.batch_path is not None and scope["path"] == self.batch_path:
            limit, detail = (
                self.max_batch_bytes,
                _too_large(self.max_batch_bytes, "send fewer messages in one batch"),
            )
        else:
            limit, detail = self.max_bytes, _too_large(self.max_bytes)
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None:
            if not declared.isdigit():
                response = JSONResponse(
                    {"detail": "The Content-Length header is not a number."}, status_code=400
                )
                await response(scope, receive, send)
                return
            if int(declared) > limit:
                response = JSONResponse({"detail": detail}, status_code=413)
                await response(scope, receive, send)
                return

        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # HTTPException passes through FastAPI's body parsing unchanged.
                    raise HTTPException(413, detail)
            return message

        await self.app(scope, counting_receive, send)
