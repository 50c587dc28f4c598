"""Isaac Lab asset configs for the objects of a converted scene folder (needs Isaac Lab; import on demand).

Each object is spawned from its own local USD (no Nucleus), at its case pose as the initial state. A
dynamic object becomes a `RigidObjectCfg`; a static one has no rigid body to simulate (see
`usd_object`), so it is an `AssetBaseCfg`, like Isaac Lab's own static ground.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import isaaclab.sim as sim_utils
from isaaclab.assets import AssetBaseCfg, RigidObjectCfg

from ..hsi.errors import CaseError
from .convert_case import REPORT


def converted_object_cfg(scene_dir: str | Path, name: str, prim_path: str | None = None) -> AssetBaseCfg:
    """Config of object `name`; `prim_path` defaults to `{ENV_REGEX_NS}/<name>` (one per environment)."""
    root = Path(scene_dir).resolve()
    entry = _objects(root).get(name)
    if entry is None:
        raise CaseError(root / REPORT, "objects", f"no object {name!r}; converted: {', '.join(_objects(root))}")
    spawn = sim_utils.UsdFileCfg(usd_path=str(root / entry["usd"]))
    pose = {"pos": tuple(entry["position_m"]), "rot": tuple(entry["orientation_xyzw"])}
    path = prim_path or f"{{ENV_REGEX_NS}}/{name}"
    if entry["static"]:
        return AssetBaseCfg(prim_path=path, spawn=spawn, init_state=AssetBaseCfg.InitialStateCfg(**pose))
    return RigidObjectCfg(prim_path=path, spawn=spawn, init_state=RigidObjectCfg.InitialStateCfg(**pose))


def converted_object_cfgs(scene_dir: str | Path) -> dict[str, AssetBaseCfg]:
    """Configs of every object in the folder, by name, for an `InteractiveSceneCfg`."""
    return {name: converted_object_cfg(scene_dir, name) for name in _objects(Path(scene_dir).resolve())}


def _objects(root: Path) -> dict[str, Any]:
    report = root / REPORT
    try:
        return json.loads(report.read_text(encoding="utf-8"))["objects"]
    except FileNotFoundError:
        raise CaseError(report, "file", "missing: not a folder written by `hsimul3r convert`") from None
    except (json.JSONDecodeError, KeyError, TypeError) as err:
        raise CaseError(report, "objects", f"unreadable conversion report ({err})") from None
