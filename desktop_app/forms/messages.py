"""Built-in message texts (`resources/forms/messages.json`), keyed by stable message keys."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from pathlib import Path

from ..resources import resources_dir
from ._parse import read_json
from .errors import DefinitionError
from .text import LANGUAGES, localized


def messages_path() -> Path:
    return resources_dir() / "forms" / "messages.json"


@functools.cache
def load_messages(path: Path | None = None) -> Mapping[str, Mapping[str, str]]:
    """{key: {"nb": ..., "en": ...}}; checked once so a missing translation fails at start."""
    path = path or messages_path()
    data = read_json(path)
    if not isinstance(data, dict):
        raise DefinitionError(str(path), "(top level)", "must be a JSON object")
    messages: dict[str, Mapping[str, str]] = {}
    for key, texts in data.items():
        if key in ("source", "note"):
            continue
        if not isinstance(texts, dict) or any(
            not isinstance(texts.get(lang), str) or not texts[lang] for lang in LANGUAGES
        ):
            raise DefinitionError(str(path), key, f"needs a non-empty text for each of {LANGUAGES}")
        messages[key] = dict(texts)
    return messages


def message_texts(key: str) -> Mapping[str, str] | None:
    return load_messages().get(key)


def message_text(key: str, lang: str = "en") -> str:
    """The built-in text for `key` in `lang` (placeholders unfilled); the key when unknown."""
    texts = message_texts(key)
    return localized(texts, lang) if texts else key
