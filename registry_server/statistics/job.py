"""The statistics job: stored messages, expected cases and reminders -> `statistics_cells`
for one run, in one transaction. Cells of older runs are pruned (the last few are kept, so a
run being written never takes away the one being served)."""

from __future__ import annotations

import datetime
import logging
from typing import Any

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session, sessionmaker

from desktop_app.forms import Catalogue
from registry_server.jobs.runner import NEWEST_FIRST
from registry_server.models import JobRun, StatisticsCell
from registry_server.statistics.cells import Window
from registry_server.statistics.engine import compute_cells
from registry_server.statistics.indicators import shipped_indicators
from registry_server.statistics.inputs import read_inputs

log = logging.getLogger(__name__)

KEEP_RUNS = 3  # runs whose cells are kept: this one and the newest finished ones
_CHUNK = 5000  # rows per multi-row INSERT


def compute_statistics(
    session_factory: sessionmaker[Session],
    catalogue: Catalogue,
    today: datetime.date,
    run_id: int,
) -> dict[str, Any]:
    """Compute every indicator for the twelve whole months before `today`'s month, per unit,
    hospital, region and nation, and store the cells under `run_id`. A JSON-able summary."""
    indicators = shipped_indicators(catalogue)
    window = Window.before(today)
    with session_factory() as session:
        inputs = read_inputs(session, catalogue)
    rows = compute_cells(inputs, indicators, catalogue, window, today)
    with session_factory.begin() as session:
        table = StatisticsCell.__table__
        for start in range(0, len(rows), _CHUNK):
            session.execute(
                insert(table),
                [
                    {
                        "run_id": run_id,
                        "registry": row.registry,
                        "indicator": row.indicator,
                        "level": row.level,
                        "level_key": row.level_key,
                        "period": row.period,
                        "denominator": row.denominator,
                        "numerator": row.numerator,
                        "value": row.value,
                    }
                    for row in rows[start : start + _CHUNK]
                ],
            )
        pruned = _prune(session, run_id)
    return {
        "cells": len(rows),
        "indicators": len(indicators),
        "messages": len(inputs.messages),
        "expected_cases": len(inputs.expected),
        "period": {"from": window.first_day.isoformat(), "to": window.last_day.isoformat()},
        "pruned_runs": pruned,
    }


def _prune(session: Session, run_id: int) -> int:
    """Drop the cells of older runs but this one and the newest finished ones (the one being
    served among them, even while this run is being written)."""
    finished = session.scalars(
        select(JobRun.id)
        .where(JobRun.job == "statistics", JobRun.finished_at.is_not(None))
        .order_by(*NEWEST_FIRST)  # the order the served run is chosen by
        .limit(KEEP_RUNS - 1)
    )
    keep = [run_id, *finished]
    old = list(
        session.scalars(
            select(StatisticsCell.run_id).where(StatisticsCell.run_id.not_in(keep)).distinct()
        )
    )
    if old:
        session.execute(delete(StatisticsCell).where(StatisticsCell.run_id.in_(old)))
    return len(old)
