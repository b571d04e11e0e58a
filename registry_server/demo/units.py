"""The units of the national demo: which department at which hospital reports to which
registries, and each unit's share of the registry's cases (yearly volumes are unequal: breast
surgery ranges from a few dozen operations a year to several hundred).

Every unit also has its own habits (`Habits`): how completely and how quickly it reports and
how it treats, drawn once from its key, so some units land above a target and some below.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from functools import cache

# (hospital code, unit name, department code, registries, {registry: share weight})
# Unit names are English like the existing demo units; departments are codes of
# resources/codelists/departments.json.
_BREAST_SURGERY = {
    "0320": 14, "0208": 8, "0105": 6, "0601": 7, "0707": 5, "0808": 4, "1005": 5, "0403": 5,
    "1305": 8, "1107": 7, "1101": 3, "1406": 2, "1608": 7, "1504": 4, "1701": 2, "1903": 3,
    "1801": 3, "2001": 1,
}  # fmt: skip
# Where each breast surgery hospital's patients have their oncological treatment.
BREAST_ONCOLOGY_OF = {
    "0320": "0305", "0208": "0208", "0105": "0105", "0601": "0601", "0707": "0707",
    "0808": "0808", "1005": "1005", "0403": "0501", "1305": "1305", "1107": "1107",
    "1101": "1101", "1406": "1406", "1608": "1608", "1504": "1504", "1701": "1608",
    "1903": "1903", "1801": "1801", "2001": "1903",
}  # fmt: skip
_LYMPHOID = {
    "0305": 12, "0208": 8, "0105": 6, "0601": 6, "0707": 4, "0808": 4, "1005": 4, "0501": 3,
    "0403": 3, "1305": 9, "1107": 7, "1101": 3, "1406": 2, "1608": 8, "1504": 4, "1701": 2,
    "1903": 4, "1801": 3,
}  # fmt: skip
_SARCOMA = {"0305": 55, "1305": 20, "1608": 15, "1903": 10}
_CHILDHOOD = {"0316": 50, "1305": 20, "1608": 18, "1903": 12}
# The registries with an assessment form only (smaller demo volumes): hospital -> weight,
# reported by one unit per (hospital, department).
_OTHER_UNITS = {
    "surgery": ("Gastrointestinal surgery", ("colorectal", "oesophagus_stomach", "melanoma")),
    "urology": ("Urology", ("prostate", "bladder")),
    "medicine": ("Pulmonary medicine", ("lung",)),
    "other": ("Gynaecology", ("gynaecological",)),
    "neuro": ("Neurosurgery", ("cns",)),
}
_OTHER_HOSPITALS = {
    "surgery": {
        "0301": 5, "0208": 6, "0105": 4, "0601": 4, "0707": 3, "0808": 3, "1005": 3, "0404": 3,
        "0502": 2, "1305": 5, "1107": 4, "1101": 2, "1406": 1, "1608": 4, "1504": 2, "1502": 1,
        "1701": 2, "1903": 2, "1801": 2, "1807": 1, "2002": 1, "0304": 2, "0306": 2, "1302": 2,
    },
    "urology": {"0320": 5, "0208": 4, "0105": 3, "0601": 3, "1305": 4, "1107": 3, "1608": 3,
                "1903": 2, "1005": 2, "0707": 2},
    "medicine": {"0320": 4, "0208": 3, "0105": 2, "0601": 2, "1305": 4, "1107": 2, "1608": 3,
                 "1903": 2, "1801": 1, "0404": 2},
    "other": {"0320": 4, "0208": 2, "1305": 3, "1107": 2, "1608": 2, "1903": 1},
    "neuro": {"0316": 5, "1305": 2, "1608": 2, "1903": 1},
}  # fmt: skip


@dataclass(frozen=True)
class Habits:
    """How a unit reports and treats, relative to the national average (0 = average)."""

    missing: float  # share of messages never sent
    late: float  # share sent late (weeks to months after the usual delay)
    delay_days: float  # the usual days from the event to the report (median)
    quality: float  # -1 .. 1: better or worse than average on the clinical indicators
    speed: float  # multiplies pathway times (referral -> treatment)

    @staticmethod
    @cache
    def draw(key: str) -> Habits:
        rng = random.Random(f"demo-unit:{key}")
        return Habits(
            missing=round(rng.uniform(0.02, 0.16), 3),
            late=round(rng.uniform(0.03, 0.15), 3),
            delay_days=round(rng.uniform(8, 35), 1),
            quality=round(rng.uniform(-1.0, 1.0), 2),
            speed=round(rng.uniform(0.8, 1.3), 2),
        )


@dataclass(frozen=True)
class DemoUnit:
    hospital_code: str
    name: str
    department: str
    registries: tuple[str, ...]
    weights: dict[str, int] = field(default_factory=dict, compare=False, hash=False)
    username: str | None = None  # the demo user signing in to it, if any
    habits_override: Habits | None = field(default=None, compare=False, hash=False)

    @property
    def key(self) -> str:
        return f"{self.hospital_code}:{self.name}"

    @property
    def habits(self) -> Habits:
        return self.habits_override or Habits.draw(self.key)


# The two demo users' units: good reporters, near the targets (some above, some below).
DEMO_HABITS = {
    "demo": Habits(missing=0.05, late=0.08, delay_days=16, quality=0.15, speed=1.0),
    "bergen": Habits(missing=0.07, late=0.1, delay_days=20, quality=-0.1, speed=1.05),
}


def national_units(demo_units: dict[str, tuple[str, str, str]]) -> list[DemoUnit]:
    """Every unit of the national demo. `demo_units`: username -> (hospital, name,
    department) of the demo accounts' units, which take the roles given below."""
    units: dict[tuple[str, str], DemoUnit] = {}

    def add(hospital: str, name: str, department: str, registry: str, weight: int) -> None:
        key = (hospital, name)
        unit = units.get(key)
        if unit is None:
            unit = units[key] = DemoUnit(hospital, name, department, (), {})
        if registry not in unit.registries:
            units[key] = unit = DemoUnit(
                hospital, name, department, (*unit.registries, registry), unit.weights
            )
        unit.weights[registry] = unit.weights.get(registry, 0) + weight

    demo_hospital, demo_name, demo_department = demo_units["demo"]
    bergen_hospital, bergen_name, bergen_department = demo_units["bergen"]
    for hospital, weight in _BREAST_SURGERY.items():
        if hospital == demo_hospital:
            add(hospital, demo_name, demo_department, "breast", weight)
        else:
            add(hospital, "Breast and endocrine surgery", "surgery", "breast", weight)
    for hospital in sorted(set(BREAST_ONCOLOGY_OF.values())):
        name, department = _oncology(hospital, bergen_hospital, bergen_name, bergen_department)
        add(hospital, name, department, "breast", 0)  # oncological treatment only
    for hospital, weight in _LYMPHOID.items():
        if hospital == bergen_hospital:
            add(hospital, bergen_name, bergen_department, "lymphoid", weight)
        elif hospital == "0305":
            add(hospital, "Oncology", "oncology", "lymphoid", weight)
        else:
            add(hospital, "Haematology", "medicine", "lymphoid", weight)
    for hospital, weight in _SARCOMA.items():
        name, department = _oncology(hospital, bergen_hospital, bergen_name, bergen_department)
        add(hospital, name, department, "sarcoma", weight)
    for hospital, weight in _CHILDHOOD.items():
        add(hospital, "Paediatric oncology", "paediatrics", "childhood", weight)
    for kind, hospitals in _OTHER_HOSPITALS.items():
        name, registries = _OTHER_UNITS[kind]
        department = "surgery" if kind in ("neuro", "other") else kind
        for hospital, weight in hospitals.items():
            for registry in registries:
                add(hospital, name, department, registry, weight)
    by_user = {demo_units[u][:2]: u for u in demo_units}
    return [
        DemoUnit(
            u.hospital_code,
            u.name,
            u.department,
            u.registries,
            u.weights,
            by_user.get((u.hospital_code, u.name)),
            DEMO_HABITS.get(by_user.get((u.hospital_code, u.name), "")),
        )
        for u in units.values()
    ]


def _oncology(
    hospital: str, bergen_hospital: str, bergen_name: str, bergen_department: str
) -> tuple[str, str]:
    if hospital == bergen_hospital:
        return bergen_name, bergen_department
    return "Oncology", "oncology"


def reporting_units(units: list[DemoUnit], registry: str) -> list[DemoUnit]:
    """The units that make the registry's cases (weight > 0), in a stable order."""
    return sorted((u for u in units if u.weights.get(registry, 0) > 0), key=lambda u: u.key)
