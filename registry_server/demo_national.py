"""A national year of synthetic demo data (to be written)."""

from __future__ import annotations

import datetime

from sqlalchemy.orm import Session, sessionmaker

from desktop_app.forms import Catalogue
from desktop_app.receipt_signature import SigningKey


def seed_national_demo(
    session_factory: sessionmaker[Session],
    catalogue: Catalogue,
    signing_key: SigningKey,
    today: datetime.date,
) -> None:
    return None
