"""2D keypoint layouts of the detectors (COCO-17, COCO-WholeBody-133) and the body-model keypoint each one sees.

The correspondence is the one the field uses with smplx's 45 SMPL keypoints: COCO's face points are smplx's
vertex keypoints (nose, eyes, ears), limbs are skeleton joints, WholeBody's feet are the toe and heel vertex
keypoints and its hands' roots and finger tips the wrists and tip vertices. Points without a counterpart
(the 68 face landmarks, finger joints) map to None and are not used.
"""

from __future__ import annotations

COCO17 = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)  # fmt: skip

_FEET = ("left_big_toe", "left_small_toe", "left_heel", "right_big_toe", "right_small_toe", "right_heel")
_FINGERS = ("thumb", "index", "middle", "ring", "pinky")


def _hand(side: str) -> tuple[str, ...]:
    return (f"{side}_hand_root",) + tuple(f"{side}_{finger}{k}" for finger in _FINGERS for k in range(1, 5))


COCO_WHOLEBODY133 = COCO17 + _FEET + tuple(f"face_{k}" for k in range(68)) + _hand("left") + _hand("right")

LAYOUTS: dict[str, tuple[str, ...]] = {"coco17": COCO17, "coco_wholebody133": COCO_WHOLEBODY133}


def body_keypoint(detector_name: str) -> str | None:
    """The body-model keypoint (`body.posed_surface.posed_keypoints` names) a detector keypoint sees."""
    if detector_name in COCO17 or detector_name in _FEET:
        return detector_name
    if detector_name.endswith("_hand_root"):
        return detector_name.removesuffix("_hand_root") + "_wrist"
    for finger in _FINGERS:
        if detector_name.endswith(f"_{finger}4"):
            return detector_name.removesuffix("4") + "_tip"
    return None


def correspondence(layout: str, body_names: tuple[str, ...]) -> tuple[list[int], list[int]]:
    """(detector indices, body keypoint indices) of the layout's points the body model has."""
    if layout not in LAYOUTS:
        raise KeyError(f"unknown keypoint layout {layout!r}; known: {', '.join(LAYOUTS)}")
    detector, body = [], []
    for index, name in enumerate(LAYOUTS[layout]):
        target = body_keypoint(name)
        if target is not None and target in body_names:
            detector.append(index)
            body.append(body_names.index(target))
    return detector, body
