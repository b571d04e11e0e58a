"""Receipts the clinician can file and anyone can verify (plain Python, no Qt).

* ``keys``: the trusted signing keys (shipped; fetched over TLS, each trusted for its own server
  only), the public demo key's id, and ``TrustedKeys.verdict``.
* ``content``: what a receipt shows, in words (patient and reporter from this computer's copy).
* ``pdf``: the one renderer (reportlab) for saving and printing.
* ``files``: checking a receipt PDF or receipt-code file offline (``verify-receipt``).
* ``texts``: the texts in both languages, local date and time.

Importing this package does not import reportlab or pypdf; each module does when used.
"""

from __future__ import annotations

from desktop_app.receipts.keys import TrustedKeys, load_shipped_keys

__all__ = ["TrustedKeys", "load_shipped_keys"]
