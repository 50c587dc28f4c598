"""The cases a task trains on: converted folders as given, case folders converted once into a cache.

A task needs USD files (humanoid and objects). A case folder is converted on first use exactly as
`hsimul3r judge` converts one (objects and the case's humanoid), into
`<cache>/converted/<fingerprint>`; the fingerprint covers the case's files, the conversion and
humanoid configs and the package version, so an edited case or config gets a fresh conversion.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from ... import OUTPUT_FORMAT, __version__
from ...assets.config import CACHE_ENV
from ...hsi.case_io import MANIFEST
from ...hsi.errors import CaseError
from ...stability.scene import CONVERT_REPORT

EXAMPLES_DIR = Path(__file__).resolve().parents[4] / "examples"
"""The bundled example cases (the repository's `examples/`), the default data of the tasks."""

EXAMPLE_CASES = {
    "Track": ("sit_chair_clean", "lie_sofa_clean", "lean_table_clean", "sit_armchair_clean"),
    "Sit": ("sit_chair_clean",),
    "Lie": ("lie_sofa_clean",),
    "Lean": ("lean_table_clean",),
}
"""The bundled examples each task family (HSI-<Task>, for the humanoid and every robot) tracks by default."""


def example_cases(task: str) -> list[str]:
    """Paths of the bundled examples task family `task` tracks by default."""
    return [str(EXAMPLES_DIR / name) for name in EXAMPLE_CASES[task]]


def cache_root() -> Path:
    """`$HSIMUL3R_CACHE_DIR`, else `$XDG_CACHE_HOME/hsimul3r`, else `~/.cache/hsimul3r`."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "hsimul3r"


def parse_case_list(cases: Sequence[str] | str) -> list[str]:
    """Case paths from a list, or from the text Hydra leaves for `env.cases=[a,b]` (`"[a,b]"` or `"a,b"`)."""
    if isinstance(cases, str):
        cases = [c.strip().strip("'\"") for c in cases.strip().strip("[]").split(",")]
    return [str(c) for c in cases if str(c)]


def converted_folder(
    path: str | Path, cache_dir: str | Path | None = None, convert_overrides: Sequence[str] = ()
) -> Path:
    """A converted folder as is; a case folder converted (with its humanoid) on first use into the cache."""
    folder = Path(path).expanduser().absolute()
    if (folder / CONVERT_REPORT).is_file():
        return folder
    if not (folder / MANIFEST).is_file():
        raise CaseError(folder, "path", f"neither a converted folder ({CONVERT_REPORT}) nor a case ({MANIFEST})")
    from filelock import FileLock

    from ...assets import convert_case, load_convert_config
    from ...assets.humanoid_files import humanoid_builder
    from ...body.case_humanoid import humanoid_config

    config = load_convert_config(list(convert_overrides))
    key = _fingerprint(folder, {"convert": config.to_json(), "humanoid": asdict(humanoid_config())})
    target = Path(cache_dir).expanduser() if cache_dir else cache_root() / "converted"
    target = target.absolute() / f"{folder.name}-{key[:16]}"
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):  # parallel runs convert a case once
        if not (target / CONVERT_REPORT).is_file():
            convert_case(folder, target, config, overwrite=target.exists(), build_humanoid=humanoid_builder())
    return target


def retargeted_folder(
    path: str | Path, robot: str, cache_dir: str | Path | None = None, convert_overrides: Sequence[str] = ()
) -> Path:
    """A retarget folder as is; a case or converted folder retargeted onto `robot` (a shipped robot's name or a
    robot YAML) on first use into the cache, as `hsimul3r retarget` does without the baseline and the judge."""
    from filelock import FileLock

    from ...retarget.ik import DEFAULT_SETTINGS
    from ...retarget.job import RETARGET_JSON, retarget_job
    from ...retarget.robot_model import load_robot

    folder = Path(path).expanduser().absolute()
    if (folder / RETARGET_JSON).is_file():
        return folder
    converted = converted_folder(folder, cache_dir, convert_overrides)
    model = load_robot(robot)
    robot_config = hashlib.sha256(model.config_file.read_bytes()).hexdigest()
    key = _fingerprint(
        converted, {"robot": model.provenance, "robot_config": robot_config, "ik": asdict(DEFAULT_SETTINGS)}
    )
    target = Path(cache_dir).expanduser() if cache_dir else cache_root() / "retargeted"
    target = target.absolute() / f"{folder.name}-{model.name}-{key[:16]}"
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock"):
        if not (target / RETARGET_JSON).is_file():
            retarget_job(
                converted, robot, target, baseline=False, judge=False, overwrite=target.exists(), progress=False
            )
    return target


def _fingerprint(case: Path, configs: dict) -> str:
    identity = {"version": __version__, "format": OUTPUT_FORMAT, **configs}
    digest = hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode())
    for file in sorted(p for p in case.rglob("*") if p.is_file()):
        digest.update(file.relative_to(case).as_posix().encode())
        digest.update(hashlib.sha256(file.read_bytes()).digest())
    return digest.hexdigest()
