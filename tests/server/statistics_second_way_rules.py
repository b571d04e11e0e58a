"""The clinical indicators, the second way (see tests/server/statistics_second_way.py).

Each indicator is (anchor form, rule). A rule gets the patient's first message of each form
({form: message}) and answers None (not in the population) or (the date that places it,
outcome): True/False for a proportion, a number of days for a median, "count" for a count.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from stdnum.no import fodselsnummer

C50 = {"C50.0", "C50.1", "C50.2", "C50.3", "C50.4", "C50.5", "C50.6", "C50.8", "C50.9"}
D05 = {"D05.0", "D05.1", "D05.7", "D05.9"}
NHL = ("C82", "C83", "C84", "C85", "C86")
LYMPHOMA = ("C81", *NHL)


def _date(text: object) -> datetime.date | None:
    return datetime.date.fromisoformat(text) if isinstance(text, str) and text else None


def days_between(start: object, end: object) -> int | None:
    first, last = _date(start), _date(end)
    return None if first is None or last is None else (last - first).days


Rule = Callable[[dict[str, dict]], "tuple[object, object] | None"]


def _v(forms: dict, form: str) -> dict:
    return forms[form]["values"] if form in forms else {}


def _bcs_0_30(f):  # type: ignore[no-untyped-def]
    s = _v(f, "surgery")
    size = s.get("tumour_size_mm")
    if (
        s.get("icd10") in C50
        and s.get("neoadjuvant_given") == "0"
        and s.get("breast_surgery") in ("breast_conserving", "mastectomy")
        and size is not None
        and 0 < size <= 30
    ):
        return s["surgery_date"], s["breast_surgery"] == "breast_conserving"
    return None


def _share(when: Callable[[dict], bool], hit: Callable[[dict], bool]):  # type: ignore[no-untyped-def]
    """A proportion over the patients' assessment messages, by month of diagnosis."""

    def rule(f):  # type: ignore[no-untyped-def]
        a = _v(f, "assessment")
        return (a["diagnosis_date"], hit(a)) if when(a) else None

    return rule


def _preop(f):  # type: ignore[no-untyped-def]
    s, a = _v(f, "surgery"), _v(f, "assessment")
    if (
        s.get("neoadjuvant_given") == "0"
        and s.get("breast_surgery", "none") != "none"
        and a.get("preoperative_diagnosis")
    ):
        return s["surgery_date"], a["preoperative_diagnosis"] in ("core_needle_biopsy", "cytology")
    return None


def _one_operation(codes: set[str]):  # type: ignore[no-untyped-def]
    def rule(f):  # type: ignore[no-untyped-def]
        s = _v(f, "surgery")
        if (
            s.get("icd10") in codes
            and s.get("breast_surgery", "none") != "none"
            and s.get("re_excision") in ("0", "1")
        ):
            return s["surgery_date"], s["re_excision"] == "0"
        return None

    return rule


def _reconstruction(f):  # type: ignore[no-untyped-def]
    s = _v(f, "surgery")
    patient = f["surgery"]["patient"]
    if s.get("breast_surgery") != "mastectomy" or not patient:
        return None
    born = fodselsnummer.get_birth_date(patient)
    on = _date(s["surgery_date"])
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    female = int(patient[8]) % 2 == 0
    if female and age <= 69 and s.get("immediate_reconstruction") in ("0", "1"):
        return s["surgery_date"], s["immediate_reconstruction"] == "1"
    return None


def _rt_after_bcs(f):  # type: ignore[no-untyped-def]
    s, o = _v(f, "surgery"), _v(f, "oncological_treatment")
    if (
        s.get("icd10") in C50
        and s.get("neoadjuvant_given") == "0"
        and s.get("breast_surgery") == "breast_conserving"
        and o.get("radiotherapy") in ("0", "1")
    ):
        return s["surgery_date"], o["radiotherapy"] == "1"
    return None


def _breast_referral_to_surgery(f):  # type: ignore[no-untyped-def]
    s, a = _v(f, "surgery"), _v(f, "assessment")
    days = days_between(a.get("referral_date"), s.get("surgery_date"))
    primary = s.get("neoadjuvant_given") == "0" and s.get("breast_surgery", "none") != "none"
    return (s["surgery_date"], days) if primary and days is not None and days >= 0 else None


def _breast_referral_to_drug(f):  # type: ignore[no-untyped-def]
    o, a = _v(f, "oncological_treatment"), _v(f, "assessment")
    starts = [
        o[k]
        for k in ("chemotherapy_start_date", "her2_start_date", "endocrine_start_date")
        if o.get(k)
    ]
    if o.get("treatment_setting") != "neoadjuvant" or not starts:
        return None
    days = days_between(a.get("referral_date"), min(starts))
    return (min(starts), days) if days is not None and days >= 0 else None


def _operations(f):  # type: ignore[no-untyped-def]
    s = _v(f, "surgery")
    if s.get("breast_surgery") in ("breast_conserving", "mastectomy"):
        return s["surgery_date"], "count"
    return None


def _lines(f) -> list[dict]:  # type: ignore[no-untyped-def]
    return _v(f, "treatment").get("treatment_lines") or []


