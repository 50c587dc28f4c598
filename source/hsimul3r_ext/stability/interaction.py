"""Types 2-4: the humanoid performs the case motion among dynamic objects; what happens to each object.

Modes. `kinematic`: before every step the humanoid's joint coordinates and velocities are overwritten with
the reference (interpolated), so it moves exactly as recorded while MuJoCo resolves its contacts with the
objects from a body that has its real masses; objects feel the person's weight and momentum, not an
infinitely heavy pusher. (Newton's kinematic body flag only applies to root bodies, and the humanoid is
one articulation.) `pd`: joint PD targets from the motion plus a bounded PHC-style residual wrench on the
pelvis toward the reference root trajectory; its size is reported as the assist effort.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import newton
import numpy as np
from scipy.spatial.transform import Rotation, Slerp

from ..hsi.errors import CaseError
from ..kernels.mesh_distance import MeshDistance
from .config import JudgeConfig
from .metrics import ObjectTrack, StabilityVerdict, judge_stability
from .report import COLLIDERS, RIGID_PIECES, SKIN
from .scene import ConvertedScene, JudgedHumanoid, JudgedObject
from .simulation import TrackRecorder, add_object, grounded_position, make_solver, record_every, static_track

GRAVITY = 9.81


@dataclass
class ObjectInteraction:
    name: str
    track: ObjectTrack
    verdict: StabilityVerdict
    poses: np.ndarray  # (F, 7) object origin pose per sample, for the recording
    intended: np.ndarray  # (F,) bool: the motion says the human touches this object
    touching: np.ndarray  # (F, B) bool: simulated contact per human body
    penetration_mm: np.ndarray  # (F,) deepest human surface vertex inside the object

    @property
    def contact_ratio(self) -> float:
        """Share of the intended contact frames in which some human body really touched the object."""
        count = int(self.intended.sum())
        return float((self.intended & self.touching.any(axis=1)).sum() / count) if count else 0.0

    def to_json(self, body_names: list[str]) -> dict:
        in_motion = self.intended | self.touching.any(axis=1)
        return {
            **self.verdict.to_json(),
            "contact_ratio": self.contact_ratio,
            "intended_contact_frames": int(self.intended.sum()),
            "touching_bodies": [body_names[b] for b in np.flatnonzero(self.touching.any(axis=0))],
            "max_penetration_mm": float(self.penetration_mm.max(initial=0.0)),
            "mean_penetration_mm_in_contact": float(self.penetration_mm[in_motion].mean()) if in_motion.any() else 0.0,
        }


@dataclass
class InteractionResult:
    mode: str
    time: np.ndarray  # (F,) sample times
    motion_samples: int  # samples [0, motion_samples) are during the motion, the rest while settling
    objects: list[ObjectInteraction]
    body_names: list[str]
    body_poses: np.ndarray  # (F, B, 7) simulated humanoid body poses
    body_error_m: np.ndarray  # (F,) mean body position error vs the reference
    assist_force_n: np.ndarray  # (F,) |residual force| on the pelvis (0 in kinematic mode)
    weight_n: float
    fell: bool
    seconds: float
    penetration_surface: str  # SKIN or RIGID_PIECES: which human surface the penetration was measured on

    def human_json(self) -> dict:
        motion = slice(0, self.motion_samples)
        return {
            "mpjpe_mm": float(self.body_error_m[motion].mean() * 1000.0),
            "fell": self.fell,
            "assist_effort": float(self.assist_force_n[motion].mean() / self.weight_n),
            "assist_effort_max": float(self.assist_force_n.max(initial=0.0) / self.weight_n),
            "assist_effort_unit": "mean |residual pelvis force| / body weight",
            "penetration_surface": self.penetration_surface,
            "wall_seconds": self.seconds,
        }


class _Reference:
    """The motion sampled at any time: joint angles interpolated, the root slerped, the end held."""

    def __init__(self, humanoid: JudgedHumanoid) -> None:
        self.h = humanoid
        self.frames = len(humanoid.joint_pos)
        self.duration = (self.frames - 1) / humanoid.fps
        quats = humanoid.root_quat if self.frames > 1 else np.repeat(humanoid.root_quat, 2, axis=0)  # one instant
        self._slerp = Slerp(np.arange(len(quats)), Rotation.from_quat(quats))

    def at(self, t: float, hold: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Root position, root xyzw, joint angles, root linear and angular velocity, joint velocities."""
        x = float(np.clip(t * self.h.fps, 0, self.frames - 1))
        i = max(0, min(int(x), self.frames - 2))
        a, j = x - i, min(i + 1, self.frames - 1)  # a one-frame motion holds its one pose
        lerp = lambda v: (1 - a) * v[i] + a * v[j]  # noqa: E731
        quat = self._slerp([x]).as_quat()[0]
        if hold:
            still = np.zeros(self.h.joint_pos.shape[1])
            return lerp(self.h.root_pos), quat, lerp(self.h.joint_pos), np.zeros(3), np.zeros(3), still
        root_vel = (self.h.root_pos[j] - self.h.root_pos[i]) * self.h.fps
        return (
            lerp(self.h.root_pos),
            quat,
            lerp(self.h.joint_pos),
            root_vel,
            lerp(self.h.body_ang_vel[:, 0]),
            lerp(self.h.joint_vel),
        )


