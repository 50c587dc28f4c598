"""`hsimul3r bench`: `hsimul3r run`'s stages over a dataset of cases, one row per case, then the table.

Each case runs in a worker (local processes or Ray, `executors.run_tasks`) into `OUT/cases/<key>/`, a run
folder like `hsimul3r run`'s, so stage fingerprints make a re-run reuse what finished. A finished case's row
is written to `OUT/rows/` as soon as it returns; a re-run with the same settings skips those rows and re-tries
the error rows. The table (`bench_table`) is rebuilt from the rows at the end of every run.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..hsi.case_io import MANIFEST
from ..hsi.errors import CaseError
from .report import write_text_atomic
from .stages import REFINED_CASE, STAGES, RunOptions

BENCH_JSON, SETTINGS_JSON, ROWS, CASES = "bench.json", "bench_settings.json", "rows", "cases"
INDEX_JSON = "index.json"

BENCH_STAGES: dict[str, str] = {"raw": "judge_before", "align": "judge", "forward": "forward", "reverse": "reverse"}
"""A bench stage and the pipeline stage whose verdict it reports, in the table's order."""
SWITCHES = {"forward": "forward.enabled=true", "reverse": "reverse.enabled=true"}


@dataclass(frozen=True)
class BenchCase:
    key: str  # the case folder relative to the dataset (unique; names its run folder and row)
    case_dir: Path
    interaction: str | None = None
    category: str | None = None
    errors: tuple[str, ...] = ()  # kinds of injected reconstruction errors, when the dataset records them


@dataclass(frozen=True)
class BenchTask:
    """Everything a worker needs for one case (pickled to local or Ray workers)."""

    case: BenchCase
    out_dir: Path
    stages: tuple[str, ...]
    overrides: tuple[str, ...] = ()
    options: RunOptions = field(default_factory=RunOptions)


def parse_stages(text: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    unknown = [name for name in names if name not in BENCH_STAGES]
    if unknown or not names:
        raise CaseError("--stages", "stages", f"unknown {unknown or 'empty list'}; choose from {list(BENCH_STAGES)}")
    return tuple(name for name in BENCH_STAGES if name in names)  # the pipeline's order, each once


def load_dataset(path: str | Path) -> list[BenchCase]:
    """A folder of cases (found at any depth; `index.json` beside them adds their metadata) or an index file:
    `.json` ({"cases": [{"case": PATH, ...}]}) or text (one case folder per line, `#` comments)."""
    path = Path(path).absolute()
    if path.is_dir():
        index = path / INDEX_JSON
        if index.is_file():
            return _from_index(index)
        folders = sorted(manifest.parent for manifest in path.rglob(MANIFEST))
        if not folders:
            raise CaseError(path, "dataset", f"no case folders ({MANIFEST}) found under it")
        return [_case(folder, folder.relative_to(path).as_posix(), {}) for folder in folders]
    if not path.is_file():
        raise CaseError(path, "dataset", "does not exist: give a folder of cases or an index file")
    if path.suffix == ".json":
        return _from_index(path)
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines()]
    entries = [{"case": line} for line in lines if line and not line.startswith("#")]
    return _unique(path, [_case(_resolve(path, e["case"]), e["case"], e) for e in entries])


def _from_index(index: Path) -> list[BenchCase]:
    try:
        entries = json.loads(index.read_text(encoding="utf-8"))["cases"]
        cases = [_case(_resolve(index, entry["case"]), str(entry["case"]), entry) for entry in entries]
    except (ValueError, KeyError, TypeError) as err:
        raise CaseError(index, "cases", f'expected {{"cases": [{{"case": PATH, ...}}, ...]}} ({err})') from None
    return _unique(index, cases)


def _resolve(index: Path, case: str) -> Path:
    folder = Path(case).expanduser()
    return (folder if folder.is_absolute() else index.parent / folder).absolute()


