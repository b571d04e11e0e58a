"""The shape of GET /statistics (the contract the client's Statistics page reads). Aggregates
only: no field here can hold a patient's number or name."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CellOut(_Out):
    n: int = Field(description="The cases the figure counts (at least min_cell).")
    numerator: int | None = Field(description="Proportion: the cases that meet it; else null.")
    value: float | int | None = Field(
        description="Proportion: percent, 1 decimal; median_days: the median; count: n."
    )


class SuppressedCellOut(_Out):
    suppressed: Literal[True] = Field(description="Between 1 and min_cell - 1 cases: not shown.")


class EmptyCellOut(_Out):
    n: Literal[0]
    value: None = Field(description="No cases in the period.")


Cell = CellOut | SuppressedCellOut | EmptyCellOut


class TargetOut(_Out):
    min: float | int | None
    goal: float | int | None
    direction: Literal["higher", "lower"]


class Texts(_Out):
    nb: str
    en: str


class LevelsOut(_Out):
    unit: Cell
    hospital: Cell
    region: Cell
    nation: Cell


class TrendPointOut(_Out):
    month: str = Field(description="YYYY-MM")
    unit: Cell
    region: Cell
    nation: Cell


class RegionCellOut(_Out):
    region: str
    name: str
    cell: Cell


class HospitalCellOut(_Out):
    hospital_code: str
    name: str
    cell: Cell


class IndicatorOut(_Out):
    id: str
    group: Literal["clinical", "administrative"]
    kind: Literal["proportion", "median_days", "count"]
    title: Texts
    description: Texts
    unit: Literal["percent", "days", "count"]
    target: TargetOut | None
    values: LevelsOut = Field(description="The twelve whole months of `period`.")
    trend: list[TrendPointOut] = Field(description="The twelve months one by one, oldest first.")
    by_region: list[RegionCellOut] | None
    by_hospital: list[HospitalCellOut] | None


class RegistryStatisticsOut(_Out):
    registry: str
    indicators: list[IndicatorOut]


class PeriodOut(_Out):
    from_: str = Field(alias="from", serialization_alias="from")
    to: str

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class StatisticsUnitOut(_Out):
    id: int
    name: str
    hospital_code: str
    hospital_name: str
    region: str | None
    region_name: str | None


class StatisticsOut(_Out):
    as_of: str | None = Field(
        description="The day computed (YYYY-MM-DD); null before the first run."
    )
    computed_at: str | None
    min_cell: int
    period: PeriodOut | None
    unit: StatisticsUnitOut
    registries: list[RegistryStatisticsOut]
