"""A whole capture folder from a bundled case, as a user would have it after running the perception tools:
what `hsimul3r run CAPTURE_DIR` and the capture tests start from (`scripts/make_capture.py` writes one)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ....hsi.case_io import object_world_mesh
from ..folder import KEYPOINTS_FOLDER, MASKS_FOLDER, OBJECTS_FOLDER
from ..render import add_scene
from ..synthetic import CaptureSettings, SyntheticCapture, synthetic_capture
from ..world import Similarity
from .objects import write_multi_instance_glb
from .people import write_hsfm, write_tram
from .scene import tool_frame, write_dust3r_npz, write_sam2_masks, write_vitpose

SCENE_FILE = "dust3r_scene.npz"
OBJECTS_FILE = "midi_scene.glb"


@dataclass
class WrittenCapture:
    """The truth behind a written capture folder and the frames its tools' files are in."""

    synthetic: SyntheticCapture
    scene_frame: Similarity  # world -> the scene reconstruction's frame (DUSt3R's first camera, its own scale)
    objects_frame: Similarity  # world -> the generated objects' normalised frame


def write_capture_folder(
    case_dir: str | Path, out: str | Path, settings: CaptureSettings, noise_m: float = 0.005, seed: int = 0,
    point_map_scale: float = 0.5,
) -> WrittenCapture:  # fmt: skip
    """`out` holds a DUSt3R scene, the people (HSfM's one instant for fixed cameras; TRAM's track, in its folder
    `tram/`, for a moving camera), ViTPose keypoints and SAM2 masks per camera, and a MIDI-style glb of the
    case's objects (instances named after the objects, which the masks' classes are)."""
    out = Path(out)
    rng = np.random.default_rng(seed)
    synthetic = synthetic_capture(case_dir, settings)
    add_scene(synthetic, image_scale=point_map_scale)
    truth = synthetic.truth
    out.mkdir(parents=True, exist_ok=True)
    scene_frame = tool_frame(truth, rng)
    write_dust3r_npz(truth, out / SCENE_FILE, scene_frame, noise_m, rng)
    if settings.monocular:
        write_tram(truth, out / "tram", rng)
    else:
        write_hsfm(truth, out, rng)
    write_vitpose(truth, out / KEYPOINTS_FOLDER)
    write_sam2_masks(truth, out / MASKS_FOLDER)
    meshes = {obj.name: object_world_mesh(obj, synthetic.case.root) for obj in synthetic.case.objects}
    objects_frame = write_multi_instance_glb(meshes, out / OBJECTS_FOLDER / OBJECTS_FILE, rng)
    return WrittenCapture(synthetic, scene_frame, objects_frame)
