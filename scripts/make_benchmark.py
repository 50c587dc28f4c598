"""Make an HSIBench-shaped synthetic benchmark set: clean interactions and reconstruction-like error versions.

HSIBench (the paper's benchmark) has 14 objects (8 chairs, 3 tables, 3 sofas), 3 subjects and 300 interaction
cases. This script makes a set of the same shape from our own authored data only: procedural furniture of varied
styles and proportions (`example_furniture.py`), motions authored on the shipped open body model with varied
body shapes (`example_motions.py`): sit on chairs and sofas, lie on sofas, lean on tables, with contact labels.
Each clean case has error twins, as reconstructions deliver them: the object shifted and turned, the body sunk
into the seat, the object floating, a leg missing or short, a bump on the seat, the object at the wrong scale.
Every case records its subject, object and errors (with their parameters) in its provenance (step `benchmark`);
`index.json` lists them all. Seeded and deterministic: the same seed gives identical files.

    python scripts/make_benchmark.py --out DIR [--cases 20|300|N] [--seed 0] [--jobs N]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import example_motions
import numpy as np
import trimesh
from example_motions import AuthoredExample
from make_examples import FOCAL_PX, IMAGE_SIZE_PX, ObservingCamera, observe, restamp_npz, write_npz
from scipy.spatial.transform import Rotation
from tqdm import tqdm

from hsimul3r_ext.atomic_dir import atomic_output_dir
from hsimul3r_ext.body.model_files import BODY_MODELS_ENV
from hsimul3r_ext.body.models import stature
from hsimul3r_ext.hsi.case_io import load_case, save_case
from hsimul3r_ext.hsi.scene import HSIScene
from hsimul3r_ext.ingest.importers.meshes import ObjectSpec
from hsimul3r_ext.ingest.ingest_case import ingest

SCRIPT = "scripts/make_benchmark.py"
HSIBENCH_CASES = 300
ERROR_KINDS = (
    "object_offset", "body_sunk", "floating_object", "missing_leg", "short_leg", "seat_bump", "object_scale",
)  # fmt: skip
# Every kind at least once and two missing legs (the reverse pass's case) before the mix below is drawn.
FIRST_ERRORS: tuple[tuple[str, ...], ...] = (
    ("missing_leg",), ("missing_leg",), ("short_leg",), ("seat_bump",), ("object_offset",), ("body_sunk",),
    ("floating_object",), ("object_scale",),
)  # fmt: skip
# The rest: mostly misplacements (as in the bundled examples: object off, body sunk), the other kinds less often.
ERROR_MIX: tuple[tuple[tuple[str, ...], float], ...] = (
    (("object_offset", "body_sunk"), 3.0), (("object_offset",), 2.0), (("body_sunk",), 2.0),
    (("floating_object",), 1.0), (("object_scale",), 1.0), (("seat_bump",), 1.0), (("short_leg",), 1.0),
    (("missing_leg",), 1.0),
)  # fmt: skip
CONTACT_NOTE = f"skin within {example_motions.CONTACT_DISTANCE_M} m of the object in the clean geometry"


@dataclass(frozen=True)
class Subject:
    """A body shape of the shipped open model. The model is gender-neutral: `sex` is how the body reads, carried
    by its betas (beta3 follows masculinity, beta0 stature, beta2 thinness, beta4 muscle negatively)."""

    name: str
    sex: str
    betas: tuple[float, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "sex": self.sex, "betas": list(self.betas),
            "stature_m": round(stature("smpl", "neutral", np.asarray(self.betas)), 3),
            "body_model": "shipped open SMPL-compatible model (gender-neutral); sex expressed by the betas",
        }  # fmt: skip


SUBJECTS = (
    Subject("s1", "female", (-0.9, 0.0, 0.3, -1.2, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)),
    Subject("s2", "male", (1.0, 0.0, -0.2, 1.3, -0.5, 0.0, 0.0, 0.0, 0.0, 0.0)),
    Subject("s3", "female", (0.3, 0.4, -0.9, -0.9, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)),
    Subject("s4", "male", (-0.3, 0.0, -1.3, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0)),
)

Design = (
    example_motions.ChairDesign
    | example_motions.ArmchairDesign
    | example_motions.SofaDesign
    | example_motions.TableDesign
)


@dataclass(frozen=True)
class BenchObject:
    """One piece of furniture of the set: its style and proportions (the dimensions the body touches, seat and
    top heights, backrest place and lean, sofa length for lying, follow each subject's body)."""

    name: str
    category: str  # chair / table / sofa (armchairs are chairs)
    style: str
    design: Design

    @property
    def has_legs(self) -> bool:
        return self.style in ("side_chair_square_legs", "side_chair_round_legs", "table")

    @property
    def interactions(self) -> tuple[str, ...]:
        return {"chair": ("sit",), "sofa": ("sit", "lie"), "table": ("lean",)}[self.category]

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name, "category": self.category, "style": self.style, "design": asdict(self.design),
            "fitted_to_the_body": "seat / top height, backrest place and lean, armrest height, sofa length (lying) "
            "and seat depth (sitting)",
        }  # fmt: skip


