"""`registry-server import-expected FILE.csv` (to be written)."""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str]) -> int:
    print("import-expected is not written yet.", file=sys.stderr)
    return 2
