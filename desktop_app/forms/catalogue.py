"""The catalogue: every form definition and code list shipped in `resources/`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

from ..resources import resources_dir
from ._parse import read_json
from .codelists import CodeList, load_code_list
from .errors import DefinitionError
from .model import FormDefinition

_FORM_FILE = re.compile(r"^(?P<form>[a-z][a-z0-9_]*)\.v(?P<version>[1-9][0-9]*)\.json$")


class Catalogue:
    def __init__(
        self, forms: Iterable[FormDefinition], code_lists: Mapping[str, CodeList] | None = None
    ) -> None:
        self._forms: dict[tuple[str, str, int], FormDefinition] = {}
        for definition in forms:
            if definition.key in self._forms:
                raise DefinitionError(
                    definition.source,
                    "version",
                    f"{definition.key} is also defined in {self._forms[definition.key].source}",
                )
            self._forms[definition.key] = definition
        self._code_lists = dict(code_lists or {})

    def get(self, registry: str, form: str, version: int) -> FormDefinition:
        try:
            return self._forms[(registry, form, int(version))]
        except KeyError:
            raise KeyError(
                f"No form {registry}/{form} version {version} in the catalogue"
            ) from None

    def latest(self, registry: str, form: str) -> FormDefinition:
        versions = [d for (r, f, _), d in self._forms.items() if (r, f) == (registry, form)]
        if not versions:
            raise KeyError(f"No form {registry}/{form} in the catalogue")
        return max(versions, key=lambda d: d.version)

    def forms(self) -> list[FormDefinition]:
        """Every definition, sorted by registry, form and version."""
        return [self._forms[key] for key in sorted(self._forms)]

    def registries(self) -> list[str]:
        return sorted({registry for registry, _, _ in self._forms})

    def code_list(self, name: str) -> CodeList:
        try:
            return self._code_lists[name]
        except KeyError:
            raise KeyError(f"No code list {name!r} in the catalogue") from None

    def code_lists(self) -> dict[str, CodeList]:
        return dict(self._code_lists)

    def __contains__(self, key: object) -> bool:
        return key in self._forms

    def __len__(self) -> int:
        return len(self._forms)


def load_code_lists(codelists_dir: Path | None = None) -> dict[str, CodeList]:
    directory = Path(codelists_dir) if codelists_dir else resources_dir() / "codelists"
    return {path.stem: load_code_list(path) for path in sorted(directory.glob("*.json"))}


def load_definition(path: Path, code_lists: Mapping[str, CodeList]) -> FormDefinition:
    """One `resources/forms/<registry>/<form>.v<version>.json`; its name must match its content."""
    match = _FORM_FILE.match(path.name)
    if match is None:
        raise DefinitionError(str(path), "(file name)", "must look like <form>.v<version>.json")
    definition = FormDefinition.from_dict(read_json(path), code_lists, source=str(path))
    expected = (path.parent.name, match["form"], int(match["version"]))
    if definition.key != expected:
        raise DefinitionError(
            str(path),
            "registry/form/version",
            f"say {definition.key} but the file's place and name say {expected}",
        )
    return definition


def load_catalogue(forms_dir: Path | None = None, codelists_dir: Path | None = None) -> Catalogue:
    """Load and check every definition; a malformed file stops the load with its name and key."""
    forms_dir = Path(forms_dir) if forms_dir else resources_dir() / "forms"
    code_lists = load_code_lists(codelists_dir)
    # Definitions sit one folder down (per registry); top-level files such as messages.json
    # are not definitions.
    paths = sorted(p for p in forms_dir.glob("*/*.json"))
    return Catalogue((load_definition(p, code_lists) for p in paths), code_lists)
