"""``--orch-param NAME=VALUE``: a recipe's ``parametrize`` axis replaced for one run, the recipe
file (its path, test_id and history) unchanged."""

from __future__ import annotations

import argparse
import dataclasses
import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pytest

from .placeholders import NAME_RE

if TYPE_CHECKING:
    from .recipe import Recipe

#: The types a parametrize value may have (the recipe schema's).
SCALARS = (str, int, float, bool)


def param_value(text: str) -> tuple[str, Any]:
    """``NAME=VALUE`` → (name, value): VALUE read as JSON when it is JSON (``5``, ``true``,
    ``"5"``), else taken as text (``leaf1``)."""
    name, eq, raw = text.partition("=")
    if not eq:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not NAME=VALUE (a parametrize name, '=', one value)")
    # the messages never show VALUE: it may be a secret
    if not NAME_RE.match(name):
        raise argparse.ArgumentTypeError(f"{name!r} is not a parametrize name")
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw
    if not isinstance(value, SCALARS) or value != value:  # NaN: JSON has none
        raise argparse.ArgumentTypeError(
            f"{name}: a parametrize value is a string, number or boolean; repeat "
            f"--orch-param {name}=... for several values")
    return name, value


def axes(pairs: Iterable[tuple[str, Any]]) -> dict[str, list[Any]]:
    """``[("dut", "a"), ("dut", "b")]`` → ``{"dut": ["a", "b"]}``: repeating a name adds values."""
    found: dict[str, list[Any]] = {}
    for name, value in pairs:
        found.setdefault(name, []).append(value)
    return found


class ParamOverrides:
    """Registered only when ``--orch-param`` is given: each collected recipe gets the given
    values for the axes it parametrizes; a name no collected recipe parametrizes is a usage
    error naming the ones they do."""

    def __init__(self, pairs: Iterable[tuple[str, Any]]) -> None:
        self.axes = axes(pairs)
        self.known: set[str] = set()

    def apply(self, recipe: Recipe) -> Recipe:
        self.known.update(recipe.parametrize)
        given = {name: values for name, values in self.axes.items() if name in recipe.parametrize}
        if not given:
            return recipe
        return dataclasses.replace(recipe, parametrize={**recipe.parametrize, **given})

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        unknown = sorted(set(self.axes) - self.known)
        if unknown and (self.known or items):  # nothing collected: a collection error says why
            known = ", ".join(sorted(self.known)) or "none"
            raise pytest.UsageError(
                f"--orch-param {unknown[0]}: no collected recipe parametrizes '{unknown[0]}' "
                f"(they parametrize: {known}); it replaces the values of an existing axis")
