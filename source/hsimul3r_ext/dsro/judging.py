"""Judge one generated object: alone on the floor (gravity), or placed in a case and used by its motion.

The sample goes through the product's own path, as any object would: a case folder, `convert_case`, `judge`.
Labelling (`label.py`) and the reverse stage (`regenerate.py`) both call `judge_sample` in worker processes.
"""

from __future__ import annotations

import shutil
import time
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import trimesh

from ..hsi.case_io import load_case, object_world_mesh, write_case_files
from ..hsi.observation import PinholeCamera
from ..hsi.scene import HSIScene, SceneObject
from .placement import place

# Decoded objects are boxes the converter makes solid: CoACD's manifold pre-pass is redundant there and
# costs ~10x the decomposition (7.5 s -> 0.7 s per chair), so labelling switches it off.
LABEL_CONVERT_OVERRIDES = ("convert.coacd.preprocess_mode=off",)


@dataclass(frozen=True)
class SampleTask:
    """One sample to judge. Picklable: it crosses to a worker process."""

    name: str
    mesh: trimesh.Trimesh | None  # the decoded mesh, generator frame (None: the latent decodes to nothing)
    work: Path  # scratch folder, removed afterwards unless `keep`
    category: str | None = None
    case: Path | None = None  # place the sample in this case (its motion interacts with it)
    object: str | None = None
    camera: PinholeCamera | None = None  # needed with a case: the view the generator saw
    gravity_only: bool = False
    overrides: tuple[str, ...] = LABEL_CONVERT_OVERRIDES  # convert / judge / humanoid settings
    sections: dict[str, Any] | None = None  # typed convert / judge / humanoid sections (a run's); win over overrides
    models_dir: Path | None = None
    keep: bool = False
    provenance: dict[str, Any] = field(default_factory=dict)


def _object_only_case(task: SampleTask, mesh: trimesh.Trimesh, folder: Path) -> dict[str, Any]:
    (folder / "objects").mkdir(parents=True)
    mesh.export(folder / "objects" / "object.obj")
    obj = SceneObject(name="object", mesh="objects/object.obj", category=task.category)
    write_case_files(
        HSIScene(name=task.name.replace("/", "_"), objects=[obj], root=folder, provenance=[task.provenance]), folder
    )
    return {}


def _case_with_sample(task: SampleTask, mesh: trimesh.Trimesh, folder: Path) -> dict[str, Any]:
    shutil.copytree(task.case, folder)
    scene = load_case(folder)
    obj = scene.object(task.object)
    placement = place(mesh, task.camera, object_world_mesh(obj, folder))
    mesh_file = f"objects/{task.object}_generated.obj"
    placement.mesh.export(folder / mesh_file)
    replaced = replace(
        obj, mesh=mesh_file, position=placement.position, orientation=placement.orientation_xyzw, mass_kg=None
    )
    scene.objects = [replaced if o.name == obj.name else o for o in scene.objects]
    scene.provenance = [*scene.provenance, task.provenance]
    write_case_files(scene, folder)
    return {"scale": placement.scale, "scale_clipped": placement.scale_clipped, "position": placement.position.tolist(),
            "orientation_xyzw": placement.orientation_xyzw.tolist()}  # fmt: skip


def without_preprocessing(convert_config):
    """A run's convert section with CoACD's manifold pre-pass off (see LABEL_CONVERT_OVERRIDES)."""
    return replace(convert_config, coacd=replace(convert_config.coacd, preprocess_mode="off"))


@lru_cache(maxsize=4)
def _settings(overrides: tuple[str, ...], models_dir: Path | None):
    """(convert config, judge config, humanoid builder): composed once per process (Hydra takes ~0.6 s a time)."""
    from ..assets import load_convert_config
    from ..assets.humanoid_files import humanoid_builder
    from ..stability import load_judge_config

    groups = {group: [o for o in overrides if o.split(".")[0] == group] for group in ("convert", "humanoid", "judge")}
    build = humanoid_builder(models_dir, groups["humanoid"])
    return load_convert_config(groups["convert"]), load_judge_config(groups["judge"]), build


def error_verdict(error: str, seconds: float) -> dict[str, Any]:
    """The verdict of a sample that could not be judged (it broke the converter, ran out of time, killed its
    worker): it loses."""
    return {"type": None, "gravity_stable": False, "tilt_deg": None, "contact_ratio": None, "placement": None,
            "seconds": seconds, "error": error}  # fmt: skip


def judge_sample(task: SampleTask) -> dict[str, Any]:
    """{"type", "gravity_stable", "tilt_deg", "contact_ratio", "placement", "seconds", "error"} for one sample."""
    from ..assets import convert_case
    from ..stability import judge

    start = time.perf_counter()
    mesh = task.mesh
    case, converted, report_dir = task.work / "case", task.work / "converted", task.work / "judge"
    shutil.rmtree(task.work, ignore_errors=True)
    task.work.mkdir(parents=True)
    try:
        if mesh is None:
            return {"type": 1, "gravity_stable": False, "tilt_deg": None, "contact_ratio": None, "placement": None,
                    "seconds": time.perf_counter() - start, "error": None, "note": "decodes to nothing"}  # fmt: skip
        placement = (_case_with_sample if task.case is not None else _object_only_case)(task, mesh, case)
        if task.sections is None:
            convert_config, judge_config, build = _settings(tuple(task.overrides), task.models_dir)
        else:
            from ..assets.humanoid_files import humanoid_builder

            convert_config, judge_config = without_preprocessing(task.sections["convert"]), task.sections["judge"]
            build = humanoid_builder(task.models_dir, config=task.sections["humanoid"])
        convert_case(case, converted, convert_config, build_humanoid=build)
        report = judge(converted, report_dir, judge_config, gravity_only=task.gravity_only or task.case is None)
        verdict = next(o for o in report["objects"] if o["name"] == (task.object or "object"))
        interaction = verdict["interaction"]
        return {
            "type": verdict["type"],
            "case_type": report["type"],
            "gravity_stable": verdict["gravity"]["stable"],
            "tilt_deg": verdict["gravity"]["tilt_deg"],
            "contact_ratio": None if interaction is None else interaction.get("contact_ratio"),
            "placement": placement or None,
            "seconds": time.perf_counter() - start,
            "error": None,
        }
    except Exception as err:  # a sample that breaks the converter loses; the batch goes on
        return error_verdict(f"{type(err).__name__}: {err}", time.perf_counter() - start)
    finally:
        if not task.keep:
            shutil.rmtree(task.work, ignore_errors=True)
