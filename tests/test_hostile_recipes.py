"""Recipes written to break the plugin: each is ONE clean collection error of its file (or one
clean step failure), in bounded time and memory, with none of the plugin's frames shown."""

from __future__ import annotations

import json

import pytest

from conftest import redis_server, step

GOOD = """
test_meta: {test_id: GOOD-1}
steps:
  - name: fine
    module: steps.demo
    function: Produce
"""


def literal(line: str) -> str:
    """An fnmatch pattern matching exactly ``line``."""
    return line.replace("[", "[[]").replace("?", "[?]").replace("*", "[*]")


def assert_clean(output: str) -> None:
    assert "Traceback" not in output
    assert "INTERNALERROR" not in output
    assert "pytest_orchestrator" not in output.replace("pytest_orchestrator.BaseScriptlet", "")


def assert_rejected(project, text: str, message: str) -> pytest.RunResult:
    """recipes/bad.yaml is one collection error with ``message``; the good recipe beside it
    still runs."""
    project.recipe("good", GOOD)
    project.recipe("bad", text)
    result = project.run("--continue-on-collection-errors")
    result.assert_outcomes(passed=1, errors=1)
    output = result.stdout.str() + result.stderr.str()
    assert_clean(output)
    assert output.count("recipes/bad.yaml:") == 1, "one message, once"
    result.stdout.fnmatch_lines(["*ERROR collecting recipes/bad.yaml*", literal(message)])
    return result


def billion_laughs(levels: int = 9, width: int = 10) -> str:
    """Anchors of ``width`` aliases of the one before: ``width ** levels`` strings expanded."""
    lines = ["    lol0: &lol0 [" + ", ".join(['"lol"'] * width) + "]"]
    for i in range(1, levels + 1):
        lines.append(f"    lol{i}: &lol{i} [" + ", ".join([f"*lol{i - 1}"] * width) + "]")
    return "\n".join(lines)


# -- YAML that would exhaust time or memory ---------------------------------------------------

def test_a_billion_laughs_alias_bomb_under_args_is_refused_before_it_expands(project):
    # over 10**10 values once expanded: gigabytes and minutes without the alias budget
    text = ("test_meta: {test_id: BAD-1}\nsteps:\n  - name: a\n    module: steps.demo\n"
            "    function: Produce\n    args:\n" + billion_laughs() + "\n")
    assert_rejected(project, text,
                    "recipes/bad.yaml:15: YAML aliases expand the recipe by 12,345,678,990 "
                    "values, over the limit of 10,000 (the anchor on this line is the largest "
                    "reused); write the values out, or reuse fewer and smaller anchors")


def test_many_aliases_of_a_large_anchor_are_refused_as_one_problem(project):
    big = "[" + ", ".join(str(i) for i in range(2000)) + "]"
    aliases = "\n".join(f"      k{i}: *big" for i in range(200))
    text = (f"test_meta: {{test_id: BAD-1}}\nsteps:\n  - name: a\n    module: steps.demo\n"
            f"    function: Produce\n    args:\n      big: &big {big}\n{aliases}\n")
    assert_rejected(project, text,
                    "recipes/bad.yaml:7: YAML aliases expand the recipe by 400,200 values, "
                    "over the limit of 10,000 (the anchor on this line is the largest reused); "
                    "write the values out, or reuse fewer and smaller anchors")


def test_anchors_shared_by_a_few_steps_are_fine(project):
    project.recipe("r", """
        test_meta: {test_id: OK-1}
        steps:
          - name: a
            module: steps.demo
            function: Produce
            args: &common {key: demo.a_v1, value: [1, 2, 3]}
          - name: b
            module: steps.demo
            function: Produce
            args: {<<: *common, key: demo.b_v1}
        """)
    project.run().assert_outcomes(passed=2)


def test_nesting_deeper_than_a_recipe_needs_is_refused(project):
    assert_rejected(project, "test_meta: {test_id: BAD-1}\nsteps:\n  - name: a\n"
                    "    module: steps.demo\n    function: Produce\n"
                    "    args: {deep: " + "[" * 200 + "]" * 200 + "}\n",
                    "recipes/bad.yaml:6: the recipe nests mappings and lists more than 64 "
                    "deep; a recipe is a few levels deep: flatten this value")


# -- values Python or JSON cannot hold ---------------------------------------------------------

def test_an_integer_longer_than_python_reads_names_its_field(project):
    assert_rejected(project, f"""
        test_meta: {{test_id: BAD-1}}
        steps:
          - name: a
            module: steps.demo
            function: Produce
            args: {{value: {"9" * 5000}}}
        """,
        "recipes/bad.yaml:6: steps[0].args.value: an integer of 5,000 digits is longer than "
        "Python reads (4,300 digits); quote it if it is text")


