"""A DSRO condition set: observations to generate from, each optionally with the true shape and a case.

    CONDITIONS/conditions.json   {"format": "hsimul3r-dsro-conditions", "version": 1, "conditions": [
                                   {"name", "observation": folder, "category"?, "truth"?: mesh in the generator
                                    frame, "case"?: an HSI case with a motion, "object"?: its object}]}
    CONDITIONS/<name>/observation/   mask.png, depth.npy, occluder_mask.png, camera.json (hsi.observation)

Paths are relative to CONDITIONS. `make_condition_set` writes one from our procedural furniture (the demo and
test sets); a case's object observation (`observations/<object>/`) is a condition with a motion.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ..atomic_dir import atomic_output_dir
from ..hsi.errors import CaseError
from ..hsi.observation import Observation, load_observation
from .dataset import make_example
from .furniture import CATEGORIES

INDEX = "conditions.json"
LEGGED: tuple[str, ...] = ("chair", "stool", "table")
FORMAT = "hsimul3r-dsro-conditions"
VERSION = 1


@dataclass(frozen=True)
class Condition:
    name: str
    observation: Path
    category: str | None = None
    truth: Path | None = None  # the true shape, in the generator frame (fidelity)
    case: Path | None = None  # a case whose motion interacts with the object (Types 2-4)
    object: str | None = None

    def load_observation(self) -> Observation:
        return load_observation(self.observation)


def load_conditions(folder: str | Path) -> list[Condition]:
    """Read and check `conditions.json`; bad input names the file and the field."""
    folder = Path(folder)
    index = folder / INDEX
    if not index.is_file():
        raise CaseError(index, "conditions", "missing file (a DSRO condition set has conditions.json)")
    try:
        data = json.loads(index.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise CaseError(index, "conditions", f"not JSON ({err})") from None
    if data.get("format") != FORMAT or data.get("version") != VERSION:
        raise CaseError(index, "format", f"expected format {FORMAT!r} version {VERSION}")
    entries = data.get("conditions")
    if not isinstance(entries, list) or not entries:
        raise CaseError(index, "conditions", "expected a non-empty list")
    conditions, names = [], set()
    for i, entry in enumerate(entries):
        where = f"conditions[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"]:
            raise CaseError(index, f"{where}.name", "missing or not a string")
        if entry["name"] in names:
            raise CaseError(index, f"{where}.name", f"duplicate name {entry['name']!r}")
        names.add(entry["name"])
        paths = {}
        for key in ("observation", "truth", "case"):
            value = entry.get(key)
            if value is None and key != "observation":
                paths[key] = None
                continue
            if not isinstance(value, str):
                raise CaseError(index, f"{where}.{key}", "missing or not a path")
            path = (folder / value).resolve()
            if not path.exists():
                raise CaseError(index, f"{where}.{key}", f"{value} does not exist")
            paths[key] = path
        if paths["case"] is not None and not isinstance(entry.get("object"), str):
            raise CaseError(index, f"{where}.object", "a condition with a case names the case's object")
        conditions.append(
            Condition(
                entry["name"],
                paths["observation"],
                entry.get("category"),
                paths["truth"],
                paths["case"],
                entry.get("object"),
            )
        )
    return conditions


def write_index(folder: Path, entries: list[dict]) -> None:
    payload = {"format": FORMAT, "version": VERSION, "conditions": entries}
    (folder / INDEX).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")


def make_condition_set(
    out_dir: str | Path,
    count: int,
    seed: int,
    categories: tuple[str, ...] = LEGGED,
    person_rate: float = 1.0,
    overwrite: bool = False,
) -> Path:
    """`count` procedural conditions (observation + true shape) from `seed`; other seeds give other sets.

    By default: furniture on legs, each with a person in view, as in the paper's captures; legs are the thin
    parts whose loss makes objects fall (a solid-based sofa stands whatever the generator forgets)."""
    out = Path(out_dir)
    rng = np.random.default_rng([seed, 7919])
    entries = []
    with atomic_output_dir(out, overwrite=overwrite) as stage:
        unknown = sorted(set(categories) - set(CATEGORIES))
        if unknown:
            raise CaseError("--categories", "categories", f"unknown {unknown}; known: {', '.join(CATEGORIES)}")
        for index in tqdm(range(count), desc="making conditions", unit="condition"):
            example = make_example(rng, categories=categories, person_rate=person_rate)
            name = f"{example.category}_{seed}_{index:04d}"
            example.observation.write(stage / name / "observation")
            mesh, _ = example.truth.mesh()
            mesh.export(stage / name / "truth.obj")
            entries.append({"name": name, "observation": f"{name}/observation", "category": example.category,
                            "truth": f"{name}/truth.obj", "hidden_thin_parts": list(example.hidden)})  # fmt: skip
        write_index(stage, entries)
    return out


def conditions_from_cases(out_dir: str | Path, cases: list[Path], overwrite: bool = False) -> Path:
    """One condition per object with an observation in each case: the case's motion judges its samples (Types
    2-4); the object's own mesh, in the observation's generator frame, is the true shape."""
    from scipy.spatial.transform import Rotation

    from ..hsi.case_io import load_case, object_world_mesh

    out = Path(out_dir)
    entries = []
    with atomic_output_dir(out, overwrite=overwrite) as stage:
        for case in cases:
            scene = load_case(case)
            for obj in scene.objects:
                if obj.observation is None:
                    continue
                name = f"{scene.name}_{obj.name}"
                observation = load_observation(Path(case) / obj.observation)
                truth = object_world_mesh(obj, Path(case))
                lo, hi = truth.bounds
                truth.apply_translation([-(lo[0] + hi[0]) / 2, -(lo[1] + hi[1]) / 2, -lo[2]])
                turn = np.eye(4)
                turn[:3, :3] = Rotation.from_euler("z", -observation.camera.heading_rad()).as_matrix()
                truth.apply_transform(turn)
                observation.write(stage / name / "observation")
                truth.export(stage / name / "truth.obj")
                entry = {"name": name, "observation": f"{name}/observation", "category": obj.category}
                entries.append(
                    {**entry, "truth": f"{name}/truth.obj", "case": str(Path(case).resolve()), "object": obj.name}
                )
        if not entries:
            raise CaseError(cases[0] if cases else out, "objects", "no object of these cases has an observation")
        write_index(stage, entries)
    return out
