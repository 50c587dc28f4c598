"""A seeded corpus of corrupted inputs through `hsimul3r ingest`, `validate` and `convert` (in-process).

Every corruption must end the same way: exit 2, exactly one line on stderr that names the file at fault
(`hsimul3r: error: FILE: FIELD: problem`), no traceback, no Python warning, and nothing written or left
behind anywhere under the test's folder. The corpus crosses corruption kinds (truncated, wrong dtype,
wrong rank, NaN, huge values, empty, missing, non-UTF-8 text and names, folders where files belong,
output folders that cannot be made) with the arrays and fields of each input file.
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import trimesh

from hsimul3r_ext.cli import EXIT_BAD_INPUT, main

FRAMES = 12
RNG_SEED = 20240612


# ---------------------------------------------------------------------------------------------- clean inputs


def amass_arrays() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(RNG_SEED)
    poses = rng.normal(0.0, 0.1, (FRAMES, 72))
    poses[:, :3] = [np.pi / 2, 0.0, 0.0]  # upright, Z-up
    trans = np.column_stack([np.linspace(0.0, 0.2, FRAMES), np.zeros(FRAMES), np.full(FRAMES, 0.9)])
    return {"poses": poses, "trans": trans, "betas": np.zeros(10), "mocap_framerate": np.array(30.0),
            "gender": np.array("neutral")}  # fmt: skip


def write_clean_inputs(folder: Path) -> dict[str, Path]:
    """A motion, a box standing on the floor and a point cloud, all valid."""
    folder.mkdir(parents=True, exist_ok=True)
    np.savez(folder / "walk.npz", **amass_arrays())
    box = trimesh.creation.box([0.4, 0.4, 0.45])
    box.apply_translation([0.0, 0.0, 0.225])
    box.export(folder / "box.obj")
    box.export(folder / "box.stl")
    np.savez(folder / "scan.npz", points=np.random.default_rng(1).uniform(-1, 1, (50, 3)).astype(np.float32))
    return {"motion": folder / "walk.npz", "mesh": folder / "box.obj", "stl": folder / "box.stl",
            "cloud": folder / "scan.npz"}  # fmt: skip


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Clean inputs and a clean case ingested from them (checked to pass `validate`)."""
    root = tmp_path_factory.mktemp("clean")
    files = write_clean_inputs(root / "inputs")
    case = root / "case"
    argv = ["ingest", "--motion", files["motion"], "--object", files["mesh"], "category=box",
            "--point-cloud", files["cloud"], "-o", case]  # fmt: skip
    assert main([str(a) for a in argv]) == 0
    assert main(["validate", str(case)]) == 0
    return {**files, "case": case}


# ---------------------------------------------------------------------------------------------- corruptions


def _floats(array: np.ndarray) -> np.ndarray:
    """The array as float64 (text becomes zeros), so numeric corruptions apply to every field."""
    return np.array(array, dtype=np.float64) if array.dtype.kind in "fiub" else np.zeros(array.shape)