def test_a_null_key_in_args_is_refused(project):
    assert_rejected(project, """
        test_meta: {test_id: BAD-1}
        steps:
          - name: a
            module: steps.demo
            function: Produce
            args: {~: 1, b: 2}
        """,
        "recipes/bad.yaml:6: steps[0].args.~: the key '~' is not text (!!null); quote it: '~' "
        "(YAML reads ~, yes, on, 1 as null, true, a number)")


@pytest.mark.parametrize("value", [".inf", "-.inf", ".nan"])
def test_an_infinite_or_nan_timeout_is_refused_at_collection(project, value):
    assert_rejected(project, f"""
        test_meta: {{test_id: BAD-1}}
        steps:
          - name: a
            module: steps.demo
            function: Produce
            timeout: {value}
        """,
        f"recipes/bad.yaml:6: steps[0].timeout: {value} is not a finite number; JSON has no "
        "infinity or NaN: give a number, or quote it if it is text")


def test_a_timeout_longer_than_a_week_is_refused(project):
    assert_rejected(project, """
        test_meta: {test_id: BAD-1}
        steps:
          - name: a
            module: steps.demo
            function: Produce
            retry: {max: 2, delay_sec: 1.0e+300}
        """,
        "recipes/bad.yaml:6: steps[0].retry.delay_sec: 1e+300 is over the limit of 86,400; "
        "give a smaller value (seconds, for timeout and delay_sec)")


@pytest.mark.parametrize("args", ['["a\\0b"]', '{name: "a\\0b"}'])
def test_a_nul_byte_in_a_shell_steps_args_is_refused(project, args):
    project.script("scripts/ok.sh", "#!/bin/sh\necho '{\"status\": \"ok\"}'\n")
    where = "[0]" if args.startswith("[") else ".name"
    assert_rejected(project, f"""
        test_meta: {{test_id: BAD-1}}
        steps:
          - name: a
            type: shell
            script: scripts/ok.sh
            args: {args}
        """,
        f"recipes/bad.yaml:6: steps[0].args{where}: the text holds a NUL character (\\0); "
        "remove it: no file name, argument or environment variable can hold one")


def test_a_yaml_only_type_is_refused(project):
    assert_rejected(project, """
        test_meta: {test_id: BAD-1}
        steps:
          - name: a
            module: steps.demo
            function: Produce
            args: {value: !!binary aGVsbG8=}
        """,
        "recipes/bad.yaml:6: steps[0].args.value: !!binary is not JSON data; a recipe holds "
        "text, numbers, true/false, null, lists and mappings")


# -- marker names pytest would act on ----------------------------------------------------------

@pytest.mark.parametrize("tag", ["skip", "xfail", "skipif", "parametrize", "usefixtures",
                                 "filterwarnings", "flaky", "timeout"])
def test_a_tag_named_like_a_marker_pytest_acts_on_is_refused(project, tag):
    assert_rejected(project, f"""
        test_meta: {{test_id: BAD-1, tags: [smoke, {tag}]}}
        steps:
          - name: a
            module: steps.demo
            function: Produce
        """,
        f"recipes/bad.yaml:1: test_meta.tags[1]: '{tag}' is a marker pytest or a plugin acts "
        "on; choose another name; use the step fields xfail, timeout, retry... for what those "
        "markers do")


def test_a_marker_starting_with_an_underscore_is_refused(project):
    assert_rejected(project, """
        test_meta: {test_id: BAD-1}
        steps:
          - name: a
            module: steps.demo
            function: Produce
            markers: [slow, __class__]
        """,
        "recipes/bad.yaml:6: steps[0].markers[1]: '__class__' starts with '_', which pytest "
        "refuses in a marker name; choose another name; use the step fields xfail, timeout, "
        "retry... for what those markers do")


# -- success.ctx_schema --------------------------------------------------------------------------

def test_an_invalid_ctx_schema_is_a_collection_error(project):
    assert_rejected(project, """
        test_meta: {test_id: BAD-1}
        steps:
          - name: a
            module: steps.demo
            function: Produce
            success:
              ctx_schema:
                demo.value_v1: {type: notatype}
        """,
        "recipes/bad.yaml:8: steps[0].success.ctx_schema.demo.value_v1.type: not a valid JSON "
        "Schema: 'notatype' is not valid under any of the given schemas; see "
        "https://json-schema.org/understanding-json-schema")


