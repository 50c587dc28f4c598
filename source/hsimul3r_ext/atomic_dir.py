"""Write a stage's output folder all at once: users never see a half-written result."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_output_dir(out_dir: str | os.PathLike[str], *, overwrite: bool = False) -> Iterator[Path]:
    """Yield a staging folder beside `out_dir`; it becomes `out_dir` only if the block succeeds.

    A folder that cannot be made (its parent is a file, no permission, a name too long) is a CaseError
    naming it, like any other bad input, and leaves nothing behind.
    """
    from .hsi.errors import CaseError  # here, not at the top: hsi's own modules import this one

    out = Path(out_dir).absolute()
    created: list[Path] = []
    try:
        if out.exists() and not overwrite:
            raise CaseError(out, "output folder", "already exists; choose a new folder or pass --overwrite")
        existing = next(parent for parent in out.parents if parent.exists())
        if not existing.is_dir():
            raise CaseError(out, "output folder", f"cannot be created: {existing} is a file, not a folder")
        created = [parent for parent in reversed(out.parents) if not parent.exists()]
        out.parent.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    except OSError as err:
        _remove_empty(created)
        raise CaseError(out, "output folder", f"cannot be created ({err.strerror or err})") from None
    stage.chmod(0o777 & ~_umask())  # mkdtemp makes 0700; results follow the user's umask like any folder
    try:
        yield stage
    except BaseException as err:
        shutil.rmtree(stage, ignore_errors=True)
        _remove_empty(created)
        if isinstance(err, CaseError) and err.file.startswith(str(stage)):
            err.file = str(out) + err.file[len(str(stage)) :]  # name the file the user asked for
        raise
    try:
        _replace(stage, out)
    except OSError as err:
        shutil.rmtree(stage, ignore_errors=True)
        _remove_empty(created)
        raise CaseError(out, "output folder", f"cannot be written ({err.strerror or err})") from None


def _replace(stage: Path, out: Path) -> None:
    """Move the finished staging folder to `out`, replacing an existing `out` (asked for with overwrite)."""
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        os.replace(out, old / out.name)
    try:
        os.replace(stage, out)
    except OSError:
        if old is not None:  # put the previous result back: a failed overwrite must not lose it
            os.replace(old / out.name, out)
            old.rmdir()
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def _remove_empty(created: list[Path]) -> None:
    """Remove the parent folders this call made, deepest first, if nothing else was put in them."""
    for parent in reversed(created):
        with contextlib.suppress(OSError):
            parent.rmdir()


def _umask() -> int:
    current = os.umask(0)
    os.umask(current)
    return current
