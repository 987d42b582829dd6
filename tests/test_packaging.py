"""``make run`` installs what serving needs; ``make test`` adds the test tools."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TEST_TOOLS = {"pytest", "playwright", "mypy", "hypothesis", "ruff", "import-linter"}


def dry_run(target: str) -> str:
    """What ``make TARGET`` would run on a fresh checkout (``-B``: as if nothing were built)."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    result = subprocess.run(
        ["make", "-n", "-B", target], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return result.stdout


def test_make_run_installs_only_the_runtime_dependencies() -> None:
    installs = [line for line in dry_run("run").splitlines() if "pip install" in line]
    assert any(line.rstrip().endswith("-e .") for line in installs), installs
    assert not any("[test]" in line for line in installs), installs


def test_make_test_installs_the_test_tools() -> None:
    assert "-e '.[test]'" in dry_run("test")


def test_no_test_tool_is_a_runtime_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = {d.split("[")[0].split(">")[0].split("=")[0].strip() for d in project["dependencies"]}
    assert runtime.isdisjoint(TEST_TOOLS)
    extras = {
        d.split("[")[0].split(">")[0].split("=")[0].strip()
        for d in project["optional-dependencies"]["test"]
    }
    assert extras >= TEST_TOOLS
