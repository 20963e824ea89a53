"""The layering rules, checked: import-linter contracts, and a start-up path free of torch."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_import_linter_contracts_hold(tmp_path):
    # the four folders install as ownvoice.* through a package-dir mapping; import-linter reads files
    # on disk, so lay them out as that package in a temp folder and lint the copy
    pkg = tmp_path / "ownvoice"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    for name in ("assistant", "ui", "adapters", "store"):
        shutil.copytree(REPO / name, pkg / name, ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "lint-imports"),
            "--config",
            str(REPO / "pyproject.toml"),
            "--no-cache",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Contracts: 4 kept, 0 broken" in proc.stdout
    assert "ui never reads or writes the store" in proc.stdout


def test_cli_start_up_imports_no_ml_stack():
    code = (
        "import sys; import ownvoice.assistant.cli as c; c.build_parser(); import ownvoice.assistant.app; "
        "bad = [m for m in ('torch', 'transformers', 'peft', 'sentence_transformers', 'PySide6') if m in "
        "sys.modules]; "
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_ruff_lint_and_format_are_clean():
    """The configured linter and formatter (pyproject [tool.ruff]) find nothing to change."""
    import subprocess
    import sys

    targets = ["assistant", "ui", "adapters", "store", "tests", "packaging"]
    lint = subprocess.run(
        [sys.executable, "-m", "ruff", "check", *targets], cwd=REPO, capture_output=True, text=True
    )
    assert lint.returncode == 0, lint.stdout[-3000:]
    fmt = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", *targets],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert fmt.returncode == 0, fmt.stdout[-3000:]
