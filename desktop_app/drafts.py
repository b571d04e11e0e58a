"""Drafts: create, find, open (moving old drafts to the latest form version), validate and
submit messages (submit = validate, freeze, queue)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from desktop_app.forms import Catalogue, Change, FormDefinition, Issue, validate
from desktop_app.prefill import SessionLike, envelope_defaults, with_defaults
from desktop_app.reminder_drafts import reminder_values
from local_cache import InvalidTransition, MessageRecord, MessageState

log = logging.getLogger(__name__)

# A message in one of these states already reports the patient's form (or is about to).
EXISTING_STATES = (
    MessageState.DRAFT,
    MessageState.QUEUED,
    MessageState.SENDING,
    MessageState.RECEIPTED,
)


@dataclass(frozen=True)
class ExistingReports:
    """The owner's reports of one form for one patient (newest changed first), and when the
    registry received the one to offer (when it has a receipt here)."""

    records: list[MessageRecord]
    received_at: str | None = None

    @property
    def offered(self) -> MessageRecord:
        """The record to offer: one the user can still work on first (EXISTING_STATES)."""
        return min(self.records, key=lambda r: EXISTING_STATES.index(r.state))

    def __bool__(self) -> bool:
        return bool(self.records)


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
    """One clinician's drafts (`owner`): another user's message is unknown here (KeyError),
    also over a cache that is not bound to the owner (tools, tests)."""

    def __init__(self, cache: Any, catalogue: Catalogue, autosaver: Any, owner: str) -> None:
        self.cache = cache
        self.catalogue = catalogue
        self.autosaver = autosaver
        self.owner = owner

    def new_draft(
        self,
        registry: str,
        form: str,
        values: dict | None = None,
        *,
        session: SessionLike | None = None,
        today: date | None = None,
        reminder_id: str | None = None,
    ) -> MessageRecord:
        """A new draft on the latest version of the form, with `values` as its first answers
        (only fields the form has; others would be `field.unknown` issues on every check).
        With the signed-in `session`, the reporting institution, reporter and report date
        the form asks for are filled in too, unless `values` answers them. A draft made from
        a reminder keeps its `reminder_id` and sends it with the message."""
        definition = self.catalogue.latest(registry, form)
        if session is not None:
            defaults = envelope_defaults(definition, session, today or date.today())
            values = with_defaults(values, defaults)
        first = {k: v for k, v in (values or {}).items() if definition.has_field(k)}
        return self.cache.messages.create_draft(
            self.owner, registry, form, definition.version, first, reminder_id=reminder_id
        )

    def new_draft_for_reminder(
        self,
        reminder: Mapping[str, Any],
        *,
        session: SessionLike | None = None,
        lang: str = "en",
        today: date | None = None,
    ) -> MessageRecord:
        """A new draft of the form `reminder` asks for, with what the reminder knows as first
        answers (desktop_app.reminder_drafts: the patient, or for a patient without a
        Norwegian number the registry's case id; the diagnosis date of a reminder made from a
        pathology diagnosis), keeping the reminder's id. KeyError when the form is not
        installed."""
        registry, form = str(reminder.get("registry") or ""), str(reminder.get("form") or "")
        definition = self.catalogue.latest(registry, form)
        values = reminder_values(reminder, definition, lang)
        return self.new_draft(
            registry,
            form,
            values,
            session=session,
            today=today,
            reminder_id=str(reminder.get("id") or "") or None,
        )

    def existing_reports(self, registry: str, form: str, patient_id: str | None) -> ExistingReports:
        """find_existing, with the date the registry received the one to offer (its
        receipt's, read without decoding anything). Reads the cache: not on the GUI thread."""
        records = self.find_existing(registry, form, patient_id)
        if not records:
            return ExistingReports([])
        offered = ExistingReports(records).offered
        received = None
        if offered.receipt_id:
            received = self.cache.receipts.received_at(offered.receipt_id)
        return ExistingReports(records, received)

    def find_existing(
        self, registry: str, form: str, patient_id: str | None
    ) -> list[MessageRecord]:
        """The owner's drafts, unsent and receipted messages of this form for this patient,
        newest changed first (empty when there is no number to match on)."""
        if not patient_id or not patient_id.strip():
            return []
        return self.cache.messages.find_by_patient(
            self.owner, registry, form, patient_id, states=EXISTING_STATES
        )

    def open(self, message_id: str) -> tuple[MessageRecord, FormDefinition]:
        """The message and the definition to show it with; a draft on an older form version
        is first moved to the newest version a migration leads to (see open_with_changes)."""
        record, definition, _changes = self.open_with_changes(message_id)
        return record, definition

    def open_with_changes(
        self, message_id: str
    ) -> tuple[MessageRecord, FormDefinition, list[Change]]:
        """Like open(), plus what moving the draft to newer versions changed, every time it
        is opened until acknowledge_changes() (or submit): a removed answer is kept only
        there, so the user must be able to come back to it. Empty when nothing moved.

        Only drafts move: a queued or receipted message stays on the version it was sent
        with. Without a migration path a draft opens on its own version; only when that
        version is not installed either is FormUnavailableError raised (values untouched)."""
        record = self._moved_if_needed(self._own(message_id))
        return record, self._definition(record), _changes_of(record)

    def acknowledge_changes(self, message_id: str) -> None:
        """The user has checked what moving the draft changed: stop showing it (the answers
        a move removed are then gone for good)."""
        self._own(message_id)
        self.cache.messages.clear_migration_changes(message_id)

    def _moved_if_needed(self, record: MessageRecord) -> MessageRecord:
        """The draft, moved to the newest version a migration leads to (stored together with
        what the move changed), or as it is."""
        if record.state != MessageState.DRAFT:
            return record
        try:
            latest = self.catalogue.latest(record.registry, record.form)
        except KeyError:
            raise FormUnavailableError(record.registry, record.form, record.form_version) from None
        if record.form_version == latest.version or (
            (record.registry, record.form, record.form_version) not in self.catalogue
        ):
            return record
        migration = self.catalogue.migrate(
            record.values, record.registry, record.form, record.form_version
        )
        if migration.version == record.form_version:
            return record  # no path: opened as it was made
        try:
            moved = self.cache.messages.migrate_draft(
                record.id,
                migration.version,
                migration.values,
                from_version=record.form_version,
                changes=[_change_to_dict(change) for change in migration.changes],
            )
        except InvalidTransition:
            # Someone else (another window, the sync engine) changed it first: show it as now.
            log.info("Draft changed while being moved to a new form version; reopened as it is")
            return self._own(record.id)
        log.info(
            "Draft moved from form version %s to %s (%d changes)",
            record.form_version,
            migration.version,
            len(migration.changes),
        )
        return moved

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
        if record.reminder_id:
            # The registry resolves this reminder with the message, also for a patient
            # without a Norwegian number.
            body["reminder_id"] = record.reminder_id
        self.cache.messages.submit(message_id, body)
        return issues

    def _own(self, message_id: str) -> MessageRecord:
        record = self.cache.messages.get(message_id)
        if record.owner != self.owner:
            raise KeyError(message_id)
        return record

    def delete(self, message_id: str) -> None:
        """Delete the owner's draft (KeyError for another user's)."""
        self._own(message_id)
        self.cache.messages.delete_draft(message_id)

    def _definition(self, record: MessageRecord) -> FormDefinition:
        try:
            return self.catalogue.get(record.registry, record.form, record.form_version)
        except KeyError:
            raise FormUnavailableError(record.registry, record.form, record.form_version) from None


# Change.to_dict() is for reports (English message, no labels); the cache keeps every field so
# the banner can be shown again in any language.
_CHANGE_FIELDS = frozenset(f.name for f in dataclasses.fields(Change))


def _change_to_dict(change: Change) -> dict[str, Any]:
    stored: dict[str, Any] = {}
    for name in _CHANGE_FIELDS:
        value = getattr(change, name)
        stored[name] = dict(value) if isinstance(value, Mapping) else value
    return stored


def _changes_of(record: MessageRecord) -> list[Change]:
    # Keys this version does not know (written by a newer one) are left out, not fatal.
    return [
        Change(**{k: v for k, v in stored.items() if k in _CHANGE_FIELDS})
        for stored in record.migration_changes
    ]
