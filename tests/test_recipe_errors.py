"""Bad recipes never run and never crash the plugin: each is ONE collection error of its file,
naming the file, the line, the field and what to do, and the other recipes still run."""

from __future__ import annotations

import pytest

# hypothesis's plugin, when installed, re-imports hypothesis in every in-process run (~1 s)
FAST = ("-p", "no:hypothesispytest")

GOOD = """
test_meta: {test_id: GOOD-1}
steps:
  - name: fine
    module: steps.demo
    function: Produce
"""


def literal(line: str) -> str:
    """An fnmatch pattern matching exactly ``line`` (recipe messages are full of [0] and ?)."""
    return line.replace("[", "[[]").replace("?", "[?]").replace("*", "[*]")


def run_beside_a_good_recipe(project, text: str) -> pytest.RunResult:
    """Collect recipes/bad.yaml next to a valid recipe; the valid one must still pass."""
    project.recipe("good", GOOD)
    project.recipe("bad", text)
    result = project.run("--continue-on-collection-errors", *FAST)
    result.assert_outcomes(passed=1, errors=1)
    output = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in output
    # the only mention of the package allowed is the public class a scriptlet derives from
    assert "pytest_orchestrator" not in output.replace("pytest_orchestrator.BaseScriptlet", "")
    assert output.count("recipes/bad.yaml:") == 1, "one message, once"
    return result


def assert_rejected(project, text: str, message: str) -> pytest.RunResult:
    result = run_beside_a_good_recipe(project, text)
    result.stdout.fnmatch_lines(["*ERROR collecting recipes/bad.yaml*", literal(message)])
    return result


# -- YAML and the shape of the document ------------------------------------------------------

def test_a_yaml_syntax_error_names_the_line_and_what_the_parser_expected(project):
    assert_rejected(project, """
        test_meta: {test_id: BAD-1
        steps:
          - name: a
        """,
        "recipes/bad.yaml:2: YAML syntax error: did not find expected ',' or '}' (while "
        "parsing a flow mapping from line 1); check the indentation and quoting on that line")


def test_a_tab_in_the_indentation_is_a_syntax_error_on_its_line(project):
    assert_rejected(project, "test_meta: {test_id: BAD-1}\nsteps:\n  - name: a\n\tmodule: x\n",
                    "recipes/bad.yaml:4: YAML syntax error: found a tab character that violates "
                    "indentation (while scanning a plain scalar from line 3); check the "
                    "indentation and quoting on that line")


def test_a_python_tag_is_refused_not_constructed(project):
    assert_rejected(project, """
        test_meta: {test_id: BAD-1}
        steps:
          - name: a
            module: steps.demo
            function: Produce
            args: !!python/object/apply:os.system ["touch pwned"]
        """,
        "recipes/bad.yaml:6: YAML syntax error: could not determine a constructor for the tag "
        "'tag:yaml.org,2002:python/object/apply:os.system'; a recipe holds plain data: remove "
        "the '!' tag")
    assert not (project.root / "pwned").exists()


@pytest.mark.parametrize(("text", "message"), [
    ("", "recipes/bad.yaml:1: the recipe is empty, not a mapping; a recipe is a mapping with "
         "'test_meta' and 'steps'"),
    ("- load\n- mean\n", "recipes/bad.yaml:1: the recipe is a list, not a mapping; a recipe is "
                         "a mapping with 'test_meta' and 'steps'"),
    ("test_meta: {test_id: BAD-1}\n", "recipes/bad.yaml:1: recipe: missing required field "
                                      "'steps'; add 'steps'"),
    ("test_meta: {test_id: BAD-1}\nsteps: []\n", "recipes/bad.yaml:2: steps: must not be "
                                                 "empty; list at least one entry"),
], ids=["empty", "a-list", "no-steps", "steps-empty"])
def test_a_recipe_that_is_not_a_mapping_of_steps_is_rejected(project, text, message):
    assert_rejected(project, text, message)


def test_a_file_that_is_not_utf8_is_rejected_not_crashed_on(project):
    project.recipe("good", GOOD)
    (project.root / "recipes" / "bad.yaml").write_bytes(b"\xff\xfetest_meta: {}\n")
    result = project.run("--continue-on-collection-errors", *FAST)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines([literal(
        "recipes/bad.yaml:1: the recipe is not UTF-8 text (invalid start byte at byte 0); "
        "save the file as UTF-8")])
    assert "Traceback" not in result.stdout.str()


