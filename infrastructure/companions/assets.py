"""Content-addressed asset files under the data dir: ``$HATCHED_DATA_DIR/assets/<sha256>.<ext>``.

A name is the SHA-256 of the bytes, so a file never changes once written (the HTTP route can
cache it forever), writing the same picture twice is a no-op, and two processes racing to
write it produce the same file. Writes go to a temporary file first and are renamed into
place, so a reader never sees half a file. Names are checked against one pattern before any
path is built, so nothing outside the folder can be named.

Every process that renders or serves must see the same folder (one machine, or a shared
volume); see ``docs/decisions``.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

EXTENSIONS: dict[str, str] = {"image/svg+xml": "svg", "image/png": "png"}
CONTENT_TYPES: dict[str, str] = {ext: ctype for ctype, ext in EXTENSIONS.items()}
NAME = re.compile(r"^(?P<digest>[0-9a-f]{64})\.(?P<ext>svg|png)$")


def content_type_of(name: str) -> str | None:
    match = NAME.fullmatch(name)
    return CONTENT_TYPES[match.group("ext")] if match else None


class FileAssetStore:
    def __init__(self, root: Path) -> None:
        self._root = root

    def put(self, data: bytes, content_type: str) -> str:
        name = f"{hashlib.sha256(data).hexdigest()}.{EXTENSIONS[content_type]}"
        path = self._root / name
        if path.exists():
            return name
        self._root.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self._root, prefix=".incoming-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data)
            os.chmod(temporary, 0o644)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return name

    def get(self, name: str) -> bytes | None:
        if not NAME.fullmatch(name):
            return None
        try:
            return (self._root / name).read_bytes()
        except FileNotFoundError:
            return None

    def exists(self, name: str) -> bool:
        return bool(NAME.fullmatch(name)) and (self._root / name).is_file()
