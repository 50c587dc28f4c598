"""Run the stages in order into `OUT/<stage>/`, reusing every finished stage whose fingerprint is unchanged.

A stage's fingerprint hashes what its result depends on: its config sections after the overrides, the
run options it uses, the input case's files, the fingerprints of the stages it needs, the package
version and its output format. A changed override therefore re-runs the stages reading it and everything
downstream.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .. import OUTPUT_FORMAT, __version__
from ..atomic_dir import atomic_output_dir
from ..hsi.case_io import MANIFEST
from ..hsi.errors import CaseError
from .capture_stages import CAPTURE_STAGES, captured_case, is_capture_folder
from .config import composed_sections, load_sections
from .stages import STAGES, RunOptions, Stage, StageInputs

STAGE_JSON = "stage.json"
RUN_JSON = "run.json"
REPORT_FILES = (RUN_JSON, "report.md", "report.html")


def run_pipeline(
    case_dir: str | Path,
    out_dir: str | Path,
    overrides: Sequence[str] = (),
    *,
    options: RunOptions | None = None,
    force: bool = False,
    stages: Sequence[Stage] | None = None,
    log: Callable[[str], None] = print,
) -> list[dict[str, Any]]:
    """Run (or reuse) every stage; returns one entry per stage: its stage.json plus status ran / reused.

    A capture folder (perception tools' outputs, no `hsi.json`) first runs the capture stages, which make a
    case in OUT; the case stages then take that case as their input.
    """
    case, out, options = Path(case_dir).absolute(), Path(out_dir).absolute(), options or RunOptions()
    stages = list(STAGES.values()) if stages is None else list(stages)
    if not is_capture_folder(case):
        _check_folders(case, out, stages)
        return _run_stages(case, out, stages, overrides, options, force, log, total=len(stages))
    capture_stages = list(CAPTURE_STAGES.values())
    _check_folders(case, out, capture_stages + stages, manifest=False)
    entries = _run_stages(case, out, capture_stages, overrides, options, force, log, total=None)
    made = captured_case({entry["stage"]: out / entry["stage"] for entry in entries})
    return entries + _run_stages(made, out, stages, overrides, options, force, log, total=None, done=len(entries))


def _run_stages(
    case: Path,
    out: Path,
    stages: list[Stage],
    overrides: Sequence[str],
    options: RunOptions,
    force: bool,
    log: Callable[[str], None],
    *,
    total: int | None,
    done: int = 0,
) -> list[dict[str, Any]]:
    switches = sorted({stage.switch.split(".")[0] for stage in stages if stage.switch})
    groups = sorted({group for stage in stages for group in stage.reads} | set(switches))
    plain = composed_sections(groups, overrides)
    stages = [stage for stage in stages if _switched_on(stage, plain)]
    case_hash = _case_hash(case)
    fingerprints: dict[str, str] = {}
    reusable: dict[str, dict[str, Any]] = {}
    for stage in stages:
        fingerprints[stage.name] = _fingerprint(stage, plain, options, case_hash, fingerprints)
        previous = None if force else _finished(out / stage.name)
        if previous is not None and previous["fingerprint"] == fingerprints[stage.name]:
            reusable[stage.name] = previous
    to_run = [stage for stage in stages if stage.name not in reusable]
    sections = load_sections(sorted({group for stage in to_run for group in stage.reads}), overrides)
    if to_run:
        _forget_report(out)  # a report of an earlier run must not outlive the stages it described
    entries = []
    for index, stage in enumerate(stages, start=done + 1):
        step = f"[{index}/{total}] {stage.name}" if total else f"[{index}] {stage.name}"
        if stage.name in reusable:
            log(f"{step}: reused")
            entries.append({**reusable[stage.name], "status": "reused"})
            continue
        log(f"{step}: running ...")
        config = {group: sections[group] for group in stage.reads}
        upstream = {name: out / name for name in _upstream(stage, fingerprints)}
        entry = _run_stage(stage, case, out, fingerprints[stage.name], config, options, upstream)
        log(f"{step}: ran ({entry['seconds']:.1f} s)")
        entries.append({**entry, "status": "ran"})
    return entries


def _switched_on(stage: Stage, sections: dict[str, Any]) -> bool:
    if stage.switch is None:
        return True
    group, key = stage.switch.split(".", 1)
    return bool(sections[group][key])


def _upstream(stage: Stage, present: Mapping[str, str]) -> list[str]:
    """The stages whose folders a stage reads: those it needs, and those it runs after that are switched on."""
    return [*stage.needs, *(name for name in stage.after if name in present)]


def _run_stage(
    stage: Stage,
    case: Path,
    out: Path,
    fingerprint: str,
    config: dict[str, Any],
    options: RunOptions,
    upstream: dict[str, Path],
) -> dict[str, Any]:
    start = time.perf_counter()
    inputs = StageInputs(case=case, upstream=upstream, options=options)
    with atomic_output_dir(out / stage.name, overwrite=True) as folder:
        record = stage.run(inputs, folder, config)
        entry = {
            "stage": stage.name,
            "fingerprint": fingerprint,
            "seconds": time.perf_counter() - start,
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "record": record,
        }
        (folder / STAGE_JSON).write_text(json.dumps(entry, indent=2) + "\n", encoding="utf-8")
    return entry


def _check_folders(case: Path, out: Path, stages: Sequence[Stage], *, manifest: bool = True) -> None:
    """The input (case or capture folder) exists and stays untouched; OUT is new or a run folder of this command."""
    if not case.is_dir():
        raise CaseError(case, "case folder", "does not exist or is not a folder")
    if manifest and not (case / MANIFEST).is_file():
        raise CaseError(case / MANIFEST, "file", "missing: not a case folder (make one with `hsimul3r ingest`)")
    if out == case or out.is_relative_to(case) or case.is_relative_to(out):
        raise CaseError(out, "output folder", f"overlaps the input case {case}; choose a folder outside it")
    if out.exists() and not out.is_dir():
        raise CaseError(out, "output folder", "exists and is not a folder")
    ours = (out / RUN_JSON).is_file() or any((out / s.name / STAGE_JSON).is_file() for s in stages)
    if out.is_dir() and any(out.iterdir()) and not ours:
        raise CaseError(out, "output folder", "exists and is not a folder of `hsimul3r run`; choose a new folder")


def _case_hash(case: Path) -> str:
    """Every file of the case (relative path and bytes): any edit to the input re-runs the pipeline."""
    digest = hashlib.sha256()
    for path in sorted(p for p in case.rglob("*") if p.is_file()):
        digest.update(path.relative_to(case).as_posix().encode() + b"\0")
        with path.open("rb") as file:
            for block in iter(lambda f=file: f.read(1 << 20), b""):
                digest.update(block)
    return digest.hexdigest()


def _fingerprint(
    stage: Stage, sections: dict[str, Any], options: RunOptions, case_hash: str, upstream: dict[str, str]
) -> str:
    option_values = asdict(options)
    content = {
        "stage": stage.name,
        "version": __version__,
        "format": OUTPUT_FORMAT,
        "case": case_hash,
        "config": {group: sections[group] for group in stage.reads},
        "options": {name: option_values[name] for name in stage.options},
        "upstream": {name: upstream[name] for name in _upstream(stage, upstream)},
    }
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()


def _finished(folder: Path) -> dict[str, Any] | None:
    try:
        entry = json.loads((folder / STAGE_JSON).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return entry if isinstance(entry, dict) and "fingerprint" in entry else None


def _forget_report(out: Path) -> None:
    for name in REPORT_FILES:
        (out / name).unlink(missing_ok=True)