def uniform(rng: np.random.Generator, low: float, high: float, digits: int = 3) -> float:
    return round(float(rng.uniform(low, high)), digits)


def chair_design(rng: np.random.Generator, round_legs: bool) -> example_motions.ChairDesign:
    return example_motions.ChairDesign(
        thigh_deg=uniform(rng, 78.0, 88.0, 1), recline_deg=uniform(rng, 7.0, 12.0, 1),
        back_height=uniform(rng, 0.50, 0.62), width=uniform(rng, 0.40, 0.52), leg=uniform(rng, 0.03, 0.05),
        round_legs=round_legs,
    )  # fmt: skip


def armchair_design(rng: np.random.Generator) -> example_motions.ArmchairDesign:
    return example_motions.ArmchairDesign(
        thigh_deg=uniform(rng, 82.0, 90.0, 1), back_height=uniform(rng, 0.50, 0.60), arm_width=uniform(rng, 0.11, 0.17)
    )


def sofa_design(rng: np.random.Generator) -> example_motions.SofaDesign:
    return example_motions.SofaDesign(
        seat_depth=uniform(rng, 0.58, 0.70), arm_height=uniform(rng, 0.56, 0.66),
        back_tilt_deg=uniform(rng, 8.0, 14.0, 1), back_height=uniform(rng, 0.50, 0.60),
        arm_margin=uniform(rng, 0.03, 0.08), length=uniform(rng, 1.6, 2.1), sit_thigh_deg=uniform(rng, 86.0, 94.0, 1),
    )  # fmt: skip


def table_design(rng: np.random.Generator) -> example_motions.TableDesign:
    return example_motions.TableDesign(
        depth=uniform(rng, 0.70, 0.95), length=uniform(rng, 1.0, 1.6), lean_deg=uniform(rng, 34.0, 36.0, 1)
    )


CHAIR_STYLES = ("side_chair_square_legs", "side_chair_round_legs", "armchair")


def make_objects(rng: np.random.Generator) -> list[BenchObject]:
    """HSIBench's 14 objects: 8 chairs (square-legged, round-legged, armchairs in turn), 3 tables, 3 sofas."""
    objects = []
    for index in range(8):
        style = CHAIR_STYLES[index % 3]
        design = armchair_design(rng) if style == "armchair" else chair_design(rng, style == "side_chair_round_legs")
        objects.append(BenchObject(f"chair{index + 1:02d}", "chair", style, design))
    objects += [BenchObject(f"table{i + 1:02d}", "table", "table", table_design(rng)) for i in range(3)]
    objects += [BenchObject(f"sofa{i + 1:02d}", "sofa", "sofa", sofa_design(rng)) for i in range(3)]
    return objects


LEG_NAMES = ("front_left", "front_right", "back_left", "back_right")
MAX_LEG_SIDE_M = 0.1  # a part standing on the floor with a narrower footprint is a leg


@dataclass(frozen=True)
class InjectedError:
    """One reconstruction-like error and its parameters, as recorded in the case."""

    kind: str
    params: dict[str, Any]

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, **self.params}


def applies(kind: str, obj: BenchObject, interaction: str) -> bool:
    """Leg errors need legs (a missing leg only on side chairs: a table on three of four legs keeps its centre of
    mass on the edge of its support and may stand or fall); a bump goes where the body rests on a seat."""
    if kind == "missing_leg":
        return obj.has_legs and obj.category == "chair"
    if kind == "short_leg":
        return obj.has_legs
    if kind == "seat_bump":
        return interaction in ("sit", "lie")
    return True


