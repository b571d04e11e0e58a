"""Form catalogue, health and the OpenAPI document (no sign-in needed)."""

from __future__ import annotations

import datetime

import httpx

from desktop_app.forms import load_catalogue


def test_forms_lists_every_version_with_its_acceptance(client: httpx.Client) -> None:
    catalogue = load_catalogue()

    response = client.get("/api/v1/forms")

    assert response.status_code == 200
    forms = response.json()["forms"]
    listed = {(f["registry"], f["form"], f["version"]): f for f in forms}
    assert set(listed) == {d.key for d in catalogue.forms()}
    assert ("breast", "assessment", 1) in listed
    for key, entry in listed.items():
        assert set(entry) == {
            "registry",
            "form",
            "version",
            "title",
            "pathway_step",
            "latest",
            "accepted_until",
        }
        definition = catalogue.get(*key)
        assert set(entry["title"]) >= {"nb", "en"}
        assert entry["pathway_step"] == definition.pathway_step
        assert entry["latest"] == (catalogue.latest(key[0], key[1]).version == key[2])
        until = catalogue.accepted_until(*key)
        assert entry["accepted_until"] == (until.isoformat() if until else None)
        if entry["latest"]:
            assert entry["accepted_until"] is None
    # Exactly one latest version per form.
    latest = [(f["registry"], f["form"]) for f in forms if f["latest"]]
    assert sorted(latest) == sorted({(f["registry"], f["form"]) for f in forms})


def test_a_superseded_version_is_listed_with_the_last_day_it_is_accepted(
    client: httpx.Client,
) -> None:
    forms = client.get("/api/v1/forms").json()["forms"]

    superseded = [f for f in forms if not f["latest"]]
    assert superseded, "the catalogue should hold at least one older form version (issue 3)"
    for entry in superseded:
        assert datetime.date.fromisoformat(entry["accepted_until"])


def test_forms_lists_the_registries_with_their_forms(client: httpx.Client) -> None:
    catalogue = load_catalogue()

    data = client.get("/api/v1/forms").json()

    registries = data["registries"]
    assert [r["id"] for r in registries] == [r.id for r in catalogue.registries()]
    assert len(registries) == 12
    available = {(f["registry"], f["form"]) for f in data["forms"]}
    for entry in registries:
        assert set(entry) == {"id", "title", "national", "forms"}
        assert set(entry["title"]) >= {"nb", "en"} and isinstance(entry["national"], bool)
        assert entry["forms"], f"registry {entry['id']} lists no form"
        assert {(entry["id"], form) for form in entry["forms"]} <= available
    breast = next(r for r in registries if r["id"] == "breast")
    assert breast["forms"][0] == "assessment"


def test_form_definition_is_served_and_loads_again(client: httpx.Client) -> None:
    from desktop_app.forms import FormDefinition

    response = client.get("/api/v1/forms/breast/assessment/1")

    assert response.status_code == 200
    served = FormDefinition.from_dict(response.json())
    assert served.key == ("breast", "assessment", 1)
    original = load_catalogue().get("breast", "assessment", 1)
    assert [f.id for f in served.fields()] == [f.id for f in original.fields()]


def test_unknown_form_is_404_with_a_sentence(client: httpx.Client) -> None:
    response = client.get("/api/v1/forms/breast/assessment/999")
    assert response.status_code == 404
    assert "breast/assessment version 999" in response.json()["detail"]


def test_health_and_openapi(client: httpx.Client) -> None:
    health = client.get("/api/v1/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"

    spec = client.get("/api/v1/openapi.json").json()
    assert {"/api/v1/messages", "/api/v1/auth/token", "/api/v1/receipts"} <= set(spec["paths"])
    body_schema = spec["paths"]["/api/v1/messages"]["post"]["requestBody"]["content"]
    assert "values" in body_schema["application/json"]["schema"]["properties"]
    assert client.get("/api/v1/docs").status_code == 200