def test_a_yaml_alias_nested_in_itself_is_rejected_not_recursed_into(project):
    assert_rejected(project, """
        test_meta: {test_id: BAD-1}
        steps:
          - name: a
            module: steps.demo
            function: Produce
            args: &loop {again: *loop}
        """,
        "recipes/bad.yaml:6: steps[0].args.again: a YAML alias that contains itself; an anchor "
        "can be reused, not nested inside itself")


def test_a_missing_test_id_names_test_meta(project):
    assert_rejected(project, """
        test_meta: {tester: alice}
        steps:
          - name: a
            module: steps.demo
            function: Produce
        """,
        "recipes/bad.yaml:1: test_meta: missing required field 'test_id'; add 'test_id'")


# -- schema: unknown fields, types, names ------------------------------------------------------

def test_a_typo_in_depends_on_suggests_the_right_field(project):
    assert_rejected(project, """
        test_meta: {test_id: BAD-1}
        steps:
          - name: load
            module: steps.demo
            function: Produce
          - name: mean
            module: steps.demo
            function: Double
            depend_on: [load]
        """,
        "recipes/bad.yaml:9: steps[1].depend_on: unknown field; did you mean 'depends_on'?")


def test_a_step_field_at_the_top_level_suggests_where_it_belongs(project):
    assert_rejected(project, """
        test_meta: {test_id: BAD-1}
        depend_on: [load]
        steps:
          - name: load
            module: steps.demo
            function: Produce
        """,
        "recipes/bad.yaml:2: depend_on: unknown field; did you mean 'depends_on'? It is a step "
        "field: put it under a step, or under 'defaults' for every step")


def test_a_typo_in_a_top_level_field_suggests_the_right_one(project):
    assert_rejected(project, """
        test_meta: {test_id: BAD-1}
        step:
          - name: load
            module: steps.demo
            function: Produce
        """,
        "recipes/bad.yaml:2: step: unknown field (and 1 more problem); did you mean 'steps'?")


def test_a_typo_inside_retry_suggests_the_right_field(project):
    assert_rejected(project, """
        test_meta: {test_id: BAD-1}
        steps:
          - name: load
            module: steps.demo
            function: Produce
            retry: {max: 2, delay: 1}
        """,
        "recipes/bad.yaml:6: steps[0].retry.delay: unknown field; did you mean 'delay_sec'?")


@pytest.mark.parametrize(("field", "message"), [
    ("timeout: soon", 'steps[0].timeout: expected a number, got "soon"; give the number of '
                      "seconds, e.g. 30"),
    ("timeout: 2024-01-01", 'steps[0].timeout: expected a number, got "2024-01-01"; give the '
                            "number of seconds, e.g. 30"),
    ("parallel: maybe", 'steps[0].parallel: expected a boolean, got "maybe"'),
    ("depends_on: start", 'steps[0].depends_on: expected an array, got "start"; write a list: '
                          "[start]"),
    ("retry: 3", "steps[0].retry: expected an object, got 3"),
], ids=["timeout-word", "timeout-date", "parallel", "depends_on-string", "retry"])
def test_a_field_of_the_wrong_type_names_the_type_it_wants(project, field, message):
    assert_rejected(project, f"""
        test_meta: {{test_id: BAD-1}}
        steps:
          - name: load
            module: steps.demo
            function: Produce
            {field}
        """, f"recipes/bad.yaml:6: {message}")


@pytest.mark.parametrize("name", ["load numbers", "1abc", "load-numbers"])
def test_a_step_name_that_is_not_an_identifier_is_rejected(project, name):
    assert_rejected(project, f"""
        test_meta: {{test_id: BAD-1}}
        steps:
          - name: {name}
            module: steps.demo
            function: Produce
        """,
        f'recipes/bad.yaml:3: steps[0].name: "{name}" is not a valid step name; use letters, '
        "digits and '_', not starting with a digit")


@pytest.mark.parametrize(("top", "fields", "message"), [
    ("test_meta: {test_id: NUM 12}", "", '1: test_meta.test_id: "NUM 12" is not a valid test_id; '
                                         "use letters, digits, '_', '.' and '-', e.g. NUM-012"),
    ("context: global", "", '2: context: "global" is not a context mode; use \'isolated\' or '
                            "'shared:<name>'"),
    ("defaults: {idx: 1}", "", "2: defaults: 'name' and 'idx' cannot have defaults; set them on "
                               "each step"),
    ("", "module: steps/demo.py\n", '5: steps[0].module: "steps/demo.py" is not a dotted module '
                                    "name; e.g. scriptlets.steps.load_numbers"),
    ("", "markers: [slow-ish]\n", '6: steps[0].markers[0]: "slow-ish" is not a valid marker '
                                  "name; use letters, digits and '_', not starting with a digit"),
], ids=["test_id", "context", "defaults-idx", "module", "marker"])
def test_a_value_a_field_does_not_accept_says_what_it_accepts(project, top, fields, message):
    text = "test_meta: {test_id: BAD-1}\n" if not top.startswith("test_meta") else ""
    if not fields.startswith("module"):
        fields = "module: steps.demo\n" + fields
    text += f"{top}\nsteps:\n  - name: a\n" + "".join(
        f"    {line}\n" for line in [*fields.splitlines(), "function: Produce"])
    assert_rejected(project, text, f"recipes/bad.yaml:{message}")


