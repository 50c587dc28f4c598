"""Write a synthetic capture folder from a bundled case: what a user has on disk after running DUSt3R, HSfM,
ViTPose, SAM2 and MIDI on photos of the interaction (docs/capture.md). The truth is the case itself, seen by
virtual cameras on a ring; every file is in its tool's own layout, frame and units.

    python scripts/make_capture.py examples/sit_chair_clean -o /tmp/capture --views 4
    hsimul3r run /tmp/capture -o /tmp/capture_run
"""

from __future__ import annotations

import argparse
from pathlib import Path

from hsimul3r_ext.ingest.capture.formats.capture_folder import write_capture_folder
from hsimul3r_ext.ingest.capture.synthetic import CaptureSettings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("case", type=Path, help="a case folder with a motion and objects")
    parser.add_argument("-o", "--out", type=Path, required=True, help="new capture folder")
    parser.add_argument("--views", type=int, default=4, help="cameras on the ring (2-8)")
    parser.add_argument("--noise-px", type=float, default=3.0, help="2D keypoint noise per axis (px)")
    parser.add_argument("--frame-step", type=int, default=10, help="every n-th motion frame is an image")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not 2 <= args.views <= 8:
        parser.error("--views must be 2-8")
    if args.out.exists():
        parser.error(f"{args.out} exists; choose a new folder")
    settings = CaptureSettings(num_views=args.views, width=320, height=240, focal_px=300.0,
                               frame_step=args.frame_step, noise_px=args.noise_px, seed=args.seed)  # fmt: skip
    written = write_capture_folder(args.case, args.out, settings, point_map_scale=1.0, seed=args.seed)
    print(f"capture written to {args.out} (scene scale {written.scene_frame.scale:.3f} units per metre)")


if __name__ == "__main__":
    main()
