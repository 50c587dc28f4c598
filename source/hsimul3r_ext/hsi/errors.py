"""One error type for bad input, so every command can report it the same way (exit 2)."""

from __future__ import annotations

from os import PathLike


class CaseError(ValueError):
    """Bad input, pinned to the file and the field a user must fix."""

    def __init__(self, file: str | PathLike[str], field: str, problem: str) -> None:
        self.file = str(file)
        self.field = field
        self.problem = problem
        super().__init__(str(self))

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.problem}"
