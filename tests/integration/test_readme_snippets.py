"""Every ``sh`` block of the README, pasted into bash against a real ``hatched serve``, twice.

The README is what a newcomer runs first; a snippet that breaks (an undefined variable, a
field that is not there, a step that only works on an empty store) fails here. Blocks run
in order in one shell with ``set -euo pipefail``, the second time on the data the first
left. ``console`` blocks (``make run``) are commands to type, not run here. The server
listens on a free port, so ``localhost:8000`` is rewritten to it; ``hatched`` on ``PATH``
runs this checkout with the server's settings.
"""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from pathlib import Path

from infrastructure.shared.settings import Settings
from tests.integration.processes import ROOT, ServeProcess, hatched_env

SH_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.DOTALL | re.MULTILINE)
EXPECTED_REFUSALS = {"validation_failed", "evolution_not_ready"}
"""The README shows these on purpose: a camelCase field, an evolve asked for too early."""


def readme_script(port: int) -> str:
    blocks = SH_BLOCK.findall((ROOT / "README.md").read_text())
    assert len(blocks) >= 4, "the README's sh blocks were not found"
    body = "\n".join(blocks).replace("localhost:8000", f"127.0.0.1:{port}")
    return "set -euo pipefail\n" + body


def error_codes(output: str) -> set[str]:
    """The error codes of every envelope in the output (curl prints no newline after one)."""
    return set(re.findall(r'\{"error":\{"code":"([a-z_]+)"', output))


def test_every_readme_snippet_runs_twice_against_a_real_server(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "var", secret_key="readme-" + uuid.uuid4().hex)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "hatched"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m interfaces.cli "$@"\n')
    shim.chmod(0o755)
    env = hatched_env(settings)
    env["PATH"] = f"{bin_dir}:{env['PATH']}"
    env["PYTHONPATH"] = str(ROOT)
    work = tmp_path / "work"
    work.mkdir()
    with ServeProcess(settings) as server:
        script = readme_script(server.port)
        for run in (1, 2):
            done = subprocess.run(
                ["bash", "-c", script],
                cwd=work,
                env=env,
                capture_output=True,
                text=True,
                timeout=600,
            )
            shown = f"run {run}:\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
            assert done.returncode == 0, shown
            assert error_codes(done.stdout) <= EXPECTED_REFUSALS, shown
            assert '"accepted":true' in done.stdout, shown


def test_readme_and_docs_point_only_at_what_the_repository_holds() -> None:
    """The design notes the project started from are not shipped; links must resolve."""
    documents = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    outside = re.compile(r"CONTRACT\.md|DESIGN\.md|DESIGN §|seeds/|\.\./shared|reference §")
    broken = []
    for document in documents:
        text = document.read_text()
        broken += [f"{document.name}: {m.group(0)}" for m in outside.finditer(text)]
        for target in re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text):
            if not (document.parent / target).exists():
                broken.append(f"{document.name}: link to {target}")
    assert broken == []
