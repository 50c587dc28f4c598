"""Run one function over many tasks: in worker processes on this machine, or on a Ray cluster.

One runner for the judge, DSRO labelling and the dataset runner. Results come back as tasks finish, so callers
write rows incrementally and a resumed run skips what is done. Each task runs in isolation: an exception, a
hang (time limit) or a dead worker (segfault, OOM kill) costs that task an error row, not the run. A dead worker
is retried on a fresh one, since the cause is usually the machine (memory), not the task; an exception or a
time limit is not, since it would happen again.

Workers are spawned, never forked: a forked child inherits Warp's and MuJoCo's threads mid-flight and can
deadlock. The local pool is pebble's (per-task time limits, worker-death detection); the cluster is Ray's,
whose own task retries replace worker deaths.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import sys
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from tqdm import tqdm

LOCAL_RAY = "local"
LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class TaskResult:
    """The outcome of one task."""

    key: str
    value: Any  # what the function returned; None on error
    error: (
        str | None
    )  # None on success; else "timed out after 600 s", "worker died (signal 9) 3 times", "ValueError: .."
    seconds: float  # wall time of the successful (or last) attempt
    attempts: int
    peak_rss_mb: float | None  # peak resident memory of the process that ran it (over its life so far), when known


def run_tasks(
    function: Callable[[Any], Any],
    tasks: Sequence[tuple[str, Any]],
    *,
    jobs: int = 1,
    ray_address: str | None = None,
    timeout_s: float | None = None,
    retries: int = 2,
    description: str | None = None,
    progress: bool | None = None,
) -> Iterator[TaskResult]:
    """Results as tasks finish (completion order), one per key.

    `function` is a top-level importable callable (it crosses to workers by reference); `tasks` are
    (unique key, argument) pairs. `ray_address` None runs `jobs` spawned processes here; with `jobs` 1 and no
    time limit the tasks run in this process instead (no start-up cost, no isolation: a segfault ends the
    caller). `ray_address` "local" starts a Ray head on loopback with `jobs` CPUs for the run; "auto",
    "HOST:PORT" or "ray://..." join an existing cluster. `progress` None shows the bar when stderr is a terminal.
    """
    keys = [key for key, _ in tasks]
    if len(set(keys)) != len(keys):
        raise ValueError("run_tasks: task keys must be unique")
    if ray_address is not None:
        results = _run_ray(function, tasks, jobs, ray_address, timeout_s, retries)
    elif jobs <= 1 and timeout_s is None:
        results = (_result(key, 1, _measured(function, argument)) for key, argument in tasks)
    else:
        results = _run_local(function, tasks, max(jobs, 1), timeout_s, retries)
    with tqdm(
        total=len(tasks), desc=description, unit="task", disable=None if progress is None else not progress
    ) as bar:
        for result in results:
            bar.update()
            yield result


def _measured(function: Callable[[Any], Any], argument: Any) -> tuple[Any, str | None, float, float]:
    """(value, error, seconds, peak RSS in MB), computed in the worker: exceptions come back as text, since
    not every exception pickles."""
    start = time.perf_counter()
    try:
        value, error = function(argument), None
    except Exception as err:
        value, error = None, f"{type(err).__name__}: {err}"
    return value, error, time.perf_counter() - start, _peak_rss_mb()


def _peak_rss_mb() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux, bytes on macOS
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


def _result(key: str, attempts: int, measured: tuple[Any, str | None, float, float]) -> TaskResult:
    value, error, seconds, peak = measured
    return TaskResult(key, value, error, seconds, attempts, peak)


def _died(attempts: int, cause: str) -> str:
    return f"worker died ({cause}) {attempts} time{'s' if attempts > 1 else ''}"


def _run_local(
    function: Callable[[Any], Any],
    tasks: Sequence[tuple[str, Any]],
    jobs: int,
    timeout_s: float | None,
    retries: int,
) -> Iterator[TaskResult]:
    """At most `jobs` tasks in flight, so a task starts when it is scheduled; a dead worker's task goes first."""
    from pebble import ProcessExpired, ProcessPool

    pending = deque((key, argument, 1) for key, argument in tasks)
    running: dict[Any, tuple[str, Any, int, float]] = {}
    jobs = min(jobs, len(tasks)) or 1  # no idle workers to spawn
    pool = ProcessPool(max_workers=jobs, context=multiprocessing.get_context("spawn"))
    try:
        while pending or running:
            while pending and len(running) < jobs:
                key, argument, attempt = pending.popleft()
                future = pool.schedule(_measured, args=(function, argument), timeout=timeout_s)
                running[future] = (key, argument, attempt, time.perf_counter())
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                key, argument, attempt, start = running.pop(future)
                try:
                    result = _result(key, attempt, future.result())
                except TimeoutError:
                    result = TaskResult(key, None, f"timed out after {timeout_s:g} s", timeout_s, attempt, None)
                except ProcessExpired as err:
                    if attempt <= retries:
                        pending.appendleft((key, argument, attempt + 1))
                        continue
                    code = err.exitcode
                    cause = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
                    result = TaskResult(key, None, _died(attempt, cause), time.perf_counter() - start, attempt, None)
                except Exception as err:  # the result did not come back (e.g. it does not pickle)
                    error = f"{type(err).__name__}: {err}"
                    result = TaskResult(key, None, error, time.perf_counter() - start, attempt, None)
                yield result
    finally:
        pool.stop()
        pool.join()


