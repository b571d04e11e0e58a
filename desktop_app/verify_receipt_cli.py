"""``registry-desktop verify-receipt FILE``: is this receipt the registry's? Offline.

FILE is a receipt PDF (this program's) or a text file holding a receipt code (what the QR code
holds). The keys: those the program ships, plus those a client on this computer has fetched
from the registry server (read from its cache file when there is one; nothing is created or
changed). Prints one sentence; exit status 0 valid, 1 not valid, 2 the file cannot be read.
"""

from __future__ import annotations

import argparse
import logging
import sqlite3
import sys
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_app.receipt_signature import Verdict
from desktop_app.receipts.files import FileCheck, FileProblem, check_receipt_file
from desktop_app.receipts.keys import TrustedKeys
from desktop_app.receipts.texts import local_date_time, text

if TYPE_CHECKING:
    from desktop_app.forms import Catalogue

log = logging.getLogger(__name__)

VALID, NOT_VALID, CANNOT_READ = 0, 1, 2


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="registry-desktop verify-receipt",
        description="Check, offline, that a receipt (a receipt PDF, or a text file holding the "
        "code from a receipt's QR code) was signed by the registry and is unchanged. Exit "
        "status: 0 valid, 1 not valid, 2 the file cannot be read.",
    )
    parser.add_argument("file", metavar="FILE", type=Path, help="receipt PDF or receipt code file")
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="the client's data folder, for the keys it fetched (default: as the client's "
        "settings say)",
    )
    parser.add_argument("--language", choices=["en", "nb"], help="language of the answer")
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # pypdf warns about every oddity of a file it can still read; the sentence says enough.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    lang, cache_path = _settings(args)
    keys = TrustedKeys(fetched=lambda: _fetched_keys(cache_path))
    check = check_receipt_file(args.file, keys)
    print(sentence(check, args.file, lang, keys))
    if check.problem is FileProblem.UNREADABLE:
        return CANNOT_READ
    return VALID if check.valid else NOT_VALID


def sentence(check: FileCheck, path: Path, lang: str, keys: TrustedKeys) -> str:
    """The one sentence that says what checking the file found."""
    if check.problem is FileProblem.UNREADABLE:
        return text("cli.unreadable", lang, file=path, reason=check.reason)
    if check.problem is FileProblem.NO_RECEIPT_CODE or check.verdict in (
        None,
        Verdict.MALFORMED,
        Verdict.UNSIGNED,
    ):
        return text("cli.not_a_receipt", lang, file=path)
    fields = check.receipt
    if check.verdict is Verdict.UNKNOWN_KEY:
        return text("cli.unknown_key", lang, **fields)
    if check.verdict is Verdict.INVALID:
        return text("cli.invalid", lang, **fields)
    return text(
        "cli.valid",
        lang,
        receipt_id=fields["receipt_id"],
        form=_form_title(fields, lang),
        registry=_registry_title(fields["registry"], lang),
        version=fields["version"],
        received=_received(fields["received_at"], lang),
        key=text("value.demo_key", lang, key_id=fields["key_id"])
        if keys.is_demo(fields["key_id"])
        else fields["key_id"],
    )


def _received(value: str, lang: str) -> str:
    parts = local_date_time(value, lang, offset=True)
    if parts is None:
        return value
    return text("cli.received", lang, date=parts[0], time=parts[1])


@cache
def _catalogue() -> Catalogue | None:
    try:
        from desktop_app.forms import load_catalogue

        return load_catalogue()
    except Exception:  # the names are a courtesy; the verdict does not depend on them
        log.debug("No form catalogue for names", exc_info=True)
        return None


def _registry_title(registry: str, lang: str) -> str:
    catalogue = _catalogue()
    try:
        return catalogue.registry(registry).title_text(lang) if catalogue else registry
    except KeyError:
        return registry


def _form_title(fields: dict[str, str], lang: str) -> str:
    catalogue = _catalogue()
    try:
        definition = catalogue.get(fields["registry"], fields["form"], int(fields["version"]))
        return definition.title_text(lang)
    except (AttributeError, KeyError, ValueError):
        return fields["form"]


def _settings(args: argparse.Namespace) -> tuple[str, Path | None]:
    """The answer's language and the client cache file, from the arguments, else from the
    client's settings (file and environment); nothing is required."""
    from desktop_app.config import Settings, SettingsError

    overrides = {"data_dir": args.data_dir} if args.data_dir else {}
    try:
        settings = Settings.load(**overrides)
    except (SettingsError, OSError, ValueError):
        data_dir = Path(args.data_dir) if args.data_dir else None
        return args.language or "en", data_dir / "cache.sqlite3" if data_dir else None
    return args.language or settings.language, Path(settings.cache_path)


def _fetched_keys(cache_path: Path | None) -> dict[str, str]:
    if cache_path is None:
        return {}
    from local_cache.receipt_keys import read_saved_keys

    try:
        return read_saved_keys(cache_path)
    except (OSError, sqlite3.Error) as error:
        log.warning("The keys saved in %s cannot be read (%s)", cache_path, error)
        return {}


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