def test_a_key_written_twice_names_both_lines(project):
    assert_rejected(project, """
        test_meta: {test_id: BAD-1}
        steps:
          - name: a
            module: steps.demo
            function: Produce
            args: {key: demo.value_v1}
            function: Double
        """,
        "recipes/bad.yaml:7: steps[0].function: given twice (first at line 5); keep one: YAML "
        "would silently use the last")


def test_a_key_brought_by_a_yaml_merge_may_be_overridden(project):
    project.recipe("merge", """
        test_meta: {test_id: MERGE-1}
        steps:
          - name: a
            module: steps.demo
            function: Produce
            args: &common {key: demo.value_v1, value: 1}
          - name: b
            module: steps.demo
            function: Produce
            args:
              <<: *common
              key: demo.other_v1
        """)
    project.run(*FAST).assert_outcomes(passed=2)


def test_a_misspelled_step_type_suggests_the_right_one(project):
    assert_rejected(project, """
        test_meta: {test_id: BAD-1}
        steps:
          - name: load
            type: pyhton
            module: steps.demo
            function: Produce
        """,
        "recipes/bad.yaml:4: steps[0].type: \"pyhton\" is not one of python, shell, exec; "
        "did you mean 'python'?")


# -- names and the DAG -----------------------------------------------------------------------

def test_a_duplicate_step_name_names_both_lines(project):
    assert_rejected(project, """
        test_meta: {test_id: BAD-1}
        steps:
          - name: load
            module: steps.demo
            function: Produce
          - name: mean
            module: steps.demo
            function: Double
          - name: load
            module: steps.demo
            function: Produce
        """,
        "recipes/bad.yaml:9: steps[2].name: duplicate step name 'load' (first at line 3); "
        "give every step its own name")


def test_an_unknown_dependency_suggests_the_step_meant(project):
    assert_rejected(project, """
        test_meta: {test_id: BAD-1}
        steps:
          - name: load_numbers
            module: steps.demo
            function: Produce
          - name: mean
            module: steps.demo
            function: Double
            depends_on:
              - load_number
        """,
        "recipes/bad.yaml:10: steps[1].depends_on[0]: unknown step 'load_number'; did you mean "
        "'load_numbers'?")


def test_a_dependency_cycle_is_named_step_by_step(project):
    assert_rejected(project, """
        test_meta: {test_id: BAD-1}
        steps:
          - name: a
            module: steps.demo
            function: Produce
            depends_on: [b]
          - name: b
            module: steps.demo
            function: Produce
            depends_on: [a]
        """,
        "recipes/bad.yaml:6: steps[0].depends_on[0]: dependency cycle a -> b -> a; remove one "
        "of these depends_on entries")


def test_a_cycle_through_implicit_dependencies_explains_them(project):
    assert_rejected(project, """
        test_meta: {test_id: BAD-1}
        steps:
          - name: a
            module: steps.demo
            function: Produce
            depends_on: [c]
          - name: b
            module: steps.demo
            function: Produce
          - name: c
            module: steps.demo
            function: Produce
        """,
        "recipes/bad.yaml:6: steps[0].depends_on[0]: dependency cycle a -> c -> b -> a; remove "
        "one of these depends_on entries (a step without depends_on depends on the step before "
        "it)")


def test_a_step_that_depends_on_itself_is_a_cycle(project):
    assert_rejected(project, """
        test_meta: {test_id: BAD-1}
        steps:
          - name: a
            module: steps.demo
            function: Produce
            depends_on: [a]
        """,
        "recipes/bad.yaml:6: steps[0].depends_on[0]: dependency cycle a -> a; remove one of "
        "these depends_on entries")


# -- python steps: the allow-list and the class ------------------------------------------------

