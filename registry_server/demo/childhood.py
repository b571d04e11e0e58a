"""Childhood cancer: about 200 children a year at the four university hospitals.

Diagnosis groups in ICCC-3 proportions (leukaemias, CNS tumours and lymphomas the largest),
with matching ICD-10, ICD-O-3 topography and morphology. Most are assessed in a
multidisciplinary meeting and about half are included in a treatment protocol. The unit
reports the assessment and, once treatment has started, the treatment.
"""

from __future__ import annotations

import datetime
from typing import Any

from registry_server.demo.year import DemoYear

YEARLY = 200

# main group: (share, [(subgroup or None, morphology, ICD-10, topography, treatments)])
_GROUPS: dict[str, tuple[float, list[tuple[str | None, str, str, str, tuple[str, ...]]]]] = {
    "I": (30, [("Ia", "9836/3", "C91.0", "C42.1", ("chemotherapy",)),
               ("Ib", "9861/3", "C92.0", "C42.1", ("chemotherapy",)),
               ("Ic", "9875/3", "C92.1", "C42.1", ("chemotherapy",))]),
    "II": (11, [("IIa", "9663/3", "C81.1", "C77.0", ("chemotherapy",)),
                ("IIb", "9680/3", "C83.3", "C77.2", ("chemotherapy",)),
                ("IIc", "9687/3", "C83.7", "C77.2", ("chemotherapy",))]),
    "III": (26, [("IIIb", "9421/1", "C71.6", "C71.6", ("surgery",)),
                 ("IIIc", "9470/3", "C71.6", "C71.6", ("surgery", "radiotherapy", "chemotherapy")),
                 ("IIIa", "9391/3", "C71.5", "C71.5", ("surgery", "radiotherapy")),
                 ("IIId", "9380/3", "C71.9", "C71.9", ("surgery", "chemotherapy"))]),
    "IV": (6, [("IVa", "9500/3", "C74.9", "C74.9", ("chemotherapy", "surgery"))]),
    "V": (3, [(None, "9510/3", "C69.2", "C69.2", ("chemotherapy",))]),
    "VI": (5, [("VIa", "8960/3", "C64", "C64.9", ("chemotherapy", "surgery"))]),
    "VII": (1, [("VIIa", "8970/3", "C22.2", "C22.0", ("chemotherapy", "surgery"))]),
    "VIII": (5, [("VIIIa", "9180/3", "C40.2", "C40.2", ("chemotherapy", "surgery")),
                 ("VIIIc", "9260/3", "C41.4", "C41.4", ("chemotherapy", "radiotherapy"))]),
    "IX": (6, [("IXa", "8910/3", "C49.0", "C49.0", ("chemotherapy", "surgery"))]),
    "X": (4, [("Xc", "9085/3", "C62.9", "C62.9", ("surgery", "chemotherapy"))]),
    "XI": (2, [("XIb", "8260/3", "C73", "C73.9", ("surgery",))]),
    "XII": (1, [("XIIb", "8000/3", "C80.9", "C80.9", ("chemotherapy",))]),
}  # fmt: skip
_PROTOCOLS = (
    "ALLTogether1",
    "NOPHO-DBH AML 2012",
    "SIOP Umbrella",
    "EpSSG FaR-RMS",
    "SIOPEN HR-NBL2",
)


def generate(year: DemoYear, count: int = YEARLY) -> None:
    rng = year.rng("childhood")
    assessment = year.catalogue.latest("childhood", "assessment")
    treatment = year.catalogue.latest("childhood", "treatment")
    units = year.weighted_units("childhood")
    for _ in range(count):
        _case(year, rng, year.pick(rng, units), assessment, treatment)


def _case(year, rng, unit, assessment, treatment) -> None:  # type: ignore[no-untyped-def]
    q = unit.habits.quality
    group = year.pick(rng, {g: spec[0] for g, spec in _GROUPS.items()})
    subgroup, morphology, icd10, topography, elements = rng.choice(_GROUPS[group][1])
    diagnosed = year.diagnosis_date(rng)
    age = min(16, int(rng.triangular(0, 17, 3)))
    born = diagnosed - datetime.timedelta(days=age * 365 + age // 4 + rng.randint(20, 340))
    patient = year.patient(rng, born, rng.choice(("F", "M")))
    year.notify("childhood", "pathology_diagnosis", diagnosed, unit, patient, "pathology")
    included = rng.choices(("1", "0", "99"), (0.54 + 0.1 * q, 0.43 - 0.1 * q, 0.03))[0]
    values: dict[str, Any] = {
        "diagnosis_date": diagnosed.isoformat(),
        "icd10": icd10,
        "iccc3_main_group": group,
        "icdo3_topography": topography,
        "icdo3_morphology": morphology,
        "protocol_inclusion": included,
        "mdt_assessed": rng.choices(("1", "0", "99"), (0.88 + 0.07 * q, 0.1 - 0.07 * q, 0.02))[0],
        "treating_hospital": unit.hospital_code,
        "nopho_reservation": rng.choices(("0", "1", "99"), (94, 4, 2))[0],
    }
    if subgroup is not None:
        values["iccc3_subgroup"] = subgroup
    if included == "1":
        values["protocol_name"] = rng.choice(_PROTOCOLS)
    report = year.report_date(rng, unit, diagnosed)
    if report is not None:
        year.send(rng, unit, assessment, patient, report, values, computed=True)
    start = diagnosed + datetime.timedelta(days=rng.randint(2, 12))
    if start > year.today:
        return
    rows = []
    for i, kind in enumerate(elements):
        begins = start + datetime.timedelta(days=21 * i)
        if begins > year.today:
            break
        row: dict[str, Any] = {"element_type": kind, "element_start_date": begins.isoformat()}
        if kind == "radiotherapy":
            row.update({"element_rt_dose_gy": 54.0, "element_rt_fractions": 30})
        rows.append(row)
    out = {
        "diagnosis_date": values["diagnosis_date"],
        "icd10": icd10,
        "treatment_elements": rows,
        "nopho_reservation": values["nopho_reservation"],
    }
    report = year.report_date(rng, unit, start)
    if report is not None:
        year.send(rng, unit, treatment, patient, report, out, computed=True)
