"""The benchmark's table from its rows: per stage the share of each verdict and the mean metrics, the same
per object category and per interaction, the cases that got worse from one stage to the next, the errors;
written as bench.json, bench.md, bench.html and two pictures."""

from __future__ import annotations

import itertools
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import jinja2
import numpy as np

from .bench import BENCH_JSON, BENCH_STAGES, BenchCase, pipeline_stages
from .bench_templates import HTML, MARKDOWN
from .report import write_text_atomic

TYPES = (1, 2, 3, 4)
TYPES_PNG, GROUPS_PNG = "bench_types.png", "bench_groups.png"
METRICS = (
    ("mean_penetration_mm", "mean penetration (mm)", 1),
    ("max_penetration_mm", "max penetration (mm)", 1),
    ("mean_contact_distance_mm", "contact distance (mm)", 1),
    ("simulated_max_penetration_mm", "sim. penetration (mm)", 1),
    ("mpjpe_mm", "MPJPE (mm)", 1),
    ("object_drift_m", "object drift (m)", 3),
)
"""Row field, column title, digits: every metric is the mean over the cases where the stage measured it."""


def stage_own_pipeline_stages() -> dict[str, list[str]]:
    """The pipeline stages each bench stage adds to the ones before it (whose time it costs)."""
    own, seen = {}, set()
    for name in BENCH_STAGES:
        own[name] = [stage for stage in pipeline_stages([name]) if stage not in seen]
        seen.update(own[name])
    return own


def summarise(cases: Sequence[BenchCase], rows: Sequence[dict[str, Any]], stages: Sequence[str]) -> dict[str, Any]:
    ok = [row for row in rows if row["status"] == "ok"]
    meta = {case.key: case for case in cases}
    own = stage_own_pipeline_stages()
    return {
        "cases": len(rows),
        "completed": len(ok),
        "errors": [{"case": row["case"], "error": row["error"]} for row in rows if row["status"] != "ok"],
        "stages": {name: {**_stage_summary(ok, name), **_throughput(ok, own[name])} for name in stages},
        "not_run": [name for name in BENCH_STAGES if name not in stages],
        "by_category": _grouped(ok, stages, lambda row: meta[row["case"]].category),
        "by_interaction": _grouped(ok, stages, lambda row: meta[row["case"]].interaction),
        "worse": _worse(ok, stages),
        "worker_peak_rss_mb": max((row["peak_rss_mb"] or 0.0 for row in rows), default=None) or None,
    }


def _stage_summary(rows: Sequence[dict[str, Any]], name: str) -> dict[str, Any]:
    stage_rows = [row["stages"][name] for row in rows]
    counts = {str(kind): sum(r["type"] == kind for r in stage_rows) for kind in TYPES}
    summary = {
        "judged": len(stage_rows),
        "counts": counts,
        "shares": {kind: (count / len(stage_rows) if stage_rows else None) for kind, count in counts.items()},
        "means": {key: _mean([r.get(key) for r in stage_rows]) for key, _, _ in METRICS},
    }
    if name == "reverse":
        summary["regenerated"] = sum(bool(r.get("regenerated")) for r in stage_rows)
    return summary


def _throughput(rows: Sequence[dict[str, Any]], own: Sequence[str]) -> dict[str, Any]:
    """One worker runs one case at a time on one core: cases per hour per core from the stage's own seconds."""
    seconds = [sum(row["stage_seconds"].get(stage, 0.0) for stage in own) for row in rows]
    mean = _mean(seconds)
    return {"seconds_per_case": mean, "cases_per_hour_per_core": 3600.0 / mean if mean else None}


