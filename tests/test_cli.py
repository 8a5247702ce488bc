"""The ``orchestrator`` command itself: --version, shell completion, --json and --csv on what it
reads, and one error style."""

from __future__ import annotations

import argparse
import csv
import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest

import pytest_orchestrator
from pytest_orchestrator.cli import build_parser

COMMANDS = ("run", "step", "runs", "show", "diff", "prune", "schema", "ctx", "lint", "new",
            "scriptlets", "completion")


def test_version_names_the_package_and_its_version(project, cli):
    assert cli("--version").stdout == f"orchestrator (pytest-orchestrator) " \
                                      f"{pytest_orchestrator.__version__}\n"


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_the_completion_script_completes_every_subcommand(project, cli, shell):
    script = cli("completion", shell).stdout
    for command in COMMANDS:
        assert command in script
    assert "--format" in script and "github" in script  # options and their choices too


def test_the_bash_completion_script_is_valid_bash(project, cli, tmp_path):
    bash = shutil.which("bash")
    if bash is None:
        pytest.skip("bash is not installed")
    path = tmp_path / "orchestrator.bash"
    path.write_text(cli("completion", "bash").stdout)
    checked = subprocess.run([bash, "-n", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


def fish_completions(script: str, line: str, tmp_path) -> list[str]:
    """What fish offers for ``line`` (the words before the cursor) with ``script`` loaded."""
    fish = shutil.which("fish")
    if fish is None:
        pytest.skip("fish is not installed (apt-get install fish)")
    path = tmp_path / "orchestrator.fish"
    path.write_text(script)
    done = subprocess.run([fish, "--no-config", "-c", f"source {path}; complete -C '{line}'"],
                          capture_output=True, text=True, timeout=60,
                          env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0 and not done.stderr, done.stderr
    return [offer.split("\t")[0] for offer in done.stdout.splitlines()]


def test_the_fish_completion_script_offers_commands_actions_options_and_choices(
        project, cli, tmp_path):
    script = cli("completion", "fish").stdout
    assert set(COMMANDS) <= set(fish_completions(script, "orchestrator ", tmp_path))
    checked = subprocess.run(["fish", "--no-execute"], input=script, text=True,
                             capture_output=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
    assert fish_completions(script, "orchestrator li", tmp_path) == ["lint"]
    assert fish_completions(script, "orchestrator ctx ", tmp_path) == ["dump", "get", "history", "serve", "set"]
    assert fish_completions(script, "orchestrator lint --format ", tmp_path) == [
        "text", "json", "github"]
    assert "--resume-from" in fish_completions(script, "orchestrator run --", tmp_path)


@pytest.fixture
def recorded(project):
    """A project whose results store holds one run of one recipe of two steps."""
    project.recipe("r", """
        test_meta: {test_id: CSV-1}
        steps:
          - {name: first, module: steps.demo, function: Produce, args: {value: "a, \\"b\\""}}
          - {name: second, module: steps.demo, function: Produce, args: {key: demo.more_v1}}
        """)
    project.run().assert_outcomes(passed=2)
    return project


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_csv_tables_parse_with_the_csv_module(recorded, cli):
    [run] = rows(cli("runs", "--csv").stdout)
    assert (run["status"], run["steps"], run["failed"]) == ("passed", "2", "0")
    steps = rows(cli("show", run["run_id"], "--csv").stdout)
    assert [(s["step"], s["outcome"]) for s in steps] == [("first", "passed"),
                                                          ("second", "passed")]
    context = rows(cli("ctx", "dump", "--csv").stdout)
    assert {c["key"]: json.loads(c["value"]) for c in context} == {
        "demo.value_v1": 'a, "b"', "demo.more_v1": 1}
    catalogue = rows(cli("scriptlets", "--csv").stdout)
    assert [c["location"] for c in catalogue][:2] == ["steps.demo:Double", "steps.demo:Echo"]


@pytest.mark.parametrize("command", [
    ["runs", "--json"], ["show", "RUN", "--json"], ["diff", "RUN", "RUN", "--json"],
    ["ctx", "dump", "--json"],
    ["ctx", "history", "--json"], ["scriptlets", "--json"], ["lint", "--format", "json"]])
def test_every_read_command_prints_json_on_request(recorded, cli, command):
    run_id = json.loads(cli("runs", "--json").stdout)[0]["run_id"]
    out = cli(*[run_id if part == "RUN" else part for part in command]).stdout
    assert isinstance(json.loads(out), (list, dict))


def test_ctx_get_json_prints_a_string_as_json(project, cli):
    project.write("snap.json", json.dumps({"demo.name_v1": "leaf1"}))
    assert cli("ctx", "get", "demo.name_v1", "--file", "snap.json").stdout == "leaf1\n"
    assert cli("ctx", "get", "demo.name_v1", "--file", "snap.json", "--json").stdout == \
        '"leaf1"\n'


def test_an_error_is_one_message_then_a_hint_with_exit_code_2(project, cli):
    assert cli("runs", code=2).stderr == ("orchestrator: no results store at "
                                          ".orchestrator/results.db\n"
                                          "hint: run pytest first, or pass --db PATH\n")


@pytest.mark.parametrize(("args", "message"), [
    (["nope"], "orchestrator: argument COMMAND: invalid choice: 'nope'"),
    (["lint", "--format", "xml"], "orchestrator: argument --format: invalid choice: 'xml'"),
    (["new", "scriptlet", "probe"], "orchestrator: the following arguments are required: "
                                    "--package"),
])
def test_a_usage_error_has_the_same_style_and_points_at_the_help(project, cli, args, message):
    err = cli(*args, code=2).stderr.splitlines()
    assert err[0].startswith(message)
    assert err[1].startswith("hint: `orchestrator") and err[1].endswith(" --help` shows the usage")
    assert len(err) == 2


def options(parser: argparse.ArgumentParser, command: tuple[str, ...] = ()):
    """(command words, the spellings of one option) of every option of every subcommand."""
    for action in parser._actions:  # argparse has no public walk of its parsers
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from options(sub, (*command, name))
        elif action.option_strings and "--help" not in action.option_strings:
            yield command, tuple(action.option_strings)


CLI_DOC = (Path(__file__).resolve().parents[1] / "docs" / "cli.md").read_text(encoding="utf-8")


@pytest.mark.parametrize(("command", "spellings"), [
    pytest.param(command, spellings, id=" ".join((*command, spellings[0])))
    for command, spellings in options(build_parser())])
def test_every_option_is_in_its_commands_row_of_the_cli_docs(command, spellings):
    rows = [line for line in CLI_DOC.splitlines()
            if f"`orchestrator {' '.join(command)}".rstrip() in line]
    assert rows, f"no row of docs/cli.md shows `orchestrator {' '.join(command)}`"
    assert any(spelling in row for row in rows for spelling in spellings)
