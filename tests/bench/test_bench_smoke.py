"""The bench keeps working: ``bench.py --quick`` and a small ``--scale`` run complete and print
every figure. Only that: timing never decides whether a test passes (DESIGN section 6), so no
figure's value is checked, only that it was measured.

The bench starts its own Kafka, services and PostgreSQL, as ``./dev bench`` does; about two
minutes on an idle machine.
"""

import importlib
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BENCH = Path(__file__).with_name("bench.py")

pytestmark = pytest.mark.e2e


def _run(tmp_path: Path, *args: str) -> tuple[str, dict[str, Any]]:
    out = tmp_path / "figures.json"
    result = subprocess.run(
        [sys.executable, str(BENCH), *args, "--json", str(out)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, f"the bench failed:\n{result.stderr[-4000:]}"
    figures: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))["figures"]
    return result.stdout, figures


def _bench(name: str) -> Any:
    """A module of the bench folder (bench, scale): scripts, not a package."""
    sys.path.insert(0, str(BENCH.parent))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(BENCH.parent))


def test_quick_bench_measures_and_prints_every_figure(tmp_path: Path) -> None:
    stdout, figures = _run(tmp_path, "--quick")
    for key in _bench("bench").FIGURE_KEYS:  # the bench's own list of stable keys
        assert figures[key]["value"] is not None, f"{key} was not measured"
        assert key in stdout, f"{key} is not printed"
        if figures[key]["target"]:
            assert figures[key]["met"] in (True, False)
    # the HTTP figures carry their targets beside them
    assert ">= 1,000 req/s" in stdout and ">= 300 req/s" in stdout and ">= 0.9x" in stdout


def test_scale_bench_runs_on_sqlite_and_postgresql(tmp_path: Path) -> None:
    stdout, figures = _run(tmp_path, "--scale", "300", "--quick", "--scale-repeats", "3")
    for db in ("sqlite", "postgresql"):
        keys = [f"scale_{db}_300_{op}_p99_ms" for op in _bench("scale").OPERATIONS]
        keys += [f"statistics_{db}_300_{op}_p99_ms" for op in _bench("statistics_scale").OPERATIONS]
        for key in keys:
            assert figures[key]["value"] is not None, f"{key} was not measured"
            assert figures[key]["valid"], f"{key}: requests failed"
            assert key in stdout
