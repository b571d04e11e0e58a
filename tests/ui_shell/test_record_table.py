"""RecordTable and RowTableModel.update_rows: rows applied as changes, sorted when shown."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt

from ui.models.table_model import Column, RowTableModel
from ui.views.common import RecordTable


@dataclass(frozen=True)
class Item:
    key: str
    rank: int


class ItemsModel(RowTableModel[Item]):
    columns = (Column("Key", lambda r: r.key), Column("Rank", str, sort_key=lambda r: r.rank))

    def __init__(self) -> None:
        super().__init__()
        self.resets = 0
        self.modelReset.connect(lambda: setattr(self, "resets", self.resets + 1))

    def row_key(self, row: Item) -> str:
        return row.key


def _shown_keys(table: RecordTable) -> list[str]:
    proxy = table.proxy
    return [proxy.data(proxy.index(row, 0)) for row in range(proxy.rowCount())]


def test_rows_that_arrive_while_hidden_are_sorted_when_shown(qtbot) -> None:
    model = ItemsModel()
    table = RecordTable(model, sort_column=1, order=Qt.SortOrder.DescendingOrder)
    qtbot.addWidget(table)
    table.show()
    model.update_rows([Item("a", 1), Item("b", 2)])
    assert _shown_keys(table) == ["b", "a"]  # on screen: sorted as rows arrive

    table.hide()
    model.update_rows([Item("a", 1), Item("b", 2), Item("c", 3), Item("d", 0)])
    table.show()

    assert _shown_keys(table) == ["c", "b", "a", "d"]


def test_update_rows_removes_changes_and_adds_without_a_reset(qtbot) -> None:
    model = ItemsModel()
    model.set_rows([Item("a", 1), Item("b", 2), Item("c", 3)])
    resets = model.resets

    model.update_rows([Item("c", 30), Item("d", 4), Item("a", 1)])

    assert model.resets == resets
    assert [(r.key, r.rank) for r in model.rows] == [("a", 1), ("c", 30), ("d", 4)]


def test_a_hidden_table_fits_its_columns_when_first_shown_only(qtbot) -> None:
    model = ItemsModel()
    table = RecordTable(model)
    qtbot.addWidget(table)
    default = table.columnWidth(0)
    model.update_rows([Item("a rather long key that needs a wide column", 1)])
    assert table.columnWidth(0) == default  # not measured off screen

    table.show()
    fitted = table.columnWidth(0)
    assert fitted > default
    table.setColumnWidth(0, 60)  # the user's width
    model.update_rows([Item("another long key, much longer than sixty pixels", 2)])
    assert table.columnWidth(0) == 60
