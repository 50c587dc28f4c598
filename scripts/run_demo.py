"""`make demo`: the main job `hsimul3r run` on the bundled sit-on-a-chair example, then its verdict before / after.

Run it again and every stage is reused (seconds); `--force` re-runs them.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

from hsimul3r_ext.cli import main as hsimul3r
from hsimul3r_ext.pipeline.report import report_view

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "sit_chair"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--case", type=Path, default=EXAMPLE, help="case folder (default: examples/sit_chair)")
    parser.add_argument("--out", type=Path, default=Path("outputs/demo"))
    parser.add_argument("--force", action="store_true", help="re-run every stage")
    args = parser.parse_args()
    if (args.out / "case" / "hsi.json").is_file():  # the demo before `hsimul3r run` wrote a case here
        print(f"replacing the older demo output in {args.out}")
        shutil.rmtree(args.out)
    command = ["run", str(args.case), "-o", str(args.out), *(["--force"] if args.force else [])]
    print(f"$ hsimul3r {' '.join(command)}", flush=True)
    code = hsimul3r(command)
    if code != 0:
        return code
    run = json.loads((args.out / "run.json").read_text(encoding="utf-8"))
    view = report_view(run)
    rows = [{"label": "", "cells": view["columns"]}, *view["verdict_rows"]]
    width = max(len(row["label"]) for row in rows)
    print("\nVerdict of the physics judge:")
    for row in rows:
        print(f"  {row['label']:<{width}}" + "".join(f"  {cell:>16}" for cell in row["cells"]))
    print(f"\nReport: {(args.out / 'report.html').resolve()} (and report.md; each stage's files under {args.out}/)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
