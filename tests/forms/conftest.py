"""Shared fixtures: the shipped catalogue and one fully valid breast assessment message."""

from __future__ import annotations

import datetime
import random

import pytest

from desktop_app.forms import Catalogue, FormDefinition, generate_identity_number, load_catalogue

TODAY = datetime.date(2025, 6, 1)


# Named through `name=` so tests/ui_form/conftest.py can import them without shadowing.
@pytest.fixture(scope="session", name="catalogue")
def catalogue_fixture() -> Catalogue:
    return load_catalogue()


@pytest.fixture(scope="session", name="breast")
def breast_fixture(catalogue: Catalogue) -> FormDefinition:
    return catalogue.get("breast", "assessment", 1)


@pytest.fixture
def valid() -> dict[str, object]:
    """A complete invasive-cancer message; tests change one thing at a time."""
    rng = random.Random(20250601)
    return {
        "patient_id": generate_identity_number(rng, datetime.date(1961, 3, 14), gender="F"),
        "patient_name": "Kari Demo Nordmann",
        "region": "1",
        "hospital": "0316",
        "department": "surgery",
        "reporter_name": "Demo Lege",
        "reporter_hpr": "9000001",
        "report_date": "2025-05-20",
        "comment": "Synthetic test message.",
        "diagnosis_date": "2025-05-02",
        "icd10": "C50.4",
        "laterality": "left",
        "detection": "screening",
        "clinical_t": "T1c",
        "clinical_n": "N0",
        "clinical_m": "M0",
        "histological_type": "nst",
        "nottingham_grade": "2",
        "mri_done": "1",
        "neoadjuvant_planned": "0",
        "er_percent": 90,
        "pr_percent": 40,
        "her2_ihc": "1+",
        "ki67_percent": 15,
        "tumour_size_mm": 14.5,
    }
