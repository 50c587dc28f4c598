"""How the scene writers place a humanoid built elsewhere (`body/`) beside the converted objects."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from pxr import Usd


@dataclass(frozen=True)
class MjcfStart:
    """The motion's first frame in the humanoid MJCF's own joint and actuator names.

    `scene.xml` turns it into its `motion_start` keyframe after compiling the scene, so the qpos layout
    comes from MuJoCo, not from a guess about body order. A free joint takes (x, y, z, qw, qx, qy, qz)
    and (linear velocity in the world, angular velocity in its body frame), a hinge one value each;
    `ctrl` gives actuators their targets (position actuators: the first frame's angles).
    """

    qpos: Mapping[str, tuple[float, ...]]
    qvel: Mapping[str, tuple[float, ...]]
    ctrl: Mapping[str, float]


@dataclass(frozen=True)
class SceneHumanoid:
    """The humanoid's files, already written into the output folder, and its reference motion.

    `usd_file` is referenced at `/World/Humanoid` of `scene.usda` (its default prim is the articulation
    root); `mjcf_file` is a complete `<mujoco>` document that `scene.xml` includes. Both are paths
    relative to the output folder, so the folder can be moved. `author_reference_motion`, when given,
    writes the reference motion's time samples under the humanoid prim of the scene stage; the scene's
    time codes run 0 .. num_frames - 1 at `fps`. `mjcf_start`, when given, becomes `scene.xml`'s
    `motion_start` keyframe.
    """

    usd_file: Path
    mjcf_file: Path
    fps: float
    num_frames: int
    author_reference_motion: Callable[[Usd.Prim], None] | None = None
    mjcf_start: MjcfStart | None = None

    def __post_init__(self) -> None:
        for path in (self.usd_file, self.mjcf_file):
            if Path(path).is_absolute() or ".." in Path(path).parts:
                raise ValueError(f"humanoid files must be relative to the output folder, got {path}")
