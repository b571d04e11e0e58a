"""A synthetic GET /statistics answer of realistic size and shape, for the page's screenshot,
its benchmark and tests that need a full answer without the server's job.

Aggregates only, drawn from a seeded generator: all four detailed registries (breast,
lymphoid, childhood, sarcoma) with their administrative figures and the quality indicators of
shared/REGISTRIES.md, 12-month trends, radiotherapy use by region (lymphoid) and breast
operations per hospital (all hospitals of the code list). Cells under `min_cell` are suppressed
as the server does.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from typing import Any

from desktop_app.resources import resources_dir
from desktop_app.statistics.sample_indicators import ADMIN, CLINICAL

DEMO_UNIT = {
    "id": 1,
    "name": "Breast and endocrine surgery",
    "hospital_code": "0320",
    "hospital_name": "Oslo universitetssykehus Ullevål",
    "region": "1",
    "region_name": "Helse Sør-Øst",
}

# Yearly new cases in the nation (shared/REGISTRIES.md), and the share each level has.
_YEARLY = {"breast": 4200, "lymphoid": 1900, "childhood": 210, "sarcoma": 560}
_SHARE = {"unit": 0.05, "hospital": 0.075, "region": 0.55, "nation": 1.0}
_REGISTRY_ORDER = ("breast", "lymphoid", "childhood", "sarcoma")


def sample_statistics(
    as_of: date = date(2026, 12, 5),
    *,
    seed: int = 9,
    unit: dict[str, Any] | None = None,
    min_cell: int = 5,
    registries: tuple[str, ...] = _REGISTRY_ORDER,
) -> dict[str, Any]:
    """A full answer in the shape of the GET /statistics contract (docs/architecture.md)."""
    rng = random.Random(seed)
    months = _months(as_of)
    first = date.fromisoformat(months[0] + "-01")
    last = date.fromisoformat(f"{as_of:%Y-%m}-01") - timedelta(days=1)
    return {
        "as_of": as_of.isoformat(),
        "computed_at": f"{as_of + timedelta(days=1)}T02:00:03Z",
        "min_cell": min_cell,
        "period": {"from": first.isoformat(), "to": last.isoformat()},
        "unit": dict(unit or DEMO_UNIT),
        "registries": [
            {"registry": registry, "indicators": _indicators(rng, registry, months, min_cell)}
            for registry in registries
        ],
    }


def _indicators(rng: random.Random, registry: str, months: list[str], min_cell: int) -> list:
    specs = [(*spec[:4], spec[4], spec[5], spec[6], "administrative") for spec in ADMIN]
    specs += [(*spec, "clinical") for spec in CLINICAL[registry]]
    out = []
    for suffix, kind, nb, en, target, base, share, group in specs:
        yearly = {lvl: _YEARLY[registry] * _SHARE[lvl] * share for lvl in _SHARE}
        values = {lvl: _cell(rng, kind, base, yearly[lvl], min_cell) for lvl in _SHARE}
        trend = [
            {
                "month": month,
                **{
                    lvl: _cell(rng, kind, base, yearly[lvl] / 12, min_cell, spread=2.0)
                    for lvl in ("unit", "region", "nation")
                },
            }
            for month in months
        ]
        indicator = {
            "id": f"{registry}.{suffix}",
            "group": group,
            "kind": kind,
            "title": {"nb": nb, "en": en},
            "description": {
                "nb": f"{nb}, siste 12 hele måneder.",
                "en": f"{en}, the last 12 whole months.",
            },
            "unit": {"proportion": "percent", "median_days": "days", "count": "count"}[kind],
            "target": (
                {"min": target[0], "goal": target[1], "direction": target[2]} if target else None
            ),
            "values": values,
            "trend": trend,
            "by_region": None,
            "by_hospital": None,
        }
        if suffix == "radiotherapy_use":
            indicator["by_region"] = _by_region(rng, kind, base, yearly["nation"], min_cell)
        out.append(indicator)
    if registry == "breast":
        out.append(_operations_per_hospital(rng, months, min_cell))
    return out


def _cell(
    rng: random.Random, kind: str, base: float | None, n: float, min_cell: int, spread=1.0
) -> dict:
    count = max(0, round(rng.gauss(n, max(1.0, n**0.5) * spread)))
    if count == 0:
        return {"n": 0, "value": None}
    if count < min_cell:
        return {"suppressed": True}
    if kind == "proportion":
        p = min(100.0, max(0.0, rng.gauss(base or 50, 4 * spread))) / 100
        numerator = sum(rng.random() < p for _ in range(count))
        return {"n": count, "numerator": numerator, "value": round(100 * numerator / count, 1)}
    if kind == "median_days":
        return {"n": count, "numerator": None, "value": float(max(1, round(rng.gauss(base, 4))))}
    return {"n": count, "numerator": None, "value": float(count)}


def _by_region(rng: random.Random, kind, base, nation_n: float, min_cell: int) -> list:
    regions = _codes("regions")
    shares = {"1": 0.55, "2": 0.2, "3": 0.14, "4": 0.1}
    return [
        {
            "region": code,
            "name": label["nb"],
            "cell": _cell(rng, kind, (base or 0) + rng.uniform(-6, 6), nation_n * share, min_cell),
        }
        for code, label, _ in regions
        if (share := shares.get(code))
    ]


def _operations_per_hospital(rng: random.Random, months: list[str], min_cell: int) -> dict:
    hospitals = _codes("hospitals")
    rows = []
    for code, label, _ in hospitals:
        big = code in ("0320", "1305", "1601", "1901", "0601", "0705")
        mean = rng.uniform(150, 420) if big else rng.choice([0, 3, rng.uniform(20, 140)])
        rows.append(
            {"hospital_code": code, "name": label["nb"], "cell": _count_cell(mean, min_cell)}
        )
    total = sum(r["cell"].get("n") or 0 for r in rows)
    unit_n = next(r["cell"].get("n") or 0 for r in rows if r["hospital_code"] == "0320")
    region_n = round(total * 0.55)
    return {
        "id": "breast.operations_per_hospital",
        "group": "clinical",
        "kind": "count",
        "title": {
            "nb": "Brystkreftoperasjoner per sykehus",
            "en": "Breast operations per hospital",
        },
        "description": {
            "nb": "Primæroperasjoner for brystkreft per sykehus, siste 12 hele måneder.",
            "en": "Primary breast cancer operations per hospital, the last 12 whole months.",
        },
        "unit": "count",
        "target": None,
        "values": {
            "unit": {"n": unit_n, "numerator": None, "value": float(unit_n)},
            "hospital": {"n": unit_n, "numerator": None, "value": float(unit_n)},
            "region": {"n": region_n, "numerator": None, "value": float(region_n)},
            "nation": {"n": total, "numerator": None, "value": float(total)},
        },
        "trend": [
            {
                "month": month,
                "unit": _cell(rng, "count", None, unit_n / 12, min_cell),
                "region": _cell(rng, "count", None, region_n / 12, min_cell),
                "nation": _cell(rng, "count", None, total / 12, min_cell),
            }
            for month in months
        ],
        "by_region": None,
        "by_hospital": rows,
    }


def _count_cell(mean: float, min_cell: int) -> dict:
    n = round(mean)
    if n == 0:
        return {"n": 0, "value": None}
    if n < min_cell:
        return {"suppressed": True}
    return {"n": n, "numerator": None, "value": float(n)}


def _months(as_of: date) -> list[str]:
    """The 12 whole months before as_of's month, oldest first."""
    year, month = as_of.year, as_of.month
    out = []
    for _ in range(12):
        month -= 1
        if month == 0:
            year, month = year - 1, 12
        out.append(f"{year:04d}-{month:02d}")
    return out[::-1]


def _codes(name: str) -> list[tuple[str, dict, dict]]:
    data = json.loads((resources_dir() / "codelists" / f"{name}.json").read_text("utf-8"))
    return [(c["code"], c["label"], c) for c in data["codes"]]
