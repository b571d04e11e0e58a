"""Every server setting, declared once with its type and default."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta
from pathlib import Path

import platformdirs

MAX_BODY_BYTES = 256 * 1024
MAX_BATCH_ITEMS = 100
MAX_BATCH_BYTES = 8 * 1024 * 1024


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("registry-server", appauthor=False))


@dataclass
class ServerSettings:
    """Settings for one server process.

    `database_url` left empty means an SQLite file in `data_dir`; any SQLAlchemy URL works,
    e.g. ``postgresql+psycopg://user@host/dbname`` when several processes share one database.
    """

    data_dir: Path = field(default_factory=default_data_dir)
    database_url: str = ""
    # The access token's life; the client renews it with its refresh token (POST /auth/refresh),
    # which lives `refresh_token_ttl` and is replaced at each use.
    token_ttl: timedelta = timedelta(minutes=15)
    refresh_token_ttl: timedelta = timedelta(hours=12)
    # Sign-in throttling (registry_server.throttle, which explains the trade-off): after
    # `sign_in_user_failures` attempts for one username from one client address, or
    # `sign_in_user_total_failures` for one username from all addresses together (a
    # distributed guess), or `sign_in_address_failures` from one address for any usernames
    # (higher: a ward's PCs may share one address behind the hospital's NAT), each further
    # attempt waits `sign_in_delay_s`, doubling per failure up to `sign_in_max_delay_s`. A
    # stranger's wrong attempts thus hold up the username on the stranger's address only; a
    # success forgets the username's counts. Counts are forgotten after `sign_in_forget_s`
    # without an attempt.
    sign_in_user_failures: int = 5
    sign_in_user_total_failures: int = 50
    sign_in_address_failures: int = 30
    sign_in_delay_s: float = 5.0
    sign_in_max_delay_s: float = 300.0
    sign_in_forget_s: float = 3600.0
    # POST /auth/password refuses a shorter new password.
    min_password_length: int = 10
    # A message's reporting hospital and department must be the signed-in user's unit's
    # (registry_server.reporting_unit). Off only for tests that send example answers.
    reporting_unit_check: bool = True
    max_body_bytes: int = MAX_BODY_BYTES
    # POST /messages/batch: at most this many items, and this many bytes in the whole request.
    max_batch_items: int = MAX_BATCH_ITEMS
    max_batch_bytes: int = MAX_BATCH_BYTES
    # Demo accounts, their units and the public demo receipt key (tests use this alone).
    demo: bool = False
    # With demo: a national year of synthetic cases, expected-case notifications and messages
    # (registry_server.demo.national), made on the first start; `registry-server --demo`.
    demo_national: bool = False
    # The Ed25519 key receipts are signed with (PEM); None: <data_dir>/receipt-signing-key.pem,
    # made on first start (the demo key for a demo server without one). See signing.py.
    receipt_key_file: Path | None = None
    # Run the reminder and statistics jobs in this process: at start when the last run is
    # older than today, then nightly at `nightly_at` (server local time). With several
    # processes on PostgreSQL one runs them at a time; the others skip.
    scheduled_jobs: bool = False
    nightly_at: time = time(2, 0)
    # GET /receipts moves its cursor only over receipts received at least this many seconds
    # ago, so a receipt whose transaction commits late (several processes) is never skipped;
    # fresher ones are returned again next time (routes/receipts.py).
    receipts_cursor_settle_s: float = 60.0
    # Statistics cells counting fewer cases than this are served suppressed.
    statistics_min_cell: int = 5
    # The server's "today" for form-version grace periods and date checks; None: the real
    # date. Set in tests (and on a staging server) to see what a future date will refuse.
    today_override: date | None = None

    def __post_init__(self) -> None:
        self.data_dir = Path(self.data_dir)
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / 'registry.sqlite3'}"
        for name in ("token_ttl", "refresh_token_ttl"):
            if getattr(self, name) <= timedelta(0):
                raise ValueError(f"{name} must be positive.")
        for name in (
            "max_body_bytes",
            "max_batch_items",
            "max_batch_bytes",
            "statistics_min_cell",
            "sign_in_user_failures",
            "sign_in_user_total_failures",
            "sign_in_address_failures",
            "sign_in_delay_s",
            "sign_in_max_delay_s",
            "sign_in_forget_s",
            "min_password_length",
        ):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive.")
        if self.receipts_cursor_settle_s < 0:
            raise ValueError("receipts_cursor_settle_s must not be negative.")

    def today(self) -> date:
        return self.today_override or date.today()

    @property
    def uses_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
