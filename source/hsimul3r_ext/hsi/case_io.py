"""The case folder: `hsi.json` + `motion.npz` + `objects/` (+ `reference/`), loaded and saved whole."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import trimesh

from ..atomic_dir import atomic_output_dir
from .errors import CaseError, CaseWarning
from .limits import DEFAULT_LIMITS, ValidationLimits
from .motion import Motion
from .observation import CAMERA_FILE, DEPTH_FILE, IMAGE_FILE, MASK_FILE, OCCLUDER_FILE, load_observation
from .placement import check_floor_placement
from .safe_pickle import load_npz
from .scene import MESH_SUFFIXES, HSIScene, PointCloudRef, SceneObject, reject_unknown_fields

FORMAT = "hsimul3r-case"
FORMAT_VERSION = 1
MANIFEST = "hsi.json"
MOTION_FILE = "motion.npz"
OBSERVATION_FILES = (CAMERA_FILE, MASK_FILE, DEPTH_FILE, OCCLUDER_FILE, IMAGE_FILE)  # what an observation folder holds
_TOP_LEVEL = {
    "format", "format_version", "name", "units", "up_axis", "motion", "objects", "point_clouds", "provenance",
    "capture",
}  # fmt: skip
CAPTURE_MANIFEST = "capture.json"  # inside a case's capture folder: what the capture's other files hold
_MOTION_KEYS = {"file", "fps", "num_frames", "model_type", "gender", "num_betas", "pelvis_rest_m"}


def manifest_json(scene: HSIScene) -> dict[str, Any]:
    """The manifest for `scene`; the motion arrays themselves go to `motion.npz`."""
    motion = scene.motion
    capture = {} if scene.capture is None else {"capture": scene.capture}  # absent when none: older cases unchanged
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "name": scene.name,
        "units": "m",
        "up_axis": "z",
        "motion": None
        if motion is None
        else {
            "file": MOTION_FILE,
            "fps": motion.fps,
            "num_frames": motion.num_frames,
            "model_type": motion.model_type,
            "gender": motion.gender,
            "num_betas": int(motion.betas.shape[0]),
            "pelvis_rest_m": None if motion.pelvis_rest is None else [float(v) for v in motion.pelvis_rest],
        },
        "objects": [obj.to_json() for obj in scene.objects],
        "point_clouds": [pc.to_json() for pc in scene.point_clouds],
        "provenance": scene.provenance,
        **capture,
    }


def load_case(case_dir: str | Path, limits: ValidationLimits = DEFAULT_LIMITS) -> HSIScene:
    """Load and fully validate a case folder; raise CaseError naming the file and field at fault."""
    root = Path(case_dir)
    manifest_path = root / MANIFEST
    if not root.is_dir():
        raise CaseError(root, "case folder", "does not exist or is not a folder")
    try:
        data = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CaseError(manifest_path, "file", "missing: a case folder needs hsi.json") from None
    except OSError as err:  # a folder named hsi.json, no permission, ...
        raise CaseError(manifest_path, "file", f"cannot be read ({err.strerror or err})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise CaseError(manifest_path, "json", f"not valid JSON ({err})") from None
    reject_unknown_fields(data, _TOP_LEVEL, manifest_path, "manifest")
    if data.get("format") != FORMAT:
        raise CaseError(manifest_path, "format", f"expected {FORMAT!r}, got {data.get('format')!r}")
    if type(data.get("format_version")) is not int or data["format_version"] != FORMAT_VERSION:
        raise CaseError(
            manifest_path, "format_version", f"this version reads {FORMAT_VERSION}, got {data.get('format_version')!r}"
        )
    if data.get("units") != "m" or data.get("up_axis") != "z":
        raise CaseError(manifest_path, "units", "cases are stored in metres, Z up (units 'm', up_axis 'z')")
    if not isinstance(data.get("name"), str) or not data["name"]:
        raise CaseError(manifest_path, "name", "missing or empty")
    provenance = data.get("provenance", [])
    if not isinstance(provenance, list) or not all(isinstance(record, dict) for record in provenance):
        raise CaseError(manifest_path, "provenance", "expected a list of records (JSON objects)")

    motion = None if data.get("motion") is None else _load_motion(root, data["motion"], manifest_path, limits)
    objects, warnings = [], []
    for i, item in enumerate(_list(data, "objects", manifest_path)):
        objects.append(SceneObject.from_json(item, manifest_path, f"objects[{i}]"))
        warning = _load_object(root, objects[-1], manifest_path, i, limits)
        if warning:
            warnings.append(warning)
    names = [obj.name for obj in objects]
    if len(set(names)) != len(names):
        raise CaseError(manifest_path, "objects", f"object names must be unique, got {names}")
    clouds = [
        _load_point_cloud(root, PointCloudRef.from_json(item, manifest_path, f"point_clouds[{i}]"), manifest_path, i)
        for i, item in enumerate(_list(data, "point_clouds", manifest_path))
    ]
    capture = data.get("capture")
    if capture is not None:
        if not isinstance(capture, str):
            raise CaseError(manifest_path, "capture", f"expected a folder path, got {capture!r}")
        folder = resolve_inside(root, capture, manifest_path, "capture", folder=True)
        if not (folder / CAPTURE_MANIFEST).is_file():
            raise CaseError(manifest_path, "capture", f"{capture}/{CAPTURE_MANIFEST} is missing")
    return HSIScene(data["name"], motion, objects, clouds, provenance, root=root, warnings=warnings, capture=capture)


def save_case(scene: HSIScene, out_dir: str | Path, *, overwrite: bool = False) -> Path:
    """Write `scene` to a new folder atomically, copying its assets; the result is re-validated."""
    out = Path(out_dir)
    with atomic_output_dir(out, overwrite=overwrite) as stage:
        write_case_files(scene, stage)
        load_case(stage)
    return out


def write_case_files(scene: HSIScene, folder: Path) -> None:
    """Write manifest, motion and assets into an existing (staging) folder."""
    if scene.motion is not None:
        np.savez_compressed(folder / MOTION_FILE, **scene.motion.arrays())
    if scene.root is not None and Path(scene.root).resolve() != folder.resolve():
        root = Path(scene.root).resolve()
        assets = [(obj.mesh, f"objects[{i}].mesh") for i, obj in enumerate(scene.objects)]
        assets += [(pc.file, f"point_clouds[{i}].file") for i, pc in enumerate(scene.point_clouds)]
        for relative, field in assets:
            for source in _asset_with_sidecars(root, resolve_inside(root, relative, root / MANIFEST, field)):
                _copy_into(root, source, folder)
        for i, obj in enumerate(scene.objects):
            if obj.observation is not None:
                where = f"objects[{i}].observation"
                source = resolve_inside(root, obj.observation, root / MANIFEST, where, folder=True)
                for name in OBSERVATION_FILES:
                    if (source / name).is_file() and (source / name).resolve().is_relative_to(root):
                        _copy_into(root, source / name, folder)
        if scene.capture is not None:
            source = resolve_inside(root, scene.capture, root / MANIFEST, "capture", folder=True)
            for path in sorted(source.iterdir()):
                if path.is_file() and path.resolve().is_relative_to(root):
                    _copy_into(root, path, folder)
    (folder / MANIFEST).write_text(json.dumps(manifest_json(scene), indent=2) + "\n", encoding="utf-8")


def _copy_into(root: Path, source: Path, folder: Path) -> None:
    """Copy `source` (a file under `root`) to the same relative place under `folder`."""
    target = folder / source.relative_to(root)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)


def resolve_inside(root: Path, relative: str, file: Path, field: str, *, folder: bool = False) -> Path:
    """`root / relative`, refusing absolute paths and anything that escapes the case folder; it must be an
    existing file (or, with `folder`, an existing folder)."""
    if Path(relative).is_absolute():
        raise CaseError(file, field, f"{relative!r} must be a path relative to the case folder")
    path = (root / relative).resolve()
    if not path.is_relative_to(root.resolve()):
        raise CaseError(file, field, f"{relative!r} points outside the case folder")
    kind, exists = ("folder", path.is_dir()) if folder else ("file", path.is_file())
    if not exists:
        raise CaseError(file, field, f"{relative!r} {f'is not a {kind}' if path.exists() else 'does not exist'}")
    return path


def load_mesh(path: Path, field: str = "mesh") -> trimesh.Trimesh:
    """Read a mesh file as one triangle mesh; unreadable or empty meshes are a CaseError."""
    if path.suffix.lower() not in MESH_SUFFIXES:
        raise CaseError(path, field, f"unsupported mesh format {path.suffix!r}; use one of {', '.join(MESH_SUFFIXES)}")
    try:
        mesh = trimesh.load(path, force="mesh", process=False)
    except Exception as err:  # trimesh raises many types for corrupt files
        raise CaseError(path, field, f"cannot read mesh ({type(err).__name__}: {err})") from None
    if not isinstance(mesh, trimesh.Trimesh) or len(mesh.faces) == 0 or len(mesh.vertices) == 0:
        raise CaseError(path, field, "mesh is empty (no triangles)")
    if not np.isfinite(mesh.vertices).all():
        raise CaseError(path, field, "mesh has NaN or inf vertex coordinates")
    return mesh


def check_object_size(mesh: trimesh.Trimesh, file: Path, field: str, limits: ValidationLimits) -> float:
    """Largest bounding-box side in metres, rejected when implausible for furniture-like objects."""
    size = float(mesh.extents.max())
    low, high = limits.object_size_m
    if not low <= size <= high:
        raise CaseError(
            file, field, f"object is {size:.3g} m across, outside {low:g}-{high:g} m: wrong units or scale?"
        )
    return size


def _list(data: dict[str, Any], key: str, file: Path) -> list[Any]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise CaseError(file, key, "expected a list")
    return value


def _load_motion(root: Path, section: Any, manifest: Path, limits: ValidationLimits) -> Motion:
    reject_unknown_fields(section, _MOTION_KEYS, manifest, "motion")
    path = resolve_inside(root, str(section.get("file", "")), manifest, "motion.file")
    for key in ("fps", "num_frames", "model_type", "gender"):
        if key not in section:
            raise CaseError(manifest, f"motion.{key}", "missing")
    fps = section["fps"]
    if not isinstance(fps, int | float) or isinstance(fps, bool):
        raise CaseError(manifest, "motion.fps", f"expected a number, got {fps!r}")
    try:  # our own handle: np.load leaves its file open when the archive is corrupt
        with path.open("rb") as stream, np.load(stream, allow_pickle=False) as npz:
            arrays = {key: npz[key] for key in npz.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile, zlib.error) as err:
        raise CaseError(path, "file", f"not a plain-array .npz ({err})") from None
    pelvis_rest = section.get("pelvis_rest_m")
    if pelvis_rest is not None and not (
        isinstance(pelvis_rest, list)
        and len(pelvis_rest) == 3
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in pelvis_rest)
    ):
        raise CaseError(
            manifest, "motion.pelvis_rest_m", f"expected null or 3 coordinates (numbers), got {pelvis_rest!r}"
        )
    motion = Motion.from_arrays(
        arrays, fps=fps, model_type=section["model_type"], gender=section["gender"],
        pelvis_rest=pelvis_rest, file=path,
    )  # fmt: skip
    motion.validate(path, limits, metadata_file=manifest)
    if motion.num_frames != section["num_frames"]:
        raise CaseError(
            manifest, "motion.num_frames", f"says {section['num_frames']}, {path.name} has {motion.num_frames}"
        )
    if section.get("num_betas") not in (None, motion.betas.shape[0]):
        raise CaseError(manifest, "motion.num_betas", f"says {section['num_betas']}, betas has {motion.betas.shape[0]}")
    return motion


def _load_object(
    root: Path, obj: SceneObject, manifest: Path, index: int, limits: ValidationLimits
) -> CaseWarning | None:
    """Validate one object, its mesh and its observation; a placement off the floor comes back as a warning."""
    where = f"objects[{index}]"
    obj.validate(manifest, where, limits)
    path = resolve_inside(root, obj.mesh, manifest, f"{where}.mesh")
    mesh = load_mesh(path, f"{where}.mesh")
    check_object_size(mesh, path, f"{where}.mesh", limits)
    if obj.observation is not None:  # its own files' errors name them (camera.json, mask.png, ...)
        load_observation(resolve_inside(root, obj.observation, manifest, f"{where}.observation", folder=True))
    return check_floor_placement(mesh.vertices, obj, manifest, f"{where}.position", limits)


def _load_point_cloud(root: Path, ref: PointCloudRef, manifest: Path, index: int) -> PointCloudRef:
    path = resolve_inside(root, ref.file, manifest, f"point_clouds[{index}].file")
    arrays = load_npz(path)
    points = arrays.get("points")
    if points is None or points.ndim != 2 or points.shape[1] != 3 or points.shape[0] == 0:
        raise CaseError(path, "points", "expected a non-empty (N, 3) array")
    if points.dtype.kind != "f":
        raise CaseError(path, "points", f"expected floating point numbers, got dtype {points.dtype}")
    if not np.isfinite(points).all():
        raise CaseError(path, "points", "contains NaN or inf")
    if points.shape[0] != ref.num_points:
        raise CaseError(manifest, f"point_clouds[{index}].num_points", f"says {ref.num_points}, file has {len(points)}")
    colors = arrays.get("colors")
    if colors is not None and (colors.shape != points.shape or colors.dtype != np.uint8):
        raise CaseError(path, "colors", f"expected uint8 (N, 3) matching points, got {colors.dtype} {colors.shape}")
    return ref


_MTLLIB = re.compile(rb"^\s*mtllib\s+(.+?)\s*$", re.MULTILINE)
_MAP = re.compile(rb"^\s*(?:map_\w+|bump|disp|norm)\s+(?:-\S+\s+\S+\s+)*(.+?)\s*$", re.MULTILINE)


def _asset_with_sidecars(root: Path, path: Path) -> list[Path]:
    """The asset file plus, for OBJ, its material libraries and their textures (same case folder)."""
    found = [path]
    if path.suffix.lower() == ".obj":
        for mtl_name in _MTLLIB.findall(path.read_bytes()):
            mtl = path.parent / mtl_name.decode(errors="replace")
            if mtl.is_file() and mtl.resolve().is_relative_to(root):
                found.append(mtl.resolve())
                for tex_name in _MAP.findall(mtl.read_bytes()):
                    tex = mtl.parent / tex_name.decode(errors="replace")
                    if tex.is_file() and tex.resolve().is_relative_to(root):
                        found.append(tex.resolve())
    return found


def object_world_mesh(obj: SceneObject, root: Path) -> trimesh.Trimesh:
    """The object's mesh placed in the world by its pose."""
    from scipy.spatial.transform import Rotation

    mesh = load_mesh(resolve_inside(root, obj.mesh, root / MANIFEST, "mesh"))
    transform = np.eye(4)
    transform[:3, :3] = Rotation.from_quat(obj.orientation).as_matrix()
    transform[:3, 3] = obj.position
    return mesh.apply_transform(transform)
