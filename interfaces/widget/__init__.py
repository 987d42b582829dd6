"""The embeddable widget: the loader script and the demo page, shipped inside the package.

``widget.js`` is served as ``/widget.js`` (revalidated every 5 minutes) and as
``/v/<WIDGET_VERSION>/widget.js`` (immutable), with the version written into it.
"""

from __future__ import annotations

import hashlib
import html
from functools import cache
from importlib.resources import files

WIDGET_VERSION = "1.0.0"
VERSION_MARK = "__HATCHED_WIDGET_VERSION__"
SNIPPET_MOUNTS = ("buddy", "badges", "tokens")


def _asset(name: str) -> str:
    return files(__package__).joinpath(name).read_text(encoding="utf-8")


@cache
def loader() -> bytes:
    return _asset("widget.js").replace(VERSION_MARK, WIDGET_VERSION).encode()


@cache
def loader_etag() -> str:
    return '"' + hashlib.sha256(loader()).hexdigest()[:32] + '"'


@cache
def demo_template() -> str:
    return _asset("demo.html")


def snippet(script_src: str, token_attribute: str, token: str) -> str:
    """The four lines a customer pastes: the loader, then one mount per line."""
    script = (
        f'<script src="{html.escape(script_src)}" '
        f'{token_attribute}="{html.escape(token)}" data-theme="light" defer></script>'
    )
    mounts = [f'<div data-hatched-mount="{name}"></div>' for name in SNIPPET_MOUNTS]
    return "\n".join([script, *mounts])
