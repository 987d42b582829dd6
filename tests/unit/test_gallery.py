"""The committed gallery is what the renderer draws today."""

from __future__ import annotations

from pathlib import Path

from infrastructure.companions.renderer.gallery import pictures, write

GALLERY = Path(__file__).resolve().parents[2] / "docs" / "gallery"


def test_the_committed_gallery_matches_the_renderer() -> None:
    drawn = pictures()
    assert len(drawn) == 12
    stale = [name for name, svg in drawn.items() if (GALLERY / name).read_text("utf-8") != svg]
    assert stale == [], (
        "run: python -m infrastructure.companions.renderer.gallery docs/gallery --png"
    )


def test_the_gallery_writes_its_svgs(tmp_path: Path) -> None:
    written = write(tmp_path / "g", png=False)
    assert sorted(p.name for p in written) == sorted(pictures())