def front_sign(obj: BenchObject) -> float:
    """+1 when an object's front (the side the person uses) faces +X: a chair's seat edge; a table's is at -X."""
    return -1.0 if obj.category == "table" else 1.0


def draw_offset(rng: np.random.Generator, obj: BenchObject) -> dict[str, Any]:
    distance, heading = uniform(rng, 0.04, 0.10), float(rng.uniform(0.0, 2 * np.pi))
    offset = [round(distance * np.cos(heading), 3), round(distance * np.sin(heading), 3), 0.0]
    yaw = uniform(rng, 2.0, 6.0, 1) * float(rng.choice([-1.0, 1.0]))
    return {"offset_m": offset, "yaw_deg": yaw, "about": "object origin (base centre)"}


def draw_scale(rng: np.random.Generator, obj: BenchObject) -> dict[str, Any]:
    factor = uniform(rng, 1.06, 1.12) if rng.random() < 0.5 else uniform(rng, 0.88, 0.94)
    return {"factor": factor, "about": "base centre on the floor"}


def draw_bump(rng: np.random.Generator, obj: BenchObject) -> dict[str, Any]:
    offset = [uniform(rng, -0.06, 0.06), uniform(rng, -0.06, 0.06)]
    return {"offset_from_buttocks_m": offset, "size_m": uniform(rng, 0.06, 0.14), "height_m": uniform(rng, 0.02, 0.05)}


ERROR_PARAMS: dict[str, Callable[[np.random.Generator, BenchObject], dict[str, Any]]] = {
    "object_offset": draw_offset,
    "body_sunk": lambda rng, obj: {"depth_m": uniform(rng, 0.02, 0.05)},
    "floating_object": lambda rng, obj: {"height_m": uniform(rng, 0.03, 0.08)},
    # A chair that lost a back leg tips backwards under its backrest (one that lost a front leg may stand).
    "missing_leg": lambda rng, obj: {"leg": str(rng.choice(["back_left", "back_right"]))},
    "short_leg": lambda rng, obj: {"leg": str(rng.choice(LEG_NAMES)), "shortened_by_m": uniform(rng, 0.015, 0.04)},
    "seat_bump": draw_bump,
    "object_scale": draw_scale,
}


@dataclass(frozen=True)
class CasePlan:
    name: str
    errors: tuple[InjectedError, ...]


@dataclass
class GroupPlan:
    """One clean interaction (an object, a subject, what they do) and the cases made from it, the clean first."""

    obj: BenchObject
    subject: Subject
    interaction: str
    cases: list[CasePlan]

    @property
    def stem(self) -> str:
        return f"{self.interaction}_{self.obj.name}_{self.subject.name}"


# Round-robin order of the clean interactions: a small set has one of each (side chairs twice, for two missing
# legs on chairs), a full one all of them.
BUCKETS = (
    ("sit", "side_chair"), ("lie", "sofa"), ("lean", "table"), ("sit", "side_chair"), ("sit", "sofa"),
    ("sit", "armchair"),
)  # fmt: skip


def bucket(obj: BenchObject, interaction: str) -> tuple[str, str]:
    family = "side_chair" if obj.style.startswith("side_chair") else obj.style
    return interaction, family


def interleaved(groups: list[GroupPlan], rng: np.random.Generator) -> list[GroupPlan]:
    """All groups, shuffled within each bucket, taken from the buckets in turn (BUCKETS order)."""
    pools = {key: [g for g in groups if bucket(g.obj, g.interaction) == key] for key in dict.fromkeys(BUCKETS)}
    for pool in pools.values():
        rng.shuffle(pool)
    order: list[GroupPlan] = []
    while any(pools.values()):
        order += [pools[key].pop(0) for key in BUCKETS if pools[key]]
    return order


def clean_count(cases: int, available: int) -> int:
    """HSIBench's share of distinct interactions (all of ours in 300 cases), at least one per bucket."""
    share = round(cases * available / HSIBENCH_CASES)
    return min(cases, available, max(share, len(BUCKETS)))


