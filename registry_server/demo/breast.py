"""Breast cancer: about 4,000 patients a year across the breast surgery units.

Pathway, in order: referral received, diagnosis (needle biopsy) a few days later, then either
surgery about a month after the referral, or neoadjuvant drug therapy first and surgery some
five months later. After surgery: radiotherapy, chemotherapy, HER2-directed and endocrine
therapy as the tumour calls for. The surgery unit reports the assessment and the surgery; the
oncology unit its hospital sends patients to reports the oncological treatment (once for
neoadjuvant treatment, once after the adjuvant treatment has started). Rates of the quality
indicators differ between units (`Habits.quality`), around the national targets.
"""

from __future__ import annotations

import datetime
from typing import Any

from registry_server.demo.units import BREAST_ONCOLOGY_OF, DemoUnit
from registry_server.demo.year import DemoYear

YEARLY = 4000
_DAY = datetime.timedelta(days=1)
_INVASIVE_ICD = {
    "C50.4": 40, "C50.2": 15, "C50.8": 14, "C50.1": 8, "C50.5": 7, "C50.3": 6, "C50.9": 6,
    "C50.0": 2, "C50.6": 2,
}  # fmt: skip


def generate(year: DemoYear, count: int = YEARLY) -> None:
    rng = year.rng("breast")
    assessment = year.catalogue.latest("breast", "assessment")
    surgery = year.catalogue.latest("breast", "surgery")
    treatment = year.catalogue.latest("breast", "oncological_treatment")
    units = year.weighted_units("breast")
    for _ in range(count):
        unit: DemoUnit = year.pick(rng, units)
        oncology = year.unit_at(BREAST_ONCOLOGY_OF[unit.hospital_code], "breast", "oncology")
        _case(year, rng, unit, oncology, assessment, surgery, treatment)


def _days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def _case(year, rng, unit, oncology, assessment, surgery, treatment) -> None:  # type: ignore[no-untyped-def]
    q = unit.habits.quality
    diagnosed = year.diagnosis_date(rng)
    r = rng.random()
    age = (
        rng.randint(30, 44)
        if r < 0.1
        else rng.randint(45, 59)
        if r < 0.45
        else rng.randint(60, 69)
        if r < 0.75
        else rng.randint(70, 90)
    )
    sex = "M" if rng.random() < 0.01 else "F"
    patient = year.patient(rng, year.born(rng, age, diagnosed), sex)
    referred = diagnosed - _days(rng.randint(3, 12))
    dcis = rng.random() < 0.11
    t = _tumour(rng, dcis, age)
    # Pathology tells the registry of every case (a few notifications go astray).
    if rng.random() < 0.98:
        year.notify("breast", "pathology_diagnosis", diagnosed, unit, patient, "pathology")

    neo = t["neoadjuvant"]
    palliative = t["m"] == "M1"
    # Dates of the pathway.
    chemo_start = None
    operated = None
    if neo:
        median = 27 * unit.habits.speed * oncology.habits.speed
        chemo_start = max(diagnosed + _days(3), referred + _days(year.lognormal_days(rng, median)))
        operated = chemo_start + _days(rng.randint(140, 190))
    elif not palliative:
        median = 28 * unit.habits.speed
        operated = max(diagnosed + _days(2), referred + _days(year.lognormal_days(rng, median)))
    mri = year.chance(rng, (0.78 + 0.12 * q) if neo else (0.13 + 0.05 * q))
    values = {
        "diagnosis_date": diagnosed.isoformat(),
        "referral_date": referred.isoformat(),
        "preoperative_diagnosis": year.pick(
            rng,
            {
                "core_needle_biopsy": 0.86 + 0.05 * q,
                "cytology": 0.04,
                "none": 0.08 - 0.05 * q,
                "99": 0.02,
            },
        ),
        "icd10": t["icd10"],
        "laterality": t["laterality"],
        "detection_method": _detection(rng, age),
        "clinical_t": t["clinical_t"],
        "clinical_n": t["n"],
        "clinical_m": t["m"],
        "histological_type": t["histology"],
        "mri_done": "1" if mri else "0",
        "neoadjuvant_planned": "1" if neo else "0",
        "surgery_planned": "0" if palliative else "1",
        "er_percent": t["er"],
        "pr_percent": t["pr"],
        "her2_ihc": t["her2_ihc"],
        "tumour_size_mm": round(t["size"]),
    }
    if dcis:
        values["dcis_grade"] = (
            rng.choice(("low", "intermediate", "high"))
            if year.chance(rng, 0.965 + 0.025 * q)
            else "99"
        )
    else:
        values["nottingham_grade"] = t["grade"]
    if t["her2_ihc"] == "2+":
        values["her2_ish"] = t["her2_ish"]
    report = year.report_date(rng, unit, diagnosed)
    if report is not None:
        year.send(rng, unit, assessment, patient, report, values)

    if operated is not None and operated <= year.today:
        year.notify(
            "breast", "surgery_procedure", operated, unit, patient, "patient_administration"
        )
        done = _surgery(year, rng, unit, surgery, patient, t, diagnosed, operated, neo, age)
    else:
        done = None
    _oncology(year, rng, oncology, treatment, patient, t, diagnosed, chemo_start, operated, done)


