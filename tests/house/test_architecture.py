"""The house's rules (issue 22): modules small enough to read, functions short enough to
follow, and the import rules of `pyproject.toml` kept."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app"
MAX_FILE_LINES = 800
MAX_FUNCTION_LINES = 80
# The rotation planner's search engine is one tight loop over moves: splitting it would
# only scatter its state. Nothing else is exempt.
EXEMPT_FUNCTIONS = {APP / "services" / "rotation" / "search.py"}


def _modules() -> list[Path]:
    return sorted(APP.rglob("*.py"))


def test_no_module_in_app_is_over_800_lines() -> None:
    long = {
        str(p.relative_to(ROOT)): n
        for p in _modules()
        if (n := p.read_text().count("\n")) > MAX_FILE_LINES
    }
    assert long == {}


def test_no_function_in_app_is_over_80_lines() -> None:
    long: dict[str, int] = {}
    for path in _modules():
        if path in EXEMPT_FUNCTIONS:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    long[f"{path.relative_to(ROOT)}:{node.lineno} {node.name}"] = length
    assert long == {}


def test_the_import_contracts_are_kept() -> None:
    linter = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(linter), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert "0 broken" in result.stdout


def test_a_router_importing_another_breaks_a_contract(tmp_path: Path) -> None:
    """The contracts can fail: a copy of the app in which one router imports another is
    refused."""
    import shutil

    copy = tmp_path / "house"
    shutil.copytree(APP, copy / "app", ignore=shutil.ignore_patterns("static", "templates"))
    shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
    board_api = copy / "app" / "routers" / "board" / "api.py"
    board_api.write_text(board_api.read_text() + "\nfrom app.routers.cafe import api as _cafe\n")
    linter = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run(
        [str(linter), "--no-cache"], cwd=copy, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "app.routers.board.api -> app.routers.cafe.api" in result.stdout
