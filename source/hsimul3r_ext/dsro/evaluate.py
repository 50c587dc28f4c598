"""Before vs after (`hsimul3r dsro eval`): generators compared on held-out conditions, with the judge.

Per generator: share of samples stable under gravity (DSO reports its complement, "percentage unstable"),
share Type 4 for conditions with a case, mean and median final tilt, and fidelity to the true shape
(Chamfer distance and F-score at TAU_M between surface samples). Best-of-N sampling with the judge on the
first generator is the test-time baseline: N judged samples buy one delivered object.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch
import trimesh
from scipy.spatial import cKDTree

from ..atomic_dir import atomic_output_dir
from ..hsi.case_io import load_mesh
from .conditions import load_conditions
from .generator import generator_identity, load_generator
from .judging import LABEL_CONVERT_OVERRIDES, SampleTask
from .label import judge_samples, sample_seed, wins

TAU_M = 0.05  # F-score threshold: 5 cm, about 5% of a chair's size
SURFACE_POINTS = 4000
EVAL_SEED_OFFSET = 10_000  # evaluation draws never coincide with labelling draws of the same seed


def fidelity(sample: trimesh.Trimesh | None, truth: trimesh.Trimesh, tau: float = TAU_M) -> tuple[float, float]:
    """(Chamfer distance in metres: mean of both directions' mean nearest distances; F-score at tau)."""
    if sample is None:
        return float("nan"), 0.0
    a = trimesh.sample.sample_surface(sample, SURFACE_POINTS, seed=0)[0]
    b = trimesh.sample.sample_surface(truth, SURFACE_POINTS, seed=0)[0]
    d_ab, d_ba = cKDTree(b).query(a)[0], cKDTree(a).query(b)[0]
    precision, recall = (d_ab < tau).mean(), (d_ba < tau).mean()
    f_score = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return float((d_ab.mean() + d_ba.mean()) / 2), float(f_score)


def _best_of(verdicts: list[dict[str, Any]], with_case: bool) -> dict[str, Any]:
    """The sample the judge would deliver: a winner first, else the least tilted."""
    winners = [v for v in verdicts if wins(v, with_case)]
    if winners:
        return winners[0]
    return min(verdicts, key=lambda v: np.inf if v["tilt_deg"] is None else v["tilt_deg"])


def _metrics(rows: list[dict[str, Any]]) -> dict[str, Any]:
    samples = [s for row in rows for s in row["samples"]]
    with_case = [s for row in rows if row["with_case"] for s in row["samples"]]
    tilts = [s["tilt_deg"] for s in samples if s["tilt_deg"] is not None]
    chamfer = [s["chamfer_m"] for s in samples if s.get("chamfer_m") is not None and np.isfinite(s["chamfer_m"])]
    return {
        "samples": len(samples),
        "gravity_stable_share": float(np.mean([bool(s["gravity_stable"]) for s in samples])),
        "type4_share": float(np.mean([s["type"] == 4 for s in with_case])) if with_case else None,
        "mean_tilt_deg": float(np.mean(tilts)) if tilts else None,
        "median_tilt_deg": float(np.median(tilts)) if tilts else None,
        "chamfer_mm": 1000 * float(np.mean(chamfer)) if chamfer else None,
        "f_score": float(np.mean([s["f_score"] for s in samples if s.get("f_score") is not None])) if chamfer else None,
        "errors": sum(s["error"] is not None for s in samples),
        "seconds_per_sample": float(np.mean([s["seconds"] for s in samples])),
    }


def evaluate(
    conditions_dir: str | Path,
    out_dir: str | Path,
    generators: dict[str, Path],
    *,
    samples: int = 4,
    seed: int = 0,
    jobs: int = 1,
    steps: int = 32,
    overrides: tuple[str, ...] = (),
    models_dir: Path | None = None,
    overwrite: bool = False,
    progress: bool | None = None,
) -> dict[str, Any]:
    """Compare `generators` (name -> file; the first is the baseline for best-of-N) into `out_dir`."""
    start = time.perf_counter()
    conditions = load_conditions(conditions_dir)
    observations = [c.load_observation() for c in conditions]
    truths = [None if c.truth is None else load_mesh(c.truth, "truth") for c in conditions]
    results: dict[str, Any] = {}
    with atomic_output_dir(out_dir, overwrite=overwrite) as stage:
        grid: dict[str, list[list[tuple[trimesh.Trimesh | None, bool]]]] = {}
        for name, path in generators.items():
            generator = load_generator(path)
            tasks, meshes = [], []
            with torch.no_grad():
                for condition, observation in zip(conditions, observations, strict=True):
                    c = generator.condition(observation, str(condition.observation))
                    seed_k = sample_seed(seed + EVAL_SEED_OFFSET, condition.name)
                    decoded = generator.decode(generator.sample_latents(c, samples, seed_k, steps))
                    meshes.append(decoded)
                    tasks += [
                        SampleTask(
                            name=f"{condition.name}/{k}",
                            mesh=mesh,
                            work=stage / "work" / name / condition.name / str(k),
                            category=condition.category,
                            case=condition.case,
                            object=condition.object,
                            camera=observation.camera,
                            overrides=(*LABEL_CONVERT_OVERRIDES, *overrides),
                            models_dir=models_dir,
                            provenance={"step": "dsro_eval_sample", "generator": name, "condition": condition.name},
                        )
                        for k, mesh in enumerate(decoded)
                    ]
            by_name = {task.name: verdict for task, verdict in judge_samples(tasks, jobs, f"judging {name}", progress)}
            verdicts = [by_name[task.name] for task in tasks]
            rows = []
            for i, condition in enumerate(conditions):
                judged = verdicts[i * samples : (i + 1) * samples]
                for verdict, mesh in zip(judged, meshes[i], strict=True):
                    if truths[i] is not None:
                        verdict["chamfer_m"], verdict["f_score"] = fidelity(mesh, truths[i])
                rows.append(
                    {
                        "name": condition.name,
                        "category": condition.category,
                        "with_case": condition.case is not None,
                        "samples": judged,
                    }
                )
            grid[name] = [
                [(mesh, bool(v["gravity_stable"])) for mesh, v in zip(meshes[i], row["samples"], strict=True)]
                for i, row in enumerate(rows)
            ]
            results[name] = {
                "generator": str(path),
                "sha256": generator_identity(path),
                "metrics": _metrics(rows),
                "conditions": rows,
            }
        baseline = next(iter(results))
        picked = [_best_of(row["samples"], row["with_case"]) for row in results[baseline]["conditions"]]
        best_of = {
            "generator": baseline,
            "n": samples,
            "gravity_stable_share": float(np.mean([bool(v["gravity_stable"]) for v in picked])),
            "win_share": float(
                np.mean(
                    [wins(v, row["with_case"]) for v, row in zip(picked, results[baseline]["conditions"], strict=True)]
                )
            ),
            "judged_samples_per_object": samples,
            "seconds_per_object": samples * results[baseline]["metrics"]["seconds_per_sample"],
        }
        from .plots import plot_sample_grid

        plot_sample_grid(grid, stage / "samples.png")
        report = {
            "conditions_dir": str(conditions_dir), "conditions": len(conditions), "samples_per_condition": samples,
            "seed": seed, "tau_m": TAU_M, "generators": results, "best_of_n": best_of,
            "seconds": time.perf_counter() - start,
        }  # fmt: skip
        (stage / "eval.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        (stage / "eval.md").write_text(eval_markdown(report), encoding="utf-8")
    return report


def eval_markdown(report: dict[str, Any]) -> str:
    lines = [
        f"# DSRO evaluation: {report['conditions']} held-out conditions x {report['samples_per_condition']} samples",
        "",
        "| generator | stable under gravity | Type 4 (with a case) | mean / median tilt (deg) | Chamfer (mm) "
        f"| F-score @ {report['tau_m'] * 100:.0f} cm | s / sample |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, entry in report["generators"].items():
        m = entry["metrics"]
        type4 = "n/a" if m["type4_share"] is None else f"{100 * m['type4_share']:.0f}%"
        tilt = "n/a" if m["mean_tilt_deg"] is None else f"{m['mean_tilt_deg']:.1f} / {m['median_tilt_deg']:.1f}"
        chamfer = "n/a" if m["chamfer_mm"] is None else f"{m['chamfer_mm']:.1f}"
        f_score = "n/a" if m["f_score"] is None else f"{m['f_score']:.3f}"
        stable, seconds = f"{100 * m['gravity_stable_share']:.0f}%", f"{m['seconds_per_sample']:.2f}"
        lines.append(f"| {name} | {stable} | {type4} | {tilt} | {chamfer} | {f_score} | {seconds} |")
    b = report["best_of_n"]
    lines += [
        "",
        f"Best-of-{b['n']} with the judge on `{b['generator']}`: {100 * b['gravity_stable_share']:.0f}% stable, "
        f"{100 * b['win_share']:.0f}% winners, at {b['judged_samples_per_object']} judged samples "
        f"({b['seconds_per_object']:.1f} s) per delivered object.",
        "",
        "![samples](samples.png)",
        "",
    ]
    return "\n".join(lines)
