"""Sarcoma: about 560 patients a year at the four sarcoma centres (the university hospitals).

Most patients are referred to the centre before any biopsy; some only after a biopsy or an
unplanned excision elsewhere. Treatment at the centre: surgery for most, radiotherapy before
or after surgery for some. The centre reports the assessment, the surgery and the
radiotherapy.
"""

from __future__ import annotations

import datetime
from typing import Any

from registry_server.demo.year import DemoYear

YEARLY = 560
_D = datetime.timedelta

# localisation: (share, [(WHO subtype, ICD-10)], depth asked)
_SITES: dict[str, tuple[float, list[tuple[str, str]]]] = {
    "lower_extremity": (30, [("8802/3", "C49.2"), ("8811/3", "C49.2"), ("8852/3", "C49.2"),
                             ("9040/3", "C49.2"), ("8890/3", "C49.2")]),
    "upper_extremity": (10, [("8802/3", "C49.1"), ("8811/3", "C49.1"), ("9040/3", "C49.1")]),
    "trunk_wall": (12, [("8832/3", "C49.6"), ("8802/3", "C49.3"), ("8890/3", "C49.4")]),
    "head_neck": (4, [("8802/3", "C49.0"), ("8890/3", "C49.0")]),
    "retroperitoneum": (12, [("8858/3", "C48.0"), ("8851/3", "C48.0"), ("8890/3", "C48.0")]),
    "intra_abdominal": (18, [("8936/3", "C16.2"), ("8936/3", "C17.1"), ("8936/3", "C16.9")]),
    "bone_appendicular": (9, [("9180/3", "C40.2"), ("9220/3", "C40.2"), ("9364/3", "C40.2")]),
    "bone_axial": (5, [("9220/3", "C41.4"), ("9370/3", "C41.2"), ("9364/3", "C41.4")]),
}  # fmt: skip
_DEPTH = ("upper_extremity", "lower_extremity", "trunk_wall", "head_neck")


def generate(year: DemoYear, count: int = YEARLY) -> None:
    rng = year.rng("sarcoma")
    forms = {
        f: year.catalogue.latest("sarcoma", f) for f in ("assessment", "surgery", "radiotherapy")
    }
    units = year.weighted_units("sarcoma")
    for _ in range(count):
        _case(year, rng, year.pick(rng, units), forms)


def _case(year, rng, unit, forms) -> None:  # type: ignore[no-untyped-def]
    q = unit.habits.quality
    site = year.pick(rng, {s: spec[0] for s, spec in _SITES.items()})
    subtype, icd10 = rng.choice(_SITES[site][1])
    bone = site.startswith("bone")
    gist = subtype == "8936/3"
    diagnosed = year.diagnosis_date(rng)
    age = rng.randint(10, 30) if bone and rng.random() < 0.6 else rng.randint(25, 90)
    patient = year.patient(rng, year.born(rng, age, diagnosed), rng.choice(("F", "M")))
    year.notify("sarcoma", "pathology_diagnosis", diagnosed, unit, patient, "pathology")
    biopsy = rng.choices(("core_needle", "open", "none"), (75, 8, 17))[0]
    referral_table = {
        "before_biopsy": 0.62 + 0.1 * q,
        "after_biopsy": 0.0 if biopsy == "none" else 0.17,
        "after_surgery": 0.15 - 0.06 * q,
        "not_referred": 0.02,
        "99": 0.03,
    }
    referral = year.pick(rng, referral_table)
    values: dict[str, Any] = {
        "diagnosis_date": diagnosed.isoformat(),
        "icd10": icd10,
        "localisation": site,
        "who_subtype": subtype,
        "tumour_size_cm": round(min(40.0, max(0.5, year.lognormal_days(rng, 70, 0.6) / 10)), 1),
        "metastasis_at_diagnosis": rng.choices(("0", "1", "99"), (87, 11, 2))[0],
        "biopsy_type": biopsy,
        "referral": referral,
        "treating_hospital": unit.hospital_code,
        "mdt_meeting": rng.choices(("1", "0", "99"), (90, 8, 2))[0],
    }
    if gist:
        values["gist_risk"] = rng.choice(("very_low", "low", "intermediate", "high"))
    elif not bone:
        values["fnclcc_grade"] = rng.choices(("1", "2", "3", "99"), (25, 30, 40, 5))[0]
    if site in _DEPTH:
        values["depth"] = rng.choices(("deep", "superficial", "99"), (70, 28, 2))[0]
    referred = None
    if referral == "before_biopsy":
        referred = diagnosed - _D(days=rng.randint(7, 21))
    elif referral in ("after_biopsy", "after_surgery"):
        referred = diagnosed + _D(days=rng.randint(2, 25))
    if referred is not None:
        if referred > year.today:
            return  # the centre has not seen the patient yet
        values["referral_date"] = referred.isoformat()
    report = year.report_date(rng, unit, max(diagnosed, referred or diagnosed))
    if report is not None:
        year.send(rng, unit, forms["assessment"], patient, report, values)
    if referred is None or values["metastasis_at_diagnosis"] == "1":
        return
    _treat(year, rng, unit, forms, patient, values, referred, bone, gist, referral)


