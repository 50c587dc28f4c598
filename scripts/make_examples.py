"""Make `examples/` from our own authored data only: synthetic human-scene interactions, clean and with errors.

Four interactions are authored on the shipped open body model (betas = 0) around procedural furniture
(`example_motions.py`, `example_furniture.py`): sit on a chair, sit in an armchair, lie on a sofa, lean on a
table. Each is written as raw inputs (a generic SMPL `.npz`, one `.obj` per object placed in the world) and
brought in with our importer (`hsimul3r_ext.ingest.ingest_case`) as `<name>_clean`; `<name>` is the same case with
reconstruction-like errors injected (objects shifted and turned, the human too low or too high), recorded in
its provenance. `sit_chair_missing_leg` has sit_chair's errors and a chair that lost a leg (it falls over:
Type 1). `raw/sit_chair/` keeps the chair example's raw inputs, which the ingest tests and docs use.
Every object of every case has an observation (`observations/<object>/`): what a camera saw of the true (clean)
object, with the person's skin in front of it, at the middle of the contact frames (`CAMERAS`).
Deterministic: re-running gives identical files.

    python scripts/make_examples.py [--out examples]
"""

from __future__ import annotations

import argparse
import copy
import os
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import example_motions
import numpy as np
import trimesh
from example_furniture import LEG_NAMES
from example_motions import AuthoredExample
from scipy.spatial.transform import Rotation

from hsimul3r_ext.body.model_files import BODY_MODELS_ENV
from hsimul3r_ext.hsi.case_io import load_case, save_case
from hsimul3r_ext.hsi.observation import Observation, PinholeCamera
from hsimul3r_ext.hsi.scene import HSIScene
from hsimul3r_ext.ingest.importers.meshes import ObjectSpec
from hsimul3r_ext.ingest.ingest_case import ingest
from hsimul3r_ext.kernels.raycast import look_at, render

SCRIPT = "scripts/make_examples.py"
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # numpy stamps .npz members with the current time; a fixed stamp keeps bytes equal
MISSING_LEG = "back_left"  # behind the seat, on the backrest's side: the chair tips over backwards


@dataclass(frozen=True)
class InjectedErrors:
    """Reconstruction-like errors: each object shifted (m) and turned about its base centre (deg), the human
    shifted (m) in every frame."""

    objects: dict[str, tuple[tuple[float, float, float], float]]  # name -> (offset_m, yaw_deg)
    human_offset_m: tuple[float, float, float]

    def to_json(self) -> dict:
        return {
            "objects": {
                name: {"offset_m": list(offset), "yaw_deg": yaw, "about": "object origin (base centre)"}
                for name, (offset, yaw) in self.objects.items()
            },
            "human_offset_m": list(self.human_offset_m),
        }


# Objects 5-10 cm off and turned by at most 5 deg; the person 2.5-3.5 cm into the seat (3 cm too high at the
# table). The chair goes back, so the upper back loses the backrest: alignment must close a real gap.
ERRORS = {
    "sit_chair": InjectedErrors({"chair": ((-0.08, 0.03, 0.0), 3.0)}, (0.0, 0.0, -0.03)),
    "sit_armchair": InjectedErrors({"armchair": ((0.06, -0.04, 0.0), -4.0)}, (0.0, 0.0, -0.025)),
    "lie_sofa": InjectedErrors({"sofa": ((0.06, 0.05, 0.0), 2.0)}, (0.0, 0.0, -0.035)),
    "lean_table": InjectedErrors({"table": ((0.07, -0.04, 0.0), -3.0)}, (0.0, 0.0, 0.03)),
}


@dataclass(frozen=True)
class ObservingCamera:
    """Where the camera that saw an example stood: around the object's bounding-box centre, looking at it."""

    azimuth_deg: float  # from +X (where the person faces at the start) towards +Y (the person's left)
    elevation_deg: float  # above the horizontal
    distance_m: float
    hides: str  # what the person hides of the object in this view (measured, see examples/README.md)

    def pinhole(self, target: np.ndarray) -> PinholeCamera:
        azimuth, elevation = np.radians(self.azimuth_deg), np.radians(self.elevation_deg)
        direction = np.array(
            [np.cos(elevation) * np.cos(azimuth), np.cos(elevation) * np.sin(azimuth), np.sin(elevation)]
        )
        width, height = IMAGE_SIZE_PX
        pose = look_at(target + self.distance_m * direction, target)
        return PinholeCamera(FOCAL_PX, FOCAL_PX, width / 2, height / 2, width, height, pose)

    def to_json(self) -> dict:
        return {
            "azimuth_deg": self.azimuth_deg, "elevation_deg": self.elevation_deg, "distance_m": self.distance_m,
            "looking_at": "the object's bounding-box centre", "hides": self.hides,
        }  # fmt: skip


