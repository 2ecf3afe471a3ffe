"""The import layers of ARCHITECTURE.md hold, and import-linter catches an upward import."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")


def lint(src: Path) -> subprocess.CompletedProcess[str]:
    """lint-imports with the project's contract, on the package found under ``src``."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(LINT), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        capture_output=True,
        text=True,
        env=env,
        cwd=src,
        check=False,
    )


def test_an_upward_import_breaks_the_layers_contract(tmp_path: Path) -> None:
    """A copy of the package passes; the same copy with travel importing the report (an
    upper layer) fails, naming the offending import."""
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "accessplan", src / "accessplan")
    clean = lint(src)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    matrix = src / "accessplan" / "travel" / "matrix.py"
    matrix.write_text(matrix.read_text() + "\nimport accessplan.report.maps  # noqa\n")
    broken = lint(src)
    assert broken.returncode != 0
    assert "accessplan.travel.matrix -> accessplan.report.maps" in broken.stdout
