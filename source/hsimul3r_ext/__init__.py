"""HSImul3R for Isaac Lab 3.0: simulation-ready human-scene interactions.

Importing this package must stay cheap and must not need Isaac Sim: heavy modules (torch, warp,
Isaac Lab) are imported by the submodules that use them.
"""

__version__ = "0.1.0"

OUTPUT_FORMAT = 4
"""Bumped when the same inputs and settings give different outputs (converted folders, judge numbers):
cached conversions and reused `hsimul3r run` stages carry it in their fingerprints, so they are redone.
3: converted humanoids have `pelvis_rest` and `humanoid_skin.npz`; the judge measures the skin.
4: `humanoid.xml` starts at the motion's first root pose; `scene.xml` has the keyframe `motion_start`."""
