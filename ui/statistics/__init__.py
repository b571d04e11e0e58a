"""Parts of the Statistics page (ui.views.statistics_view). `charts` imports QtCharts: only the
page imports it, when it is first opened."""
