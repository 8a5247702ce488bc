"""What the numbers scriptlets share: where their numbers come from (a one-column CSV file,
or the context) and NumbersStep, the run each of them follows."""

from __future__ import annotations

import abc
import contextlib
import csv
import math
import os
import statistics
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, NamedTuple

from pytest_orchestrator.safety import project_path
from pytest_orchestrator.scriptlet import BaseScriptlet

if TYPE_CHECKING:
    from pytest_orchestrator.context import Context

Number = int | float

#: Context keys holding the numbers, best first: validated numbers win over raw ones.
NUMBER_KEYS = ("numbers.validated_v1", "numbers.raw_v1")


class InputError(Exception):
    """The numbers could not be had; ``reason``, ``details`` and ``exit_code`` go in the
    error envelope (exit code 2 means an upstream step has not provided them)."""

    def __init__(self, reason: str, details: Mapping[str, Any] | None = None,
                 exit_code: int = 1) -> None:
        super().__init__(reason)
        self.reason = reason
        self.details = dict(details or {})
        self.exit_code = exit_code


def read_csv(src: str) -> list[Number]:
    """The ``value`` column of a CSV file with a header; blank lines are skipped."""
    try:
        with open(src, newline="", encoding="utf-8") as fh:
            rows = csv.reader(fh)
            column = _value_column(src, rows)
            return [_number(row[column] if column < len(row) else "", src, rows.line_num)
                    for row in rows if any(cell.strip() for cell in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"{src}: cannot read: {exc}", {"src": src}) from None


def _value_column(src: str, rows: Iterable[list[str]]) -> int:
    for row in rows:
        header = [cell.strip().lower() for cell in row]
        if any(header):
            if "value" not in header:
                raise InputError(f"{src}: the header has no 'value' column",
                                 {"src": src, "header": row})
            return header.index("value")
    return 0


def _number(text: str, src: str, line: int) -> Number:
    cell = text.strip()
    with contextlib.suppress(ValueError):
        return int(cell)
    try:
        value = float(cell)
    except ValueError:
        value = math.nan  # refused below, like "inf": not a number a statistic can use
    if not math.isfinite(value):
        raise InputError(f"{src}:{line}: {cell!r} is not a number",
                         {"src": src, "line": line, "text": text})
    return value


def numbers_input(ctx: Context, params: Mapping[str, Any],
                  keys: Sequence[str] = NUMBER_KEYS) -> list[Number]:
    """The ``src`` CSV when the params name one, else the first of ``keys`` in the context."""
    if params.get("src") is not None:
        return read_csv(params["src"])
    for key in keys:
        value = ctx.get(key)
        if isinstance(value, list):
            return value
    raise InputError(f"no numbers: pass 'src' or run a step that writes {' or '.join(keys)}",
                     {"looked_for": list(keys)}, exit_code=2)


def check_params(params: Mapping[str, Any], allowed: Iterable[str]) -> None:
    """Refuse unknown params (a typo would otherwise be silently ignored) and a missing src."""
    allowed = sorted(allowed)
    for name in params:
        if name not in allowed:
            raise ValueError(f"unknown param {name!r}; this scriptlet takes: {', '.join(allowed)}")
    src = params.get("src")
    if src is not None and not (isinstance(src, str) and os.path.isfile(src)):
        raise ValueError(f"src {src!r} is not a file")


def list_param(params: Mapping[str, Any], name: str, kind: type, default: Sequence[Any] = (),
               what: str = "") -> list[Any]:
    """The ``name`` param as a list whose items are all of ``kind`` (bool is not an int);
    ``default`` when absent. Raises ValueError naming the param, for ``validate``."""
    value = params.get(name, default)
    if not isinstance(value, (list, tuple)) or any(
            not isinstance(item, kind) or (isinstance(item, bool) and kind is not bool)
            for item in value):
        raise ValueError(f"{name} must be a list of {what or kind.__name__}, got {value!r}")
    return list(value)


def stats_of(numbers: Sequence[Number]) -> dict[str, Number]:
    """numbers.stats_v1: mean, population variance, min, max and count (count >= 1)."""
    return {"mean": statistics.fmean(numbers), "variance": float(statistics.pvariance(numbers)),
            "min": min(numbers), "max": max(numbers), "count": len(numbers)}


def out_dir_of(params: Mapping[str, Any]) -> Path:
    """The artifact folder: ``out_dir``, else $ORCH_ARTIFACTS, else ./artifacts (relative
    paths are from the project root). ValueError when it lies outside the project and the
    run's artifact folder (see :func:`pytest_orchestrator.safety.project_path`)."""
    path = params.get("out_dir") or os.environ.get("ORCH_ARTIFACTS") or "artifacts"
    if not isinstance(path, str):
        raise ValueError(f"out_dir must be a path, got {path!r}")
    return project_path(path, "out_dir")


def out_dir(params: Mapping[str, Any]) -> str:
    """:func:`out_dir_of`, created."""
    path = out_dir_of(params)
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


class Computed(NamedTuple):
    """What a NumbersStep made of the numbers."""

    outputs: dict[str, Any]  # the context keys to write, in the envelope's order
    metrics: dict[str, Any]
    log: str  # one line for stderr, starting with the scriptlet's name
    artifacts: tuple[str, ...] = ()


class NumbersStep(BaseScriptlet):
    """A classic scriptlet that computes context keys from the numbers.

    A subclass says which params it ``takes`` and implements ``compute``; ``run`` does the
    rest, the same way for each: read the numbers (``src``, else the first of ``input_keys``),
    ``check`` them, compute, write the keys, log one line to stderr and print the envelope.
    An InputError from reading or checking becomes the error envelope, with its exit code.
    """

    #: The params it accepts; any other is refused, since a typo would go unnoticed.
    takes: ClassVar[tuple[str, ...]] = ("src",)
    #: The context keys read when there is no ``src``, best first.
    input_keys: ClassVar[tuple[str, ...]] = NUMBER_KEYS
    #: The error reason when the list is empty.
    empty_reason: ClassVar[str] = "no numbers"

    def validate(self, ctx: Context, params: dict[str, Any]) -> None:
        check_params(params, self.takes)

    def run(self, ctx: Context, params: dict[str, Any]) -> int:
        try:
            numbers = numbers_input(ctx, params, self.input_keys)
            self.check(numbers, params)
        except InputError as exc:
            return self.emit_error(exc.reason, details=exc.details, exit_code=exc.exit_code)
        done = self.compute(numbers, params)
        for key, value in done.outputs.items():
            ctx.set(key, value)
        print(done.log, file=sys.stderr)
        return self.emit_ok(list(done.outputs), artifacts=done.artifacts, metrics=done.metrics)

    def check(self, numbers: list[Number], params: dict[str, Any]) -> None:
        """Raise InputError for numbers ``compute`` cannot take: by default, none at all."""
        if not numbers:
            raise InputError(self.empty_reason, {"count": 0})

    @abc.abstractmethod
    def compute(self, numbers: list[Number], params: dict[str, Any]) -> Computed:
        """The context keys, metrics and log line of numbers that passed ``check``."""
