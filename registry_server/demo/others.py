"""The registries with only an assessment form in the catalogue (colorectal, prostate, lung,
melanoma, gynaecological, bladder, oesophagus and stomach, CNS): smaller numbers than the
national volumes (about a tenth), enough for their administrative figures and reminders.
Their answers are drawn by `desktop_app.forms.example_values` around a fixed patient,
envelope and diagnosis date, so they are valid by construction."""

from __future__ import annotations

import random

from desktop_app.forms import example_values, generate_identity_number
from registry_server.demo.year import DemoYear, Patient

# registry -> (patients a year in the demo, sex of the patients or None for either)
POOL = 12  # different clinical answer sets per registry

VOLUMES: dict[str, tuple[int, str | None]] = {
    "colorectal": (220, None),
    "prostate": (200, "M"),
    "lung": (160, None),
    "melanoma": (110, None),
    "gynaecological": (70, "F"),
    "bladder": (70, None),
    "oesophagus_stomach": (40, None),
    "cns": (50, None),
}


def generate(year: DemoYear, scale: float = 1.0) -> None:
    for registry, (count, sex) in VOLUMES.items():
        _registry(year, registry, round(count * scale), sex)


def _registry(year: DemoYear, registry: str, count: int, sex: str | None) -> None:
    rng = year.rng(registry)
    definition = year.catalogue.latest(registry, "assessment")
    units = year.weighted_units(registry)
    pool = _pool(year, rng, definition, sex)
    for _ in range(count):
        unit = year.pick(rng, units)
        diagnosed = year.diagnosis_date(rng)
        age = rng.randint(35, 90)
        patient = year.patient(rng, year.born(rng, age, diagnosed), sex or rng.choice(("F", "M")))
        year.notify(registry, "pathology_diagnosis", diagnosed, unit, patient, "pathology")
        report = year.report_date(rng, unit, diagnosed, missing=0.05)
        if report is None:
            continue
        answers = {**rng.choice(pool), "diagnosis_date": diagnosed.isoformat()}
        year.send(rng, unit, definition, patient, report, answers)


def _pool(year: DemoYear, rng: random.Random, definition, sex: str | None) -> list[dict]:  # type: ignore[no-untyped-def]
    """Clinical answers drawn by example_values (a few milliseconds each, so a pool is drawn
    once and shared): everything but the envelope, the patient and the diagnosis date."""
    unit = next(iter(year.weighted_units(definition.registry)))
    pool = []
    for _ in range(POOL):
        born = year.born(rng, 60, year.today)
        number = generate_identity_number(rng, born, gender=sex or rng.choice(("F", "M")))
        patient = Patient(number, "Pool Demo Testesen", born, "F")
        fixed = {
            **year.envelope(unit, patient, year.today),
            "diagnosis_date": year.today.isoformat(),
        }
        values = example_values(
            definition, random.Random(rng.getrandbits(64)), today=year.today, fixed=fixed
        )
        pool.append({k: v for k, v in values.items() if k not in fixed})
    return pool
