"""The OpenAPI document as the server really answers: FastAPI's, mended after generation."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from registry_server.schemas import InvalidMessage, Problem

_PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_ANSWERS = {
    "400": "The request cannot be read (e.g. a Content-Length that is not a number).",
    "401": "Not signed in, or the access token has expired or was revoked.",
    "413": "The request body is larger than the server accepts.",
    "415": "The request body is not sent as application/json.",
    "422": "The request is not valid; `detail` says what is wrong.",
}
_KEY_PATHS = {"/api/v1/messages"}


def truthful_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema is None:
        schema = get_openapi(
            title=app.title, version=app.version, routes=app.routes, description=app.description
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        for model in (Problem, InvalidMessage):
            _add_model(components, model)
        for path, operations in schema.get("paths", {}).items():
            for method, operation in operations.items():
                _mend(path, method, operation, components)
        # FastAPI's default 422 shapes: this server never answers with them.
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        app.openapi_schema = schema
    return app.openapi_schema


def _add_model(components: dict[str, Any], model: Any) -> None:
    definition = model.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, sub in definition.pop("$defs", {}).items():
        components.setdefault(name, sub)
    components[model.__name__] = definition


def _hoist(schema: Any, components: dict[str, Any]) -> Any:
    """Move a hand-written schema's `$defs` into components and point its refs there, so no
    `$ref` dangles (the batch body: BatchRequest -> BatchItemIn -> MessageBody)."""
    if isinstance(schema, dict):
        for name, sub in schema.pop("$defs", {}).items():
            components.setdefault(name, _hoist(sub, components))
        return {
            key: (
                value.replace("#/$defs/", "#/components/schemas/")
                if key == "$ref" and isinstance(value, str)
                else _hoist(value, components)
            )
            for key, value in schema.items()
        }
    if isinstance(schema, list):
        return [_hoist(item, components) for item in schema]
    return schema


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _PROBLEM_REF}}}


def _mend(path: str, method: str, operation: dict[str, Any], components: dict[str, Any]) -> None:
    body = operation.get("requestBody")
    if body is not None:
        operation["requestBody"] = _hoist(body, components)
    responses = operation.setdefault("responses", {})
    secured = bool(operation.get("security"))
    wanted = ["400"]
    if secured:
        wanted.append("401")
    if body is not None:
        wanted += ["413", "415", "422"]
    elif operation.get("parameters"):
        wanted.append("422")
    for status in wanted:
        existing = responses.get(status)
        if existing is None or _is_fastapi_422(existing):
            responses[status] = _problem(_ANSWERS[status])
    if path in _KEY_PATHS and method == "post":
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "header" and parameter.get("name") == "idempotency-key":
                # Optional in the code only so that a missing key is a 400 with a sentence.
                parameter["required"] = True
                parameter["name"] = "Idempotency-Key"
                parameter["schema"] = {"type": "string", "format": "uuid"}


def _is_fastapi_422(response: dict[str, Any]) -> bool:
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    return schema.get("$ref", "").endswith("/HTTPValidationError")
