"""load_numbers: read the numbers of a one-column CSV into the context."""

from __future__ import annotations

import sys
from typing import Any

from pytest_orchestrator.context import Context
from pytest_orchestrator.scriptlet import BaseScriptlet
from scriptlets.numbers import InputError, check_params, read_csv


class LoadNumbers(BaseScriptlet):
    """Load numbers from a CSV file with a ``value`` header; blank lines are ignored.

    Params (exactly one of):
      src      path of the CSV file.
      src_key  a context key whose value is the CSV path, as written by an upstream step
               (e.g. ``files.sanitized_csv_v1`` from sanitize_csv.sh).
    Outputs: numbers.raw_v1 (list of ints and floats, in file order).
    Exit codes: 0 ok; 1 unreadable file or a row that is not a number (the reason names the
    line, details carry src, line and text); 2 ``src_key`` is not in the context.
    """

    requires_process = False
    parallelizable = True

    def validate(self, ctx: Context, params: dict[str, Any]) -> None:
        check_params(params, ("src", "src_key"))
        if ("src" in params) == ("src_key" in params):
            raise ValueError("pass exactly one of 'src' (a CSV path) or 'src_key' (a context key)")

    def run(self, ctx: Context, params: dict[str, Any]) -> int:
        src = params.get("src") or ctx.get(params["src_key"])
        if not isinstance(src, str):
            return self.emit_error(f"context key {params['src_key']!r} holds no CSV path",
                                   details={"src_key": params["src_key"]}, exit_code=2)
        try:
            numbers = read_csv(src)
        except InputError as exc:
            return self.emit_error(exc.reason, details=exc.details, exit_code=exc.exit_code)
        ctx.set("numbers.raw_v1", numbers)
        print(f"load_numbers: {len(numbers)} numbers from {src}", file=sys.stderr)
        return self.emit_ok(outputs=["numbers.raw_v1"], metrics={"count": len(numbers)})


if __name__ == "__main__":
    raise SystemExit(LoadNumbers.main())
