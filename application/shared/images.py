"""Taking in an uploaded image: the checks every upload passes before we keep and serve it.

Stage art and item art both come through here, so both accept the same types, the same size
limit and the same safety checks (``ImageInspector``: no script or outside references in an
SVG, a sane PNG); what passes is kept content-addressed and named by its SHA-256.
"""

from __future__ import annotations

from application.shared.ports import AssetStore, ImageInspector
from domain.shared.errors import DomainError

UPLOAD_TYPES = ("image/svg+xml", "image/png")


def too_large(limit: int) -> DomainError:
    return DomainError(
        "payload_too_large", f"an upload may be at most {limit} bytes", {"max_bytes": limit}
    )


def check_upload_type(content_type: str) -> None:
    if content_type not in UPLOAD_TYPES:
        raise DomainError(
            "unsupported_media_type",
            f"upload one of {', '.join(UPLOAD_TYPES)}",
            {"accepted": list(UPLOAD_TYPES)},
        )


class ImageIntake:
    def __init__(self, assets: AssetStore, inspector: ImageInspector, max_bytes: int) -> None:
        self._assets = assets
        self._inspector = inspector
        self.max_bytes = max_bytes

    def keep(self, content_type: str, data: bytes) -> str:
        """Check an upload and keep it; the answer is its asset name (``<sha256>.<ext>``)."""
        check_upload_type(content_type)
        if len(data) > self.max_bytes:
            raise too_large(self.max_bytes)
        if not data:
            raise DomainError("invalid_image", "the upload is empty", {"reason": "empty"})
        self._inspector.check(content_type, data)
        return self._assets.put(data, content_type)
