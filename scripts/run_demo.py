"""`make demo`: the bundled sit-on-a-chair example through ingest, validate, info, convert and the physics judge."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hsimul3r_ext.cli import main as hsimul3r

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sit_chair"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("outputs/demo"))
    args = parser.parse_args()
    case, preview, converted = args.out / "case", args.out / "preview.png", args.out / "converted"
    judged = args.out / "judge"
    steps = [
        ["ingest", "--motion", str(EXAMPLE / "sit_down.npz"), "--object", str(EXAMPLE / "chair.obj"), "category=chair",
         "--point-cloud", str(EXAMPLE / "scene_points.npz"), "--name", "sit_chair", "-o", str(case), "--overwrite"],
        ["validate", str(case)],
        ["info", str(case), "--png", str(preview)],
        ["convert", str(case), "-o", str(converted), "--overwrite"],
        ["judge", str(converted), "-o", str(judged), "--overwrite"],
    ]  # fmt: skip
    for step in steps:
        print(f"\n$ hsimul3r {' '.join(step)}", flush=True)
        code = hsimul3r(step)
        if code != 0:
            return code
    print(f"\nResults: case folder  {case.resolve()}\n         preview      {preview.resolve()}")
    print(f"         sim scene    {(converted / 'scene.usda').resolve()} (open in Isaac Sim / usdview; MJCF beside it)")
    print(f"         verdict      {(judged / 'report.md').resolve()} (plots, recording.usda beside it)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
