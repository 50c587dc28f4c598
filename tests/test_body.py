"""Body models, the humanoid built from them, its assets, and motion <-> hinge angles."""

from __future__ import annotations

import pickle
from pathlib import Path

import mujoco
import newton
import numpy as np
import pytest
import smplx
import torch
import trimesh
from pxr import Usd, UsdPhysics
from scipy.spatial.transform import Rotation
from synthetic import random_pose, rotation_angle_deg, synthetic_smpl_model

from hsimul3r_ext.assets.humanoid_mjcf import write_humanoid_mjcf
from hsimul3r_ext.assets.humanoid_usd import write_humanoid_usd
from hsimul3r_ext.body.case_humanoid import humanoid_config, humanoid_for_case
from hsimul3r_ext.body.humanoid import Capsule, build_humanoid, rest_body
from hsimul3r_ext.body.humanoid_motion import humanoid_forward_kinematics, humanoid_to_smpl, smpl_to_humanoid
from hsimul3r_ext.body.models import OPEN_MODEL_FILE, create_body_model, locate_body_model
from hsimul3r_ext.hsi import CaseError, load_case
from hsimul3r_ext.hsi.smpl_layout import SMPL_JOINT_NAMES, smpl_body_weights
from hsimul3r_ext.ingest.ingest_case import ingest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "raw" / "sit_chair"


