"""What an HSI environment is made of: its converted cases, their objects and the humanoid's contact bodies.

Environment `i` plays case `i % num_cases`. Every environment holds the objects of every case; the
objects of the other cases are parked on the ground far from the humanoid (collisions between
environments are filtered, so parked objects meet nothing but the ground). With one case nothing
is parked.

With a robot the cases are retarget folders (or cases retargeted on first use): the robot stands in the
human's place, tracks the retargeted motion, and its contact bodies are the links that took over the labelled
contacts.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ...assets.humanoid_files import HUMANOID_JSON, HUMANOID_MOTION
from ...hsi.errors import CaseError
from ...kernels.contact_distance import BatchedContactDistance
from ...stability.scene import CONVERT_REPORT, ConvertedScene, load_converted
from .cases import converted_folder, retargeted_folder

PARK_DISTANCE_M = 50.0
"""How far along x (environment frame) the objects of the other cases wait."""

PARK_SPACING_M = 5.0
"""Distance between parked objects, so they never touch each other."""


@dataclass
class HSIObject:
    """One object of one case, as the scene spawns it and the contact terms see it."""

    asset_name: str
    name: str  # in its case
    case: int
    static: bool
    position: np.ndarray  # (3,) case pose, environment frame
    orientation: np.ndarray  # (4,) xyzw
    vertices: np.ndarray  # (V, 3) visual mesh, object frame
    faces: np.ndarray  # (F, 3)


class HSILayout:
    """The converted cases of a task and the per-environment arrangement of their objects."""

    def __init__(
        self,
        cases: Sequence[str],
        cache_dir: str | None = None,
        convert_overrides: Sequence[str] = (),
        robot: str | None = None,
    ) -> None:
        if not cases:
            raise CaseError("env.cases", "cases", "no case given: pass env.cases=[<case or converted folder>,...]")
        self.robot = robot
        if robot is None:
            self.folders = [converted_folder(c, cache_dir, convert_overrides) for c in cases]
            self.scenes: list[ConvertedScene] = [load_converted(f) for f in self.folders]
            self.motion_files = [folder / HUMANOID_MOTION for folder in self.folders]
        else:
            from ...retarget.job import ROBOT_MOTION
            from ...retarget.robot_case import load_retargeted

            self.folders = [retargeted_folder(c, robot, cache_dir, convert_overrides) for c in cases]
            self.scenes = [load_retargeted(f) for f in self.folders]
            self.motion_files = [folder / ROBOT_MOTION for folder in self.folders]
        for folder, scene in zip(self.folders, self.scenes, strict=True):
            if scene.humanoid is None:
                raise CaseError(folder / CONVERT_REPORT, "humanoid", "the case has no humanoid (no motion to track)")
        self._check_same_body()
        self.objects = self._objects()
        self.contact_body_names = self._contact_bodies()

    @property
    def num_cases(self) -> int:
        return len(self.folders)

    @property
    def humanoid_usd(self) -> Path:
        """All cases share one body (checked), so the first case's humanoid is everyone's."""
        return self.scenes[0].humanoid.usd_file

    def env_cases(self, num_envs: int, device: str) -> torch.Tensor:
        """Case index of every environment."""
        return torch.arange(num_envs, device=device) % self.num_cases

    def contact_labels(self, case: int) -> np.ndarray | None:
        """(T, K) reference contact of each contact body (columns in `contact_body_names` order), or None."""
        scene = self.scenes[case]
        if scene.contact_labels is None:
            return None
        labels = np.zeros((len(scene.contact_labels), len(self.contact_body_names)), bool)
        for column, name in enumerate(scene.contact_body_names):
            labels[:, self.contact_body_names.index(name)] = scene.contact_labels[:, column]
        return labels

    def reference_distance(self, case: int, max_distance: float = 2.0) -> np.ndarray:
        """(T, K) signed distance of each contact body's reference origin to the case's objects at their case pose."""
        humanoid = self.scenes[case].humanoid
        objects = [o for o in self.objects if o.case == case]
        points = torch.as_tensor(
            humanoid.body_pos[:, [humanoid.body_names.index(n) for n in self.contact_body_names]], dtype=torch.float32
        )
        pos = torch.as_tensor(np.stack([o.position for o in objects]), dtype=torch.float32)
        quat = torch.as_tensor(np.stack([o.orientation for o in objects]), dtype=torch.float32)
        query = BatchedContactDistance([(o.vertices, o.faces) for o in objects], "cpu")
        frames = len(points)
        distance, _, _ = query.query(points, pos.expand(frames, -1, -1), quat.expand(frames, -1, -1), max_distance)
        return distance.numpy()

    def object_poses(self, env_cases: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(E, M, 3) positions and (E, M, 4) xyzw orientations, environment frame: case pose or parked."""
        device = env_cases.device
        case_pos = torch.tensor(np.stack([o.position for o in self.objects]), dtype=torch.float32, device=device)
        quat = torch.tensor(np.stack([o.orientation for o in self.objects]), dtype=torch.float32, device=device)
        parked = case_pos.clone()
        parked[:, 0] = PARK_DISTANCE_M + PARK_SPACING_M * torch.arange(len(self.objects), device=device)
        parked[:, 1] = 0.0
        owner = torch.tensor([o.case for o in self.objects], device=device)
        active = (env_cases[:, None] == owner[None, :])[..., None]
        return torch.where(active, case_pos[None], parked[None]), quat[None].expand(len(env_cases), -1, -1).clone()

    def _check_same_body(self) -> None:
        def body(folder: Path) -> tuple:
            summary = json.loads(self._summary_file(folder).read_text(encoding="utf-8"))
            if self.robot is not None:
                return summary["robot"], summary["bodies"], summary["joints"]
            return summary["body_model"], summary["betas"], [b["mass_kg"] for b in summary["bodies"]]

        first = body(self.folders[0])
        for folder in self.folders[1:]:
            if body(folder) != first:
                raise CaseError(
                    self._summary_file(folder), "robot" if self.robot else "betas",
                    f"a task's cases must share one body; this one differs from {self.folders[0].name}'s",
                )  # fmt: skip

    def _summary_file(self, folder: Path) -> Path:
        """The body's summary in a case folder: the humanoid's, or the robot's (joint order, gains, contact bodies)."""
        if self.robot is None:
            return folder / HUMANOID_JSON
        from ...retarget.robot_case import robot_summary_file

        return robot_summary_file(folder)

    def _objects(self) -> list[HSIObject]:
        names = [o.name for scene in self.scenes for o in scene.objects]
        objects = []
        for case, scene in enumerate(self.scenes):
            for obj in scene.objects:
                if obj.static and self.num_cases > 1:
                    raise CaseError(
                        scene.folder / CONVERT_REPORT, f"objects.{obj.name}.static",
                        "a static object cannot be parked for the other cases; train on this case alone",
                    )  # fmt: skip
                name = obj.name if names.count(obj.name) == 1 else f"{scene.name}_{obj.name}"
                objects.append(
                    HSIObject(
                        asset_name=_identifier(name),
                        name=obj.name,
                        case=case,
                        static=obj.static,
                        position=obj.position,
                        orientation=obj.orientation,
                        vertices=np.asarray(obj.visual.vertices, np.float32),
                        faces=np.asarray(obj.visual.faces, np.int32),
                    )
                )
        return objects

    def _contact_bodies(self) -> list[str]:
        """Bodies the case motions label, else the humanoid's contact bodies (from its summary)."""
        names: list[str] = []
        for folder, scene in zip(self.folders, self.scenes, strict=True):
            if scene.contact_labels is not None:
                found = scene.contact_body_names
            elif self.robot is not None:
                found = json.loads(self._summary_file(folder).read_text(encoding="utf-8"))["contact_bodies"]
            else:
                summary = json.loads((folder / HUMANOID_JSON).read_text(encoding="utf-8"))
                found = [b["name"] for b in summary["bodies"] if b["contact_body"]]
            unknown = set(found) - set(scene.humanoid.body_names)
            if unknown:
                raise CaseError(folder, "contact_body_names", f"not bodies of the humanoid: {sorted(unknown)}")
            names += [n for n in found if n not in names]
        return names


def _identifier(name: str) -> str:
    """An asset name usable as a prim name and a Python attribute."""
    text = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    return text if text[:1].isalpha() else f"object_{text}"