def plan(cases: int, seed: int) -> list[GroupPlan]:
    """Which clean interactions, and which errors with which parameters, make up a set of `cases` cases."""
    rng = np.random.default_rng(seed)
    objects = make_objects(rng)
    every = [
        GroupPlan(obj, subject, interaction, [])
        for obj in objects
        for interaction in obj.interactions
        for subject in SUBJECTS
    ]
    groups = interleaved(every, rng)[: clean_count(cases, len(every))]
    for group in groups:
        group.cases.append(CasePlan(f"{group.stem}_clean", ()))
    recipes, weights = zip(*ERROR_MIX, strict=True)
    probabilities = np.asarray(weights) / sum(weights)
    for index in range(cases - len(groups)):
        recipe = (
            FIRST_ERRORS[index] if index < len(FIRST_ERRORS) else recipes[rng.choice(len(recipes), p=probabilities)]
        )
        candidates = [g for g in groups if all(applies(kind, g.obj, g.interaction) for kind in recipe)]
        if not candidates:  # e.g. no legged chair in a tiny set: a misplacement applies everywhere
            recipe, candidates = ("object_offset",), groups
        fewest = min(len(g.cases) for g in candidates)
        pool = [g for g in candidates if len(g.cases) == fewest]
        group = pool[int(rng.integers(len(pool)))]
        errors = tuple(InjectedError(kind, ERROR_PARAMS[kind](rng, group.obj)) for kind in recipe)
        group.cases.append(CasePlan(unique_name(group, recipe), errors))
    return groups


def unique_name(group: GroupPlan, kinds: tuple[str, ...]) -> str:
    base = f"{group.stem}_{'-'.join(kinds)}"
    taken = {case.name for case in group.cases}
    return next(name for name in (base, *(f"{base}_{n}" for n in range(2, 1000))) if name not in taken)


def author(group: GroupPlan) -> AuthoredExample:
    """The clean interaction: the motion on this body, the furniture of this design sized around it."""
    betas, design = np.asarray(group.subject.betas), group.obj.design
    if group.interaction == "lie":
        return example_motions.lie_sofa(betas, design)
    if group.interaction == "lean":
        return example_motions.lean_table(betas, design)
    if group.obj.category == "sofa":
        return example_motions.sit_sofa(betas, design)
    if group.obj.style == "armchair":
        return example_motions.sit_armchair(betas, design)
    return example_motions.sit_chair(betas=betas, design=design)


NOT_MEASURED = "not measured for the benchmark: occluder_mask.png shows what the person hides"
CAMERAS = {  # the bundled examples' views (make_examples.CAMERAS)
    ("sit", "side_chair"): ObservingCamera(50.0, 20.0, 2.75, NOT_MEASURED),
    ("sit", "armchair"): ObservingCamera(-40.0, 20.0, 2.75, NOT_MEASURED),
    ("sit", "sofa"): ObservingCamera(40.0, 20.0, 3.0, NOT_MEASURED),
    ("lie", "sofa"): ObservingCamera(30.0, 20.0, 3.0, NOT_MEASURED),
    ("lean", "table"): ObservingCamera(150.0, 20.0, 2.75, NOT_MEASURED),
}


def leg_faces(mesh: trimesh.Trimesh, sign: float) -> dict[str, np.ndarray]:
    """Face masks of the legs, by corner: the separate parts that stand on the floor with a small footprint."""
    labels = trimesh.graph.connected_component_labels(mesh.face_adjacency, node_count=len(mesh.faces))
    centre = mesh.bounds[:, :2].mean(axis=0)
    legs = {}
    for label in np.unique(labels):
        faces = labels == label
        points = mesh.vertices[mesh.faces[faces].ravel()]
        if points[:, 2].min() > 1e-6 or np.ptp(points[:, :2], axis=0).max() > MAX_LEG_SIDE_M:
            continue
        x, y = points[:, :2].mean(axis=0) - centre
        legs[f"{'front' if sign * x > 0 else 'back'}_{'left' if y > 0 else 'right'}"] = faces
    return legs