def _tumour(rng, dcis: bool, age: int) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    from math import exp

    if dcis:
        size = min(80.0, max(2.0, 15 * exp(rng.gauss(0, 0.7))))
        return {
            "histology": "8500/2", "icd10": "D05.1" if rng.random() < 0.9 else "D05.9",
            "size": size, "clinical_t": "Tis", "n": "N0", "m": "M0", "grade": None,
            "er": rng.randint(50, 100) if rng.random() < 0.8 else 0, "pr": 0,
            "her2_ihc": rng.choice(("0", "1+", "2+", "3+")), "her2_ish": "not_done",
            "laterality": _laterality(rng), "neoadjuvant": False, "her2_positive": False,
            "dcis": True,
        }  # fmt: skip
    size = min(120.0, max(2.0, 17 * exp(rng.gauss(0, 0.6))))
    n = rng.choices(("N0", "N1", "N2a", "N3a"), weights=(74, 20, 5, 1))[0]
    m = "M1" if rng.random() < 0.03 else "M0"
    er_positive = rng.random() < 0.82
    her2_ihc = rng.choices(("0", "1+", "2+", "3+", "99"), weights=(35, 30, 20, 13, 2))[0]
    her2_ish = rng.choices(("amplified", "not_amplified", "not_done"), weights=(25, 70, 5))[0]
    her2_positive = her2_ihc == "3+" or (her2_ihc == "2+" and her2_ish == "amplified")
    p_neo = 0.04 + (0.33 if size > 30 else 0) + (0.08 if age < 50 else 0)
    p_neo += (0.12 if n != "N0" else 0) + (0.12 if her2_positive else 0)
    return {
        "histology": rng.choices(("8500/3", "8520/3", "other"), weights=(84, 13, 3))[0],
        "icd10": rng.choices(list(_INVASIVE_ICD), weights=list(_INVASIVE_ICD.values()))[0],
        "size": size,
        "clinical_t": "T4b" if rng.random() < 0.02 else _t_of(size),
        "n": n,
        "m": m,
        "grade": rng.choices(("1", "2", "3", "99"), weights=(25, 50, 23, 2))[0],
        "er": rng.randint(10, 100) if er_positive else 0,
        "pr": rng.randint(1, 100) if er_positive and rng.random() < 0.8 else 0,
        "her2_ihc": her2_ihc,
        "her2_ish": her2_ish,
        "laterality": _laterality(rng),
        "neoadjuvant": m == "M0" and rng.random() < min(0.8, p_neo),
        "her2_positive": her2_positive,
        "dcis": False,
    }


def _t_of(size: float) -> str:
    for limit, t in ((1, "T1mi"), (5, "T1a"), (10, "T1b"), (20, "T1c"), (50, "T2")):
        if size <= limit:
            return t
    return "T3"


def _laterality(rng) -> str:  # type: ignore[no-untyped-def]
    return rng.choices(("right", "left", "bilateral"), weights=(49, 49, 2))[0]


def _detection(rng, age: int) -> str:  # type: ignore[no-untyped-def]
    if 50 <= age <= 69:
        return rng.choices(("screening", "symptoms", "other"), weights=(60, 37, 3))[0]
    return rng.choices(("screening", "symptoms", "other"), weights=(5, 88, 7))[0]


