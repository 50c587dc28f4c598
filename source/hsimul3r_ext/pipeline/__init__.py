"""`hsimul3r run`: validate -> judge the input -> align -> convert -> judge the result -> report.

Each stage writes `OUT/<stage>/` atomically with a `stage.json` (fingerprint, seconds, finished time,
record); a re-run reuses every stage whose fingerprint is unchanged. Later passes join through `register`.
`policy_judge.py` is `hsimul3r judge --mode policy`: the policy's rollout, then the judge of the refined case.
"""

from .job import run_job
from .runner import run_pipeline
from .stages import STAGES, RunOptions, Stage, StageInputs, register

__all__ = ["STAGES", "RunOptions", "Stage", "StageInputs", "register", "run_job", "run_pipeline"]
