"""assert_context: check what the context holds, e.g. the keys an agent outside pytest wrote."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pytest_orchestrator.context import Context
from pytest_orchestrator.context.rules import check_key
from pytest_orchestrator.scriptlet import BaseScriptlet
from scriptlets.numbers import check_params


class AssertContext(BaseScriptlet):
    """Fail, naming every mismatch, unless the context holds the expected values.

    Params:
      equals  {key: expected value}: each key must hold exactly this JSON value
      same    [[key_a, key_b], ...]: each pair of keys must hold equal values
    Input: the keys named.
    Outputs: assert_context.seen_v1 = {key: value} of every key checked, as this step saw them.
    Exit codes: 0 ok; 1 a key missing or holding another value (``details.mismatches``).
    """

    def validate(self, ctx: Context, params: dict[str, Any]) -> None:
        check_params(params, ("equals", "same"))
        equals, same = params.get("equals", {}), params.get("same", [])
        if not isinstance(equals, Mapping) or not isinstance(same, list) or any(
                not isinstance(pair, list) or len(pair) != 2 for pair in same):
            raise ValueError("equals must map keys to values, same must list [key, key] pairs")
        if not equals and not same:
            raise ValueError("nothing to check: give equals and/or same")
        for key in [*equals, *(key for pair in same for key in pair)]:
            check_key(key)

    def run(self, ctx: Context, params: dict[str, Any]) -> int:
        equals, same = params.get("equals", {}), params.get("same", [])
        seen = {key: ctx.get(key) for key in [*equals, *(k for pair in same for k in pair)]}
        mismatches = [f"{key} is {seen[key]!r}, expected {value!r}"
                      for key, value in equals.items() if seen[key] != value]
        mismatches += [f"{a} is {seen[a]!r} but {b} is {seen[b]!r}"
                       for a, b in same if seen[a] is None or seen[a] != seen[b]]
        if mismatches:
            return self.emit_error(f"{len(mismatches)} context value(s) not as expected: "
                                   + "; ".join(mismatches), details={"mismatches": mismatches})
        ctx.set("assert_context.seen_v1", seen)
        return self.emit_ok(["assert_context.seen_v1"], metrics={"checked": len(seen)})


if __name__ == "__main__":
    raise SystemExit(AssertContext.main())
