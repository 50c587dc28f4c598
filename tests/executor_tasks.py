"""Small task functions for tests/test_executors.py: a module of their own, importable by spawned and Ray workers."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path


def square(x: int) -> int:
    return x * x


def square_unless_three(x: int) -> int:
    if x == 3:
        raise ValueError("three is refused")
    return x * x


def process_id(_: object) -> int:
    return os.getpid()


def sleep_then_return(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


def wait_to_be_killed_once(folder: str) -> int:
    """First attempt: write this process's PID to `folder/pid` and sleep (the test kills it); later ones return."""
    marker = Path(folder) / "pid"
    if not marker.exists():
        partial = marker.with_suffix(".partial")
        partial.write_text(str(os.getpid()))
        partial.replace(marker)
        time.sleep(60)
    return os.getpid()


def allocate_mb(megabytes: int) -> int:
    """Touch `megabytes` of memory, so the worker's peak RSS is at least that."""
    block = bytearray(megabytes * 2**20)
    block[::4096] = b"x" * len(block[::4096])
    return len(block)


def kill_own_process(_: object) -> None:
    """A worker that dies every time, as a segfault or the OOM killer would end it."""
    os.kill(os.getpid(), signal.SIGKILL)
