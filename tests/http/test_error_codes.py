"""No error code reaches a client unless decision 0001's table documents it (decision 0029).

Three sources must agree with the table: the code → status map the error envelope is built
from (``STATUS_BY_CODE``), every code the code base raises (read from its syntax tree, so a
new ``DomainError("…")`` is checked before any request makes it), and every code a route of
``/api/v1/openapi.json`` declares. A code that slipped past all three is still not sent: the
envelope answers it as ``500 internal_error``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar, get
from litestar.testing import TestClient

from domain.shared.errors import UNAUTHORIZED_REASONS, DomainError, Unauthorized
from domain.shared.text_patterns import TEXT_PATTERNS
from interfaces.http.errors import _CODE_BY_STATUS, EXCEPTION_HANDLERS, STATUS_BY_CODE
from interfaces.http.routing import UNAUTHORIZED_NOTE

ROOT = Path(__file__).resolve().parents[2]
LAYERS = ("domain", "application", "projections", "infrastructure", "interfaces")
DECISION = ROOT / "docs" / "decisions" / "0001-http-conventions.md"
ROW = re.compile(r"^\| `(?P<code>[a-z_]+)` \| (?P<status>\d{3}) \|", re.MULTILINE)
REASON_ROW = re.compile(r"^\| `(?P<reason>[a-z_]+)` \| (?!\d)", re.MULTILINE)


def documented() -> dict[str, int]:
    text = DECISION.read_text().split("## Error codes", 1)[1]
    codes = text.split("### Why a 401", 1)[0]
    return {m["code"]: int(m["status"]) for m in ROW.finditer(codes)}


def documented_reasons() -> list[str]:
    text = DECISION.read_text().split("### Why a 401", 1)[1]
    return [m["reason"] for m in REASON_ROW.finditer(text)]


def sources() -> Iterator[tuple[str, ast.Module]]:
    for layer in LAYERS:
        for path in sorted((ROOT / layer).rglob("*.py")):
            yield str(path.relative_to(ROOT)), ast.parse(path.read_text())


def error_classes() -> set[str]:
    """``DomainError`` and every class the code base derives from it (by name)."""
    found = {"DomainError"}
    bases: dict[str, set[str]] = {}
    for _, tree in sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = {ast.unparse(b).rsplit(".", 1)[-1] for b in node.bases}
    while True:
        more = {name for name, parents in bases.items() if parents & found} - found
        if not more:
            return found
        found |= more


def raised() -> Iterator[tuple[str, str, ast.Call]]:
    """Every call that builds an error envelope's code: ``(where, callee, call)``. A subclass
    that fixes its code (``NotFound``: ``super().__init__("resource_not_found", …)``) is
    checked there, and its own calls are not (their first argument is not a code), except
    ``Unauthorized``'s, whose first argument is the reason."""
    classes, fixed = error_classes(), set()
    for where, tree in sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name in classes - {"DomainError"}:
                for call in ast.walk(node):
                    if isinstance(call, ast.Call) and ast.unparse(call.func) == "super().__init__":
                        fixed.add(node.name)
                        yield f"{where}:{call.lineno}", "DomainError", call
    for where, tree in sources():
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call):
                continue
            name = ast.unparse(call.func).rsplit(".", 1)[-1]
            if name == "Unauthorized" or (name in classes - fixed) or name == "error_response":
                yield f"{where}:{call.lineno}", name, call


def code_argument(callee: str, call: ast.Call) -> ast.expr | None:
    args = call.args[1:] if callee == "error_response" else call.args
    keyword = {k.arg: k.value for k in call.keywords}
    return args[0] if args else keyword.get("code")


def test_the_status_map_is_the_documented_table() -> None:
    table = documented()
    assert len(table) >= 30
    assert table == STATUS_BY_CODE


def test_every_code_raised_anywhere_is_documented() -> None:
    table = documented()
    undocumented, opaque, reasons = [], [], []
    calls = list(raised())
    assert len(calls) > 120  # the scan sees the code base's refusals
    for where, callee, call in calls:
        argument = code_argument(callee, call)
        if callee == "Unauthorized":
            if isinstance(argument, ast.Constant) and argument.value not in UNAUTHORIZED_REASONS:
                reasons.append((where, argument.value))
            continue
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            if argument.value not in table:
                undocumented.append((where, argument.value))
        elif argument is not None and not (
            isinstance(argument, ast.Attribute) and argument.attr == "code"  # a re-raise
        ):
            opaque.append((where.rsplit(":", 1)[0], ast.unparse(argument)))
    assert undocumented == []
    # Litestar's own HTTP errors: their status picks the code from this map
    assert opaque.count(("interfaces/http/errors.py", "code")) == 1
    assert set(_CODE_BY_STATUS.values()) <= set(table)
    opaque.remove(("interfaces/http/errors.py", "code"))
    assert opaque == []  # a code computed some other way cannot be checked here
    assert reasons == []


def test_a_401_is_always_built_with_its_reason() -> None:
    """``unauthorized`` is raised through ``Unauthorized`` only, which requires a reason."""
    direct = [
        where
        for where, callee, call in raised()
        if callee != "Unauthorized"
        and isinstance(code := code_argument(callee, call), ast.Constant)
        and code.value == "unauthorized"
        and not where.startswith("domain/shared/errors.py")
    ]
    assert direct == []
    assert documented_reasons() == list(UNAUTHORIZED_REASONS)
    with pytest.raises(ValueError):
        Unauthorized("because", "an undocumented reason is a bug")


def declared_codes(document: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for status, response in operation.get("responses", {}).items():
                if status[0] in "45":
                    listed = response["description"].split(";", 1)[0]
                    for code in re.findall(r"`([a-z_]+)`", listed):
                        yield f"{method.upper()} {path} {status}", code


def test_every_code_a_route_declares_is_documented(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    table = documented()
    declared = list(declared_codes(document))
    assert len(declared) > 500
    assert [(where, code) for where, code in declared if code not in table] == []
    wrong_status = [
        (where, code) for where, code in declared if where.rsplit(" ", 1)[1] != str(table[code])
    ]
    assert wrong_status == []
    assert UNAUTHORIZED_NOTE.endswith(", ".join(f"`{r}`" for r in UNAUTHORIZED_REASONS))


def test_an_undocumented_code_is_never_sent() -> None:
    @get("/boom", sync_to_thread=False)
    def boom() -> None:
        raise DomainError("made_up_code", "a message about internals", {"secret": "x"})

    with TestClient(Litestar([boom], exception_handlers=EXCEPTION_HANDLERS)) as client:  # type: ignore[arg-type]
        response = client.get("/boom")
    assert response.status_code == 500
    error = response.json()["error"]
    assert error["code"] == "internal_error"
    assert "details" not in error and "internals" not in error["message"]


def test_every_constrained_text_is_described_in_words() -> None:
    """Each ``Meta(pattern=…)`` of a request names a ``TextPattern``'s regex, so its refusal
    is a sentence (``body.py``), never the regex."""
    literal = [
        f"{where}:{call.lineno}"
        for where, tree in sources()
        for call in ast.walk(tree)
        if isinstance(call, ast.Call) and ast.unparse(call.func).endswith("Meta")
        for keyword in call.keywords
        if keyword.arg == "pattern"
        and not (isinstance(keyword.value, ast.Attribute) and keyword.value.attr == "regex")
    ]
    assert literal == []
    assert len({p.regex for p in TEXT_PATTERNS}) == len(TEXT_PATTERNS)