def _case(folder: Path, key: str, entry: dict[str, Any]) -> BenchCase:
    """Metadata from the index entry, else from the case's own manifest (a benchmark provenance record, the
    objects' categories); a case that cannot be read still becomes a task, to fail as an error row."""
    record, categories = _manifest_metadata(folder)
    errors = entry.get("errors", record.get("errors", ()))
    return BenchCase(
        key=key.strip("/").replace("/", "__") or folder.name,
        case_dir=folder,
        interaction=entry.get("interaction", record.get("interaction")),
        category=entry.get("category", "+".join(categories) or None),
        errors=tuple(e if isinstance(e, str) else str(e.get("kind")) for e in errors),
    )


def _manifest_metadata(folder: Path) -> tuple[dict[str, Any], list[str]]:
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        records = [r for r in manifest.get("provenance", []) if isinstance(r, dict) and r.get("step") == "benchmark"]
        categories = sorted({str(o["category"]) for o in manifest.get("objects", []) if o.get("category")})
    except (OSError, ValueError, AttributeError, TypeError):
        return {}, []
    return (records[-1] if records else {}), categories


def _unique(source: Path, cases: list[BenchCase]) -> list[BenchCase]:
    keys = [case.key for case in cases]
    duplicated = sorted({key for key in keys if keys.count(key) > 1})
    if duplicated:
        raise CaseError(source, "cases", f"listed more than once: {duplicated}")
    if not cases:
        raise CaseError(source, "cases", "the index lists no case")
    return cases


def pipeline_stages(stages: Sequence[str]) -> list[str]:
    """The pipeline stages the bench stages need, in run order."""
    wanted = {BENCH_STAGES[name] for name in stages}
    pending = list(wanted)
    while pending:
        for need in STAGES[pending.pop()].needs:
            if need not in wanted:
                wanted.add(need)
                pending.append(need)
    return [name for name in STAGES if name in wanted]


def bench_case(task: BenchTask) -> dict[str, Any]:
    """One case through the stages (reusing what a previous run finished); its row for the table."""
    from .job import run_job

    start = time.perf_counter()
    overrides = [*task.overrides, *(SWITCHES[name] for name in task.stages if name in SWITCHES)]
    stages = [STAGES[name] for name in pipeline_stages(task.stages)]
    run = run_job(task.case.case_dir, task.out_dir, overrides, options=task.options, stages=stages, log=lambda _: None)
    records = {entry["stage"]: entry["record"] for entry in run["stages"]}
    row = {
        "case": task.case.key,
        "status": "ok",
        "stages": {name: _stage_row(name, records, task) for name in task.stages},
        "stage_seconds": {entry["stage"]: entry["seconds"] for entry in run["stages"]},
        "report": f"{CASES}/{task.case.key}/{run['files']['report_html']}",
        "seconds": time.perf_counter() - start,
    }
    return row


def _stage_row(name: str, records: dict[str, dict[str, Any]], task: BenchTask) -> dict[str, Any]:
    record = records[BENCH_STAGES[name]]
    objects = record["objects"]
    interaction = [o["interaction"] for o in objects if o.get("interaction")]
    drift = [o["interaction"]["displacement_m"] for o in objects if o.get("interaction")]
    row = {
        "type": record["type"],
        "objects": {o["name"]: o["type"] for o in objects},
        "simulated_max_penetration_mm": max((i["max_penetration_mm"] for i in interaction), default=None),
        "object_drift_m": max(drift, default=None),
        "mpjpe_mm": (record.get("human") or {}).get("mpjpe_mm"),
        **_geometry(name, records, task),
    }
    if name == "forward":
        row["mpjpe_mm"] = record["forward"]["mpjpe_mm"]  # the policy against the aligned motion
    if name == "reverse":
        row["regenerated"] = record["reverse"]["regenerated"]
    return row


