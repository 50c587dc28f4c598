"""`hsimul3r run`: the stages, then `run.json` (for machines) and the report (for people) in OUT."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from .. import __version__
from .report import AFTER, ALIGN, BEFORE, REPORT_HTML, REPORT_MD, REVERSE, ROBOT, write_report, write_text_atomic
from .runner import RUN_JSON, run_pipeline
from .stages import RunOptions, Stage


def run_job(
    case_dir: str | Path,
    out_dir: str | Path,
    overrides: Sequence[str] = (),
    *,
    options: RunOptions | None = None,
    force: bool = False,
    stages: Sequence[Stage] | None = None,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run or reuse every stage (or `stages`) into `out_dir`, write run.json, report.md and report.html; returns
    run.json."""
    case, out, options = Path(case_dir).absolute(), Path(out_dir).absolute(), options or RunOptions()
    entries = run_pipeline(case, out, overrides, options=options, force=force, stages=stages, log=log)
    records = {entry["stage"]: entry["record"] for entry in entries}
    align = records.get(ALIGN)
    run = {
        "case": records["validate"]["case"] if "validate" in records else case.name,
        "case_dir": str(case),
        "version": __version__,
        "overrides": list(overrides),
        "options": {"models_dir": None if options.models_dir is None else str(options.models_dir),
                    "gravity_only": options.gravity_only},
        "verdict": {"before": _verdict(records.get(BEFORE)), "after": _verdict(records.get(AFTER)),
                    "reverse": _verdict(records.get(REVERSE)),
                    "robot": records.get(ROBOT, {}).get("judge")},
        "alignment": None if align is None else {key: align[key] for key in ("metrics", "moved", "contact_source")},
        "files": {"report_md": REPORT_MD, "report_html": REPORT_HTML},
        "stages": entries,
    }  # fmt: skip
    write_text_atomic(out / RUN_JSON, json.dumps(run, indent=2) + "\n")
    write_report(out, run)
    return run


def _verdict(report: dict[str, Any] | None) -> dict[str, Any] | None:
    if report is None:
        return None
    return {
        "type": report["type"],
        "mode": report["mode"],
        "objects": {o["name"]: o["type"] for o in report["objects"]},
    }
