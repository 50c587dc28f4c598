"""Deployment metadata on an exported policy: what a robot-side runner needs besides the weights.

The environment writes `hsi_policy.json` into its run folder; the exported ONNX file gets every entry
as a `metadata_props` key (JSON-encoded value) and a copy of the JSON beside it, as BeyondMimic's
exporter does for its joint names, gains and default pose.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

POLICY_METADATA = "hsi_policy.json"
"""Written by the environment into its run folder (`cfg.log_dir`)."""


def attach_policy_metadata(onnx_file: str | Path) -> Path | None:
    """Add the run's `hsi_policy.json` to `onnx_file` (in place) and beside it; None if the run has none."""
    import onnx

    onnx_file = Path(onnx_file)
    source = onnx_file.parent.parent / POLICY_METADATA  # <run>/exported/policy.onnx -> <run>/hsi_policy.json
    if not source.is_file():
        return None
    metadata = json.loads(source.read_text(encoding="utf-8"))
    model = onnx.load(str(onnx_file), load_external_data=False)  # weights stay in their `.data` file
    props = {p.key: p for p in model.metadata_props}
    for key, value in metadata.items():
        prop = props.get(key) or model.metadata_props.add()
        prop.key, prop.value = key, json.dumps(value)
    onnx.save(model, str(onnx_file))
    sidecar = onnx_file.with_name(POLICY_METADATA)
    shutil.copyfile(source, sidecar)
    return sidecar
