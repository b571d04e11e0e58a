"""NOPHO-Care transfer flags: stored with each message, listed by `registry-server transfers`.

A message with a NOPHO-Care reservation (answered yes or unknown) is never eligible.
"""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from alembic import command
from sqlalchemy import select

from registry_server.cli import main
from registry_server.db import alembic_config, make_engine
from registry_server.models import Message
from tests.server.helpers import (
    body_for,
    eligible_body,
    reservation_field,
    sign_in,
    submit,
    valid_body,
)
from tests.support.live_server import LiveServer


def _stored_flag(server: LiveServer, message_id: str) -> bool:
    with server.session_factory() as session:
        return session.scalar(
            select(Message.nopho_care_transfer).where(Message.message_id == message_id)
        )


def _listed(capsys: pytest.CaptureFixture[str], *args: str) -> list[str]:
    assert main(["transfers", "--list", *args]) == 0
    out, err = capsys.readouterr()
    lines = out.split()
    assert f"{len(lines)} message(s) eligible for NOPHO-Care transfer." in err
    return lines


def test_flags_are_stored_and_only_eligible_messages_are_listed(
    client: httpx.Client, live_server: LiveServer, capsys: pytest.CaptureFixture[str]
) -> None:
    headers = sign_in(client)
    definition, eligible = eligible_body()
    reservation = reservation_field(definition)
    reserved_yes = body_for(definition, 1, **{reservation: "1"})
    reserved_unknown = body_for(definition, 2, **{reservation: "99"})
    breast = valid_body()
    for body in (eligible, reserved_yes, reserved_unknown, breast):
        response = submit(client, headers, body)
        assert response.status_code == 201, response.text

    assert _stored_flag(live_server, eligible["message_id"]) is True
    for body in (reserved_yes, reserved_unknown, breast):
        assert _stored_flag(live_server, body["message_id"]) is False
    listed = _listed(capsys, "--data-dir", str(live_server.data_dir))
    assert listed == [eligible["message_id"]]


def test_a_reservation_is_never_eligible_whatever_else_is_answered(
    client: httpx.Client, live_server: LiveServer
) -> None:
    headers = sign_in(client)
    definition, eligible = eligible_body(seed_from=10)
    reservation = reservation_field(definition)
    for answer in ("1", "99"):
        body = {
            **eligible,
            "message_id": str(uuid.uuid4()),
            "values": {**eligible["values"], reservation: answer},
        }
        response = submit(client, headers, body)
        assert response.status_code == 201, response.text
        assert _stored_flag(live_server, body["message_id"]) is False


def test_listing_an_empty_database_prints_nothing(
    live_server: LiveServer, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _listed(capsys, "--database-url", live_server.database_url) == []


def test_listing_without_a_database_says_where_it_looked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["transfers", "--list", "--data-dir", str(tmp_path / "nowhere")]) == 1
    err = capsys.readouterr().err
    assert "There is no server database at" in err and "--data-dir" in err
    assert not (tmp_path / "nowhere").exists()  # looking does not create one


def test_listing_a_database_not_yet_upgraded_asks_to_start_the_server(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    engine = make_engine(url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001_initial")
    engine.dispose()

    assert main(["transfers", "--list", "--database-url", url]) == 1
    err = capsys.readouterr().err
    assert "0001_initial" in err and "start the server once" in err
