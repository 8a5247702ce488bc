"""Cached steps from the user's side: two pytest runs of the same recipe share pytest's cache."""

from __future__ import annotations

from conftest import step

COUNTING = """
from pathlib import Path
from pytest_orchestrator import BaseScriptlet


class Count(BaseScriptlet):
    \"\"\"Sums the numbers of a file, and counts its own runs in runs.log.\"\"\"

    def run(self, ctx, params):
        with open("runs.log", "a") as log:
            log.write(self.step + "\\n")
        numbers = [int(x) for x in Path(params["src"]).read_text().split()]
        return {"demo.total_v1": sum(numbers)}
"""

RECIPE = """
test_meta: {test_id: CA-1}
steps:
  - name: total
    module: steps.count
    function: Count
    args: {src: "${ROOTDIR}/numbers.txt"}
    cache_key: auto
  - name: after
    module: steps.demo
    function: Seen
"""

CHECK = """
def test_total(orchestrator_context):
    print("TOTAL", orchestrator_context.recipe("CA-1").get("demo.total_v1"))
"""


def runs(project) -> int:
    log = project.root / "runs.log"
    return len(log.read_text().split()) if log.exists() else 0


def test_a_cached_step_is_skipped_on_the_second_run_and_its_outputs_are_restored(project):
    project.write("steps/count.py", COUNTING)
    project.write("numbers.txt", "1 2 3\n")
    project.recipe("r", RECIPE)
    project.write("test_zz_check.py", CHECK)
    first = project.run("-v", "-s")
    first.assert_outcomes(passed=3)
    first.stdout.fnmatch_lines(["recipes/r.yaml::total PASSED", "*TOTAL 6*"])
    second = project.run("-v", "-s")
    second.assert_outcomes(passed=3)
    second.stdout.fnmatch_lines(["recipes/r.yaml::total PASSED (cached)", "*TOTAL 6*"])
    assert runs(project) == 1


def test_changing_an_input_file_invalidates_the_cache(project):
    project.write("steps/count.py", COUNTING)
    project.write("numbers.txt", "1 2 3\n")
    project.recipe("r", RECIPE)
    project.write("test_zz_check.py", CHECK)
    project.run().assert_outcomes(passed=3)
    project.write("numbers.txt", "10 20\n")
    result = project.run("-v", "-s")
    result.stdout.fnmatch_lines(["recipes/r.yaml::total PASSED", "*TOTAL 30*"])
    assert runs(project) == 2


def test_changing_the_scriptlet_code_or_an_arg_invalidates_the_cache(project):
    project.write("steps/count.py", COUNTING)
    project.write("numbers.txt", "1 2 3\n")
    project.write("other.txt", "1 2 3\n")
    project.recipe("r", RECIPE)
    project.run().assert_outcomes(passed=2)
    project.write("steps/count.py", COUNTING + "\n# a change\n")
    project.run().assert_outcomes(passed=2)
    assert runs(project) == 2
    project.recipe("r", RECIPE.replace("numbers.txt", "other.txt"))
    project.run().assert_outcomes(passed=2)
    assert runs(project) == 3


def test_cache_clear_empties_the_cache_and_a_string_key_is_used_as_given(project):
    project.write("steps/count.py", COUNTING)
    project.write("numbers.txt", "1 2 3\n")
    project.recipe("r", RECIPE.replace("cache_key: auto", "cache_key: numbers-v1"))
    project.run().assert_outcomes(passed=2)
    project.write("numbers.txt", "5\n")  # a fixed key ignores inputs: still a hit
    project.run("-v").stdout.fnmatch_lines(["*::total PASSED (cached)*"])
    assert runs(project) == 1
    project.run("--cache-clear").assert_outcomes(passed=2)
    assert runs(project) == 2


def test_a_failing_step_is_never_cached(project):
    project.recipe("r", "test_meta: {test_id: CA-2}\nsteps:\n"
                   + step("refuse", "Refuse", cache_key="auto"))
    project.run().assert_outcomes(failed=1)
    project.run().assert_outcomes(failed=1)


def test_dry_run_tells_hit_or_miss_where_it_is_known(project):
    project.write("steps/count.py", COUNTING)
    project.write("numbers.txt", "1 2 3\n")
    project.recipe("r", RECIPE.replace("    function: Seen\n", "    function: Seen\n    cache_key: auto\n"))
    project.run("--dry-run").stdout.fnmatch_lines(["*total  inprocess  cache: miss*",
                                                   "*after  inprocess  cache: auto*"])
    project.run()
    project.run("--dry-run").stdout.fnmatch_lines(["*total  inprocess  cache: hit*"])
    assert runs(project) == 1
