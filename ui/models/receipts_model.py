"""Receipts of one owner, newest first, from the receipt repository."""

from __future__ import annotations

from PySide6.QtCore import QObject

from ui.models.formatting import hash_prefix, local_time, parse_time, tr
from ui.models.names import CatalogueNames
from ui.models.table_model import Column, RowTableModel


class ReceiptsModel(RowTableModel):
    COL_RECEIPT_ID, COL_FORM, COL_RECEIVED, COL_HASH = range(4)

    def __init__(
        self, receipts, owner: str, names: CatalogueNames, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self._receipts = receipts
        self._owner = owner
        self._names = names
        self.columns = (
            Column(tr("ReceiptsModel", "Receipt"), lambda r: r.receipt_id),
            Column(tr("ReceiptsModel", "Registry / form"), self._form),
            Column(
                tr("ReceiptsModel", "Received by the registry"),
                lambda r: local_time(r.received_at),
                sort_key=lambda r: parse_time(r.received_at),
            ),
            Column(
                tr("ReceiptsModel", "Content fingerprint"),
                lambda r: hash_prefix(r.body_sha256),
                tooltip=lambda r: "SHA-256 " + r.body_sha256,
            ),
        )

    def fetch(self) -> list:
        return self._receipts.list(self._owner)

    def row_key(self, row) -> str:
        return row.receipt_id

    def _form(self, receipt) -> str:
        registry = self._names.registry(receipt.registry)
        form = self._names.form(receipt.registry, receipt.form, receipt.version)
        return f"{registry} / {form} (v{receipt.version})"
