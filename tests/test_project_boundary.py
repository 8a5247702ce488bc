"""The project boundary (SPEC 10): a recipe cannot make an interpreter load code through the
environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from pytest_orchestrator.safety import LOADER_ENV, env_refusal

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
    (folder,) = run.iterdir()
    assert folder.name.startswith("..-")