def _mean(values: Sequence[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return float(np.mean(present)) if present else None


def _grouped(rows: Sequence[dict[str, Any]], stages: Sequence[str], group_of) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(group_of(row) or "unlabelled", []).append(row)
    return {
        group: {"cases": len(members), "stages": {name: _stage_summary(members, name)["shares"] for name in stages}}
        for group, members in sorted(groups.items())
    }


def _worse(rows: Sequence[dict[str, Any]], stages: Sequence[str]) -> list[dict[str, Any]]:
    """Cases whose verdict dropped (Type 4 best, Type 1 worst) from a stage to the next one run."""
    worse = []
    for row in rows:
        for earlier, later in itertools.pairwise(stages):
            before, after = row["stages"][earlier]["type"], row["stages"][later]["type"]
            if after < before:
                worse.append({"case": row["case"], "from": earlier, "to": later, "before": before, "after": after,
                              "report": row["report"]})  # fmt: skip
    return worse


def write_bench(
    out: Path,
    cases: Sequence[BenchCase],
    rows: Sequence[dict[str, Any]],
    settings: dict[str, Any],
    workers: dict[str, Any],
    reused: int,
) -> dict[str, Any]:
    stages = settings["stages"]
    summary = summarise(cases, rows, stages)
    bench = {
        "settings": settings,
        "workers": workers,
        "reused_rows": reused,
        **summary,
        "figures": {"types": TYPES_PNG, "groups": GROUPS_PNG},
        "rows": list(rows),
    }
    _plot_types(out / TYPES_PNG, summary, stages)
    _plot_groups(out / GROUPS_PNG, summary, stages)
    view = _view(bench, stages)
    markdown = jinja2.Environment(autoescape=False, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    html = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    write_text_atomic(out / "bench.md", markdown.from_string(MARKDOWN).render(**view))
    write_text_atomic(out / "bench.html", html.from_string(HTML).render(**view))
    write_text_atomic(out / BENCH_JSON, json.dumps(bench, indent=2) + "\n")
    return bench


def _cell(value: float | None, digits: int, percent: bool = False) -> str:
    if value is None:
        return "-"
    return f"{100 * value:.{digits}f}%" if percent else f"{value:.{digits}f}"


def _view(bench: dict[str, Any], stages: Sequence[str]) -> dict[str, Any]:
    """Tables as header + rows of strings, the same for both files."""
    stage_table = {
        "header": [
            "stage",
            "judged",
            *(f"Type {k}" for k in TYPES),
            *(title for _, title, _ in METRICS),
            "cases/hour/core",
        ],
        "rows": [
            [
                name,
                str(s["judged"]),
                *(_cell(s["shares"][str(k)], 1, True) for k in TYPES),
                *(_cell(s["means"][key], digits) for key, _, digits in METRICS),
                _cell(s["cases_per_hour_per_core"], 0),
            ]
            for name, s in bench["stages"].items()
        ],
    }

    def grouped(title: str, groups: dict[str, Any]) -> dict[str, Any]:
        return {
            "header": [title, "cases", *(f"Type 4 after {name}" for name in stages)],
            "rows": [
                [group, str(g["cases"]), *(_cell(g["stages"][name]["4"], 1, True) for name in stages)]
                for group, g in groups.items()
            ],
        }

    return {
        "dataset": bench["settings"]["dataset"],
        "overrides": bench["settings"]["overrides"],
        "counts": f"{bench['cases']} cases: {bench['completed']} completed, {len(bench['errors'])} errors"
        f" ({bench['reused_rows']} rows reused from an earlier run)",
        "not_run": bench["not_run"],
        "regenerated": bench["stages"].get("reverse", {}).get("regenerated"),
        "stage_table": stage_table,
        "category_table": grouped("category", bench["by_category"]),
        "interaction_table": grouped("interaction", bench["by_interaction"]),
        "worse": [{**w, "before": f"Type {w['before']}", "after": f"Type {w['after']}"} for w in bench["worse"]],
        "errors": bench["errors"],
        "figures": bench["figures"],
        "peak_rss": _cell(bench["worker_peak_rss_mb"], 0),
    }


def _plot_types(path: Path, summary: dict[str, Any], stages: Sequence[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = {1: "#c0392b", 2: "#e67e22", 3: "#f1c40f", 4: "#27ae60"}
    figure, axis = plt.subplots(figsize=(7, 1.2 + 0.6 * len(stages)))
    for row, name in enumerate(stages):
        left = 0.0
        for kind in TYPES:
            share = summary["stages"][name]["shares"][str(kind)] or 0.0
            axis.barh(row, share, left=left, color=colours[kind], label=f"Type {kind}" if row == 0 else None)
            left += share
    axis.set_yticks(range(len(stages)), stages)
    axis.invert_yaxis()
    axis.set_xlim(0, 1)
    axis.set_xlabel(f"share of the {summary['completed']} completed cases")
    axis.legend(ncol=4, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def _plot_groups(path: Path, summary: dict[str, Any], stages: Sequence[str]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = (("category", summary["by_category"]), ("interaction", summary["by_interaction"]))
    figure, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    width = 0.8 / len(stages)
    for axis, (title, groups) in zip(axes, panels, strict=True):
        names = list(groups)
        for k, stage in enumerate(stages):
            shares = [groups[g]["stages"][stage]["4"] or 0.0 for g in names]
            axis.bar(np.arange(len(names)) + k * width, shares, width, label=stage)
        axis.set_xticks(np.arange(len(names)) + width * (len(stages) - 1) / 2, names)
        axis.set_ylim(0, 1)
        axis.set_title(f"Type 4 share by {title}")
    axes[0].legend()
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