def interaction_test(scene: ConvertedScene, config: JudgeConfig, mode: str) -> InteractionResult:
    """Run the motion with every object dynamic and measure objects, contacts and tracking."""
    if mode not in ("kinematic", "pd"):
        raise CaseError(
            scene.folder, "mode", f"the interaction test drives the humanoid kinematically or by PD, not {mode!r} "
            "(a policy is judged on its rollout: hsimul3r_ext.pipeline.policy_judge.judge_policy)",
        )  # fmt: skip
    humanoid = scene.humanoid
    if humanoid is None:
        raise CaseError(scene.folder / "convert.json", "humanoid", "the converted scene has no humanoid to run")
    start = time.perf_counter()
    builder = newton.ModelBuilder()
    builder.add_ground_plane()
    first = builder.body_count
    builder.add_usd(str(humanoid.usd_file), floating=True, load_visual_shapes=False)
    human_bodies = list(range(first, builder.body_count))
    names = [builder.body_label[b].split("/")[-1] for b in human_bodies]
    placed = [grounded_position(obj, config.gravity.max_ground_gap_m) for obj in scene.objects]
    object_bodies = [add_object(builder, obj, pos) for obj, (pos, _) in zip(scene.objects, placed, strict=True)]
    dof_order = _dof_permutation(builder, humanoid.dof_names)
    model = builder.finalize(device="cpu")
    root_joint = builder.joint_child.index(first)
    root_q, root_qd = int(model.joint_q_start.numpy()[root_joint]), int(model.joint_qd_start.numpy()[root_joint])
    reference = _Reference(humanoid)
    solver = make_solver(model, config)
    state, next_state, control = model.state(), model.state(), model.control()
    joint_q, joint_qd = model.joint_q.numpy(), model.joint_qd.numpy()
    pelvis = human_bodies[names.index("pelvis")]
    pelvis_com = model.body_com.numpy()[pelvis].astype(np.float64)
    weight = float(model.body_mass.numpy()[human_bodies].sum()) * GRAVITY
    _set_human(joint_q, joint_qd, root_q, root_qd, dof_order, reference.at(0.0, False), pelvis_com)
    state.joint_q.assign(joint_q)
    state.joint_qd.assign(joint_qd)
    newton.eval_fk(model, state.joint_q, state.joint_qd, state)
    dynamic = [b for b in object_bodies if b >= 0]
    recorder = TrackRecorder(model, dynamic)
    human_set = {b: k for k, b in enumerate(human_bodies)}
    object_index = {b: k for k, b in enumerate(object_bodies) if b >= 0}
    body_map = solver.mjc_body_to_newton.numpy()[0] if solver.mjc_body_to_newton is not None else None
    touching: list[np.ndarray] = []
    assist: list[float] = []
    steps_motion = round(reference.duration / config.sim_dt)
    steps = steps_motion + round(config.interaction.settle_seconds / config.sim_dt)
    every, force = record_every(config), 0.0
    gains = config.interaction
    body_f = np.zeros((model.body_count, 6), np.float32)
    # Position targets follow the coordinate layout (the free root has 7 entries) or the DOF layout (6).
    hinge_targets = root_q + 7 if model.use_coord_layout_targets else root_qd + 6
    for step in range(steps + 1):
        t, hold = step * config.sim_dt, step > steps_motion
        target = reference.at(t, hold)
        if mode == "kinematic":
            joint_q, joint_qd = state.joint_q.numpy(), state.joint_qd.numpy()
            _set_human(joint_q, joint_qd, root_q, root_qd, dof_order, target, pelvis_com)
            state.joint_q.assign(joint_q)
            state.joint_qd.assign(joint_qd)
        else:
            targets = control.joint_target_q.numpy()
            targets[hinge_targets : hinge_targets + len(dof_order)] = target[2][dof_order]
            control.joint_target_q.assign(targets)
            wrench = _assist_wrench(state, pelvis, pelvis_com, target, gains, weight)
            body_f[pelvis] = wrench
            state.body_f.assign(body_f)
            force = float(np.linalg.norm(wrench[:3]))
        if step % every == 0 or step == steps:
            recorder.sample(t, state)
            touching.append(
                _contacts(
                    solver,
                    body_map,
                    human_set,
                    object_index,
                    len(scene.objects),
                    len(names),
                    config.interaction.contact_distance_m,
                )
            )
            assist.append(force)
        if step < steps:
            solver.step(state, next_state, control, None, config.sim_dt)
            state, next_state = next_state, state
    times = np.asarray(recorder.time)
    motion_samples = int((times <= reference.duration + 1e-9).sum())
    body_poses = np.stack([np.stack([q[b] for b in human_bodies]) for q in recorder.body_q])
    ref_index = np.minimum(np.round(times * humanoid.fps).astype(int), reference.frames - 1)
    ref_order = [humanoid.body_names.index(n) for n in names]
    ref_pos = humanoid.body_pos[ref_index][:, ref_order]
    body_error = np.linalg.norm(body_poses[:, :, :3] - ref_pos, axis=2).mean(axis=1)
    contact_sheet = np.stack(touching)  # (F, objects, B)
    intended = _intended_contact(scene, ref_index, motion_samples, placed, config)
    surface_kind, surface = _human_surface(humanoid, names)
    results = []
    for k, (obj, body, (position, _)) in enumerate(zip(scene.objects, object_bodies, placed, strict=True)):
        if body < 0:
            track = static_track(obj, position, times)
            poses = np.tile(np.concatenate([position, obj.orientation]), (len(times), 1))
        else:
            track, poses = recorder.track(dynamic.index(body)), recorder.poses(body)
        penetration = _penetration_mm(obj, poses, body_poses, surface)
        results.append(
            ObjectInteraction(
                obj.name,
                track,
                judge_stability(track, config.stable),
                poses,
                intended[:, k],
                contact_sheet[:, k],
                penetration,
            )
        )
    return InteractionResult(
        mode=mode,
        time=times,
        motion_samples=motion_samples,
        objects=results,
        body_names=names,
        body_poses=body_poses,
        body_error_m=body_error,
        assist_force_n=np.asarray(assist),
        weight_n=weight,
        fell=bool((body_error > config.interaction.fall_error_m).any()),
        seconds=time.perf_counter() - start,
        penetration_surface=surface_kind,
    )


