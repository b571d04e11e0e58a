"""GET /health: is the server up (no sign-in needed)."""

from __future__ import annotations

from fastapi import APIRouter

from registry_server import __version__
from registry_server.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/health", response_model=Health)
def health() -> dict:
    return {"status": "ok", "version": __version__}
