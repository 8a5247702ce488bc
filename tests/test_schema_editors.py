"""The recipe schema as editors use it: every field has hover help, ``orchestrator schema``
prints the packaged file, and its ``$id`` is the documented one, never fetched."""

from __future__ import annotations

import json
import re
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import ORCHESTRATOR
from pytest_orchestrator import schema

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "recipe-schema.md").read_text(encoding="utf-8")
SCHEMA = json.loads((ROOT / "pytest_orchestrator" / "recipe.schema.json").read_text("utf-8"))


def properties(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    """Every property definition in the schema, wherever it is, with its JSON pointer."""
    if isinstance(node, dict):
        for name, value in node.get("properties", {}).items():
            yield f"{path}/properties/{name}", value
        for key, value in node.items():
            yield from properties(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from properties(value, f"{path}/{index}")


def documented_id() -> str:
    found = re.search(r"The schema's `\$id` is `(https://[^`]+)`", DOC)
    assert found, "docs/recipe-schema.md states the schema's $id"
    return found.group(1)


@pytest.mark.parametrize("pointer, definition", list(properties(SCHEMA)),
                         ids=[pointer for pointer, _ in properties(SCHEMA)])
def test_every_property_has_a_short_description_for_hover_help(pointer, definition):
    text = definition.get("description", "")
    assert text.endswith("."), f"{pointer}: one short sentence"
    assert 10 < len(text) <= 120


def test_the_walk_sees_the_fields_of_the_top_level_test_meta_steps_retry_and_success():
    pointers = {pointer.rsplit("/", 1)[1] for pointer, _ in properties(SCHEMA)}
    assert {"test_meta", "parametrize", "test_id", "tags", "name", "depends_on", "retry",
            "backoff", "success", "ctx_schema"} <= pointers


@pytest.mark.parametrize("field", SCHEMA["$defs"]["stepFields"]["properties"])
def test_every_step_field_of_the_schema_is_in_the_docs_table(field):
    assert re.search(rf"^\| `{field}`|^\| `\w+` \(alias `{field}`\)|`{field}` \|", DOC, re.M)


def test_the_schema_id_is_the_documented_stable_url():
    assert SCHEMA["$id"] == documented_id()
    assert re.fullmatch(r"https://[\w.-]+/schema/recipe-v\d+\.json", SCHEMA["$id"])


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError(f"network access: {args}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    schema.recipe_schema.cache_clear()
    schema.schema_validator.cache_clear()


def test_building_and_using_the_validators_opens_no_connection(no_network):
    validator = schema.schema_validator()
    recipe = {"test_meta": {"test_id": "X-1"}, "steps": [{"name": "1bad", "depends_on": ["a"]}]}
    assert [e.validator for e in validator.iter_errors(recipe)] == ["pattern"]
    assert "SCHEMA_SHA256" in schema.validator_source()


def test_a_schema_that_refers_to_recipes_by_id_resolves_it_to_the_packaged_file(no_network):
    import jsonschema
    from referencing import Registry, Resource

    registry = Registry().with_resource(SCHEMA["$id"], Resource.from_contents(
        json.loads(schema.schema_path().read_text("utf-8"))))
    suite = {"type": "array", "items": {"$ref": documented_id()}}
    validator = jsonschema.Draft202012Validator(suite, registry=registry)
    assert validator.is_valid([{"test_meta": {"test_id": "A"}, "steps": [{"name": "a"}]}])
    assert not validator.is_valid([{"test_meta": {"test_id": "A"}, "steps": []}])


@pytest.mark.skipif(ORCHESTRATOR is None, reason="the console script is not installed")
def test_orchestrator_schema_prints_the_path_of_the_packaged_schema(tmp_path):
    done = subprocess.run([ORCHESTRATOR, "schema"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=60, check=True)
    path = Path(done.stdout.rstrip("\n"))
    assert path.is_absolute() and path.name == "recipe.schema.json"
    assert json.loads(path.read_text("utf-8"))["$id"] == documented_id()
    printed = subprocess.run([ORCHESTRATOR, "schema", "--print"], cwd=tmp_path,
                             capture_output=True, text=True, timeout=60, check=True).stdout
    assert printed == path.read_text("utf-8")
