"""The reference clips of a task's cases, on the torch device, in the articulation's body and DOF order.

Each case's `humanoid_motion.npz` or `robot_motion.npz` (BeyondMimic key names, quaternions x, y, z, w) is
matched to the simulated humanoid or robot by name: bodies by name, a robot's DOFs by joint name, the
humanoid's DOFs through the USD joint naming. Newton
merges the three revolute joints of a body into one joint named after its first hinge prim, with
DOFs `<prim>:0`, `<prim>:1`, `<prim>:2` in the hinge order the file records (`hinge_orders`).
Clips are concatenated along time; a state at any time is interpolated between its two frames.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ...assets.humanoid_usd import joint_prim_name
from ...hsi.errors import CaseError

STATE_KEYS = ("body_pos_w", "body_quat_w", "body_lin_vel_w", "body_ang_vel_w", "joint_pos", "joint_vel")


@dataclass
class ReferenceState:
    """Reference humanoid state for a batch of (case, time) queries; world = the case's frame."""

    body_pos_w: torch.Tensor  # (N, B, 3)
    body_quat_w: torch.Tensor  # (N, B, 4) xyzw
    body_lin_vel_w: torch.Tensor  # (N, B, 3)
    body_ang_vel_w: torch.Tensor  # (N, B, 3)
    joint_pos: torch.Tensor  # (N, J)
    joint_vel: torch.Tensor  # (N, J)


def motion_dof_names(data: np.lib.npyio.NpzFile, motion_file: Path) -> dict[str, int]:
    """Simulator DOF name (`left_hip_0_y:1`) -> column of `joint_pos` in the motion file.

    A robot's motion (written by `hsimul3r retarget`, no `hinge_orders`) names its columns by the robot's
    joints, which are the simulator's DOFs."""
    if "hinge_orders" not in data.files and "joint_names" in data.files:
        return {str(name): column for column, name in enumerate(data["joint_names"])}
    try:
        body_names = [str(n) for n in data["body_names"]]
        columns = {str(n): i for i, n in enumerate(data["joint_names"])}
        orders = [str(o) for o in data["hinge_orders"]]
    except KeyError as err:
        raise CaseError(motion_file, str(err.args[0]), "missing: not a motion written by `hsimul3r convert`") from None
    if len(orders) != len(body_names) - 1:
        raise CaseError(motion_file, "hinge_orders", f"{len(orders)} entries for {len(body_names) - 1} joints")
    names: dict[str, int] = {}
    for body, order in zip(body_names[1:], orders, strict=True):  # the root body has no joint
        first = joint_prim_name(body, 0, order[0])
        for hinge, axis in enumerate(order):
            column = columns.get(f"{body}_{axis}")
            if column is None:
                raise CaseError(motion_file, "joint_names", f"no column {body}_{axis} for hinge {hinge} of {body}")
            names[f"{first}:{hinge}"] = column
    return names


class MotionLibrary:
    """All clips, concatenated: frame `start[c] + i` is frame i of case c."""

    def __init__(
        self, motion_files: Sequence[Path], body_names: Sequence[str], joint_names: Sequence[str], device: str
    ) -> None:
        self.device = device
        arrays: dict[str, list[np.ndarray]] = {key: [] for key in STATE_KEYS}
        fps, frames, roots = [], [], set()
        for file in motion_files:
            with np.load(file) as data:
                bodies = [str(n) for n in data["body_names"]]
                missing = [n for n in body_names if n not in bodies]
                if missing:
                    raise CaseError(file, "body_names", f"no reference for simulated bodies {missing}")
                dofs = motion_dof_names(data, Path(file))
                unmapped = [n for n in joint_names if n not in dofs]
                if unmapped:
                    raise CaseError(file, "joint_names", f"no reference for simulated DOFs {unmapped[:6]}")
                body_index = [bodies.index(n) for n in body_names]
                roots.add(bodies[0])  # the files list the root (SMPL's pelvis) first
                dof_index = [dofs[n] for n in joint_names]
                for key in STATE_KEYS:
                    values = np.asarray(data[key], np.float32)
                    arrays[key].append(values[:, dof_index] if key.startswith("joint") else values[:, body_index])
                fps.append(float(data["fps"]))
                frames.append(len(data["joint_pos"]))
        if len(roots) != 1:
            raise CaseError(motion_files[0], "body_names", f"the clips disagree on the root body: {sorted(roots)}")
        self.root_index = list(body_names).index(roots.pop())
        """Where the root body (the free joint's child) is in the simulated body order."""
        stacked = {key: torch.as_tensor(np.concatenate(values), device=device) for key, values in arrays.items()}
        self.body_pos_w, self.body_quat_w = stacked["body_pos_w"], stacked["body_quat_w"]
        self.body_lin_vel_w, self.body_ang_vel_w = stacked["body_lin_vel_w"], stacked["body_ang_vel_w"]
        self.joint_pos, self.joint_vel = stacked["joint_pos"], stacked["joint_vel"]
        self.fps = torch.tensor(fps, device=device)
        self.num_frames = torch.tensor(frames, device=device)
        self.start = torch.cumsum(self.num_frames, 0) - self.num_frames
        self.duration = (self.num_frames - 1).float() / self.fps
        """Clip length [s] per case: the time of its last frame."""

    @property
    def num_cases(self) -> int:
        return len(self.num_frames)

    def frame_index(self, case: torch.Tensor, time: torch.Tensor) -> torch.Tensor:
        """Global index of the frame at or before `time` (clamped to the clip)."""
        local = (time * self.fps[case]).floor().long().clamp(min=0)
        return self.start[case] + torch.minimum(local, self.num_frames[case] - 1)

    def state(self, case: torch.Tensor, time: torch.Tensor) -> ReferenceState:
        """The reference at `time` [s] of each case, linear in positions and normalised-linear in rotations.

        Times outside the clip hold its first or last frame.
        """
        local = (time * self.fps[case]).clamp(min=0.0)
        local = torch.minimum(local, (self.num_frames[case] - 1).float())
        before = local.floor().long()
        after = torch.minimum(before + 1, self.num_frames[case] - 1)
        blend = (local - before.float())[:, None]
        i0, i1 = self.start[case] + before, self.start[case] + after

        def mix(values: torch.Tensor) -> torch.Tensor:
            w = blend.view(-1, *([1] * (values.dim() - 1)))
            return values[i0] * (1.0 - w) + values[i1] * w

        q0, q1 = self.body_quat_w[i0], self.body_quat_w[i1]
        q1 = torch.where((q0 * q1).sum(-1, keepdim=True) < 0.0, -q1, q1)  # the short way round
        w = blend[:, None]
        quat = torch.nn.functional.normalize(q0 * (1.0 - w) + q1 * w, dim=-1)
        return ReferenceState(
            body_pos_w=mix(self.body_pos_w),
            body_quat_w=quat,
            body_lin_vel_w=mix(self.body_lin_vel_w),
            body_ang_vel_w=mix(self.body_ang_vel_w),
            joint_pos=mix(self.joint_pos),
            joint_vel=mix(self.joint_vel),
        )
