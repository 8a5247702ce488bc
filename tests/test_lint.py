"""``orchestrator lint``: every check of collection, run without running anything, naming every
problem of every file with its line, as text, JSON or GitHub Actions annotations."""

from __future__ import annotations

import json
import re

import pytest

from pytest_orchestrator.lint import Problem, render

HEAD = "test_meta: {test_id: %s}\nsteps:\n"
PRODUCE = "  - name: %s\n    module: steps.demo\n    function: Produce\n"

#: recipes/<name>.yaml → (its text, the problems lint must name: (line, field, words)).
BROKEN = {
    "01_yaml_syntax": ("test_meta: {test_id: B01\nsteps: []\n",
                       [(2, "", "YAML syntax error")]),
    "02_schema_type": (HEAD % "B02" + PRODUCE % "a" + "    timeout: soon\n",
                       [(6, "steps[0].timeout", 'expected a number, got "soon"')]),
    "03_unknown_field": (HEAD % "B03" + PRODUCE % "a" + "    depend_on: [a]\n",
                         [(6, "steps[0].depend_on", "unknown field")]),
    "04_duplicate_step": (HEAD % "B04" + PRODUCE % "a" + PRODUCE % "a",
                          [(6, "steps[1].name", "duplicate step name 'a' (first at line 3)")]),
    "05_unknown_depends_on": (HEAD % "B05" + PRODUCE % "a" + "    depends_on: [ghost]\n",
                              [(6, "steps[0].depends_on[0]", "unknown step 'ghost'")]),
    "06_cycle": (HEAD % "B06" + PRODUCE % "a" + "    depends_on: [b]\n" + PRODUCE % "b"
                 + "    depends_on: [a]\n",
                 [(6, "steps[0].depends_on[0]", "dependency cycle a -> b -> a")]),
    "07_outside_allow_list": (HEAD % "B07" + "  - name: a\n    module: os.path\n"
                              "    function: join\n",
                              [(4, "steps[0].module", "'os.path' is outside the allowed "
                                                      "packages (steps)")]),
    "08_missing_class": (HEAD % "B08" + "  - name: a\n    module: steps.demo\n"
                         "    function: Missing\n",
                         [(5, "steps[0].function", "has no class 'Missing'")]),
    "09_not_a_scriptlet": (HEAD % "B09" + "  - name: a\n    module: steps.demo\n"
                           "    function: NotAScriptlet\n",
                           [(5, "steps[0].function", "does not derive from BaseScriptlet")]),
    "10_script_outside": (HEAD % "B10" + "  - name: a\n    type: shell\n"
                          "    script: ../outside.sh\n",
                          [(5, "steps[0].script", "'../outside.sh' is outside the project")]),
    "11_missing_script": (HEAD % "B11" + "  - name: a\n    type: shell\n"
                          "    script: sh/missing.sh\n",
                          [(5, "steps[0].script", "'sh/missing.sh' does not exist")]),
    "12_unknown_placeholder": (HEAD % "B12" + PRODUCE % "a" + "    args: {src: '${DATA_DIR}'}\n",
                               [(6, "steps[0].args.src", "unknown placeholder ${DATA_DIR}")]),
    "13_two_problems": (HEAD % "B13" + "  - name: a\n    module: os\n    function: getcwd\n"
                        + PRODUCE % "b" + "    args: {n: '${param:dut}'}\n",
                        [(4, "steps[0].module", "outside the allowed packages"),
                         (9, "steps[1].args.n", "${param:dut} names no parametrize key")]),
    "14_missing_test_id": ("test_meta: {tester: alice}\nsteps:\n" + PRODUCE % "a",
                           [(1, "test_meta", "missing required field 'test_id'")]),
    "15_test_id_taken": (HEAD % "B07" + PRODUCE % "a",
                         [(1, "", "test_id 'B07' is already the test_id of "
                                  "recipes/07_outside_allow_list.yaml")]),
}


@pytest.fixture
def broken(project):
    for name, (text, _) in BROKEN.items():
        project.write(f"recipes/{name}.yaml", text)
    return project


def expected() -> list[tuple[str, int, str]]:
    return [(f"recipes/{name}.yaml", line, field)
            for name, (_, problems) in BROKEN.items() for line, field, _ in problems]


def test_lint_names_every_problem_of_fifteen_broken_recipes_with_its_line(broken, cli):
    found = json.loads(cli("lint", "recipes", "--format", "json", code=1).stdout)
    assert [(p["file"], p["line"], p["field"]) for p in found] == expected()
    words = [w for _, problems in BROKEN.values() for _, _, w in problems]
    for problem, said in zip(found, words, strict=True):
        assert said in problem["message"], problem


