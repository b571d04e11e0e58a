"""Lymphoid malignancies: about 1,900 patients a year across the haematology and oncology
units.

Referral, diagnosis on a biopsy (flow cytometry for CLL, bone marrow for myeloma), then the
first treatment line: drugs (R-CHOP for diffuse large B-cell lymphoma, ABVD for Hodgkin, ...),
radiotherapy alone for some early indolent lymphomas, or drugs followed by radiotherapy.
Indolent lymphomas and CLL are often watched without treatment. Radiotherapy is used more in
some health regions than in others. The unit reports the assessment, and the treatment once
the first line's last part has started.
"""

from __future__ import annotations

import datetime
from typing import Any

from registry_server.demo.year import DemoYear

YEARLY = 1900
_DAY = datetime.timedelta(days=1)

# histology: (share, ICD-10 codes, kind, share treated)
_HISTOLOGY: dict[str, tuple[float, tuple[str, ...], str, float]] = {
    "9680/3": (28, ("C83.3",), "aggressive", 0.95),
    "9690/3": (12, ("C82.0", "C82.1"), "follicular", 0.5),
    "9823/3": (16, ("C91.1",), "cll", 0.3),
    "9732/3": (14, ("C90.0",), "myeloma", 0.85),
    "9663/3": (5, ("C81.1",), "hodgkin", 0.97),
    "9652/3": (1.5, ("C81.2",), "hodgkin", 0.97),
    "9650/3": (1, ("C81.9",), "hodgkin", 0.97),
    "9659/3": (1, ("C81.0",), "indolent", 0.6),
    "9673/3": (5, ("C83.1",), "aggressive", 0.8),
    "9699/3": (5, ("C88.4",), "indolent", 0.4),
    "9689/3": (1, ("C83.0",), "indolent", 0.4),
    "9761/3": (2, ("C88.0",), "indolent", 0.5),
    "9687/3": (1, ("C83.7",), "aggressive", 1.0),
    "9702/3": (1.5, ("C84.4",), "t_cell", 0.85),
    "9705/3": (1, ("C86.5",), "t_cell", 0.85),
    "9715/3": (0.5, ("C84.7",), "t_cell", 0.9),
    "9700/3": (1, ("C84.0",), "skin", 0.6),
    "9591/3": (0, ("C85.9",), "aggressive", 0.7),  # unspecified: share set per unit
}
_LYMPHOMA = ("C81", "C82", "C83", "C84", "C85", "C86")
# Radiotherapy is used more in some regions (REGISTRIES.md: it differs between regions).
_RT_USE = {"1": 1.0, "2": 1.15, "3": 0.9, "4": 0.7}


def generate(year: DemoYear, count: int = YEARLY) -> None:
    rng = year.rng("lymphoid")
    assessment = year.catalogue.latest("lymphoid", "assessment")
    treatment = year.catalogue.latest("lymphoid", "treatment")
    units = year.weighted_units("lymphoid")
    for _ in range(count):
        unit = year.pick(rng, units)
        _case(year, rng, unit, assessment, treatment)


def _case(year, rng, unit, assessment, treatment) -> None:  # type: ignore[no-untyped-def]
    q = unit.habits.quality
    shares = {h: spec[0] for h, spec in _HISTOLOGY.items()}
    shares["9591/3"] = 2.2 - 1.4 * q  # lymphoma NOS: the specified-morphology indicator
    histology = year.pick(rng, shares)
    _, codes, kind, treated = _HISTOLOGY[histology]
    diagnosed = year.diagnosis_date(rng)
    age = rng.randint(18, 45) if kind == "hodgkin" and rng.random() < 0.7 else rng.randint(35, 90)
    patient = year.patient(rng, year.born(rng, age, diagnosed), "M" if rng.random() < 0.56 else "F")
    referred = diagnosed - datetime.timedelta(days=rng.randint(3, 18))
    if rng.random() < 0.98:
        year.notify("lymphoid", "pathology_diagnosis", diagnosed, unit, patient, "pathology")
    icd10 = rng.choice(codes)
    values: dict[str, Any] = {
        "diagnosis_date": diagnosed.isoformat(),
        "referral_date": referred.isoformat(),
        "icd10": icd10,
        "histology": histology,
        "ecog": rng.choices(("0", "1", "2", "3", "4", "99"), (40, 35, 14, 7, 2, 2))[0],
        "ldh_elevated": rng.choices(("1", "0", "99"), (35, 60, 5))[0],
    }
    values.update(_basis(year, rng, kind, icd10, q))
    stage = None
    if kind != "myeloma":
        stage = _stage(year, rng, kind, icd10, q)
        values.update(_staging(rng, stage))
    else:
        values["myeloma_iss"] = rng.choices(("I", "II", "III", "99"), (30, 40, 25, 5))[0]
        values["myeloma_riss"] = rng.choices(("I", "II", "III", "99"), (25, 45, 25, 5))[0]
    if histology == "9690/3":
        values["follicular_grade"] = rng.choices(("1-2", "3A", "3B", "99"), (80, 14, 4, 2))[0]
        values["icd10"] = {"3A": "C82.2", "3B": "C82.3"}.get(values["follicular_grade"], icd10)
    report = year.report_date(rng, unit, diagnosed)
    if report is not None:
        year.send(rng, unit, assessment, patient, report, values, computed=True)
    if kind in ("follicular", "indolent", "skin") and stage in ("I", "II"):
        treated = 0.8  # early indolent lymphomas: mostly radiotherapy with curative intent
    if year.chance(rng, treated):
        _treatment(year, rng, unit, treatment, patient, values, kind, stage, age, referred)


