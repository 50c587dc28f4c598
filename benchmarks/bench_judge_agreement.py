"""The judge's gravity verdicts against an independent protocol, on a folder of furniture meshes.

    python benchmarks/bench_judge_agreement.py                 # the generated set (tests/furniture.py)
    python benchmarks/bench_judge_agreement.py MESHES/ [--fast] [-o OUT]

Each mesh (.obj .ply .stl .glb .off, Z up, metres, as a reconstruction left it) goes through our ingest +
converter + gravity test and through `hsimul3r_ext.stability.reference` (CoACD on the raw mesh, a free
body on a plane in plain MuJoCo, 10 s at 2 ms). The category, for the mass, is the file name's first word
when it is one we know (`chair_03.obj` -> chair). Prints a Markdown table (ours vs the reference: verdict,
tilt, drift, hull count), the count that agree and the time each side took; exits 1 on any disagreement.
`--fast` gives the reference cheaper CoACD settings (`reference.FAST_COACD`, as the test), for large folders.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from hsimul3r_ext.assets import load_convert_config
from hsimul3r_ext.stability import load_judge_config
from hsimul3r_ext.stability.agreement import agreement_table, judge_agreement
from hsimul3r_ext.stability.reference import FAST_COACD

REPO = Path(__file__).resolve().parents[1]
SUFFIXES = {".obj", ".ply", ".stl", ".glb", ".off"}


def generated_set(folder: Path) -> list[tuple[str, Path, str]]:
    sys.path.insert(0, str(REPO / "tests"))
    from furniture import FURNITURE

    folder.mkdir(parents=True, exist_ok=True)
    meshes = []
    for name, (build, _, category) in FURNITURE.items():
        build().export(folder / f"{name}.obj")
        meshes.append((name, folder / f"{name}.obj", category))
    return meshes


def folder_set(folder: Path) -> list[tuple[str, Path, str | None]]:
    known = set(load_convert_config().mass.category_mass_kg)
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() in SUFFIXES)
    if not files:
        raise SystemExit(f"{folder}: no mesh files ({', '.join(sorted(SUFFIXES))})")
    return [(p.stem, p, p.stem.split("_")[0] if p.stem.split("_")[0] in known else None) for p in files]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("meshes", nargs="?", type=Path, help="folder of mesh files (default: the generated set)")
    parser.add_argument("-o", "--out", type=Path, help="keep the cases and conversions here (default: temporary)")
    parser.add_argument("--fast", action="store_true", help="cheaper CoACD settings for the reference")
    args = parser.parse_args()
    work = args.out or Path(tempfile.mkdtemp(prefix="judge-agreement-"))
    meshes = folder_set(args.meshes) if args.meshes else generated_set(work / "meshes")
    reference_coacd = FAST_COACD if args.fast else None
    start = time.perf_counter()
    rows = judge_agreement(meshes, work / "work", load_judge_config(), reference_coacd=reference_coacd)
    total = time.perf_counter() - start
    reference_s = sum(row.reference.seconds for row in rows if row.reference is not None)
    print(agreement_table(rows))
    ours_s = total - reference_s
    print(f"{len(rows)} meshes in {total:.0f} s: reference {reference_s:.0f} s (CoACD on the raw mesh, 10 s of "
          f"MuJoCo each), ours {ours_s:.0f} s (ingest, repair, CoACD, mass, USD, gravity test)")  # fmt: skip
    print(f"cases and conversions: {work}")
    return 0 if all(row.agrees for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
