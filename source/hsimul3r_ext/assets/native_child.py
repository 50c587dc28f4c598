"""Run a native-code step in a child process, so that an abort, a crash or a hang costs a retry, not the job.

CoACD, MeshFix and manifold3d can fail inside C++ (an assertion calls abort()), which no `except` catches.
Children are forked from a helper process (a fresh interpreter that imported the geometry modules once), not
from ours, which may run Warp or MuJoCo threads (forking those can deadlock); a child then starts in a few
milliseconds instead of the ~1.5 s a new interpreter needs for those imports. multiprocessing's fork server
would do the same, but it re-runs the caller's main script in every child (Python 3.11): slow for scripts
that import much, and fatal for scripts without an `if __name__ == "__main__"` guard.
"""

from __future__ import annotations

import atexit
import importlib
import os
import pickle
import select
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, NoReturn

# Imported by the helper once; every child then starts with them loaded.
_PRELOAD = ("hsimul3r_ext.assets", "coacd")
_BOOT = (
    "import pickle, sys; sys.path[:] = pickle.load(sys.stdin.buffer); "
    "from hsimul3r_ext.assets.native_child import serve; serve()"
)
# Signals by which the step itself ended (an assertion, a crash): it would end the same way again.
_OWN_SIGNALS = frozenset({signal.SIGABRT, signal.SIGSEGV, signal.SIGBUS, signal.SIGFPE, signal.SIGILL})


@dataclass
class ChildResult:
    """What became of one step run in a child."""

    ok: bool
    value: Any  # the step's return value (None unless ok)
    reason: str | None  # why not ok, e.g. "killed by SIGABRT (...: Assertion `d0 != d2' failed.)"
    seconds: float
    repeatable: bool = False  # not ok in a way the same input would repeat: an exception or the step's own crash


def run_in_child(step: Callable[..., Any], *args: Any, time_limit_s: float) -> ChildResult:
    """`step(*args)` in a child process, killed after `time_limit_s` seconds.

    `step` is a function of an importable module (the child never runs the main script) or a
    `functools.partial` of one; it, its arguments and its result must pickle (arrays, dataclasses). The
    child's stdout and stderr go to a log whose last line explains a failure.
    """
    call = pickle.dumps((step, args), protocol=pickle.HIGHEST_PROTOCOL)
    start = time.perf_counter()
    with _LOCK, tempfile.TemporaryDirectory(prefix="hsimul3r-native-") as folder:
        request = {"sys_path": list(sys.path), "call": call, "folder": folder, "time_limit_s": time_limit_s}
        try:
            ended = _helper().ask(request)
        except BaseException as err:  # the helper died or we were interrupted: it is out of step, start anew
            _stop_helper()
            if not isinstance(err, (OSError, EOFError)):
                raise
            return ChildResult(False, None, f"the helper process failed ({err})", time.perf_counter() - start)
        seconds = time.perf_counter() - start
        if ended["timed_out"]:
            return ChildResult(False, None, f"timed out after {time_limit_s:g} s", seconds)
        answer_file = Path(folder) / "answer"
        if answer_file.exists():
            kind, payload = pickle.loads(answer_file.read_bytes())
            if kind == "ok":
                return ChildResult(True, payload, None, seconds)
            return ChildResult(False, None, payload, seconds, repeatable=True)
        reason, repeatable = _death(os.waitstatus_to_exitcode(ended["status"]), _last_line(Path(folder) / "log"))
        return ChildResult(False, None, reason, seconds, repeatable)


class _Helper:
    """The helper process, in its own session so that a Ctrl+C reaches only us (we stop it then)."""

    def __init__(self) -> None:
        self.owner = os.getpid()  # a forked copy of this process must not share the pipes
        self.process = subprocess.Popen(
            [sys.executable, "-c", _BOOT], stdin=subprocess.PIPE, stdout=subprocess.PIPE, start_new_session=True
        )
        assert self.process.stdin is not None and self.process.stdout is not None
        self.requests, self.replies = self.process.stdin, self.process.stdout
        pickle.dump(list(sys.path), self.requests)
        self.requests.flush()

    def ask(self, request: dict[str, Any]) -> dict[str, Any]:
        _send(self.requests, request)
        reply = _receive(self.replies)
        if reply is None:
            raise EOFError(f"it exited with code {self.process.wait()}")
        return reply

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)  # with a child it may be running
        self.process.wait()
        self.requests.close()
        self.replies.close()


