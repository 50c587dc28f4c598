"""`OUT/report.md` and `OUT/report.html` of a run, both rendered (jinja2) from one view of the stage records.

The verdict table compares the input ("before") with the aligned result and, when the forward pass ran,
with the policy's refined motion; pictures and sub-reports are linked relative to OUT, so the folder can
be moved or shared as a whole.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import jinja2

from .report_templates import HTML_TEMPLATE, MARKDOWN_TEMPLATE

REPORT_MD = "report.md"
REPORT_HTML = "report.html"
BEFORE, AFTER, ALIGN, CONVERTED, FORWARD, REVERSE = "judge_before", "judge", "align", "convert", "forward", "reverse"
ROBOT = "robot"
CAPTURE, CAPTURE_ALIGN = "capture", "capture_align"
JUDGED = (
    (BEFORE, "before"),
    (AFTER, "after alignment"),
    (FORWARD, "after forward pass"),
    (REVERSE, "after reverse pass"),
)
"""The judged stages, in the verdict table's column order (the passes' columns only when they ran)."""
OPTIONAL = (FORWARD, REVERSE)


def type_label(kind: int | None) -> str:
    return "undecided" if kind is None else f"Type {kind}"


def report_view(run: dict[str, Any]) -> dict[str, Any]:
    """Everything the two templates show, as strings: the same numbers in both files."""
    records = {entry["stage"]: entry["record"] for entry in run["stages"]}
    align = records.get(ALIGN)
    judged = [(title, records.get(stage)) for stage, title in JUDGED if stage not in OPTIONAL or stage in records]
    return {
        "case": run["case"],
        "case_dir": run["case_dir"],
        "overrides": run["overrides"],
        "warnings": records.get("validate", {}).get("warnings", []),
        "headline": ". ".join(f"{title.capitalize()}: {_headline(report)}" for title, report in judged),
        "columns": [title for title, _ in judged],
        "stages": [
            {"name": e["stage"], "status": e["status"], "seconds": f"{e['seconds']:.1f}", "finished": e["finished"]}
            for e in run["stages"]
        ],
        "verdict_rows": _verdict_rows([report for _, report in judged]),
        "capture": _capture(records),
        "alignment": None if align is None else _alignment(align),
        "forward": _forward(records[FORWARD]) if FORWARD in records else None,
        "reverse": _reverse(records[REVERSE]) if REVERSE in records else None,
        "robot": _robot(records[ROBOT]) if ROBOT in records else None,
        "pictures": _pictures(records),
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


def _verdict_rows(reports: list[dict[str, Any] | None]) -> list[dict[str, Any]]:
    """Case type, then per object its type, stability and contact, then the human's tracking."""
    rows = [_row("case", *(("-" if r is None else type_label(r["type"])) for r in reports))]
    objects = [_objects(r) for r in reports]
    for name in dict.fromkeys(name for per_report in objects for name in per_report):
        pair = [per_report.get(name) for per_report in objects]
        rows.append(_row(f"{name}: type", *("-" if o is None else type_label(o["type"]) for o in pair)))
        for test, field, label, digits in (
            ("interaction", "contact_ratio", "contact ratio", 2),
            ("gravity", "tilt_deg", "gravity tilt (deg)", 2),
            ("gravity", "displacement_m", "gravity drift (m)", 4),
            ("interaction", "tilt_deg", "interaction tilt (deg)", 2),
            ("interaction", "displacement_m", "interaction drift (m)", 4),
            ("interaction", "max_penetration_mm", "sim. penetration of the skin (mm)", 1),
        ):
            cells = (None if o is None or o[test] is None else o[test][field] for o in pair)
            rows.append(_row(f"{name}: {label}", *(_number(c, digits) for c in cells)))
    humans = [None if r is None else r["human"] for r in reports]
    if any(h is not None for h in humans):
        rows.append(_row("human: MPJPE (mm)", *(_number(_mpjpe(r), 1) for r in reports)))
        rows.append(_row("human: fell", *("-" if h is None else ("yes" if h["fell"] else "no") for h in humans)))
    return rows


