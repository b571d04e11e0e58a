"""The one error raised for a malformed form definition, code list or message catalogue."""

from __future__ import annotations


class DefinitionError(ValueError):
    """A resource file is malformed. Names the file and the key so the author can fix it."""

    def __init__(self, source: str, key: str, problem: str) -> None:
        self.source = source
        self.key = key
        self.problem = problem
        super().__init__(f"{source}: {key}: {problem}. Correct the file and start again.")
