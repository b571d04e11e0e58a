"""Shared sections: `{"include": "<name>"}` in a form's sections list is replaced by the sections
of `resources/forms/_fragments/<name>.json` (`{"source", "sections": [...], "checks": [...]}`),
whose checks are added to the form's. Expanded before the definition is read, so a served
definition (`to_dict()`) is self-contained."""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..resources import resources_dir
from ._parse import Reader, read_json
from .errors import DefinitionError

FRAGMENTS_FOLDER = "_fragments"
_FRAGMENT_KEYS = frozenset({"sections", "checks"})


def fragments_dir(forms_dir: Path | None = None) -> Path:
    return (Path(forms_dir) if forms_dir else resources_dir() / "forms") / FRAGMENTS_FOLDER


def load_fragments(directory: Path | None = None) -> dict[str, dict[str, Any]]:
    """{name: {"sections": [...], "checks": [...]}}; an absent folder holds none."""
    directory = Path(directory) if directory else fragments_dir()
    fragments: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob("*.json")):
        data = read_json(path)
        r = Reader(data, str(path), "", _FRAGMENT_KEYS)
        sections = r.get("sections", list, required=True)
        if not sections:
            raise r.fail("sections", "must not be empty")
        for i, section in enumerate(sections):
            if isinstance(section, Mapping) and "include" in section:
                raise r.fail(f"sections[{i}]", "a fragment cannot include another fragment")
        if not r.has("source"):
            raise r.fail("source", "missing (say where the content comes from)")
        fragments[path.stem] = {"sections": sections, "checks": r.get("checks", list) or []}
    return fragments


@functools.cache
def default_fragments() -> Mapping[str, dict[str, Any]]:
    return load_fragments()


def expand_includes(
    data: object, fragments: Mapping[str, Mapping[str, Any]] | None, source: str
) -> object:
    """`data` with every include replaced; unchanged (same object) when it has none."""
    if not isinstance(data, Mapping) or not isinstance(data.get("sections"), list):
        return data
    sections = data["sections"]
    if not any(isinstance(s, Mapping) and "include" in s for s in sections):
        return data
    if fragments is None:
        fragments = default_fragments()
    expanded: list[Any] = []
    added_checks: list[Any] = []
    for i, section in enumerate(sections):
        if not (isinstance(section, Mapping) and "include" in section):
            expanded.append(section)
            continue
        extra = set(section) - {"include"}
        if extra:
            raise DefinitionError(
                source, f"sections[{i}].{sorted(extra)[0]}", 'an include takes only "include"'
            )
        name = section["include"]
        fragment = fragments.get(name) if isinstance(name, str) else None
        if fragment is None:
            known = ", ".join(sorted(fragments)) or "none"
            raise DefinitionError(
                source, f"sections[{i}].include", f"no fragment named {name!r} (known: {known})"
            )
        expanded.extend(copy.deepcopy(fragment["sections"]))
        added_checks.extend(copy.deepcopy(fragment["checks"]))
    result = dict(data)
    result["sections"] = expanded
    own = data.get("checks")
    if added_checks and (own is None or isinstance(own, list)):
        result["checks"] = list(own or []) + added_checks
    return result
