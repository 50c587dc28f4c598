"""The reverse stage: regenerate objects the judge failed from their observation, keep the best candidate.

Each object of a listed type with an observation gets K candidates from the generator, placed at its pose
(`placement.py`) and judged in the case with its motion (`judging.py`); the kept one is Type 4 first, then
the most faithful to the observation (mask IoU seen from the observation's camera, outside the occluder).
An object no candidate improves keeps its mesh; one without an observation is reported, never skipped silently.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
from omegaconf import MISSING

from ..hsi.case_io import load_case, object_world_mesh, write_case_files
from ..hsi.errors import CaseError
from ..hsi.observation import Observation, load_observation
from ..kernels.raycast import render
from .generator import PLUGIN_PREFIX, generator_identity, load_generator
from .judging import SampleTask
from .label import judge_samples
from .shipped import FINETUNED_GENERATOR

CANDIDATES_PNG = "candidates.png"
_PREFERENCE = {4: 3, 3: 2, 2: 1, 1: 0, None: -1}  # Type 4 first; a stable object beats a falling one


@dataclass
class ReverseConfig:
    enabled: bool = MISSING
    generator: str | None = None
    candidates: int = MISSING
    seed: int = MISSING
    steps: int = MISSING
    regenerate_types: list[int] = field(default_factory=lambda: [1, 2])
    jobs: int = MISSING

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def generator_file(self) -> Path:
        return FINETUNED_GENERATOR if self.generator is None else Path(self.generator).expanduser()


def load_reverse_config(overrides=()) -> ReverseConfig:
    """The `reverse` section of the pipeline configuration, checked."""
    from ..settings import CONFIG_DIR, stage_config

    config = stage_config("reverse", ReverseConfig, overrides)
    file = CONFIG_DIR / "reverse" / "default.yaml"
    if config.candidates < 1 or config.steps < 1 or config.jobs < 1:
        raise CaseError(file, "reverse.candidates", "candidates, steps and jobs must be >= 1")
    if not set(config.regenerate_types) <= {1, 2, 3}:
        raise CaseError(file, "reverse.regenerate_types", f"types are 1, 2 or 3, got {config.regenerate_types}")
    if config.enabled and not str(config.generator).startswith(PLUGIN_PREFIX) and not config.generator_file().is_file():
        raise CaseError(config.generator_file(), "reverse.generator", "no such generator file")
    return config


def observation_iou(mesh, observation: Observation) -> float:
    """Mask IoU of `mesh` (world frame) seen from the observation's camera, outside the occluder's pixels."""
    _, face = render(mesh.vertices, mesh.faces, observation.camera)
    seen = observation.mask
    valid = np.ones_like(seen) if observation.occluder is None else ~observation.occluder
    drawn = face >= 0
    union = ((drawn | seen) & valid).sum()
    return float(((drawn & seen) & valid).sum() / union) if union else 0.0


def _choose(candidates: list[dict[str, Any]]) -> dict[str, Any] | None:
    usable = [c for c in candidates if c["verdict"]["error"] is None]
    if not usable:
        return None
    return max(usable, key=lambda c: (_PREFERENCE.get(c["verdict"]["type"], -1), c["iou"]))


def regenerate_case(
    case_dir: Path, judged: dict[str, Any], out: Path, config: ReverseConfig, *, models_dir: Path | None = None,
    sections: dict[str, Any] | None = None, gravity_only: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """Write `out/refined_case` (the case with regenerated objects) and `out/candidates/`; returns the record.

    `judged`: the judge's report of `case_dir`. `sections`: the run's typed convert / judge / humanoid
    sections (None: the defaults)."""
    scene = load_case(case_dir)
    types = {obj["name"]: obj["type"] for obj in judged["objects"]}
    generator_path = config.generator_file()
    generator, digest = None, None
    objects, chosen, shapes_for_plot = {}, {}, {}
    for index, obj in enumerate(scene.objects):
        kind = types.get(obj.name)
        if kind not in config.regenerate_types:
            objects[obj.name] = {
                "regenerated": False,
                "reason": f"not regenerated: {'undecided' if kind is None else f'Type {kind}'}",
            }
            continue
        if obj.observation is None:
            objects[obj.name] = {"regenerated": False, "reason": "not regenerated: no observation"}
            continue
        if generator is None:
            generator, digest = load_generator(generator_path), generator_identity(generator_path)
        observation = load_observation(case_dir / obj.observation)
        with torch.no_grad():
            condition = generator.condition(observation, str(case_dir / obj.observation))
            latents = generator.sample_latents(condition, config.candidates, config.seed + index, config.steps)
            meshes = generator.decode(latents)
        tasks = [
            SampleTask(
                name=f"{obj.name}/{k}",
                mesh=mesh,
                work=out / "candidates" / obj.name / str(k),
                category=obj.category,
                case=case_dir,
                object=obj.name,
                camera=observation.camera,
                gravity_only=gravity_only,
                sections=sections,
                models_dir=models_dir,
                keep=True,
                provenance={
                    "step": "reverse_candidate",
                    "generator_sha256": digest,
                    "object": obj.name,
                    "candidate": k,
                },
            )
            for k, mesh in enumerate(meshes)
        ]
        candidates = []
        for task, verdict in judge_samples(tasks, config.jobs, f"judging candidates for {obj.name}"):
            placed = None
            if verdict["placement"] is not None:
                placed_case = task.work / "case"
                placed = object_world_mesh(load_case(placed_case).object(obj.name), placed_case)
            candidates.append({
                "candidate": int(task.name.rsplit("/", 1)[1]), "folder": str(task.work.relative_to(out)),
                "verdict": verdict, "iou": 0.0 if placed is None else observation_iou(placed, observation),
            })  # fmt: skip
        candidates.sort(key=lambda candidate: candidate["candidate"])  # judged in completion order
        best = _choose(candidates)
        improves = best is not None and _PREFERENCE[best["verdict"]["type"]] > _PREFERENCE[kind]
        shapes_for_plot[obj.name] = list(zip(meshes, candidates, strict=True))
        objects[obj.name] = {
            "regenerated": improves,
            "reason": None if improves else "kept: no candidate does better than the original",
            "type_before": kind, "kept": best["candidate"] if improves else None,
            "best": None if best is None else best["candidate"],
            "candidates": candidates,
        }  # fmt: skip
        if improves:
            chosen[obj.name] = out / best["folder"] / "case"
    _write_refined_case(case_dir, chosen, out / "refined_case")
    picture = None
    if shapes_for_plot:
        from .plots import plot_candidates

        picture = plot_candidates(shapes_for_plot, objects, out / CANDIDATES_PNG)
    return {
        "generator": str(generator_path),
        "generator_sha256": digest,
        "objects": objects,
        "regenerated": sorted(chosen),
        "refined_case": "refined_case",
        "picture": None if picture is None else CANDIDATES_PNG,
    }


def _write_refined_case(case_dir: Path, chosen: dict[str, Path], folder: Path) -> None:
    """The case with each chosen object's mesh and pose taken from its candidate's case."""
    shutil.copytree(case_dir, folder)
    scene = load_case(folder)
    objects = []
    for obj in scene.objects:
        if obj.name in chosen:
            source = chosen[obj.name]
            candidate = load_case(source).object(obj.name)
            shutil.copy2(source / candidate.mesh, folder / candidate.mesh)
            obj = replace(
                obj, mesh=candidate.mesh, position=candidate.position, orientation=candidate.orientation, mass_kg=None
            )
        objects.append(obj)
    scene.objects = objects
    scene.provenance = [*scene.provenance, {"step": "reverse", "regenerated": sorted(chosen)}]
    write_case_files(scene, folder)
    load_case(folder)
