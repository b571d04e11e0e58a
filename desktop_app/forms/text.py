"""Texts in the user-interface languages (Norwegian Bokmål and English)."""

from __future__ import annotations

from collections.abc import Mapping
from string import Formatter

LANGUAGES = ("nb", "en")
DEFAULT_LANGUAGE = "en"


def localized(texts: Mapping[str, str] | None, lang: str = DEFAULT_LANGUAGE) -> str:
    """The text in `lang`, else English, else Bokmål, else any; "" when there is none."""
    if not texts:
        return ""
    for candidate in (lang, DEFAULT_LANGUAGE, "nb"):
        if texts.get(candidate):
            return texts[candidate]
    return next(iter(texts.values()), "")


class _KeepMissing(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(template: str, params: Mapping[str, object]) -> str:
    """`template.format(**params)`, leaving unknown placeholders visible instead of failing."""
    try:
        return template.format_map(_KeepMissing(params))
    except (ValueError, IndexError, AttributeError):
        return template


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(template) if name}
