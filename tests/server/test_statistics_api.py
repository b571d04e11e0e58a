"""GET /api/v1/statistics on the real server: before the first run, small cells suppressed,
no patient data, only the signed-in unit's own numbers as "unit", the registry filter."""

from __future__ import annotations

import datetime
import re

import httpx
from sqlalchemy import select

from registry_server.jobs.runner import run_jobs
from registry_server.models import StatisticsCell
from tests.server.helpers import body_for, catalogue, sign_in, submit
from tests.support.live_server import LiveServer

URL = "/api/v1/statistics"


def _next_month() -> datetime.date:
    """A day in next month: messages received today fall in the twelve whole months before it."""
    today = datetime.date.today()
    return (today.replace(day=1) + datetime.timedelta(days=32)).replace(day=3)


def _compute(server: LiveServer, today: datetime.date | None = None) -> None:
    run_jobs(server.session_factory, catalogue(), today or _next_month(), jobs=["statistics"])


def _send(client: httpx.Client, headers: dict, registry: str, form: str, count: int) -> list:
    definition = catalogue().latest(registry, form)
    bodies = [body_for(definition, seed) for seed in range(count)]
    for body in bodies:
        assert submit(client, headers, body).status_code == 201
    return bodies


def _indicator(answer: dict, indicator_id: str) -> dict:
    registry = indicator_id.split(".")[0]
    block = next(r for r in answer["registries"] if r["registry"] == registry)
    return next(i for i in block["indicators"] if i["id"] == indicator_id)


def test_before_the_first_run_the_answer_is_empty(
    client: httpx.Client, live_server: LiveServer
) -> None:
    # The reminder job alone does not make statistics.
    run_jobs(live_server.session_factory, catalogue(), _next_month(), jobs=["reminders"])
    for username in ("demo", "bergen"):
        response = client.get(URL, headers=sign_in(client, username))
        assert response.status_code == 200
        answer = response.json()
        assert answer["as_of"] is None and answer["computed_at"] is None
        assert answer["registries"] == [] and answer["period"] is None
        assert answer["min_cell"] == 5
        assert answer["unit"]["id"] == live_server.unit_id_of(username)
    assert client.get(URL).status_code == 401


def test_small_cells_are_suppressed_empty_cells_say_so_five_are_shown(
    client: httpx.Client, live_server: LiveServer
) -> None:
    demo, bergen = sign_in(client, "demo"), sign_in(client, "bergen")
    _send(client, demo, "breast", "assessment", 3)
    _send(client, bergen, "breast", "oncological_treatment", 5)
    _compute(live_server)

    mine = client.get(URL, headers=demo).json()
    received = _indicator(mine, "breast.messages_received")
    assert received["values"]["unit"] == {"suppressed": True}  # 3 messages
    assert received["values"]["hospital"] == {"suppressed": True}
    assert received["values"]["region"] == {"suppressed": True}  # Helse Sør-Øst: 3
    assert received["values"]["nation"] == {"n": 8, "numerator": None, "value": 8}
    this_month = datetime.date.today().isoformat()[:7]
    point = next(p for p in received["trend"] if p["month"] == this_month)
    assert point["unit"] == {"suppressed": True}
    assert point["nation"] == {"n": 8, "numerator": None, "value": 8}
    other_months = [p for p in received["trend"] if p["month"] != this_month]
    assert all(p["unit"] == {"n": 0, "value": None} for p in other_months)
    assert _indicator(mine, "breast.operations_per_hospital")["values"]["unit"] == {
        "n": 0,
        "value": None,
    }

    theirs = client.get(URL, headers=bergen).json()
    received = _indicator(theirs, "breast.messages_received")
    assert received["values"]["unit"] == {"n": 5, "numerator": None, "value": 5}
    assert received["values"]["region"] == {"n": 5, "numerator": None, "value": 5}


def test_another_units_numbers_are_never_the_units_own(
    client: httpx.Client, live_server: LiveServer
) -> None:
    demo, bergen = sign_in(client, "demo"), sign_in(client, "bergen")
    _send(client, demo, "breast", "assessment", 6)
    _compute(live_server)

    mine = client.get(URL, headers=demo).json()
    theirs = client.get(URL, headers=bergen).json()
    assert mine["unit"]["id"] == live_server.unit_id_of("demo")
    assert theirs["unit"]["id"] == live_server.unit_id_of("bergen")
    assert theirs["unit"]["hospital_code"] == "1305" and theirs["unit"]["region"] == "2"
    mine_received = _indicator(mine, "breast.messages_received")["values"]
    theirs_received = _indicator(theirs, "breast.messages_received")["values"]
    assert mine_received["unit"] == {"n": 6, "numerator": None, "value": 6}
    assert theirs_received["unit"] == {"n": 0, "value": None}
    assert theirs_received["hospital"] == {"n": 0, "value": None}
    assert theirs_received["region"] == {"n": 0, "value": None}
    assert theirs_received["nation"] == mine_received["nation"] == mine_received["unit"]
    # The registries a unit reports to: its own (Unit.registries), not the other unit's.
    assert [r["registry"] for r in mine["registries"]] == ["breast"]
    assert [r["registry"] for r in theirs["registries"]] == ["breast", "lymphoid", "sarcoma"]


