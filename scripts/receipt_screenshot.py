"""Make docs/receipt.png: the receipt PDF of a realistic synthetic message, first page at 100 dpi.

    .venv/bin/python scripts/receipt_screenshot.py [--lang nb] [--out docs/receipt.png]

The receipt is signed with the public demo key, as `registry-server --demo` signs; the patient
is synthetic (a generated identity number). Times are shown in Europe/Oslo. Needs pdftoppm.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from desktop_app.forms import body_sha256, example_values, load_catalogue  # noqa: E402
from desktop_app.forms.identity import generate_identity_number  # noqa: E402
from desktop_app.receipts.keys import TrustedKeys  # noqa: E402
from desktop_app.receipts.pdf import write_receipt_pdf  # noqa: E402
from local_cache import ReceiptRecord  # noqa: E402
from registry_server.signing import demo_key  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=["en", "nb"], default="en")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "receipt.png")
    args = parser.parse_args()
    os.environ["TZ"] = "Europe/Oslo"
    time.tzset()

    rng = random.Random(20261205)
    catalogue = load_catalogue()
    definition = catalogue.latest("breast", "assessment")
    values = example_values(definition, rng)
    values.update(
        {
            "patient_id": generate_identity_number(rng, datetime.date(1961, 4, 17), gender="F"),
            "patient_name": "Kari Nordmann",
            "region": "1",
            "hospital": "0320",
            "department": "surgery",
            "reporter_name": "Ingrid Berg",
            "reporter_hpr": "9123456",
        }
    )
    body = {
        "message_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "registry": definition.registry,
        "form": definition.form,
        "version": definition.version,
        "values": definition.submitted_values(values),
    }
    receipt = demo_key().sign(
        {
            "receipt_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "message_id": body["message_id"],
            "registry": body["registry"],
            "form": body["form"],
            "version": body["version"],
            "received_at": "2026-12-05T13:32:07Z",
            "body_sha256": body_sha256(body),
            "unit_id": 1,
        }
    )
    trusted = TrustedKeys(fetched=dict)
    record = ReceiptRecord(
        receipt_id=receipt["receipt_id"],
        message_id=receipt["message_id"],
        registry=receipt["registry"],
        form=receipt["form"],
        version=receipt["version"],
        received_at=receipt["received_at"],
        body_sha256=receipt["body_sha256"],
        unit_id=str(receipt["unit_id"]),
        stored_at=datetime.datetime.now(datetime.UTC),
        raw=receipt,
        verdict=trusted.verdict(receipt).value,
        local_owner="demo",
        local_body=body,
    )
    with tempfile.TemporaryDirectory() as folder:
        pdf = write_receipt_pdf(
            record,
            Path(folder) / "receipt.pdf",
            catalogue,
            args.lang,
            viewer="demo",
            unit_name="Breast and endocrine surgery",
            demo_key_ids=trusted.demo_key_ids,
        )
        prefix = Path(folder) / "page"
        subprocess.run(
            ["pdftoppm", "-r", "100", "-png", "-f", "1", "-l", "1", "-singlefile", pdf, prefix],
            check=True,
        )
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_bytes(prefix.with_suffix(".png").read_bytes())
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
