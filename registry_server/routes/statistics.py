"""GET /statistics[?registry=<id>]: the signed-in unit's statistics from the latest finished
statistics run, with its hospital, region and the nation beside them. Aggregates only; small
cells suppressed (registry_server.statistics.serving). Always 200 for a signed-in user: before
the first run `as_of` is null and `registries` empty."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from registry_server.deps import CatalogueDep, PrincipalDep, SessionDep, SettingsDep
from registry_server.schemas import Problem
from registry_server.statistics.schemas import StatisticsOut
from registry_server.statistics.serving import statistics_answer

router = APIRouter(tags=["statistics"])

RegistryParam = Annotated[
    str | None,
    Query(
        description="Only this registry (an id from GET /forms, e.g. breast).",
        max_length=50,
    ),
]


@router.get("/statistics", response_model=StatisticsOut, responses={422: {"model": Problem}})
def get_statistics(
    session: SessionDep,
    principal: PrincipalDep,
    settings: SettingsDep,
    catalogue: CatalogueDep,
    registry: RegistryParam = None,
) -> dict:
    if registry is not None and registry not in {r.id for r in catalogue.registries()}:
        known = ", ".join(r.id for r in catalogue.registries())
        raise HTTPException(
            422, f"There is no registry {registry!r}; ask for one of {known}, or leave it out."
        )
    return statistics_answer(
        session, catalogue, principal.unit_id, settings.statistics_min_cell, registry
    )
