"""Per-step log files: a step's stderr, its ``--orch-debug`` trace and its attempts, written by
the process that ran it to ``<run artifacts>/logs/<test_id>/<step>.log``, secrets masked.

Kept cheap: the lines stay in memory while the step runs, and the file is written once, at the
end, only when there is something in it (a step that printed nothing, passed at its first
attempt and was not traced gets no file)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..envelope import now_iso

if TYPE_CHECKING:
    from collections.abc import Callable

    from ..executors import StepOutcome
    from ..safety import Redactor

LOGS_FOLDER = "logs"


def safe_name(name: str) -> str:
    """A recipe's namespace, test_id or step as one plain file or folder name, as the run's
    artifact folders are named."""
    from ..folders import folder_name

    return folder_name(name)


def log_path(run_artifacts: Path, test_id: str, step: str, row_id: str = "") -> Path:
    """``<run artifacts>/logs/<test_id>/<step>.log``; ``<step>[<row>].log`` for a row of a
    parametrized recipe."""
    row = f"[{safe_name(row_id)}]" if row_id else ""
    return Path(run_artifacts, LOGS_FOLDER, safe_name(test_id), f"{safe_name(step)}{row}.log")


class StepLog:
    """The log of one step of one recipe row, collected while it runs. Its path and title are
    worked out only when there is something to write."""

    def __init__(self, run_artifacts: Path, test_id: str, step: str, row_id: str = "",
                 where: str = "") -> None:
        self.run_artifacts, self.test_id, self.step, self.row_id = (run_artifacts, test_id,
                                                                    step, row_id)
        self.where = where  # the step's recipe file and line
        self.lines: list[str] = []

    @property
    def path(self) -> Path:
        return log_path(self.run_artifacts, self.test_id, self.step, self.row_id)

    def traced(self, trace: Callable[[str], None]) -> Callable[[str], None]:
        """``trace`` that also keeps each (already masked) line in this log."""
        def both(line: str) -> None:
            trace(line)
            self.lines.append(f"{now_iso()} [orch] {line}")
        return both

    def attempt(self, number: int, tries: int, outcome: StepOutcome,
                retry_in: float | None) -> None:
        """One execution of the step: its output, and why it failed, when it did."""
        if tries > 1 or not outcome.passed:
            state = "passed" if outcome.passed else (
                f"failed (exit {outcome.exit_code or 1}): "
                f"{outcome.failure or outcome.envelope_dict.get('reason', 'failed')}")
            which = f"attempt {number} of {tries}" if tries > 1 else "the step"
            self.lines.append(f"{now_iso()} {which} {state}")
        self._output(outcome, f" of attempt {number}" if tries > 1 else "")
        if retry_in is not None:
            self.lines.append(f"{now_iso()} retrying in {retry_in:g}s")

    def _output(self, outcome: StepOutcome, which: str) -> None:
        for title, text in (("stderr", outcome.stderr), ("stdout", outcome.stdout_logs),
                            ("scriptlet traceback", outcome.traceback)):
            if text.strip():
                self.lines.append(f"--- {title}{which} ---")
                self.lines.append(text.rstrip("\n"))

    def write(self, outcome: StepOutcome, redactor: Redactor) -> Path | None:
        """Write the file if there is anything to say (masked); its path, or None."""
        if outcome.failure and outcome.failure not in "\n".join(self.lines):
            self.lines.append(f"{now_iso()} failed: {outcome.failure}")  # e.g. a refused commit
        self.lines.extend(f"{now_iso()} note: {note}" for note in outcome.notes)
        if not self.lines:
            return None
        state = "passed" if outcome.passed else "failed"
        cached = ", from the cache" if outcome.cache_hit else ""
        row = f"[{self.row_id}]" if self.row_id else ""
        head = (f"# {self.test_id}::{self.step}{row} ({self.where}), run "
                f"{self.run_artifacts.name}\n# {state} after {outcome.attempts} attempt(s)"
                f"{cached}, executor {outcome.executor}\n")
        path = self.path
        try:
            _write(path, redactor.text(head + "\n".join(self.lines) + "\n").encode(
                "utf-8", "replace"))
        except OSError as exc:  # the step's outcome stands; the terminal says what was lost
            outcome.notes.append(f"its log was not written: {exc}")
            return None
        return path


def _write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path``; its folder is made the first time it is missing."""
    try:
        fh = open(path, "wb")  # noqa: SIM115 -- closed below, whichever open succeeded
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fh = open(path, "wb")  # noqa: SIM115
    with fh:
        fh.write(data)
