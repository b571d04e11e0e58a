"""Validation issues: what is wrong, where (the field id), and how to say it in each language."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .messages import message_texts
from .text import fill, localized

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True)
class Issue:
    path: str  # the field id
    severity: str  # "error" blocks submission; "warning" does not
    key: str  # stable message key, e.g. "required", "check:<check id>"
    params: Mapping[str, Any] = field(default_factory=dict)
    # The texts of a form's own check ({"nb": ..., "en": ...}); built-in keys leave it None
    # and take their texts from messages.json.
    text: Mapping[str, str] | None = None

    def __hash__(self) -> int:  # params may hold lists; equal issues share these three
        return hash((self.path, self.severity, self.key))

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def message(self, lang: str = "en") -> str:
        texts = self.text or message_texts(self.key) or message_texts("unknown_problem")
        return fill(localized(texts, lang), {"key": self.key, **self.params})

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "path": self.path,
            "severity": self.severity,
            "key": self.key,
            "params": dict(self.params),
            "message": self.message("en"),
        }
        if self.text is not None:
            data["text"] = dict(self.text)
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Issue:
        key = str(data["key"])
        text = data.get("text")
        if text is None and message_texts(key) is None and data.get("message"):
            # An issue from a newer server: keep its English sentence rather than lose it.
            text = {"en": str(data["message"])}
        return cls(
            path=str(data.get("path", "")),
            severity=str(data.get("severity", ERROR)),
            key=key,
            params=dict(data.get("params") or {}),
            text=dict(text) if text is not None else None,
        )
