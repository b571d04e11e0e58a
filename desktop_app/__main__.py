"""Command-line entry point of the desktop client (``registry-desktop``)."""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Sequence
from typing import Any

from desktop_app import __version__

log = logging.getLogger("desktop_app")

# Eleven digits in a row look like a national identity number: never let one reach a log.
_IDENTITY_LIKE = re.compile(r"(?<!\d)\d{11}(?!\d)")


class RedactIdentityNumbers(logging.Filter):
    """Last line of defence: masks anything shaped like an identity number in log records."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _IDENTITY_LIKE.sub("[redacted]", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="registry-desktop",
        description="Report clinical data about cancer patients to the cancer registry.",
        epilog="registry-desktop verify-receipt FILE: check a receipt PDF or receipt code "
        "offline (registry-desktop verify-receipt --help).",
    )
    parser.add_argument("--server", metavar="URL", help="registry server address (https://...)")
    parser.add_argument(
        "--ca-bundle", metavar="FILE", help="PEM file of the CA that issued the server certificate"
    )
    parser.add_argument(
        "--use-system-trust",
        action="store_true",
        help="also trust the CAs of the operating system's certificate store",
    )
    parser.add_argument("--data-dir", metavar="DIR", help="folder for the local cache")
    parser.add_argument("--username", metavar="NAME", help="user name to fill in at sign-in")
    parser.add_argument("--language", choices=["en", "nb"], help="language of the forms")
    parser.add_argument(
        "--allow-insecure-http",
        action="store_true",
        help="allow a plain http:// server address (development only)",
    )
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=["DEBUG", "INFO", "WARNING", "ERROR"],
        help="how much to log on standard error (default: INFO)",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    return parser.parse_args(argv)


def setup_logging(level: str) -> None:
    root = logging.getLogger()
    if any(getattr(h, "name", None) == "registry-desktop" for h in root.handlers):
        root.setLevel(level)
        return  # main() called again in the same process (tests)
    handler = logging.StreamHandler()
    handler.set_name("registry-desktop")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactIdentityNumbers())
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request line and alembic its plugins at INFO; keep the log about our steps.
    for noisy in ("httpx", "httpcore", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def settings_overrides(args: argparse.Namespace) -> dict[str, Any]:
    """Only what was given on the command line overrides the settings file and environment."""
    given = {
        "server_url": args.server,
        "ca_bundle": args.ca_bundle,
        "data_dir": args.data_dir,
        "language": args.language,
        "allow_insecure_http": True if args.allow_insecure_http else None,
        "use_system_trust": True if args.use_system_trust else None,
    }
    return {name: value for name, value in given.items() if value is not None}


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["verify-receipt"]:
        # A command of its own (no window, no services): checks a receipt file offline.
        from desktop_app.verify_receipt_cli import main as verify_receipt

        return verify_receipt(argv[1:])
    args = parse_args(argv)
    setup_logging(args.log_level)

    from desktop_app.app import build_services
    from desktop_app.config import Settings, SettingsError
    from desktop_app.sync.api_client import ApiError
    from local_cache import CacheError

    try:
        settings = Settings.load(**settings_overrides(args))
        services = build_services(settings)
    except (SettingsError, ApiError, CacheError) as exc:
        message = getattr(exc, "message", None) or str(exc)
        log.error("Cannot start: %s", message)
        _show_startup_error(message)
        return 2

    # Imported late so that the core stays importable (and testable) without Qt.
    from ui.application import run

    return run(services, username=args.username)


def _show_startup_error(message: str) -> None:
    # Ward users start the client from a shortcut and never see standard error.
    try:
        from ui.application import show_startup_error
    except ImportError:
        return
    show_startup_error(message)


if __name__ == "__main__":
    sys.exit(main())