def _dof_permutation(builder: newton.ModelBuilder, dof_names: list[str]) -> np.ndarray:
    """Our DOF index for each of the articulation's hinge DOFs in Newton's order. A robot's joints are labelled
    by their names; the SMPL humanoid's by prim path `<body>_<hinge>_<axis>`, merged per body in path order."""
    order = []
    for label in builder.joint_label:
        name = label.split("/")[-1]
        if name in dof_names:
            order.append(dof_names.index(name))
            continue
        parts = name.rsplit("_", 2)
        if len(parts) == 3 and parts[1] == "0" and f"{parts[0]}_{parts[2]}" in dof_names:
            first = dof_names.index(f"{parts[0]}_{parts[2]}")
            order.extend(range(first, first + 3))
    return np.asarray(order)


def _set_human(joint_q, joint_qd, root_q, root_qd, dof_order, target, pelvis_com) -> None:
    """Write the reference into Newton's coordinates: free root (velocity at the COM, world) + hinges."""
    position, quat, angles, lin_vel, ang_vel, velocities = target
    joint_q[root_q : root_q + 7] = np.concatenate([position, quat])
    joint_q[root_q + 7 : root_q + 7 + len(dof_order)] = angles[dof_order]
    com_offset = Rotation.from_quat(quat).apply(pelvis_com)
    joint_qd[root_qd : root_qd + 6] = np.concatenate([lin_vel + np.cross(ang_vel, com_offset), ang_vel])
    joint_qd[root_qd + 6 : root_qd + 6 + len(dof_order)] = velocities[dof_order]


