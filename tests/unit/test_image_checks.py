"""Uploaded images: what is refused before we keep or serve it."""

from __future__ import annotations

import struct
import zlib

import pytest

from domain.shared.errors import DomainError
from infrastructure.companions.image_checks import SafeImageInspector

NS = 'xmlns="http://www.w3.org/2000/svg"'
GOOD_SVG = f'<svg {NS} viewBox="0 0 10 10"><defs><linearGradient id="g"><stop offset="0" stop-color="red"/></linearGradient></defs><circle cx="5" cy="5" r="4" fill="url(#g)" style="stroke: url(#g)"/><use href="#g"/></svg>'


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def refusal(content_type: str, data: bytes) -> DomainError:
    with pytest.raises(DomainError) as refused:
        SafeImageInspector().check(content_type, data)
    return refused.value


def test_plain_pictures_pass() -> None:
    SafeImageInspector().check("image/svg+xml", GOOD_SVG.encode())
    SafeImageInspector().check("image/png", png(64, 64))
    raster = (
        f'<svg {NS}><image href="data:image/png;base64,iVBORw0KGgo=" width="1" height="1"/></svg>'
    )
    SafeImageInspector().check("image/svg+xml", raster.encode())


@pytest.mark.parametrize(
    "body",
    [
        f"<svg {NS}><script>alert(1)</script></svg>",
        f'<svg {NS}><foreignObject><div xmlns="http://www.w3.org/1999/xhtml">x</div></foreignObject></svg>',
        f'<svg {NS} onload="alert(1)"/>',
        f'<svg {NS}><rect onclick="alert(1)"/></svg>',
        f'<svg {NS}><a href="javascript:alert(1)"><rect/></a></svg>',
        f'<svg {NS}><image href="https://evil.example/x.png"/></svg>',
        f'<svg {NS} xmlns:xlink="http://www.w3.org/1999/xlink"><use xlink:href="https://evil.example/s.svg#a"/></svg>',
        f'<svg {NS}><image href="data:image/svg+xml;base64,PHN2Zy8+"/></svg>',
        f'<svg {NS}><rect fill="url(https://evil.example/p)"/></svg>',
        f"<svg {NS}><style>@import url(https://evil.example/a.css);</style></svg>",
        f'<svg {NS}><rect style="background: url(//evil.example/t)"/></svg>',
        f'<svg {NS}><set attributeName="href" to="javascript:alert(1)"/></svg>',
        f'<?xml-stylesheet href="https://evil.example/s.css"?><svg {NS}/>',
        f'<!DOCTYPE svg [<!ENTITY x "y">]><svg {NS}>&x;</svg>',
        f'<!DOCTYPE svg SYSTEM "file:///etc/passwd"><svg {NS}/>',
        f'<svg {NS} xmlns:h="http://www.w3.org/1999/xhtml"><h:script>1</h:script></svg>',
    ],
)
def test_scripts_foreign_content_and_outside_references_are_refused(body: str) -> None:
    assert refusal("image/svg+xml", body.encode()).code == "unsafe_svg"


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        ("image/svg+xml", b"<svg"),
        ("image/svg+xml", b"<html><body/></html>"),
        ("image/svg+xml", b"\xff\xfe<svg/>"),
        ("image/svg+xml", b"<svg/>"),  # not in the SVG namespace
        ("image/png", b"GIF89a....."),
        ("image/png", png(0, 10)),
        ("image/png", png(5000, 10)),
    ],
)
def test_files_that_are_not_the_image_they_claim_are_refused(
    content_type: str, data: bytes
) -> None:
    assert refusal(content_type, data).code == "invalid_image"
