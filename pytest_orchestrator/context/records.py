"""Values that cross the backend boundary: one write in history, and the state of one key."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class WriteRecord:
    """One committed write: what changed, who wrote it, in which step, run and time (UTC)."""

    key: str
    before: Any
    after: Any
    who: str
    step: str
    run_id: str
    ts: str

    def as_dict(self) -> dict[str, Any]:
        """A plain dict of the record (its values are shared, not copied: treat as read-only)."""
        return {"key": self.key, "before": self.before, "after": self.after, "who": self.who,
                "step": self.step, "run_id": self.run_id, "ts": self.ts}


@dataclass(slots=True)
class KeyState:
    """The live state of one key in a namespace, and the last value each step committed."""

    value: Any
    shape: Any
    last_step: str
    writers: dict[str, Any]