def _lymphoid_starts(f):  # type: ignore[no-untyped-def]
    lines = _lines(f)
    drug = [r["line_start_date"] for r in lines if r.get("line_regimen") not in (None, "none")]
    rt = [r["line_rt_start_date"] for r in lines if r.get("line_radiotherapy") == "1"]
    return (min(drug) if drug else None), (min(rt) if rt else None)


def _lymphoid_referral_to_drug(f):  # type: ignore[no-untyped-def]
    drug, rt = _lymphoid_starts(f)
    days = days_between(_v(f, "assessment").get("referral_date"), drug)
    if days is None or days < 0 or (rt is not None and drug > rt):
        return None
    return drug, days


def _lymphoid_referral_to_rt(f):  # type: ignore[no-untyped-def]
    drug, rt = _lymphoid_starts(f)
    days = days_between(_v(f, "assessment").get("referral_date"), rt)
    if days is None or days < 0 or (drug is not None and not rt < drug):
        return None
    return rt, days


def _radiotherapy_use(f):  # type: ignore[no-untyped-def]
    lines = _lines(f)
    starts = [r["line_start_date"] for r in lines if r.get("line_start_date")]
    if not starts:
        return None
    return min(starts), any(r.get("line_radiotherapy") == "1" for r in lines)


def _sarcoma_referral_to_treatment(f):  # type: ignore[no-untyped-def]
    starts = [
        d
        for d in (_v(f, "surgery").get("surgery_date"), _v(f, "radiotherapy").get("rt_start_date"))
        if d
    ]
    if not starts:
        return None
    days = days_between(_v(f, "assessment").get("referral_date"), min(starts))
    return (min(starts), days) if days is not None and days >= 0 else None


def _answered(name: str):  # type: ignore[no-untyped-def]
    return lambda a: a.get(name) not in (None, "", [])


CLINICAL: dict[str, dict[str, tuple[str, Rule]]] = {
    "breast": {
        "breast.bcs_0_30": ("surgery", _bcs_0_30),
        "breast.mri_neoadjuvant": (
            "assessment",
            _share(lambda a: a.get("neoadjuvant_planned") == "1",
                              lambda a: a.get("mri_done") == "1"),
        ),
        "breast.mri_assessment": (
            "assessment",
            _share(lambda a: a.get("neoadjuvant_planned") == "0",
                              lambda a: a.get("mri_done") == "1"),
        ),
        "breast.preop_diagnosis": ("surgery", _preop),
        "breast.dcis_grade": (
            "assessment",
            _share(lambda a: a.get("histological_type") == "8500/2",
                              lambda a: a.get("dcis_grade") in ("low", "intermediate", "high")),
        ),
        "breast.one_operation_invasive": ("surgery", _one_operation(C50)),
        "breast.one_operation_dcis": ("surgery", _one_operation(D05)),
        "breast.reconstruction": ("surgery", _reconstruction),
        "breast.rt_after_bcs": ("surgery", _rt_after_bcs),
        "breast.referral_to_surgery": ("surgery", _breast_referral_to_surgery),
        "breast.referral_to_drug": ("oncological_treatment", _breast_referral_to_drug),
        "breast.operations_per_hospital": ("surgery", _operations),
    },
    "lymphoid": {
        "lymphoid.nhl_morphology": (
            "assessment",
            _share(lambda a: a.get("icd10", "")[:3] in NHL,
                              lambda a: a.get("histology") not in ("9591/3", "9590/3")),
        ),
        "lymphoid.biopsy_basis": (
            "assessment",
            _share(lambda a: a.get("icd10", "")[:3] in LYMPHOMA,
                              lambda a: a.get("basis_of_diagnosis") == "biopsy"),
        ),
        "lymphoid.stage_recorded": (
            "assessment",
            _share(lambda a: a.get("icd10", "")[:3] in LYMPHOMA,
                              lambda a: a.get("ann_arbor_stage") in ("I", "II", "III", "IV")),
        ),
        "lymphoid.cll_flow": (
            "assessment",
            _share(lambda a: a.get("histology") == "9823/3",
                              lambda a: a.get("basis_of_diagnosis") == "flow_cytometry"),
        ),
        "lymphoid.referral_to_drug": ("treatment", _lymphoid_referral_to_drug),
        "lymphoid.referral_to_rt": ("treatment", _lymphoid_referral_to_rt),
        "lymphoid.radiotherapy_use": ("treatment", _radiotherapy_use),
    },
    "childhood": {
        "childhood.mdt": (
            "assessment",
            _share(_answered("mdt_assessed"), lambda a: a["mdt_assessed"] == "1"),
        ),
        "childhood.protocol_inclusion": (
            "assessment",
            _share(_answered("protocol_inclusion"),
                              lambda a: a["protocol_inclusion"] == "1"),
        ),
    },
    "sarcoma": {
        "sarcoma.centre_before_biopsy": (
            "assessment",
            _share(_answered("referral"),
                              lambda a: a["referral"] == "before_biopsy"),
        ),
        "sarcoma.referral_to_treatment": ("assessment", _sarcoma_referral_to_treatment),
    },
}  # fmt: skip