def _assist_wrench(state, pelvis: int, pelvis_com, target, gains, weight: float) -> np.ndarray:
    """Bounded PD wrench (world, at the pelvis COM) pulling the pelvis toward the reference root."""
    q, qd = state.body_q.numpy()[pelvis].astype(np.float64), state.body_qd.numpy()[pelvis].astype(np.float64)
    position, quat, _, lin_vel, ang_vel, _ = target
    com_ref = position + Rotation.from_quat(quat).apply(pelvis_com)
    com = q[:3] + Rotation.from_quat(q[3:]).apply(pelvis_com)
    force = gains.assist_stiffness * (com_ref - com) + gains.assist_damping * (lin_vel - qd[:3])
    force *= min(1.0, gains.assist_max_force_body_weights * weight / max(np.linalg.norm(force), 1e-9))
    error = (Rotation.from_quat(quat) * Rotation.from_quat(q[3:]).inv()).as_rotvec()
    torque = gains.assist_torque_stiffness * error + gains.assist_torque_damping * (ang_vel - qd[3:])
    torque *= min(1.0, gains.assist_max_torque_nm / max(np.linalg.norm(torque), 1e-9))
    return np.concatenate([force, torque]).astype(np.float32)


def _contacts(solver, body_map, human_set, object_index, object_count, body_count, max_distance) -> np.ndarray:
    """(objects, human bodies) bool: MuJoCo contacts closer than `max_distance` between the two."""
    sheet = np.zeros((object_count, body_count), bool)
    data, mj_model = solver.mj_data, solver.mj_model
    for c in range(data.ncon):
        contact = data.contact[c]
        if contact.dist > max_distance:
            continue
        a, b = (int(body_map[mj_model.geom_bodyid[g]]) for g in (contact.geom1, contact.geom2))
        for human, obj in ((a, b), (b, a)):
            if human in human_set and obj in object_index:
                sheet[object_index[obj], human_set[human]] = True
    return sheet


def _intended_contact(scene: ConvertedScene, ref_index, motion_samples: int, placed, config) -> np.ndarray:
    """(F, objects) bool: samples where the motion says the human touches each object.

    Contact labels when the case has them, each labelled frame given to the object nearest the labelled
    bodies; otherwise reference proximity (a reference body mesh within `proximity_m` of the object).
    """
    h = scene.humanoid
    count = len(ref_index)
    intended = np.zeros((count, len(scene.objects)), bool)
    fields = [MeshDistance(o.visual.vertices, o.visual.faces) for o in scene.objects]
    rotations = [Rotation.from_quat(o.orientation) for o in scene.objects]
    labels = scene.contact_labels
    use_labels = labels is not None and len(labels) == len(h.joint_pos)
    for s in range(motion_samples):
        f = ref_index[s]
        if use_labels:
            bodies = [h.body_names.index(n) for n, on in zip(scene.contact_body_names, labels[f], strict=True) if on]
            if not bodies:
                continue
            points = h.body_pos[f, bodies]
        else:
            points = np.concatenate(
                [
                    Rotation.from_quat(h.body_quat[f, h.body_names.index(n)]).apply(m.vertices)
                    + h.body_pos[f, h.body_names.index(n)]
                    for n, m in h.visuals.items()
                ]
            )
        distances = [
            float(field.query(rot.inv().apply(points - pos))[0].min())
            for field, rot, (pos, _) in zip(fields, rotations, placed, strict=True)
        ]
        if use_labels:
            intended[s, int(np.argmin(distances))] = True
        else:
            intended[s] = np.asarray(distances) < config.interaction.proximity_m
    return intended


def _human_surface(humanoid: JudgedHumanoid, names: list[str]) -> tuple[str, Callable[[np.ndarray], np.ndarray]]:
    """Which surface the penetration is measured on, and its world vertices for one sample's body poses (B, 7).

    The skin bends with the joints as the real body does; the rigid per-body visual pieces (only for folders
    converted before the skin was written) keep e.g. the upper thighs in the seated pelvis piece and cut into
    the seat."""
    skin = humanoid.skin
    if skin is not None:
        order = [names.index(n) for n in skin.body_names]
        return SKIN, lambda poses: skin.posed(poses[order, :3], poses[order, 3:])
    pieces = [(k, humanoid.visuals[n].vertices) for k, n in enumerate(names) if n in humanoid.visuals]
    return COLLIDERS if humanoid.visuals_are_colliders else RIGID_PIECES, lambda poses: np.concatenate(
        [Rotation.from_quat(poses[k, 3:]).apply(v) + poses[k, :3] for k, v in pieces]
    )


def _penetration_mm(
    obj: JudgedObject, poses: np.ndarray, body_poses: np.ndarray, surface: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """Deepest human surface vertex inside the object per sample (mm, 0 when none is inside)."""
    field = MeshDistance(obj.visual.vertices, obj.visual.faces)
    depth = np.zeros(len(poses))
    for s, pose in enumerate(poses):
        local = Rotation.from_quat(pose[3:]).inv().apply(surface(body_poses[s]) - pose[:3])
        depth[s] = max(0.0, -float(field.query(local, max_distance=0.5)[0].min())) * 1000.0
    return depth