def _nan(array: np.ndarray) -> np.ndarray:
    out = _floats(array)
    out.flat[out.size // 2] = np.nan
    return out


ARRAY_CORRUPTIONS: dict[str, Callable[[np.ndarray], np.ndarray | None]] = {
    "text": lambda a: np.full(a.shape, "x", dtype="<U1"),
    "non_utf8_bytes": lambda a: np.full(a.shape, b"\xff\xfe", dtype="S2"),
    "booleans": lambda a: np.ones(a.shape, dtype=bool),
    "complex": lambda a: _floats(a) + 1j,
    "objects": lambda a: np.array([None] * max(a.size, 1), dtype=object),
    "rank_up": lambda a: np.asarray(a)[..., None, None],
    "scalar": lambda a: np.array(1.0),
    "nan": _nan,
    "inf": lambda a: np.full(a.shape, np.inf),
    "huge": lambda a: np.full(a.shape, 1e30),
    "huge_float64": lambda a: np.full(a.shape, -1e300),
    "empty": lambda a: np.zeros((0, *a.shape[1:])),
    "missing": lambda a: None,
}


def corrupt_npz(path: Path, key: str, kind: str) -> None:
    with np.load(path, allow_pickle=False) as npz:
        arrays = {name: npz[name] for name in npz.files}
    broken = ARRAY_CORRUPTIONS[kind](arrays[key])
    if broken is None:
        del arrays[key]
    else:
        arrays[key] = broken
    path.unlink()
    np.savez(path, **arrays)


def truncate(path: Path) -> None:
    data = path.read_bytes()
    cut = int(np.random.default_rng(len(data)).integers(1, len(data) - 1))
    path.write_bytes(data[:cut])


FILE_CORRUPTIONS: dict[str, Callable[[Path], None]] = {
    "truncated": truncate,
    "empty_file": lambda p: p.write_bytes(b""),
    "random_bytes": lambda p: p.write_bytes(np.random.default_rng(7).bytes(300)),
    "folder_instead": lambda p: (p.unlink(), p.mkdir()),
}


@dataclass
class Corruption:
    """One broken input: `prepare(work, clean)` breaks a copy and returns (argv, path the error must name)."""

    id: str
    prepare: Callable[[Path, dict[str, Path]], tuple[list[Any], Path]]


def _copy(source: Path, work: Path, name: str | None = None) -> Path:
    target = work / (name or source.name)
    (shutil.copytree if source.is_dir() else shutil.copy2)(source, target)
    return target


def ingest_motion(key: str | None, kind: str, name: str = "walk.npz") -> Corruption:
    def prepare(work: Path, clean: dict[str, Path]) -> tuple[list[Any], Path]:
        motion = _copy(clean["motion"], work, name)
        if key is None:
            FILE_CORRUPTIONS[kind](motion)
        else:
            corrupt_npz(motion, key, kind)
        return ["ingest", "--motion", motion, "--object", clean["mesh"], "-o", work / "out" / "case"], motion

    return Corruption(f"ingest-motion-{key or 'file'}-{kind}{'-non_utf8_name' if name != 'walk.npz' else ''}", prepare)


def ingest_mesh(kind: str, source: str = "mesh") -> Corruption:
    def prepare(work: Path, clean: dict[str, Path]) -> tuple[list[Any], Path]:
        mesh = _copy(clean[source], work)
        if kind == "nan_vertex":
            mesh.write_text("v nan 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n")
        elif kind == "huge_vertex":
            mesh.write_text("v 1e30 0 0\nv 0 0.5 0\nv 0 0 0.5\nf 1 2 3\n")
        else:
            FILE_CORRUPTIONS[kind](mesh)
        return ["ingest", "--object", mesh, "-o", work / "out" / "case"], mesh

    return Corruption(f"ingest-{source}-{kind}", prepare)


def ingest_option(token: str, field: str) -> Corruption:
    def prepare(work: Path, clean: dict[str, Path]) -> tuple[list[Any], Path]:
        return ["ingest", "--object", clean["mesh"], token, "-o", work / "out" / "case"], clean["mesh"]

    return Corruption(f"ingest-option-{field}", prepare)


def ingest_cloud(key: str, kind: str) -> Corruption:
    def prepare(work: Path, clean: dict[str, Path]) -> tuple[list[Any], Path]:
        cloud = _copy(clean["cloud"], work)
        corrupt_npz(cloud, key, kind)
        argv = ["ingest", "--object", clean["mesh"], "--point-cloud", cloud, "-o", work / "out" / "case"]
        return argv, cloud

    return Corruption(f"ingest-cloud-{key}-{kind}", prepare)


def unmakeable_output(command: str, kind: str) -> Corruption:
    def prepare(work: Path, clean: dict[str, Path]) -> tuple[list[Any], Path]:
        if kind == "parent_is_a_file":
            (work / "out").write_text("not a folder")
            out = work / "out" / "case"
        else:  # a name longer than any file system allows
            out = work / ("x" * 300)
        if command == "ingest":
            return ["ingest", "--object", clean["mesh"], "-o", out], out
        return ["convert", _copy(clean["case"], work), "-o", out, "--no-humanoid"], out

    return Corruption(f"{command}-output-{kind}", prepare)


def case_edit(target: str, edit: Callable[[Path], None], label: str, command: str, named: str = "") -> Corruption:
    """A copy of the clean case with `target` (relative to it) broken by `edit`; the error names `named`
    (default: the target itself)."""

    def prepare(work: Path, clean: dict[str, Path]) -> tuple[list[Any], Path]:
        case = _copy(clean["case"], work)
        edit(case / target)
        if command == "validate":
            return ["validate", case], case / (named or target)
        return ["convert", case, "-o", work / "out" / "converted", "--no-humanoid"], case / (named or target)

    return Corruption(f"{command}-{label}", prepare)


def manifest_edit(change: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    def edit(path: Path) -> None:
        data = json.loads(path.read_text())
        change(data)
        path.write_text(json.dumps(data))

    return edit


def set_field(*keys: Any, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(data: dict[str, Any]) -> None:
        for key in keys[:-1]:
            data = data[key]
        data[keys[-1]] = value

    return change


MANIFEST_CORRUPTIONS: dict[str, Callable[[dict[str, Any]], None]] = {
    "name-number": set_field("name", value=5),
    "format_version-text": set_field("format_version", value="1"),
    "units-cm": set_field("units", value="cm"),
    "motion-number": set_field("motion", value=5),
    "motion.file-absolute": set_field("motion", "file", value="/etc/passwd"),
    "motion.file-outside": set_field("motion", "file", value="../../walk.npz"),
    "motion.fps-text": set_field("motion", "fps", value="30"),
    "motion.fps-nan": set_field("motion", "fps", value=float("nan")),
    "motion.fps-huge": set_field("motion", "fps", value=1e300),
    "motion.num_frames-text": set_field("motion", "num_frames", value="12"),
    "motion.gender-number": set_field("motion", "gender", value=3),
    "motion.pelvis_rest_m-text": set_field("motion", "pelvis_rest_m", value=["a", "b", "c"]),
    "objects-object": set_field("objects", value={}),
    "objects[0]-number": set_field("objects", 0, value=5),
    "objects[0].name-space": set_field("objects", 0, "name", value="a box"),
    "objects[0].mesh-missing": set_field("objects", 0, "mesh", value="objects/none.obj"),
    "objects[0].position-text": set_field("objects", 0, "position", value="0,0,0"),
    "objects[0].position-nan": set_field("objects", 0, "position", value=[float("nan"), 0, 0]),
    "objects[0].position-huge": set_field("objects", 0, "position", value=[1e300, 0, 0]),
    "objects[0].position-kilometres_up": set_field("objects", 0, "position", value=[0, 0, 1500.0]),
    "objects[0].position-buried": set_field("objects", 0, "position", value=[0, 0, -3.0]),
    "objects[0].orientation_xyzw-zero": set_field("objects", 0, "orientation_xyzw", value=[0, 0, 0, 0]),
    "objects[0].mass_kg-text": set_field("objects", 0, "mass_kg", value="5"),
    "objects[0].static-text": set_field("objects", 0, "static", value="yes"),
    "point_clouds[0].num_points-text": set_field("point_clouds", 0, "num_points", value="50"),
    "provenance-object": set_field("provenance", value={}),
}

CASE_ARRAYS = ("betas", "global_orient", "body_pose", "transl")
CASE_ARRAY_KINDS = ("text", "non_utf8_bytes", "booleans", "complex", "objects", "rank_up", "nan", "huge",
                    "huge_float64", "empty", "missing")  # fmt: skip


def corpus() -> list[Corruption]:
    found = [ingest_motion(None, kind) for kind in FILE_CORRUPTIONS]
    found.append(ingest_motion(None, "truncated", name=os.fsdecode(b"wa\xfflk.npz")))
    # Not corruptions: AMASS betas are flattened ((1, 10) and (1,) are fine), a frame rate may sit in a
    # one-element array of any rank or be 1 fps, a gender likewise, and a missing gender means neutral.
    tolerated = {("betas", "rank_up"), ("betas", "scalar"), ("mocap_framerate", "rank_up"),
                 ("mocap_framerate", "scalar"), ("gender", "rank_up"), ("gender", "missing")}  # fmt: skip
    found += [
        ingest_motion(key, kind) for key in amass_arrays() for kind in ARRAY_CORRUPTIONS if (key, kind) not in tolerated
    ]
    found += [ingest_mesh(kind) for kind in (*FILE_CORRUPTIONS, "nan_vertex", "huge_vertex")]
    found += [ingest_mesh(kind, "stl") for kind in ("truncated", "random_bytes")]
    found += [ingest_cloud("points", kind) for kind in ("text", "nan", "rank_up", "empty", "missing")]
    found += [
        ingest_option("position=1e300,0,0", "position-huge"),
        ingest_option("position=0,0,-2", "position-buried"),
        ingest_option("orientation=0,0,0,0", "orientation-zero"),
    ]
    found += [unmakeable_output(command, kind) for command in ("ingest", "convert")
              for kind in ("parent_is_a_file", "name_too_long")]  # fmt: skip
    for command in ("validate", "convert"):
        found += [case_edit("hsi.json", FILE_CORRUPTIONS[k], f"hsi.json-{k}", command) for k in FILE_CORRUPTIONS]
        found.append(case_edit("hsi.json", lambda p: p.write_bytes(b'{"name": "\xff"}'), "hsi.json-latin1", command))
        found += [
            case_edit("hsi.json", manifest_edit(change), f"hsi.json-{label}", command)
            for label, change in MANIFEST_CORRUPTIONS.items()
        ]
        # A folder where the manifest points to a file is the manifest's field at fault.
        named = {"folder_instead": "hsi.json"}
        found += [
            case_edit("motion.npz", FILE_CORRUPTIONS[k], f"motion.npz-{k}", command, named.get(k, ""))
            for k in FILE_CORRUPTIONS
        ]
        found += [
            case_edit("motion.npz", lambda p, key=key, kind=kind: corrupt_npz(p, key, kind), f"{key}-{kind}", command)
            for key in CASE_ARRAYS
            for kind in CASE_ARRAY_KINDS
        ]
        found += [
            case_edit("objects/box.obj", FILE_CORRUPTIONS[k], f"mesh-{k}", command, named.get(k, ""))
            for k in FILE_CORRUPTIONS
        ]
        found += [
            case_edit("reference/scene_points_0.npz", lambda p, kind=kind: corrupt_npz(p, "points", kind),
                      f"cloud-points-{kind}", command)
            for kind in ("text", "nan", "rank_up", "empty", "missing")
        ]  # fmt: skip
    return found


CORPUS = corpus()


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.parametrize("corruption", CORPUS, ids=[c.id for c in CORPUS])
def test_corruption_exits_2_with_one_line_and_no_output(
    corruption: Corruption, clean: dict[str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv, culprit = corruption.prepare(tmp_path, clean)
    before = _tree(tmp_path)
    capsys.readouterr()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a warning printed to the user is a second line
        code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert code == EXIT_BAD_INPUT, err
    assert len(lines) == 1 and lines[0].startswith("hsimul3r: error: "), err
    shown = str(culprit).encode("utf-8", "backslashreplace").decode()
    assert lines[0].startswith(f"hsimul3r: error: {shown}") and lines[0].count(": ") >= 3, lines[0]
    assert _tree(tmp_path) == before, "a failed command wrote or left something"
