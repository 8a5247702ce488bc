"""cache_numbers: fingerprint the numbers and remember them, so a second run is a cache hit."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from typing import Any

from pytest_orchestrator.context import Context
from pytest_orchestrator.safety import project_path
from scriptlets.numbers import Computed, Number, NumbersStep

#: Where the fingerprints are kept when no ``cache_dir`` is given (relative to the project
#: root, whatever the current directory; the same for every run, unlike ${ARTIFACTS}).
DEFAULT_CACHE_DIR = os.path.join(".orchestrator", "cache", "numbers")


def digest_of(numbers: Sequence[Number]) -> str:
    """The sha256 (hex) of the numbers' compact JSON, e.g. ``[4,8,15.5]``: order matters,
    and 1 and 1.0 differ, as they do in the context."""
    return hashlib.sha256(json.dumps(list(numbers), separators=(",", ":")).encode()).hexdigest()


class CacheNumbers(NumbersStep):
    """Hash the numbers and say whether these very numbers were seen before.

    Params:
      cache_dir  the folder of remembered fingerprints (default .orchestrator/cache/numbers
                 under the project root); created if missing. It must lie inside the project
                 or the run's artifact folder; a relative one is from the project root.
      src        a CSV file to read instead of the context (for standalone runs).
    Input: ``src`` when given, else numbers.validated_v1, else numbers.raw_v1.
    Outputs: cache.numbers_hash_v1 (the sha256 hex of the numbers' compact JSON);
    cache.numbers_hit_v1 (true when <cache_dir>/<hash>.json already existed). The file is
    then written (the numbers as JSON), so the next run with the same numbers is a hit.
    Exit codes: 0 ok; 1 an empty list, an unreadable src or a cache_dir outside the project;
    2 no input numbers.
    """

    takes = ("cache_dir", "src")
    empty_reason = "no numbers to hash"

    def validate(self, ctx: Context, params: dict[str, Any]) -> None:
        super().validate(ctx, params)
        if not isinstance(params.get("cache_dir", ""), str):
            raise ValueError(f"cache_dir must be a path, got {params['cache_dir']!r}")
        project_path(params.get("cache_dir") or DEFAULT_CACHE_DIR, "cache_dir")

    def compute(self, numbers: list[Number], params: dict[str, Any]) -> Computed:
        digest = digest_of(numbers)
        folder = project_path(params.get("cache_dir") or DEFAULT_CACHE_DIR, "cache_dir")
        path = os.path.join(folder, f"{digest}.json")
        hit = os.path.exists(path)
        if not hit:
            os.makedirs(folder, exist_ok=True)
            partial = f"{path}.{os.getpid()}.tmp"  # whole or absent, even beside another run
            with open(partial, "w", encoding="utf-8") as fh:
                json.dump(numbers, fh)
            os.replace(partial, path)
        return Computed({"cache.numbers_hash_v1": digest, "cache.numbers_hit_v1": hit},
                        {"hit": hit, "count": len(numbers)},
                        f"cache_numbers: {digest[:12]} {'hit' if hit else 'miss'} in {folder}")


if __name__ == "__main__":
    raise SystemExit(CacheNumbers.main())
