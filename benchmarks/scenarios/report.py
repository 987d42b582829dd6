"""Results: one record per scenario, written as ``results.json`` and ``RESULTS.md``."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Result:
    name: str
    title: str
    value: float
    unit: str
    load: dict[str, Any] | None = None
    ratios: dict[str, float] = field(default_factory=dict)
    """Ratio of ``value`` to each named baseline measured in the same run."""
    target: str | None = None
    met: bool | None = None
    note: str = ""


def ratio(value: float, baseline: float) -> float:
    return round(value / baseline, 2) if baseline else 0.0


def _cell(load: dict[str, Any] | None, key: str) -> str:
    if not load or load.get(key) is None:
        return "-"
    return f"{load[key]:g}"


def _met(result: Result) -> str:
    if result.met is None:
        return "-"
    return "yes" if result.met else "**no**"


def write_json(
    path: Path,
    run: dict[str, Any],
    machine: dict[str, Any],
    results: list[Result],
    notes: list[str],
) -> None:
    document = {
        "run": run,
        "machine": machine,
        "scenarios": [asdict(r) for r in results],
        "notes": notes,
    }
    path.write_text(json.dumps(document, indent=2) + "\n")


def read_json(path: Path) -> tuple[dict[str, Any], dict[str, Any], list[Result], list[str]]:
    """What ``write_json`` wrote: run, machine, results and the run's notes."""
    document = json.loads(path.read_text())
    results = [Result(**scenario) for scenario in document["scenarios"]]
    return document["run"], document["machine"], results, document.get("notes", [])


def write_markdown(
    path: Path,
    run: dict[str, Any],
    machine: dict[str, Any],
    results: list[Result],
    notes: list[str],
) -> None:
    lines = [
        "# Benchmark results",
        "",
        f"Written by `make bench` (`benchmarks/run.py`) on {run['started_at']}, "
        f"{'a quick smoke run' if run['quick'] else 'a full run'} of {run['duration_s']:.0f} s. "
        "Every number below comes from that one run; ratios compare with baselines measured in "
        "the same run. The raw numbers are in `benchmarks/results.json`.",
        "",
        "## Machine",
        "",
        f"- CPU: {machine['cpu']}, {machine['cores']} cores; {machine['memory_gib']} GiB RAM; "
        f"Linux {machine['kernel']}",
        f"- {machine['postgres']} (shared_buffers {machine['postgres_settings']['shared_buffers']}, "
        f"synchronous_commit {machine['postgres_settings']['synchronous_commit']}, "
        f"fsync {machine['postgres_settings']['fsync']}); {machine['redis']}",
        f"- Python {machine['python']}; "
        + ", ".join(f"{k} {v}" for k, v in machine["packages"].items()),
        f"- Load generator: {machine['wrk']}; baseline: {machine['pgbench']}",
        f"- Load average (1, 5, 15 min) before the run: {run['load_before']}, after: "
        f"{run['load_after']} (the run's own processes count in the figure after it, and "
        "in the one before it whatever ran in the minutes before). Server, projector, "
        f"database, Redis and load generator share the {machine['cores']} cores.",
        "",
        "## Scenarios",
        "",
        "| scenario | result | p50 ms | p95 ms | p99 ms | errors | peak RSS MiB | server CPU (cores) | server CPU ms per event/request | projector CPU ms per event | PostgreSQL CPU ms per event | ratio to baseline | target | met |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for r in results:
        ratios = "; ".join(f"{v:g}x {k}" for k, v in r.ratios.items()) or "-"
        lines.append(
            f"| {r.title} | {r.value:,.1f} {r.unit} | {_cell(r.load, 'p50_ms')} | "
            f"{_cell(r.load, 'p95_ms')} | {_cell(r.load, 'p99_ms')} | {_cell(r.load, 'errors')} | "
            f"{_cell(r.load, 'peak_rss_mib')} | {_cell(r.load, 'server_cpu_share')} | "
            f"{_cell(r.load, 'server_cpu_ms_per_item')} | "
            f"{_cell(r.load, 'projector_cpu_ms_per_item')} | "
            f"{_cell(r.load, 'postgres_cpu_ms_per_item')} | {ratios} | {r.target or '-'} | {_met(r)} |"
        )
    scenario_notes = [f"- **{r.title}**: {r.note}" for r in results if r.note]
    if scenario_notes:
        lines += ["", "## Notes on scenarios", "", *scenario_notes]
    if notes:
        lines += ["", "## Reading the numbers", "", *notes]
    path.write_text("\n".join(lines) + "\n")
