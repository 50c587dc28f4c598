"""Authored SMPL motions on the shipped open body model, with the furniture placed around them.

A motion is a list of key poses (world root rotation + SMPL local joint rotations) eased into each other.
Its posed skin decides everything else: the pelvis is moved so the skin rests on the floor or on the
furniture (never inside it), the furniture is sized so the parts meant to touch do touch, and the
contact labels are read from the clean geometry. Z up, metres, the person facing +X at the start.
The bundled examples use betas = 0 and the default designs; the benchmark set (`make_benchmark.py`) passes other
body shapes (`betas`) and furniture proportions (the `*Design` records).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import example_furniture
import numpy as np
import trimesh
from scipy.spatial.transform import Rotation

from hsimul3r_ext.body.kinematics import forward_kinematics
from hsimul3r_ext.body.model_files import read_model_arrays, rest_joints
from hsimul3r_ext.body.models import OPEN_MODEL_FILE
from hsimul3r_ext.body.posed_surface import posed_surface
from hsimul3r_ext.hsi.motion import Motion
from hsimul3r_ext.hsi.smpl_layout import HUMANOID_FROM_SMPL, SMPL_JOINT_NAMES
from hsimul3r_ext.kernels.mesh_distance import MeshDistance

FPS = 30.0
NUM_BETAS = 10
CONTACT_DISTANCE_M = 0.005  # a body part whose skin comes this close to the object touches it
RESTING_TOLERANCE_M = 0.0002  # the skin may end this deep inside a support after resting on it
OPEN_MODEL = read_model_arrays(OPEN_MODEL_FILE)
ZERO_BETAS = np.zeros(NUM_BETAS)
# The shipped open body model at betas = 0: the reference joints then match the humanoid built for the case.
REST_JOINTS = rest_joints(OPEN_MODEL, ZERO_BETAS)

Pose = dict[str, Rotation]  # SMPL joint name -> rotation in SMPL's local frame (x left, y up, z forward)


def pitch(degrees: float) -> Rotation:
    """Rotation about the body's left axis: positive tips the top forward (hip flexion is negative)."""
    return Rotation.from_euler("x", degrees, degrees=True)


def euler(sequence: str, *degrees: float) -> Rotation:
    """Extrinsic rotations in degrees, applied in the order of `sequence`: about SMPL's local axes for a joint,
    about the world's (x forward, y left, z up) for the root."""
    return Rotation.from_euler(sequence, degrees, degrees=True)


@dataclass(frozen=True)
class Key:
    """A key pose at a frame: the root's world rotation and the joints' local rotations (others at rest)."""

    frame: int
    root: Rotation
    joints: Pose


