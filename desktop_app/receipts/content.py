"""What a receipt shows, in words: the patient and reporter from this computer's own copy of the
message, the form by name, local date and time, the ids, the fingerprint and the signature.

The PDF (desktop_app.receipts.pdf), and through it printing, are made from ``ReceiptContent``;
the receipts list shows the same facts (``MessageFacts``) in its columns.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from desktop_app.forms import Catalogue, body_sha256
from desktop_app.receipt_signature import ReceiptFormatError, Verdict, qr_text
from desktop_app.receipts.keys import demo_key_ids as demo_key_ids_known
from desktop_app.receipts.texts import local_when, text

# Where this computer's copy of the receipt's message is.
ON_THIS_PC = "this_pc"  # ours: the patient and reporter can be shown
OTHER_USER = "other_user"  # on this computer, but another user's message
ELSEWHERE = "elsewhere"  # sent from another computer: only what the receipt says


class ReceiptLike(Protocol):
    """The fields of ``local_cache.ReceiptRecord`` a receipt shows."""

    receipt_id: str
    message_id: str
    registry: str
    form: str
    version: int
    received_at: str
    body_sha256: str
    unit_id: Any
    verdict: str | None
    local_owner: str | None
    local_body: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class MessageFacts:
    """Who and where, from this computer's copy of the message (codes as stored)."""

    where: str  # ON_THIS_PC, OTHER_USER or ELSEWHERE
    values: Mapping[str, Any] = field(default_factory=dict, repr=False)
    # Our copy's SHA-256 is the receipt's: what is shown is exactly what the registry has.
    # None: not checked (a list checks nothing per row: the outbox stores our own receipt only
    # when it names the body sent, see desktop_app.sync.outcomes).
    copy_matches: bool | None = None

    def value(self, field_id: str) -> str:
        found = self.values.get(field_id)
        if found is None or isinstance(found, list | dict):
            return ""
        return str(found).strip()

    @property
    def patient_id(self) -> str:
        return self.value("patient_id")

    @property
    def patient_name(self) -> str:
        return self.value("patient_name")


def message_facts(
    receipt: ReceiptLike, viewer: str | None = None, *, check_copy: bool = True
) -> MessageFacts:
    """What `viewer` (the signed-in user; None: whoever's copy it is) may see of the message;
    with `check_copy`, whether our copy hashes to the receipt's SHA-256 (one receipt printed,
    not every row of a list on every reload)."""
    if receipt.local_owner is None:
        return MessageFacts(ELSEWHERE)
    if viewer is not None and receipt.local_owner != viewer:
        return MessageFacts(OTHER_USER)
    body = receipt.local_body
    if not isinstance(body, dict):
        return MessageFacts(OTHER_USER if viewer is None else ELSEWHERE)
    values = body.get("values") if isinstance(body.get("values"), dict) else {}
    if not check_copy:
        return MessageFacts(ON_THIS_PC, values)
    try:
        matches = body_sha256(body) == receipt.body_sha256
    except (TypeError, ValueError):
        matches = False
    return MessageFacts(ON_THIS_PC, values, matches)


def verdict_of(receipt: ReceiptLike) -> Verdict | None:
    try:
        return Verdict(receipt.verdict) if receipt.verdict else None
    except ValueError:
        return Verdict.MALFORMED


@dataclass(frozen=True)
class Line:
    label: str
    value: str
    mono: bool = False  # ids and hashes: a fixed-width font, never broken
    warn: bool = False  # shown in the warning colour (a signature that does not verify)


@dataclass(frozen=True)
class Section:
    title: str
    lines: tuple[Line, ...] = ()
    note: str = ""  # a sentence instead of (or after) the lines


@dataclass(frozen=True)
class ReceiptContent:
    lang: str
    title: str
    intro: str
    sections: tuple[Section, ...]
    qr_text: str | None  # exactly receipt_signature.qr_text(receipt); None when unsigned
    qr_caption: str
    verdict: Verdict | None
    # Said first, in the warning colour, when the signature is checked and does not verify,
    # or verifies only with the public demo key.
    warning: str = ""
    demo_key: bool = False  # signed with a public demo key: proves nothing

    def lines(self) -> list[tuple[str, str]]:
        return [(line.label, line.value) for s in self.sections for line in s.lines]


