"""Norwegian national identity numbers: birth numbers, D-numbers and H-numbers.

The arithmetic is python-stdnum's (`stdnum.no.fodselsnummer`); this module maps its verdicts to
our message keys and makes synthetic numbers for tests and demo data.
"""

from __future__ import annotations

import datetime
import random

from stdnum import exceptions as stdnum_errors
from stdnum.no import fodselsnummer

KINDS = ("birth", "d", "h")

# Individual-number ranges by birth year, as stdnum decodes the century.
_CENTURIES = (
    (1854, 1899, 500, 749),
    (1900, 1999, 0, 499),
    (2000, 2039, 500, 999),
)


def identity_number_problem(
    number: object, today: datetime.date | None = None
) -> tuple[str, dict[str, object]] | None:
    """None when `number` is a valid birth, D- or H-number; else (message key, params)."""
    if not isinstance(number, str) or not number.isascii() or not number.isdigit():
        return "identity_number.format", {}
    if len(number) != 11:
        return "identity_number.length", {"length": len(number)}
    if number[0] in "89":
        # FH-numbers (health-service assistance numbers) carry no birth date.
        return "identity_number.fh_number", {}
    try:
        fodselsnummer.validate(number)
        born = fodselsnummer.get_birth_date(number)
    except stdnum_errors.InvalidChecksum:
        return "identity_number.invalid", {}
    except stdnum_errors.InvalidComponent:
        # Either not a date (also after the D/H adjustments) or born after today.
        try:
            born = fodselsnummer.get_birth_date(number)
        except stdnum_errors.ValidationError:
            return "identity_number.birth_date", {}
        return "identity_number.in_future", {"birth_date": born.isoformat()}
    except stdnum_errors.ValidationError:
        return "identity_number.invalid", {}
    if today is not None and born > today:
        return "identity_number.in_future", {"birth_date": born.isoformat()}
    return None


def is_valid_identity_number(number: object, today: datetime.date | None = None) -> bool:
    return identity_number_problem(number, today) is None


def normalize_identity_number(text: str) -> str:
    """What a person typed ("151086 95088") as the stored 11-digit string."""
    return fodselsnummer.compact(text)


def identity_kind(number: str) -> str:
    """ "birth", "d" (day + 40) or "h" (month + 40) for a number of valid shape."""
    if int(number[0]) >= 4:
        return "d"
    if int(number[2]) >= 4:
        return "h"
    return "birth"


def birth_date_of(number: str) -> datetime.date:
    """The birth date a valid birth, D- or H-number encodes; ValueError for an invalid number."""
    problem = identity_number_problem(number)
    if problem is not None:
        raise ValueError(f"Not a valid identity number ({problem[0]}).")
    return fodselsnummer.get_birth_date(number)


def gender_of(number: str) -> str:
    """ "M" or "F" (the ninth digit: odd for men, even for women)."""
    return fodselsnummer.get_gender(number)


def generate_identity_number(
    rng: random.Random,
    birth_date: datetime.date | None = None,
    *,
    kind: str = "birth",
    gender: str | None = None,
) -> str:
    """A synthetic but valid number; never use real people's numbers in tests or demos.

    `birth_date` defaults to a random day in 1925-2015; `gender` is "M", "F" or None (random).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, not {kind!r}")
    if gender not in (None, "M", "F"):
        raise ValueError(f'gender must be "M", "F" or None, not {gender!r}')
    if birth_date is None:
        first = datetime.date(1925, 1, 1).toordinal()
        birth_date = datetime.date.fromordinal(
            rng.randint(first, datetime.date(2015, 12, 31).toordinal())
        )
    span = next(((lo, hi) for y0, y1, lo, hi in _CENTURIES if y0 <= birth_date.year <= y1), None)
    if span is None:
        raise ValueError(f"birth year {birth_date.year} cannot be encoded (1854-2039 only)")
    day = birth_date.day + (40 if kind == "d" else 0)
    month = birth_date.month + (40 if kind == "h" else 0)
    prefix = f"{day:02d}{month:02d}{birth_date.year % 100:02d}"
    while True:  # about 1 in 6 individual numbers has no valid check digit; draw again
        individual = rng.randint(*span)
        if gender is not None and (individual % 2 == 1) != (gender == "M"):
            continue
        base = f"{prefix}{individual:03d}"
        first_check = fodselsnummer.calc_check_digit1(base)
        if len(first_check) != 1:
            continue
        second_check = fodselsnummer.calc_check_digit2(base + first_check)
        if len(second_check) != 1:
            continue
        return base + first_check + second_check
