"""The project boundary (SPEC 10): a recipe cannot make an interpreter load code through the
environment, and no step writes or deletes outside the project or the run's artifact folder
through the framework or the curriculum's scriptlets, whatever the current directory."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

from conftest import QUIET_PLUGINS
from pytest_orchestrator.safety import LOADER_ENV, env_refusal, project_path

ROOT = Path(__file__).resolve().parents[1]

GOOD = """
test_meta: {test_id: GOOD-1}
steps:
  - name: fine
    module: steps.demo
    function: Produce
"""


# -- environment variables that load code --------------------------------------------------------

@pytest.mark.parametrize(("name", "shown", "why"), [
    ("BASH_ENV", "BASH_ENV", "bash runs the file it names before the script"),
    ("env", "ENV", "sh and ksh run the file it names at start-up"),
    ("ld_preload", "LD_PRELOAD", "the dynamic loader (LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT...) "
                                 "loads the libraries it names"),
    ("LD_AUDIT", "LD_AUDIT", "the dynamic loader (LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT...) "
                             "loads the libraries it names"),
    ("BASH_FUNC_ls", "BASH_FUNC_LS", "bash imports it as a shell function"),
    ("PYTHONSTARTUP", "PYTHONSTARTUP", "Python runs the file it names (interactive sessions)"),
    ("PERL5OPT", "PERL5OPT", "perl takes it as command-line options (-M loads a module)"),
    ("NODE_OPTIONS", "NODE_OPTIONS", "node takes it as command-line options (--require loads "
                                     "a file)"),
    ("PATH", "PATH", "changes which programs run"),
    ("ORCH_RUN_ID", "ORCH_RUN_ID", "the runner's own variables (ORCH_RUN_ID, ORCH_ARTIFACTS...) "
                                   "are set for every step"),
])
def test_an_arg_that_would_make_an_interpreter_load_code_is_refused(project, name, shown, why):
    project.script("scripts/ok.sh", "#!/bin/sh\necho '{\"status\": \"ok\"}'\n")
    project.recipe("good", GOOD)
    project.recipe("bad", f"""
        test_meta: {{test_id: BAD-1}}
        steps:
          - name: a
            type: shell
            script: scripts/ok.sh
            args:
              src: data.csv
              {name}: /tmp/evil
        """)
    result = project.run("--continue-on-collection-errors")
    result.assert_outcomes(passed=1, errors=1)
    assert "Traceback" not in result.stdout.str()
    result.stdout.fnmatch_lines([
        f"recipes/bad.yaml:8: steps[[]0[]].args.{name}: a step cannot set ${shown}: {why}; "
        "remove it from args; a script that needs it sets it itself (the list: "
        "docs/scriptlets.md, 'Environment variables')"])


def test_every_refused_variable_is_documented():
    docs = (ROOT / "docs" / "scriptlets.md").read_text(encoding="utf-8")
    missing = [name for name in LOADER_ENV if f"`{name}`" not in docs]
    assert not missing


@pytest.mark.parametrize("name", ["SRC", "OUT_DIR", "LOGLEVEL", "DUT", "PYTHONHASHSEED"])
def test_an_ordinary_variable_is_not_refused(name):
    assert env_refusal(name) == ""


# -- writes and deletes stay inside the project, run from a parent folder ------------------------

CURRICULUM = """
from scriptlets.steps.cache_numbers import CacheNumbers
from scriptlets.steps.cleanup_intermediate import CleanupIntermediate
from scriptlets.steps.inject_failure import InjectFailure
from scriptlets.steps.normalize_numbers import NormalizeNumbers
"""


@pytest.fixture
def lab(pytester: pytest.Pytester) -> Path:
    """``<tmp>/lab``, a project using the curriculum's scriptlets and shell scripts; pytest
    runs from ``<tmp>`` (its parent), which holds a file a step must never delete."""
    lab = pytester.path / "lab"
    for relpath, text in {"pytest.ini": "[pytest]\norchestrator_scriptlet_packages = steps\n",
                          "steps/__init__.py": "", "steps/curriculum.py": CURRICULUM,
                          "data/numbers.csv": "value\n1\n2\n3\n", "keep.tmp": "mine"}.items():
        (lab / relpath).parent.mkdir(parents=True, exist_ok=True)
        (lab / relpath).write_text(textwrap.dedent(text))
    shutil.copytree(ROOT / "scriptlets" / "shell", lab / "shell")
    (pytester.path / "victim.tmp").write_text("not the project's")
    return lab


def run_in_parent(pytester: pytest.Pytester, lab: Path, step: str) -> pytest.RunResult:
    (lab / "recipes").mkdir(exist_ok=True)
    (lab / "recipes" / "r.yaml").write_text(
        "test_meta: {test_id: EDGE-1}\nsteps:\n" + textwrap.indent(textwrap.dedent(step), "  "))
    assert Path.cwd() == pytester.path  # the parent of the project
    return pytester.runpytest(*QUIET_PLUGINS, "lab/recipes/r.yaml", "-p", "no:cacheprovider")


def test_cleanup_from_a_parent_folder_refuses_a_dir_outside_the_project(pytester, lab):
    result = run_in_parent(pytester, lab, """
        - name: clean
          module: steps.curriculum
          function: CleanupIntermediate
          args: {dir: "${ROOTDIR}/..", patterns: ["*.tmp"]}
        """)
    result.assert_outcomes(failed=1)
    assert (pytester.path / "victim.tmp").read_text() == "not the project's"
    result.stdout.fnmatch_lines([f"*ValueError: refusing to clean: dir '{lab}/..' is outside "
                                 f"the project ({lab} or {lab}/.orchestrator/artifacts/*)"])


def test_cleanup_of_a_relative_dir_cleans_the_project_not_the_current_directory(
        pytester, lab):
    result = run_in_parent(pytester, lab, """
        - name: clean
          module: steps.curriculum
          function: CleanupIntermediate
          args: {dir: ".", patterns: ["*.tmp"]}
        """)
    result.assert_outcomes(passed=1)
    assert (pytester.path / "victim.tmp").exists()
    assert not (lab / "keep.tmp").exists()


@pytest.mark.parametrize(("step", "refused"), [
    ("""
     - name: normalize
       module: steps.curriculum
       function: NormalizeNumbers
       args: {src: "${ROOTDIR}/data/numbers.csv", out_dir: "${ROOTDIR}/../out"}
     """, "out_dir '{lab}/../out' is outside the project"),
    ("""
     - name: cache
       module: steps.curriculum
       function: CacheNumbers
       args: {src: "${ROOTDIR}/data/numbers.csv", cache_dir: "../out"}
     """, "cache_dir '../out' is outside the project"),
    ("""
     - name: inject
       module: steps.curriculum
       function: InjectFailure
       requires_process: true
       args: {enabled: false, state_file: "${ROOTDIR}/../out/calls.json"}
     """, "state_file '{lab}/../out/calls.json' is outside the project"),
    ("""
     - name: sanitize
       type: shell
       script: shell/sanitize_csv.sh
       args: {src: "${ROOTDIR}/data/numbers.csv", out_dir: "${ROOTDIR}/../out"}
     """, "OUT_DIR '{lab}/../out' is outside the project"),
])
def test_a_curriculum_scriptlet_writes_nothing_outside_the_project(pytester, lab, step,
                                                                    refused):
    result = run_in_parent(pytester, lab, step)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*{refused.format(lab=lab)} (*"])
    assert not (pytester.path / "out").exists()
    assert "Traceback" not in result.stdout.str().split("scriptlet traceback")[0]


def test_the_curriculum_writes_where_the_recipe_says_inside_the_project(pytester, lab):
    result = run_in_parent(pytester, lab, """
        - name: normalize
          module: steps.curriculum
          function: NormalizeNumbers
          args: {src: "${ROOTDIR}/data/numbers.csv", out_dir: "${ARTIFACTS}"}
        - name: cache
          module: steps.curriculum
          function: CacheNumbers
          args: {src: "${ROOTDIR}/data/numbers.csv"}
        """)
    result.assert_outcomes(passed=2)
    assert list(lab.glob(".orchestrator/artifacts/*/EDGE-1/normalized.json"))
    assert list((lab / ".orchestrator" / "cache" / "numbers").glob("*.json"))
    assert not (pytester.path / ".orchestrator").exists()


def test_a_path_is_inside_the_project_or_the_artifact_folder(tmp_path):
    env = {"ORCH_ROOTDIR": str(tmp_path / "lab"), "ORCH_ARTIFACTS": str(tmp_path / "arts")}
    assert project_path("x/y", "out", env) == tmp_path / "lab" / "x" / "y"
    assert project_path(tmp_path / "arts" / "a", "out", env) == tmp_path / "arts" / "a"
    (tmp_path / "lab").mkdir()
    (tmp_path / "lab" / "link").symlink_to(tmp_path)
    for outside in ("../x", "/etc/x", "link/x"):
        with pytest.raises(ValueError, match=f"out '{outside}' is outside the project"):
            project_path(outside, "out", env)


def test_a_shared_namespace_named_dot_dot_keeps_its_artifacts_in_the_run_folder(project):
    project.recipe("r", """
        test_meta: {test_id: DOTS-1}
        context: shared:..
        steps:
          - name: a
            module: steps.demo
            function: Produce
            args: {value: "${ARTIFACTS}"}
        """)
    project.run().assert_outcomes(passed=1)
    (run,) = (project.root / ".orchestrator" / "artifacts").iterdir()
    (folder,) = [f for f in run.iterdir() if f.name != "logs"]  # logs: the per-step logs
    assert folder.name.startswith("..-")
