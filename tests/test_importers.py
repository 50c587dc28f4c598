"""Every importer on files the tests write, and the axis conversions they perform."""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse
import torch
import trimesh
from scipy.spatial.transform import Rotation
from synthetic import body_transforms, humanoid_quats, random_pose, rotation_angle_deg

from hsimul3r_ext.body.kinematics import forward_kinematics
from hsimul3r_ext.body.reference_skeleton import REFERENCE_REST_JOINTS
from hsimul3r_ext.hsi import CaseError, load_case
from hsimul3r_ext.hsi.smpl_layout import HUMANOID_BODY_ORDER, SMPL_JOINT_NAMES
from hsimul3r_ext.ingest.importers import MotionImportOptions, detect_motion_format, import_motion
from hsimul3r_ext.ingest.importers.meshes import ObjectSpec, import_object
from hsimul3r_ext.ingest.importers.point_clouds import import_point_cloud
from hsimul3r_ext.ingest.ingest_case import ingest

Z_UP_FROM_Y_UP = Rotation.from_euler("x", 90, degrees=True)
DFS = np.array([SMPL_JOINT_NAMES.index(name) for name in HUMANOID_BODY_ORDER])


def _y_up(global_orient: np.ndarray, transl: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The same body expressed in a Y-up world (exact SMPL inverse of the Z-up conversion)."""
    turn = Z_UP_FROM_Y_UP.inv()
    pelvis = REFERENCE_REST_JOINTS[0]
    return (turn * Rotation.from_rotvec(global_orient)).as_rotvec(), turn.apply(pelvis + transl) - pelvis


def write_amass(path: Path, width: int = 72, frames: int = 20, rate_key: str = "mocap_framerate", **extra) -> dict:
    rng = np.random.default_rng(1)
    global_orient, body_pose, transl = random_pose(frames)
    poses = np.concatenate([global_orient, body_pose[:, :69], rng.normal(0, 0.2, (frames, width - 72))], axis=1)
    data = {"poses": poses, "trans": transl, "betas": rng.normal(0, 1, 16), rate_key: np.array(60.0),
            "gender": np.array(b"female"), **extra}  # fmt: skip
    np.savez(path, **data)
    return data


class TestAmass:
    def test_smpl_h_layout_and_metadata(self, tmp_path: Path) -> None:
        data = write_amass(tmp_path / "a.npz", width=156)
        motion = import_motion(tmp_path / "a.npz", None, MotionImportOptions()).motion
        assert motion.model_type == "smplh" and motion.gender == "female" and motion.fps == 60.0
        np.testing.assert_allclose(motion.body_pose, data["poses"][:, 3:66])
        np.testing.assert_allclose(motion.hand_face["left_hand_pose"], data["poses"][:, 66:111])
        np.testing.assert_allclose(motion.hand_face["right_hand_pose"], data["poses"][:, 111:156])
        np.testing.assert_allclose(motion.transl, data["trans"])  # AMASS is Z-up already
        assert motion.betas.shape == (16,)

    def test_smplx_layout_and_frame_rate_key(self, tmp_path: Path) -> None:
        data = write_amass(tmp_path / "x.npz", width=165, rate_key="mocap_frame_rate")
        motion = import_motion(tmp_path / "x.npz", "amass", MotionImportOptions()).motion
        assert motion.model_type == "smplx"
        np.testing.assert_allclose(motion.hand_face["jaw_pose"], data["poses"][:, 66:69])
        np.testing.assert_allclose(motion.hand_face["right_hand_pose"], data["poses"][:, 120:165])
        motion.validate(tmp_path / "x.npz")

    def test_y_up_conversion_keeps_the_body_exactly(self, tmp_path: Path) -> None:
        global_orient, body_pose, transl = random_pose(15, seed=3)
        joints_z, _ = forward_kinematics(REFERENCE_REST_JOINTS, global_orient, body_pose, transl)
        orient_y, transl_y = _y_up(global_orient, transl)
        poses = np.concatenate([orient_y, body_pose], axis=1)
        np.savez(tmp_path / "y.npz", poses=poses, trans=transl_y, betas=np.zeros(10), mocap_framerate=30.0)
        options = MotionImportOptions(up_axis="y", pelvis_offset=REFERENCE_REST_JOINTS[0])
        imported = import_motion(tmp_path / "y.npz", None, options)
        motion = imported.motion
        joints, _ = forward_kinematics(REFERENCE_REST_JOINTS, motion.global_orient, motion.body_pose, motion.transl)
        np.testing.assert_allclose(joints, joints_z, atol=1e-9)
        assert imported.provenance["up_axis"] == "y"
        assert imported.provenance["pelvis_rest_source"] == "user (--pelvis-offset)"

    def test_known_pose_ends_z_up_facing_forward(self, tmp_path: Path) -> None:
        # SMPL rest pose in a Y-up world: up is +Y, the body faces +Z.
        poses = np.zeros((1, 72))
        np.savez(tmp_path / "rest.npz", poses=poses, trans=np.zeros((1, 3)), betas=np.zeros(10), mocap_framerate=30)
        options = MotionImportOptions(up_axis="y", pelvis_offset=np.array([0.0, -0.2, 0.0]))
        motion = import_motion(tmp_path / "rest.npz", None, options).motion
        body = Rotation.from_rotvec(motion.global_orient[0])
        np.testing.assert_allclose(body.apply([0, 1, 0]), [0, 0, 1], atol=1e-12)  # body up -> world up
        np.testing.assert_allclose(body.apply([0, 0, 1]), [0, -1, 0], atol=1e-12)  # facing -> world -Y
        # the pelvis was at (0, -0.2, 0) in Y-up: 0.2 m below the origin, so -0.2 in Z-up
        np.testing.assert_allclose(motion.transl[0] + [0.0, -0.2, 0.0], [0, 0, -0.2], atol=1e-12)

    def test_y_up_without_pelvis_information_is_refused(self, tmp_path: Path) -> None:
        write_amass(tmp_path / "a.npz")
        with pytest.raises(CaseError, match=r"up_axis: .*rest pelvis"):
            import_motion(tmp_path / "a.npz", None, MotionImportOptions(up_axis="y", body_models=None))

    def test_y_up_with_body_model_files(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """The licensed-model path, on a model file in SMPL's layout that the test writes."""
        monkeypatch.delenv("HSIMUL3R_BODY_MODELS", raising=False)
        rng = np.random.default_rng(0)
        v_template = rng.normal(0, 0.3, (50, 3))
        regressor = np.abs(rng.normal(size=(24, 50)))
        regressor /= regressor.sum(axis=1, keepdims=True)
        shapedirs = rng.normal(0, 0.01, (50, 3, 10))
        (tmp_path / "models" / "smpl").mkdir(parents=True)
        model = {"v_template": v_template, "J_regressor": scipy.sparse.csc_matrix(regressor), "shapedirs": shapedirs,
                 "f": np.zeros((1, 3), dtype=np.int64)}  # fmt: skip
        with open(tmp_path / "models" / "smpl" / "SMPL_FEMALE.pkl", "wb") as stream:
            pickle.dump(model, stream)
        data = write_amass(tmp_path / "a.npz")
        betas = data["betas"]
        expected = regressor[0] @ (v_template + shapedirs @ betas[:10])
        monkeypatch.setenv("HSIMUL3R_BODY_MODELS", str(tmp_path / "models"))
        imported = import_motion(tmp_path / "a.npz", None, MotionImportOptions(up_axis="y"))
        np.testing.assert_allclose(imported.provenance["pelvis_rest_m"], expected, atol=1e-9)
        assert imported.provenance["pelvis_rest_source"] == "body model file SMPL_FEMALE.pkl"

    def test_missing_body_model_file_says_where(self, tmp_path: Path) -> None:
        write_amass(tmp_path / "a.npz")
        with pytest.raises(CaseError, match=r"SMPL_FEMALE\.npz"):
            import_motion(tmp_path / "a.npz", None, MotionImportOptions(up_axis="y", body_models=tmp_path))

    @pytest.mark.parametrize("key", ["poses", "trans"])
    def test_nan_is_named(self, tmp_path: Path, key: str) -> None:
        data = write_amass(tmp_path / "a.npz")
        data[key][3, 1] = np.nan
        np.savez(tmp_path / "bad.npz", **data)
        with pytest.raises(CaseError, match=rf"bad\.npz: {key}: contains NaN"):
            import_motion(tmp_path / "bad.npz", None, MotionImportOptions())

    def test_unknown_pose_width(self, tmp_path: Path) -> None:
        write_amass(tmp_path / "a.npz", width=80)
        with pytest.raises(CaseError, match=r"poses: expected \(T, 72 \| 156 \| 165\)"):
            import_motion(tmp_path / "a.npz", None, MotionImportOptions())


class TestGenericSmpl:
    def test_rotation_matrices_per_frame_betas_and_y_up_from_joints(self, tmp_path: Path) -> None:
        global_orient, body_pose, transl = random_pose(10, seed=5)
        joints_z, _ = forward_kinematics(REFERENCE_REST_JOINTS, global_orient, body_pose, transl)
        orient_y, transl_y = _y_up(global_orient, transl)
        joints_y = Z_UP_FROM_Y_UP.inv().apply(joints_z.reshape(-1, 3)).reshape(joints_z.shape)
        np.savez(
            tmp_path / "m.npz", fps=25, up_axis="y",
            global_orient=Rotation.from_rotvec(orient_y).as_matrix()[:, None],
            body_pose=Rotation.from_rotvec(body_pose.reshape(-1, 3)).as_matrix().reshape(10, 23, 3, 3),
            transl=transl_y, betas=np.tile(np.linspace(-1, 1, 10), (10, 1)), joints=joints_y,
            contact_labels=np.eye(10, 2, dtype=np.int64), contact_body_names=np.array(["pelvis", "left_hand"]),
        )  # fmt: skip
        assert detect_motion_format(tmp_path / "m.npz") == "smpl"
        imported = import_motion(tmp_path / "m.npz", None, MotionImportOptions())
        motion = imported.motion
        assert imported.provenance["pelvis_rest_source"].startswith("the file's own joints")
        assert "per-frame betas averaged over 10 frames" in imported.provenance["notes"]
        np.testing.assert_allclose(motion.joints, joints_z, atol=1e-9)
        assert rotation_angle_deg(motion.body_pose, body_pose).max() < 1e-6
        posed, _ = forward_kinematics(REFERENCE_REST_JOINTS, motion.global_orient, motion.body_pose, motion.transl)
        np.testing.assert_allclose(posed, joints_z, atol=1e-9)
        assert motion.contact_labels.dtype == bool and motion.contact_body_names == ("pelvis", "left_hand")
        motion.validate(tmp_path / "m.npz")

    def test_array_pickle_is_accepted(self, tmp_path: Path) -> None:
        global_orient, body_pose, transl = random_pose(4)
        payload = {"fps": 30.0, "global_orient": global_orient, "body_pose": body_pose.reshape(4, 23, 3),
                   "transl": transl, "betas": np.zeros(10), "gender": "male"}  # fmt: skip
        (tmp_path / "m.pkl").write_bytes(pickle.dumps(payload))
        motion = import_motion(tmp_path / "m.pkl", None, MotionImportOptions()).motion
        assert motion.gender == "male" and motion.body_pose.shape == (4, 69)

    def test_malicious_pickle_is_refused(self, tmp_path: Path) -> None:
        marker = tmp_path / "pwned"

        class Exploit:
            def __reduce__(self):
                return (Path.touch, (marker,))

        (tmp_path / "m.pkl").write_bytes(pickle.dumps({"fps": Exploit()}))
        with pytest.raises(CaseError, match="refusing to load pathlib"):
            import_motion(tmp_path / "m.pkl", None, MotionImportOptions())
        assert not marker.exists()


class TestTensorsInPickles:
    """HSfM's dumps keep DUSt3R's network output as torch tensors pickled with the pickle module."""

    def test_tensors_are_rebuilt(self, tmp_path: Path) -> None:
        from hsimul3r_ext.hsi.safe_pickle import load_pickle

        (tmp_path / "d.pkl").write_bytes(pickle.dumps({"net": {"conf": torch.arange(6.0).reshape(2, 3)}}))
        np.testing.assert_array_equal(
            load_pickle(tmp_path / "d.pkl")["net"]["conf"].numpy(), np.arange(6.0).reshape(2, 3)
        )

    def test_a_storage_that_would_run_code_is_refused(self, tmp_path: Path) -> None:
        import io

        from torch.storage import _load_from_bytes

        from hsimul3r_ext.hsi.safe_pickle import load_pickle

        marker = tmp_path / "pwned"

        class Exploit:
            def __reduce__(self):
                return (Path.touch, (marker,))

        saved = io.BytesIO()
        torch.save(Exploit(), saved)

        class Storage:
            def __reduce__(self):
                return (_load_from_bytes, (saved.getvalue(),))

        (tmp_path / "d.pkl").write_bytes(pickle.dumps({"net": Storage()}))
        with pytest.raises(CaseError, match=r"d\.pkl: pickle: not a safe array pickle"):
            load_pickle(tmp_path / "d.pkl")
        assert not marker.exists()


class TestBodyTransforms:
    def test_protomotions_round_trip(self, tmp_path: Path) -> None:
        truth = body_transforms(30, seed=2)
        contacts = np.zeros((30, 24), dtype=bool)
        contacts[10:, SMPL_JOINT_NAMES.index("left_wrist")] = True
        torch.save(
            {
                "fps": 30,
                "rigid_body_pos": torch.tensor(truth["positions"][:, DFS]),
                "rigid_body_rot": torch.tensor(humanoid_quats(truth["smpl_rotations"])[:, DFS]),
                "rigid_body_contacts": torch.tensor(contacts[:, DFS].astype(np.float32)),
                "dof_pos": torch.zeros(30, 69),
            },
            tmp_path / "clip.motion",
        )
        imported = import_motion(tmp_path / "clip.motion", None, MotionImportOptions())
        motion = imported.motion
        assert imported.provenance["body_order"].startswith("humanoid depth-first order, detected")
        assert rotation_angle_deg(motion.body_pose, truth["body_pose"]).max() < 1e-5
        assert rotation_angle_deg(motion.global_orient, truth["global_orient"]).max() < 1e-5
        np.testing.assert_allclose(motion.joints, truth["positions"], atol=1e-6)
        np.testing.assert_array_equal(motion.contact_labels, contacts)
        # transl is anchored to the recorded pelvis rest position (none known: zero) ...
        np.testing.assert_allclose(motion.transl + motion.pelvis_rest, truth["positions"][:, 0], atol=1e-6)
        # ... so any body model re-anchored to it reproduces the recorded joints
        rest = REFERENCE_REST_JOINTS - REFERENCE_REST_JOINTS[0] + motion.pelvis_rest
        posed, _ = forward_kinematics(rest, motion.global_orient, motion.body_pose, motion.transl)
        np.testing.assert_allclose(posed, truth["positions"], atol=1e-6)
        assert motion.betas.tolist() == [0.0] * 10

    def test_single_frame_in_smpl_order_is_detected(self, tmp_path: Path) -> None:
        truth = body_transforms(1, seed=4)
        clip = {"fps": 30.0, "rigid_body_pos": torch.tensor(truth["positions"]),
                "rigid_body_rot": torch.tensor(humanoid_quats(truth["smpl_rotations"]))}  # fmt: skip
        torch.save(clip, tmp_path / "one.motion")
        imported = import_motion(tmp_path / "one.motion", None, MotionImportOptions())
        assert imported.provenance["body_order"].startswith("SMPL joint order")
        assert rotation_angle_deg(imported.motion.body_pose, truth["body_pose"]).max() < 1e-5

    def test_beyondmimic_wxyz_with_names_and_extra_bodies(self, tmp_path: Path) -> None:
        truth = body_transforms(12, seed=6)
        quats = humanoid_quats(truth["smpl_rotations"])[..., [3, 0, 1, 2]]  # wxyz, as BeyondMimic writes
        names = ["Pelvis", "L_Hip", "R_Hip", "Torso", "L_Knee", "R_Knee", "Spine", "L_Ankle", "R_Ankle", "Chest",
                 "L_Toe", "R_Toe", "Neck", "L_Thorax", "R_Thorax", "Head", "L_Shoulder", "R_Shoulder", "L_Elbow",
                 "R_Elbow", "L_Wrist", "R_Wrist", "L_Hand", "R_Hand"]  # fmt: skip
        extra_pos = np.concatenate([truth["positions"], truth["positions"][:, :1] + 0.5], axis=1)
        extra_quat = np.concatenate([quats, quats[:, :1]], axis=1)
        np.savez(tmp_path / "bm.npz", fps=np.array([50]), joint_pos=np.zeros((12, 69)), body_pos_w=extra_pos[:, ::-1],
                 body_quat_w=extra_quat[:, ::-1], body_names=np.array([*names, "camera"])[::-1])  # fmt: skip
        imported = import_motion(tmp_path / "bm.npz", None, MotionImportOptions())
        assert imported.provenance["body_order"] == "by name" and imported.motion.fps == 50.0
        assert rotation_angle_deg(imported.motion.body_pose, truth["body_pose"]).max() < 1e-5

    def test_non_unit_quaternions_are_refused(self, tmp_path: Path) -> None:
        truth = body_transforms(3)
        quats = humanoid_quats(truth["smpl_rotations"]) * 1.1
        np.savez(tmp_path / "bm.npz", fps=30, body_pos_w=truth["positions"], body_quat_w=quats, quat_order="xyzw")
        with pytest.raises(CaseError, match="body_quat_w: quaternion norms deviate"):
            import_motion(tmp_path / "bm.npz", None, MotionImportOptions())

    def test_unrecognised_body_order_needs_names(self, tmp_path: Path) -> None:
        truth = body_transforms(8)
        shuffled = np.random.default_rng(0).permutation(24)
        np.savez(tmp_path / "bm.npz", fps=30, body_pos_w=truth["positions"][:, shuffled],
                 body_quat_w=humanoid_quats(truth["smpl_rotations"])[:, shuffled], quat_order="xyzw")  # fmt: skip
        with pytest.raises(CaseError, match="body_names: bodies follow neither"):
            import_motion(tmp_path / "bm.npz", None, MotionImportOptions())


class TestObjectsAndPointClouds:
    def test_y_up_centimetre_glb_is_baked_z_up_metres_and_recentred(self, tmp_path: Path) -> None:
        box = trimesh.creation.box([40.0, 90.0, 50.0])  # cm, Y-up: 90 cm tall
        box.apply_translation([100.0, 45.0, -20.0])
        box.export(tmp_path / "chair.glb")
        spec = ObjectSpec(path=tmp_path / "chair.glb", scale=0.01, position=np.array([0.0, 0.0, 0.0]))
        obj, record = import_object(spec, "chair", tmp_path / "case")
        mesh = trimesh.load(tmp_path / "case" / obj.mesh, force="mesh")
        np.testing.assert_allclose(mesh.extents, [0.4, 0.5, 0.9], atol=1e-6)  # Y-up 90 cm -> Z 0.9 m
        np.testing.assert_allclose(mesh.bounds[0][2], 0.0, atol=1e-9)  # origin at the base centre
        # the world placement did not change: Y-up (1.0, 0.0..0.9, -0.2) -> Z-up (1.0, 0.2, 0.0..0.9)
        np.testing.assert_allclose(obj.position, [1.0, 0.2, 0.0], atol=1e-9)
        assert record["up_axis"] == "y" and record["scale"] == 0.01

    def test_size_check_names_the_scale(self, tmp_path: Path) -> None:
        trimesh.creation.box([40.0, 40.0, 40.0]).export(tmp_path / "huge.obj")
        with pytest.raises(CaseError, match=r"huge\.obj: scale: object is 40 m across"):
            import_object(ObjectSpec(path=tmp_path / "huge.obj"), "huge", tmp_path / "case")

    def test_point_cloud_ply_with_colours(self, tmp_path: Path) -> None:
        points = np.random.default_rng(0).uniform(-1, 1, (100, 3))
        colours = np.tile([[10, 200, 30, 255]], (100, 1)).astype(np.uint8)
        trimesh.PointCloud(points, colors=colours).export(tmp_path / "scan.ply")
        ref, _ = import_point_cloud(tmp_path / "scan.ply", "scan", tmp_path / "case", scale=2.0, up_axis="y")
        stored = np.load(tmp_path / "case" / ref.file)
        np.testing.assert_allclose(stored["points"], Z_UP_FROM_Y_UP.apply(points * 2.0), atol=1e-6)
        assert stored["colors"].tolist()[0] == [10, 200, 30] and ref.num_points == 100

    def test_ingest_builds_a_valid_case_from_everything(self, tmp_path: Path) -> None:
        write_amass(tmp_path / "a.npz")
        trimesh.creation.box([0.5, 0.5, 0.8]).export(tmp_path / "stool.stl")
        np.savez(tmp_path / "pts.npz", points=np.random.default_rng(1).uniform(-1, 1, (50, 3)))
        spec = ObjectSpec(path=tmp_path / "stool.stl", category="stool", mass_kg=4.0)
        ingest(
            tmp_path / "case",
            motion=tmp_path / "a.npz",
            objects=[spec],
            point_clouds=[(tmp_path / "pts.npz", 1.0, "z")],
        )
        scene = load_case(tmp_path / "case")
        assert scene.objects[0].mass_kg == 4.0 and scene.point_clouds[0].num_points == 50
        assert [r.get("importer", r["step"]) for r in scene.provenance] == [
            "amass",
            "import_object",
            "import_point_cloud",
        ]