def test_the_answer_holds_no_identity_numbers_or_names(
    client: httpx.Client, live_server: LiveServer
) -> None:
    demo, bergen = sign_in(client, "demo"), sign_in(client, "bergen")
    bodies = _send(client, demo, "breast", "assessment", 7)
    bodies += _send(client, bergen, "lymphoid", "assessment", 7)
    bodies += _send(client, bergen, "sarcoma", "assessment", 6)
    _compute(live_server)

    for headers in (demo, bergen):
        text = client.get(URL, headers=headers).text
        assert len(text) > 5000
        for body in bodies:
            assert body["values"]["patient_id"] not in text
            assert body["values"]["patient_name"] not in text
        assert not re.search(r"\d{11}", text)


def test_the_registry_filter_and_bad_values(client: httpx.Client, live_server: LiveServer) -> None:
    bergen = sign_in(client, "bergen")
    _send(client, bergen, "lymphoid", "treatment", 5)
    _compute(live_server)

    only = client.get(URL, params={"registry": "lymphoid"}, headers=bergen).json()
    assert [r["registry"] for r in only["registries"]] == ["lymphoid"]
    use = _indicator(only, "lymphoid.radiotherapy_use")
    assert [r["region"] for r in use["by_region"]] == ["1", "2", "3", "4"]
    assert use["by_hospital"] is None
    # A registry the unit does not report to: nothing, not an error.
    demo = sign_in(client, "demo")
    response = client.get(URL, params={"registry": "lymphoid"}, headers=demo)
    assert response.status_code == 200 and response.json()["registries"] == []
    for bad in ("nope", "", "x" * 51):
        response = client.get(URL, params={"registry": bad}, headers=demo)
        assert response.status_code == 422, bad
        assert set(response.json()) == {"detail"} and response.json()["detail"]


def test_the_shape_of_an_indicator(client: httpx.Client, live_server: LiveServer) -> None:
    demo = sign_in(client, "demo")
    _send(client, demo, "breast", "surgery", 5)
    as_of = _next_month()
    _compute(live_server, as_of)

    answer = client.get(URL, headers=demo).json()
    assert answer["as_of"] == as_of.isoformat()
    assert answer["computed_at"].endswith("Z")
    assert answer["unit"]["region_name"] == "Helse Sør-Øst"
    last = as_of.replace(day=1) - datetime.timedelta(days=1)
    year, month = (
        (last.year, last.month - 11) if last.month == 12 else (last.year - 1, last.month + 1)
    )
    assert answer["period"] == {"from": f"{year}-{month:02d}-01", "to": last.isoformat()}
    operations = _indicator(answer, "breast.operations_per_hospital")
    assert set(operations) == {
        "id", "group", "kind", "title", "description", "unit", "target", "values", "trend",
        "by_region", "by_hospital",
    }  # fmt: skip
    assert operations["kind"] == "count" and operations["unit"] == "count"
    months = [p["month"] for p in operations["trend"]]
    assert len(months) == 12 and months == sorted(months)
    assert months[-1] == answer["period"]["to"][:7] and months[0] == answer["period"]["from"][:7]
    assert operations["by_region"] is None
    assert all(set(h) == {"hospital_code", "name", "cell"} for h in operations["by_hospital"])
    bcs = _indicator(answer, "breast.bcs_0_30")
    assert bcs["target"] == {"min": 85, "goal": 90, "direction": "higher"}
    assert bcs["group"] == "clinical" and bcs["unit"] == "percent"
    assert set(bcs["title"]) == {"nb", "en"}


def test_older_runs_are_pruned_and_the_newest_finished_run_is_served(
    client: httpx.Client, live_server: LiveServer
) -> None:
    demo = sign_in(client, "demo")
    _send(client, demo, "breast", "assessment", 5)
    for _ in range(4):
        _compute(live_server)
    with live_server.session_factory() as session:
        runs = set(session.scalars(select(StatisticsCell.run_id).distinct()))
    assert len(runs) == 3
    answer = client.get(URL, headers=demo).json()
    assert _indicator(answer, "breast.messages_received")["values"]["unit"]["n"] == 5
