"""Object conversion time vs. face count, cold (CoACD runs) and cached (the decomposition is read back).

The example chair (six boxes) is subdivided to about 5k, 18k and 74k faces and jittered by 0.3 mm, like a
scan-derived mesh, then converted with the default configuration into a fresh cache folder (cold) and
again from that cache (best of 3). Prints per size: seconds cold and cached, seconds per 10k input
faces, hull count, and the ratio cached / cold: the part of a conversion the cache saves.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import trimesh

from hsimul3r_ext.assets import ConvertConfig, convert_object
from hsimul3r_ext.hsi import SceneObject

CHAIR = Path(__file__).resolve().parents[1] / "examples" / "raw" / "sit_chair" / "chair.obj"
SUBDIVISIONS = (3, 4, 5)  # 72 faces x 4^n: 4,608 / 18,432 / 73,728
CACHED_REPEATS = 3


def chair_mesh(subdivisions: int) -> trimesh.Trimesh:
    mesh = trimesh.load(CHAIR, force="mesh")
    for _ in range(subdivisions):
        mesh = mesh.subdivide()
    mesh.vertices += np.random.default_rng(0).normal(0.0, 3e-4, mesh.vertices.shape)
    return mesh


def timed(obj: SceneObject, folder: Path, config: ConvertConfig) -> tuple[float, int, bool]:
    start = time.perf_counter()
    asset = convert_object(obj, folder, folder / "hsi.json", config)
    return time.perf_counter() - start, len(asset.hulls), asset.decomposition.cache_hit


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        config = ConvertConfig()
        config.coacd.cache_dir = str(folder / "cache")
        print(f"{'faces':>8} {'cold s':>8} {'cached s':>9} {'s/10k faces':>12} {'hulls':>6} {'cached/cold':>12}")
        for subdivisions in SUBDIVISIONS:
            mesh = chair_mesh(subdivisions)
            mesh.export(folder / f"chair{subdivisions}.obj")
            obj = SceneObject("chair", f"chair{subdivisions}.obj", category="chair")
            cold, hulls, hit = timed(obj, folder, config)
            assert not hit, "the cold run found a cache entry"
            cached = min(timed(obj, folder, config)[0] for _ in range(CACHED_REPEATS))
            faces = len(mesh.faces)
            per_10k = cold / (faces / 1e4)
            print(f"{faces:>8,} {cold:>8.2f} {cached:>9.2f} {per_10k:>12.2f} {hulls:>6} {cached / cold:>12.3f}")


if __name__ == "__main__":
    main()
