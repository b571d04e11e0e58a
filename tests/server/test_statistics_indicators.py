"""resources/indicators.json: the shipped file loads and carries REGISTRIES.md's indicators and
targets; a wrong file is refused with the key and the problem named. The twelve-month window."""

from __future__ import annotations

import copy
import datetime
import json
from pathlib import Path
from typing import Any

import pytest

from desktop_app.forms import DefinitionError
from registry_server.statistics.cells import Window
from registry_server.statistics.indicators import indicators_path, load_indicators
from tests.server.helpers import catalogue


def _shipped() -> dict[str, Any]:
    return json.loads(indicators_path().read_text("utf-8"))


def test_the_shipped_file_loads_with_every_registry_and_target() -> None:
    indicators = {i.id: i for i in load_indicators(catalogue())}
    for registry in catalogue().registries():
        for name in ("messages_received", "coverage", "days_to_report", "open_reminders",
                     "overdue_reminders"):  # fmt: skip
            assert f"{registry.id}.{name}" in indicators
    targets = {
        "breast.bcs_0_30": (85, 90, "higher"),
        "breast.mri_neoadjuvant": (60, 90, "higher"),
        "breast.mri_assessment": (10, None, "higher"),
        "breast.preop_diagnosis": (85, 90, "higher"),
        "breast.dcis_grade": (95, 98, "higher"),
        "breast.one_operation_invasive": (80, 90, "higher"),
        "breast.one_operation_dcis": (70, 90, "higher"),
        "breast.reconstruction": (40, None, "higher"),
        "breast.referral_to_surgery": (32, None, "lower"),
        "breast.referral_to_drug": (29, None, "lower"),
        "breast.coverage": (80, None, "higher"),
        "lymphoid.coverage": (80, None, "higher"),
        "lymphoid.nhl_morphology": (97, None, "higher"),
        "lymphoid.biopsy_basis": (90, None, "higher"),
        "lymphoid.stage_recorded": (90, None, "higher"),
        "lymphoid.cll_flow": (90, None, "higher"),
        "lymphoid.referral_to_drug": (21, None, "lower"),
        "lymphoid.referral_to_rt": (35, None, "lower"),
        "childhood.coverage": (80, None, "higher"),
        "childhood.treatment_reported": (80, None, "higher"),
        "childhood.mdt": (80, None, "higher"),
        "childhood.protocol_inclusion": (40, None, "higher"),
        "sarcoma.coverage": (80, None, "higher"),
        "sarcoma.referral_to_treatment": (43, None, "lower"),
    }
    for ident, (low, goal, direction) in targets.items():
        assert indicators[ident].target == {"min": low, "goal": goal, "direction": direction}
    assert indicators["lymphoid.radiotherapy_use"].breakdown == "by_region"
    assert indicators["breast.operations_per_hospital"].breakdown == "by_hospital"
    assert indicators["sarcoma.centre_before_biopsy"].target is None
    assert indicators["colorectal.coverage"].target is None
    kinds = {i.kind for i in indicators.values()}
    assert kinds == {"proportion", "median_days", "count"}


def _write(tmp_path: Path, doc: dict) -> Path:
    path = tmp_path / "indicators.json"
    path.write_text(json.dumps(doc), "utf-8")
    return path


def _entry(doc: dict, ident: str) -> dict:
    return next(i for i in doc["indicators"] if i["id"] == ident)


def _breaks(tmp_path: Path, change, key_part: str, problem_part: str) -> None:  # type: ignore[no-untyped-def]
    doc = copy.deepcopy(_shipped())
    change(doc)
    with pytest.raises(DefinitionError) as caught:
        load_indicators(catalogue(), _write(tmp_path, doc))
    assert key_part in caught.value.key, caught.value
    assert problem_part in caught.value.problem, caught.value


