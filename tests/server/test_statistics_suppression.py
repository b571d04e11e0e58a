"""Complementary suppression in GET /statistics: no count of 1-4 cases can be worked out from
the numbers served — not as the hospital minus the unit's own count, nor as the nation minus
the regions or hospitals listed, nor as a year minus its other months.

The first test runs the real job on messages sent through the API; the others store the cells
of a finished run directly (the numbers chosen), and read them through the real route.
"""

from __future__ import annotations

import datetime

import httpx
from sqlalchemy import insert

from registry_server.jobs.runner import run_jobs
from registry_server.models import JobRun, StatisticsCell, utcnow
from tests.server.helpers import body_for, catalogue, sign_in, submit
from tests.support.live_server import LiveServer

URL = "/api/v1/statistics"
TODAY = datetime.date(2026, 12, 6)
SUPPRESSED = {"suppressed": True}


def _indicator(answer: dict, indicator_id: str) -> dict:
    registry = indicator_id.split(".")[0]
    block = next(r for r in answer["registries"] if r["registry"] == registry)
    return next(i for i in block["indicators"] if i["id"] == indicator_id)


def _store_run(server: LiveServer, indicator: str, counts: dict[tuple[str, str, str], int]):
    """A finished statistics run as of TODAY whose cells of `indicator` count `counts`
    ({(level, key, period): n}; a proportion's numerator is half)."""
    now = utcnow()
    with server.session_factory.begin() as session:
        run = JobRun(job="statistics", as_of=TODAY, started_at=now, finished_at=now, summary="{}")
        session.add(run)
        session.flush()
        proportion = indicator == "lymphoid.radiotherapy_use"
        session.execute(
            insert(StatisticsCell),
            [
                {
                    "run_id": run.id,
                    "registry_code": indicator.split(".")[0],
                    "indicator": indicator,
                    "level": level,
                    "level_key": key,
                    "period": period,
                    "denominator": n,
                    "numerator": n // 2 if proportion else None,
                    "value": round(100 * (n // 2) / n, 1) if proportion else float(n),
                }
                for (level, key, period), n in counts.items()
            ],
        )


def test_the_hospital_is_suppressed_when_it_is_a_few_more_than_the_unit(
    client: httpx.Client, live_server: LiveServer
) -> None:
    """6 messages from the unit, 2 from another unit at the same hospital: the hospital (8)
    and the region (8) would tell the unit that the other one sent 2."""
    live_server.add_user(
        "onko",
        "secret-password",
        unit_name="Breast oncology",
        hospital_code="0320",
        hospital_name="Oslo universitetssykehus Ullevål",
        department="oncology",
    )
    demo, bergen = sign_in(client, "demo"), sign_in(client, "bergen")
    onko = sign_in(client, "onko", "secret-password")
    definition = catalogue().latest("breast", "assessment")
    for headers, seeds in ((demo, range(6)), (onko, range(6, 8)), (bergen, range(8, 13))):
        for seed in seeds:
            assert submit(client, headers, body_for(definition, seed)).status_code == 201
    as_of = (datetime.date.today().replace(day=1) + datetime.timedelta(days=32)).replace(day=3)
    run_jobs(live_server.session_factory, catalogue(), as_of, jobs=["statistics"])

    received = _indicator(client.get(URL, headers=demo).json(), "breast.messages_received")
    assert received["values"] == {
        "unit": {"n": 6, "numerator": None, "value": 6},
        "hospital": SUPPRESSED,  # 8 - 6 = 2
        "region": SUPPRESSED,  # 8 - 6 = 2 as well
        "nation": {"n": 13, "numerator": None, "value": 13},  # 13 - 8 = 5: shown
    }
    this_month = datetime.date.today().isoformat()[:7]
    point = next(p for p in received["trend"] if p["month"] == this_month)
    assert point["region"] == SUPPRESSED and point["nation"]["n"] == 13
    # The other unit sees its own 2 suppressed; the hospital (8 - 2 = 6) it may see.
    theirs = _indicator(client.get(URL, headers=onko).json(), "breast.messages_received")
    assert theirs["values"]["unit"] == SUPPRESSED
    assert theirs["values"]["hospital"] == {"n": 8, "numerator": None, "value": 8}


def test_one_hospital_suppressed_in_a_list_takes_the_next_smallest_with_it(
    client: httpx.Client, live_server: LiveServer
) -> None:
    unit = str(live_server.unit_id_of("demo"))  # at 0320, Helse Sør-Øst
    hospitals = {
        "0320": 30, "0301": 8, "0305": 15,  # Helse Sør-Øst: 53
        "1305": 3, "1203": 9, "1302": 20,  # Helse Vest: 32
        "1608": 12,  # Helse Midt-Norge
    }  # fmt: skip
    counts = {("hospital", code, "12m"): n for code, n in hospitals.items()}
    counts |= {
        ("unit", unit, "12m"): 30,
        ("region", "1", "12m"): 53,
        ("region", "2", "12m"): 32,
        ("region", "3", "12m"): 12,
        ("nation", "", "12m"): 97,
    }
    _store_run(live_server, "breast.operations_per_hospital", counts)
    answer = client.get(URL, headers=sign_in(client)).json()
    listed = {
        h["hospital_code"]: h["cell"]
        for h in _indicator(answer, "breast.operations_per_hospital")["by_hospital"]
    }
    shown = {code: cell["n"] for code, cell in listed.items() if "n" in cell}
    # 1305 (3) itself; 0301, the smallest left in the nation's list; 1203, the smallest left
    # in Helse Vest; 0305, the smallest left in Helse Sør-Øst once 0301 was hidden there.
    assert shown == {"0320": 30, "1302": 20, "1608": 12}
    assert all(listed[code] == SUPPRESSED for code in ("1305", "0301", "1203", "0305"))


def test_one_region_suppressed_takes_the_next_smallest_and_months_do_too(
    client: httpx.Client, live_server: LiveServer
) -> None:
    unit = str(live_server.unit_id_of("bergen"))  # at 1305, Helse Vest (region 2)
    counts = {
        ("unit", unit, "12m"): 10,
        ("hospital", "1305", "12m"): 10,
        ("region", "1", "12m"): 40,
        ("region", "2", "12m"): 10,
        ("region", "3", "12m"): 3,
        ("region", "4", "12m"): 6,
        ("nation", "", "12m"): 59,
        # The unit's 5 in May, 7 in its region: the region would tell 2 of others.
        ("unit", unit, "2026-05"): 5,
        ("region", "2", "2026-05"): 7,
        ("region", "2", "2026-06"): 3,
        # The nation's months: 2 in January alone would be the year minus the others.
        ("nation", "", "2026-01"): 2,
        ("nation", "", "2026-02"): 20,
        ("nation", "", "2026-05"): 37,
    }
    _store_run(live_server, "lymphoid.radiotherapy_use", counts)
    answer = client.get(URL, headers=sign_in(client, "bergen")).json()
    indicator = _indicator(answer, "lymphoid.radiotherapy_use")
    regions = {r["region"]: r["cell"] for r in indicator["by_region"]}
    assert regions["1"] == {"n": 40, "numerator": 20, "value": 50.0}
    assert regions["2"] == {"n": 10, "numerator": 5, "value": 50.0}
    assert regions["3"] == regions["4"] == SUPPRESSED
    assert indicator["values"]["region"] == regions["2"]
    trend = {p["month"]: p for p in indicator["trend"]}
    assert trend["2026-05"]["unit"] == {"n": 5, "numerator": 2, "value": 40.0}
    assert trend["2026-05"]["region"] == SUPPRESSED  # 7 - 5 = 2
    assert trend["2026-06"]["region"] == SUPPRESSED  # 3
    assert trend["2026-01"]["nation"] == SUPPRESSED  # 2
    assert trend["2026-02"]["nation"] == SUPPRESSED  # the next smallest month
    assert trend["2026-05"]["nation"]["n"] == 37
