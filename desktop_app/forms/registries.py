"""The registries and the steps of the treatment pathway: `resources/registries.json`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from ..resources import resources_dir
from ._parse import Reader, read_json
from .text import localized

_FILE_KEYS = frozenset({"pathway_steps", "registries"})
_REGISTRY_KEYS = frozenset({"id", "title", "national", "icd10_scope", "forms"})
_ID = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class RegistryDef:
    id: str
    title: Mapping[str, str]
    national: bool
    # The code list of the registry's ICD-10 scope; None: no scope check (childhood: any cancer).
    icd10_scope: str | None
    forms: tuple[str, ...]  # the form ids it receives, in pathway order
    note: str | None = None

    def title_text(self, lang: str = "en") -> str:
        return localized(self.title, lang)


@dataclass(frozen=True)
class RegistryIndex:
    pathway_steps: Mapping[str, Mapping[str, str]]  # in pathway order
    registries: tuple[RegistryDef, ...]
    source: str


def registries_path() -> Path:
    return resources_dir() / "registries.json"


def load_registries(path: Path | None = None) -> RegistryIndex:
    path = Path(path) if path else registries_path()
    source = str(path)
    r = Reader(read_json(path), source, "", _FILE_KEYS)
    if not r.has("source"):
        raise r.fail("source", "missing (say where the registry facts come from)")
    steps_data = r.get("pathway_steps", dict, required=True)
    sr = r.child(steps_data, "pathway_steps", frozenset(steps_data))
    steps = {}
    for step in steps_data:
        if not _ID.match(step):
            raise sr.fail(step, "a step id is lower-case letters, digits and _")
        steps[step] = sr.text(step, required=True) or {}
    registries: list[RegistryDef] = []
    for i, item in enumerate(r.get("registries", list, required=True)):
        rr = r.child(item, f"registries[{i}]", _REGISTRY_KEYS)
        registry_id = rr.get("id", str, required=True)
        if not _ID.match(registry_id):
            raise rr.fail("id", "a registry id is lower-case letters, digits and _")
        if any(known.id == registry_id for known in registries):
            raise rr.fail("id", f"duplicate registry id {registry_id!r}")
        if not rr.has("icd10_scope"):
            raise rr.fail("icd10_scope", "missing (a code list name, or null for no scope check)")
        scope = rr.raw("icd10_scope")
        if scope is not None and not isinstance(scope, str):
            raise rr.fail("icd10_scope", "must be a code list name or null")
        forms = rr.get("forms", list, required=True)
        if not all(isinstance(f, str) and _ID.match(f) for f in forms):
            raise rr.fail("forms", "must be a list of form ids")
        if len(set(forms)) != len(forms):
            raise rr.fail("forms", "lists a form twice")
        note = rr.raw("note")
        registries.append(
            RegistryDef(
                id=registry_id,
                title=rr.text("title", required=True) or {},
                national=bool(rr.get("national", bool, required=True)),
                icd10_scope=scope,
                forms=tuple(forms),
                note=None if note is None else str(note),
            )
        )
    return RegistryIndex(steps, tuple(registries), source)
