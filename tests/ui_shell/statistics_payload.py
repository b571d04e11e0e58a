"""A small GET /statistics answer with known figures, for the Statistics page's tests."""

from __future__ import annotations

import copy
from typing import Any

MONTHS = ["2025-12"] + [f"2026-{m:02d}" for m in range(1, 12)]
UNIT = {
    "id": 1,
    "name": "Breast and endocrine surgery",
    "hospital_code": "0320",
    "hospital_name": "Oslo universitetssykehus Ullevål",
    "region": "1",
    "region_name": "Helse Sør-Øst",
}


def cell(n: int, numerator: int | None = None) -> dict[str, Any]:
    if 0 < n < 5:
        return {"suppressed": True}
    if n == 0:
        return {"n": 0, "value": None}
    if numerator is None:
        return {"n": n, "numerator": None, "value": float(n)}
    return {"n": n, "numerator": numerator, "value": round(100 * numerator / n, 1)}


def _trend(unit: list[tuple[int, int | None]], region=(50, 43), nation=(200, 170)) -> list:
    return [
        {
            "month": month,
            "unit": cell(*unit[i]),
            "region": cell(*region),
            "nation": cell(*nation),
        }
        for i, month in enumerate(MONTHS)
    ]


def _indicator(ident, group, kind, en, nb, unit_of_measure, target, values, trend, **extra):
    return {
        "id": ident,
        "group": group,
        "kind": kind,
        "title": {"nb": nb, "en": en},
        "description": {"nb": f"{nb} (beskrivelse)", "en": f"{en} (description)"},
        "unit": unit_of_measure,
        "target": target,
        "values": values,
        "trend": trend,
        "by_region": extra.get("by_region"),
        "by_hospital": extra.get("by_hospital"),
    }


# Breast-conserving surgery: the unit's months; Feb and May 2026 have fewer than 5 cases.
BCS_UNIT_MONTHS = [(6, 5), (7, 6), (3, 3), (8, 7), (6, 6), (2, 2)] + [(5, 4)] * 6
BCS_UNIT_MONTH_VALUES = {
    0: 83.3,
    1: 85.7,
    3: 87.5,
    4: 100.0,
    6: 80.0,
    7: 80.0,
    8: 80.0,
    9: 80.0,
    10: 80.0,
    11: 80.0,
}


def small_payload() -> dict[str, Any]:
    breast = [
        _indicator(
            "breast.messages_received",
            "administrative",
            "count",
            "Messages received",
            "Meldinger mottatt",
            "count",
            None,
            {"unit": cell(412), "hospital": cell(600), "region": cell(2300), "nation": cell(4200)},
            _trend([(34, None)] * 12, (190, None), (350, None)),
        ),
        _indicator(
            "breast.coverage",
            "administrative",
            "proportion",
            "Reporting coverage",
            "Meldingsdekning",
            "percent",
            {"min": 80, "goal": None, "direction": "higher"},
            {
                "unit": cell(40, 36),
                "hospital": cell(60, 51),
                "region": cell(900, 774),
                "nation": cell(2000, 1700),
            },
            _trend([(40, 36)] * 12),
        ),
        _indicator(
            "breast.bcs_0_30",
            "clinical",
            "proportion",
            "Breast-conserving surgery, 0-30 mm",
            "Brystbevarende kirurgi, 0-30 mm",
            "percent",
            {"min": 85, "goal": 90, "direction": "higher"},
            {
                "unit": cell(40, 34),
                "hospital": cell(64, 56),
                "region": cell(900, 794),
                "nation": cell(2000, 1728),
            },
            _trend(BCS_UNIT_MONTHS),
        ),
        _indicator(
            "breast.mri_neoadjuvant",
            "clinical",
            "proportion",
            "MRI before neoadjuvant treatment",
            "MR før neoadjuvant behandling",
            "percent",
            {"min": 60, "goal": 90, "direction": "higher"},
            {
                "unit": cell(3, 3),
                "hospital": cell(9, 8),
                "region": cell(120, 96),
                "nation": cell(300, 228),
            },
            _trend([(1, 1)] * 12),
        ),
        _indicator(
            "breast.referral_to_surgery",
            "clinical",
            "median_days",
            "Days from referral to surgery",
            "Dager fra henvisning til operasjon",
            "days",
            {"min": 32, "goal": None, "direction": "lower"},
            {
                "unit": {"n": 30, "numerator": None, "value": 27.0},
                "hospital": {"n": 50, "numerator": None, "value": 29.0},
                "region": {"n": 700, "numerator": None, "value": 31.0},
                "nation": {"n": 1500, "numerator": None, "value": 34.5},
            },
            [],
        ),
        _indicator(
            "breast.operations_per_hospital",
            "clinical",
            "count",
            "Breast operations per hospital",
            "Brystkreftoperasjoner per sykehus",
            "count",
            None,
            {"unit": cell(157), "hospital": cell(157), "region": cell(1372), "nation": cell(2494)},
            [],
            by_hospital=[
                {
                    "hospital_code": "1305",
                    "name": "Haukeland universitetssjukehus",
                    "cell": cell(293),
                },
                {
                    "hospital_code": "0320",
                    "name": "Oslo universitetssykehus Ullevål",
                    "cell": cell(157),
                },
                {"hospital_code": "0601", "name": "Sykehuset Telemark, Notodden", "cell": cell(3)},
                {"hospital_code": "1601", "name": "St. Olavs hospital", "cell": cell(0)},
            ],
        ),
    ]
    lymphoid = [
        _indicator(
            "lymphoid.messages_received",
            "administrative",
            "count",
            "Messages received",
            "Meldinger mottatt",
            "count",
            None,
            {"unit": cell(12), "hospital": cell(40), "region": cell(900), "nation": cell(1900)},
            _trend([(1, None)] * 12),
        ),
        _indicator(
            "lymphoid.radiotherapy_use",
            "clinical",
            "proportion",
            "Use of radiotherapy",
            "Bruk av strålebehandling",
            "percent",
            None,
            {
                "unit": cell(12, 2),
                "hospital": cell(40, 8),
                "region": cell(900, 153),
                "nation": cell(1900, 342),
            },
            _trend([(1, 0)] * 12),
            by_region=[
                {"region": "1", "name": "Helse Sør-Øst", "cell": cell(900, 153)},
                {"region": "2", "name": "Helse Vest", "cell": cell(400, 88)},
                {"region": "4", "name": "Helse Nord", "cell": cell(3, 1)},
            ],
        ),
    ]
    return {
        "as_of": "2026-12-05",
        "computed_at": "2026-12-06T02:00:03Z",
        "min_cell": 5,
        "period": {"from": "2025-12-01", "to": "2026-11-30"},
        "unit": copy.deepcopy(UNIT),
        "registries": [
            {"registry": "lymphoid", "indicators": lymphoid},
            {"registry": "breast", "indicators": breast},
        ],
    }