_LOCK = threading.Lock()
_HELPER: _Helper | None = None


def _helper() -> _Helper:
    global _HELPER
    if _HELPER is None or _HELPER.owner != os.getpid() or _HELPER.process.poll() is not None:
        _HELPER = _Helper()
    return _HELPER


@atexit.register
def _stop_helper() -> None:
    global _HELPER
    if _HELPER is not None and _HELPER.owner == os.getpid():
        _HELPER.stop()
    _HELPER = None


def serve() -> None:
    """The helper's loop: fork a child per request, wait for it (killing it at the time limit), say how it ended."""
    for module in _PRELOAD:
        with suppress(ImportError):  # a step that needs a missing module fails in its child, and says so
            importlib.import_module(module)
    caller = os.getppid()
    with suppress(BrokenPipeError):  # the caller is gone
        while (request := _receive(sys.stdin.buffer)) is not None:
            ended, holder = os.pipe()  # the child holds the write end: it reads as closed when the child ends
            pid = os.fork()
            if pid == 0:
                os.close(ended)
                _child(request)
            os.close(holder)
            _send(sys.stdout.buffer, _reap(pid, ended, request["time_limit_s"], caller))
            os.close(ended)


def _reap(pid: int, ended: int, limit_s: float, caller: int) -> dict[str, Any]:
    """Wait for the child; kill it at the time limit, or when the caller is gone (checked every second)."""
    deadline = time.monotonic() + limit_s
    while not select.select([ended], [], [], min(1.0, max(0.0, deadline - time.monotonic())))[0]:
        if time.monotonic() >= deadline or os.getppid() != caller:
            os.kill(pid, signal.SIGKILL)  # not reaped yet, so the pid is still this child's
            return {"status": os.waitpid(pid, 0)[1], "timed_out": True}
    return {"status": os.waitpid(pid, 0)[1], "timed_out": False}


def _child(request: dict[str, Any]) -> NoReturn:
    """Run the step and write its answer; never returns (os._exit skips the helper's cleanup)."""
    code = 0
    try:
        folder = Path(request["folder"])
        log = os.open(folder / "log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.dup2(log, 1)  # native libraries write to the file descriptors, not to sys.stdout
        os.dup2(log, 2)
        os.dup2(os.open(os.devnull, os.O_RDONLY), 0)  # and the helper's pipes stay the helper's
        sys.path[:] = request["sys_path"]
        try:
            step, args = pickle.loads(request["call"])
            answer: tuple[str, Any] = ("ok", step(*args))
        except Exception as err:  # the step's own Python error is an answer, like a result
            answer = ("raised", f"{type(err).__name__}: {err}")
        try:
            data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
        except Exception as err:
            data = pickle.dumps(("raised", f"the result cannot be sent back ({type(err).__name__}: {err})"))
        (folder / "answer.partial").write_bytes(data)
        os.replace(folder / "answer.partial", folder / "answer")
    except BaseException:
        traceback.print_exc()
        code = 1
    finally:
        os._exit(code)


def _send(stream: IO[bytes], message: dict[str, Any]) -> None:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(struct.pack("<Q", len(data)) + data)
    stream.flush()


def _receive(stream: IO[bytes]) -> dict[str, Any] | None:
    """The next message, or None when the other side closed the pipe."""
    header = stream.read(8)
    if len(header) < 8:
        return None
    (size,) = struct.unpack("<Q", header)
    return pickle.loads(stream.read(size))


def _death(exitcode: int, last_line: str) -> tuple[str, bool]:
    """Why the child ended without answering, and whether the step itself caused it."""
    detail = f" ({last_line})" if last_line else ""
    if exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        return f"killed by {name}{detail}", -exitcode in _OWN_SIGNALS
    return f"exited with code {exitcode} without an answer{detail}", False


def _last_line(path: Path, max_chars: int = 300) -> str:
    try:
        with open(path, "rb") as stream:
            stream.seek(0, os.SEEK_END)
            stream.seek(max(0, stream.tell() - 4096))
            lines = stream.read().decode("utf-8", "replace").strip().splitlines()
    except OSError:
        return ""
    return lines[-1].strip()[:max_chars] if lines else ""
