"""An authored rest skeleton with SMPL's topology, for synthetic examples and tests.

Our own numbers for a ~1.75 m adult in SMPL's rest frame (Y up, facing +Z, +X on the body's left),
T-pose, metres. It is not a body model (no surface, no shape space); real bodies come from `body/`.
"""

from __future__ import annotations

import numpy as np

REFERENCE_REST_JOINTS = np.array(
    [
        [0.00, -0.22, 0.02],  # pelvis
        [0.06, -0.31, 0.01],  # left_hip
        [-0.06, -0.31, 0.01],  # right_hip
        [0.00, -0.11, 0.00],  # spine1
        [0.10, -0.69, 0.01],  # left_knee
        [-0.10, -0.69, 0.01],  # right_knee
        [0.00, 0.02, 0.03],  # spine2
        [0.08, -1.11, -0.03],  # left_ankle
        [-0.08, -1.11, -0.03],  # right_ankle
        [0.00, 0.08, 0.03],  # spine3
        [0.12, -1.17, 0.10],  # left_foot
        [-0.12, -1.17, 0.10],  # right_foot
        [0.00, 0.30, -0.01],  # neck
        [0.08, 0.21, 0.00],  # left_collar
        [-0.08, 0.21, 0.00],  # right_collar
        [0.00, 0.38, 0.04],  # head
        [0.18, 0.23, -0.01],  # left_shoulder
        [-0.18, 0.23, -0.01],  # right_shoulder
        [0.44, 0.22, -0.03],  # left_elbow
        [-0.44, 0.22, -0.03],  # right_elbow
        [0.69, 0.23, -0.03],  # left_wrist
        [-0.69, 0.23, -0.03],  # right_wrist
        [0.77, 0.22, -0.04],  # left_hand
        [-0.77, 0.22, -0.04],  # right_hand
    ]
)