def smoothstep(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def eased_keys(keys: list[Key]) -> tuple[np.ndarray, np.ndarray]:
    """`global_orient` (T, 3) and `body_pose` (T, 69): each rotation eased (smoothstep slerp) from key to key."""
    frames = keys[-1].frame + 1
    local = np.zeros((frames, 24, 3))
    for start, end in itertools.pairwise(keys):
        span = np.arange(start.frame, end.frame + 1)
        weight = smoothstep((span - start.frame) / (end.frame - start.frame))[:, None]
        for joint, name in enumerate(SMPL_JOINT_NAMES):
            if joint == 0:
                first, last = start.root * HUMANOID_FROM_SMPL, end.root * HUMANOID_FROM_SMPL
            else:
                first, last = (key.joints.get(name, Rotation.identity()) for key in (start, end))
            step = (first.inv() * last).as_rotvec()
            local[span, joint] = (first * Rotation.from_rotvec(weight * step)).as_rotvec()
    return local[:, 0], local[:, 1:].reshape(frames, 69)


@dataclass
class PosedBody:
    """The open body model posed per frame with its pelvis at the origin (add the pelvis position to place it)."""

    global_orient: np.ndarray  # (T, 3)
    body_pose: np.ndarray  # (T, 69)
    vertices: np.ndarray  # (T, V, 3) relative to the pelvis
    joints: np.ndarray  # (T, 24, 3) relative to the pelvis
    part: np.ndarray  # (V,) SMPL joint index of each vertex
    faces: np.ndarray  # (M, 3) the skin's triangles
    betas: np.ndarray  # (NUM_BETAS,) the body shape
    rest_joints: np.ndarray  # (24, 3) the rest joints of that body

    @classmethod
    def from_keys(cls, keys: list[Key], betas: np.ndarray = ZERO_BETAS) -> PosedBody:
        # Pose from the float32 values the motion file stores, so labels and checks see the same skin.
        global_orient, body_pose = (angles.astype(np.float32).astype(np.float64) for angles in eased_keys(keys))
        betas = np.asarray(betas, dtype=np.float32).astype(np.float64)
        rest = rest_joints(OPEN_MODEL, betas)
        frames = len(global_orient)
        at_origin = np.repeat(-rest[:1], frames, axis=0)  # SMPL puts the pelvis at transl + rest pelvis
        motion = Motion(FPS, betas.copy(), global_orient, body_pose, at_origin)
        surface = posed_surface(motion)
        joints, _ = forward_kinematics(rest, global_orient, body_pose, at_origin)
        return cls(global_orient, body_pose, surface.vertices, joints, surface.part, surface.faces, betas, rest)

    @property
    def num_frames(self) -> int:
        return len(self.global_orient)

    def mask(self, *names: str) -> np.ndarray:
        """(V,) bool: the vertices of the named SMPL bodies."""
        return np.isin(self.part, [SMPL_JOINT_NAMES.index(name) for name in names])

    def placed(self, pelvis: np.ndarray) -> np.ndarray:
        """World vertices (T, V, 3) with the pelvis at `pelvis` (T, 3)."""
        return self.vertices + pelvis[:, None]


def rest_heights(vertices: np.ndarray, support: MeshDistance | None) -> np.ndarray:
    """Per frame, the lift (T,) that puts the skin on the floor and then out of the support: it rests on both.

    Lifting by the deepest penetration is exact on horizontal surfaces; a few rounds settle slanted ones.
    """
    lift = -vertices[:, :, 2].min(axis=1)
    if support is None:
        return lift
    for frame in range(len(vertices)):
        for _ in range(20):
            distance, _ = support.query(vertices[frame] + [0.0, 0.0, lift[frame]])
            depth = -distance.min()
            if depth <= RESTING_TOLERANCE_M:
                break
            lift[frame] += depth
    return lift


def distances_to(vertices: np.ndarray, mesh: trimesh.Trimesh) -> np.ndarray:
    """Signed distance (T, V) of every skin vertex to `mesh` (negative inside)."""
    field = MeshDistance(mesh.vertices, mesh.faces)
    return np.stack([field.query(frame)[0] for frame in vertices])


def contact_labels(distance: np.ndarray, part: np.ndarray, bodies: tuple[str, ...]) -> np.ndarray:
    """(T, K) bool: the body's skin comes within CONTACT_DISTANCE_M of the object."""
    columns = [distance[:, part == SMPL_JOINT_NAMES.index(name)].min(axis=1) for name in bodies]
    return np.stack(columns, axis=1) <= CONTACT_DISTANCE_M


def mirrored(pose: Pose) -> Pose:
    """The pose with each left joint's rotation copied, mirrored, onto the right joint."""
    result = dict(pose)
    for name, rotation in pose.items():
        if name.startswith("left_"):
            x, y, z = rotation.as_rotvec()
            result["right_" + name.removeprefix("left_")] = Rotation.from_rotvec([x, -y, -z])
    return result


def arms(lower: float, swing: float = 0.0, twist: float = 0.0, elbow: float = 10.0) -> Pose:
    """Both arms: lowered from the T pose by `lower`, swung forward by `swing`, turned inward by `twist`."""
    return mirrored({"left_shoulder": euler("xzx", twist, -lower, -swing), "left_elbow": euler("y", -elbow)})


def legs(thigh: float, shank: float, root_pitch: float) -> Pose:
    """Both legs in the sagittal plane from world angles: thigh forward of straight down, shank top forward of
    vertical; the feet stay flat."""
    return mirrored(
        {"left_hip": pitch(-thigh - root_pitch), "left_knee": pitch(shank + thigh), "left_ankle": pitch(-shank)}
    )


@dataclass
class PlacedObject:
    """A furniture mesh placed in the world, as a reconstruction delivers it."""

    name: str
    category: str
    mesh: trimesh.Trimesh


@dataclass
class AuthoredExample:
    """A clean interaction: the motion, the furniture around it and the per-frame contact labels."""

    name: str
    body: PosedBody
    pelvis: np.ndarray  # (T, 3) world pelvis positions
    objects: list[PlacedObject]
    contact_bodies: tuple[str, ...]
    contact_labels: np.ndarray  # (T, K) bool

    def motion_arrays(self) -> dict[str, np.ndarray]:
        """Our generic SMPL parameter file (Z up, SMPL `transl` meaning), with reference joints and contacts."""
        transl = self.pelvis - self.body.rest_joints[0]
        return {
            "fps": np.array(FPS),
            "model_type": np.array("smpl"),
            "gender": np.array("neutral"),
            "up_axis": np.array("z"),
            "betas": self.body.betas.astype(np.float32),
            "global_orient": self.body.global_orient.astype(np.float32),
            "body_pose": self.body.body_pose.astype(np.float32),
            "transl": transl.astype(np.float32),
            "joints": (self.body.joints + self.pelvis[:, None]).astype(np.float32),
            "joint_names": np.array(SMPL_JOINT_NAMES),
            "contact_labels": self.contact_labels,
            "contact_body_names": np.array(self.contact_bodies),
        }


UPRIGHT = Rotation.identity()
STANDING = arms(75.0)
CROUCH_PITCH_DEG = 30.0  # the trunk tips forward while the hips go back over the seat
CROUCHING = {**legs(60.0, 20.0, CROUCH_PITCH_DEG), "spine1": pitch(5.0)}
ARM_BODIES = tuple(f"{side}_{part}" for side in ("left", "right") for part in ("shoulder", "elbow", "wrist", "hand"))
SWINGING_ARMS = arms(75.0, swing=40.0, elbow=20.0)


def sit_down_and_up(seated: Pose, recline_deg: float, crouch_arms: Pose = SWINGING_ARMS) -> list[Key]:
    """Stand 1/3 s, sit down in 1 s, stay seated ~0.8 s, stand up in 1 s, stand 1/3 s (104 frames)."""
    lean, back = euler("y", CROUCH_PITCH_DEG), euler("y", -recline_deg)
    crouching = {**CROUCHING, **crouch_arms}
    return [
        Key(0, UPRIGHT, STANDING),
        Key(10, UPRIGHT, STANDING),
        Key(25, lean, crouching),
        Key(40, back, seated),
        Key(64, back, seated),
        Key(79, lean, crouching),
        Key(94, UPRIGHT, STANDING),
        Key(103, UPRIGHT, STANDING),
    ]


def on_the_floor(body: PosedBody, anchor: str) -> np.ndarray:
    """Pelvis positions (T, 3) that keep `anchor` (an ankle) where it stands in frame 0, pelvis at the origin
    in frame 0, and the lowest skin point on the floor."""
    anchor_xy = body.joints[:, SMPL_JOINT_NAMES.index(anchor), :2]
    pelvis = np.zeros((body.num_frames, 3))
    pelvis[:, :2] = anchor_xy[0] - anchor_xy
    pelvis[:, 2] = rest_heights(body.placed(pelvis), None)
    return pelvis


def floor_mm(value: float) -> float:
    """Round down to whole millimetres (furniture dimensions a person would write down)."""
    return float(np.floor(value * 1000.0) / 1000.0)


def back_tilt(skin: np.ndarray, part: np.ndarray, lower: str, upper: str, low: float, high: float) -> float:
    """Backrest lean (deg) at which a plane leaning back touches the `lower` and `upper` bodies' backs alike.

    The skin between heights `low` and `high` is what the backrest covers; bisection on the lean angle."""
    covered = (skin[:, 2] > low) & (skin[:, 2] < high)

    def reach(name: str, tilt: float) -> float:
        points = skin[covered & (part == SMPL_JOINT_NAMES.index(name))]
        return float(np.max(-(points[:, 0] * np.cos(tilt) + (points[:, 2] - low) * np.sin(tilt))))

    lo, hi = 0.0, np.radians(20.0)
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if reach(upper, mid) > reach(lower, mid) else (lo, mid)
    return float(np.degrees(lo))


def backrest_contact_x(skin: np.ndarray, tilt_deg: float, low: float, high: float, half_width: float) -> float:
    """Where a backrest leaning back by `tilt_deg` meets height `low` when its face just touches the back."""
    covered = (skin[:, 2] > low) & (skin[:, 2] < high) & (np.abs(skin[:, 1]) < half_width)
    tilt = np.radians(tilt_deg)
    points = skin[covered]
    return float(np.min(points[:, 0] + (points[:, 2] - low) * np.tan(tilt)))


def settle_and_label(
    name: str, body: PosedBody, pelvis: np.ndarray, objects: list[PlacedObject], contact_bodies: tuple[str, ...]
) -> AuthoredExample:
    """Rest the body on the floor and the furniture in every frame and label its contacts."""
    support = trimesh.util.concatenate([obj.mesh for obj in objects])
    pelvis = pelvis.copy()
    pelvis[:, 2] += rest_heights(body.placed(pelvis), MeshDistance(support.vertices, support.faces))
    distance = distances_to(body.placed(pelvis), support)
    labels = contact_labels(distance, body.part, contact_bodies)
    return AuthoredExample(name, body, pelvis, objects, contact_bodies, labels)


SIT_CONTACTS = ("pelvis", "left_hip", "right_hip", "spine2", "spine3")
CHAIR_RECLINE_DEG = 10.0
CHAIR_THIGH_DEG = 82.0  # thighs slope down a little towards the knees: a chair seat higher than the knees
CHAIR_BACK_HEIGHT = 0.55
CHAIR_WIDTH = 0.46
SEAT_FRONT_BEHIND_CALVES = 0.05


def backrest_touching(
    body: PosedBody, skin: np.ndarray, seat_height: float, back_height: float, half_width: float
) -> tuple[float, float]:
    """Lean (deg) and seat-level front x of a backrest that touches buttocks and upper back alike."""
    high = seat_height + back_height
    tilt = back_tilt(skin, body.part, "pelvis", "spine3", seat_height, high)
    return tilt, backrest_contact_x(skin, tilt, seat_height, high, half_width)


def seat_front_x(body: PosedBody, skin: np.ndarray, seat_height: float) -> float:
    """The seat's front edge: a little behind the calves hanging in front of it."""
    calves = skin[body.mask("left_knee", "right_knee")]
    return float(calves[calves[:, 2] < seat_height, 0].min()) - SEAT_FRONT_BEHIND_CALVES


@dataclass(frozen=True)
class ChairDesign:
    """A chair's proportions, and the seated pose whose thighs set its seat height (steeper thighs: lower seat)."""

    thigh_deg: float = CHAIR_THIGH_DEG
    recline_deg: float = CHAIR_RECLINE_DEG
    back_height: float = CHAIR_BACK_HEIGHT
    width: float = CHAIR_WIDTH
    leg: float = example_furniture.LEG
    round_legs: bool = False


CHAIR = ChairDesign()


def seated_upright(thigh_deg: float, recline_deg: float) -> Pose:
    """Sitting back in a seat: hands in the lap, thighs at `thigh_deg`, shins vertical, the trunk reclined."""
    return {
        **arms(80.0, swing=15.0, twist=15.0, elbow=60.0),
        **legs(thigh_deg, 0.0, -recline_deg),
        "spine2": pitch(5.0),
        "neck": pitch(5.0),
    }


def sit_chair(
    legs_kept: tuple[str, ...] = example_furniture.LEG_NAMES,
    betas: np.ndarray = ZERO_BETAS,
    design: ChairDesign = CHAIR,
) -> AuthoredExample:
    """Sit down on a chair behind, lean back against its backrest, stand up again."""
    keys = sit_down_and_up(seated_upright(design.thigh_deg, design.recline_deg), design.recline_deg)
    body = PosedBody.from_keys(keys, betas)
    pelvis = on_the_floor(body, "left_ankle")
    skin = body.placed(pelvis)[keys[3].frame]
    sitting = body.mask("pelvis", "left_hip", "right_hip")
    seat_height = floor_mm(skin[sitting, 2].min())
    tilt, back_x = backrest_touching(body, skin, seat_height, design.back_height, design.width / 2)
    seat_front = seat_front_x(body, skin, seat_height)
    mesh = example_furniture.chair(
        seat_height, seat_front, back_x, tilt, design.back_height, design.width, legs_kept, design.leg,
        design.round_legs,
    )  # fmt: skip
    return settle_and_label("sit_chair", body, pelvis, [PlacedObject("chair", "chair", mesh)], SIT_CONTACTS)


ARMCHAIR_CONTACTS = (*SIT_CONTACTS, "left_elbow", "right_elbow")  # forearms on the armrests
ARMCHAIR_THIGH_DEG = 86.0
ARMCHAIR_BACK_HEIGHT = 0.55
ARMREST_WIDTH = 0.14
ARMREST_CLEARANCE = 0.01  # between the hips and the armrests' inner faces
FOREARMS_ON_ARMRESTS = arms(65.0, swing=10.0, elbow=80.0)


@dataclass(frozen=True)
class ArmchairDesign:
    """An armchair's proportions and the thigh angle of the seated pose that sets its seat height."""

    thigh_deg: float = ARMCHAIR_THIGH_DEG
    back_height: float = ARMCHAIR_BACK_HEIGHT
    arm_width: float = ARMREST_WIDTH


ARMCHAIR = ArmchairDesign()


def sit_armchair(betas: np.ndarray = ZERO_BETAS, design: ArmchairDesign = ARMCHAIR) -> AuthoredExample:
    """Sit down in an armchair with the forearms on its armrests, lean back, stand up again."""
    seated = {
        **FOREARMS_ON_ARMRESTS,
        **legs(design.thigh_deg, 0.0, -CHAIR_RECLINE_DEG),
        "spine2": pitch(5.0),
        "neck": pitch(5.0),
    }
    keys = sit_down_and_up(seated, CHAIR_RECLINE_DEG, crouch_arms=FOREARMS_ON_ARMRESTS)
    body = PosedBody.from_keys(keys, betas)
    pelvis = on_the_floor(body, "left_ankle")
    skin = body.placed(pelvis)[keys[3].frame]
    seat_height = floor_mm(skin[body.mask("pelvis", "left_hip", "right_hip"), 2].min())
    arm_parts = body.mask(*ARM_BODIES)
    trunk = skin[~arm_parts & (skin[:, 2] > seat_height)]
    inner = float(np.abs(trunk[:, 1]).max()) + ARMREST_CLEARANCE
    tilt, back_x = backrest_touching(body, skin, seat_height, design.back_height, inner)
    seat_front = seat_front_x(body, skin, seat_height)
    over_armrests = arm_parts & (np.abs(skin[:, 1]) > inner) & (np.abs(skin[:, 1]) < inner + design.arm_width)
    over_armrests &= skin[:, 0] < seat_front
    arm_height = floor_mm(skin[over_armrests, 2].min())
    mesh = example_furniture.armchair(
        seat_height, seat_front, back_x, tilt, inner, arm_height, design.arm_width, design.back_height
    )
    return settle_and_label(
        "sit_armchair", body, pelvis, [PlacedObject("armchair", "armchair", mesh)], ARMCHAIR_CONTACTS
    )


LIE_CONTACTS = ("pelvis", "left_hip", "right_hip", "spine3", "head", "left_ankle", "right_ankle")
SOFA_RECLINE_DEG = 5.0
SOFA_SEAT_DEPTH = 0.62
SOFA_ARM_MARGIN = 0.04  # between the lying body's head / feet and the sofa's arms
SOFA_ARM_HEIGHT = 0.62
LYING_ROOT = euler("xy", -90.0, -90.0)  # on the back, head towards +Y, the body's left towards +X
LYING_ARMS = arms(82.0, elbow=5.0)


@dataclass(frozen=True)
class SofaDesign:
    """A sofa's proportions. Lying fits its length to the body (`arm_margin` beyond head and feet); sitting fits
    the seat depth and back lean to the reclined back (`length` long, the seated thighs set the seat height)."""

    seat_depth: float = SOFA_SEAT_DEPTH
    arm_height: float = SOFA_ARM_HEIGHT
    back_tilt_deg: float = 10.0
    back_height: float = 0.45
    arm_margin: float = SOFA_ARM_MARGIN
    length: float = 1.8
    sit_thigh_deg: float = 90.0


SOFA = SofaDesign()


def lying(hip_extension: float, neck: float) -> Pose:
    """Straight on the back, arms along the body; the hips stretched and the head tipped back as given."""
    return {**LYING_ARMS, **mirrored({"left_hip": pitch(hip_extension)}), "neck": pitch(neck)}


def level_turn(vertices: np.ndarray, first: np.ndarray, second: np.ndarray) -> float:
    """Turn (deg) about the world X axis through the origin after which two parts' lowest points are level."""

    def height_difference(degrees: float) -> float:
        turned = Rotation.from_euler("x", degrees, degrees=True).apply(vertices)
        return float(turned[first, 2].min() - turned[second, 2].min())

    lo, hi = -10.0, 10.0
    for _ in range(30):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if np.sign(height_difference(mid)) == np.sign(height_difference(lo)) else (lo, mid)
    return lo


def lying_on_a_flat_seat(betas: np.ndarray = ZERO_BETAS) -> Key:
    """On the back, resting on buttocks, shoulder blades, heels and the back of the head alike: the body is
    turned to level buttocks and shoulder blades, and the hip extension, then the neck, are picked from a
    0.1 deg grid to bring the heels, then the head, to the same level."""

    def best(candidates: np.ndarray, pose: Callable[[float], Pose], part: tuple[str, ...]) -> tuple[float, float]:
        """The candidate (and its turn) that brings `part` level with buttocks and shoulder blades."""
        body = PosedBody.from_keys([Key(i, LYING_ROOT, pose(value)) for i, value in enumerate(candidates)], betas)
        first, second, target = body.mask("pelvis"), body.mask("spine3"), body.mask(*part)
        misfit, turns = [], []
        for vertices in body.vertices:
            turn = level_turn(vertices, first, second)
            turned = Rotation.from_euler("x", turn, degrees=True).apply(vertices)
            misfit.append(abs(turned[target, 2].min() - turned[first, 2].min()))
            turns.append(turn)
        index = int(np.argmin(misfit))
        return float(candidates[index]), turns[index]

    hip, _ = best(np.round(np.arange(0.0, 10.0, 0.1), 1), lambda h: lying(h, 0.0), ("left_ankle", "right_ankle"))
    neck, turn = best(np.round(np.arange(-20.0, 0.0, 0.1), 1), lambda n: lying(hip, n), ("head",))
    return Key(0, euler("x", turn) * LYING_ROOT, lying(hip, neck))


def lie_sofa(betas: np.ndarray = ZERO_BETAS, design: SofaDesign = SOFA) -> AuthoredExample:
    """Sit down on a sofa, swing the legs up and lie back along it, stay lying (121 frames)."""
    seated = {**arms(80.0, swing=15.0, twist=15.0, elbow=60.0), **legs(90.0, 0.0, -SOFA_RECLINE_DEG)}
    turning = {**arms(80.0, swing=20.0, twist=15.0, elbow=60.0), **legs(60.0, -20.0, 0.0), "spine2": pitch(10.0)}
    sitting_root = euler("y", -SOFA_RECLINE_DEG)
    lain = lying_on_a_flat_seat(betas)
    keys = [
        Key(0, UPRIGHT, STANDING),
        Key(10, UPRIGHT, STANDING),
        Key(25, euler("y", CROUCH_PITCH_DEG), {**CROUCHING, **SWINGING_ARMS}),
        Key(40, sitting_root, seated),
        Key(50, sitting_root, seated),
        Key(67, euler("xy", -50.0, -30.0), turning),
        Key(85, lain.root, lain.joints),
        Key(120, lain.root, lain.joints),
    ]
    body = PosedBody.from_keys(keys, betas)
    pelvis = on_the_floor(body, "left_ankle")
    seated_skin = body.placed(pelvis)[keys[3].frame]
    seat_height = floor_mm(seated_skin[body.mask("pelvis", "left_hip", "right_hip"), 2].min())
    seat_front = seat_front_x(body, seated_skin, seat_height)
    # Lying: the pelvis pivots where it sat and slides back to the middle of the seat.
    settle, lain_frame = keys[4].frame, keys[6].frame
    lying_skin = body.vertices[lain_frame]
    across_seat = seat_front - design.seat_depth / 2 - (lying_skin[:, 0].min() + lying_skin[:, 0].max()) / 2
    lying_pelvis = np.array([across_seat, pelvis[settle, 1]])
    weight = smoothstep((np.arange(body.num_frames) - settle) / (lain_frame - settle))[:, None]
    pelvis[:, :2] = (1 - weight) * pelvis[:, :2] + weight * lying_pelvis
    pelvis[:, 2] = rest_heights(body.placed(pelvis), None)
    head_to_feet = lying_skin[:, 1] + lying_pelvis[1]
    length = float(head_to_feet.max() - head_to_feet.min()) + 2 * design.arm_margin
    mesh = example_furniture.sofa(
        seat_height, seat_front, design.seat_depth, length, design.arm_height, design.back_tilt_deg, design.back_height
    )
    mesh.apply_translation([0.0, (head_to_feet.max() + head_to_feet.min()) / 2, 0.0])
    return settle_and_label("lie_sofa", body, pelvis, [PlacedObject("sofa", "sofa", mesh)], LIE_CONTACTS)


def sit_sofa(betas: np.ndarray = ZERO_BETAS, design: SofaDesign = SOFA) -> AuthoredExample:
    """Sit down in the middle of a sofa, lean back against its backrest, stand up again (104 frames)."""
    keys = sit_down_and_up(seated_upright(design.sit_thigh_deg, CHAIR_RECLINE_DEG), CHAIR_RECLINE_DEG)
    body = PosedBody.from_keys(keys, betas)
    pelvis = on_the_floor(body, "left_ankle")
    skin = body.placed(pelvis)[keys[3].frame]
    seat_height = floor_mm(skin[body.mask("pelvis", "left_hip", "right_hip"), 2].min())
    tilt, back_x = backrest_touching(body, skin, seat_height, design.back_height, CHAIR_WIDTH / 2)
    seat_front = seat_front_x(body, skin, seat_height)
    mesh = example_furniture.sofa(
        seat_height, seat_front, seat_front - back_x, design.length, design.arm_height, tilt, design.back_height
    )
    return settle_and_label("sit_sofa", body, pelvis, [PlacedObject("sofa", "sofa", mesh)], SIT_CONTACTS)


LEAN_CONTACTS = ("left_wrist", "right_wrist", "left_hand", "right_hand")
TABLE_CLEARANCE = 0.15  # between the table's front edge and the thighs, belly and hanging hands
TABLE_LEAN_DEG = 35.0  # with the arms 30 deg further down and the wrists bent back flat, the hands reach ~0.76 m


def reaching_arms(down: float, wrist: float) -> Pose:
    """Both arms straight out forward (palms down), pitched down by `down`, hands bent up by `wrist` (the open
    model's fingers hang: about 100 deg lays palm and fingers flat)."""
    return mirrored(
        {
            "left_shoulder": euler("yx", -80.0, down),
            "left_elbow": euler("y", -5.0),
            "left_wrist": euler("z", wrist),
        }
    )


@dataclass(frozen=True)
class TableDesign:
    """A table's top (`depth` along X, `length` along Y) and the forward lean that sets its height."""

    depth: float = 0.8
    length: float = 1.2
    lean_deg: float = TABLE_LEAN_DEG


TABLE = TableDesign()


def lean_table(betas: np.ndarray = ZERO_BETAS, design: TableDesign = TABLE) -> AuthoredExample:
    """Stand at a table, reach over its edge, lean onto both hands on its top, stand up straight again."""
    reaching = {**legs(0.0, 0.0, 20.0), **reaching_arms(5.0, 60.0)}
    leaning = {**legs(0.0, 0.0, design.lean_deg), "spine1": pitch(5.0), **reaching_arms(30.0, 100.0)}
    reach, lean = euler("y", 20.0), euler("y", design.lean_deg)
    keys = [
        Key(0, UPRIGHT, STANDING),
        Key(10, UPRIGHT, STANDING),
        Key(25, reach, reaching),
        Key(40, lean, leaning),
        Key(64, lean, leaning),
        Key(79, reach, reaching),
        Key(94, UPRIGHT, STANDING),
        Key(103, UPRIGHT, STANDING),
    ]
    body = PosedBody.from_keys(keys, betas)
    pelvis = on_the_floor(body, "left_ankle")
    skin = body.placed(pelvis)
    top = floor_mm(skin[keys[3].frame, body.mask(*LEAN_CONTACTS), 2].min())
    # The front edge clears the thighs and belly, and the hands hanging at the sides while standing.
    arm_parts = body.mask(*ARM_BODIES)
    standing = np.r_[: keys[1].frame + 1, keys[-2].frame : body.num_frames]
    band = (skin[:, :, 2] > top - 0.06) & (skin[:, :, 2] < top + 0.01)
    edge_hits = np.concatenate([skin[:, ~arm_parts][band[:, ~arm_parts]], skin[standing][band[standing]]])
    mesh = example_furniture.table(top, float(edge_hits[:, 0].max()) + TABLE_CLEARANCE, design.depth, design.length)
    return settle_and_label("lean_table", body, pelvis, [PlacedObject("table", "table", mesh)], LEAN_CONTACTS)