def _basis(year, rng, kind: str, icd10: str, q: float) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    if kind == "cll":
        p_flow = 0.925 + 0.05 * q
        basis = "flow_cytometry" if year.chance(rng, p_flow) else rng.choice(("biopsy", "other"))
    elif kind == "myeloma":
        basis = rng.choice(("biopsy", "other"))
    elif icd10[:3] in _LYMPHOMA:
        p_biopsy = 0.93 + 0.04 * q
        basis = "biopsy" if year.chance(rng, p_biopsy) else rng.choice(("flow_cytometry", "other"))
    else:
        basis = rng.choices(("biopsy", "flow_cytometry", "other"), (85, 10, 5))[0]
    out = {"basis_of_diagnosis": basis}
    if basis == "other":
        out["basis_of_diagnosis_other"] = (
            "Bone marrow examination" if kind == "myeloma" else "Cytology"
        )
    return out


def _stage(year, rng, kind: str, icd10: str, q: float) -> str:  # type: ignore[no-untyped-def]
    if kind == "cll":
        return "99" if rng.random() < 0.7 else "IV"
    if icd10[:3] in _LYMPHOMA and not year.chance(rng, 0.935 + 0.045 * q):
        return "99"
    if kind in ("follicular", "indolent", "skin"):
        return rng.choices(("I", "II", "III", "IV"), (25, 15, 20, 40))[0]
    return rng.choices(("I", "II", "III", "IV"), (17, 28, 20, 35))[0]


def _staging(rng, stage: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    b = rng.choices(("1", "0", "99"), (28, 68, 4))[0]
    extranodal_e = "1" if rng.random() < 0.15 else "0"
    if extranodal_e == "1":
        sites = rng.randint(1, 3)
    elif stage == "IV":
        sites = rng.randint(0, 3)
    else:
        sites = 0
    return {
        "b_symptoms": b,
        "ann_arbor_stage": stage,
        "ann_arbor_ab": "B" if b == "1" else "A",
        "ann_arbor_e": extranodal_e,
        "ann_arbor_s": "1" if rng.random() < 0.04 else "0",
        "bulky_x": "1" if rng.random() < 0.1 else "0",
        "extranodal_sites": sites,
    }


def _treatment(year, rng, unit, treatment, patient, values, kind, stage, age, referred) -> None:  # type: ignore[no-untyped-def]
    diagnosed = datetime.date.fromisoformat(values["diagnosis_date"])
    rt_use = _RT_USE.get(year.region_of[unit.hospital_code], 1.0)
    early = stage in ("I", "II")
    rt_only = (
        kind in ("follicular", "indolent", "skin") and early and year.chance(rng, 0.7 * rt_use)
    )
    consolidation = (
        not rt_only
        and kind in ("hodgkin", "aggressive")
        and early
        and year.chance(rng, 0.4 * rt_use)
    )
    speed = unit.habits.speed
    row: dict[str, Any] = {"line_auto_sct": "0", "line_allo_sct": "0"}
    if rt_only:
        start = max(
            diagnosed, referred + datetime.timedelta(days=year.lognormal_days(rng, 33 * speed))
        )
        row.update({"line_regimen": "none", "line_start_date": start.isoformat()})
        row.update(_rt(rng, start, kind))
        last, event = start, "radiotherapy_start"
    else:
        start = max(
            diagnosed, referred + datetime.timedelta(days=year.lognormal_days(rng, 21 * speed))
        )
        regimen, cycles = _regimen(rng, kind, age)
        row.update(
            {"line_regimen": regimen, "line_cycles": cycles, "line_start_date": start.isoformat()}
        )
        if regimen == "other":
            row["line_regimen_other"] = "Skin-directed therapy"
        if kind == "myeloma" and age < 70 and rng.random() < 0.7:
            row["line_auto_sct"] = "1"
        last, event = start, "drug_therapy_start"
        if consolidation:
            rt_start = start + datetime.timedelta(days=rng.randint(100, 140))
            row.update(_rt(rng, rt_start, kind))
            last, event = rt_start, "radiotherapy_start"
        else:
            row["line_radiotherapy"] = "0"
    if last > year.today:
        return
    source = "radiotherapy_system" if event == "radiotherapy_start" else "medication_system"
    year.notify("lymphoid", event, last, unit, patient, source)
    report = year.report_date(rng, unit, last)
    if report is not None:
        out = {
            "diagnosis_date": values["diagnosis_date"],
            "icd10": values["icd10"],
            "treatment_lines": [row],
        }
        year.send(rng, unit, treatment, patient, report, out)


def _rt(rng, start: datetime.date, kind: str) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    dose, fractions = {"hodgkin": (20.0, 10), "aggressive": (30.0, 15)}.get(kind, (24.0, 12))
    return {
        "line_radiotherapy": "1",
        "line_rt_field": "involved_site" if rng.random() < 0.9 else "involved_node",
        "line_rt_start_date": start.isoformat(),
        "line_rt_dose_gy": dose,
        "line_rt_fractions": fractions,
    }


def _regimen(rng, kind: str, age: int) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    if kind == "aggressive":
        return ("r_mini_chop" if age >= 80 else "r_chop"), 6
    if kind == "hodgkin":
        return rng.choice(("abvd", "bv_avd")), rng.choice((4, 6))
    if kind == "follicular":
        return "br", 6
    if kind == "cll":
        return rng.choice(("acalabrutinib", "zanubrutinib", "venetoclax_obinutuzumab")), 12
    if kind == "myeloma":
        return rng.choice(("dara_vrd", "vrd", "dara_vmp")), rng.randint(4, 8)
    if kind == "t_cell":
        return rng.choice(("choep", "chop", "bv_chp")), 6
    if kind == "skin":
        return "other", 1
    return rng.choice(("rituximab", "br")), rng.choice((4, 6))
