"""Everything a case's humanoid leaves in an output folder: USD, MJCF, its motion, its skin, a JSON summary.

`humanoid_motion.npz` uses BeyondMimic's key names (`joint_pos`, `body_pos_w`, `body_quat_w`, ...) with
quaternions (x, y, z, w) and says so in `quat_order`, so tracking pipelines and our own importer read it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from pxr import Gf, Usd, UsdGeom, Vt
from scipy.spatial.transform import Rotation

from ..body.case_humanoid import CaseHumanoid, humanoid_config, humanoid_for_case
from ..body.humanoid import HumanoidSpec
from ..body.humanoid_config import HumanoidConfig
from ..body.humanoid_motion import humanoid_forward_kinematics
from ..hsi.motion import per_second
from ..hsi.scene import HSIScene
from ..hsi.smpl_layout import SMPL_JOINT_NAMES
from .humanoid_mjcf import humanoid_mjcf_start, write_humanoid_mjcf
from .humanoid_usd import write_humanoid_usd
from .scene_humanoid import MjcfStart, SceneHumanoid

HUMANOID_USD = "humanoid.usda"
HUMANOID_MJCF = "humanoid.xml"
HUMANOID_MOTION = "humanoid_motion.npz"
HUMANOID_JSON = "humanoid.json"
HUMANOID_SKIN = "humanoid_skin.npz"  # the skinned body surface the judge measures penetration with


def write_humanoid_files(humanoid: CaseHumanoid, folder: Path) -> SceneHumanoid:
    """Write the humanoid's files into `folder` and describe them for the scene writers."""
    spec, motion = humanoid.spec, humanoid.motion
    write_humanoid_usd(spec, folder / HUMANOID_USD)
    body_pos, body_quat = humanoid_forward_kinematics(
        spec.rest_joints, motion.root_pos, motion.root_quat, motion.dof_pos, spec.hinge_orders
    )
    arrays = _motion_arrays(spec, humanoid, body_pos, body_quat)
    np.savez_compressed(folder / HUMANOID_MOTION, **arrays)
    write_humanoid_mjcf(
        spec, folder / HUMANOID_MJCF, with_ground=False, root_pose=(arrays["root_pos_w"][0], arrays["root_quat_w"][0])
    )
    spec.skin.save(folder / HUMANOID_SKIN)
    (folder / HUMANOID_JSON).write_text(json.dumps(_summary(humanoid), indent=2) + "\n", encoding="utf-8")
    return SceneHumanoid(
        usd_file=Path(HUMANOID_USD), mjcf_file=Path(HUMANOID_MJCF), fps=motion.fps, num_frames=len(motion.dof_pos),
        author_reference_motion=partial(author_reference_motion, spec, body_pos, body_quat),
        mjcf_start=_mjcf_start(spec, arrays),
    )  # fmt: skip


def humanoid_builder(
    models_dir: str | Path | None = None, overrides: Sequence[str] = (), config: HumanoidConfig | None = None
) -> Callable[[HSIScene, Path], SceneHumanoid | None]:
    """The `build_humanoid` hook of `convert_case`: the case's humanoid when it has a motion.

    `config` (already loaded) wins over `overrides` (applied to `config/humanoid`)."""
    config = config or humanoid_config(overrides)

    def build(scene: HSIScene, folder: Path) -> SceneHumanoid | None:
        if scene.motion is None:
            return None
        return write_humanoid_files(humanoid_for_case(scene, models_dir, config), folder)

    return build


def author_reference_motion(spec: HumanoidSpec, body_pos: np.ndarray, body_quat: np.ndarray, prim: Usd.Prim) -> None:
    """A visual-only copy of the body under `prim/Reference`, moving as recorded (time code = frame).

    No physics schemas: it is what the capture says happened, to compare with what the simulator does.
    """
    stage = prim.GetStage()
    ghost = UsdGeom.Xform.Define(stage, prim.GetPath().AppendChild("Reference"))
    ghost.CreatePurposeAttr().Set(UsdGeom.Tokens.default_)
    for index, body in enumerate(spec.bodies):
        if body.visual is None or not len(body.visual.faces):
            continue
        xform = UsdGeom.Xform.Define(stage, ghost.GetPath().AppendChild(body.name))
        translate, orient = xform.AddTranslateOp(), xform.AddOrientOp()
        for frame in range(len(body_pos)):
            x, y, z, w = body_quat[frame, index]
            translate.Set(Gf.Vec3d(*body_pos[frame, index]), float(frame))
            orient.Set(Gf.Quatf(float(w), float(x), float(y), float(z)), float(frame))
        mesh = UsdGeom.Mesh.Define(stage, xform.GetPath().AppendChild("visual"))
        mesh.CreatePointsAttr().Set(Vt.Vec3fArray.FromNumpy(np.asarray(body.visual.vertices, dtype=np.float32)))
        mesh.CreateFaceVertexCountsAttr().Set(Vt.IntArray([3] * len(body.visual.faces)))
        mesh.CreateFaceVertexIndicesAttr().Set(Vt.IntArray.FromNumpy(body.visual.faces.astype(np.int32).reshape(-1)))
        mesh.CreateDisplayColorAttr().Set(Vt.Vec3fArray([Gf.Vec3f(0.35, 0.55, 0.95)]))
        mesh.CreateDisplayOpacityAttr().Set(Vt.FloatArray([0.4]))
    stage.SetStartTimeCode(0.0)
    stage.SetEndTimeCode(float(len(body_pos) - 1))