@pytest.mark.parametrize("ref", ["http://127.0.0.1:9/schema.json", "file:///etc/passwd",
                                 "other.json#/defs/x"])
def test_a_ctx_schema_reference_outside_the_schema_is_refused(project, ref):
    assert_rejected(project, f"""
        test_meta: {{test_id: BAD-1}}
        steps:
          - name: a
            module: steps.demo
            function: Produce
            success:
              ctx_schema:
                demo.value_v1:
                  properties:
                    x: {{$ref: "{ref}"}}
        """,
        f"recipes/bad.yaml:10: steps[0].success.ctx_schema.demo.value_v1.properties.x.$ref: "
        f"'{ref}' is not a local reference; a recipe's schemas resolve '#/...' references "
        "only, never the network or files: put the definition under $defs and write $ref: "
        "'#/$defs/NAME'")


def test_a_local_reference_that_resolves_nowhere_fails_the_step_cleanly(project):
    project.recipe("r", "test_meta: {test_id: RF-1}\nsteps:\n"
                   + step("a", args={"value": 1}, success={"ctx_schema": {
                       "demo.value_v1": {"$ref": "#/$defs/missing"}}}))
    result = project.run()
    result.assert_outcomes(failed=1)
    assert_clean(result.stdout.str())
    result.stdout.fnmatch_lines(["*success check ctx_schema: demo.value_v1: the schema's "
                                 "reference cannot be resolved (*); refer to '#/...' only"])


def test_a_local_reference_to_defs_checks_the_value(project):
    schema = {"$defs": {"small": {"type": "integer", "maximum": 3}}, "$ref": "#/$defs/small"}
    project.recipe("r", "test_meta: {test_id: RF-1}\nsteps:\n"
                   + step("a", args={"value": 5}, success={"ctx_schema": {
                       "demo.value_v1": schema}}))
    result = project.run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*success check ctx_schema: demo.value_v1: 5 is greater than "
                                 "the maximum of 3"])


# -- parametrize ---------------------------------------------------------------------------------

ROWS = """
test_meta: {test_id: ROWS-1}
parametrize:
  a: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
  b: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
  c: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
  d: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
  e: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
  f: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
steps:
  - name: a
    module: steps.demo
    function: Produce
"""


def test_a_parametrize_product_past_the_row_limit_is_refused_before_it_is_expanded(project):
    assert_rejected(project, ROWS,
                    "recipes/bad.yaml:2: parametrize: 10 a x 10 b x 10 c x 10 d x 10 e x 10 f "
                    "make 1,000,000 rows, over the limit of 10,000; split the recipe, or raise "
                    "the ini option orchestrator_max_parametrize_rows")


def test_the_row_limit_is_an_ini_option(project):
    project.pytester.makeini("[pytest]\norchestrator_scriptlet_packages = steps\n"
                             "orchestrator_max_parametrize_rows = 3\n")
    project.recipe("r", """
        test_meta: {test_id: ROWS-2}
        parametrize: {dut: [a, b, c, d]}
        steps:
          - name: a
            module: steps.demo
            function: Produce
        """)
    result = project.run("--co")
    result.stdout.fnmatch_lines(["recipes/r.yaml:2: parametrize: 4 dut make 4 rows, over the "
                                 "limit of 3; split the recipe, or raise the ini option "
                                 "orchestrator_max_parametrize_rows"])
    project.pytester.makeini("[pytest]\norchestrator_scriptlet_packages = steps\n"
                             "orchestrator_max_parametrize_rows = 4\n")
    project.run().assert_outcomes(passed=4)


def test_a_row_limit_that_is_not_a_number_is_one_clear_message(project):
    project.pytester.makeini("[pytest]\norchestrator_scriptlet_packages = steps\n"
                             "orchestrator_max_parametrize_rows = lots\n")
    project.recipe("r", GOOD)
    result = project.run()
    result.assert_outcomes(errors=1)
    assert_clean(result.stdout.str())
    result.stdout.fnmatch_lines(["the ini option orchestrator_max_parametrize_rows: invalid "
                                 "literal for int() with base 10: 'lots'; give a whole number "
                                 "of rows, e.g. 100000"])


# -- run time ------------------------------------------------------------------------------------

