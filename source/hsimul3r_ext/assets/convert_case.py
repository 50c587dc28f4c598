"""`hsimul3r convert`: a case folder in, a simulation-ready scene folder out (USD, MJCF, convert.json)."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tqdm import tqdm

from ..atomic_dir import atomic_output_dir
from ..hsi.case_io import MANIFEST, load_case
from ..hsi.scene import HSIScene
from .config import ConvertConfig
from .mjcf_scene import write_scene_mjcf
from .rigid_object import ObjectAsset, convert_object
from .scene_humanoid import SceneHumanoid
from .usd_object import write_object_usd
from .usd_scene import object_usd_file, write_scene_usd

SCENE_USD = "scene.usda"
SCENE_MJCF = "scene.xml"
REPORT = "convert.json"
HUMANOID_NOT_ASKED = "objects only: no humanoid builder was given (the case's motion is ignored)"
HUMANOID_NONE_BUILT = "the humanoid builder made none for this case"


def convert_case(
    case_dir: str | Path,
    out_dir: str | Path,
    config: ConvertConfig,
    *,
    overwrite: bool = False,
    build_humanoid: Callable[[HSIScene, Path], SceneHumanoid | None] | None = None,
    progress: bool | None = False,
) -> dict[str, Any]:
    """Convert every object of the case and write the scene; returns the `convert.json` report.

    Objects start where the case puts them, except that a dynamic object sunk into the floor is lifted
    onto it (`ground_shift_m`, `case_position_m`); the report's `warnings` say so, with the case's own.

    `build_humanoid(scene, folder)` writes the humanoid's files into the (staging) output folder and
    says where they are, or returns None (e.g. for a case without motion); without it, or with None,
    the scene has objects only. `progress`: True shows a progress bar, None shows it only on a
    terminal. Nothing is left in `out_dir` when anything fails.
    """
    start = time.perf_counter()
    case = Path(case_dir)
    scene = load_case(case)
    manifest = case / MANIFEST
    with atomic_output_dir(out_dir, overwrite=overwrite) as stage:
        (stage / "objects").mkdir()
        assets: list[ObjectAsset] = []
        bar = tqdm(scene.objects, desc="converting objects", unit="object", disable=_disabled(progress))
        for obj in bar:
            bar.set_postfix_str(obj.name)
            asset = convert_object(obj, case, manifest, config)
            write_object_usd(asset, stage / object_usd_file(obj.name))
            assets.append(asset)
        humanoid = None if build_humanoid is None else build_humanoid(scene, stage)
        write_scene_usd(stage / SCENE_USD, assets, config.scene, config.material, humanoid)
        write_scene_mjcf(stage / SCENE_MJCF, assets, config.scene, config.material, scene.name, humanoid)
        report = {
            "case": scene.name,
            "case_dir": str(case.resolve()),
            "case_manifest_sha256": hashlib.sha256(manifest.read_bytes()).hexdigest(),
            "scene_usd": SCENE_USD,
            "scene_mjcf": SCENE_MJCF,
            "objects": {asset.obj.name: {"usd": object_usd_file(asset.obj.name), **asset.report()} for asset in assets},
            "humanoid": _humanoid_record(humanoid, asked=build_humanoid is not None),
            "warnings": [str(w) for w in [*scene.warnings, *(a.warning for a in assets if a.warning)]],
            "config": {**config.to_json(), "coacd_cache_dir_resolved": str(config.coacd.cache_path())},
            "seconds": time.perf_counter() - start,
        }
        (stage / REPORT).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return report


def _humanoid_record(humanoid: SceneHumanoid | None, asked: bool) -> dict[str, Any]:
    if humanoid is None:
        reason = HUMANOID_NONE_BUILT if asked else HUMANOID_NOT_ASKED
        return {"built": False, "reason": reason}
    return {"built": True, "usd": Path(humanoid.usd_file).as_posix(), "mjcf": Path(humanoid.mjcf_file).as_posix()}


def _disabled(progress: bool | None) -> bool | None:
    """tqdm's `disable`: None means 'only on a terminal'."""
    return None if progress is None else not progress
