"""The RL contact reward's distance query for all environments at once against a brute-force torch baseline.

`BatchedContactDistance.query` (one Warp launch, BVH + winding-number sign, Warp "cpu" device) against the same
answer computed in torch over all triangles: points moved into the object frame, exact closest point on every
triangle (plane projection or nearest edge), sign from the exact winding number (solid angles). E in 64, 1024,
4096 environments, K=8 keypoints, M=1 object (the bundled chair) at a random pose per env. Prints the time per
query of both, the ratio and the largest disagreement; brute-force runs estimated over 20 s are skipped.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import torch
import trimesh

from hsimul3r_ext.kernels.contact_distance import BatchedContactDistance

SIT_CHAIR = Path(__file__).resolve().parents[1] / "examples" / "sit_chair"
ENVS = (64, 1024, 4096)
KEYPOINTS = 8
REPEATS = 20
BRUTE_LIMIT_S = 20.0
CHUNK_PAIRS = 1_000_000  # point x face pairs per brute-force chunk: ~20 (P, F, 3) float32 temporaries, < 0.3 GB


def quat_rotate(quat: torch.Tensor, vector: torch.Tensor, inverse: bool = False) -> torch.Tensor:
    """Rotate `vector` (..., 3) by the unit quaternion `quat` (..., 4), xyzw (or by its inverse)."""
    axis, w = quat[..., :3], quat[..., 3:]
    axis = -axis if inverse else axis
    twice = 2.0 * torch.linalg.cross(axis, vector)
    return vector + w * twice + torch.linalg.cross(axis, twice)


def brute_force_object(points: torch.Tensor, triangles: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Signed distance (P,) and closest point (P, 3) of object-frame `points` to all `triangles` (F, 3, 3)."""
    a, b, c = triangles[:, 0], triangles[:, 1], triangles[:, 2]
    normal = torch.linalg.cross(b - a, c - a)
    distance, closest = [], []
    for p in points.split(max(1, CHUNK_PAIRS // len(triangles))):
        p = p[:, None]  # (P, 1, 3) against (F, 3)
        projected = p - ((p - a) * normal).sum(-1, keepdim=True) / (normal * normal).sum(-1, keepdim=True) * normal
        inside = torch.ones(projected.shape[:2], dtype=torch.bool)
        on_edge, edge_gap = projected, torch.full(projected.shape[:2], math.inf)  # nearest point on the boundary
        for start, end in ((a, b), (b, c), (c, a)):
            edge = end - start
            inside &= (torch.linalg.cross(edge.expand_as(projected), projected - start) * normal).sum(-1) >= 0
            t = (((p - start) * edge).sum(-1, keepdim=True) / (edge * edge).sum(-1, keepdim=True)).clamp(0.0, 1.0)
            candidate = start + t * edge
            gap = (candidate - p).norm(dim=-1)
            on_edge, edge_gap = torch.where((gap < edge_gap)[..., None], candidate, on_edge), gap.minimum(edge_gap)
        on_triangle = torch.where(inside[..., None], projected, on_edge)
        gaps = (on_triangle - p).norm(dim=-1)
        nearest = gaps.argmin(1)
        # winding number: solid angle of every triangle seen from the point (van Oosterom and Strackee)
        ra, rb, rc = a - p, b - p, c - p
        la, lb, lc = ra.norm(dim=-1), rb.norm(dim=-1), rc.norm(dim=-1)
        triple = (ra * torch.linalg.cross(rb, rc)).sum(-1)
        denominator = la * lb * lc + (ra * rb).sum(-1) * lc + (ra * rc).sum(-1) * lb + (rb * rc).sum(-1) * la
        winding = torch.atan2(triple, denominator).sum(1) / (2.0 * math.pi)
        rows = torch.arange(len(p))
        distance.append(gaps[rows, nearest] * torch.where(winding > 0.5, -1.0, 1.0))
        closest.append(on_triangle[rows, nearest])
    return torch.cat(distance), torch.cat(closest)


def brute_force_query(
    points: torch.Tensor, object_pos: torch.Tensor, object_quat: torch.Tensor, triangles: list[torch.Tensor]
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The same answer as `BatchedContactDistance.query` (without the max_distance cap) over all triangles."""
    num_envs, num_points = points.shape[:2]
    best = torch.full((num_envs * num_points,), math.inf)
    signed, closest = torch.empty(num_envs * num_points), torch.empty(num_envs * num_points, 3)
    index = torch.full((num_envs * num_points,), -1, dtype=torch.int64)
    for m, object_triangles in enumerate(triangles):
        pos, quat = (
            object_pos[:, m, None].expand(-1, num_points, -1),
            object_quat[:, m, None].expand(-1, num_points, -1),
        )
        local = quat_rotate(quat, points - pos, inverse=True).reshape(-1, 3)
        distance, surface = brute_force_object(local, object_triangles)
        nearer = distance.abs() < best
        best = torch.where(nearer, distance.abs(), best)
        signed = torch.where(nearer, distance, signed)
        world = quat_rotate(quat.reshape(-1, 4), surface) + pos.reshape(-1, 3)
        closest = torch.where(nearer[:, None], world, closest)
        index = torch.where(nearer, m, index)
    return signed.view(num_envs, num_points), closest.view(num_envs, num_points, 3), index.view(num_envs, num_points)


def scene(num_envs: int, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Keypoints within 0.6 m of the chair's seat, chair at a random yaw and 0.2 m offset per env."""
    yaw = torch.rand(num_envs, 1, generator=generator) * 2 * math.pi
    quat = torch.stack([torch.zeros_like(yaw), torch.zeros_like(yaw), (yaw / 2).sin(), (yaw / 2).cos()], dim=-1)
    pos = torch.zeros(num_envs, 1, 3)
    pos[..., :2] = (torch.rand(num_envs, 1, 2, generator=generator) - 0.5) * 0.4
    seat = torch.tensor([0.0, 0.0, 0.45])
    points = pos + seat + (torch.rand(num_envs, KEYPOINTS, 3, generator=generator) - 0.5) * 1.2
    return points, pos, quat


def timed(fn, repeats: int) -> tuple[float, object]:
    """Median seconds of `repeats` calls and the last value (the machine is shared: the median is steadier)."""
    times, value = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), value


def brute_force_timed(arguments: tuple, triangles: list[torch.Tensor], repeats: int) -> tuple[float, int, tuple]:
    """The baseline at its best thread count, 1 or torch's default: on a busy shared CPU torch's thread pool
    can stall (30x slower elementwise ops with 2 threads here), which would flatter our kernel."""
    default = torch.get_num_threads()
    runs = []
    for threads in sorted({1, default}):
        torch.set_num_threads(threads)
        runs.append((*timed(lambda: brute_force_query(*arguments, triangles), repeats), threads))
    torch.set_num_threads(default)
    seconds, value, threads = min(runs, key=lambda run: run[0])
    return seconds, threads, value


def main() -> None:
    chair = json.loads((SIT_CHAIR / "hsi.json").read_text())["objects"][0]
    mesh = trimesh.load(SIT_CHAIR / chair["mesh"], force="mesh", process=False)
    field = BatchedContactDistance([(mesh.vertices, mesh.faces)])
    triangles = [torch.tensor(mesh.triangles, dtype=torch.float32)]
    generator = torch.Generator().manual_seed(0)
    field.query(*scene(1, generator))  # warm-up: kernel load
    rate = 64 * KEYPOINTS * len(mesh.faces) / brute_force_timed(scene(64, generator), triangles, 3)[0]
    print(f"contact distance for all envs: BatchedContactDistance.query (Warp BVH + winding number, cpu) vs brute "
          f"force (torch {torch.__version__}, best of 1 and {torch.get_num_threads()} threads, "
          f"~{rate / 1e6:.0f}M point-triangle pairs/s); K={KEYPOINTS}, M=1 chair ({len(mesh.faces)} faces), "
          f"median of {REPEATS}")  # fmt: skip
    print(f"    {'envs':>6} {'points':>7} {'query ms':>9} {'us/point':>9} {'brute ms':>9} {'threads':>8} "
          f"{'brute/query':>12} {'max |dd| m':>11} {'max |dp| m':>11} {'sign/index diffs':>17}")  # fmt: skip
    for num_envs in ENVS:
        points, pos, quat = scene(num_envs, generator)
        query_s, (distance, closest, index) = timed(lambda p=points, o=pos, q=quat: field.query(p, o, q), REPEATS)
        count = num_envs * KEYPOINTS
        row = f"    {num_envs:>6,} {count:>7,} {query_s * 1e3:>9.3f} {query_s / count * 1e6:>9.3f}"
        estimate = count * len(mesh.faces) / rate
        if estimate > BRUTE_LIMIT_S:
            print(f"{row} {'skipped':>9}  (brute force estimated {estimate:.0f} s > {BRUTE_LIMIT_S:g} s)")
            continue
        repeats = max(1, min(REPEATS, round(2.0 / estimate)))
        brute_s, threads, (signed, surface, nearest) = brute_force_timed((points, pos, quat), triangles, repeats)
        distance_error = float((distance - signed).abs().max())
        point_error = float((closest - surface).norm(dim=-1).max())
        flips = int(((distance < 0) != (signed < 0)).sum()) + int((index != nearest).sum())
        print(f"{row} {brute_s * 1e3:>9.2f} {threads:>8} {brute_s / query_s:>11.1f}x {distance_error:>11.1e} "
              f"{point_error:>11.1e} {flips:>17}")  # fmt: skip
    print("    |dp| can exceed |dd| where two faces are nearly tied (the distance is flat along the surface there)")


if __name__ == "__main__":
    main()
