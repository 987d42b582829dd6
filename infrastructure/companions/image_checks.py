"""Checks on uploaded images before we keep and serve them.

SVG is a document format that can run script and fetch other resources, so an uploaded SVG
is *refused* (not rewritten) unless it is plainly a picture: no DOCTYPE or entities (no
entity expansion, no external entities), no processing instructions, only drawing elements
(``script``, ``foreignObject``, ``iframe``, animation elements and the like are refused),
no ``on*`` event attributes, and no reference leaving the document — ``href`` only to
``#fragment`` or an embedded raster ``data:image/(png|jpeg|gif|webp)`` URI, ``url(...)``
only to ``#fragment``, no ``@import``, no ``javascript:``. PNG must have a valid signature
and header with sane dimensions.
"""

from __future__ import annotations

import re
import struct
from xml.etree import ElementTree

from domain.shared.errors import DomainError

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
ALLOWED_NAMESPACES = (f"{{{XLINK_NS}}}", "{http://www.w3.org/XML/1998/namespace}")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_PIXELS_SIDE = 4096

ALLOWED_ELEMENTS = frozenset(
    {
        "svg", "g", "defs", "symbol", "use", "title", "desc", "metadata",
        "path", "rect", "circle", "ellipse", "line", "polyline", "polygon",
        "text", "tspan", "textPath",
        "linearGradient", "radialGradient", "stop", "pattern", "clipPath", "mask", "marker",
        "image", "style",
        "filter", "feBlend", "feColorMatrix", "feComponentTransfer", "feComposite",
        "feDropShadow", "feFlood", "feFuncA", "feFuncB", "feFuncG", "feFuncR",
        "feGaussianBlur", "feMerge", "feMergeNode", "feMorphology", "feOffset", "feTurbulence",
        "feDisplacementMap", "feTile", "feSpotLight", "feDistantLight", "fePointLight",
        "feDiffuseLighting", "feSpecularLighting", "feConvolveMatrix",
    }
)  # fmt: skip
RASTER_DATA_URI = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,[A-Za-z0-9+/=\s]*$")
URL_REFERENCE = re.compile(r"url\(\s*(['\"]?)(?P<target>[^)'\"]*)\1\s*\)", re.IGNORECASE)


def unsafe(reason: str, **details: str) -> DomainError:
    return DomainError(
        "unsafe_svg", f"the SVG was refused: {reason}", {"reason": reason, **details}
    )


def invalid(reason: str) -> DomainError:
    return DomainError("invalid_image", f"not a usable image: {reason}", {"reason": reason})


class SafeImageInspector:
    def check(self, content_type: str, data: bytes) -> None:
        if content_type == "image/png":
            check_png(data)
        elif content_type == "image/svg+xml":
            check_svg(data)
        else:
            raise invalid(f"{content_type} is not accepted")


def check_png(data: bytes) -> None:
    if not data.startswith(PNG_SIGNATURE) or len(data) < 33 or data[12:16] != b"IHDR":
        raise invalid("not a PNG file")
    width, height = struct.unpack(">II", data[16:24])
    if not (0 < width <= MAX_PIXELS_SIDE and 0 < height <= MAX_PIXELS_SIDE):
        raise invalid(f"a PNG must be 1 to {MAX_PIXELS_SIDE} pixels on each side")


def check_svg(data: bytes) -> None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise invalid("an SVG must be UTF-8 text") from None
    lowered = text.lower()
    if "<!doctype" in lowered or "<!entity" in lowered:
        raise unsafe("DOCTYPE and entity declarations are not allowed")
    if re.search(r"<\?(?!xml\s)", text):
        raise unsafe("processing instructions are not allowed")
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError as error:
        raise invalid(f"the SVG is not well-formed XML ({error})") from None
    if root.tag != f"{{{SVG_NS}}}svg":
        raise invalid("the root element must be <svg> in the SVG namespace")
    for element in root.iter():
        _check_element(element)


def _local(name: str, namespace: str = SVG_NS) -> str | None:
    prefix = f"{{{namespace}}}"
    return name[len(prefix) :] if name.startswith(prefix) else None


def _check_element(element: ElementTree.Element) -> None:
    name = _local(element.tag) if isinstance(element.tag, str) else None
    if name is None or name not in ALLOWED_ELEMENTS:
        raise unsafe(f"element <{_plain(element.tag)}> is not allowed", element=_plain(element.tag))
    for attribute, value in element.attrib.items():
        local = _plain(attribute)
        if local.lower().startswith("on"):
            raise unsafe(f"event attribute {local} is not allowed", attribute=local)
        if local == "href" and attribute in ("href", f"{{{XLINK_NS}}}href"):
            _check_href(name, value.strip())
        elif attribute.startswith("{") and not attribute.startswith(ALLOWED_NAMESPACES):
            raise unsafe(f"attribute {attribute} is not allowed", attribute=local)
        _check_css(value, local)
    if name == "style":
        _check_css(element.text or "", "style")


def _check_href(element: str, value: str) -> None:
    if value.startswith("#"):
        return
    if element == "image" and RASTER_DATA_URI.fullmatch(value):
        return
    raise unsafe("references outside the document are not allowed", attribute="href")


def _check_css(value: str, where: str) -> None:
    lowered = value.lower()
    if "javascript:" in lowered or "@import" in lowered or "expression(" in lowered:
        raise unsafe(f"{where} holds script or an import", attribute=where)
    for match in URL_REFERENCE.finditer(value):
        if not match.group("target").strip().startswith("#"):
            raise unsafe("url() may only point inside the document", attribute=where)


def _plain(name: str) -> str:
    return name.rsplit("}", 1)[-1]
