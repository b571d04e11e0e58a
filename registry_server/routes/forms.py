"""The form catalogue (public: definitions hold no patient data)."""

from __future__ import annotations

from fastapi import APIRouter, HTTPException

from registry_server.deps import CatalogueDep
from registry_server.schemas import FormList, Problem

router = APIRouter(tags=["forms"])


@router.get("/forms", response_model=FormList)
def list_forms(catalogue: CatalogueDep) -> dict:
    """Every version of every form (old ones too, so old drafts can be opened), and the
    registries with their forms in pathway order."""
    latest = {
        (d.registry, d.form): catalogue.latest(d.registry, d.form).version
        for d in catalogue.forms()
    }
    forms = []
    for d in catalogue.forms():
        until = catalogue.accepted_until(d.registry, d.form, d.version)
        forms.append(
            {
                "registry": d.registry,
                "form": d.form,
                "version": d.version,
                "title": dict(d.title),
                "pathway_step": d.pathway_step,
                "latest": latest[(d.registry, d.form)] == d.version,
                "accepted_until": until.isoformat() if until is not None else None,
            }
        )
    registries = [
        {
            "id": r.id,
            "title": dict(r.title),
            "national": r.national,
            # Only forms this server can validate: the client offers nothing it would refuse.
            "forms": [form for form in r.forms if (r.id, form) in latest],
        }
        for r in catalogue.registries()
    ]
    return {"forms": forms, "registries": registries}


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