def _geometry(name: str, records: dict[str, dict[str, Any]], task: BenchTask) -> dict[str, float | None]:
    """Penetration and contact gaps of the stage's case, measured as the alignment measures them."""
    if name in ("raw", "align"):
        metrics = records["align"]["metrics"]["before" if name == "raw" else "after"] if "align" in records else None
        if metrics is None:
            metrics = _measure(task.case.case_dir, task)
    else:
        folder = task.out_dir / BENCH_STAGES[name]
        refined = folder / (records[BENCH_STAGES[name]].get("reverse", {}).get("refined_case") or REFINED_CASE)
        metrics = _measure(refined if refined.is_dir() else task.out_dir / "align", task)
    return {key: metrics[key] for key in ("mean_penetration_mm", "max_penetration_mm", "mean_contact_distance_mm")}


def _measure(case: Path, task: BenchTask) -> dict[str, Any]:
    from ..align import load_align_config, measure_case

    return measure_case(case, load_align_config(task.overrides), models_dir=task.options.models_dir)


def settings_of(stages: Sequence[str], overrides: Sequence[str], options: RunOptions) -> dict[str, Any]:
    """What a row depends on besides its case: a row made under other settings is not reused."""
    return {
        "version": __version__,
        "stages": list(stages),
        "overrides": list(overrides),
        "options": {key: None if value is None else str(value) for key, value in asdict(options).items()},
    }


def settings_hash(settings: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()[:16]


def run_bench(
    dataset: str | Path,
    out_dir: str | Path,
    stages: Sequence[str] = ("raw", "align"),
    overrides: Sequence[str] = (),
    *,
    options: RunOptions | None = None,
    jobs: int = 1,
    ray_address: str | None = None,
    timeout_s: float | None = None,
) -> dict[str, Any]:
    """Run every case not yet done under these settings, then write the table; returns bench.json."""
    from ..executors import run_tasks
    from .bench_table import write_bench

    cases, out, options = load_dataset(dataset), Path(out_dir).absolute(), options or RunOptions()
    stages = parse_stages(",".join(stages))
    _check_out(out, cases)
    row_settings = settings_of(stages, overrides, options)
    settings, digest = {**row_settings, "dataset": str(Path(dataset).absolute())}, settings_hash(row_settings)
    (out / ROWS).mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / SETTINGS_JSON, json.dumps({**settings, "hash": digest}, indent=2) + "\n")
    done = {case.key for case in cases if _row_done(out / ROWS / f"{case.key}.json", digest)}
    tasks = [
        (case.key, BenchTask(case, out / CASES / case.key, stages, tuple(overrides), options))
        for case in cases
        if case.key not in done
    ]
    workers = {"jobs": jobs, "ray": ray_address, "timeout_s": timeout_s}
    for result in run_tasks(
        bench_case, tasks, jobs=jobs, ray_address=ray_address, timeout_s=timeout_s, description="bench"
    ):
        row = result.value if result.error is None else {"case": result.key, "status": "error", "error": result.error}
        row = {**row, "settings": digest, "attempts": result.attempts, "peak_rss_mb": result.peak_rss_mb,
               "wall_seconds": result.seconds}  # fmt: skip
        write_text_atomic(out / ROWS / f"{result.key}.json", json.dumps(row, indent=2) + "\n")
    rows = [json.loads((out / ROWS / f"{case.key}.json").read_text(encoding="utf-8")) for case in cases]
    return write_bench(out, cases, rows, settings, workers, reused=len(done))


def _row_done(path: Path, digest: str) -> bool:
    try:
        row = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return row.get("settings") == digest and row.get("status") == "ok"


def _check_out(out: Path, cases: list[BenchCase]) -> None:
    if out.exists() and not out.is_dir():
        raise CaseError(out, "output folder", "exists and is not a folder")
    if out.is_dir() and any(out.iterdir()) and not (out / SETTINGS_JSON).is_file():
        raise CaseError(out, "output folder", "exists and is not a folder of `hsimul3r bench`; choose a new folder")
    for case in cases:
        if out.is_relative_to(case.case_dir) or case.case_dir.is_relative_to(out):
            raise CaseError(out, "output folder", f"overlaps the case {case.case_dir}; choose a folder outside it")