@pytest.mark.parametrize("missing", ["module", "function"])
def test_a_python_step_without_module_or_function_says_both_are_needed(project, missing):
    fields = {"module": "steps.demo", "function": "Produce"}
    del fields[missing]
    lines = "".join(f"    {k}: {v}\n" for k, v in fields.items())
    assert_rejected(project, "test_meta: {test_id: BAD-1}\nsteps:\n  - name: a\n" + lines,
                    f"recipes/bad.yaml:3: steps[0]: missing field '{missing}'; a python step "
                    "names its scriptlet with 'module' and 'function' (python is the default "
                    "type)")


def test_a_python_step_with_a_list_of_args_asks_for_a_mapping(project):
    assert_rejected(project, """
        test_meta: {test_id: BAD-1}
        steps:
          - name: a
            module: steps.demo
            function: Produce
            args: [demo.value_v1, 1]
        """,
        "recipes/bad.yaml:6: steps[0].args: a python step takes its args as a mapping of "
        "params; write args: {name: value, ...}")


@pytest.mark.parametrize("module", ["intruder", "steps_intruder"])
def test_a_module_outside_the_allow_list_is_never_imported(project, module):
    project.write(f"{module}.py", """
        from pathlib import Path
        Path(__file__).with_name("IMPORTED").write_text("imported")
        print("INTRUDER IMPORTED")
        """)
    result = assert_rejected(project, f"""
        test_meta: {{test_id: BAD-1}}
        steps:
          - name: a
            module: {module}
            function: Produce
        """,
        f"recipes/bad.yaml:4: steps[0].module: '{module}' is outside the allowed packages "
        "(steps); add its package to the ini option orchestrator_scriptlet_packages")
    assert not (project.root / "IMPORTED").exists()
    assert "INTRUDER IMPORTED" not in result.stdout.str()


@pytest.mark.parametrize(("function", "kind"), [
    ("NotAScriptlet", "a class that does not derive from BaseScriptlet"),
    ("not_a_class", "a function, not a scriptlet class")])
def test_a_function_that_is_not_a_scriptlet_class_is_rejected(project, function, kind):
    assert_rejected(project, f"""
        test_meta: {{test_id: BAD-1}}
        steps:
          - name: a
            module: steps.demo
            function: {function}
        """,
        f"recipes/bad.yaml:5: steps[0].function: 'steps.demo.{function}' is {kind}; "
        "derive it from pytest_orchestrator.BaseScriptlet")


def test_a_missing_class_names_the_scriptlets_that_exist(project):
    project.write("steps/pair.py", """
        from pytest_orchestrator import BaseScriptlet


        class Ping(BaseScriptlet):
            def run(self, ctx, params):
                return 0


        class Pong(BaseScriptlet):
            def run(self, ctx, params):
                return 0


        class Helper:
            pass
        """)
    assert_rejected(project, """
        test_meta: {test_id: BAD-1}
        steps:
          - name: a
            module: steps.pair
            function: Pnig
        """,
        "recipes/bad.yaml:5: steps[0].function: module 'steps.pair' has no class 'Pnig' (scriptlets "
        "there: Ping, Pong)")


def test_a_module_that_does_not_exist_is_named(project):
    assert_rejected(project, """
        test_meta: {test_id: BAD-1}
        steps:
          - name: a
            module: steps.nothere
            function: Produce
        """,
        "recipes/bad.yaml:4: steps[0].module: module 'steps.nothere' cannot be imported (No module "
        "named 'steps.nothere'); is its package importable from the rootdir?")


def test_a_module_that_raises_on_import_shows_the_error_not_a_traceback(project):
    project.write("steps/broken.py", "raise RuntimeError('no lab here')\n")
    assert_rejected(project, """
        test_meta: {test_id: BAD-1}
        steps:
          - name: a
            module: steps.broken
            function: Produce
        """,
        "recipes/bad.yaml:4: steps[0].module: importing module 'steps.broken' raised RuntimeError: "
        "no lab here")


# -- shell steps: scripts and their environment ------------------------------------------------

@pytest.mark.parametrize("script", ["../outside.sh", "/bin/sh", "scripts/link.sh"],
                         ids=["parent", "absolute", "symlink-out"])
def test_a_script_outside_the_project_is_refused(project, script):
    outside = project.root.parent / "outside.sh"
    outside.write_text("#!/bin/sh\necho '{\"status\": \"ok\"}'\n")
    (project.root / "scripts").mkdir()
    (project.root / "scripts" / "link.sh").symlink_to(outside)
    assert_rejected(project, f"""
        test_meta: {{test_id: BAD-1}}
        steps:
          - name: a
            type: shell
            script: {script}
        """,
        f"recipes/bad.yaml:5: steps[0].script: '{script}' is outside the project "
        f"({project.root}); copy the script into the project and name it by a path relative "
        "to the rootdir")