def test_the_text_format_is_path_line_field_message_and_hint_then_a_count(broken, cli):
    lines = cli("lint", "recipes", code=1).stdout.splitlines()
    assert len(lines) == len(expected()) + 1
    assert lines[3] == ("recipes/04_duplicate_step.yaml:6: steps[1].name: duplicate step name "
                        "'a' (first at line 3) (give every step its own name)")
    assert lines[5] == ("recipes/06_cycle.yaml:6: steps[0].depends_on[0]: dependency cycle "
                        "a -> b -> a (remove one of these depends_on entries)")
    assert lines[-1] == "15 recipes checked: 16 problems in 15 files"


def test_the_github_format_parses_back_to_the_same_problems(broken, cli):
    annotations = cli("lint", "recipes", "--format", "github", code=1).stdout.splitlines()
    as_json = json.loads(cli("lint", "recipes", "--format", "json", code=1).stdout)
    parsed = [parse_annotation(line) for line in annotations]
    assert parsed == [
        {"file": p["file"], "line": str(p["line"]), "title": p["field"] or "recipe",
         "message": f"{p['message']} ({p['hint']})" if p["hint"] else p["message"]}
        for p in as_json]


def parse_annotation(line: str) -> dict[str, str]:
    """A GitHub Actions ``::error`` workflow command, unescaped as the runner reads it."""
    found = re.fullmatch(r"::error (?P<props>[^:]*)::(?P<message>.*)", line)
    assert found, line
    props = dict(prop.split("=", 1) for prop in found["props"].split(","))
    return {**{k: unescape(v) for k, v in props.items()}, "message": unescape(found["message"])}


def unescape(text: str) -> str:
    for escaped, char in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","),
                          ("%25", "%")):
        text = text.replace(escaped, char)
    return text


def test_github_annotations_escape_what_github_reads_as_syntax():
    problem = Problem("recipes/a,b:c.yaml", 3, "steps[0].args.x", "100% sure\r\nreally", "hint")
    line = problem.github()
    assert line == ("::error file=recipes/a%2Cb%3Ac.yaml,line=3,title=steps[0].args.x::"
                    "100%25 sure%0D%0Areally (hint)")
    assert parse_annotation(line) == {"file": "recipes/a,b:c.yaml", "line": "3",
                                      "title": "steps[0].args.x",
                                      "message": "100% sure\r\nreally (hint)"}


def test_lint_says_what_collection_says_of_each_recipe_with_one_problem(broken, cli):
    """One implementation of each check: the plugin's collection error is lint's first."""
    found = json.loads(cli("lint", "recipes", "--format", "json", code=1).stdout)
    result = broken.run("--co", "--continue-on-collection-errors")
    output = result.stdout.str()
    for problem in found:
        if problem["file"] == "recipes/13_two_problems.yaml":
            continue  # collection names the problem its first failing check finds
        field = f"{problem['field']}: " if problem["field"] else ""
        hint = f"; {problem['hint']}" if problem["hint"] else ""
        said = f"{problem['file']}:{problem['line']}: {field}{problem['message']}{hint}"
        assert said in output


def test_a_folder_of_good_recipes_is_clean(project, cli):
    project.recipe("one", HEAD % "ONE" + PRODUCE % "a")
    project.recipe("two", HEAD % "TWO" + PRODUCE % "a" + PRODUCE % "b")
    done = cli("lint")
    assert done.stdout == "2 recipes checked: no problems\n"
    assert cli("lint", "recipes", "--format", "json").stdout == "[]\n"
    assert cli("lint", "recipes", "--format", "github").stdout == ""


def test_a_yaml_file_named_is_linted_whatever_its_folder(project, cli):
    project.write("elsewhere/check.yml", HEAD % "ELSE" + PRODUCE % "a" + PRODUCE % "a")
    done = cli("lint", "elsewhere/check.yml", code=1)
    assert done.stdout.startswith("elsewhere/check.yml:6: steps[1].name: duplicate step name")
    assert cli("lint", "elsewhere", code=2).stderr.startswith("orchestrator: no recipe in "
                                                              "elsewhere\nhint: ")


def test_a_path_that_does_not_exist_or_is_not_yaml_is_a_usage_error(project, cli):
    assert cli("lint", "nowhere", code=2).stderr == "orchestrator: no such file or folder: nowhere\n"
    project.write("notes.txt", "steps: []\n")
    assert cli("lint", "notes.txt", code=2).stderr == (
        "orchestrator: notes.txt is not a recipe\n"
        "hint: a recipe's file name ends in .yaml or .yml\n")


def test_a_secret_in_a_broken_recipe_is_masked(project, cli):
    project.recipe("secret", "test_meta: {test_id: S}\nparametrize: {password: [[hunter2]]}\n"
                   "steps:\n" + PRODUCE % "a")
    done = cli("lint", code=1)
    assert 'parametrize.password[0]: expected a string or number or boolean, got ["***"]' \
        in done.stdout
    assert "hunter2" not in done.stdout


