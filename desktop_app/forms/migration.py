"""Form versions: how a newer definition is reached from the one before it.

A definition may declare
    "migration": {"from_version": 1, "renames": {"old": "new"}, "removals": ["field"],
                  "code_remaps": {"field": {"old_code": "new_code"}},
                  "previous_accepted_until": "YYYY-MM-DD", "note": {"nb": ..., "en": ...}}
Renames, removals and remaps apply to top-level answers and to the answers inside repeat-group
rows. A `code_remaps` key may be the field's id in either version.
"""

from __future__ import annotations

import copy
import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ._parse import Reader
from .conditions import is_answered
from .messages import message_texts
from .text import fill, localized

_MIGRATION_KEYS = frozenset(
    {"from_version", "renames", "removals", "code_remaps", "previous_accepted_until", "note"}
)
CHANGE_KINDS = ("renamed", "removed", "remapped")


@dataclass(frozen=True)
class MigrationDef:
    from_version: int
    renames: Mapping[str, str] = field(default_factory=dict)
    removals: tuple[str, ...] = ()
    code_remaps: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    previous_accepted_until: datetime.date | None = None
    note: Mapping[str, str] | None = None

    def note_text(self, lang: str = "en") -> str:
        return localized(self.note, lang)

    def remaps_for(self, old_id: str, new_id: str) -> Mapping[str, str]:
        return self.code_remaps.get(new_id) or self.code_remaps.get(old_id) or {}

    @classmethod
    def from_reader(cls, r: Reader, version: int) -> MigrationDef:
        from_version = r.get("from_version", int, required=True)
        if not 1 <= from_version < version:
            raise r.fail("from_version", f"must be an earlier version than {version}")
        renames = r.get("renames", dict) or {}
        for old, new in renames.items():
            if not isinstance(new, str) or not new:
                raise r.fail(f"renames.{old}", "must be the new field id")
        if len(set(renames.values())) != len(renames):
            raise r.fail("renames", "two fields are renamed to the same id")
        removals = r.get("removals", list) or []
        if not all(isinstance(name, str) for name in removals):
            raise r.fail("removals", "must be a list of field ids")
        overlap = set(removals) & set(renames)
        if overlap:
            raise r.fail("removals", f"{sorted(overlap)[0]!r} is also renamed")
        remaps = r.get("code_remaps", dict) or {}
        for name, mapping in remaps.items():
            if (
                not isinstance(mapping, dict)
                or not mapping
                or not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items())
            ):
                raise r.fail(f"code_remaps.{name}", 'must map codes: {"old": "new", ...}')
        until = r.get("previous_accepted_until", str)
        until_date = None
        if until is not None:
            try:
                until_date = datetime.date.fromisoformat(until)
            except ValueError:
                raise r.fail("previous_accepted_until", "must be a date YYYY-MM-DD") from None
        note = r.raw("note")
        return cls(
            from_version=from_version,
            renames=dict(renames),
            removals=tuple(removals),
            code_remaps={k: dict(v) for k, v in remaps.items()},
            previous_accepted_until=until_date,
            note=r.text("note") if isinstance(note, dict) else None,
        )


@dataclass(frozen=True)
class Change:
    """One thing a migration did to a draft's answers, to show the user."""

    kind: str  # "renamed" | "removed" | "remapped"
    field: str  # the field's id in the new version ("removed": in the old one)
    old: Any  # renamed: old id; removed: the dropped answer; remapped: old code
    new: Any  # renamed: new id; removed: None; remapped: new code
    version: int | None = None  # the version the change led to
    label: Mapping[str, str] | None = None  # the field's label
    old_text: Mapping[str, str] | None = None  # remapped: the old code's label
    new_text: Mapping[str, str] | None = None  # remapped: the new code's label

    def message(self, lang: str = "en") -> str:
        label = localized(self.label, lang) or self.field
        params = {
            "field": self.field,
            "label": label,
            "old": _shown(self.old, self.old_text, lang),
            "new": _shown(self.new, self.new_text, lang),
            "version": self.version if self.version is not None else "",
        }
        texts = message_texts(f"migration.{self.kind}") or {"en": self.kind}
        return fill(localized(texts, lang), params)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "field": self.field,
            "old": self.old,
            "new": self.new,
            "version": self.version,
            "message": self.message("en"),
        }


def _shown(value: Any, text: Mapping[str, str] | None, lang: str) -> str:
    if text:
        label = localized(text, lang)
        return label if str(value) in label else f"{label} ({value})"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Migration:
    """The answers moved to `version`, and what changed on the way (empty: nothing)."""

    values: dict[str, Any]
    version: int
    changes: list[Change] = field(default_factory=list)


def apply_migration(
    step: MigrationDef,
    values: Mapping[str, Any],
    old_fields: Mapping[str, Any],
    new_fields: Mapping[str, Any],
    version: int,
) -> tuple[dict[str, Any], list[Change]]:
    """One step. `old_fields`/`new_fields`: {id: FieldDef} of both versions (every field,
    row fields included), used for the labels shown to the user."""
    changes: list[Change] = []
    out = _migrate_mapping(step, values, old_fields, new_fields, version, changes)
    return out, changes


def _migrate_mapping(
    step: MigrationDef,
    values: Mapping[str, Any],
    old_fields: Mapping[str, Any],
    new_fields: Mapping[str, Any],
    version: int,
    changes: list[Change],
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in values.items():
        value = copy.deepcopy(value)
        if key in step.removals:
            if is_answered(value):
                label = getattr(old_fields.get(key), "label", None)
                changes.append(Change("removed", key, value, None, version, label))
            continue
        new_key = step.renames.get(key, key)
        new_field = new_fields.get(new_key)
        label = getattr(new_field, "label", None)
        if new_key != key and is_answered(value):
            changes.append(Change("renamed", new_key, key, new_key, version, label))
        if isinstance(value, list) and value and all(isinstance(v, Mapping) for v in value):
            value = [
                _migrate_mapping(step, row, old_fields, new_fields, version, changes)
                for row in value
            ]
        else:
            value = _remap(step, key, new_key, value, version, label, old_fields, new_field)
            if isinstance(value, tuple):
                value, change = value
                changes.append(change)
        out[new_key] = value
    return out


def _remap(
    step: MigrationDef,
    old_key: str,
    new_key: str,
    value: Any,
    version: int,
    label: Mapping[str, str] | None,
    old_fields: Mapping[str, Any],
    new_field: Any,
) -> Any:
    mapping = step.remaps_for(old_key, new_key)
    if not mapping:
        return value
    codes = value if isinstance(value, list) else [value]
    if not any(isinstance(c, str) and c in mapping for c in codes):
        return value
    remapped = [mapping.get(c, c) if isinstance(c, str) else c for c in codes]
    if isinstance(value, list):
        remapped = list(dict.fromkeys(remapped))  # two old codes may meet in one new code
        new_value: Any = remapped
        old_text = new_text = None
    else:
        new_value = remapped[0]
        old_text = _code_label(old_fields.get(old_key), value)
        new_text = _code_label(new_field, new_value)
    change = Change("remapped", new_key, value, new_value, version, label, old_text, new_text)
    return new_value, change


def _code_label(f: Any, code: str) -> Mapping[str, str] | None:
    entry = f.entry(code) if f is not None and hasattr(f, "entry") else None
    return entry.label if entry is not None else None
