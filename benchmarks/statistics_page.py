"""The Statistics page opening on a cached answer of realistic size, and what the charting
library costs (start-up time, bundle size): QtCharts against pyqtgraph + numpy.

    .venv/bin/python benchmarks/statistics_page.py [--runs 5] [--chartvenv /tmp/chartvenv]

Every figure comes from a fresh process (offscreen Qt, the real MainWindow on a throw-away data
folder, signed in offline) with, in its cache, the answer the real statistics job gives the
bergen demo unit on a national demo year made first (registry_server.demo.statistics_answers):
breast, lymphoid and sarcoma, 36 indicators, 12-month trends, radiotherapy use by region and
breast operations per hospital (~100 kB of JSON).

* first_open: from choosing Statistics in the navigation (QtCharts not imported yet) until the
  page has read the cache in the background, built the breast registry's cards, list and one
  indicator's charts, and the window has been repainted (a synchronous `repaint()`).
* warm_open: the same with the page's modules (QtCharts included) imported beforehand.
* switch_registry / switch_indicator: choosing another registry or indicator, repaint included.
* reload: StatisticsUpdated published until the page shows the cache's answer again, repainted.
* imports: `import PySide6.QtCharts` and `import pyqtgraph` (which brings numpy), each after
  QtWidgets and a QApplication, in fresh processes of the same Python with the same PySide6
  (the pyqtgraph venv has both installed), median of --runs.
* bundle: bytes on disk of what each library adds to a bundle that already has QtWidgets.

Child processes compile the sources once into a private bytecode cache (PYTHONPYCACHEPREFIX),
as an installed application has them; the repository stays untouched. The last line is JSON.
Targets (issue 9): painted under 300 ms with the charting library imported, first open
(import included) under 1 s.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOWHERE = "https://127.0.0.1:9"
ANSWER_VARIABLE = "STATISTICS_BENCH_ANSWER"  # the parent's answer file, for the children

IMPORT_PROBE = """
import sys, time
from PySide6.QtWidgets import QApplication
app = QApplication([])
started = time.perf_counter()
import {module}
print((time.perf_counter() - started) * 1000)
"""


# -- child: the page in a fresh process -------------------------------------------------------


def _child(mode: str, data_dir: Path) -> None:
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    app = QApplication(sys.argv[:1])
    if mode == "warm_open":
        import ui.views.statistics_view  # noqa: F401  (the charting library already imported)

    from datetime import UTC, datetime

    from desktop_app.app import build_services
    from desktop_app.auth import Session
    from desktop_app.config import Settings
    from desktop_app.events import StatisticsUpdated
    from ui.main_window import MainWindow

    services = build_services(Settings(server_url=NOWHERE, data_dir=data_dir))
    payload = json.loads(Path(os.environ[ANSWER_VARIABLE]).read_text("utf-8"))
    session = Session(
        server_url=NOWHERE,
        username="bergen",
        display_name="Demo Doctor",
        unit={**payload["unit"], "department": "oncology"},
        offline=True,
        tokens=services.tokens,
    )
    services.cache.statistics.save("bergen", payload, datetime.now(UTC))
    window = MainWindow(services, session, None)
    window.resize(1280, 900)
    window.show()
    for _ in range(5):
        app.processEvents()
    window.repaint()
    charts_before = "PySide6.QtCharts" in sys.modules

    def wait_loaded(view) -> None:
        if not view.is_loaded:
            loop = QEventLoop()
            view.loaded.connect(loop.quit)
            loop.exec()

    started = time.perf_counter()
    window.show_page(MainWindow.STATISTICS)
    view = window.statistics_page.page
    wait_loaded(view)
    window.repaint()
    open_ms = (time.perf_counter() - started) * 1000
    result: dict = {
        "open_ms": open_ms,
        "charts_imported_before": charts_before,
        "payload_bytes": len(json.dumps(payload)),
        "registry": view.registry,
        "indicators": sum(len(r["indicators"]) for r in payload["registries"]),
    }
    if mode == "warm_open":
        switches = []
        for registry in [*(r["registry"] for r in payload["registries"][1:]), view.registry]:
            started = time.perf_counter()
            view.registry_box.setCurrentIndex(view.registry_box.findData(registry))
            window.repaint()
            switches.append((time.perf_counter() - started) * 1000)
        indicators = []
        for indicator in [i["id"] for i in payload["registries"][0]["indicators"]]:
            started = time.perf_counter()
            view.select_indicator(indicator)
            window.repaint()
            indicators.append((time.perf_counter() - started) * 1000)
        loop = QEventLoop()
        view.loaded.connect(loop.quit)
        started = time.perf_counter()
        services.events.publish(StatisticsUpdated(as_of=payload["as_of"]))
        loop.exec()  # until the page has read the cache again and shown it
        window.repaint()
        result.update(
            switch_registry_ms=max(switches),
            switch_indicator_ms_median=statistics.median(indicators),
            switch_indicator_ms_max=max(indicators),
            reload_ms=(time.perf_counter() - started) * 1000,
        )
    window.hide()
    services.shutdown()
    print(json.dumps(result))


# -- parent -----------------------------------------------------------------------------------


def _env(pycache: Path) -> dict[str, str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPYCACHEPREFIX": str(pycache)}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.setdefault("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    return env


def _run_child(mode: str, env: dict[str, str], folder: Path) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix=f"{mode}-", dir=folder))
    env = {**env, "XDG_CONFIG_HOME": str(data_dir / "config")}
    out = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", mode, str(data_dir)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def _import_ms(python: Path, module: str, env: dict[str, str], runs: int) -> float | None:
    if not python.exists():
        return None
    times = []
    for _ in range(runs + 1):  # the first compiles bytecode
        out = subprocess.run(
            [str(python), "-c", IMPORT_PROBE.format(module=module)],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if out.returncode != 0:
            return None
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return statistics.median(times[1:])


def _site_packages(python: Path) -> Path | None:
    if not python.exists():
        return None
    out = subprocess.run(
        [
            str(python),
            "-c",
            "import PySide6, pathlib; print(pathlib.Path(PySide6.__file__).parents[1])",
        ],
        capture_output=True,
        text=True,
    )
    return Path(out.stdout.strip()) if out.returncode == 0 else None


def _size(paths: list[Path]) -> int:
    total = 0
    for path in paths:
        if path.is_file():
            total += path.stat().st_size
        elif path.is_dir():
            total += sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
    return total


def _bundle_bytes(site: Path | None) -> dict[str, int | None]:
    """What each library adds beside QtWidgets: QtCharts' module and Qt library, and the Qt
    OpenGL libraries it links (QtWidgets alone does not need them); pyqtgraph and numpy."""
    if site is None:
        return {"qtcharts": None, "pyqtgraph_numpy": None}
    pyside = site / "PySide6"
    qt_lib = pyside / "Qt" / "lib"
    charts = [
        *pyside.glob("QtCharts.*"),
        *qt_lib.glob("libQt6Charts.so*"),
        *qt_lib.glob("libQt6OpenGL.so*"),
        *qt_lib.glob("libQt6OpenGLWidgets.so*"),
    ]
    charts = [p for p in charts if not p.is_symlink()]
    graph = [site / "pyqtgraph", site / "numpy", site / "numpy.libs"]
    return {
        "qtcharts": _size(charts) if charts else None,
        "pyqtgraph_numpy": _size(graph) if (site / "pyqtgraph").exists() else None,
    }


def _answer_file(folder: Path) -> Path:
    """The bergen unit's answer on a national demo year (made here once, not timed)."""
    from registry_server.demo.statistics_answers import demo_statistics_answers

    path = folder / "answer.json"
    path.write_text(json.dumps(demo_statistics_answers(folder / "server")["bergen"]), "utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--chartvenv", default="/tmp/chartvenv")
    parser.add_argument("--child", nargs=2, metavar=("MODE", "DATA_DIR"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _child(args.child[0], Path(args.child[1]))
        return 0

    with tempfile.TemporaryDirectory(prefix="statistics-bench-") as tmp:
        folder = Path(tmp)
        env = {**_env(folder / "pycache"), ANSWER_VARIABLE: str(_answer_file(folder))}
        _run_child("first_open", env, folder)  # compiles the bytecode
        first = [_run_child("first_open", env, folder) for _ in range(args.runs)]
        warm = [_run_child("warm_open", env, folder) for _ in range(args.runs)]
        assert not any(r["charts_imported_before"] for r in first), "QtCharts imported early"
        chart_python = Path(args.chartvenv) / "bin" / "python"
        imports = {
            "qtcharts_ms": _import_ms(Path(sys.executable), "PySide6.QtCharts", env, args.runs),
            "qtcharts_ms_chartvenv": _import_ms(chart_python, "PySide6.QtCharts", env, args.runs),
            "pyqtgraph_numpy_ms": _import_ms(chart_python, "pyqtgraph", env, args.runs),
        }
        sizes = _bundle_bytes(_site_packages(chart_python) or _site_packages(Path(sys.executable)))

    def med(rows: list[dict], key: str) -> float:
        return round(statistics.median(r[key] for r in rows), 1)

    def worst(rows: list[dict], key: str) -> float:
        return round(max(r[key] for r in rows), 1)

    result = {
        "runs": args.runs,
        "payload_bytes": first[0]["payload_bytes"],
        "indicators": first[0]["indicators"],
        "first_open_ms_median": med(first, "open_ms"),
        "first_open_ms_max": worst(first, "open_ms"),
        "warm_open_ms_median": med(warm, "open_ms"),
        "warm_open_ms_max": worst(warm, "open_ms"),
        "switch_registry_ms_max": worst(warm, "switch_registry_ms"),
        "switch_indicator_ms_median": med(warm, "switch_indicator_ms_median"),
        "switch_indicator_ms_max": worst(warm, "switch_indicator_ms_max"),
        "reload_ms_median": med(warm, "reload_ms"),
        "import_qtcharts_ms": _round(imports["qtcharts_ms"]),
        "import_qtcharts_ms_chartvenv": _round(imports["qtcharts_ms_chartvenv"]),
        "import_pyqtgraph_numpy_ms": _round(imports["pyqtgraph_numpy_ms"]),
        "bundle_qtcharts_mb": _mb(sizes["qtcharts"]),
        "bundle_pyqtgraph_numpy_mb": _mb(sizes["pyqtgraph_numpy"]),
        "target_warm_open_ms": 300,
        "target_first_open_ms": 1000,
    }
    result["ok"] = result["warm_open_ms_max"] < 300 and result["first_open_ms_max"] < 1000
    for key, value in result.items():
        print(f"{key:32} {value}")
    print(json.dumps(result))
    return 0 if result["ok"] else 1


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def _mb(size: int | None) -> float | None:
    return None if size is None else round(size / 1e6, 1)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    sys.exit(main())