def test_the_count_line_says_problems_and_files_in_the_singular_too():
    one = Problem("recipes/a.yaml", 1, "", "the recipe is empty, not a mapping")
    assert render([one], "text", 1).splitlines()[-1] == "1 recipe checked: 1 problem in 1 file"


#: Problems the hostile-recipe checks find beyond the schema, several in one step and in one file.
HOSTILE = (HEAD % "HOST" + PRODUCE % "a" + "    timeout: 99999999999\n"
           "    retry: {max: 100000, delay_sec: 1}\n"
           "  - name: b\n    type: shell\n    script: run.sh\n"
           "    args: {PATH: /tmp, LD_PRELOAD: evil.so}\n"
           + PRODUCE % "c" + "    markers: [ok, skipif]\n"
           "    success: {ctx_schema: {demo.value_v1: {$ref: 'http://example.com/s.json'}}}\n")
UNREADABLE_VALUES = (HEAD % "VALS" + PRODUCE % "a" + "    args: {x: .nan, y: 1, y: 2}\n"
                     + PRODUCE % "b" + "    args: {z: -.inf}\n")


def test_lint_names_every_hostile_problem_of_every_step_not_the_first_of_the_file(project, cli):
    project.script("run.sh", "#!/bin/sh\n")
    project.recipe("hostile", HOSTILE)
    project.recipe("values", UNREADABLE_VALUES)
    found = json.loads(cli("lint", "--format", "json", code=1).stdout)
    assert [(p["file"], p["line"], p["field"]) for p in found] == [
        ("recipes/hostile.yaml", 6, "steps[0].timeout"),
        ("recipes/hostile.yaml", 7, "steps[0].retry.max"),
        ("recipes/hostile.yaml", 11, "steps[1].args.PATH"),
        ("recipes/hostile.yaml", 11, "steps[1].args.LD_PRELOAD"),
        ("recipes/hostile.yaml", 15, "steps[2].markers[1]"),
        ("recipes/hostile.yaml", 16, "steps[2].success.ctx_schema.demo.value_v1.$ref"),
        ("recipes/values.yaml", 6, "steps[0].args.x"),
        ("recipes/values.yaml", 6, "steps[0].args.y"),
        ("recipes/values.yaml", 10, "steps[1].args.z")]
    assert [p["message"] for p in found][6:] == [
        ".nan is not a finite number", "given twice (first at line 6)",
        "-.inf is not a finite number"]


def test_collection_still_stops_a_hostile_recipe_at_its_first_problem(project):
    project.script("run.sh", "#!/bin/sh\n")
    project.recipe("hostile", HOSTILE)
    project.recipe("values", UNREADABLE_VALUES)
    lines = project.run("--co").stdout.lines
    assert ("recipes/hostile.yaml:6: steps[0].timeout: 99,999,999,999 is over the limit of "
            "604,800; give a smaller value (seconds, for timeout and delay_sec)") in lines
    assert ("recipes/values.yaml:6: steps[0].args.x: .nan is not a finite number; JSON has no "
            "infinity or NaN: give a number, or quote it if it is text") in lines
    assert not [line for line in lines if "retry.max" in line or "args.z" in line]


def test_lint_uses_the_parametrize_row_limit_of_the_projects_ini(project, cli):
    project.pytester.makeini("[pytest]\norchestrator_scriptlet_packages = steps\n"
                             "orchestrator_max_parametrize_rows = 5\n")
    project.recipe("nine", "test_meta: {test_id: NINE}\nparametrize: {a: [1, 2, 3], "
                   "b: [1, 2, 3]}\nsteps:\n" + PRODUCE % "a")
    project.recipe("four", "test_meta: {test_id: FOUR}\nparametrize: {a: [1, 2], "
                   "b: [1, 2]}\nsteps:\n" + PRODUCE % "a")
    assert cli("lint", code=1).stdout.splitlines() == [
        "recipes/nine.yaml:2: parametrize: 3 a x 3 b make 9 rows, over the limit of 5 (split "
        "the recipe, or raise the ini option orchestrator_max_parametrize_rows)",
        "2 recipes checked: 1 problem in 1 file"]


def test_a_row_limit_that_is_not_a_number_is_one_error_naming_the_ini_option(project, cli):
    project.pytester.makeini("[pytest]\norchestrator_scriptlet_packages = steps\n"
                             "orchestrator_max_parametrize_rows = many\n")
    project.recipe("one", HEAD % "ONE" + PRODUCE % "a")
    assert cli("lint", code=2).stderr == (
        "orchestrator: the ini option orchestrator_max_parametrize_rows: invalid literal for "
        "int() with base 10: 'many'\nhint: give a whole number of rows, e.g. 100000\n")