IMAGE_SIZE_PX = (160, 120)
FOCAL_PX = 150.0
# Front-left / front-right of the person, 20 deg up; at the table the camera stands behind the person (from the
# front the table is in front of the person, who then hides almost nothing of it).
CAMERAS = {
    "sit_chair": ObservingCamera(50.0, 20.0, 2.75, "two thirds of the backrest, the middle of the seat and a third "
                                 "of the front-right leg (torso, thighs and shins in front of them)"),
    "sit_armchair": ObservingCamera(-40.0, 20.0, 2.75, "most of the backrest and seat cushion and the inner face of "
                                    "the left armrest"),
    "lie_sofa": ObservingCamera(30.0, 20.0, 3.0, "a strip of the seat and the backrest along the lying body and "
                                "part of the arm at the feet"),
    "lean_table": ObservingCamera(150.0, 20.0, 2.75, "the far-right leg, a third of the near-right leg and of the "
                                  "top (behind-left of the person: legs, hips and arms)"),
}  # fmt: skip


def observe(example: AuthoredExample, camera: ObservingCamera) -> tuple[int, dict[str, Observation]]:
    """The contact frame seen (the middle of the frames with any contact label) and, per object, what the camera
    saw there of the example's objects with the person's skin in front: mask and z-depth where the object is the
    first surface hit, the occluder mask where the person is."""
    frames = np.flatnonzero(example.contact_labels.any(axis=1))
    frame = int(frames[len(frames) // 2])
    skin = example.body.placed(example.pelvis)[frame]
    meshes = [obj.mesh for obj in example.objects]
    vertices = np.vstack([*(mesh.vertices for mesh in meshes), skin])
    offsets = np.cumsum([0, *(len(mesh.vertices) for mesh in meshes)])
    faces = np.vstack([*(mesh.faces + offset for mesh, offset in zip(meshes, offsets, strict=False)),
                       example.body.faces + offsets[-1]])  # fmt: skip
    first_face = np.cumsum([0, *(len(mesh.faces) for mesh in meshes)])
    observations = {}
    for index, (obj, mesh) in enumerate(zip(example.objects, meshes, strict=True)):
        pinhole = camera.pinhole(mesh.bounds.mean(axis=0))
        depth, face = render(vertices, faces, pinhole)
        mask = (face >= first_face[index]) & (face < first_face[index + 1])
        person = face >= first_face[-1]
        observations[obj.name] = Observation(pinhole, mask, np.where(mask, depth, 0.0), person)
    return frame, observations


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    """A compressed .npz whose bytes depend on the arrays only."""
    np.savez_compressed(path, **arrays)
    restamp_npz(path)


def restamp_npz(path: Path) -> None:
    """Rewrite an .npz (a zip) with fixed member timestamps so that equal arrays give equal bytes."""
    with zipfile.ZipFile(path) as source:
        members = [(info, source.read(info)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w") as target:
        for info, data in members:
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            target.writestr(fixed, data)


def scene_points(mesh: trimesh.Trimesh, count: int = 4000) -> tuple[np.ndarray, np.ndarray]:
    """Noisy surface samples of the object plus a floor patch around it, coloured, as a multi-view method returns."""
    rng = np.random.default_rng(7)
    on_object, _ = trimesh.sample.sample_surface(mesh, count // 2, seed=7)
    low, high = mesh.bounds[0, :2] - 0.6, mesh.bounds[1, :2] + 0.6
    floor = np.column_stack([rng.uniform(low, high, (count // 2, 2)), np.zeros(count // 2)])
    points = np.vstack([on_object, floor]) + rng.normal(0, 0.004, (count, 3))
    colors = np.vstack([np.tile([150, 90, 40], (count // 2, 1)), np.tile([180, 180, 180], (count // 2, 1))])
    return points.astype(np.float32), colors.astype(np.uint8)


def write_raw_inputs(example: AuthoredExample, folder: Path, motion_name: str, with_points: bool) -> dict:
    """The files a capture pipeline would hand us; returns the ingest arguments."""
    folder.mkdir(parents=True, exist_ok=True)
    motion = folder / f"{motion_name}.npz"
    write_npz(motion, example.motion_arrays())
    objects = []
    for obj in example.objects:
        path = folder / f"{obj.name}.obj"
        obj.mesh.export(path)
        objects.append(ObjectSpec(path=path, name=obj.name, category=obj.category))
    clouds = []
    if with_points:
        points, colors = scene_points(trimesh.util.concatenate([obj.mesh for obj in example.objects]))
        write_npz(folder / "scene_points.npz", {"points": points, "colors": colors})
        clouds.append((folder / "scene_points.npz", 1.0, "z"))
    return {"motion": motion, "objects": objects, "point_clouds": clouds}


def record(clean_case: str | None, errors: InjectedErrors | None, notes: list[str], observations: dict) -> dict:
    """The provenance entry of this script: synthetic data, which clean case it derives from, what was injected,
    how the observations were made."""
    return {
        "step": "make_examples",
        "script": SCRIPT,
        "synthetic": True,
        "body_model": "shipped open SMPL-compatible model, betas 0",
        "contact_labels": f"skin within {example_motions.CONTACT_DISTANCE_M} m of the object in the clean geometry",
        "clean_case": clean_case,
        "injected_errors": None if errors is None else errors.to_json(),
        "notes": notes,
        "observations": observations,
    }


def with_errors(scene: HSIScene, name: str, errors: InjectedErrors) -> HSIScene:
    """A copy of the clean scene with the objects and the human moved as a misplaced reconstruction has them."""
    broken = copy.deepcopy(scene)
    broken.name = name
    offset = np.asarray(errors.human_offset_m)
    broken.motion.transl = broken.motion.transl + offset
    if broken.motion.joints is not None:
        broken.motion.joints = broken.motion.joints + offset
    for obj_name, (object_offset, yaw_deg) in errors.objects.items():
        obj = broken.object(obj_name)
        obj.position = obj.position + np.asarray(object_offset)
        obj.orientation = (
            Rotation.from_euler("z", yaw_deg, degrees=True) * Rotation.from_quat(obj.orientation)
        ).as_quat()
    return broken


def make_case(
    example: AuthoredExample,
    raw_folder: Path,
    staging: Path,
    out: Path,
    name: str,
    errors: InjectedErrors,
    camera: ObservingCamera,
    clean_reference: str | None = None,
    truth: AuthoredExample | None = None,
    motion_name: str = "motion",
    with_points: bool = False,
    notes: tuple[str, ...] = (),
) -> None:
    """Ingest the raw inputs, give each object the observation `camera` made of `truth` (the real scene: by
    default `example`); save the clean case `<name>_clean` (unless `clean_reference` names another one) and
    `<name>` with the errors injected (the observations stay: the camera is in the world frame)."""
    inputs = write_raw_inputs(example, raw_folder, motion_name, with_points)
    ingest(staging / name, name=name, **inputs)
    imported = load_case(staging / name)
    frame, observations = observe(truth or example, camera)
    for obj in imported.objects:
        obj.observation = f"observations/{obj.name}"
        observations[obj.name].write(imported.root / obj.observation)
    seen = {
        "frame": frame, "camera": camera.to_json(), "image_size_px": list(IMAGE_SIZE_PX), "focal_px": FOCAL_PX,
        "of": f"the objects of {clean_reference or f'{name}_clean'}, the person's skin in front (occluder_mask)",
    }  # fmt: skip
    if clean_reference is None:
        clean = copy.deepcopy(imported)
        clean.name = f"{name}_clean"
        clean.provenance.append(record(None, None, list(notes), seen))
        save_case(clean, out / clean.name, overwrite=True)
    broken = with_errors(imported, name, errors)
    broken.provenance.append(record(clean_reference or f"{name}_clean", errors, list(notes), seen))
    save_case(broken, out / name, overwrite=True)
    written = [out / name] if clean_reference else [out / name, out / f"{name}_clean"]
    for path in (path for case in written for path in sorted(case.rglob("*.npz"))):
        restamp_npz(path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "examples")
    args = parser.parse_args(argv)
    os.environ.pop(BODY_MODELS_ENV, None)  # always the shipped open body model, whatever the user has
    start = time.perf_counter()
    out: Path = args.out
    with tempfile.TemporaryDirectory() as work:
        staging = Path(work)
        sit = example_motions.sit_chair()
        make_case(
            sit, out / "raw" / "sit_chair", staging, out, "sit_chair", ERRORS["sit_chair"], CAMERAS["sit_chair"],
            motion_name="sit_down", with_points=True,
        )  # fmt: skip
        for name, author in (
            ("sit_armchair", example_motions.sit_armchair),
            ("lie_sofa", example_motions.lie_sofa),
            ("lean_table", example_motions.lean_table),
        ):
            make_case(author(), staging / "raw" / name, staging, out, name, ERRORS[name], CAMERAS[name])
        three_legged = example_motions.sit_chair(tuple(leg for leg in LEG_NAMES if leg != MISSING_LEG))
        make_case(
            three_legged, staging / "raw" / "sit_chair_missing_leg", staging, out, "sit_chair_missing_leg",
            ERRORS["sit_chair"], CAMERAS["sit_chair"], clean_reference="sit_chair_clean", truth=sit,
            notes=(f"the chair lost its {MISSING_LEG} leg; its observation shows the four-legged chair",),
        )  # fmt: skip
    print(f"wrote {out} in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
