"""Receipts of one user, and those of the user's unit fetched from the server, newest first.

Each row is worked out once, off the GUI thread (``fetch``): the patient from this computer's
own copy of the message (masked identity number and name) or "sent from another computer", the
form in words, local date and time, and the signature's verdict in words with its reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject

from desktop_app.receipt_signature import Verdict
from desktop_app.receipts.content import (
    ELSEWHERE,
    ON_THIS_PC,
    MessageFacts,
    message_facts,
    verdict_of,
)
from desktop_app.receipts.keys import demo_key_ids
from desktop_app.receipts.texts import local_when, parse_utc
from local_cache import ReceiptRecord
from ui.models.formatting import hash_prefix, mask_identity_number, tr
from ui.models.names import CatalogueNames
from ui.models.table_model import Column, RowTableModel

_CONTEXT = "ReceiptsModel"


@dataclass(frozen=True)
class ReceiptRow:
    """A receipt as the list shows it; other attributes are the record's (``receipt_id``...)."""

    record: ReceiptRecord
    facts: MessageFacts = field(compare=False, repr=False)
    patient: str
    patient_tip: str
    form: str
    received: str
    received_key: str
    signature: str
    signature_tip: str
    verified: bool  # valid, or not checked yet (checked at the next sync)
    demo_key: bool = False  # valid only with the public demo key: proves nothing

    def __getattr__(self, name: str) -> Any:
        # Only for names the row lacks: the record's fields (receipt_id, body_sha256, ...).
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.record, name)


def signature_words(verdict: Verdict | None, demo_key: bool = False) -> str:
    """The verdict as the Signature column shows it."""
    if verdict is Verdict.VALID and demo_key:
        return tr(_CONTEXT, "Valid, but signed with the public DEMO key")
    if verdict is None:
        return tr(_CONTEXT, "Not checked yet")
    return {
        Verdict.VALID: tr(_CONTEXT, "Valid"),
        Verdict.INVALID: tr(_CONTEXT, "NOT VALID"),
        Verdict.MALFORMED: tr(_CONTEXT, "NOT VALID (incomplete)"),
        Verdict.UNKNOWN_KEY: tr(_CONTEXT, "Unknown key"),
        Verdict.UNSIGNED: tr(_CONTEXT, "Unsigned"),
    }[verdict]


def signature_reason(verdict: Verdict | None, key_id: str, demo_key: bool = False) -> str:
    """Why the signature column says what it says (its tooltip)."""
    if verdict is Verdict.VALID and demo_key:
        return tr(
            _CONTEXT,
            "Valid, but signed with the public DEMO key: proves nothing outside a "
            "demonstration. Anyone can make receipts with this key ({0}).",
        ).format(key_id)
    if verdict is Verdict.VALID:
        return tr(_CONTEXT, "Signed by the registry with key {0}.").format(key_id)
    if verdict is Verdict.INVALID:
        return tr(
            _CONTEXT,
            "The signature does not match this receipt: it was changed after the registry "
            "signed it, or the registry did not sign it. Ask the registry before relying on it.",
        )
    if verdict is Verdict.MALFORMED:
        return tr(_CONTEXT, "A signed field of the receipt is missing, so it cannot be checked.")
    if verdict is Verdict.UNKNOWN_KEY:
        return tr(
            _CONTEXT,
            "Signed with key {0}, which this computer does not know. The receipt is checked "
            "again when the registry's keys are next fetched.",
        ).format(key_id or "?")
    if verdict is Verdict.UNSIGNED:
        return tr(
            _CONTEXT,
            "The registry issued this receipt before it signed receipts; it has no "
            "signature to check.",
        )
    return tr(_CONTEXT, "Not checked yet: it is checked at the next sync.")


class ReceiptsModel(RowTableModel):
    COL_PATIENT, COL_FORM, COL_RECEIVED, COL_SIGNATURE, COL_HASH, COL_RECEIPT_ID = range(6)

    def __init__(
        self,
        receipts,
        owner: str,
        names: CatalogueNames,
        parent: QObject | None = None,
        *,
        unit_id: object | None = None,
    ) -> None:
        super().__init__(parent)
        self._receipts = receipts
        self._owner = owner
        self._names = names
        # With the unit, receipts another user of this computer fetched for it are listed too.
        self.unit_id = unit_id
        # The public demo keys' ids: read with the first rows, off the GUI thread.
        self._demo_key_ids: frozenset[str] | None = None
        self.columns = (
            Column(tr(_CONTEXT, "Patient"), lambda r: r.patient, tooltip=lambda r: r.patient_tip),
            Column(tr(_CONTEXT, "Registry / form"), lambda r: r.form),
            Column(
                tr(_CONTEXT, "Received by the registry"),
                lambda r: r.received,
                sort_key=lambda r: r.received_key,
            ),
            Column(
                tr(_CONTEXT, "Signature"),
                lambda r: r.signature,
                tooltip=lambda r: r.signature_tip,
                warn=lambda r: not r.verified or r.demo_key,
            ),
            Column(
                tr(_CONTEXT, "Content fingerprint"),
                lambda r: hash_prefix(r.record.body_sha256),
                tooltip=lambda r: "SHA-256 " + r.record.body_sha256,
            ),
            Column(tr(_CONTEXT, "Receipt"), lambda r: r.record.receipt_id),
        )

    @property
    def owner(self) -> str:
        return self._owner

    def fetch(self) -> list[ReceiptRow]:
        if self._demo_key_ids is None:
            self._demo_key_ids = demo_key_ids()
        records = self._receipts.list(self._owner, self.unit_id)
        return [self.make_row(record) for record in records]

    def row_key(self, row: ReceiptRow) -> str:
        return row.record.receipt_id

    def make_row(self, record: ReceiptRecord) -> ReceiptRow:
        facts = message_facts(record, self._owner, check_copy=False)
        verdict = verdict_of(record)
        received = parse_utc(record.received_at)
        patient, patient_tip = self._patient(facts)
        key_id = str(record.raw.get("key_id") or "")
        demo = verdict is Verdict.VALID and key_id in (self._demo_key_ids or demo_key_ids())
        return ReceiptRow(
            record=record,
            facts=facts,
            patient=patient,
            patient_tip=patient_tip,
            form=self._form(record),
            received=local_when(record.received_at, self._names.lang),
            received_key=received.isoformat() if received else record.received_at,
            signature=signature_words(verdict, demo),
            signature_tip=signature_reason(verdict, key_id, demo),
            # Not checked yet is not a warning: it is checked at the next sync.
            verified=verdict in (Verdict.VALID, None),
            demo_key=demo,
        )

    def _patient(self, facts: MessageFacts) -> tuple[str, str]:
        if facts.where == ON_THIS_PC:
            shown = " ".join(
                p for p in (mask_identity_number(facts.patient_id), facts.patient_name) if p
            )
            return shown, ""
        if facts.where == ELSEWHERE:
            return tr(_CONTEXT, "Sent from another computer"), tr(
                _CONTEXT,
                "This computer has no copy of the message, so the patient is not shown; the "
                "registry never sends patient details back.",
            )
        return tr(_CONTEXT, "Sent by another user of this computer"), ""

    def _form(self, receipt: ReceiptRecord) -> str:
        """The form once, with its version: "Breast cancer – surgery (v1)" (its title names
        the registry; a title that does not is preceded by the registry's)."""
        registry = self._names.registry(receipt.registry)
        form = self._names.form(receipt.registry, receipt.form, receipt.version)
        if not form.casefold().startswith(registry.casefold()):
            form = f"{registry} / {form}"
        return f"{form} (v{receipt.version})"
