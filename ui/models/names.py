"""Display names of registries and forms, from the form catalogue in the user's language."""

from __future__ import annotations

from desktop_app.forms import Catalogue
from desktop_app.forms.text import localized


class CatalogueNames:
    def __init__(self, catalogue: Catalogue, lang: str) -> None:
        self._catalogue = catalogue
        self._lang = lang

    @property
    def lang(self) -> str:
        return self._lang

    @property
    def catalogue(self) -> Catalogue:
        return self._catalogue

    def registry(self, registry: str) -> str:
        try:
            return self._catalogue.registry(registry).title_text(self._lang)
        except KeyError:  # a reminder or old message for a registry this version lacks
            return registry.replace("_", " ").capitalize()

    def form(self, registry: str, form: str, version: int | None = None) -> str:
        try:
            definition = (
                self._catalogue.get(registry, form, version)
                if version is not None
                else self._catalogue.latest(registry, form)
            )
        except KeyError:
            return form.replace("_", " ").capitalize()
        return localized(definition.title, self._lang) or form
