"""A tiny SVG writer whose output is a pure function of its input.

Numbers are written by ``num`` only (at most two decimals, no exponent, no ``-0``),
attributes in the order the caller gives them, text escaped. Nothing here reads a clock,
a random source or a hash seed, so the same drawing always gives the same bytes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from xml.sax.saxutils import escape

Attr = str | int | float | None
_ATTRIBUTE_ESCAPES = str.maketrans(
    {
        "&": "&amp;",
        "<": "&lt;",
        ">": "&gt;",
        '"': "&quot;",
        "\n": "&#10;",
        "\r": "&#13;",
        "\t": "&#9;",
    }
)


def num(value: float) -> str:
    """``3`` → ``3``, ``2.50`` → ``2.5``, ``-0.001`` → ``0``."""
    if isinstance(value, int):
        return str(value)
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def tag(name: str, attrs: Mapping[str, Attr] | None = None, *children: str) -> str:
    """One element; ``None`` attributes are left out, numbers go through ``num``."""
    parts = [name]
    for key, value in (attrs or {}).items():
        if value is None:
            continue
        if isinstance(value, int | float):
            parts.append(f'{key}="{num(value)}"')
        else:
            clean = _NOT_XML.sub("\ufffd", value)
            parts.append(f'{key}="{clean.translate(_ATTRIBUTE_ESCAPES)}"')
    opening = " ".join(parts)
    if not children:
        return f"<{opening}/>"
    return f"<{opening}>{''.join(children)}</{name}>"


def group(attrs: Mapping[str, Attr] | None, children: Iterable[str]) -> str:
    body = list(children)
    return tag("g", attrs, *body) if body else ""


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
"""Characters XML 1.0 cannot hold at all, escaped or not (a name may carry them)."""


def text(value: str) -> str:
    return escape(_NOT_XML.sub("\ufffd", value))


def points(*coords: float) -> str:
    """``points="x1,y1 x2,y2 ..."`` for polygons and polylines."""
    pairs = zip(coords[0::2], coords[1::2], strict=True)
    return " ".join(f"{num(x)},{num(y)}" for x, y in pairs)


class Path:
    """Path data built command by command: ``Path().move(0, 0).line(10, 0).close()``."""

    def __init__(self) -> None:
        self._parts: list[str] = []

    def _add(self, command: str, *values: float) -> Path:
        self._parts.append(command + " ".join(num(v) for v in values))
        return self

    def move(self, x: float, y: float) -> Path:
        return self._add("M", x, y)

    def line(self, x: float, y: float) -> Path:
        return self._add("L", x, y)

    def quad(self, cx: float, cy: float, x: float, y: float) -> Path:
        return self._add("Q", cx, cy, x, y)

    def curve(self, c1x: float, c1y: float, c2x: float, c2y: float, x: float, y: float) -> Path:
        return self._add("C", c1x, c1y, c2x, c2y, x, y)

    def arc(
        self, rx: float, ry: float, x: float, y: float, *, large: bool = False, sweep: bool = True
    ) -> Path:
        return self._add("A", rx, ry, 0, int(large), int(sweep), x, y)

    def close(self) -> Path:
        self._parts.append("Z")
        return self

    def __str__(self) -> str:
        return " ".join(self._parts)


def rotate(angle: float, x: float, y: float) -> str:
    return f"rotate({num(angle)} {num(x)} {num(y)})"
