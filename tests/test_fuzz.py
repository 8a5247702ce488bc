"""Property-based fuzzing (Hypothesis): whatever a recipe, an envelope or a placeholder holds,
the answer is a value or one of our errors (a collection error, a clean step failure), never
a traceback of ours and never a hang.

The pure layers are fuzzed directly (recipe text -> Recipe or RecipeError; stdout -> Envelope
or EnvelopeError; placeholders -> value or StepError), and a few real pytest runs on random
recipes check the same from the user's side. Profiles: ``ci`` (the default: few examples,
derandomized, no example database) and ``long``, run on demand::

    HYPOTHESIS_PROFILE=long python -m pytest tests/test_fuzz.py -p no:randomly
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import string
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from pytest_orchestrator.envelope import Envelope, parse_envelope  # noqa: E402
from pytest_orchestrator.errors import EnvelopeError, RecipeError, StepError  # noqa: E402
from pytest_orchestrator.placeholders import Expansion, problems  # noqa: E402
from pytest_orchestrator.recipe import Recipe, recipe_from_text  # noqa: E402

SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much,
        HealthCheck.function_scoped_fixture]
settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True,
                          database=None, suppress_health_check=SLOW, print_blob=True)
settings.register_profile("long", max_examples=4000, deadline=None, suppress_health_check=SLOW,
                          print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
#: Real pytest runs cost ~0.5 s each: a tenth of the pure layers' examples.
RUNS = settings(max_examples=max(4, settings.default.max_examples // 10))

#: Longer than anything may take: a hang guard, never a measure.
HANG_GUARD_SECONDS = 30
OUR_FRAME = re.compile(r"pytest_orchestrator[/\\][\w/\\]+\.py")


@contextlib.contextmanager
def hang_guard(seconds: float = HANG_GUARD_SECONDS) -> Iterator[None]:
    """Fail (instead of hanging the suite) when the block runs past ``seconds``."""
    def alarm(signum: int, frame: Any) -> None:
        raise AssertionError(f"still running after {seconds}s: a hang")

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# -- strategies ----------------------------------------------------------------------------------

names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,7}", fullmatch=True)
scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**300, max_value=10**4200),
    st.floats(), st.text(max_size=12), names,
    st.sampled_from(["${ROOTDIR}", "${DATA}/x.csv", "${env:HOME}", "${param:dut}", "${nope}",
                     "${env:}", "$", "${", "}", "\x00", "~", "yes", "on", ".inf", "&a", "*a"]))
trees = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.one_of(names, st.text(max_size=6), scalars), inner, max_size=4)),
    max_leaves=24)


def field(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Mostly a valid value, sometimes anything."""
    return st.one_of(valid, valid, trees)


numbers = st.one_of(st.integers(-5, 10**6), st.floats(-1.0, 1e6), st.floats())
steps = st.fixed_dictionaries(
    {"name": field(names),
     "module": field(st.sampled_from(["steps.demo", "os", "steps.nope", "steps.demo.x"])),
     "function": field(st.sampled_from(["Produce", "Echo", "Seen", "Refuse", "NotAScriptlet",
                                        "not_a_class", "Missing"]))},
    optional={
        "type": field(st.sampled_from(["python", "shell", "exec"])),
        "script": field(st.sampled_from(["scripts/ok.sh", "../x.sh", "/bin/true", "${ROOTDIR}"])),
        "args": field(st.dictionaries(names, trees, max_size=4) | st.lists(trees, max_size=3)),
        "depends_on": field(st.lists(names, max_size=3)),
        "parallel": field(st.booleans()), "requires_process": field(st.booleans()),
        "timeout": field(numbers), "cache_key": field(st.sampled_from(["auto", "k", ""])),
        "retry": field(st.fixed_dictionaries({"max": st.integers(-1, 2000)},
                                             optional={"delay_sec": numbers,
                                                       "backoff": numbers})),
        "xfail": field(st.text(max_size=5) | st.booleans()), "finally": field(st.booleans()),
        "exclusive": field(st.booleans()), "idx": field(st.integers(-3, 3)),
        "markers": field(st.lists(st.one_of(names, st.sampled_from(
            ["skip", "xfail", "__class__", "slow", "timeout"])), max_size=3)),
        "success": field(st.fixed_dictionaries({}, optional={
            "ctx_has_keys": st.lists(st.text(max_size=10), max_size=2),
            "files_exist": st.lists(st.text(max_size=10), max_size=2),
            "ctx_schema": st.dictionaries(st.text(max_size=10), trees, max_size=2)})),
    })
