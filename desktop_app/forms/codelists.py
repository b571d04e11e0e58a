"""Code lists (ICD-10 scope, hospitals, regions, ...): `resources/codelists/<name>.json`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._parse import Reader, read_json
from .errors import DefinitionError
from .text import localized

_LIST_KEYS = frozenset({"name", "title", "scope", "pattern", "codes"})
_ENTRY_KEYS_BASE = frozenset({"code", "label"})


@dataclass(frozen=True, eq=False)  # identity: usable as dict keys
class CodeEntry:
    code: str
    label: Mapping[str, str]
    # Extra facts about the code, e.g. a hospital's health trust and region.
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def label_text(self, lang: str = "en") -> str:
        return localized(self.label, lang)


@dataclass(frozen=True, eq=False)  # identity: usable as dict keys
class CodeList:
    name: str
    title: Mapping[str, str]
    source: str
    entries: tuple[CodeEntry, ...]
    # What the list covers, for messages ("C50, D05").
    scope: str | None = None
    # A regex every code of the whole classification matches (e.g. any ICD-10 code); a value
    # that matches it but is not in the list is "out of scope" rather than "unknown".
    pattern: str | None = None
    _index: Mapping[str, CodeEntry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_index", {entry.code: entry for entry in self.entries})

    def __contains__(self, code: object) -> bool:
        return code in self._index

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, code: str) -> CodeEntry | None:
        return self._index.get(code)

    def codes(self) -> tuple[str, ...]:
        return tuple(entry.code for entry in self.entries)

    def title_text(self, lang: str = "en") -> str:
        return localized(self.title, lang)

    def in_classification(self, code: str) -> bool:
        return bool(self.pattern and re.fullmatch(self.pattern, code))

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"name": self.name, "title": dict(self.title), "source": self.source}
        if self.scope:
            data["scope"] = self.scope
        if self.pattern:
            data["pattern"] = self.pattern
        data["codes"] = [
            {"code": e.code, "label": dict(e.label), **dict(e.attributes)} for e in self.entries
        ]
        return data

    @classmethod
    def from_dict(cls, data: object, source: str = "<code list>") -> CodeList:
        reader = Reader(data, source, "", _LIST_KEYS)
        name = reader.get("name", str, required=True)
        pattern = reader.get("pattern", str)
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as error:
                raise reader.fail("pattern", f"not a valid regular expression ({error})") from None
        entries = []
        seen: set[str] = set()
        for i, item in enumerate(reader.get("codes", list, required=True)):
            if not isinstance(item, Mapping):
                raise reader.fail(f"codes[{i}]", "must be a JSON object")
            # Any further keys are the entry's attributes (hospital: trust, region, ...).
            entry = reader.child(item, f"codes[{i}]", _ENTRY_KEYS_BASE | frozenset(item))
            code = entry.get("code", str, required=True)
            if code in seen:
                raise entry.fail("code", f"duplicate code {code!r}")
            seen.add(code)
            attributes = {k: v for k, v in item.items() if k not in _ENTRY_KEYS_BASE}
            entries.append(CodeEntry(code, entry.text("label", required=True) or {}, attributes))
        if not reader.has("source"):
            raise reader.fail("source", "missing (say where the codes come from)")
        return cls(
            name=name,
            title=reader.text("title", required=True) or {},
            source=str(reader.raw("source")),
            entries=tuple(entries),
            scope=reader.get("scope", str),
            pattern=pattern,
        )


def load_code_list(path: Path) -> CodeList:
    code_list = CodeList.from_dict(read_json(path), str(path))
    if code_list.name != path.stem:
        raise DefinitionError(
            str(path), "name", f"is {code_list.name!r} but the file is named {path.stem!r}"
        )
    return code_list
