"""``/api/v1/openapi.json`` documents every body, every error status and who may call.

An SDK and contract tests are generated from this document: an operation without a typed
success body, without its error responses, with an error in another shape than the one
envelope, or without a security requirement is unfinished.
"""

from __future__ import annotations

from typing import Any

import pytest
from litestar.testing import TestClient

ENVELOPE = {"$ref": "#/components/schemas/ErrorEnvelope"}
METHODS = {"get", "post", "put", "patch", "delete"}
SCHEMES = {"secretKey", "dashboardToken", "publishableKey", "widgetToken", "adminToken"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    import pathlib
    import tempfile

    from infrastructure.shared.settings import Settings
    from interfaces.container import build_container
    from interfaces.http.app import create_app

    container = build_container(
        Settings(data_dir=pathlib.Path(tempfile.mkdtemp()), secret_key="openapi-" + "x" * 32)
    )
    try:
        with TestClient(create_app(container)) as client:
            response = client.get("/api/v1/openapi.json")
            assert response.status_code == 200
            return dict(response.json())
    finally:
        container.close()


def operations(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    found = [
        (f"{method.upper()} {path}", operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]
    assert len(found) > 100
    return found


def problems_of(operation: dict[str, Any], components: dict[str, Any]) -> list[str]:
    problems = []
    responses = operation.get("responses", {})
    successes = {status: r for status, r in responses.items() if status.startswith("2")}
    if not successes:
        problems.append("no success response")
    for status, response in successes.items():
        if status == "204":
            continue
        content = response.get("content") or {}
        schemas = [media.get("schema") for media in content.values()]
        if not schemas or any(untyped(schema, components) for schema in schemas):
            problems.append(f"{status} has no typed schema")
    errors = {status: r for status, r in responses.items() if status[0] in "45"}
    if not errors:
        problems.append("lists no error responses")
    for status, response in errors.items():
        schema = (response.get("content") or {}).get("application/json", {}).get("schema")
        if schema != ENVELOPE:
            problems.append(f"{status} is not the error envelope")
        if "`" not in response.get("description", ""):
            problems.append(f"{status} names no error code")
    security = operation.get("security")
    if security is None:
        problems.append("no security requirement (or explicit public [{}])")
    elif security != [{}] and not all(set(r) <= SCHEMES and r for r in security):
        problems.append(f"unknown security requirement {security}")
    return problems


def untyped(schema: dict[str, Any] | None, components: dict[str, Any]) -> bool:
    if not schema:
        return True
    if "$ref" in schema:
        return untyped(components[schema["$ref"].rsplit("/", 1)[1]], components)
    return bool(schema.get("type") == "object" and not schema.get("properties"))


def test_every_operation_is_typed_documented_and_secured(document: dict[str, Any]) -> None:
    components = document["components"]["schemas"]
    unfinished = {
        name: problems
        for name, operation in operations(document)
        if (problems := problems_of(operation, components))
    }
    assert unfinished == {}


def test_the_envelope_and_the_credential_kinds_are_components(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    assert schemas["ErrorEnvelope"]["required"] == ["error"]
    assert set(schemas["ErrorBody"]["required"]) == {"code", "message", "requestId"}
    assert set(document["components"]["securitySchemes"]) == SCHEMES


@pytest.mark.parametrize(
    ("route", "parameter", "body", "item", "view"),
    [
        ("coin-rules", "rule_id", "CoinRuleBody", "CoinRule", "CoinRuleView"),
        ("skill-rules", "rule_id", "SkillRuleBody", "SkillRule", "SkillRuleView"),
        ("badge-definitions", "badge_key", "BadgeBody", "Badge", "BadgeView"),
        (
            "streak-definitions",
            "streak_key",
            "StreakDefinitionBody",
            "StreakDefinition",
            "StreakDefinitionView",
        ),
    ],
)
def test_each_rule_section_documents_its_own_structs(
    document: dict[str, Any], route: str, parameter: str, body: str, item: str, view: str
) -> None:
    """One generic controller serves the three sections; the document still tells them apart."""

    def schema(operation: dict[str, Any], status: str) -> str:
        ref = operation["responses"][status]["content"]["application/json"]["schema"]["$ref"]
        return str(ref.rsplit("/", 1)[1])

    def request(operation: dict[str, Any]) -> str:
        ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        return str(ref.rsplit("/", 1)[1])

    listed = document["paths"][f"/api/v1/{route}"]
    one = document["paths"][f"/api/v1/{route}/{{{parameter}}}"]
    assert request(listed["post"]) == request(one["put"]) == body
    assert schema(listed["post"], "201") == view
    assert {schema(one[method], "200") for method in ("get", "put", "delete")} == {view}
    items = document["components"]["schemas"][schema(listed["get"], "200")]["properties"]["data"]
    assert items["items"]["$ref"].rsplit("/", 1)[1] == item
    for method in ("get", "put", "delete"):
        assert [p["name"] for p in one[method]["parameters"] if p["in"] == "path"] == [parameter]


def test_every_widget_operation_documents_the_widget_tokens_refusals(
    document: dict[str, Any],
) -> None:
    """An expired token and a revoked session are the widget credential's own refusals:
    declared once on ``Access.WIDGET``, they reach every widget operation, as ``unauthorized``
    with the reason named (decision 0029)."""
    widget_ops = [
        (name, op)
        for name, op in operations(document)
        if op.get("security") == [{"widgetToken": []}]
    ]
    assert len(widget_ops) >= 10
    missing = [
        name
        for name, op in widget_ops
        if not all(
            code in op["responses"]["401"]["description"]
            for code in ("`unauthorized`", "`details.reason`", "`expired`", "`revoked`")
        )
    ]
    assert missing == []


def _shapes() -> list[type[Any]]:
    from domain.configs.shapes import Shape

    found: list[type[Any]] = []
    pending = list(Shape.__subclasses__())
    while pending:
        shape = pending.pop()
        found.append(shape)
        pending.extend(shape.__subclasses__())
    return found


def _arms(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The schema itself, or the non-null arms of a ``oneOf``."""
    arms = schema.get("oneOf", [schema])
    return [arm for arm in arms if arm.get("type") != "null"]


def test_rulebook_shapes_document_the_constraints_the_domain_checks(
    document: dict[str, Any],
) -> None:
    """A field the domain checks with ``Chars``, ``Between`` or ``Entries`` says so in the
    document (``pattern``/``maxLength``, ``minimum``/``maximum``, ``maxItems``), so a
    generated client refuses what the server would refuse."""
    import typing

    from domain.configs.shapes import Between, Chars, Entries, plan

    schemas = document["components"]["schemas"]
    checked = 0
    for shape in _shapes():
        component = schemas.get(shape.__name__)
        if component is None:
            continue
        hints = typing.get_type_hints(shape, include_extras=True)
        for field in plan(shape):
            marker = field.marker
            if marker is None or field.name not in component["properties"]:
                continue
            arms = _arms(component["properties"][field.name])
            where = f"{shape.__name__}.{field.name} ({hints[field.name]})"
            if isinstance(marker, Chars):
                assert any(a.get("maxLength") == marker.max_length for a in arms), where
                if marker.pattern is not None:
                    assert any(a.get("pattern") == marker.pattern.regex for a in arms), where
            elif isinstance(marker, Between):
                assert any(
                    a.get("minimum") == marker.minimum and a.get("maximum") == marker.maximum
                    for a in arms
                ), where
            elif isinstance(marker, Entries):
                assert any(a.get("maxItems") == marker.limit for a in arms), where
            checked += 1
    assert checked > 40
