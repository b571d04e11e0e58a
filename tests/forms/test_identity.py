"""Identity numbers: stdnum does the arithmetic; we generate synthetic ones and map verdicts."""

from __future__ import annotations

import datetime
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop_app.forms import (
    birth_date_of,
    gender_of,
    generate_identity_number,
    identity_kind,
    identity_number_problem,
    is_valid_identity_number,
    normalize_identity_number,
)

birth_dates = st.dates(datetime.date(1854, 1, 1), datetime.date(2024, 12, 31))
kinds = st.sampled_from(["birth", "d", "h"])
genders = st.sampled_from([None, "M", "F"])
seeds = st.integers(0, 2**32)


@given(seed=seeds, born=birth_dates, kind=kinds, gender=genders)
def test_generated_numbers_are_valid(seed: int, born: datetime.date, kind: str, gender) -> None:
    number = generate_identity_number(random.Random(seed), born, kind=kind, gender=gender)
    assert len(number) == 11 and number.isdigit()
    assert identity_number_problem(number) is None
    assert birth_date_of(number) == born
    assert identity_kind(number) == kind
    if gender:
        assert gender_of(number) == gender


@given(
    seed=seeds,
    born=birth_dates,
    kind=kinds,
    position=st.integers(0, 10),
    shift=st.integers(1, 9),
)
def test_any_single_digit_change_is_rejected(
    seed: int, born: datetime.date, kind: str, position: int, shift: int
) -> None:
    number = generate_identity_number(random.Random(seed), born, kind=kind)
    digit = (int(number[position]) + shift) % 10
    changed = number[:position] + str(digit) + number[position + 1 :]
    assert not is_valid_identity_number(changed)


def test_default_birth_date_is_random_but_reproducible() -> None:
    first = generate_identity_number(random.Random(7))
    assert first == generate_identity_number(random.Random(7))
    assert datetime.date(1925, 1, 1) <= birth_date_of(first) <= datetime.date(2015, 12, 31)


def test_known_published_example() -> None:
    # The example in python-stdnum's documentation.
    assert is_valid_identity_number("15108695088")
    assert identity_number_problem("15108695077") == ("identity_number.invalid", {})


@pytest.mark.parametrize(
    ("number", "key"),
    [
        ("1510869508", "identity_number.length"),
        ("151086950881", "identity_number.length"),
        ("151086-95088", "identity_number.format"),
        (15108695088, "identity_number.format"),
        ("00000000000", "identity_number.birth_date"),
        ("81010112345", "identity_number.fh_number"),
    ],
)
def test_problems(number: object, key: str) -> None:
    problem = identity_number_problem(number)
    assert problem is not None and problem[0] == key


def test_born_after_given_today() -> None:
    number = generate_identity_number(random.Random(3), datetime.date(2020, 1, 2))
    assert identity_number_problem(number, today=datetime.date(2020, 1, 2)) is None
    assert identity_number_problem(number, today=datetime.date(2020, 1, 1)) == (
        "identity_number.in_future",
        {"birth_date": "2020-01-02"},
    )


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="kind"):
        generate_identity_number(random.Random(), kind="x")
    with pytest.raises(ValueError, match="gender"):
        generate_identity_number(random.Random(), gender="female")
    with pytest.raises(ValueError, match="1854-2039"):
        generate_identity_number(random.Random(), datetime.date(1800, 1, 1))
    with pytest.raises(ValueError, match="Not a valid"):
        birth_date_of("15108695077")


def test_normalize() -> None:
    assert normalize_identity_number(" 151086 95088 ") == "15108695088"
