"""How long the client takes for what happens on every keystroke in a form.

Measures, on the breast cancer assessment form: validating a complete message (run on every
change in the UI thread); an autosave round trip (values handed to the Autosaver until the
write is committed to a real SQLite file with WAL and synchronous=FULL), encrypted under the
clinician's data key as the app does it, beside the same without encryption and the floor of a
bare `sqlite3` UPDATE of the same bytes; and opening the clinician's keys at sign-in (Argon2id
at the shipped costs). Targets (issue 10): encrypted autosave p99 under 2 ms; unlock under 0.5 s.

    .venv/bin/python benchmarks/draft_editing.py [--rounds 300]

The last line printed is one JSON object with the figures (milliseconds).
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from desktop_app.autosave import Autosaver
from desktop_app.forms import example_values, load_catalogue, validate
from local_cache import open_cache
from local_cache.crypto import EncryptingCodec, UserKeys, new_key, to_json
from local_cache.user_cache import UserCache
from local_cache.user_keys import KdfCost


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=300)
    args = parser.parse_args()

    definition = load_catalogue().latest("breast", "assessment")
    rng = random.Random(20261122)
    values = example_values(definition, rng)

    validate_ms = []
    for _ in range(args.rounds):
        started = time.perf_counter()
        issues = validate(definition, values)
        validate_ms.append((time.perf_counter() - started) * 1000)
    assert not issues, issues

    with tempfile.TemporaryDirectory() as folder:
        cache = open_cache(Path(folder) / "cache.sqlite3")
        user = UserCache(cache, "bench", EncryptingCodec(UserKeys(new_key(), new_key())))
        encrypted_ms = _autosaves(user.messages, definition.version, values, args.rounds)
        plain_ms = _autosaves(cache.messages, definition.version, values, args.rounds)
        cache.close()
        bare_ms = _bare_sqlite(Path(folder) / "bare.sqlite3", values, args.rounds)
        unlock_ms = _unlock(cache_path=Path(folder) / "keys.sqlite3")

    figures = {
        "form": f"{definition.registry}/{definition.form}/v{definition.version}",
        "fields": len(definition.fields()),
        "rounds": args.rounds,
        "validate_ms_median": round(statistics.median(validate_ms), 3),
        "validate_ms_p95": round(percentile(validate_ms, 0.95), 3),
        "autosave_ms_median": round(statistics.median(encrypted_ms), 3),
        "autosave_ms_p95": round(percentile(encrypted_ms, 0.95), 3),
        "autosave_ms_p99": round(percentile(encrypted_ms, 0.99), 3),
        "autosave_plain_ms_p99": round(percentile(plain_ms, 0.99), 3),
        "bare_sqlite3_update_ms_median": round(statistics.median(bare_ms), 3),
        "bare_sqlite3_update_ms_p99": round(percentile(bare_ms, 0.99), 3),
        "unlock_ms_median": round(statistics.median(unlock_ms), 1),
        "unlock_ms_max": round(max(unlock_ms), 1),
    }
    for name in ("validate", "autosave"):
        median, p95 = figures[f"{name}_ms_median"], figures[f"{name}_ms_p95"]
        print(f"{name}: median {median} ms, p95 {p95} ms")
    print(
        f"autosave p99: encrypted {figures['autosave_ms_p99']} ms, plain "
        f"{figures['autosave_plain_ms_p99']} ms, bare sqlite3 "
        f"{figures['bare_sqlite3_update_ms_p99']} ms; unlock {figures['unlock_ms_median']} ms"
    )
    print(json.dumps(figures))


def _autosaves(messages, version: int, values: dict, rounds: int) -> list[float]:  # type: ignore[no-untyped-def]
    saver = Autosaver(messages)
    draft = messages.create_draft("bench", "breast", "assessment", version)
    timings = []
    for round_ in range(rounds):
        values["patient_name"] = f"Benchmark Patient {round_}"
        started = time.perf_counter()
        saver.save(draft.id, values).result(timeout=10)
        timings.append((time.perf_counter() - started) * 1000)
    saver.close()
    return timings


def _bare_sqlite(path: Path, values: dict, rounds: int) -> list[float]:
    """The floor: one UPDATE of the same JSON bytes, autocommit, WAL, synchronous=FULL."""
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.execute("CREATE TABLE drafts (id INTEGER PRIMARY KEY, body BLOB)")
    connection.execute("INSERT INTO drafts VALUES (1, ?)", (to_json(values),))
    timings = []
    for round_ in range(rounds):
        values["patient_name"] = f"Benchmark Patient {round_}"
        started = time.perf_counter()
        connection.execute("UPDATE drafts SET body = ? WHERE id = 1", (to_json(values),))
        timings.append((time.perf_counter() - started) * 1000)
    connection.close()
    return timings


def _unlock(cache_path: Path, rounds: int = 5) -> list[float]:
    cache = open_cache(cache_path, kdf_cost=KdfCost())
    keys = cache.user_keys
    keys.create("https://bench", "bench", "a password", escrow_key=None)
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        keys.unlock("https://bench", "bench", "a password")
        timings.append((time.perf_counter() - started) * 1000)
    cache.close()
    return timings


if __name__ == "__main__":
    main()