recipes = st.fixed_dictionaries(
    {"test_meta": field(st.fixed_dictionaries(
        {"test_id": field(st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,10}", fullmatch=True))},
        optional={"tags": field(st.lists(names, max_size=3)), "tester": field(st.text())})),
     "steps": field(st.lists(steps, min_size=1, max_size=4))},
    optional={
        "parametrize": field(st.dictionaries(names, st.lists(scalars, min_size=1, max_size=3),
                                             max_size=3)),
        "defaults": field(st.dictionaries(st.sampled_from(["timeout", "retry", "args",
                                                           "parallel", "name"]), trees)),
        "context": field(st.sampled_from(["isolated", "shared:lab", "shared:..", "x"])),
        "conflict": field(st.sampled_from(["fail_on_conflict", "last_write_wins"])),
    })
#: Bits of YAML that a dumped document never holds: anchors, aliases, tags, merges, flow.
YAML_BITS = ["&a ", "*a", "&b [*a, *a, *a]", "<<: *a", "!!binary ", "!!set ", "!!python/x ",
             "? ", "- ", ": ", "{", "}", "[", "]", ",", "\n", "\n  ", "\t", "---\n", "...\n",
             "%YAML 1.1\n", "'", '"', "#", "|\n", ">-\n", "~", ".nan", "-.inf", "0x1F",
             "1_000", "12:30:45", "2024-01-01", "\\0", "\x00", "\ufeff", "é", "9" * 5000]


def dumped(doc: Any) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False, width=2**16)


@st.composite
def recipe_texts(draw: st.DrawFn) -> str:
    """A random recipe dumped as YAML, then perhaps with bits of YAML syntax spliced in."""
    text = dumped(draw(recipes))
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(YAML_BITS)) + text[at:]
    return text


# -- the pure layers -----------------------------------------------------------------------------

def load(text: str) -> Recipe | None:
    with hang_guard():
        try:
            return recipe_from_text(text, Path("recipes/fuzz.yaml"), "recipes/fuzz.yaml")
        except RecipeError as exc:
            assert str(exc).startswith("recipes/fuzz.yaml:")  # a line, always
            assert "\n" not in str(exc)  # one message
            return None


@given(recipe_texts())
# found by the long profile: a key holding newlines made a message of three lines
@example("test_meta:\n  ? '\n\n    '\n  : null: null\nsteps:\n- name: A\n  module: steps.demo\n"
         "  function: Produce\n")
@example("test_meta:\n  ? '\n\n    '\n  : null\nsteps: null\n")
def test_a_random_recipe_is_a_recipe_or_one_recipe_error(text: str) -> None:
    recipe = load(text)
    if recipe is not None:
        assert recipe.steps
        json.dumps([s.args for s in recipe.steps], allow_nan=False)  # what the store keeps


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300)
       | st.lists(st.sampled_from(YAML_BITS) | st.text(max_size=5), max_size=40).map("".join))
# found by the ci profile: a raw control character was a YAML error of two lines, no line number
@example("test_meta: {test_id: F-1}\nsteps: [\x00]\n")
def test_any_text_is_a_recipe_or_one_recipe_error(text: str) -> None:
    load(text)


@given(trees)
def test_any_yaml_document_is_a_recipe_or_one_recipe_error(doc: Any) -> None:
    load(dumped(doc))


@given(st.integers(1, 12), st.integers(2, 12))
def test_nested_aliases_are_refused_or_loaded_never_expanded_past_the_budget(
        levels: int, width: int) -> None:
    lines = ["test_meta: {test_id: F-1}", "x0: &x0 [" + ", ".join(["1"] * width) + "]"]
    lines += [f"x{i}: &x{i} [" + ", ".join([f"*x{i - 1}"] * width) + "]"
              for i in range(1, levels)]
    load("\n".join(lines) + "\nsteps: [{name: a, module: steps.demo, function: Produce}]\n")


# JSON-ish envelopes: the fields with random values, NaN and Infinity included
envelope_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8)),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=3),
    max_leaves=12)
envelope_dicts = st.fixed_dictionaries({}, optional={
    key: field_strategy for key, field_strategy in {
        "status": st.sampled_from(["ok", "error", "OK", ""]) | envelope_values,
        "outputs": st.lists(st.text(max_size=8)) | envelope_values,
        "artifacts": st.lists(st.text(max_size=8)) | envelope_values,
        "metrics": st.dictionaries(st.text(max_size=5), st.floats() | st.integers())
        | envelope_values,
        "warnings": envelope_values, "reason": envelope_values, "details": envelope_values,
        "exit_code": st.integers() | envelope_values, "set": envelope_values,
        "step": envelope_values, "ts": envelope_values}.items()})


