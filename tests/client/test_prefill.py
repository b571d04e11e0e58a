"""New drafts start with the reporting institution, reporter and date of the signed-in user."""

from __future__ import annotations

import random
from datetime import date

from desktop_app.auth import Session, TokenStore
from desktop_app.drafts import DraftService
from desktop_app.forms import Catalogue, FormDefinition, validate
from desktop_app.forms.identity import generate_identity_number
from desktop_app.prefill import envelope_defaults

TODAY = date(2026, 11, 20)
ENVELOPE = ("region", "hospital", "department", "reporter_name", "report_date")


def _session(
    hospital_code: str = "0320", display_name: str = "Demo Doctor", department: str = "surgery"
) -> Session:
    unit = {
        "id": 1,
        "name": "Breast and endocrine surgery",
        "hospital_code": hospital_code,
        "hospital_name": "Oslo universitetssykehus Ullevål",
        "department": department,
    }
    return Session("https://127.0.0.1:1", "demo", display_name, unit, False, TokenStore())


def test_the_demo_unit_gives_region_hospital_reporter_and_date(catalogue: Catalogue) -> None:
    definition = catalogue.latest("breast", "assessment")

    defaults = envelope_defaults(definition, _session(), TODAY)

    # Ullevål is in region 1 (Helse Sør-Øst) according to the hospitals code list.
    # The unit's department is a code of the department list: the server checks it is the
    # unit's own (registry_server/reporting_unit.py), so it is filled in.
    assert defaults == {
        "region": "1",
        "hospital": "0320",
        "department": "surgery",
        "reporter_name": "Demo Doctor",
        "report_date": "2026-11-20",
    }
    # The personal HPR number is not guessed, nor a department that is not a code.
    assert "reporter_hpr" not in defaults
    free_text = envelope_defaults(definition, _session(department="Kirurgisk avd."), TODAY)
    assert "department" not in free_text


def test_the_region_follows_the_hospital_code_list(catalogue: Catalogue) -> None:
    definition = catalogue.latest("breast", "assessment")
    hospital = definition.field("hospital")
    # Any hospital of another region: the region comes from the list's data.
    entry = next(e for e in hospital.entries() if e.attributes.get("region") not in ("1", None))

    defaults = envelope_defaults(definition, _session(entry.code), TODAY)

    assert defaults["hospital"] == entry.code
    assert defaults["region"] == entry.attributes["region"]


def test_the_defaults_are_valid_answers_on_every_form(catalogue: Catalogue) -> None:
    for definition in catalogue.forms():
        defaults = envelope_defaults(definition, _session(), TODAY)
        assert set(defaults) == {f for f in ENVELOPE if definition.has_field(f)}, definition.key
        issues = validate(definition, defaults, today=TODAY)
        assert [i for i in issues if i.path in defaults] == [], definition.key


def test_an_unknown_hospital_code_fills_neither_hospital_nor_region(catalogue: Catalogue) -> None:
    definition = catalogue.latest("breast", "assessment")

    defaults = envelope_defaults(definition, _session(hospital_code="9999"), TODAY)

    assert defaults == {
        "department": "surgery",
        "reporter_name": "Demo Doctor",
        "report_date": "2026-11-20",
    }


def test_fields_the_form_lacks_are_left_out() -> None:
    definition = FormDefinition.from_dict(
        {
            "registry": "test",
            "form": "small",
            "version": 1,
            "title": {"nb": "Liten", "en": "Small"},
            "sections": [
                {
                    "id": "only",
                    "title": {"nb": "Eneste", "en": "Only"},
                    "fields": [
                        {"id": "report_date", "type": "date", "label": {"nb": "D", "en": "D"}},
                        {"id": "comment", "type": "note", "label": {"nb": "K", "en": "C"}},
                    ],
                }
            ],
        },
        fragments={},
    )

    assert envelope_defaults(definition, _session(), TODAY) == {"report_date": "2026-11-20"}


def test_new_draft_with_the_signed_in_session_is_prefilled(
    drafts: DraftService, session: Session
) -> None:
    # The real server's demo user (hospital 0320) through a real sign-in.
    record = drafts.new_draft("breast", "assessment", session=session, today=TODAY)

    stored = drafts.cache.messages.get(record.id)
    assert stored.values == {
        "region": "1",
        "hospital": "0320",
        "department": "surgery",
        "reporter_name": session.display_name,
        "report_date": "2026-11-20",
    }


def test_given_answers_win_over_the_session(drafts: DraftService) -> None:
    # A reminder's patient prefill (and anything else given) is kept as given.
    patient = generate_identity_number(random.Random(11))
    given = {"patient_id": patient, "reporter_name": "Someone Else", "report_date": "2026-01-02"}

    record = drafts.new_draft("breast", "assessment", given, session=_session())

    values = drafts.cache.messages.get(record.id).values
    assert values["patient_id"] == patient
    assert values["reporter_name"] == "Someone Else"
    assert values["report_date"] == "2026-01-02"
    assert values["hospital"] == "0320" and values["region"] == "1"


def test_without_a_session_a_new_draft_starts_empty(drafts: DraftService) -> None:
    record = drafts.new_draft("breast", "assessment")
    assert drafts.cache.messages.get(record.id).values == {}
