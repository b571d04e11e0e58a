"""``registry-desktop verify-receipt FILE``: is this receipt the registry's? Offline.

FILE is a receipt PDF (this program's) or a text file holding a receipt code (what the QR code
holds). The keys: those the program ships; with ``--with-fetched-keys`` also those a client on
this computer has fetched from a registry server (read from its cache file; nothing is created
or changed), and the answer names the server a key came from.

Exit status: 0 valid, 1 not valid, 2 the file cannot be checked, 3 valid but signed with the
public DEMO key, which proves nothing outside a demonstration (0 with ``--allow-demo-key``).
For a PDF the answer says what the signature covers: the patient, hospital and reporter
printed on the page are not signed.
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
    from local_cache.receipt_keys import SavedKey

log = logging.getLogger(__name__)

VALID, NOT_VALID, CANNOT_READ, DEMO_KEY = 0, 1, 2, 3


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="registry-desktop verify-receipt",
        description="Check, offline, that a receipt (a receipt PDF, or a text file holding the "
        "code from a receipt's QR code) was signed by the registry and is unchanged. Exit "
        "status: 0 valid, 1 not valid, 2 the file cannot be checked, 3 valid but signed with "
        "the public demo key (proves nothing outside a demonstration).",
    )
    parser.add_argument("file", metavar="FILE", type=Path, help="receipt PDF or receipt code file")
    parser.add_argument(
        "--with-fetched-keys",
        action="store_true",
        help="also trust the keys a client on this computer fetched from a registry server "
        "(the answer says which server)",
    )
    parser.add_argument(
        "--allow-demo-key",
        action="store_true",
        help="exit 0, not 3, for a receipt signed with the public demo key (demonstrations)",
    )
    parser.add_argument(
        "--data-dir",
        metavar="DIR",
        help="the client's data folder, for --with-fetched-keys (default: as the client's "
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
    servers: dict[str, list[str]] = {}
    if args.with_fetched_keys:
        saved = _fetched_keys(cache_path)
        for key in saved:
            servers.setdefault(key.key_id, []).append(key.server_url)
        keys = TrustedKeys(fetched=lambda: {k.key_id: k.public_key for k in saved})
    else:
        keys = TrustedKeys()
    check = check_receipt_file(args.file, keys)
    print("\n".join(sentences(check, args.file, lang, keys, servers)))
    return exit_status(check, keys, allow_demo=args.allow_demo_key)


def exit_status(check: FileCheck, keys: TrustedKeys, *, allow_demo: bool = False) -> int:
    if check.problem in (FileProblem.UNREADABLE, FileProblem.NO_CODE_TEXT):
        return CANNOT_READ
    if not check.valid:
        return NOT_VALID
    if keys.is_demo(check.receipt["key_id"]) and not allow_demo:
        return DEMO_KEY
    return VALID


def sentences(
    check: FileCheck,
    path: Path,
    lang: str,
    keys: TrustedKeys,
    servers: dict[str, list[str]] | None = None,
) -> list[str]:
    """What checking the file found: the verdict's sentence, then for a valid receipt where
    its key came from (a fetched one) and, for a PDF, what the signature covers."""
    first = sentence(check, path, lang, keys)
    if not check.valid:
        return [first]
    fields = check.receipt
    found = [first]
    key_id = fields["key_id"]
    if not keys.is_shipped(key_id) and (servers or {}).get(key_id):
        found.append(
            text("cli.fetched_key", lang, key_id=key_id, servers=", ".join(servers[key_id]))
        )
    if check.pdf:
        found.append(text("cli.pdf_scope", lang, **fields))
    return found


def sentence(check: FileCheck, path: Path, lang: str, keys: TrustedKeys) -> str:
    """The one sentence that says what checking the file found."""
    if check.problem is FileProblem.UNREADABLE:
        return text("cli.unreadable", lang, file=path, reason=check.reason)
    if check.problem is FileProblem.NO_CODE_TEXT:
        return text("cli.no_code_text", lang, file=path)
    if check.problem is FileProblem.CODES_DIFFER:
        return text("cli.codes_differ", lang, file=path)
    if check.problem is FileProblem.NO_RECEIPT_CODE or check.verdict in (
        None,
        Verdict.MALFORMED,
        Verdict.UNSIGNED,
    ):
        return text("cli.not_a_receipt", lang, file=path)
    fields = check.receipt
    if check.verdict is Verdict.UNKNOWN_KEY:
        key = "cli.unknown_key_fetched" if keys.uses_fetched else "cli.unknown_key"
        return text(key, lang, **fields)
    if check.verdict is Verdict.INVALID:
        return text("cli.invalid", lang, **fields)
    return text(
        "cli.valid_demo" if keys.is_demo(fields["key_id"]) else "cli.valid",
        lang,
        receipt_id=fields["receipt_id"],
        form=_form_words(fields, lang),
        version=fields["version"],
        received=_received(fields["received_at"], lang),
        key=fields["key_id"],
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


def _form_words(fields: dict[str, str], lang: str) -> str:
    """The form once: its title, which names the registry ("Breast cancer – surgery"); a title
    that does not is followed by the registry's in brackets."""
    form, registry = _form_title(fields, lang), _registry_title(fields["registry"], lang)
    if form.casefold().startswith(registry.casefold()):
        return form
    return f"{form} ({registry})"


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


def _fetched_keys(cache_path: Path | None) -> list[SavedKey]:
    if cache_path is None:
        return []
    from local_cache.receipt_keys import read_saved_keys

    try:
        return read_saved_keys(cache_path)
    except (OSError, sqlite3.Error) as error:
        log.warning("The keys saved in %s cannot be read (%s)", cache_path, error)
        return []


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