def _mpjpe(report: dict[str, Any] | None) -> float | None:
    """The simulated humanoid against the motion the case asked for: the judge's own replay, or for the forward
    pass the policy's rollout against the aligned motion (its refined case replays itself exactly)."""
    if report is None or report["human"] is None:
        return None
    return report["forward"]["mpjpe_mm"] if "forward" in report else report["human"]["mpjpe_mm"]


def _reverse(record: dict[str, Any]) -> list[dict[str, Any]]:
    """Per object: regenerated or why not, the candidates' types and which one was kept."""
    rows = []
    for name, entry in record["reverse"]["objects"].items():
        candidates = entry.get("candidates", [])
        summary = ", ".join(
            f"{c['candidate']}: {type_label(c['verdict']['type'])} (IoU {c['iou']:.2f})" for c in candidates
        )
        outcome = f"regenerated: candidate {entry['kept']} kept" if entry["regenerated"] else entry["reason"]
        rows.append({"object": name, "outcome": outcome, "candidates": summary or "-"})
    return rows


def _robot(record: dict[str, Any]) -> dict[str, Any]:
    """The retarget's metrics per method (scene terms, plain IK) and the judge's verdict on the robot."""
    rows = []
    for key, title in (("scene_terms", "with scene terms"), ("plain_ik", "plain IK (baseline)")):
        if key in record:
            m = record[key]
            rows.append({
                "method": title, "gap": _number(m["contact_gap_mm"]["mean"], 1),
                "objects": _number(m["penetration_objects_mm"]["max"], 1),
                "floor": _number(m["penetration_floor_mm"]["max"], 1),
                "skate": _number(m["foot_skate_mm_per_frame"]["mean"], 2),
                "violations": str(m["joint_limit_violations"]), "fps": _number(m["frames_per_second"], 0),
            })  # fmt: skip
    judge = record.get("judge")
    verdict = None if judge is None else f"{type_label(judge['type'])} ({_object_types(judge['objects'])})"
    return {"name": record["robot"], "rows": rows, "verdict": verdict}


def _object_types(types: dict[str, int]) -> str:
    return ", ".join(f"{name} {type_label(kind)}" for name, kind in types.items())


def _forward(record: dict[str, Any]) -> dict[str, Any]:
    forward, training = record["forward"], record["forward"]["training"]
    drift = [
        {"object": name, "displacement": _number(d["displacement_m"], 4), "rotation": _number(d["rotation_deg"], 2)}
        for name, d in forward["object_drift"].items()
    ]
    return {
        "policy": forward["policy"],
        "task": forward["task"],
        "trained": None
        if training is None
        else {
            "iterations": training["iterations"],
            "seconds": f"{training['seconds']:.0f}",
            "reward_first": _number(training["mean_reward_first"], 3),
            "reward_last": _number(training["mean_reward_last"], 3),
        },
        "mpjpe": _number(forward["mpjpe_mm"], 1),
        "drift": drift,
    }