def _surgery(year, rng, unit, surgery, patient, t, diagnosed, operated, neo, age):  # type: ignore[no-untyped-def]
    """The surgery message (if sent); what was done, for the oncological treatment."""
    q = unit.habits.quality
    size = t["size"]
    if t["dcis"]:
        p_bcs = 0.74 + 0.06 * q
    elif neo:
        p_bcs = 0.6
    elif size <= 30:
        p_bcs = 0.875 + 0.05 * q
    else:
        p_bcs = 0.4
    conserving = year.chance(rng, p_bcs)
    kind = "breast_conserving" if conserving else "mastectomy"
    p_re = 0.03  # a mastectomy is seldom followed by another operation on the tumour
    if conserving:
        p_re = (0.2 - 0.08 * q) if t["dcis"] else (0.13 - 0.06 * q)
    re_excision = "99" if rng.random() < 0.01 else ("1" if year.chance(rng, p_re) else "0")
    values: dict[str, Any] = {
        "diagnosis_date": diagnosed.isoformat(),
        "icd10": t["icd10"],
        "surgery_date": operated.isoformat(),
        "operated_side": t["laterality"],
        "neoadjuvant_given": "1" if neo else "0",
        "breast_surgery": kind,
        "re_excision": re_excision,
        "margins": ("involved" if rng.random() < 0.7 else "free")
        if re_excision == "1"
        else ("free" if rng.random() < 0.98 else "99"),
        "pathological_m": "M0",
    }
    if values["margins"] == "free" and rng.random() < 0.6:
        values["closest_margin_mm"] = round(rng.uniform(0.5, 15.0), 1)
    if kind == "mastectomy":
        p_recon = (0.43 + 0.15 * q) if age <= 69 else 0.06
        values["immediate_reconstruction"] = (
            "99" if rng.random() < 0.01 else ("1" if year.chance(rng, p_recon) else "0")
        )
    values.update(_axilla(rng, t))
    if t["dcis"]:
        values["pathological_t"] = "Tis"
        values["tumour_size_mm"] = round(max(0.5, size * rng.uniform(0.8, 1.2)), 1)
    elif neo and rng.random() < 0.25:
        values["pathological_t"] = "T0"  # complete response: no tumour left to measure
    else:
        shrink = rng.uniform(0.3, 0.9) if neo else rng.uniform(0.8, 1.2)
        measured = round(max(0.5, size * shrink), 1)
        values["pathological_t"] = "T4b" if t["clinical_t"] == "T4b" else _t_of(measured)
        values["tumour_size_mm"] = measured
    report = year.report_date(rng, unit, operated)
    if report is not None:
        year.send(rng, unit, surgery, patient, report, values)
    return {"kind": kind, "nodes_positive": values.get("nodes_positive", 0)}


def _axilla(rng, t) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    if t["dcis"]:
        axilla = "sentinel" if rng.random() < 0.4 else "none"
    elif t["n"] == "N0":
        axilla = rng.choices(("sentinel", "sentinel_and_dissection", "none"), (86, 6, 8))[0]
    else:
        axilla = rng.choices(("dissection", "sentinel_and_dissection", "sentinel"), (60, 30, 10))[0]
    if axilla == "none":
        return {"axilla_surgery": "none", "pathological_n": "NX"}
    removed = rng.randint(1, 4) if axilla == "sentinel" else rng.randint(8, 25)
    if t["dcis"]:
        positive = 0
    elif t["n"] == "N0":
        positive = 0 if rng.random() < 0.85 else rng.randint(1, min(2, removed))
    else:
        positive = rng.randint(1, min(removed, 12))
    n = "N0" if positive == 0 else "N1a" if positive <= 3 else "N2a" if positive <= 9 else "N3a"
    return {
        "axilla_surgery": axilla,
        "nodes_removed": removed,
        "nodes_positive": positive,
        "pathological_n": n,
    }