def buttocks(example: AuthoredExample) -> np.ndarray:
    """The lowest point of the pelvis's skin in the middle of its contact frames: on the seat, under the body."""
    column = example.contact_bodies.index("pelvis")
    frames = np.flatnonzero(example.contact_labels[:, column])
    skin = example.body.placed(example.pelvis)[frames[len(frames) // 2]]
    pelvis = skin[example.body.mask("pelvis")]
    return pelvis[np.argmin(pelvis[:, 2])]


def broken_mesh(
    example: AuthoredExample, obj: BenchObject, errors: tuple[InjectedError, ...]
) -> tuple[trimesh.Trimesh, list[dict[str, Any]]]:
    """The object's world mesh with the shape errors (leg, bump, scale) applied; the errors' records, with what
    was measured on the geometry added (leg height, where the bump's top is)."""
    mesh = example.objects[0].mesh.copy()
    records = []
    for error in errors:
        extra: dict[str, Any] = {}
        if error.kind in ("missing_leg", "short_leg"):
            faces = leg_faces(mesh, front_sign(obj))[error.params["leg"]]
            extra["leg_height_m"] = round(float(mesh.vertices[mesh.faces[faces].ravel(), 2].max()), 4)
            mesh = without_faces(mesh, faces) if error.kind == "missing_leg" else shortened(mesh, faces, error)
        elif error.kind == "seat_bump":
            mesh, extra["top_m"] = with_bump(mesh, buttocks(example), error)
        elif error.kind == "object_scale":
            centre = np.array([*mesh.bounds[:, :2].mean(axis=0), 0.0])
            mesh.vertices = centre + (mesh.vertices - centre) * error.params["factor"]
        records.append({**error.to_json(), **extra})
    return mesh, records


def without_faces(mesh: trimesh.Trimesh, faces: np.ndarray) -> trimesh.Trimesh:
    kept = trimesh.Trimesh(mesh.vertices, mesh.faces[~faces], process=False)
    kept.remove_unreferenced_vertices()
    return kept


def shortened(mesh: trimesh.Trimesh, faces: np.ndarray, error: InjectedError) -> trimesh.Trimesh:
    """The leg's foot raised: its bottom vertices move up, the rest of the object stays."""
    vertices = mesh.vertices.copy()
    foot = np.unique(mesh.faces[faces].ravel())
    foot = foot[vertices[foot, 2] < 1e-6]
    vertices[foot, 2] += error.params["shortened_by_m"]
    return trimesh.Trimesh(vertices, mesh.faces, process=False)


def with_bump(mesh: trimesh.Trimesh, under_body: np.ndarray, error: InjectedError) -> tuple[trimesh.Trimesh, list]:
    """A square lump on the seat near the buttocks, sunk 2 cm into the seat as reconstructed parts overlap."""
    size, height = error.params["size_m"], error.params["height_m"]
    top = np.array([*(under_body[:2] + error.params["offset_from_buttocks_m"]), under_body[2] + height])
    depth = height + 0.02
    bump = trimesh.creation.box((size, size, depth), trimesh.transformations.translation_matrix(
        [top[0], top[1], top[2] - depth / 2]))  # fmt: skip
    return trimesh.util.concatenate([mesh, bump]), [round(float(v), 4) for v in top]


def misplace(scene: HSIScene, errors: tuple[InjectedError, ...]) -> None:
    """Apply the pose errors to the imported case: the object moved, turned or raised, the human lowered."""
    obj = scene.objects[0]
    for error in errors:
        if error.kind == "object_offset":
            obj.position = obj.position + np.asarray(error.params["offset_m"])
            turn = Rotation.from_euler("z", error.params["yaw_deg"], degrees=True)
            obj.orientation = (turn * Rotation.from_quat(obj.orientation)).as_quat()
        elif error.kind == "floating_object":
            obj.position = obj.position + [0.0, 0.0, error.params["height_m"]]
        elif error.kind == "body_sunk":
            drop = np.array([0.0, 0.0, -error.params["depth_m"]])
            scene.motion.transl = scene.motion.transl + drop
            if scene.motion.joints is not None:
                scene.motion.joints = scene.motion.joints + drop


def record(seed: int, group: GroupPlan, case: CasePlan, errors: list[dict[str, Any]], seen: dict) -> dict[str, Any]:
    """This script's provenance entry: who does what on which object, which errors were injected, the camera."""
    return {
        "step": "benchmark", "script": SCRIPT, "seed": seed, "synthetic": True, "interaction": group.interaction,
        "subject": group.subject.to_json(), "object": group.obj.to_json(), "errors": errors,
        "clean_case": group.cases[0].name if case.errors else None, "contact_labels": CONTACT_NOTE,
        "observations": seen,
    }  # fmt: skip


def index_row(group: GroupPlan, case: CasePlan) -> dict[str, Any]:
    return {
        "case": case.name, "interaction": group.interaction, "category": group.obj.category,
        "object": group.obj.name, "style": group.obj.style, "subject": group.subject.name,
        "errors": [error.kind for error in case.errors], "clean_case": group.cases[0].name if case.errors else None,
    }  # fmt: skip


def build_group(group: GroupPlan, seed: int, out: Path) -> int:
    """Author the clean interaction and write each of its cases into `out` through our importer; returns how
    many were written. The observation (what a camera saw of the clean object) is the same in all of them."""
    os.environ.pop(BODY_MODELS_ENV, None)  # always the shipped open body model, whatever the user has
    example = author(group)
    camera = CAMERAS[bucket(group.obj, group.interaction)]
    frame, observations = observe(example, camera)
    seen = {
        "frame": frame, "camera": camera.to_json(), "image_size_px": list(IMAGE_SIZE_PX), "focal_px": FOCAL_PX,
        "of": f"the object of {group.cases[0].name}, the person's skin in front (occluder_mask)",
    }  # fmt: skip
    observation = observations[example.objects[0].name]
    with tempfile.TemporaryDirectory() as work:
        motion = Path(work) / "raw" / "motion.npz"
        motion.parent.mkdir(parents=True)
        write_npz(motion, example.motion_arrays())
        for case in group.cases:
            mesh, errors = broken_mesh(example, group.obj, case.errors)
            raw = Path(work) / "raw" / case.name / f"{group.obj.name}.obj"
            raw.parent.mkdir(parents=True)
            mesh.export(raw)
            spec = ObjectSpec(path=raw, name=group.obj.name, category=group.obj.category)
            ingest(Path(work) / case.name, name=case.name, motion=motion, objects=[spec])
            scene = load_case(Path(work) / case.name)
            misplace(scene, case.errors)
            scene.objects[0].observation = f"observations/{group.obj.name}"
            observation.write(scene.root / scene.objects[0].observation)
            scene.provenance.append(record(seed, group, case, errors, seen))
            save_case(scene, out / case.name)
            for path in sorted((out / case.name).rglob("*.npz")):
                restamp_npz(path)
    return len(group.cases)


def build_all(groups: list[GroupPlan], seed: int, out: Path, jobs: int) -> None:
    """Build every group, in worker processes when `jobs` > 1 (the slowest, lying, first), with progress."""
    total = sum(len(group.cases) for group in groups)
    with tqdm(total=total, unit="case", desc="benchmark", disable=None) as progress:
        if jobs <= 1:
            for group in groups:
                progress.update(build_group(group, seed, out))
            return
        import multiprocessing

        ordered = sorted(groups, key=lambda group: group.interaction != "lie")
        context = multiprocessing.get_context("spawn")  # torch and Warp do not survive a fork
        with ProcessPoolExecutor(jobs, mp_context=context) as pool:
            for written in pool.map(build_group, ordered, [seed] * len(ordered), [out] * len(ordered)):
                progress.update(written)


def write_index(groups: list[GroupPlan], seed: int, out: Path) -> None:
    rows = [index_row(group, case) for group in groups for case in group.cases]
    index = {"script": SCRIPT, "seed": seed, "cases": rows}
    (out / "index.json").write_text(json.dumps(index, indent=2) + "\n", encoding="utf-8")


def refuse_existing(out: Path) -> bool:
    """Whether `out` exists (empty: it is replaced); a file or a non-empty folder ends the script with a message."""
    if not out.exists():
        return False
    if not out.is_dir() or any(out.iterdir()):
        sys.exit(f"make_benchmark: {out} already exists and is not an empty folder; choose a new --out")
    return True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--cases", type=int, default=HSIBENCH_CASES, help="number of cases (default 300)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    args = parser.parse_args(argv)
    if args.cases < 1:
        parser.error("--cases must be at least 1")
    os.environ.pop(BODY_MODELS_ENV, None)
    start = time.perf_counter()
    groups = plan(args.cases, args.seed)
    empty = refuse_existing(args.out)
    with atomic_output_dir(args.out, overwrite=empty) as stage:
        build_all(groups, args.seed, stage, args.jobs)
        write_index(groups, args.seed, stage)
    count = sum(len(group.cases) for group in groups)
    print(f"wrote {count} cases ({len(groups)} clean) to {args.out} in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