def _treat(year, rng, unit, forms, patient, values, referred, bone, gist, referral) -> None:  # type: ignore[no-untyped-def]
    diagnosed = datetime.date.fromisoformat(values["diagnosis_date"])
    median = (80 if bone else 36) * unit.habits.speed
    radiotherapy = not gist and not bone and rng.random() < 0.32
    preoperative = radiotherapy and rng.random() < 0.5
    first = max(diagnosed + _D(days=1), referred + _D(days=year.lognormal_days(rng, median)))
    if preoperative:
        rt_start, operated = first, first + _D(days=rng.randint(70, 90))
    else:
        operated = first
        rt_start = operated + _D(days=rng.randint(35, 55)) if radiotherapy else None
    common = {"diagnosis_date": values["diagnosis_date"], "icd10": values["icd10"]}
    if rt_start is not None and rt_start <= year.today:
        year.notify("sarcoma", "radiotherapy_start", rt_start, unit, patient, "radiotherapy_system")
        end = rt_start + _D(days=34)
        rt = {
            **common,
            "rt_intent": "preoperative" if preoperative else "postoperative",
            "rt_target": "primary",
            "rt_modality": "photons" if rng.random() < 0.93 else "protons",
            "rt_start_date": rt_start.isoformat(),
            "rt_dose_gy": 50.0 if preoperative else 60.0,
            "rt_fractions": 25 if preoperative else 30,
            "concurrent_chemotherapy": "0",
        }
        if end <= year.today:
            rt.update({"rt_end_date": end.isoformat(), "completed_as_planned": "1"})
        report = year.report_date(rng, unit, rt_start)
        if report is not None:
            year.send(rng, unit, forms["radiotherapy"], patient, report, rt)
    if operated > year.today or rng.random() < 0.12:
        return  # not operated (yet), or not operable
    year.notify("sarcoma", "surgery_procedure", operated, unit, patient, "patient_administration")
    unplanned = "1" if referral == "after_surgery" and not (bone or preoperative) else "0"
    surgery = {
        **common,
        "neoadjuvant_chemotherapy": "1" if bone else "0",
        "neoadjuvant_radiotherapy": "1" if preoperative else "0",
        "surgery_date": operated.isoformat(),
        "unplanned_excision": unplanned,
        "procedure": "re_excision"
        if unplanned == "1"
        else rng.choices(("excision", "amputation", "other"), (94, 3, 3))[0],
        "margin": rng.choices(("R0", "R1", "R2", "RX"), (75, 20, 3, 2))[0],
        "adjuvant_chemotherapy": "1" if bone else "0",
        "adjuvant_radiotherapy": "1" if radiotherapy and not preoperative else "0",
    }
    report = year.report_date(rng, unit, operated)
    if report is not None:
        year.send(rng, unit, forms["surgery"], patient, report, surgery)
