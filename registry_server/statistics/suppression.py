"""Which served cells are suppressed: small ones, and those a small count could be worked out
from (complementary suppression).

For one indicator, given the number of cases `n` of every cell the answer shows, keyed by
(level, key, period):

1. Primary: a cell with 1 to `min_cell - 1` cases.
2. Chains: the unit is inside its hospital, the hospital inside its region, the region inside
   the nation. A level is suppressed when it counts 1 to `min_cell - 1` cases more than any
   smaller level of its chain (the unit knows its own count even where it is suppressed, so
   "hospital minus own unit" must not be a small number). The twelve months: unit ⊂ hospital
   ⊂ region ⊂ nation; each month of the trend: unit ⊂ region ⊂ nation (the hospital has no
   trend).
3. Groups: areas side by side that add up to a shown total — the regions of a by-region list,
   the hospitals of a by-hospital list (all of them, and those of each region), and the twelve
   months of the region's and the nation's trend. When exactly one member of a group is
   suppressed, the member with the fewest cases (but at least one) that is still shown is
   suppressed as well (ties: the first by level, key and period), so the total minus the
   others is not the hidden count. One cell at a time, always from the first such group in
   the order given, until no group has exactly one (a member hidden in one group may leave
   another with one).

Numerators are not suppressed: a proportion of 5 or more cases with 1-4 in the numerator is
shown, as the issue asks only for cells under five cases.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

Cell = tuple[str, str, str]  # level, key, period


def suppressed_cells(
    n: Mapping[Cell, int],
    min_cell: int,
    *,
    chains: Iterable[Sequence[Cell]] = (),
    groups: Iterable[Sequence[Cell]] = (),
) -> set[Cell]:
    """The cells to serve as `{"suppressed": true}`. `chains` list cells smallest first;
    a cell missing from `n` has no cases."""
    hidden = {cell for cell, count in n.items() if 0 < count < min_cell}
    for chain in chains:
        for i, larger in enumerate(chain):
            if any(0 < n.get(larger, 0) - n.get(smaller, 0) < min_cell for smaller in chain[:i]):
                hidden.add(larger)
    groups = [list(group) for group in groups]
    while (extra := _next_complement(n, hidden, groups)) is not None:
        hidden.add(extra)
    return hidden


def _next_complement(
    n: Mapping[Cell, int], hidden: set[Cell], groups: list[list[Cell]]
) -> Cell | None:
    """The first group (in the order given) with exactly one suppressed member and a shown
    member with cases: its shown member with the fewest cases (ties: the first by key)."""
    for group in groups:
        if sum(cell in hidden for cell in group) != 1:
            continue
        shown = sorted((n.get(cell, 0), cell) for cell in group if cell not in hidden)
        candidates = [cell for count, cell in shown if count > 0]
        if candidates:
            return candidates[0]
    return None
