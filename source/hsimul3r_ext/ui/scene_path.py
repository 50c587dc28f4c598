"""Which USD file the UI opens for what the user picked (a converted folder or the file itself)."""

from __future__ import annotations

from pathlib import Path

SCENE_FILE = "scene.usda"


def scene_to_open(picked: str | Path) -> Path:
    """`picked` if it is a USD file, else `<picked>/scene.usda`; FileNotFoundError says which was expected."""
    path = Path(picked)
    if path.is_file() and path.suffix.lower() in (".usd", ".usda", ".usdc", ".usdz"):
        return path
    scene = path / SCENE_FILE
    if not scene.is_file():
        raise FileNotFoundError(f"{path}: no {SCENE_FILE} here; pick a folder written by `hsimul3r convert`")
    return scene
