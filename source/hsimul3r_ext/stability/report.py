"""report.json (the contract other stages read) and report.md (what a person reads)."""

from __future__ import annotations

from typing import Any

TYPE_MEANING = {
    1: "Type 1: falls over under gravity alone",
    2: "Type 2: fails to stay stable during the interaction",
    3: "Type 3: stable but without meaningful interaction",
    4: "Type 4: stable interaction",
    None: "undecided (gravity test only)",
}
SKIN = "skin"
RIGID_PIECES = "rigid body pieces"
COLLIDERS = "colliders"
PENETRATION_SURFACE = {
    COLLIDERS: "the robot's colliders (convex pieces and primitives of each link, what the simulator touches with)",
    SKIN: "the human's skin (the body model's surface posed by linear blend skinning from the simulated bodies)",
    RIGID_PIECES: "the humanoid's rigid per-body visual pieces, which overstate it where joints bend (the "
    "converted folder has no humanoid_skin.npz: convert the case again to measure the skin)",
}


def report_markdown(report: dict[str, Any]) -> str:
    lines = [f"# Judge report: {report['case']}", "", f"**Verdict: {TYPE_MEANING[report['type']]}**", ""]
    lines += [
        f"Mode: `{report['mode']}`, backend `{report['thresholds']['backend']}`, "
        f"step {report['thresholds']['sim_dt']:.5f} s. Gravity test {report['thresholds']['gravity']['seconds']:g} s; "
        f"stable = tilt < {report['thresholds']['stable']['max_tilt_deg']:g} deg, drift < "
        f"{report['thresholds']['stable']['max_displacement_m']:g} m, at rest at the end.",
        "",
    ]
    lines += [
        "| object | type | gravity tilt (deg) | gravity drift (m) | interaction tilt (deg) | "
        "interaction drift (m) | contact ratio | max penetration (mm) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for obj in report["objects"]:
        g, i = obj["gravity"], obj["interaction"]
        cells = [obj["name"], str(obj["type"]), f"{g['tilt_deg']:.2f}", f"{g['displacement_m']:.4f}"]
        cells += (
            ["-"] * 4
            if i is None
            else [
                f"{i['tilt_deg']:.2f}",
                f"{i['displacement_m']:.4f}",
                f"{i['contact_ratio']:.2f}",
                f"{i['max_penetration_mm']:.1f}",
            ]
        )
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for obj in report["objects"]:
        for test in ("gravity", "interaction"):
            result = obj[test]
            if result and result["reasons"]:
                lines.append(f"- {obj['name']} ({test}): {'; '.join(result['reasons'])}")
            if test == "gravity" and result["ground_shift_m"]:
                lines.append(f"- {obj['name']}: lowest point moved {result['ground_shift_m']:+.3f} m onto the ground")
    human = report["human"]
    if human is not None:
        lines += [
            "",
            f"Human: global MPJPE {human['mpjpe_mm']:.1f} mm, fell: {human['fell']}, "
            f"assist effort {human['assist_effort']:.3f} ({human['assist_effort_unit']}).",
            f"Penetration: the deepest vertex of {PENETRATION_SURFACE[human['penetration_surface']]} inside the "
            "object's visual mesh.",
        ]
    lines += [
        "",
        "Plots: " + ", ".join(f"[{p}]({p})" for p in report["files"]["plots"]),
        f"Recording (open in Isaac Sim and press play): [{report['files']['recording']}]"
        f"({report['files']['recording']})",
        "",
    ]
    return "\n".join(lines)


def summary_markdown(rows: list[dict[str, Any]]) -> str:
    """The table of a batch: one row per case and the share of each type."""
    lines = ["# Judge summary", "", "| case | type | report |", "|---|---|---|"]
    for row in rows:
        lines.append(
            f"| {row['case']} | {row['type'] if row['error'] is None else 'error: ' + row['error']} | "
            f"{row['report'] or '-'} |"
        )
    lines += ["", "| type | share |", "|---|---|"]
    for kind, share in type_shares(rows).items():
        lines.append(f"| {kind} | {share:.1%} |")
    return "\n".join(lines) + "\n"


def type_shares(rows: list[dict[str, Any]]) -> dict[str, float]:
    total = max(len(rows), 1)
    keys = [str(k) for k in (1, 2, 3, 4)] + ["undecided", "error"]
    counts = dict.fromkeys(keys, 0)
    for row in rows:
        key = "error" if row["error"] is not None else ("undecided" if row["type"] is None else str(row["type"]))
        counts[key] += 1
    return {k: v / total for k, v in counts.items()}
