"""The motion command: each environment's reference clip at the episode's clock, and where episodes start.

Start times are drawn per clip in bins (adaptive sampling, as BeyondMimic does): a bin where episodes
fail gets drawn more often, and so do the bins just before it, since a fall is usually set up a little
earlier. A share of the draws stays uniform so no phase is forgotten.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import MISSING
from typing import TYPE_CHECKING, Literal

import torch
from isaaclab.managers import CommandTerm, CommandTermCfg
from isaaclab.utils import configclass
from isaaclab.utils.math import quat_apply, quat_inv, quat_mul, yaw_quat

from ..motion_library import MotionLibrary, ReferenceState

if TYPE_CHECKING:
    from isaaclab.assets import Articulation

    from ..hsi_env import HSIEnv


class MotionCommand(CommandTerm):
    """Reference humanoid state of each environment's case at its episode time (world frame)."""

    cfg: MotionCommandCfg

    def __init__(self, cfg: MotionCommandCfg, env: HSIEnv) -> None:
        super().__init__(cfg, env)
        self.robot: Articulation = env.scene[cfg.asset_name]
        layout = env.layout
        self.motion = MotionLibrary(layout.motion_files, self.robot.body_names, self.robot.joint_names, self.device)
        self.env_case = layout.env_cases(self.num_envs, self.device)
        self.time = torch.zeros(self.num_envs, device=self.device)
        """Time [s] of the reference each environment tracks now."""
        anchor = cfg.anchor_body_name or self.robot.body_names[self.motion.root_index]
        self.anchor_index = self.robot.body_names.index(anchor)
        """The anchor body (BeyondMimic's; the root by default), one index for the reference and the articulation:
        the reference's bodies are in the articulation's order."""
        self.contact_body_names = list(layout.contact_body_names)
        self.contact_body_ids = self.robot.find_bodies(self.contact_body_names, preserve_order=True)[0]
        self.reference_contact = self._load_contact_labels(env)
        """(frames of all clips, contact bodies) whether the reference touches an object (motion labels)."""
        self.num_bins = torch.clamp((self.motion.duration / cfg.bin_duration_s).ceil().long(), min=1)
        self.bin_failures = torch.zeros(self.motion.num_cases, int(self.num_bins.max()), device=self.device)
        """Recent failures per (case, bin), an exponential moving average."""
        self._drawn = torch.zeros(self.num_envs, dtype=torch.bool, device=self.device)
        self.state: ReferenceState = self._reference(self.time)
        for name in ("body_pos_error", "joint_pos_error", "sampling_entropy"):
            self.metrics[name] = torch.zeros(self.num_envs, device=self.device)

    def __str__(self) -> str:
        return (
            f"MotionCommand:\n\tCases: {self.motion.num_cases}, clip lengths [s]: {self.motion.duration.tolist()}\n"
            f"\tStart sampling: {self.cfg.sampling}, bins per case: {self.num_bins.tolist()}\n"
        )

    @property
    def command(self) -> torch.Tensor:
        """Reference joint positions and velocities now, (num_envs, 2 x num_joints)."""
        return torch.cat([self.state.joint_pos, self.state.joint_vel], dim=-1)

    @property
    def duration(self) -> torch.Tensor:
        """Clip length [s] of each environment's case."""
        return self.motion.duration[self.env_case]

    def reference_at(self, offset_s: float | torch.Tensor = 0.0, env_ids: torch.Tensor | None = None) -> ReferenceState:
        """The reference `offset_s` seconds from now (world frame), for all or some environments."""
        if env_ids is None:
            return self._reference(self.time + offset_s)
        return self._reference(self.time[env_ids] + offset_s, env_ids)

    def relative_body_pose_w(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The reference bodies moved so that its anchor is over the articulation's anchor (heights stay the
        reference's) and turned by the anchors' heading difference (BeyondMimic's relative tracking target)."""
        reference_pos = self.state.body_pos_w[:, self.anchor_index]
        reference_quat = self.state.body_quat_w[:, self.anchor_index]
        anchor_pos = self.robot.data.body_pos_w.torch[:, self.anchor_index]
        anchor_quat = self.robot.data.body_quat_w.torch[:, self.anchor_index]
        shift = torch.cat([anchor_pos[:, :2], reference_pos[:, 2:]], dim=-1)
        turn = yaw_quat(quat_mul(anchor_quat, quat_inv(reference_quat)))[:, None].expand_as(self.state.body_quat_w)
        body_pos = shift[:, None] + quat_apply(turn, self.state.body_pos_w - reference_pos[:, None])
        return body_pos, quat_mul(turn, self.state.body_quat_w)

    def contact_now(self) -> torch.Tensor:
        """(num_envs, contact bodies) whether the reference touches an object now."""
        return self.reference_contact[self.motion.frame_index(self.env_case, self.time)]

    def draw_start(self, env_ids: Sequence[int] | torch.Tensor | slice) -> torch.Tensor:
        """Record which episodes failed where, then draw new start times; returns the environment indices.

        The reset event (reference state initialisation) calls this before the command manager resets.
        """
        env_ids = self.as_env_ids(env_ids)
        self._record_failures(env_ids)
        case = self.env_case[env_ids]
        if self.cfg.sampling == "start":
            start = torch.zeros(len(env_ids), device=self.device)
        else:
            bins = torch.multinomial(self.sampling_probabilities()[case], 1).squeeze(-1)
            start = (bins + torch.rand(len(env_ids), device=self.device)) * self.cfg.bin_duration_s
        self.set_time(env_ids, torch.minimum(start, self.motion.duration[case]))
        self._drawn[env_ids] = True
        return env_ids

    def set_time(self, env_ids: torch.Tensor, time: torch.Tensor) -> None:
        """Move the reference of `env_ids` to `time` [s]."""
        self.time[env_ids] = time
        fresh = self._reference(self.time[env_ids], env_ids)
        for name in ReferenceState.__dataclass_fields__:
            getattr(self.state, name)[env_ids] = getattr(fresh, name)

    def as_env_ids(self, env_ids: Sequence[int] | torch.Tensor | slice) -> torch.Tensor:
        """Environment indices as a tensor on the command's device."""
        if isinstance(env_ids, slice):
            return torch.arange(self.num_envs, device=self.device)[env_ids]
        return torch.as_tensor(env_ids, device=self.device, dtype=torch.long)

    def sampling_probabilities(self) -> torch.Tensor:
        """(cases, bins) start-bin distribution: smoothed failures mixed with a uniform share."""
        valid = torch.arange(self.bin_failures.shape[1], device=self.device)[None] < self.num_bins[:, None]
        uniform = valid.float() / self.num_bins[:, None]
        if self.cfg.sampling == "uniform":
            return uniform
        smoothed = torch.zeros_like(self.bin_failures)
        for k in range(self.cfg.failure_kernel_size):  # a failure in bin b + k also raises bin b
            smoothed[:, : smoothed.shape[1] - k] += self.cfg.failure_kernel_decay**k * self.bin_failures[:, k:]
        smoothed = smoothed * valid
        total = smoothed.sum(-1, keepdim=True)
        adaptive = torch.where(total > 0, smoothed / total.clamp_min(1e-12), uniform)
        return self.cfg.uniform_ratio * uniform + (1.0 - self.cfg.uniform_ratio) * adaptive

    """
    Implementation.
    """

    def _resample_command(self, env_ids: Sequence[int] | slice) -> None:
        # the reset event (reference state initialisation) normally drew the start already
        env_ids = self.as_env_ids(env_ids)
        pending = env_ids[~self._drawn[env_ids]]
        if len(pending) > 0:
            self.draw_start(pending)
        self._drawn[env_ids] = False

    def _update_command(self) -> None:
        self.time += self._env.step_dt
        self.state = self._reference(self.time)

    def _update_metrics(self) -> None:
        steps = self._env.episode_length_buf.clamp(min=1).float()
        body = (self.robot.data.body_pos_w.torch - self.state.body_pos_w).norm(dim=-1).mean(-1)
        joint = (self.robot.data.joint_pos.torch - self.state.joint_pos).abs().mean(-1)
        self.metrics["body_pos_error"] += (body - self.metrics["body_pos_error"]) / steps
        self.metrics["joint_pos_error"] += (joint - self.metrics["joint_pos_error"]) / steps
        probs = self.sampling_probabilities()
        entropy = -(probs * probs.clamp_min(1e-12).log()).sum(-1) / self.num_bins.float().log().clamp_min(1e-12)
        self.metrics["sampling_entropy"] = torch.where(self.num_bins > 1, entropy, 1.0)[self.env_case]

    def _record_failures(self, env_ids: torch.Tensor) -> None:
        if self.cfg.sampling != "adaptive" or not hasattr(self._env, "termination_manager"):
            return
        failed = env_ids[self._env.termination_manager.terminated[env_ids]]
        counts = torch.zeros_like(self.bin_failures)
        if len(failed) > 0:
            case = self.env_case[failed]
            bins = torch.minimum((self.time[failed] / self.cfg.bin_duration_s).long(), self.num_bins[case] - 1)
            counts.index_put_((case, bins), torch.ones_like(bins, dtype=counts.dtype), accumulate=True)
        self.bin_failures.mul_(1.0 - self.cfg.failure_ema).add_(self.cfg.failure_ema * counts)

    def _reference(self, time: torch.Tensor, env_ids: torch.Tensor | None = None) -> ReferenceState:
        case = self.env_case if env_ids is None else self.env_case[env_ids]
        origins = self._env.scene.env_origins if env_ids is None else self._env.scene.env_origins[env_ids]
        state = self.motion.state(case, time)
        state.body_pos_w = state.body_pos_w + origins[:, None]
        return state

    def _load_contact_labels(self, env: HSIEnv) -> torch.Tensor:
        """The case motions' contact labels on the clips' frames; a case without labels uses proximity."""
        frames = []
        for case in range(self.motion.num_cases):
            labels = env.layout.contact_labels(case)
            count = int(self.motion.num_frames[case])
            if labels is None:
                labels = env.layout.reference_distance(case) < self.cfg.contact_proximity_m
            if len(labels) != count:
                raise ValueError(
                    f"{env.layout.folders[case]}: contact labels have {len(labels)} frames, the motion {count}"
                )
            frames.append(torch.as_tensor(labels, dtype=torch.bool, device=self.device))
        return torch.cat(frames)


@configclass
class MotionCommandCfg(CommandTermCfg):
    """Configuration of :class:`MotionCommand`."""

    class_type: type = MotionCommand

    asset_name: str = MISSING
    """The humanoid articulation."""

    resampling_time_range: tuple[float, float] = (1.0e9, 1.0e9)
    """The reference is only (re)started at resets."""

    sampling: Literal["adaptive", "uniform", "start"] = "adaptive"
    """How episodes pick their start time: failure-weighted bins, uniform, or the clip's first frame."""

    bin_duration_s: float = 0.5
    """Width of the start-time bins [s]."""

    uniform_ratio: float = 0.1
    """Share of the start-time distribution that stays uniform over the clip."""

    failure_ema: float = 0.01
    """Weight of the newest failure counts in the moving average, per reset."""

    failure_kernel_size: int = 3
    """How many bins (the failing one and those before it) a failure raises."""

    failure_kernel_decay: float = 0.5
    """Weight of a failure on the k-th bin before it: decay**k."""

    hold_end_s: float = 1.0
    """After the clip the last frame is held this long (the interaction's final, resting state)."""

    anchor_body_name: str | None = None
    """The body the anchor terms track (BeyondMimic's torso for a robot); None: the root body."""

    contact_proximity_m: float = 0.12
    """Cases without contact labels: a contact body's reference origin this close to an object touches it."""