def test_a_missing_script_says_paths_are_relative_to_the_rootdir(project):
    assert_rejected(project, """
        test_meta: {test_id: BAD-1}
        steps:
          - name: a
            type: shell
            script: scripts/nope.sh
        """,
        "recipes/bad.yaml:5: steps[0].script: 'scripts/nope.sh' does not exist; paths are "
        "relative to the rootdir")


@pytest.mark.parametrize("name", ["not-a-name", "1st"])
def test_shell_args_that_cannot_be_environment_variables_are_rejected(project, name):
    project.script("scripts/ok.sh", "#!/bin/sh\necho '{\"status\": \"ok\"}'\n")
    assert_rejected(project, f"""
        test_meta: {{test_id: BAD-1}}
        steps:
          - name: a
            type: shell
            script: scripts/ok.sh
            args:
              {name}: /tmp
        """,
        f"recipes/bad.yaml:7: steps[0].args.{name}: '{name}' cannot be an environment variable "
        "name; shell args become variables: use letters, digits and '_'")


# -- placeholders ------------------------------------------------------------------------------

def test_an_unknown_placeholder_names_the_arg_and_the_known_ones(project):
    assert_rejected(project, """
        test_meta: {test_id: BAD-1}
        steps:
          - name: a
            module: steps.demo
            function: Produce
            args:
              key: demo.value_v1
              src: ${FOO}/numbers.csv
        """,
        "recipes/bad.yaml:8: steps[0].args.src: unknown placeholder ${FOO}; use ${ROOTDIR}, "
        "${DATA}, ${ARTIFACTS}, ${RUN_ID}, ${env:NAME} or ${param:NAME}")


def test_an_unknown_placeholder_in_a_success_path_names_the_entry(project):
    assert_rejected(project, """
        test_meta: {test_id: BAD-1}
        steps:
          - name: a
            module: steps.demo
            function: Produce
            success:
              files_exist:
                - ${ARTIFACTS}/ok.json
                - ${ARTIFACT}/typo.json
        """,
        "recipes/bad.yaml:9: steps[0].success.files_exist[1]: unknown placeholder ${ARTIFACT}; "
        "use ${ROOTDIR}, ${DATA}, ${ARTIFACTS}, ${RUN_ID}, ${env:NAME} or ${param:NAME}")


@pytest.mark.parametrize(("parametrize", "known"), [("", "none"),
                                                    ("parametrize: {dut: [leaf1]}\n", "dut")])
def test_a_param_placeholder_needs_a_parametrize_key(project, parametrize, known):
    assert_rejected(project, "test_meta: {test_id: BAD-1}\n" + parametrize + """steps:
  - name: a
    module: steps.demo
    function: Produce
    args: {host: "${param:x}"}
""", f"recipes/bad.yaml:{6 + bool(parametrize)}: steps[0].args.host: ${{param:x}} names no "
     f"parametrize key (known: {known}); add it under 'parametrize'")


# -- a gap: errors found after loading (allow-list, class, script) name the step, not the field

def test_an_allow_list_error_names_the_module_field_and_its_line(project):
    assert_rejected(project, """
        test_meta: {test_id: BAD-1}
        steps:
          - name: a
            module: intruder
            function: Produce
        """,
        "recipes/bad.yaml:4: steps[0].module: 'intruder' is outside the allowed packages "
        "(steps); add its package to the ini option orchestrator_scriptlet_packages")


def test_a_script_that_escapes_the_project_through_a_placeholder_never_runs(project):
    marker = project.root.parent / "escaped.txt"
    project.root.parent.joinpath("escape.sh").write_text(
        f"#!/bin/sh\ntouch {marker}\necho '{{\"status\": \"ok\"}}'\n")
    project.root.parent.joinpath("escape.sh").chmod(0o755)
    project.recipe("bad", """
        test_meta: {test_id: BAD-1}
        steps:
          - name: a
            type: exec
            script: ${ROOTDIR}/../escape.sh
        """)
    result = project.run(*FAST)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*failed (exit 126): script '*/../escape.sh' is outside the "
                                 "project*"])
    assert not marker.exists()


def test_the_shipped_schema_validator_is_generated_from_the_current_schema():
    from pytest_orchestrator import _recipe_validator, schema

    assert schema.schema_digest() == _recipe_validator.SCHEMA_SHA256, \
        "recipe.schema.json changed: run python -m pytest_orchestrator.schema"
