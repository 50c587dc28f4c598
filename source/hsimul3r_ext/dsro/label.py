"""Labels from the simulator (`hsimul3r dsro label`): N samples per condition, each judged, win or lose.

Win: Type 4 (stable under gravity, stable in the interaction, real contact) for a condition with a case;
stable under gravity (DSO's rule: the only test an object alone can take) for one without. Conditions whose
samples all win or all lose are dropped (no pair). Each sample's latent is kept with its verdict: the
flow loss scores latents, not meshes. Verdicts are cached per sample, so a rerun resumes.
"""

from __future__ import annotations

import hashlib
import json
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import torch

from ..executors import run_tasks
from ..hsi.errors import CaseError
from .conditions import load_conditions
from .generator import generator_identity, load_generator
from .judging import LABEL_CONVERT_OVERRIDES, SampleTask, error_verdict, judge_sample

LABELS_JSON, LABELS_NPZ, SAMPLES_DIR = "labels.json", "labels.npz", "samples"


def file_sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def sample_seed(seed: int, name: str) -> int:
    return (seed * 1_000_003 + zlib.crc32(name.encode())) % 2**63


def wins(verdict: dict[str, Any], with_case: bool) -> bool:
    if verdict["error"] is not None:
        return False
    return verdict["type"] == 4 if with_case else bool(verdict["gravity_stable"])


def judge_samples(
    tasks: list[SampleTask],
    jobs: int,
    desc: str,
    progress: bool | None = None,
    *,
    ray_address: str | None = None,
    timeout_s: float | None = None,
) -> Iterator[tuple[SampleTask, dict[str, Any]]]:
    """(task, verdict) as each sample is judged (completion order), by `executors.run_tasks`: in this process
    for one job or one task, else in worker processes or on Ray. A sample past `timeout_s`, or whose worker
    died, loses with that error."""
    by_name = {task.name: task for task in tasks}
    results = run_tasks(
        judge_sample, [(task.name, task) for task in tasks], jobs=jobs if len(tasks) > 1 else 1,
        ray_address=ray_address, timeout_s=timeout_s, description=desc, progress=progress,
    )  # fmt: skip
    for r in results:
        yield by_name[r.key], r.value if r.error is None else error_verdict(r.error, r.seconds)


def label_conditions(
    conditions_dir: str | Path,
    out_dir: str | Path,
    generator_path: str | Path,
    *,
    samples: int = 4,
    seed: int = 0,
    jobs: int = 1,
    ray_address: str | None = None,
    timeout_s: float | None = None,
    overrides: tuple[str, ...] = (),
    steps: int = 32,
    models_dir: Path | None = None,
    progress: bool | None = None,
) -> dict[str, Any]:
    """Label every condition into `out_dir` (created, or resumed when it holds labels of the same generator)."""
    start = time.perf_counter()
    conditions_dir, out = Path(conditions_dir), Path(out_dir)
    conditions = load_conditions(conditions_dir)
    generator = load_generator(generator_path)
    digest = generator_identity(generator_path)
    settings = {
        "generator_sha256": digest,
        "samples": samples,
        "seed": seed,
        "steps": steps,
        "overrides": list(overrides),
    }
    settings_file = out / "settings.json"
    if settings_file.is_file() and json.loads(settings_file.read_text()) != settings:
        raise CaseError(
            settings_file,
            "settings",
            "the labels there were made with other settings or another generator: choose a new -o",
        )
    (out / SAMPLES_DIR).mkdir(parents=True, exist_ok=True)
    settings_file.write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")

    encoded, latents, tasks, cached = [], [], [], {}
    with torch.no_grad():
        for condition in conditions:
            observation = condition.load_observation()
            c = generator.condition(observation, str(condition.observation))
            encoded.append(c[0].numpy())
            drawn = generator.sample_latents(c, samples, sample_seed(seed, condition.name), steps)
            latents.append(drawn.numpy())
            for k, mesh in enumerate(generator.decode(drawn)):
                verdict_file = out / SAMPLES_DIR / condition.name / f"{k}.json"
                if verdict_file.is_file():
                    cached[(condition.name, k)] = json.loads(verdict_file.read_text())
                    continue
                tasks.append(
                    SampleTask(
                        name=f"{condition.name}/{k}",
                        mesh=mesh,
                        work=out / "work" / condition.name / str(k),
                        category=condition.category,
                        case=condition.case,
                        object=condition.object,
                        camera=observation.camera,
                        overrides=(*LABEL_CONVERT_OVERRIDES, *overrides),
                        models_dir=models_dir,
                        provenance={
                            "step": "dsro_sample",
                            "generator_sha256": digest,
                            "condition": condition.name,
                            "sample": k,
                        },
                    )
                )
    for task, verdict in judge_samples(
        tasks, jobs, "judging samples", progress, ray_address=ray_address, timeout_s=timeout_s
    ):
        condition_name, k = task.name.rsplit("/", 1)
        verdict_file = out / SAMPLES_DIR / condition_name / f"{k}.json"
        verdict_file.parent.mkdir(parents=True, exist_ok=True)
        partial = verdict_file.with_suffix(".partial")
        partial.write_text(json.dumps(verdict, indent=2) + "\n", encoding="utf-8")
        partial.replace(verdict_file)
        cached[(condition_name, int(k))] = verdict

    rows, win = [], np.zeros((len(conditions), samples), dtype=bool)
    for i, condition in enumerate(conditions):
        verdicts = [cached[(condition.name, k)] for k in range(samples)]
        win[i] = [wins(v, condition.case is not None) for v in verdicts]
        rows.append({
            "name": condition.name, "category": condition.category, "with_case": condition.case is not None,
            "wins": int(win[i].sum()), "kept": bool(0 < win[i].sum() < samples), "samples": verdicts,
        })  # fmt: skip
    kept = np.array([row["kept"] for row in rows])
    judged = [v for row in rows for v in row["samples"]]
    summary = {
        "conditions": len(conditions),
        "kept_conditions": int(kept.sum()),
        "pairs": int(sum(row["wins"] * (samples - row["wins"]) for row in rows if row["kept"])),
        "samples": len(judged),
        "win_share": float(win.mean()),
        "gravity_stable_share": float(np.mean([bool(v["gravity_stable"]) for v in judged])),
        "errors": sum(v["error"] is not None for v in judged),
        "newly_judged": len(tasks),
        "seconds_per_sample": float(np.mean([v["seconds"] for v in judged])),
        "seconds": time.perf_counter() - start,
    }
    np.savez_compressed(
        out / LABELS_NPZ, conditions=np.stack(encoded).astype(np.float32),
        latents=np.stack(latents).astype(np.float32), win=win, kept=kept, names=np.array([c.name for c in conditions]),
    )  # fmt: skip
    payload = {
        "settings": settings,
        "generator": str(generator_path),
        "conditions_dir": str(conditions_dir),
        "summary": summary,
        "conditions": rows,
    }
    (out / LABELS_JSON).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return payload
