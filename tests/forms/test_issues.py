"""Issues: texts in each language and the wire format shared by server and client."""

from __future__ import annotations

from desktop_app.forms import FormDefinition, Issue, validate

from .conftest import TODAY


def test_built_in_message_in_both_languages() -> None:
    issue = Issue("patient_id", "error", "identity_number.length", {"length": 10})
    assert issue.message("en") == "An identity number has 11 digits (you entered 10)."
    assert issue.message("nb") == "Et fødselsnummer har 11 sifre (du skrev 10)."
    assert issue.message("de") == issue.message("en")  # unknown language falls back to English


def test_round_trip_of_built_in_issue() -> None:
    issue = Issue("icd10", "error", "code.out_of_scope", {"code": "C18.7", "scope": "C50, D05"})
    data = issue.to_dict()
    assert data == {
        "path": "icd10",
        "severity": "error",
        "key": "code.out_of_scope",
        "params": {"code": "C18.7", "scope": "C50, D05"},
        "message": "C18.7 is outside this registry's scope (C50, D05). Check the code, "
        "or report the case to the registry that covers it.",
    }
    assert Issue.from_dict(data) == issue


def test_round_trip_of_check_issue_keeps_both_languages(breast: FormDefinition, valid) -> None:
    valid["diagnosis_date"] = "2025-05-30"
    (issue,) = validate(breast, valid, TODAY)
    again = Issue.from_dict(issue.to_dict())
    assert again == issue
    assert again.message("nb").startswith("Diagnosedatoen")


def test_issue_from_a_newer_server_keeps_its_sentence() -> None:
    data = {"path": "x", "severity": "error", "key": "brand.new", "params": {}, "message": "Hm."}
    assert Issue.from_dict(data).message("nb") == "Hm."


def test_unknown_key_without_text_still_reads() -> None:
    assert Issue("x", "error", "brand.new").message("en") == "The value is not valid (brand.new)."
