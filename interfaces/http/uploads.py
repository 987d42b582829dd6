"""Reading an uploaded file from a raw-body route (``opt={"raw_body": True}``), within a limit.

A declared ``Content-Length`` past the limit is refused before anything is read; otherwise
the body is read as it streams and refused as soon as it passes the limit, so an oversized
upload never sits in memory whole. The checks on the bytes themselves are the application's
(``application/shared/images.py``).
"""

from __future__ import annotations

from typing import Any

from litestar import Request

from application.shared.images import too_large


def media_type(request: Request[Any, Any, Any]) -> str:
    return request.headers.get("content-type", "").partition(";")[0].strip().lower()


async def read_limited(request: Request[Any, Any, Any], limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise too_large(limit)
    chunks: list[bytes] = []
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)