def test_unknown_fields_forms_codes_and_keys_are_refused(tmp_path: Path) -> None:
    def unknown_field(doc: dict) -> None:
        _entry(doc, "breast.bcs_0_30")["numerator"] = {
            "field": "surgery.breast_surgery_kind", "op": "eq", "value": "x",
        }  # fmt: skip

    _breaks(tmp_path, unknown_field, "numerator", "has no field 'breast_surgery_kind'")

    def unknown_form(doc: dict) -> None:
        _entry(doc, "breast.mri_neoadjuvant")["basis"] = {"cases": {"anchor": "imaging"}}

    _breaks(tmp_path, unknown_form, "basis.cases.anchor", "no form breast/imaging")

    def unknown_code(doc: dict) -> None:
        _entry(doc, "breast.bcs_0_30")["numerator"]["value"] = "lumpectomy"

    _breaks(tmp_path, unknown_code, "numerator", "'lumpectomy' is not a code")

    def unknown_key(doc: dict) -> None:
        _entry(doc, "breast.dcis_grade")["populaton"] = {}

    _breaks(tmp_path, unknown_key, "populaton", "unknown key")

    def unknown_derived(doc: dict) -> None:
        _entry(doc, "breast.referral_to_surgery")["measure"] = "dayz"

    _breaks(tmp_path, unknown_derived, "measure", "neither <form>.<field> nor a derived name")

    def row_field_of_another_group(doc: dict) -> None:
        derive = _entry(doc, "lymphoid.radiotherapy_use")["derive"]
        derive["first_line"]["rows"]["field"] = "line_rt_dose"

    _breaks(tmp_path, row_field_of_another_group, "derive.first_line", "no row field")

    def wrong_registry_form(doc: dict) -> None:
        _entry(doc, "childhood.mdt")["population"]["field"] = "surgery.mdt_assessed"

    _breaks(tmp_path, wrong_registry_form, "population", "no form childhood/surgery")


def test_shapes_are_checked(tmp_path: Path) -> None:
    def no_numerator(doc: dict) -> None:
        del _entry(doc, "breast.dcis_grade")["numerator"]

    _breaks(tmp_path, no_numerator, "numerator", "missing")

    def bad_kind(doc: dict) -> None:
        _entry(doc, "breast.dcis_grade")["kind"] = "mean_days"

    _breaks(tmp_path, bad_kind, "kind", "must be one of")

    def bad_target(doc: dict) -> None:
        _entry(doc, "breast.dcis_grade")["target"] = {"min": 98, "goal": 95, "direction": "higher"}

    _breaks(tmp_path, bad_target, "target.goal", "at least as good as min")

    def duplicate(doc: dict) -> None:
        doc["indicators"].append(copy.deepcopy(_entry(doc, "breast.dcis_grade")))

    _breaks(tmp_path, duplicate, "id", "duplicate")

    def messages_with_population(doc: dict) -> None:
        _entry(doc, "*.messages_received")["population"] = {"field": "x", "op": "answered"}

    _breaks(tmp_path, messages_with_population, "population", "does not apply")

    def unknown_registry_target(doc: dict) -> None:
        _entry(doc, "*.coverage")["target_by_registry"]["brest"] = None

    _breaks(tmp_path, unknown_registry_target, "brest", "unknown registry")


@pytest.mark.parametrize(
    ("as_of", "first", "last"),
    [
        (datetime.date(2026, 12, 6), "2025-12", "2026-11"),
        (datetime.date(2026, 1, 1), "2025-01", "2025-12"),
        (datetime.date(2024, 3, 31), "2023-03", "2024-02"),
    ],
)
def test_the_window_is_the_twelve_whole_months_before(
    as_of: datetime.date, first: str, last: str
) -> None:
    window = Window.before(as_of)
    assert len(window.months) == 12 and len(set(window.months)) == 12
    assert (window.months[0], window.months[-1]) == (first, last)
    assert window.first_day.isoformat() == f"{first}-01"
    assert window.last_day + datetime.timedelta(days=1) == as_of.replace(day=1)
    assert window.month_of(f"{last}-15") == last
    assert window.month_of(as_of.isoformat()) is None
    assert window.month_of("not a date") is None and window.month_of(None) is None