def _measured_on_ray(function: Callable[[Any], Any], argument: Any) -> tuple[tuple[Any, str | None, float, float], int]:
    """`_measured` plus the attempt number, which Ray knows but exposes only on its core worker (pinned version)."""
    import ray

    attempt = ray._private.worker.global_worker.core_worker.get_current_task_attempt_number()
    return _measured(function, argument), attempt + 1


def _run_ray(
    function: Callable[[Any], Any],
    tasks: Sequence[tuple[str, Any]],
    jobs: int,
    address: str,
    timeout_s: float | None,
    retries: int,
) -> Iterator[TaskResult]:
    """At most (cluster CPUs) tasks in flight, so a task starts when it is submitted and its time limit counts
    from there (a retry by Ray after a dead worker shares it); one past its limit is cancelled by force."""
    with ray_cluster(address, jobs):
        import ray
        from ray.exceptions import NodeDiedError, OutOfMemoryError, RayError, WorkerCrashedError

        remote = ray.remote(num_cpus=1, max_retries=retries)(_measured_on_ray)
        slots = max(1, int(ray.cluster_resources().get("CPU", 1)))
        function_ref = ray.put(function)
        pending = deque(tasks)
        running: dict[Any, tuple[str, float]] = {}
        while pending or running:
            while pending and len(running) < slots:
                key, argument = pending.popleft()
                running[remote.remote(function_ref, argument)] = (key, time.perf_counter())
            wait_s = None
            if timeout_s is not None:
                wait_s = max(0.0, min(start for _, start in running.values()) + timeout_s - time.perf_counter())
            ready, _ = ray.wait(list(running), num_returns=1, timeout=wait_s)
            for ref in ready:
                key, start = running.pop(ref)
                try:
                    measured, attempt = ray.get(ref)
                    result = _result(key, attempt, measured)
                except (WorkerCrashedError, OutOfMemoryError, NodeDiedError) as err:
                    error = _died(retries + 1, type(err).__name__)
                    result = TaskResult(key, None, error, time.perf_counter() - start, retries + 1, None)
                except RayError as err:  # the result did not come back (e.g. it does not pickle)
                    error = f"{type(err).__name__}: {str(err).splitlines()[0]}"
                    result = TaskResult(key, None, error, time.perf_counter() - start, 1, None)
                yield result
            now = time.perf_counter()
            for ref, (key, start) in list(running.items()):
                if timeout_s is not None and now - start >= timeout_s:
                    ray.cancel(ref, force=True)
                    del running[ref]
                    yield TaskResult(key, None, f"timed out after {timeout_s:g} s", now - start, 1, None)


@contextmanager
def ray_cluster(address: str = LOCAL_RAY, jobs: int = 1) -> Iterator[None]:
    """Connected to Ray for the block: several runs can share one head. Already connected: used as is; only
    what this call started is shut down.

    `local` starts a head of our own with `jobs` CPUs, bound to loopback only, whose workers see this process's
    import path (as spawned ones do). Ray turns a 127.0.0.1 node address into the machine's routable one unless
    its single-machine mode is on, which it reads once, when `ray` is imported: so a local head needs `ray`
    not imported before. Anything else (`auto`, `HOST:PORT`, `ray://...`) joins an existing cluster, where
    every node has the same install."""
    os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
    if address == LOCAL_RAY and "ray" not in sys.modules:
        os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"  # single-machine mode: every server on loopback
    import ray

    if ray.is_initialized():
        yield
        return
    if address == LOCAL_RAY:
        ray.init(
            num_cpus=max(jobs, 1),
            include_dashboard=False,
            _node_ip_address=LOOPBACK,
            logging_level="warning",
            runtime_env={"env_vars": {"PYTHONPATH": os.pathsep.join(path for path in sys.path if path)}},
        )
        if ray.util.get_node_ip_address() != LOOPBACK:
            ray.shutdown()
            raise RuntimeError("a local Ray head would listen beyond loopback: `ray` was imported before this call")
    else:
        ray.init(address=address, logging_level="warning")
    try:
        yield
    finally:
        ray.shutdown()
