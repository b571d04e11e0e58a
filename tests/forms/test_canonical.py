"""The canonical body and its hash do not depend on key order or whitespace."""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop_app.forms import body_sha256, canonical_body

BODY = {
    "message_id": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
    "registry": "breast",
    "form": "assessment",
    "version": 1,
    "values": {"patient_name": "Kari Demo Nordmann", "er_percent": 90, "laterality": "left"},
}


def test_canonical_bytes_are_exact() -> None:
    assert canonical_body({"b": 1, "a": {"ø": [1, 2.5], "c": None}}) == (
        '{"a":{"c":null,"ø":[1,2.5]},"b":1}'.encode()
    )


def test_hash_is_sha256_of_canonical_bytes() -> None:
    assert body_sha256(BODY) == hashlib.sha256(canonical_body(BODY)).hexdigest()


def test_hash_survives_reordering_and_a_json_round_trip() -> None:
    reordered = {k: BODY[k] for k in reversed(list(BODY))}
    reordered["values"] = {k: BODY["values"][k] for k in sorted(BODY["values"], reverse=True)}
    parsed = json.loads(json.dumps(BODY, indent=4))
    assert body_sha256(reordered) == body_sha256(parsed) == body_sha256(BODY)


def test_hash_changes_with_content() -> None:
    changed = {**BODY, "values": {**BODY["values"], "er_percent": 91}}
    assert body_sha256(changed) != body_sha256(BODY)


def test_not_a_number_is_refused() -> None:
    with pytest.raises(ValueError):
        canonical_body({"x": float("nan")})


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.text(), json_values, max_size=6))
def test_key_order_never_matters(body: dict) -> None:
    shuffled = dict(reversed(list(body.items())))
    assert canonical_body(shuffled) == canonical_body(body)
    assert json.loads(canonical_body(body)) == body