@given(st.one_of(envelope_dicts.map(json.dumps), envelope_values.map(json.dumps),
                 st.text(max_size=200),
                 st.lists(envelope_dicts.map(json.dumps), max_size=3).map("\n".join)))
def test_any_stdout_is_an_envelope_or_one_envelope_error(stdout: str) -> None:
    with hang_guard():
        try:
            env = parse_envelope(stdout)
        except EnvelopeError as exc:
            assert str(exc)
            return
    assert isinstance(env, Envelope)
    json.dumps(env.raw, allow_nan=False)  # the store and the reports can hold it
    # everything the runner and the reports read from it
    assert (env.ok, env.reason, env.exit_code, env.details, env.sets, env.artifacts) \
        is not None


placeholder_text = st.lists(st.one_of(
    st.text(alphabet=string.printable, max_size=6),
    st.sampled_from(["${ROOTDIR}", "${DATA}", "${ARTIFACTS}", "${RUN_ID}", "${env:HOME}",
                     "${env:NOPE_NOT_SET}", "${param:dut}", "${param:other}", "${env:}",
                     "${param:1x}", "${", "}", "$", "${ROOTDIR", "${${env:HOME}}",
                     "${unknown}"])), max_size=8).map("".join)


@given(st.recursive(placeholder_text, lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(names, inner, max_size=3), max_leaves=10),
       st.dictionaries(st.sampled_from(["dut", "other"]), placeholder_text | st.integers()))
def test_placeholders_expand_to_a_value_or_a_step_error_once_collection_accepted_them(
        value: Any, params: dict[str, Any]) -> None:
    found = problems(value, params)
    if found:
        assert all(message for _, message in found)
        return
    expansion = Expansion(rootdir="/lab", data="/lab/data", artifacts="/lab/a", run_id="r1",
                          environ={"HOME": "/home/x"}, params=params)
    try:
        expanded = expansion.expand(value)
    except StepError as exc:
        assert "NOPE_NOT_SET" in str(exc)
        return
    json.dumps(expanded)
    if isinstance(value, str) and "${" not in value:
        assert expanded == value  # nothing else is ever touched


# -- real pytest runs ----------------------------------------------------------------------------

@st.composite
def runnable_recipes(draw: st.DrawFn) -> str:
    """Random recipes of the demo scriptlets and a shell script that run quickly: small
    parametrize products, retry delays under a second, random envelopes through Echo."""
    doc = draw(recipes)
    if isinstance(doc.get("parametrize"), dict):
        doc["parametrize"] = dict(list(doc["parametrize"].items())[:2])
    for raw in doc["steps"] if isinstance(doc["steps"], list) else []:
        if not isinstance(raw, dict):
            continue
        if isinstance(raw.get("retry"), dict):
            raw["retry"] = {"max": 1, "delay_sec": 0}
        if draw(st.booleans()):
            raw.update(function="Echo", args={"stdout": draw(
                envelope_dicts.map(json.dumps) | st.text(max_size=20))})
    return draw(st.sampled_from([dumped(doc), draw(recipe_texts())]))


@RUNS
@given(text=runnable_recipes())
def test_pytest_on_a_random_recipe_reports_errors_and_failures_never_our_traceback(
        project, text: str) -> None:
    project.script("scripts/ok.sh", "#!/bin/sh\necho '{\"status\": \"ok\"}'\n")
    project.write("recipes/fuzz.yaml", "")
    (project.root / "recipes" / "fuzz.yaml").write_text(text, encoding="utf-8")
    with hang_guard(120):
        result = project.run("-p", "no:cacheprovider", "--orch-db", "off", "-q")
    output = result.stdout.str() + result.stderr.str()
    assert "INTERNALERROR" not in output, output
    assert not OUR_FRAME.search(output), output
    assert result.ret in (0, 1, 2, 5), output


def test_a_resource_meter_imported_again_leaves_no_file_open_behind() -> None:
    # found by the long profile: pytester's in-process runs import the meter again in each
    # run, and the procfs files the old one kept open were left to the garbage collector,
    # which warned at the end of the session (an error under filterwarnings = error)
    import subprocess
    import sys

    code = textwrap.dedent("""
        import gc, sys
        import pytest_orchestrator.executors as executors
        from pytest_orchestrator.executors import resources
        resources.reset_peak(), resources.read_peak()
        del sys.modules["pytest_orchestrator.executors.resources"], executors.resources
        del resources
        gc.collect()
        print("collected")
        """)
    proc = subprocess.run([sys.executable, "-W", "error::ResourceWarning", "-c", code],
                          capture_output=True, text=True, timeout=60)
    assert (proc.returncode, proc.stdout) == (0, "collected\n")
    assert "ResourceWarning" not in proc.stderr, proc.stderr