@pytest.fixture(autouse=True)
def no_licensed_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests see the machine as a new user does: no SMPL files unless a test provides them."""
    monkeypatch.delenv("HSIMUL3R_BODY_MODELS", raising=False)


@pytest.fixture(scope="module")
def open_humanoid():
    source = locate_body_model("smpl", "neutral")
    model = create_body_model(source)
    betas = np.zeros(10)
    return build_humanoid(rest_body(model, betas), betas, humanoid_config(), source.describe())


@pytest.fixture(scope="module")
def sit_case(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("sit") / "case"
    ingest(folder, motion=EXAMPLE / "sit_down.npz")
    return load_case(folder)


def newton_dof_permutation(builder: newton.ModelBuilder, model: newton.Model, dof_names: list[str]) -> np.ndarray:
    """Our DOF index for each Newton DOF (Newton orders joints depth-first and names them by prim)."""
    starts = model.joint_qd_start.numpy()
    permutation = np.full(model.joint_dof_count, -1)
    for joint, label in enumerate(builder.joint_label):
        parts = label.split("/")[-1].rsplit("_", 2)  # <body>_<hinge>_<axis>; the free root is "joint_1"
        body, hinge = parts[0], parts[1] if len(parts) == 3 else None
        if body in SMPL_JOINT_NAMES and hinge == "0":
            first = dof_names.index(f"{body}_{label[-1]}")
            permutation[starts[joint] : starts[joint] + 3] = np.arange(first, first + 3)
    return permutation[permutation >= 0]


class TestBodyModels:
    def test_open_model_is_the_default_and_loads_in_smplx_unchanged(self) -> None:
        source = locate_body_model("smpl", "male")
        assert source.is_open_model and source.path == OPEN_MODEL_FILE
        raw = pickle.loads(OPEN_MODEL_FILE.read_bytes())
        landmarks = dict(zip(raw["landmark_names"].tolist(), raw["landmark_vertices"].tolist(), strict=True))
        model = smplx.SMPL(model_path=str(OPEN_MODEL_FILE), vertex_ids=landmarks)
        with torch.no_grad():
            out = model(betas=torch.zeros(1, 10))
        assert out.vertices.shape[1] == raw["v_template"].shape[0] and out.joints.shape[1] >= 24
        np.testing.assert_allclose(
            out.joints[0, :24].numpy(), raw["J_regressor"] @ raw["v_template"], atol=1e-5
        )  # unposed joints are the regressed template joints

    def test_height_grows_along_the_first_shape_component(self) -> None:
        model = create_body_model(locate_body_model("smpl", "neutral"))
        heights = []
        for beta0 in (-2.0, -1.0, 0.0, 1.0, 2.0):
            vertices = rest_body(model, np.array([beta0] + [0.0] * 9)).vertices
            heights.append(vertices[:, 1].max() - vertices[:, 1].min())
        assert np.all(np.diff(heights) > 0), heights
        assert 1.55 < heights[2] < 1.90

    def test_licensed_file_path_through_smplx(self, tmp_path: Path) -> None:
        (tmp_path / "smpl").mkdir()
        with open(tmp_path / "smpl" / "SMPL_MALE.pkl", "wb") as stream:
            pickle.dump(synthetic_smpl_model(), stream)
        source = locate_body_model("smpl", "male", tmp_path)
        assert not source.is_open_model
        with torch.no_grad():
            out = create_body_model(source)(betas=torch.zeros(1, 10))
        reference = synthetic_smpl_model()
        np.testing.assert_allclose(
            out.joints[0, :24].numpy(), reference["J_regressor"] @ reference["v_template"], atol=1e-6
        )

    def test_missing_licensed_file_says_which_file_and_mentions_the_open_model(self, tmp_path: Path) -> None:
        with pytest.raises(CaseError, match=r"smplx/SMPLX_FEMALE\.npz.*open body model"):
            locate_body_model("smplx", "female", tmp_path)

    def test_smplh_and_smplx_skinning_weights_fold_onto_smpls_24_bodies(self) -> None:
        """Fingers move with SMPL's hands, SMPL-X's jaw and eyes with its head; every row still sums to one."""
        rng = np.random.default_rng(0)
        head, left_hand, right_hand = (SMPL_JOINT_NAMES.index(n) for n in ("head", "left_hand", "right_hand"))
        body = [j for j in range(22) if j != head]
        for joints, face, first_finger in ((52, [], 22), (55, [22, 23, 24], 25)):
            weights = rng.random((100, joints))
            weights /= weights.sum(axis=1, keepdims=True)
            folded = smpl_body_weights(weights)
            np.testing.assert_allclose(folded.sum(axis=1), 1.0)
            np.testing.assert_allclose(folded[:, body], weights[:, body])
            np.testing.assert_allclose(folded[:, head], weights[:, [head, *face]].sum(axis=1))
            left, right = weights[:, first_finger : first_finger + 15], weights[:, first_finger + 15 :]
            np.testing.assert_allclose(folded[:, [left_hand, right_hand]], np.stack([left.sum(1), right.sum(1)], 1))
        smpl = rng.random((10, 24))
        np.testing.assert_array_equal(smpl_body_weights(smpl), smpl)

    def test_model_file_that_runs_code_is_refused_before_smplx(self, tmp_path: Path) -> None:
        marker = tmp_path / "pwned"

        class Exploit:
            def __reduce__(self):
                return (Path.touch, (marker,))

        (tmp_path / "SMPL_NEUTRAL.pkl").write_bytes(pickle.dumps({"v_template": Exploit()}))
        with pytest.raises(CaseError, match="refusing to load"):
            create_body_model(locate_body_model("smpl", "neutral", tmp_path))
        assert not marker.exists()


class TestHumanoid:
    def test_structure_mass_and_limits(self, open_humanoid) -> None:
        spec = open_humanoid
        assert [b.name for b in spec.bodies] == list(SMPL_JOINT_NAMES)
        assert len(spec.dof_names) == 69 == len(set(spec.dof_names))
        assert 45.0 < spec.total_mass < 110.0
        assert spec.total_mass == pytest.approx(spec.body_mesh_volume * 1000.0, rel=0.10)
        left, right = spec.joints[0], spec.joints[1]  # left_hip, right_hip
        np.testing.assert_allclose(right.lower[[0, 2]], -left.upper[[0, 2]])
        np.testing.assert_allclose(right.lower[1], left.lower[1])
        assert {"pelvis", "left_hip", "spine2", "left_hand", "right_foot"} <= set(spec.contact_bodies)
        assert ("pelvis", "left_hip") in spec.filtered_pairs

    def test_capsule_inertia_matches_a_meshed_capsule(self) -> None:
        capsule = Capsule(np.array([0.0, 0.0, -0.15]), np.array([0.0, 0.0, 0.15]), 0.06)
        mesh = trimesh.creation.capsule(height=0.3, radius=0.06, count=[64, 64])
        mesh.density = 1000.0
        assert capsule.volume * 1000 == pytest.approx(mesh.mass, rel=5e-3)
        np.testing.assert_allclose(capsule.inertia(1000.0), mesh.moment_inertia, rtol=1e-2, atol=1e-7)

    def test_usd_loads_in_newton_with_the_authored_physics(self, open_humanoid, tmp_path: Path) -> None:
        usd = write_humanoid_usd(open_humanoid, tmp_path / "humanoid.usda")
        stage = Usd.Stage.Open(str(usd))
        assert stage.GetDefaultPrim().HasAPI(UsdPhysics.ArticulationRootAPI)
        assert sum(p.HasAPI(UsdPhysics.RigidBodyAPI) for p in stage.Traverse()) == 24
        builder = newton.ModelBuilder()
        builder.add_usd(str(usd))
        model = builder.finalize(device="cpu")
        assert model.body_count == 24 and model.joint_dof_count == 69 + 6
        assert model.body_mass.numpy().sum() == pytest.approx(open_humanoid.total_mass, rel=1e-4)
        gains = model.joint_target_ke.numpy()[6:]
        expected = np.concatenate([j.stiffness[j.axes] for j in open_humanoid.joints])
        assert sorted(gains) == pytest.approx(sorted(expected), rel=1e-4)

    def test_mjcf_loads_in_mujoco_and_newton(self, open_humanoid, tmp_path: Path) -> None:
        path = write_humanoid_mjcf(open_humanoid, tmp_path / "humanoid.xml")
        model = mujoco.MjModel.from_xml_path(str(path))
        assert (model.nbody, model.nv, model.nu) == (25, 75, 69)
        assert model.body_mass.sum() == pytest.approx(open_humanoid.total_mass, rel=1e-4)
        builder = newton.ModelBuilder()
        builder.add_mjcf(str(path))
        assert builder.finalize(device="cpu").joint_dof_count == 75


class TestMotionToHumanoid:
    def test_hinge_angles_recompose_the_smpl_pose_exactly(self, open_humanoid) -> None:
        global_orient, body_pose, transl = random_pose(40, seed=9, scale=0.8)
        seated = Rotation.from_euler("x", -90, degrees=True).as_rotvec()  # SMPL hip flexion of a seated pose
        body_pose[:10, 0:3] = seated
        body_pose[:10, 3:6] = seated
        motion = smpl_to_humanoid(global_orient, body_pose, transl, 30.0, open_humanoid.hinge_orders)
        back_orient, back_pose = humanoid_to_smpl(motion, open_humanoid.hinge_orders)
        assert rotation_angle_deg(back_pose, body_pose).max() < 1e-9
        assert rotation_angle_deg(back_orient, global_orient).max() < 1e-9
        hips = motion.dof_pos[:10, 0:3]  # left hip, order y x z: flexion alone, far from the singularity
        np.testing.assert_allclose(hips, np.tile(np.radians([-90.0, 0.0, 0.0]), (10, 1)), atol=1e-9)

    def test_humanoid_fk_in_newton_matches_the_body_model_joints(self, open_humanoid, tmp_path: Path) -> None:
        frames = 6
        global_orient, body_pose, transl = random_pose(frames, seed=2, scale=0.5)
        model = create_body_model(locate_body_model("smpl", "neutral"), batch_size=frames)
        with torch.no_grad():
            as_tensor = {"dtype": torch.float32}
            out = model(
                betas=torch.zeros(frames, 10), global_orient=torch.tensor(global_orient, **as_tensor),
                body_pose=torch.tensor(body_pose, **as_tensor), transl=torch.tensor(transl, **as_tensor),
            )  # fmt: skip
        joints = out.joints[:, :24].double().numpy()
        spec = open_humanoid
        motion = smpl_to_humanoid(global_orient, body_pose, joints[:, 0], 30.0, spec.hinge_orders)
        positions, _ = humanoid_forward_kinematics(
            spec.rest_joints, motion.root_pos, motion.root_quat, motion.dof_pos, spec.hinge_orders
        )
        assert np.abs(positions - joints).max() < 1e-4
        builder = newton.ModelBuilder()
        builder.add_usd(str(write_humanoid_usd(spec, tmp_path / "h.usda")))
        sim = builder.finalize(device="cpu")
        order = newton_dof_permutation(builder, sim, spec.dof_names)
        bodies = [SMPL_JOINT_NAMES.index(label.split("/")[-1]) for label in builder.body_label]
        state = sim.state()
        worst = 0.0
        for frame in range(frames):
            q = np.concatenate([motion.root_pos[frame], motion.root_quat[frame], motion.dof_pos[frame][order]])
            sim.joint_q.assign(q.astype(np.float32))
            newton.eval_fk(sim, sim.joint_q, sim.joint_qd, state)
            worst = max(worst, np.abs(state.body_q.numpy()[:, :3] - joints[frame][bodies]).max())
        assert worst < 1e-3  # metres: the 1 mm bound

    def test_pd_tracking_of_a_sit_down_with_the_root_fixed(self, sit_case, tmp_path: Path) -> None:
        """Newton (MuJoCo CPU) follows PD targets from the motion: mean error < 2 degrees after settling."""
        humanoid = humanoid_for_case(sit_case)
        spec, motion = humanoid.spec, humanoid.motion
        assert any("open SMPL-compatible model" in note for note in humanoid.notes)
        builder = newton.ModelBuilder()
        builder.add_usd(str(write_humanoid_usd(spec, tmp_path / "h.usda")), floating=False)
        sim = builder.finalize(device="cpu")
        order = newton_dof_permutation(builder, sim, spec.dof_names)
        lower = np.concatenate([j.lower[j.axes] for j in spec.joints])
        upper = np.concatenate([j.upper[j.axes] for j in spec.joints])
        solver = newton.solvers.SolverMuJoCo(sim, use_mujoco_cpu=True)
        state, next_state, control = sim.state(), sim.state(), sim.control()
        dt, errors = 1.0 / 240.0, []
        for step in range(int(2.0 / dt)):
            frame = min(int(step * dt * motion.fps), len(motion.dof_pos) - 1)
            target = np.clip(motion.dof_pos[frame], lower, upper)[order]
            control.joint_target_q.assign(target.astype(np.float32))
            solver.step(state, next_state, control, None, dt)
            state, next_state = next_state, state
            if step * dt > 0.5:
                errors.append(np.abs(state.joint_q.numpy() - target))
        assert np.degrees(np.mean(errors)) < 2.0
        assert np.degrees(np.percentile(errors, 95)) < 8.0


class TestBodyModelInValidation:
    def test_betas_of_an_implausible_person_are_rejected(self) -> None:
        from hsimul3r_ext.hsi import Motion
        from hsimul3r_ext.ingest.checks import check_stature_from_betas

        global_orient, body_pose, transl = random_pose(5)
        motion = Motion(fps=30.0, betas=np.array([-9.0] + [0.0] * 9), global_orient=global_orient,
                        body_pose=body_pose, transl=transl)  # fmt: skip
        motion.validate("clip.npz")  # the body-free checks pass
        with pytest.raises(CaseError, match=r"clip\.npz: betas: these betas make a person 0\.\d\d m tall"):
            check_stature_from_betas("clip.npz", motion)
        motion.betas = np.array([1.5] + [0.0] * 9)
        check_stature_from_betas("clip.npz", motion)

    def test_a_handed_case_with_implausible_betas_is_refused_on_load(self, tmp_path: Path) -> None:
        from hsimul3r_ext.hsi import HSIScene, Motion, save_case
        from hsimul3r_ext.ingest.checks import load_checked_case

        global_orient, body_pose, transl = random_pose(5)
        motion = Motion(fps=30.0, betas=np.array([-9.0] + [0.0] * 9), global_orient=global_orient,
                        body_pose=body_pose, transl=transl)  # fmt: skip
        save_case(HSIScene(name="short", motion=motion), tmp_path / "case")
        with pytest.raises(CaseError, match=r"motion\.npz: betas: these betas make a person"):
            load_checked_case(tmp_path / "case")

    def test_preview_poses_the_default_body_when_the_motion_has_no_joints(self, tmp_path: Path) -> None:
        from hsimul3r_ext.ingest.preview import render_preview, skeleton

        global_orient, body_pose, transl = random_pose(12, seed=4, scale=0.2)
        np.savez(tmp_path / "clip.npz", poses=np.concatenate([global_orient, body_pose], axis=1), trans=transl,
                 betas=np.zeros(16), mocap_framerate=30.0)  # fmt: skip
        scene = ingest(tmp_path / "case", motion=tmp_path / "clip.npz")
        joints = skeleton(scene.motion)
        rest = create_body_model(locate_body_model("smpl", "neutral"))
        with torch.no_grad():
            as_tensor = {"dtype": torch.float32}
            expected = rest(
                global_orient=torch.tensor(global_orient[:1], **as_tensor),
                body_pose=torch.tensor(body_pose[:1], **as_tensor), transl=torch.tensor(transl[:1], **as_tensor),
            ).joints[0, :24].numpy()  # fmt: skip
        np.testing.assert_allclose(joints[0], expected, atol=1e-4)
        png = render_preview(scene, tmp_path / "preview.png")
        assert png.stat().st_size > 10_000