def _oncology(year, rng, oncology, treatment, patient, t, diagnosed, chemo_start, operated, done):  # type: ignore[no-untyped-def]
    """The oncological treatment message: neoadjuvant (sent once drug therapy has started),
    adjuvant (sent once the last planned treatment has started) or palliative."""
    common = {"diagnosis_date": diagnosed.isoformat(), "icd10": t["icd10"]}
    if chemo_start is not None:
        values = {**common, "treatment_setting": "neoadjuvant", **_chemo(chemo_start)}
        values.update(_her2(chemo_start) if t["her2_positive"] else {"her2_therapy": "0"})
        values.update({"endocrine_therapy": "0", "radiotherapy": "0"})
        _report(year, rng, oncology, treatment, patient, "drug_therapy_start", chemo_start, values)
        return
    if t["m"] == "M1":
        start = diagnosed + _days(rng.randint(14, 40))
        values = {**common, "treatment_setting": "palliative", "chemotherapy": "0",
                  "her2_therapy": "0", "radiotherapy": "0"}  # fmt: skip
        if t["er"] > 0:
            values.update(_endocrine(rng, start))
        else:
            values.update({**_chemo(start), "endocrine_therapy": "0"})
        _report(year, rng, oncology, treatment, patient, "drug_therapy_start", start, values)
        return
    if done is None:
        return  # not operated (yet)
    q = oncology.habits.quality
    positive_nodes = done["nodes_positive"] > 0
    starts: list[tuple[datetime.date, str]] = []
    values = {**common, "treatment_setting": "adjuvant"}
    chemo = not t["dcis"] and year.chance(
        rng, 0.2 + 0.45 * t["her2_positive"] + 0.3 * (t["grade"] == "3") + 0.3 * positive_nodes
    )
    if chemo:
        start = operated + _days(rng.randint(30, 50))
        values.update(_chemo(start))
        starts.append((start, "drug_therapy_start"))
    else:
        values["chemotherapy"] = "0"
    if chemo and t["her2_positive"]:
        values.update(_her2(start))
    else:
        values["her2_therapy"] = "0"
    if done["kind"] == "breast_conserving":
        p_rt = 0.6 if t["dcis"] else 0.935 + 0.035 * q
    else:
        p_rt = 0.8 if positive_nodes else 0.08
    rt_start = None
    if year.chance(rng, p_rt):
        rt_start = (
            (start + _days(rng.randint(130, 160)))
            if chemo
            else operated + _days(rng.randint(35, 60))
        )
        values.update(_radiotherapy(rng, rt_start, done["kind"], positive_nodes, year.today))
        starts.append((rt_start, "radiotherapy_start"))
    else:
        values["radiotherapy"] = "0"
    if t["er"] > 0 and (not t["dcis"] or rng.random() < 0.2):
        after = rt_start or (start + _days(140) if chemo else operated)
        endocrine = after + _days(rng.randint(14, 40))
        values.update(_endocrine(rng, endocrine))
        starts.append((endocrine, "drug_therapy_start"))
    else:
        values["endocrine_therapy"] = "0"
    if not starts:
        return
    last, event = max(starts)
    if last > year.today:
        return  # treatment still to start: reported when it has
    _report(year, rng, oncology, treatment, patient, event, last, values)


def _report(year, rng, unit, definition, patient, event, started, values) -> None:  # type: ignore[no-untyped-def]
    # The hospital's systems tell the registry of the start that completes the course, which
    # is when the unit reports it.
    year.notify("breast", event, started, unit, patient, _SOURCE[event])
    report = year.report_date(rng, unit, started)
    if report is not None:
        year.send(rng, unit, definition, patient, report, values)


_SOURCE = {"drug_therapy_start": "medication_system", "radiotherapy_start": "radiotherapy_system"}


def _chemo(start: datetime.date) -> dict[str, Any]:
    return {
        "chemotherapy": "1",
        "chemotherapy_regimen": "anthracycline_taxane",
        "chemotherapy_start_date": start.isoformat(),
    }


def _her2(start: datetime.date) -> dict[str, Any]:
    return {
        "her2_therapy": "1",
        "her2_agents": ["trastuzumab", "pertuzumab"],
        "her2_start_date": start.isoformat(),
    }


def _endocrine(rng, start: datetime.date) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    return {
        "endocrine_therapy": "1",
        "endocrine_agent": rng.choice(("tamoxifen", "aromatase_inhibitor")),
        "cdk46_inhibitor": "0",
        "endocrine_start_date": start.isoformat(),
    }


def _radiotherapy(rng, start, kind, nodes, today) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    if kind == "breast_conserving":
        target = "breast_nodes" if nodes else "breast"
    else:
        target = "chest_wall_nodes" if nodes else "chest_wall"
    row: dict[str, Any] = {
        "rt_target": target,
        "rt_dose_gy": 40.05,
        "rt_fractions": 15,
        "rt_start_date": start.isoformat(),
    }
    end = start + _days(20)
    if end <= today:
        row["rt_end_date"] = end.isoformat()
    rows = [row]
    if kind == "breast_conserving" and rng.random() < 0.25:
        boost = {"rt_target": "boost", "rt_dose_gy": 10.0, "rt_fractions": 5,
                 "rt_start_date": (start + _days(21)).isoformat()}  # fmt: skip
        if start + _days(21) <= today:
            rows.append(boost)
    return {"radiotherapy": "1", "radiotherapy_series": rows}