def _capture(records: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
    """The capture stages: how the world was found, where the objects went, how well the person fits the views."""
    capture = records.get(CAPTURE)
    if capture is None:
        return None
    world, scale = capture["world"], capture["world"]["scale"]
    rows = [_row("floor plane fit: RMS (mm)", _number(1000.0 * world["floor_rms_m"], 1))]
    if scale is not None:
        rows.append(_row(f"metric scale from the person's bones ({scale['method']}): m per unit",
                         f"{scale['metres_per_unit']:.4g} (spread {100.0 * scale['spread']:.1f}%)"))  # fmt: skip
    rows += [_row(f"{obj['name']}: placed, RMS to the scene points (mm)", _number(1000.0 * obj["residual_m"], 1))
             for obj in capture["objects"]]  # fmt: skip
    views = []
    aligned = records.get(CAPTURE_ALIGN)
    if aligned is not None:
        rows.append(_row("capture alignment: scale refined by", f"{aligned['scale']:.4f}"))
        views = [
            {
                "person": person,
                "camera": camera,
                "before": _number(errors["before"], 2),
                "after": _number(errors["after"], 2),
            }
            for person, cameras in aligned["reprojection_px"].items()
            for camera, errors in cameras.items()
        ]
    return {"person": capture["person"], "cameras": ", ".join(capture["cameras"]), "rows": rows, "views": views}


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


def _row(label: str, *cells: str) -> dict[str, Any]:
    return {"label": label, "cells": list(cells)}


def _pictures(records: dict[str, dict[str, Any]]) -> list[dict[str, str]]:
    pictures = []
    if CAPTURE in records:
        pictures.append({"title": "Capture: the world found", "path": f"{CAPTURE}/{records[CAPTURE]['picture']}"})
    if CAPTURE_ALIGN in records:
        path = f"{CAPTURE_ALIGN}/{records[CAPTURE_ALIGN]['picture']}"
        pictures.append({"title": "Capture alignment: keypoints detected / projected", "path": path})
    align = records.get(ALIGN)
    if align is not None:
        pictures.append({"title": "Alignment: before / after", "path": f"{ALIGN}/{align['files']['picture']}"})
        pictures.append({"title": "Alignment: losses", "path": f"{ALIGN}/{align['files']['losses']}"})
    training = records[FORWARD]["forward"]["training"] if FORWARD in records else None
    if training is not None:
        pictures.append({"title": "Forward pass: training curve", "path": f"{FORWARD}/{training['curve']}"})
    reverse = records.get(REVERSE)
    if reverse is not None and reverse["reverse"]["picture"] is not None:
        pictures.append({"title": "Reverse pass: candidates", "path": f"{REVERSE}/{reverse['reverse']['picture']}"})
    if ROBOT in records:
        pictures.append({"title": "Robot: human and robot", "path": f"{ROBOT}/{records[ROBOT]['files']['picture']}"})
    for stage, when in JUDGED:
        report = records.get(stage)
        if report is None:
            continue
        folder = _judge_folder(stage, records)
        for plot in report["files"]["plots"]:
            pictures.append({"title": f"Judge {when}: {Path(plot).stem.replace('_', ' ')}", "path": f"{folder}/{plot}"})
    return pictures


def _judge_folder(stage: str, records: dict[str, dict[str, Any]]) -> str:
    """Where a judged stage's judge wrote, relative to OUT (the passes judge in a sub-folder; a reverse pass that
    regenerated nothing reports the aligned case's judge)."""
    if stage == REVERSE:
        folder = records[REVERSE]["reverse"]["judge_folder"]
        return AFTER if folder is None else f"{REVERSE}/{folder}"
    return f"{stage}/judge" if stage == FORWARD else stage


def _links(records: dict[str, dict[str, Any]]) -> list[dict[str, str]]:
    links = []
    for stage, when in JUDGED:
        if stage in records:
            folder, name = _judge_folder(stage, records), f"judge report {when}"
            links.append({"title": name, "path": f"{folder}/report.md"})
            links.append(
                {"title": f"{name}: recording (Isaac Sim)", "path": f"{folder}/{records[stage]['files']['recording']}"}
            )
    if CONVERTED in records:
        links.append({"title": "aligned scene (USD)", "path": f"{CONVERTED}/{records[CONVERTED]['scene_usd']}"})
        links.append({"title": "aligned scene (MJCF)", "path": f"{CONVERTED}/{records[CONVERTED]['scene_mjcf']}"})
    if ALIGN in records:
        links.append({"title": "aligned case", "path": f"{ALIGN}/hsi.json"})
    if ROBOT in records:
        files = records[ROBOT]["files"]
        links.append({"title": "robot motion (BeyondMimic npz)", "path": f"{ROBOT}/{files['motion']}"})
        links.append({"title": "robot motion beside the human (USD)", "path": f"{ROBOT}/{files['usd']}"})
        if "judge" in records[ROBOT]:
            links.append({"title": "judge report on the robot", "path": f"{ROBOT}/{records[ROBOT]['judge']['report']}"})
    if FORWARD in records:
        forward = records[FORWARD]["forward"]
        refined = f"{FORWARD}/{forward['refined_case']}/hsi.json"
        links.append({"title": "refined case (the policy's motion)", "path": refined})
        if not Path(forward["policy"]).is_absolute():
            links.append({"title": "policy (TorchScript; ONNX beside it)", "path": f"{FORWARD}/{forward['policy']}"})
    if REVERSE in records and records[REVERSE]["reverse"]["regenerated"]:
        links.append({"title": "refined case (regenerated objects)", "path": f"{REVERSE}/refined_case/hsi.json"})
    links.append({"title": "machine-readable summary", "path": "run.json"})
    return links
