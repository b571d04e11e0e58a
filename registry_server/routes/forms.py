"""The form catalogue (public: definitions hold no patient data)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from registry_server.deps import CatalogueDep
from registry_server.schemas import FormList, Problem

router = APIRouter(tags=["forms"])


@router.get("/forms", response_model=FormList)
def list_forms(catalogue: CatalogueDep) -> dict:
    return {
        "forms": [
            {"registry": d.registry, "form": d.form, "version": d.version, "title": dict(d.title)}
            for d in catalogue.forms()
        ]
    }


@router.get(
    "/forms/{registry}/{form}/{version}",
    responses={404: {"model": Problem}},
    description="The form definition JSON, with the code lists it uses embedded.",
)
def get_form(registry: str, form: str, version: int, catalogue: CatalogueDep) -> dict:
    try:
        definition = catalogue.get(registry, form, version)
    except KeyError:
        raise HTTPException(
            404, f"There is no form {registry}/{form} version {version}; see GET /api/v1/forms."
        ) from None
    return definition.to_dict()
