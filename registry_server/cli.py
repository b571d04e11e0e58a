"""`registry-server`: run the registry server over HTTPS."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from registry_server.settings import ServerSettings, default_data_dir

log = logging.getLogger("registry_server")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="registry-server",
        description="The central cancer registry server (HTTPS).",
        epilog="Also: `registry-server import-expected FILE.csv` loads expected-case "
        "notifications; `registry-server jobs` computes reminders and statistics now; "
        "`registry-server transfers --list` prints the ids of messages that may be transferred "
        "to NOPHO-Care. Each has --help.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8443, help="port to listen on")
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder for the database and the development certificate "
        f"(default {default_data_dir()})",
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get("REGISTRY_SERVER_DATABASE_URL", ""),
        help="SQLAlchemy URL, e.g. postgresql+psycopg://user@host/db (default: SQLite in the "
        "data folder; also read from REGISTRY_SERVER_DATABASE_URL)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="create demo units and users, and on the first start a national year of "
        "synthetic cases, messages and expected-case notifications; sign receipts with the "
        "public demo key unless --receipt-key is given",
    )
    parser.add_argument(
        "--demo-accounts-only",
        action="store_true",
        help="with --demo: the demo units and users only, without the national year "
        "(benchmarks and quick trials)",
    )
    parser.add_argument(
        "--receipt-key",
        type=Path,
        help="Ed25519 private key (PEM) receipts are signed with (default: "
        "receipt-signing-key.pem in the data folder, made on first start)",
    )
    parser.add_argument(
        "--no-scheduled-jobs",
        action="store_true",
        help="do not compute reminders and statistics in this process (at start when they are "
        "older than today, then nightly at 02:00); run `registry-server jobs` instead",
    )
    parser.add_argument("--certfile", type=Path, help="server certificate (PEM); default: dev cert")
    parser.add_argument("--keyfile", type=Path, help="server private key (PEM); default: dev key")
    parser.add_argument(
        "--print-ca",
        action="store_true",
        help="print the path of the development CA certificate and exit",
    )
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning"])
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["transfers"]:
        from registry_server.transfers import main as transfers_main

        return transfers_main(argv[1:])
    if argv[:1] == ["import-expected"]:
        from registry_server.reminders.expected_cli import main as import_main

        return import_main(argv[1:])
    if argv[:1] == ["jobs"]:
        from registry_server.jobs.cli import main as jobs_main

        return jobs_main(argv[1:])
    args = _parser().parse_args(argv)
    if (args.certfile is None) != (args.keyfile is None):
        print(
            "Give both --certfile and --keyfile, or neither to use the development certificate.",
            file=sys.stderr,
        )
        return 2
    settings = ServerSettings(
        data_dir=args.data_dir or default_data_dir(),
        database_url=args.database_url,
        demo=args.demo,
        demo_national=args.demo and not args.demo_accounts_only,
        receipt_key_file=args.receipt_key,
        scheduled_jobs=not args.no_scheduled_jobs,
    )

    from registry_server.tls import ensure_dev_certificate

    if args.print_ca:
        print(ensure_dev_certificate(settings.data_dir)[0])
        return 0

    logging.basicConfig(
        level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if args.certfile is None:
        ca_path, certfile, keyfile = ensure_dev_certificate(settings.data_dir)
        print(f"Development CA certificate (tell the client to trust it): {ca_path}")
        print(f"  e.g. REGISTRY_CA_BUNDLE={ca_path}")
    else:
        certfile, keyfile = args.certfile, args.keyfile

    import uvicorn

    from desktop_app.forms import DefinitionError
    from registry_server.app import create_app
    from registry_server.db import describe_url
    from registry_server.signing import SigningKeyError

    try:
        app = create_app(settings)
    except (DefinitionError, SigningKeyError) as exc:
        print(f"The server cannot start: {exc}", file=sys.stderr)
        return 1
    print(f"Database: {describe_url(settings.database_url)}")
    if settings.demo:
        from registry_server.demo import DEMO_ACCOUNTS

        for account in DEMO_ACCOUNTS:
            print(
                f"Demo user: {account.username} / password {account.password} "
                f"({account.unit_name}, {account.hospital_name} {account.hospital_code})"
            )
    host = f"[{args.host}]" if ":" in args.host else args.host
    print(f"Serving https://{host}:{args.port}/api/v1 (API docs at /api/v1/docs)", flush=True)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        ssl_certfile=str(certfile),
        ssl_keyfile=str(keyfile),
        log_level=args.log_level,
        # Access lines hold only method, path and status; paths carry no patient data.
        access_log=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