def _mjcf_start(spec: HumanoidSpec, arrays: dict[str, np.ndarray]) -> MjcfStart:
    """The first frame as written to `humanoid_motion.npz`, so the keyframe and the file agree exactly."""
    return humanoid_mjcf_start(
        spec, arrays["root_pos_w"][0], arrays["root_quat_w"][0], arrays["body_lin_vel_w"][0, 0],
        arrays["body_ang_vel_w"][0, 0], arrays["joint_pos"][0], arrays["joint_vel"][0],
    )  # fmt: skip


def _motion_arrays(
    spec: HumanoidSpec, humanoid: CaseHumanoid, body_pos: np.ndarray, body_quat: np.ndarray
) -> dict[str, np.ndarray]:
    motion = humanoid.motion
    rotations = Rotation.from_quat(body_quat.reshape(-1, 4))
    frames, bodies = body_pos.shape[:2]
    after = Rotation.from_quat(np.concatenate([body_quat[1:], body_quat[-1:]]).reshape(-1, 4))
    angular = (after * rotations.inv()).as_rotvec().reshape(frames, bodies, 3) * motion.fps
    return {
        "fps": np.array(motion.fps),
        "quat_order": np.array("xyzw"),
        "joint_names": np.array(spec.dof_names),
        "body_names": np.array(SMPL_JOINT_NAMES),
        "hinge_orders": np.array(spec.hinge_orders),
        "pelvis_rest": np.asarray(humanoid.pelvis_rest, dtype=np.float64),  # SMPL transl = pelvis - pelvis_rest
        "joint_pos": motion.dof_pos.astype(np.float32),
        "joint_vel": per_second(motion.dof_pos, motion.fps).astype(np.float32),
        "root_pos_w": motion.root_pos.astype(np.float32),
        "root_quat_w": motion.root_quat.astype(np.float32),
        "body_pos_w": body_pos.astype(np.float32),
        "body_quat_w": body_quat.astype(np.float32),
        "body_lin_vel_w": per_second(body_pos, motion.fps).astype(np.float32),
        "body_ang_vel_w": angular.astype(np.float32),
    }


def _summary(humanoid: CaseHumanoid) -> dict[str, Any]:
    spec = humanoid.spec
    return {
        "body_model": spec.source,
        "notes": humanoid.notes,
        "betas": [float(b) for b in spec.betas],
        "total_mass_kg": spec.total_mass,
        "body_volume_mass_kg": spec.body_mesh_volume * 1000.0,
        "pelvis_height_m": spec.pelvis_height,
        "bodies": [
            {
                "name": b.name,
                "mass_kg": b.mass,
                "com_m": [float(v) for v in b.com],
                "collision": "capsule" if b.capsule is not None else "convex",
                "contact_body": b.name in spec.contact_bodies,
            }
            for b in spec.bodies
        ],
        "joints": [
            {
                "body": j.body,
                "order": j.order,
                "dofs": j.dof_names(),
                "limits_deg": np.degrees(np.stack([j.lower, j.upper], axis=1))[j.axes].round(3).tolist(),
                "stiffness": j.stiffness[j.axes].tolist(),
                "damping": j.damping[j.axes].tolist(),
                "effort": j.effort[j.axes].tolist(),
            }
            for j in spec.joints
        ],
        "armature": spec.armature,
        "filtered_pairs": [list(pair) for pair in spec.filtered_pairs],
        "motion": {"fps": humanoid.motion.fps, "num_frames": len(humanoid.motion.dof_pos), "file": HUMANOID_MOTION},
    }
