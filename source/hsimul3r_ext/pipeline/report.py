"""`OUT/report.md` and `OUT/report.html` of a run, both rendered (jinja2) from one view of the stage records.

The tables compare the input ("before") with the aligned result ("after"); pictures and sub-reports are
linked relative to OUT, so the folder can be moved or shared as a whole.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import jinja2

from .report_templates import HTML_TEMPLATE, MARKDOWN_TEMPLATE

REPORT_MD = "report.md"
REPORT_HTML = "report.html"
BEFORE, AFTER, ALIGN, CONVERTED = "judge_before", "judge", "align", "convert"


def type_label(kind: int | None) -> str:
    return "undecided" if kind is None else f"Type {kind}"


def report_view(run: dict[str, Any]) -> dict[str, Any]:
    """Everything the two templates show, as strings: the same numbers in both files."""
    records = {entry["stage"]: entry["record"] for entry in run["stages"]}
    before, after, align = records.get(BEFORE), records.get(AFTER), records.get(ALIGN)
    return {
        "case": run["case"],
        "case_dir": run["case_dir"],
        "overrides": run["overrides"],
        "headline": {name: _headline(report) for name, report in (("before", before), ("after", after))},
        "stages": [
            {"name": e["stage"], "status": e["status"], "seconds": f"{e['seconds']:.1f}", "finished": e["finished"]}
            for e in run["stages"]
        ],
        "verdict_rows": _verdict_rows(before, after),
        "alignment": None if align is None else _alignment(align),
        "pictures": _pictures(before, after, align),
        "links": _links(records),
    }


def write_report(out: Path, run: dict[str, Any]) -> Path:
    """Write both files (each atomically) and return the HTML one."""
    view = report_view(run)
    markdown = jinja2.Environment(autoescape=False, keep_trailing_newline=True, trim_blocks=True, lstrip_blocks=True)
    html = jinja2.Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    write_text_atomic(out / REPORT_MD, markdown.from_string(MARKDOWN_TEMPLATE).render(**view))
    write_text_atomic(out / REPORT_HTML, html.from_string(HTML_TEMPLATE).render(**view))
    return out / REPORT_HTML


def write_text_atomic(path: Path, text: str) -> None:
    """Readers never see half a file: write beside it, then rename."""
    partial = path.with_name(f".{path.name}.partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


def _headline(report: dict[str, Any] | None) -> str:
    return "not judged" if report is None else report["verdict"]


def _number(value: float | None, digits: int) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def _objects(report: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    return {} if report is None else {obj["name"]: obj for obj in report["objects"]}


def _verdict_rows(before: dict[str, Any] | None, after: dict[str, Any] | None) -> list[dict[str, str]]:
    """Case type, then per object its type, stability and contact, then the human's tracking."""
    rows = [_row("case", *(("-" if r is None else type_label(r["type"])) for r in (before, after)))]
    objects_before, objects_after = _objects(before), _objects(after)
    for name in dict.fromkeys([*objects_before, *objects_after]):
        pair = (objects_before.get(name), objects_after.get(name))
        rows.append(_row(f"{name}: type", *("-" if o is None else type_label(o["type"]) for o in pair)))
        for test, field, label, digits in (
            ("interaction", "contact_ratio", "contact ratio", 2),
            ("gravity", "tilt_deg", "gravity tilt (deg)", 2),
            ("gravity", "displacement_m", "gravity drift (m)", 4),
            ("interaction", "tilt_deg", "interaction tilt (deg)", 2),
            ("interaction", "displacement_m", "interaction drift (m)", 4),
            ("interaction", "max_penetration_mm", "sim. penetration, rigid body pieces (mm)", 1),
        ):
            cells = (None if o is None or o[test] is None else o[test][field] for o in pair)
            rows.append(_row(f"{name}: {label}", *(_number(c, digits) for c in cells)))
    humans = [None if r is None else r["human"] for r in (before, after)]
    if any(h is not None for h in humans):
        rows.append(_row("human: MPJPE (mm)", *(_number(None if h is None else h["mpjpe_mm"], 1) for h in humans)))
        rows.append(_row("human: fell", *("-" if h is None else ("yes" if h["fell"] else "no") for h in humans)))
    return rows


def _alignment(align: dict[str, Any]) -> dict[str, Any]:
    before, after = align["metrics"]["before"], align["metrics"]["after"]
    rows = [
        _row(label, _number(before[key], 1), _number(after[key], 1))
        for key, label in (
            ("mean_penetration_mm", "mean penetration (mm)"),
            ("max_penetration_mm", "max penetration (mm)"),
            ("mean_contact_distance_mm", "mean contact distance (mm)"),
            ("feet_below_floor_mm", "feet below floor (mm)"),
        )
    ]
    for name, obj in before["objects"].items():
        lowest_after = after["objects"].get(name, {}).get("lowest_point_mm")
        rows.append(_row(f"{name}: lowest point (mm)", _number(obj["lowest_point_mm"], 1), _number(lowest_after, 1)))
    moved = align["moved"]
    human = moved["human"]["translation_m"]
    moves = [{"what": "human", "translation": _millimetres(human), "rotation": "-", "scale": "-"}]
    moves += [
        {
            "what": name,
            "translation": _millimetres(move["translation_m"]),
            "rotation": _number(move["rotation_deg"], 2),
            "scale": _number(move["scale"], 4),
        }
        for name, move in moved["objects"].items()
    ]
    return {"rows": rows, "moves": moves, "contact_source": align["contact_source"], "seconds": align["seconds"]}


def _millimetres(vector_m: list[float]) -> str:
    return "(" + ", ".join(f"{1000.0 * v:+.1f}" for v in vector_m) + ")"


def _row(label: str, before: str, after: str) -> dict[str, str]:
    return {"label": label, "before": before, "after": after}


def _pictures(
    before: dict[str, Any] | None, after: dict[str, Any] | None, align: dict[str, Any] | None
) -> list[dict[str, str]]:
    pictures = []
    if align is not None:
        pictures.append({"title": "Alignment: before / after", "path": f"{ALIGN}/{align['files']['picture']}"})
        pictures.append({"title": "Alignment: losses", "path": f"{ALIGN}/{align['files']['losses']}"})
    for stage, report, when in ((BEFORE, before, "before"), (AFTER, after, "after")):
        for plot in [] if report is None else report["files"]["plots"]:
            pictures.append({"title": f"Judge {when}: {Path(plot).stem.replace('_', ' ')}", "path": f"{stage}/{plot}"})
    return pictures


def _links(records: dict[str, dict[str, Any]]) -> list[dict[str, str]]:
    links = []
    for stage, name in ((BEFORE, "judge report before"), (AFTER, "judge report after")):
        if stage in records:
            links.append({"title": name, "path": f"{stage}/report.md"})
            links.append(
                {"title": f"{name}: recording (Isaac Sim)", "path": f"{stage}/{records[stage]['files']['recording']}"}
            )
    if CONVERTED in records:
        links.append({"title": "aligned scene (USD)", "path": f"{CONVERTED}/{records[CONVERTED]['scene_usd']}"})
        links.append({"title": "aligned scene (MJCF)", "path": f"{CONVERTED}/{records[CONVERTED]['scene_mjcf']}"})
    if ALIGN in records:
        links.append({"title": "aligned case", "path": f"{ALIGN}/hsi.json"})
    links.append({"title": "machine-readable summary", "path": "run.json"})
    return links
