"""Drafts: create, open, validate and submit messages (submit = validate, freeze, queue)."""

from __future__ import annotations

from typing import Any

from desktop_app.forms import Catalogue, FormDefinition, Issue, validate


class FormUnavailableError(KeyError):
    """The form definition a draft was started on is not installed."""

    def __init__(self, registry: str, form: str, version: int) -> None:
        self.message = (
            f"The form {registry}/{form} version {version} is not available on this computer. "
            "Update the application to open this draft."
        )
        super().__init__(self.message)

    def __str__(self) -> str:
        return self.message


class DraftService:
    def __init__(self, cache: Any, catalogue: Catalogue, autosaver: Any) -> None:
        self.cache = cache
        self.catalogue = catalogue
        self.autosaver = autosaver

    def new_draft(self, owner: str, registry: str, form: str) -> Any:
        """A new draft on the latest version of the form."""
        definition = self.catalogue.latest(registry, form)
        return self.cache.messages.create_draft(owner, registry, form, definition.version)

    def open(self, message_id: str) -> tuple[Any, FormDefinition]:
        record = self.cache.messages.get(message_id)
        return record, self._definition(record)

    def validate(self, message_id_or_definition: str | FormDefinition, values: dict) -> list[Issue]:
        definition = (
            self.open(message_id_or_definition)[1]
            if isinstance(message_id_or_definition, str)
            else message_id_or_definition
        )
        return validate(definition, values)

    def submit(self, message_id: str, values: dict) -> list[Issue]:
        """Queue the message if it has no errors; returns the issues (warnings only if queued)."""
        record, definition = self.open(message_id)
        issues = validate(definition, values)
        if any(issue.severity == "error" for issue in issues):
            return issues
        # A pending debounced save must land before the final one, never after it.
        self.autosaver.flush()
        self.cache.messages.save_values(message_id, values)
        body = {
            "message_id": record.id,
            "registry": record.registry,
            "form": record.form,
            "version": record.form_version,
            "values": definition.submitted_values(values),
        }
        self.cache.messages.submit(message_id, body)
        return issues

    def _definition(self, record: Any) -> FormDefinition:
        try:
            return self.catalogue.get(record.registry, record.form, record.form_version)
        except KeyError:
            raise FormUnavailableError(record.registry, record.form, record.form_version) from None
