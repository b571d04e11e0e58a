"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import uuid
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from registry_server.db import alembic_config, make_engine, upgrade_database
from registry_server.models import Base


def test_upgrade_matches_models_and_downgrade_empties(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    upgrade_database(engine)
    upgrade_database(engine)  # a second start finds nothing to do

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []

    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    engine.dispose()


def test_messages_stored_before_transfer_flags_are_not_eligible(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001_initial")
        connection.execute(
            text(
                "INSERT INTO units (id, name, hospital_code, hospital_name, department) "
                "VALUES (1, 'Unit', '0320', 'Hospital', 'surgery')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO messages (message_id, unit_id, username, registry, form, version, "
                "body, body_sha256, idempotency_key, received_at) VALUES (:m, 1, 'demo', "
                "'childhood', 'assessment', 1, '{}', :sha, :k, '2026-01-01 00:00:00')"
            ),
            {"m": str(uuid.uuid4()), "sha": "0" * 64, "k": str(uuid.uuid4())},
        )

    upgrade_database(engine)

    with engine.connect() as connection:
        flags = connection.execute(text("SELECT nopho_care_transfer FROM messages")).scalars()
        assert list(flags) == [False]
    engine.dispose()
