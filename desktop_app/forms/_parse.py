"""Small helpers that read resource JSON strictly and name the bad key when it is wrong."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import DefinitionError
from .text import LANGUAGES

# Keys an author may add anywhere to say where a fact comes from or what is uncertain.
DOC_KEYS = frozenset({"source", "note"})


def read_json(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except json.JSONDecodeError as error:
        raise DefinitionError(
            str(path), f"line {error.lineno} column {error.colno}", f"not valid JSON ({error.msg})"
        ) from error


class Reader:
    """Reads one JSON object, remembering the file and key path for error messages."""

    def __init__(self, data: object, source: str, where: str, allowed: frozenset[str]) -> None:
        if not isinstance(data, Mapping):
            raise DefinitionError(source, where or "(top level)", "must be a JSON object")
        self.data = data
        self.source = source
        self.where = where
        for key in data:
            if key not in allowed and key not in DOC_KEYS:
                raise DefinitionError(source, self.key(key), "unknown key (misspelt?)")

    def key(self, name: str) -> str:
        return f"{self.where}.{name}" if self.where else name

    def fail(self, name: str, problem: str) -> DefinitionError:
        return DefinitionError(self.source, self.key(name), problem)

    def has(self, name: str) -> bool:
        return name in self.data

    def raw(self, name: str, default: Any = None) -> Any:
        return self.data.get(name, default)

    def get(self, name: str, kind: type | tuple[type, ...], *, required: bool = False) -> Any:
        if name not in self.data:
            if required:
                raise self.fail(name, "missing")
            return None
        value = self.data[name]
        is_bool = isinstance(value, bool)
        wants_bool = kind is bool or (isinstance(kind, tuple) and bool in kind)
        if not isinstance(value, kind) or (is_bool and not wants_bool):
            names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            raise self.fail(name, f"must be {names}, not {type(value).__name__}")
        return value

    def text(self, name: str, *, required: bool = False) -> dict[str, str] | None:
        """A text in every UI language: {"nb": "...", "en": "..."}."""
        value = self.get(name, dict, required=required)
        if value is None:
            return None
        for lang in LANGUAGES:
            if not isinstance(value.get(lang), str) or not value[lang].strip():
                raise self.fail(name, f'needs a non-empty "{lang}" text')
        extra = set(value) - set(LANGUAGES)
        if extra:
            raise self.fail(f"{name}.{sorted(extra)[0]}", "unknown language")
        return dict(value)

    def child(self, data: object, name: str, allowed: frozenset[str]) -> Reader:
        return Reader(data, self.source, self.key(name), allowed)
