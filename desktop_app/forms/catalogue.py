"""The catalogue: every form definition, code list and registry shipped in `resources/`."""

from __future__ import annotations

import copy
import datetime
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from ..resources import resources_dir
from ._parse import read_json
from .codelists import CodeList, load_code_list
from .errors import DefinitionError
from .fragments import FRAGMENTS_FOLDER, load_fragments
from .migration import Migration, MigrationDef, apply_migration
from .model import FormDefinition
from .registries import RegistryDef, RegistryIndex, load_registries
from .text import localized

_FORM_FILE = re.compile(r"^(?P<form>[a-z][a-z0-9_]*)\.v(?P<version>[1-9][0-9]*)\.json$")


class Catalogue:
    def __init__(
        self,
        forms: Iterable[FormDefinition],
        code_lists: Mapping[str, CodeList] | None = None,
        registries: RegistryIndex | None = None,
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
        self._index = registries or _index_from_forms(self._forms.values())
        self._registries = {r.id: r for r in self._index.registries}
        for definition in self._forms.values():
            self._check_place(definition)
            if definition.migration is not None:
                self._check_migration(definition, definition.migration)

    # Forms ---------------------------------------------------------------------------------

    def get(self, registry: str, form: str, version: int) -> FormDefinition:
        try:
            return self._forms[(registry, form, int(version))]
        except KeyError:
            raise KeyError(
                f"No form {registry}/{form} version {version} in the catalogue"
            ) from None

    def latest(self, registry: str, form: str) -> FormDefinition:
        versions = self._versions(registry, form)
        if not versions:
            raise KeyError(f"No form {registry}/{form} in the catalogue")
        return versions[-1]

    def versions(self, registry: str, form: str) -> list[int]:
        return [d.version for d in self._versions(registry, form)]

    def forms(self) -> list[FormDefinition]:
        """Every definition, sorted by registry, form and version."""
        return [self._forms[key] for key in sorted(self._forms)]

    def latest_forms(self, registry: str) -> list[FormDefinition]:
        """The latest version of each form of `registry` present, in pathway-step order (then
        the registry's own order of its forms). A listed form not yet present is left out."""
        listed = self._registries[registry].forms if registry in self._registries else ()
        steps = list(self._index.pathway_steps)
        names = sorted({f for (r, f, _) in self._forms if r == registry})
        latest = [self.latest(registry, name) for name in names]

        def order(d: FormDefinition) -> tuple[int, int, str]:
            step = steps.index(d.pathway_step) if d.pathway_step in steps else len(steps)
            place = listed.index(d.form) if d.form in listed else len(listed)
            return (step, place, d.form)

        return sorted(latest, key=order)

    def __contains__(self, key: object) -> bool:
        return key in self._forms

    def __len__(self) -> int:
        return len(self._forms)

    # Registries and pathway steps ---------------------------------------------------------

    def registries(self) -> list[RegistryDef]:
        """Every registry, in the order of registries.json."""
        return list(self._index.registries)

    def registry(self, registry_id: str) -> RegistryDef:
        try:
            return self._registries[registry_id]
        except KeyError:
            raise KeyError(f"No registry {registry_id!r} in the catalogue") from None

    def pathway_steps(self) -> list[str]:
        return list(self._index.pathway_steps)

    def step_title(self, step: str, lang: str = "en") -> str:
        texts = self._index.pathway_steps.get(step)
        return localized(texts, lang) if texts else step.replace("_", " ").capitalize()

    # Code lists ---------------------------------------------------------------------------

    def code_list(self, name: str) -> CodeList:
        try:
            return self._code_lists[name]
        except KeyError:
            raise KeyError(f"No code list {name!r} in the catalogue") from None

    def code_lists(self) -> dict[str, CodeList]:
        return dict(self._code_lists)

    # Versions -----------------------------------------------------------------------------

    def migrate(
        self, values: Mapping[str, Any], registry: str, form: str, from_version: int
    ) -> Migration:
        """The answers of a draft on `from_version` moved, step by step, as far as declared
        migrations lead (the latest version when the chain is complete). Values are copied."""
        current = self.get(registry, form, from_version)
        moved: dict[str, Any] = copy.deepcopy(dict(values))
        changes = []
        while (following := self._migrates_from(current)) is not None:
            assert following.migration is not None
            moved, step_changes = apply_migration(
                following.migration,
                moved,
                {f.id: f for f in current.all_fields()},
                {f.id: f for f in following.all_fields()},
                following.version,
            )
            changes += step_changes
            current = following
        return Migration(moved, current.version, changes)

    def current_values(
        self, values: Mapping[str, Any], registry: str, form: str, version: int
    ) -> Mapping[str, Any]:
        """A stored message's answers as the newest version names them, for code that reads
        many messages by field id (reminder rules, statistics): an older version's moved by
        its migrations, others as they are (also when the form is not in the catalogue)."""
        try:
            if version >= self.latest(registry, form).version:
                return values
            return self.migrate(values, registry, form, version).values
        except KeyError:
            return values

    def accepted_until(self, registry: str, form: str, version: int) -> datetime.date | None:
        """The last day an older version is accepted: the `previous_accepted_until` of the
        version after it. None for the latest version (no end) and when none is declared
        (then `accepts` says no)."""
        self.get(registry, form, version)
        after = [d for d in self._versions(registry, form) if d.version > int(version)]
        if not after or after[0].migration is None:
            return None
        return after[0].migration.previous_accepted_until

    def accepts(
        self, registry: str, form: str, version: int, today: datetime.date | None = None
    ) -> bool:
        """Whether a message on this version is accepted on `today`: the latest always, an
        older one until its `accepted_until`; an unknown version never."""
        if (registry, form, int(version)) not in self._forms:
            return False
        if self.latest(registry, form).version == int(version):
            return True
        until = self.accepted_until(registry, form, version)
        return until is not None and (today or datetime.date.today()) <= until

    # Internals ----------------------------------------------------------------------------

    def _versions(self, registry: str, form: str) -> list[FormDefinition]:
        found = [d for (r, f, _), d in self._forms.items() if (r, f) == (registry, form)]
        return sorted(found, key=lambda d: d.version)

    def _migrates_from(self, definition: FormDefinition) -> FormDefinition | None:
        for later in self._versions(definition.registry, definition.form):
            if later.migration is not None and later.migration.from_version == definition.version:
                return later
        return None

    def _check_place(self, definition: FormDefinition) -> None:
        if definition.registry not in self._registries:
            known = ", ".join(self._registries)
            raise DefinitionError(
                definition.source,
                "registry",
                f"{definition.registry!r} is not a registry in registries.json (known: {known})",
            )
        step = definition.pathway_step
        if step is not None and step not in self._index.pathway_steps:
            raise DefinitionError(
                definition.source,
                "pathway_step",
                f"{step!r} is not a pathway step in registries.json "
                f"(known: {', '.join(self._index.pathway_steps)})",
            )

    def _check_migration(self, new: FormDefinition, step: MigrationDef) -> None:
        source = new.source
        old = self._forms.get((new.registry, new.form, step.from_version))
        if old is None:
            raise DefinitionError(
                source,
                "migration.from_version",
                f"there is no version {step.from_version} of {new.registry}/{new.form}; keep "
                "older definitions in resources/forms so drafts on them can be opened",
            )
        rivals = [
            d.source
            for d in self._versions(new.registry, new.form)
            if d is not new and d.migration and d.migration.from_version == step.from_version
        ]
        if rivals:
            raise DefinitionError(
                source, "migration.from_version", f"{rivals[0]} also migrates from it"
            )
        for name in (*step.renames, *step.removals):
            if not old.has_field(name):
                raise DefinitionError(
                    source, "migration", f"{name!r} is not a field of version {old.version}"
                )
        for f in old.all_fields():
            new_id = step.renames.get(f.id, f.id)
            if f.id in step.removals:
                continue
            if not new.has_field(new_id):
                raise DefinitionError(
                    source,
                    "migration",
                    f"field {f.id!r} of version {old.version} is not in this version: declare "
                    "it under renames or removals so drafts keep their answers or say why not",
                )
            target = new.field(new_id)
            if not (f.is_choice and target.is_choice):
                continue
            remap = step.remaps_for(f.id, new_id)
            for old_code in remap:
                if f.entry(old_code) is None:
                    raise DefinitionError(
                        source,
                        f"migration.code_remaps.{new_id}.{old_code}",
                        f"{old_code!r} is not a code of {f.id!r} in version {old.version}",
                    )
            lost = sorted(f.allowed_codes() - target.allowed_codes() - set(remap))
            if lost:
                raise DefinitionError(
                    source,
                    f"migration.code_remaps.{new_id}",
                    f"code {lost[0]!r} of version {old.version} is not in this version; "
                    "remap it to a code of this version",
                )


def _index_from_forms(forms: Iterable[FormDefinition]) -> RegistryIndex:
    """For a catalogue built without registries.json: every registry its forms name."""
    by_registry: dict[str, list[str]] = {}
    steps: dict[str, dict[str, str]] = {}
    for d in sorted(forms, key=lambda d: d.key):
        names = by_registry.setdefault(d.registry, [])
        if d.form not in names:
            names.append(d.form)
        if d.pathway_step:
            name = d.pathway_step.replace("_", " ").capitalize()
            steps.setdefault(d.pathway_step, {"nb": name, "en": name})
    registries = tuple(
        RegistryDef(r, {"nb": r, "en": r}, False, None, tuple(names))
        for r, names in by_registry.items()
    )
    return RegistryIndex(steps, registries, "<forms>")


def load_code_lists(codelists_dir: Path | None = None) -> dict[str, CodeList]:
    directory = Path(codelists_dir) if codelists_dir else resources_dir() / "codelists"
    return {path.stem: load_code_list(path) for path in sorted(directory.glob("*.json"))}


def load_definition(
    path: Path,
    code_lists: Mapping[str, CodeList],
    fragments: Mapping[str, Mapping[str, Any]] | None = None,
) -> FormDefinition:
    """One `resources/forms/<registry>/<form>.v<version>.json`; its name must match its content."""
    match = _FORM_FILE.match(path.name)
    if match is None:
        raise DefinitionError(str(path), "(file name)", "must look like <form>.v<version>.json")
    definition = FormDefinition.from_dict(
        read_json(path), code_lists, source=str(path), fragments=fragments
    )
    expected = (path.parent.name, match["form"], int(match["version"]))
    if definition.key != expected:
        raise DefinitionError(
            str(path),
            "registry/form/version",
            f"say {definition.key} but the file's place and name say {expected}",
        )
    return definition


def load_catalogue(
    forms_dir: Path | None = None,
    codelists_dir: Path | None = None,
    registries_path: Path | None = None,
) -> Catalogue:
    """Load and check every definition; a malformed file stops the load with its name and key.
    Registries come from `registries_path` (default resources/registries.json), shared
    sections from `<forms_dir>/_fragments`."""
    forms_dir = Path(forms_dir) if forms_dir else resources_dir() / "forms"
    code_lists = load_code_lists(codelists_dir)
    fragments = load_fragments(forms_dir / FRAGMENTS_FOLDER)
    # Definitions sit one folder down (per registry); top-level files such as messages.json
    # are not definitions, nor is anything in a folder starting with "_" (fragments).
    paths = sorted(p for p in forms_dir.glob("*/*.json") if not p.parent.name.startswith("_"))
    index = load_registries(registries_path)
    forms = [load_definition(p, code_lists, fragments) for p in paths]
    return Catalogue(forms, code_lists, index)
