"""The Statistics page on a real cache, offline (nothing listens at the server address): the
registry selector, the charts' bars, target lines and trend points, suppressed cells, the
UI language's formats, switching registry, the empty states and reloading on an update."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from desktop_app.events import StatisticsUpdated

from .statistics_page import (
    FETCHED_AT,
    bar_categories,
    bar_values,
    offline_session,
    offline_settings,
    open_statistics,
    table_texts,
    target_lines,
    trend_points,
)
from .statistics_payload import BCS_UNIT_MONTH_VALUES, small_payload

pytestmark = pytest.mark.gui


@pytest.fixture
def services(make_services, tmp_path):
    return make_services(offline_settings(tmp_path / "client"))


@pytest.fixture
def session(services):
    return offline_session(services)


@pytest.fixture
def page(qtbot, services, session):
    services.cache.statistics.save(session.username, small_payload(), FETCHED_AT)
    _, view = open_statistics(qtbot, services, session)
    return view


def test_cached_answer_shows_offline_with_the_unit_against_region_nation_and_target(page):
    view = page
    assert view.stack.currentIndex() == view.CONTENT
    box = view.registry_box
    assert [box.itemText(i) for i in range(box.count())] == [
        "Lymphoid malignancies",
        "Breast cancer",
    ]
    # The unit reports most to breast (412 messages against 12): shown first.
    assert box.currentData() == "breast"
    assert view.info.text().startswith("As of 2026-12-05 · Period 2025-12-01 – 2026-11-30")
    assert "Oslo universitetssykehus Ullevål" in view.info.text()

    # The first clinical indicator is on screen.
    assert view.detail.indicator.id == "breast.bcs_0_30"
    assert bar_values(view) == {"Your unit": 85.0, "Hospital": 87.5, "Region": 88.2, "Nation": 86.4}
    assert bar_categories(view)[0] == "Your unit: 85.0 %"
    lines = target_lines(view.detail.bar_view.chart())
    assert {name: {x for x, _ in pts} for name, pts in lines.items()} == {
        "at least 85 %": {85.0},
        "goal 90 %": {90.0},
    }
    assert table_texts(view.detail.figures)[0] == ["Your unit", "85.0 %", "34 / 40"]
    assert "Minimum reached, not the goal" in view.detail.target.text()

    # The trend: the unit's months with 5 or more cases, region and nation every month.
    assert trend_points(view, "Your unit") == pytest.approx(BCS_UNIT_MONTH_VALUES)
    assert trend_points(view, "Region") == {i: 86.0 for i in range(12)}
    assert trend_points(view, "Nation") == {i: 85.0 for i in range(12)}
    trend_targets = target_lines(view.detail.trend_view.chart())
    assert {y for _, y in trend_targets["at least 85 %"]} == {85.0}
    assert view.detail.trend_note.text() == (
        "Your unit had fewer than 5 cases in Feb 26, May 26: not shown."
    )

    # Administrative figures as cards, the quality indicators in the list.
    cards = {c.title.text(): c.value.text() for c in view.cards.cards}
    assert cards == {"Messages received": "412", "Reporting coverage": "90.0 %"}
    assert [i.id for i in view.list_model.rows] == [
        "breast.bcs_0_30",
        "breast.mri_neoadjuvant",
        "breast.referral_to_surgery",
        "breast.operations_per_hospital",
    ]


def test_suppressed_cells_are_marked_in_the_list_table_and_chart(page):
    view = page
    row = [i.id for i in view.list_model.rows].index("breast.mri_neoadjuvant")
    model = view.list_model
    assert model.index(row, model.COL_UNIT).data() == "< 5"
    assert model.index(row, model.COL_UNIT).data(3) == "fewer than 5 cases"  # tooltip

    view.select_indicator("breast.mri_neoadjuvant")
    assert view.detail.indicator.id == "breast.mri_neoadjuvant"
    assert table_texts(view.detail.figures)[0] == ["Your unit", "fewer than 5 cases", ""]
    assert bar_values(view)["Your unit"] == 0.0  # no bar drawn
    assert bar_categories(view)[0] == "Your unit: fewer than 5 cases"
    assert trend_points(view, "Your unit") == {}
    assert "too few cases to compare" in view.detail.target.text()


def test_breakdown_by_hospital_marks_own_suppressed_and_empty_rows(page):
    view = page
    view.select_indicator("breast.operations_per_hospital")
    table = view.detail.breakdown
    assert view.detail.breakdown_heading.text() == "By hospital"
    assert table.isVisibleTo(view)
    assert table_texts(table) == [
        ["Haukeland universitetssjukehus", "293"],
        ["Oslo universitetssykehus Ullevål", "157"],
        ["Sykehuset Telemark, Notodden", "fewer than 5 cases"],
        ["St. Olavs hospital", "no cases"],
    ]
    model = table.model()
    assert model.index(1, 0).data(Qt.ItemDataRole.FontRole).bold()  # the unit's hospital
    assert model.index(0, 0).data(Qt.ItemDataRole.FontRole) is None


def test_switching_registry_shows_its_indicators_and_breakdown_by_region(qtbot, page):
    view = page
    view.registry_box.setCurrentIndex(view.registry_box.findData("lymphoid"))
    assert view.registry == "lymphoid"
    assert [i.id for i in view.list_model.rows] == ["lymphoid.radiotherapy_use"]
    assert view.detail.indicator.id == "lymphoid.radiotherapy_use"
    assert bar_values(view)["Your unit"] == 16.7
    assert bar_values(view)["Region"] == 17.0
    assert view.detail.breakdown_heading.text() == "By health region"
    assert table_texts(view.detail.breakdown) == [
        ["Helse Vest", "22.0 %", "88 / 400"],
        ["Helse Sør-Øst", "17.0 %", "153 / 900"],
        ["Helse Nord", "fewer than 5 cases", ""],
    ]
    assert [c.title.text() for c in view.cards.cards] == ["Messages received"]
    # Back to breast: the first clinical indicator again.
    view.registry_box.setCurrentIndex(view.registry_box.findData("breast"))
    assert view.detail.indicator.id == "breast.bcs_0_30"


def test_a_card_shows_its_figure_charts(qtbot, page):
    view = page
    card = next(c for c in view.cards.cards if c.indicator_id == "breast.coverage")
    qtbot.mouseClick(card, Qt.MouseButton.LeftButton)
    assert view.detail.indicator.id == "breast.coverage"
    assert card.property("current") is True
    assert not view.indicator_list.selectionModel().hasSelection()
    assert bar_values(view)["Your unit"] == 90.0
    # Back to an indicator of the list: the card is no longer the current one.
    view.indicator_list.selectRow(0)
    assert view.detail.indicator.id == "breast.bcs_0_30"
    assert card.property("current") is False


def test_norwegian_dates_and_decimal_commas(qtbot, make_services, tmp_path):
    services = make_services(offline_settings(tmp_path / "nb", language="nb"))
    session = offline_session(services)
    services.cache.statistics.save(session.username, small_payload(), FETCHED_AT)
    _, view = open_statistics(qtbot, services, session)
    assert "05.12.2026" in view.info.text()
    assert "01.12.2025 – 30.11.2026" in view.info.text()
    assert table_texts(view.detail.figures)[0] == ["Your unit", "85,0 %", "34 / 40"]
    assert table_texts(view.detail.figures)[3][1] == "86,4 %"
    # Titles from the answer in Norwegian; thousands with the locale's separator.
    assert view.detail.title.text() == "Brystbevarende kirurgi, 0-30 mm"
    messages = next(c for c in view.cards.cards if c.indicator_id == "breast.messages_received")
    assert messages.context.text() == "Region 2\u00a0300 · Nation 4\u00a0200"
    assert "des. 25" in view.detail.trend_view.chart().axes()[0].categories()


def test_empty_state_when_never_fetched(qtbot, services, session):
    _, view = open_statistics(qtbot, services, session)
    assert view.stack.currentIndex() == view.EMPTY
    assert view.empty_title.text() == "No statistics on this computer yet"
    assert "press the button to fetch them now" in view.empty_text.text()
    assert view.empty_refresh.isVisible()
    assert not view.csv_button.isVisible() and not view.registry_box.isVisible()


def test_empty_state_when_the_registry_has_not_computed_them(qtbot, services, session):
    services.cache.statistics.save(session.username, {"as_of": None, "registries": []}, FETCHED_AT)
    _, view = open_statistics(qtbot, services, session)
    assert view.stack.currentIndex() == view.EMPTY
    assert view.empty_title.text() == ("The registry has not computed statistics for your unit yet")
    assert "2026-12-06" in view.empty_text.text()


def test_page_reloads_when_statistics_are_updated(qtbot, services, session):
    _, view = open_statistics(qtbot, services, session)
    assert view.stack.currentIndex() == view.EMPTY
    services.cache.statistics.save(session.username, small_payload(), FETCHED_AT)
    services.events.publish(StatisticsUpdated(as_of="2026-12-05"))
    qtbot.waitUntil(lambda: view.stack.currentIndex() == view.CONTENT, timeout=10000)
    assert view.registry == "breast"


def test_refresh_while_signed_in_offline_explains_why_nothing_is_fetched(qtbot, page):
    view = page
    view.refresh_button.click()
    assert view.notice.isVisible()
    assert "signed in offline" in view.notice.text()
    assert view.refresh_button.isEnabled()
