"""Form catalogue, health and the OpenAPI document (no sign-in needed)."""

from __future__ import annotations

import httpx

from desktop_app.forms import load_catalogue


def test_forms_lists_the_catalogue(client: httpx.Client) -> None:
    response = client.get("/api/v1/forms")

    assert response.status_code == 200
    listed = {(f["registry"], f["form"], f["version"]) for f in response.json()["forms"]}
    expected = {d.key for d in load_catalogue().forms()}
    assert listed == expected and ("breast", "assessment", 1) in listed
    first = response.json()["forms"][0]
    assert set(first) == {"registry", "form", "version", "title"}
    assert set(first["title"]) >= {"nb", "en"}


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
