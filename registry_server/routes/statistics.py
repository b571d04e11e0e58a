"""GET /statistics: the signed-in unit's statistics with its hospital, region and nation
beside it (to be written)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from registry_server.deps import PrincipalDep

router = APIRouter(tags=["statistics"])


@router.get("/statistics")
def get_statistics(principal: PrincipalDep) -> dict:
    raise HTTPException(503, "Statistics have not been computed yet; try again later.")
