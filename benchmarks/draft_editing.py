"""How long the client takes for what happens on every keystroke in a form.

Measures, on the breast cancer assessment form: validating a complete message (run on every
change in the UI thread) and an autosave round trip (values handed to the Autosaver until the
write is committed to a real SQLite file with WAL and synchronous=FULL).

    .venv/bin/python benchmarks/draft_editing.py [--rounds 300]

The last line printed is one JSON object with the figures (milliseconds).
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from desktop_app.autosave import Autosaver
from desktop_app.forms import example_values, load_catalogue, validate
from local_cache import open_cache


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

    autosave_ms = []
    with tempfile.TemporaryDirectory() as folder:
        cache = open_cache(Path(folder) / "cache.sqlite3")
        saver = Autosaver(cache.messages)
        draft = cache.messages.create_draft("bench", "breast", "assessment", definition.version)
        for round_ in range(args.rounds):
            values["patient_name"] = f"Benchmark Patient {round_}"
            started = time.perf_counter()
            saver.save(draft.id, values).result(timeout=10)
            autosave_ms.append((time.perf_counter() - started) * 1000)
        saver.close()
        cache.close()

    figures = {
        "form": f"{definition.registry}/{definition.form}/v{definition.version}",
        "fields": len(definition.fields()),
        "rounds": args.rounds,
        "validate_ms_median": round(statistics.median(validate_ms), 3),
        "validate_ms_p95": round(percentile(validate_ms, 0.95), 3),
        "autosave_ms_median": round(statistics.median(autosave_ms), 3),
        "autosave_ms_p95": round(percentile(autosave_ms, 0.95), 3),
    }
    for name in ("validate", "autosave"):
        median, p95 = figures[f"{name}_ms_median"], figures[f"{name}_ms_p95"]
        print(f"{name}: median {median} ms, p95 {p95} ms")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
