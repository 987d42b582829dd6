"""The gallery in ``docs/gallery``: one buddy through its five stages, and a few variations.

    python -m infrastructure.companions.renderer.gallery docs/gallery          # the SVGs
    python -m infrastructure.companions.renderer.gallery docs/gallery --png    # and PNGs (headless Chromium)

The SVGs are exactly what the API serves for these portraits; a test checks that the
committed files still match the renderer.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

from domain.companions.appearance import CREATURE_STYLES, Portrait, item_layers
from domain.configs.presets import preset_document
from infrastructure.companions.renderer.compose import egg_picture, portrait_pictures

BUDDY = "0ddc11d67e7b5a3f9ebcc58606307ed5"
EGG_VARIANT = 5
OUTFIT = ("library_background", "scholar_scarf", "reading_glasses", "graduation_cap", "quill")
PNG_SIZE = 256


def pictures() -> dict[str, str]:
    """File name → SVG text, for every picture of the gallery."""

    def portrait(stage: int, style: str = "cute", items: tuple[str, ...] = ()) -> Portrait:
        catalog = {
            item["item_id"]: (item["name"], item["category"])
            for item in preset_document("language-learning")["items"]
        }
        return Portrait(
            seed=BUDDY,
            stage=stage,
            style=style,  # type: ignore[arg-type]
            theme="light",
            egg_variant=EGG_VARIANT,
            items=item_layers(items, catalog),
        )

    files = {"egg.svg": egg_picture(EGG_VARIANT, "cute")}
    for stage in range(1, 6):
        files[f"stage-{stage}.svg"] = portrait_pictures(portrait(stage)).base_image
    for style in CREATURE_STYLES:
        files[f"adult-{style}.svg"] = portrait_pictures(portrait(4, style)).base_image
    dressed = portrait_pictures(portrait(5, items=OUTFIT))
    files["elder-outfit.svg"] = dressed.image
    files["elder-outfit-thumb.svg"] = dressed.thumb
    return files


def write(folder: Path, png: bool) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, svg in pictures().items():
        path = folder / name
        path.write_text(svg, encoding="utf-8")
        written.append(path)
        if png:
            written.append(screenshot(path))
    return written


def screenshot(svg: Path) -> Path:
    """A PNG of ``svg`` drawn by headless Chromium (``apt-get install chromium``)."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        raise SystemExit("headless Chromium is needed for --png")
    target = svg.with_suffix(".png")
    with tempfile.TemporaryDirectory() as scratch:
        page = Path(scratch) / "page.html"
        page.write_text(
            f"<html><body style='margin:0'><img src='{svg.resolve().as_uri()}' "
            f"width='{PNG_SIZE}' height='{PNG_SIZE}'></body></html>"
        )
        subprocess.run(
            [
                browser,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                "--default-background-color=00000000",
                f"--user-data-dir={scratch}/profile",
                f"--window-size={PNG_SIZE},{PNG_SIZE}",
                f"--screenshot={target}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=120,
        )
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--png", action="store_true", help="also draw PNGs with headless Chromium")
    options = parser.parse_args()
    for path in write(options.folder, options.png):
        print(path)


if __name__ == "__main__":
    main()
