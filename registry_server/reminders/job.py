"""The reminder job (to be written): expected cases and received messages -> reminders."""

from __future__ import annotations

import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from desktop_app.forms import Catalogue


def compute_reminders(
    session_factory: sessionmaker[Session], catalogue: Catalogue, today: datetime.date
) -> dict[str, Any]:
    return {"created": 0}