def test_a_very_long_test_id_and_parametrize_value_run_in_a_bounded_artifact_folder(project):
    test_id, value = "T" * 100_000, "v" * 100_000
    project.recipe("r", f"""
        test_meta: {{test_id: {test_id}}}
        parametrize: {{dut: [{value}]}}
        steps:
          - name: a
            module: steps.demo
            function: Produce
            args: {{value: "${{ARTIFACTS}}"}}
        """)
    result = project.run()
    result.assert_outcomes(passed=1)
    assert_clean(result.stdout.str())
    runs = list((project.root / ".orchestrator" / "artifacts").iterdir())
    (folder,) = [f for f in runs[0].iterdir() if f.name != "logs"]  # logs: the per-step logs
    assert len(folder.name) <= 96 and folder.name.startswith("TTTT")


@pytest.mark.parametrize(("metric", "shown"), [("NaN", "NaN"), ("Infinity", "Infinity"),
                                               ("-1e999", "-Infinity")])
def test_a_non_finite_metric_fails_the_step_naming_it(project, metric, shown):
    stdout = '{"status": "ok", "metrics": {"latency_ms": ' + metric + '}}\n'
    project.recipe("r", "test_meta: {test_id: NAN-1}\nsteps:\n"
                   + step("a", "Echo", args={"stdout": stdout}))
    result = project.run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*step 'a' of NAN-1 failed (exit 1): the envelope's "
                                 f"'metrics.latency_ms' is {shown}, not a finite number; JSON "
                                 "has no NaN or Infinity: report a number, or null"])
    db = project.root / ".orchestrator" / "results.db"
    import sqlite3

    with sqlite3.connect(db) as conn:
        for (envelope,) in conn.execute("SELECT envelope FROM steps"):
            json.loads(envelope, parse_constant=lambda c: pytest.fail(f"{c} in the store"))


def test_an_svg_artifact_that_is_not_utf8_is_linked_with_a_note_in_the_html_report(project):
    project.write("steps/draw.py", """
        from pathlib import Path
        from pytest_orchestrator import BaseScriptlet

        class Draw(BaseScriptlet):
            def run(self, ctx, params):
                bad = Path(params["out"]) / "bad.svg"
                bad.write_bytes(b"<svg>\\xff\\xfe\\x00</svg>")
                good = Path(params["out"]) / "good.svg"
                good.write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
                return self.emit_ok([], artifacts=[str(bad), str(good)])
        """)
    project.recipe("r", "test_meta: {test_id: SVG-1}\nsteps:\n  - {name: draw, "
                   "module: steps.draw, function: Draw, args: {out: '${ARTIFACTS}'}}\n")
    result = project.run("--html=report.html")
    result.assert_outcomes(passed=1)
    assert result.ret == 0
    assert_clean(result.stdout.str() + result.stderr.str())
    assets = {p.name: p.read_bytes() for p in (project.root / "assets").iterdir()}
    notes = [a for a in assets.values() if b"bad.svg (not embedded: not a UTF-8 SVG)" in a]
    assert len(notes) == 1
    assert any(name.endswith(".svg") for name in assets), "the good SVG is embedded"


KILLER = '''
import os, signal, time
from pytest_orchestrator import BaseScriptlet


def gone(pid):
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


class KillServer(BaseScriptlet):
    """Kills the context's Redis server (pid params['pid']) and waits until it is gone."""

    def run(self, ctx, params):
        os.kill(params["pid"], signal.SIGKILL)
        deadline = time.monotonic() + 60  # a hang guard only
        while not gone(params["pid"]) and time.monotonic() < deadline:
            time.sleep(0.01)
        return {"demo.killed_v1": True}
'''


@pytest.fixture
def doomed_redis(tmp_path):
    """A Redis server with a password, of this test alone: (its URL, its process)."""
    with redis_server(tmp_path, password="s3cr3t-pw") as served:
        yield served


def test_a_redis_context_killed_mid_run_fails_the_step_in_one_line_with_the_password_masked(
        project, doomed_redis):
    url, server = doomed_redis
    project.write("steps/killer.py", KILLER)
    project.recipe("r", "test_meta: {test_id: RK-1}\nsteps:\n" + step("before")
                   + f"  - {{name: kill, module: steps.killer, function: KillServer, "
                     f"args: {{pid: {server.pid}}}}}\n"
                   + step("after", args={"key": "demo.after_v1"}, depends_on=[]))
    result = project.run("--orch-context", url, "-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=2)
    output = result.stdout.str() + result.stderr.str()
    assert_clean(output)
    assert "s3cr3t-pw" not in output
    shown = url.replace("s3cr3t-pw", "***")
    result.stdout.fnmatch_lines([
        f"step 'kill' of RK-1 failed (exit 1): context backend {shown} unreachable: *; check "
        "that redis-server is running and reachable, then run again",
        f"step 'after' of RK-1 failed (exit 1): context backend {shown} unreachable: *"])