def receipt_content(
    receipt: ReceiptLike,
    catalogue: Catalogue | None = None,
    lang: str = "en",
    *,
    viewer: str | None = None,
    unit_name: str | None = None,
    demo_key_ids: frozenset[str] | None = None,
) -> ReceiptContent:
    """Everything a printed receipt shows, in `lang`. Without a catalogue the registry and
    form are shown by their ids; `unit_name` names the unit (the registry's unit id is kept);
    `demo_key_ids` are the public demo keys (default: those known, ``keys.demo_key_ids``)."""
    facts = message_facts(receipt, viewer)
    raw = receipt.to_dict()
    verdict = verdict_of(receipt)
    try:
        code = qr_text(raw)
    except ReceiptFormatError:
        code = None
    key_id = str(raw.get("key_id") or "")
    demo = bool(key_id) and key_id in (
        demo_key_ids_known() if demo_key_ids is None else demo_key_ids
    )
    key_text = text("value.demo_key", lang, key_id=key_id) if demo else key_id
    demo_valid = demo and verdict is Verdict.VALID
    signature = (
        "verdict.valid_demo" if demo_valid else f"verdict.{verdict.value if verdict else 'none'}"
    )
    if verdict in (None, Verdict.VALID):
        warning = text("intro.demo", lang) if demo_valid else ""
    else:
        warning = text("intro.not_verified", lang)
    return ReceiptContent(
        lang=lang,
        title=text("title", lang),
        # Filing with the patient's records makes sense only when the receipt names one.
        intro=text("intro" if facts.where == ON_THIS_PC else "intro.no_patient", lang),
        sections=(
            _patient(facts, lang),
            _reporter(facts, receipt, catalogue, lang, unit_name),
            Section(
                text("section.message", lang),
                (
                    Line(text("label.registry", lang), _registry(receipt, catalogue, lang)),
                    Line(text("label.form", lang), _form(receipt, catalogue, lang)),
                    Line(text("label.form_version", lang), str(receipt.version)),
                    Line(text("label.message_id", lang), str(receipt.message_id), mono=True),
                ),
            ),
            Section(
                text("section.receipt", lang),
                (
                    Line(
                        text("label.received_at", lang),
                        local_when(receipt.received_at, lang, offset=True),
                    ),
                    Line(text("label.receipt_id", lang), str(receipt.receipt_id), mono=True),
                    Line(text("label.body_sha256", lang), str(receipt.body_sha256), mono=True),
                    Line(text("label.key_id", lang), key_text or text("value.unknown", lang)),
                    Line(
                        text("label.signature", lang),
                        text(signature, lang),
                        warn=verdict is not Verdict.VALID or demo,
                    ),
                ),
                note=text("hash.note", lang),
            ),
        ),
        qr_text=code,
        qr_caption=text("qr.caption" if code else "qr.unsigned", lang),
        verdict=verdict,
        warning=warning,
        demo_key=demo,
    )


def receipt_lines(
    receipt: ReceiptLike,
    catalogue: Catalogue | None = None,
    lang: str = "en",
    **options: Any,
) -> list[tuple[str, str]]:
    """(label, value) pairs in print order (the lines of ``receipt_content``)."""
    return receipt_content(receipt, catalogue, lang, **options).lines()


def registry_title(registry: str, catalogue: Catalogue | None, lang: str) -> str | None:
    if catalogue is None:
        return None
    try:
        return catalogue.registry(registry).title_text(lang)
    except KeyError:
        return None


def form_title(receipt: ReceiptLike, catalogue: Catalogue | None, lang: str) -> str | None:
    if catalogue is None:
        return None
    try:
        return catalogue.get(receipt.registry, receipt.form, int(receipt.version)).title_text(lang)
    except (KeyError, ValueError):
        return None


def _registry(receipt: ReceiptLike, catalogue: Catalogue | None, lang: str) -> str:
    title = registry_title(receipt.registry, catalogue, lang)
    return f"{title} ({receipt.registry})" if title else str(receipt.registry)


def _form(receipt: ReceiptLike, catalogue: Catalogue | None, lang: str) -> str:
    title = form_title(receipt, catalogue, lang)
    if not title:
        return str(receipt.form)
    # The version has its own line.
    return text("value.form", lang, title=title, form=receipt.form)


def _patient(facts: MessageFacts, lang: str) -> Section:
    title = text("section.patient", lang)
    if facts.where == ELSEWHERE:
        return Section(title, note=text("patient.elsewhere", lang))
    if facts.where == OTHER_USER:
        return Section(title, note=text("patient.other_user", lang))
    unknown = text("value.unknown", lang)
    lines = []
    if facts.patient_id or not facts.value("patient_id_specification"):
        lines.append(Line(text("label.identity_number", lang), facts.patient_id or unknown))
    if facts.value("patient_id_specification"):
        specification = facts.value("patient_id_specification")
        lines.append(
            Line(
                text("label.no_norwegian_id", lang),
                text("value.no_norwegian_id", lang, specification=specification),
            )
        )
    lines.append(Line(text("label.patient_name", lang), facts.patient_name or unknown))
    note = "" if facts.copy_matches else text("patient.copy_differs", lang)
    return Section(title, tuple(lines), note=note)


def _reporter(
    facts: MessageFacts,
    receipt: ReceiptLike,
    catalogue: Catalogue | None,
    lang: str,
    unit_name: str | None,
) -> Section:
    unit = f"{unit_name} ({receipt.unit_id})" if unit_name else str(receipt.unit_id)
    lines = []
    if facts.where == ON_THIS_PC:
        unknown = text("value.unknown", lang)
        hospital = _choice(receipt, catalogue, "hospital", facts, lang)
        institution = facts.value("institution_name")
        if hospital or not institution:
            lines.append(Line(text("label.hospital", lang), hospital or unknown))
        if institution:
            lines.append(Line(text("label.institution", lang), institution))
        department = _choice(receipt, catalogue, "department", facts, lang)
        other = facts.value("department_other")
        if other:
            department = f"{department}: {other}" if department else other
        lines.append(Line(text("label.department", lang), department or unknown))
        name, hpr = facts.value("reporter_name"), facts.value("reporter_hpr")
        reporter = text("value.reporter", lang, name=name, hpr=hpr) if hpr else name
        lines.append(Line(text("label.reporter", lang), reporter or unknown))
    lines.append(Line(text("label.unit", lang), unit))
    return Section(text("section.reporter", lang), tuple(lines))


def _choice(
    receipt: ReceiptLike,
    catalogue: Catalogue | None,
    field_id: str,
    facts: MessageFacts,
    lang: str,
) -> str:
    """A choice field's answer in words (from the message's own form version), else its code."""
    code = facts.value(field_id)
    if not code or catalogue is None:
        return code
    try:
        definition = catalogue.get(receipt.registry, receipt.form, int(receipt.version))
        label = definition.field(field_id).choice_label(code, lang)
    except (KeyError, ValueError):
        return code
    return label or code
