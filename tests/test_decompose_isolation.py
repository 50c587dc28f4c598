"""Native steps of the conversion (CoACD, MeshFix, manifold3d) run in a child process: an abort or a hang there
costs a retry or a fallback, reported in `convert.json`, never the process.

The failing steps (`native_failures`) are real: they abort the child, hang in it, raise or get it killed.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import newton
import numpy as np
import pytest
import trimesh
from native_failures import (
    COACD_ASSERTION,
    aborting_on_seed_0,
    failing_assertion,
    hanging,
    killed_from_outside,
    no_convergence,
)

from hsimul3r_ext.assets import convert_case, load_convert_config
from hsimul3r_ext.assets import decompose as decompose_module
from hsimul3r_ext.assets.config import CoacdConfig, CoacdRetry
from hsimul3r_ext.assets.decompose import decompose
from hsimul3r_ext.assets.hull_cache import cache_key, load_failure
from hsimul3r_ext.assets.native_child import run_in_child
from hsimul3r_ext.assets.repair import close_with_convex_hull, repair_solid
from hsimul3r_ext.cli import main
from hsimul3r_ext.hsi import CaseError, HSIScene, SceneObject, save_case

CHAIR = Path(__file__).resolve().parents[1] / "examples" / "raw" / "sit_chair" / "chair.obj"


# --- meshes --------------------------------------------------------------------------------------------------------


def box(size: tuple[float, ...], centre: tuple[float, ...], open_top: bool = False) -> trimesh.Trimesh:
    mesh = trimesh.creation.box(size)
    mesh.apply_translation(centre)
    if open_top:
        mesh = trimesh.Trimesh(mesh.vertices, mesh.faces[mesh.face_normals[:, 2] < 0.99], process=False)
    return mesh


def sofa_shell(seed: int = 0) -> trimesh.Trimesh:
    """A 2.4 m sofa as modellers leave them: ~140 slabs, most overlapping, some only touching, a third open on
    top, with loose chips inside and flat patches (the kind of shell on which CoACD aborted)."""
    rng = np.random.default_rng(seed)
    parts = []

    def tiles(low: tuple[float, ...], high: tuple[float, ...], counts: tuple[int, ...]) -> None:
        edges = [np.linspace(a, b, n + 1) for a, b, n in zip(low, high, counts, strict=True)]
        for i, j, k in np.ndindex(*counts):
            lo = np.array([edges[0][i], edges[1][j], edges[2][k]])
            hi = np.array([edges[0][i + 1], edges[1][j + 1], edges[2][k + 1]])
            grow = rng.uniform(0.0, 0.01, 3) if rng.random() < 0.7 else np.zeros(3)
            parts.append(box(tuple(hi - lo + grow), tuple((lo + hi) / 2), open_top=rng.random() < 0.3))

    tiles((-1.2, -0.45, 0.05), (1.2, 0.45, 0.4), (8, 3, 2))  # seat base
    tiles((-1.2, 0.25, 0.4), (1.2, 0.45, 0.85), (8, 1, 2))  # back
    tiles((-1.2, -0.45, 0.4), (-1.0, 0.25, 0.65), (1, 3, 2))  # arms
    tiles((1.0, -0.45, 0.4), (1.2, 0.25, 0.65), (1, 3, 2))
    tiles((-1.0, -0.43, 0.4), (1.0, 0.25, 0.52), (4, 2, 1))  # cushions
    parts += [box((0.06, 0.06, 0.06), (x, y, 0.03)) for x in (-1.1, 1.1) for y in (-0.38, 0.38)]  # feet
    for _ in range(30):
        parts.append(box(tuple(rng.uniform(0.01, 0.03, 3)), tuple(rng.uniform([-1.1, -0.4, 0.1], [1.1, 0.4, 0.35]))))
    for _ in range(8):
        corner = rng.uniform([-1.1, -0.4, 0.45], [1.1, 0.4, 0.5])
        parts.append(trimesh.Trimesh(corner + [[0, 0, 0], [0.05, 0, 0], [0, 0.05, 0]], [[0, 1, 2]], process=False))
    return trimesh.util.concatenate(parts)


@pytest.fixture(scope="module")
def chair_solid() -> trimesh.Trimesh:
    solid, _ = repair_solid(trimesh.load(CHAIR, force="mesh", process=False), CHAIR)
    return solid


@pytest.fixture(scope="module")
def sofa_case(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("sofa")
    mesh = sofa_shell()
    assert len(mesh.split(only_watertight=False)) > 100 and not mesh.is_watertight
    assert mesh.extents[0] == pytest.approx(2.4, abs=0.02)
    (folder / "source" / "objects").mkdir(parents=True)
    mesh.export(folder / "source" / "objects" / "sofa.obj")
    scene = HSIScene("sofa", objects=[SceneObject("sofa", "objects/sofa.obj", category="sofa")], root=folder / "source")
    return save_case(scene, folder / "case")


def hull_volume(hulls: list[trimesh.Trimesh]) -> float:
    return sum(hull.volume for hull in hulls)


# --- the child process ---------------------------------------------------------------------------------------------


def test_an_abort_in_the_child_is_survived_and_explained() -> None:
    result = run_in_child(failing_assertion, time_limit_s=30)
    assert not result.ok and result.repeatable
    assert result.reason == f"killed by SIGABRT (python: {COACD_ASSERTION})"


def test_a_hang_is_killed_at_the_time_limit() -> None:
    result = run_in_child(hanging, time_limit_s=0.5)
    assert not result.ok and not result.repeatable  # a timeout depends on the machine: not remembered
    assert result.reason == "timed out after 0.5 s" and 0.5 <= result.seconds < 10


def test_an_exception_in_the_child_and_a_plain_answer() -> None:
    failed = run_in_child(no_convergence, time_limit_s=30)
    assert (failed.ok, failed.reason, failed.repeatable) == (False, "RuntimeError: no convergence", True)
    answer = run_in_child(np.add, np.arange(3.0), 1.0, time_limit_s=30)
    assert answer.ok and answer.value.tolist() == [1.0, 2.0, 3.0]
    killed = run_in_child(killed_from_outside, time_limit_s=30)
    assert killed.reason == "killed by SIGKILL" and not killed.repeatable  # e.g. the OOM killer: not remembered


def test_a_script_without_a_main_guard_can_run_steps_in_children(tmp_path: Path) -> None:
    script = tmp_path / "convert_things.py"  # children never re-run it (multiprocessing's would, and fail)
    script.write_text(
        "import os\nfrom hsimul3r_ext.assets.native_child import run_in_child\n"
        "print(run_in_child(os.getpid, time_limit_s=60).ok, run_in_child(os.abort, time_limit_s=60).reason)\n"
    )
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0 and done.stdout.strip() == "True killed by SIGABRT", done.stderr


# --- decomposition: retry, fallback, cache -------------------------------------------------------------------------


def test_an_abort_is_retried_with_the_next_seed_and_remembered(
    chair_solid: trimesh.Trimesh, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = CoacdConfig(cache_dir=str(tmp_path))
    first = decompose(chair_solid, config, coacd_step=aborting_on_seed_0)
    assert first.method == "coacd" and first.fallback_reason is None and len(first.hulls) >= 2
    aborted, retried = first.attempts
    assert (aborted.outcome, aborted.parameters["seed"]) == ("failed", 0)
    assert aborted.reason == f"killed by SIGABRT (python: {COACD_ASSERTION})"
    assert (retried.outcome, retried.parameters["seed"], retried.hull_count) == ("ok", 1, len(first.hulls))

    def no_child(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("a cache hit must not start a child")

    monkeypatch.setattr(decompose_module, "run_in_child", no_child)
    again = decompose(chair_solid, config, coacd_step=aborting_on_seed_0)
    assert [a.outcome for a in again.attempts] == ["failed before", "cached"] and again.cache_hit
    assert again.attempts[0].reason == aborted.reason
    assert [len(h.vertices) for h in again.hulls] == [len(h.vertices) for h in first.hulls]
    assert again.to_json()["attempts"][0]["reason"] == aborted.reason


def test_when_every_attempt_fails_the_hulls_are_those_of_convex_parts(
    chair_solid: trimesh.Trimesh, tmp_path: Path
) -> None:
    config = CoacdConfig(cache_dir=str(tmp_path))
    result = decompose(chair_solid, config, coacd_step=failing_assertion)
    assert result.method == "convex_parts" and 4 <= len(result.hulls) <= config.max_convex_hull
    assert [a.method for a in result.attempts] == ["coacd"] * 4 + ["convex_parts"]
    assert [a.parameters["seed"] for a in result.attempts[:4]] == [0, 1, 0, 2]
    assert [a.parameters["threshold"] for a in result.attempts[:4]] == [0.05, 0.05, 0.08, 0.08]
    assert result.attempts[3].parameters["preprocess_mode"] == "on"
    assert all(a.reason.startswith("killed by SIGABRT") for a in result.attempts[:4])
    assert result.fallback_reason.startswith("CoACD failed on all 4 attempt(s) (last: killed by SIGABRT")
    assert result.fallback_reason.endswith(f"cut into {len(result.hulls)} near-convex part(s) instead")
    # The parts hug the chair: one hull would fill the space under the seat and behind the back.
    assert hull_volume(result.hulls) < 1.15 * chair_solid.volume < 0.3 * chair_solid.convex_hull.volume
    assert all(len(hull.vertices) <= config.max_ch_vertex for hull in result.hulls)
    reported = result.to_json()
    assert reported["method"] == "convex_parts" and len(reported["attempts"]) == 5


def test_disjoint_pieces_keep_their_own_hulls_and_the_single_hull_is_the_last_resort(tmp_path: Path) -> None:
    pieces = [box((0.4, 0.4, 0.05), (0, 0, 0.6)), box((0.1, 0.1, 0.3), (0.5, 0.5, 0.15))]
    solid = trimesh.util.concatenate(pieces)
    config = CoacdConfig(cache_dir=str(tmp_path), retries=[])
    parts = decompose(solid, config, coacd_step=no_convergence)
    assert parts.method == "convex_parts" and len(parts.hulls) == 2
    assert sorted(h.volume for h in parts.hulls) == pytest.approx(sorted(p.volume for p in pieces), rel=1e-6)
    assert parts.attempts[0].reason == "RuntimeError: no convergence"

    last = decompose(solid, config, coacd_step=failing_assertion, split_step=failing_assertion)
    assert last.method == "convex_hull" and len(last.hulls) == 1
    assert last.fallback_reason.endswith("and so did cutting it into convex parts")
    assert [a.outcome for a in last.attempts] == ["failed", "failed"]


def test_a_hang_hits_the_time_limit_and_is_not_remembered(chair_solid: trimesh.Trimesh, tmp_path: Path) -> None:
    config = CoacdConfig(cache_dir=str(tmp_path), time_limit_s=0.5, retries=[CoacdRetry(seed=1)])
    result = decompose(chair_solid, config, coacd_step=hanging)
    assert [a.reason for a in result.attempts[:2]] == ["timed out after 0.5 s"] * 2
    assert result.method == "convex_parts" and result.attempts[2].outcome == "ok"
    assert result.seconds < 15
    parameters = {"method": "coacd", "step": "native_failures.hanging", **result.attempts[0].parameters}
    assert load_failure(tmp_path, cache_key(chair_solid.vertices, chair_solid.faces, parameters)) is None


def test_retries_and_time_limit_are_configurable() -> None:
    config = load_convert_config(["convert.coacd.time_limit_s=20", "convert.coacd.retries=[{seed:7,threshold:0.1}]"])
    assert config.coacd.time_limit_s == 20
    assert [(a.seed, a.threshold, a.max_convex_hull) for a in config.coacd.attempts()] == [(0, 0.05, 32), (7, 0.1, 32)]
    with pytest.raises(CaseError, match=r"convert\.coacd\.retries\[0\]\.preprocess_mode: must be auto, on or off"):
        load_convert_config(["convert.coacd.retries=[{preprocess_mode:sometimes}]"])
    with pytest.raises(CaseError, match=r"convert\.coacd\.time_limit_s: must be positive"):
        load_convert_config(["convert.coacd.time_limit_s=0"])


# --- repair --------------------------------------------------------------------------------------------------------


def test_repair_survives_an_abort_in_meshfix() -> None:
    shell = box((0.4, 0.4, 0.4), (0, 0, 0.2), open_top=True)
    closers = (("MeshFix", failing_assertion), ("convex hulls", close_with_convex_hull))
    solid, report = repair_solid(shell, Path("shell.obj"), closers=closers)
    assert solid.is_watertight and solid.volume == pytest.approx(0.064, rel=1e-9)
    assert report.closed_with == "convex hulls" and len(report.native_failures) == 1
    assert report.native_failures[0] == f"repair with MeshFix failed (killed by SIGABRT (python: {COACD_ASSERTION}))"
    assert report.repairs[:2] == [*report.native_failures, "closed 1 open or non-manifold part(s) with convex hulls"]
    with pytest.raises(CaseError, match=r"shell\.obj: mesh: repair with MeshFix failed \(killed by SIGABRT") as err:
        repair_solid(shell, Path("shell.obj"), closers=(("MeshFix", failing_assertion),))
    assert err.value.field == "mesh"


# --- whole conversions of a many-piece sofa shell ------------------------------------------------------------------


def test_sofa_shell_whose_decomposition_aborts_converts_with_the_fallback_reported(
    sofa_case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(decompose_module, "coacd_parts", failing_assertion)  # what the child runs
    out = tmp_path / "out"
    code = main(["convert", str(sofa_case), "-o", str(out), f"convert.coacd.cache_dir={tmp_path / 'cache'}"])
    stderr = capsys.readouterr().err
    assert code == 0 and "convex-parts fallback" in stderr and "killed by SIGABRT" in stderr
    entry = json.loads((out / "convert.json").read_text())["objects"]["sofa"]
    collision = entry["collision"]
    assert collision["method"] == "convex_parts" and collision["hull_count"] >= 2
    assert [a["outcome"] for a in collision["attempts"]] == ["failed"] * 4 + ["ok"]
    assert all(COACD_ASSERTION in a["reason"] for a in collision["attempts"][:4])
    assert entry["repair"]["parts_before"] > 100 and entry["repair"]["watertight_after"]
    builder = newton.ModelBuilder()
    builder.add_usd(str(out / "objects" / "sofa.usda"))
    colliding = [flags for flags in builder.shape_flags if int(flags) & int(newton.ShapeFlags.COLLIDE_SHAPES)]
    assert builder.body_count == 1 and len(colliding) == collision["hull_count"]


def test_sofa_shell_converts_with_coacd_and_a_second_conversion_starts_no_decomposition_child(
    sofa_case: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Cheaper CoACD settings than the defaults (~40 s on this shell): the path is the same.
    overrides = [f"convert.coacd.cache_dir={tmp_path / 'cache'}", "convert.coacd.max_input_faces=1000"]
    overrides += ["convert.coacd.threshold=0.1", "convert.coacd.mcts_iterations=30", "convert.coacd.max_convex_hull=8"]
    config = load_convert_config(overrides)
    first = convert_case(sofa_case, tmp_path / "first", config)["objects"]["sofa"]["collision"]
    assert first["method"] == "coacd" and first["hull_count"] >= 2 and first["fallback_reason"] is None
    assert [a["outcome"] for a in first["attempts"]] == ["ok"]
    monkeypatch.setattr(decompose_module, "run_in_child", None)  # calling it would raise
    second = convert_case(sofa_case, tmp_path / "second", config)["objects"]["sofa"]["collision"]
    assert second["cache_hit"] and [a["outcome"] for a in second["attempts"]] == ["cached"]
    assert second["hull_vertices"] == first["hull_vertices"]
