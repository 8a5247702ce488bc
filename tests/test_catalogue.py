"""``orchestrator scriptlets [--package PKG] [--check] [--json]``: the catalogue of a user's
scriptlets, read from their docstrings and headers; ``--check`` names what is missing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from pytest_orchestrator.catalogue import docstring_sections, params, shell_header

REPO = Path(__file__).resolve().parents[1]

PROBE = '''
from pytest_orchestrator import BaseScriptlet


class Probe(BaseScriptlet):
    """Ping every link of a device.

    Params:
      device   the device's name.
      retries  how many pings per link (default 3); a link answers
               within them or is down.
    Outputs: links.up_v1 (names), links.rtt_v1 = {link: ms}.
    Exit codes: 0 ok; 3 the device is unknown.
    """

    requires_process = True

    def run(self, ctx, params):
        return {}


class Silent(BaseScriptlet):
    def run(self, ctx, params):
        return {}
'''

HEADER = """#!/usr/bin/env bash
# NAME     flap.sh
# DESC     Flap a link. Then wait for it.
# USAGE    LINK=eth0 steps/sh/flap.sh
# ENV      LINK            the link to flap
#          ORCH_STEP       the step name (from the runner)
# RETURNS  exit 0 + {"status":"ok","set":{"links.flapped_v1":LINK}}
set -eu
"""


def test_scriptlets_lists_each_class_with_its_summary_params_outputs_and_process(project, cli):
    project.write("steps/probe.py", PROBE)
    found = {s["location"]: s for s in json.loads(cli("scriptlets", "--json").stdout)}
    probe = found["steps.probe:Probe"]
    assert (probe["name"], probe["kind"], probe["summary"], probe["requires_process"]) == (
        "Probe", "python", "Ping every link of a device.", True)
    assert probe["params"] == {
        "device": "the device's name.",
        "retries": "how many pings per link (default 3); a link answers within them or is down."}
    assert probe["outputs"] == ["links.up_v1", "links.rtt_v1"]
    assert probe["details"]["Exit codes"] == "0 ok; 3 the device is unknown."
    assert "steps.demo:Produce" in found and "steps.demo:NotAScriptlet" not in found


def test_scriptlets_lists_each_shell_script_with_its_header(project, cli):
    project.script("steps/sh/flap.sh", HEADER)
    project.write("steps/sh/lib/common.sh", "helpers() { :; }\n")
    found = {s["location"]: s for s in json.loads(cli("scriptlets", "--json").stdout)}
    flap = found["steps/sh/flap.sh"]
    assert (flap["name"], flap["kind"], flap["summary"]) == ("flap.sh", "shell", "Flap a link.")
    assert flap["params"] == {"LINK": ""}
    assert flap["outputs"] == ["links.flapped_v1"]
    assert flap["details"]["USAGE"] == "LINK=eth0 steps/sh/flap.sh"
    assert "steps/sh/lib/common.sh" not in found  # a library the scripts source


def test_the_table_has_a_row_per_scriptlet(project, cli):
    project.script("steps/sh/flap.sh", HEADER)
    lines = cli("scriptlets").stdout.splitlines()
    assert lines[0].split() == ["name", "kind", "location", "process", "params", "outputs",
                                "summary"]
    assert [line.split()[:3] for line in lines[1:]] == [
        [name, "python", f"steps.demo:{name}"]
        for name in ("Double", "Echo", "Explode", "Produce", "Refuse", "Seen")
    ] + [["flap.sh", "shell", "steps/sh/flap.sh"]]


def test_check_fails_on_a_headerless_script_one_line_per_problem(project, cli):
    project.script("steps/sh/bare.sh", "#!/bin/sh\n# flaps a link\necho '{}'\n")
    done = cli("scriptlets", "--check", code=1)
    assert done.stdout.splitlines() == [
        "steps/sh/bare.sh: the header has no NAME, DESC, USAGE, RETURNS (start the script "
        "with comment lines '# NAME ...', '# DESC ...', '# USAGE ...', '# RETURNS ...')",
        "7 scriptlets checked: 1 problem"]


def test_check_fails_on_a_script_without_its_run_bit(project, cli):
    project.write("steps/sh/flap.sh", HEADER)  # written, not made executable
    done = cli("scriptlets", "--check", code=1)
    assert done.stdout.splitlines()[0] == ("steps/sh/flap.sh: no run bit (chmod +x "
                                           "steps/sh/flap.sh)")


def test_check_fails_on_a_class_without_a_docstring(project, cli):
    project.write("steps/probe.py", PROBE)
    done = cli("scriptlets", "--check", "--json", code=1)
    assert json.loads(done.stdout) == [
        "steps.probe:Silent: no docstring (say what it does, its params, outputs and exit codes)"]


def test_a_module_that_cannot_be_imported_is_named_and_fails_check(project, cli):
    project.write("steps/broken.py", "raise RuntimeError('no lab here')\n")
    listed = cli("scriptlets")
    assert listed.stderr == ("orchestrator: steps.broken: cannot be imported: RuntimeError: "
                             "no lab here\n")
    assert "Produce" in listed.stdout
    assert cli("scriptlets", "--check", code=1).stdout.startswith(
        "steps.broken: cannot be imported: RuntimeError: no lab here\n")


def test_package_narrows_the_catalogue_to_an_allowed_package(project, cli):
    project.write("steps/more/__init__.py", "")
    project.write("steps/more/probe.py", PROBE)
    found = json.loads(cli("scriptlets", "--package", "steps.more", "--json").stdout)
    assert [s["location"] for s in found] == ["steps.more.probe:Probe", "steps.more.probe:Silent"]
    done = cli("scriptlets", "--package", "os", code=2)
    assert done.stderr.startswith("orchestrator: 'os' is outside the allowed packages (steps)\n")


def test_the_curriculum_passes_check_in_a_users_folder(pytester, cli):
    shutil.copytree(REPO / "scriptlets", pytester.path / "scriptlets",
                    ignore=shutil.ignore_patterns("__pycache__"))
    done = cli("scriptlets", "--check")
    assert done.stdout.endswith(" scriptlets checked: no problems\n")
    found = {s["name"]: s for s in json.loads(cli("scriptlets", "--json").stdout)}
    assert found["PrimeFactorAnalysis"]["requires_process"] is True
    assert found["PrimeFactorAnalysis"]["outputs"] == ["numbers.prime_factors_v1"]
    assert found["sanitize_csv.sh"]["outputs"] == ["files.sanitized_csv_v1"]


def test_docstring_sections_run_to_the_next_section_or_a_blank_line():
    summary, sections = docstring_sections('''Load numbers.

        Params (exactly one of):
          src      a CSV file.
          src_key  a context key
                   naming one.
        Outputs: numbers.raw_v1.

        More prose.
        ''')
    assert summary == "Load numbers."
    assert sections == {"Params": "src      a CSV file.\nsrc_key  a context key\n"
                                  "         naming one.", "Outputs": "numbers.raw_v1."}
    assert params(sections["Params"]) == {"src": "a CSV file.",
                                          "src_key": "a context key naming one."}


def test_a_header_field_may_have_a_colon_and_continue_on_deeper_lines_until_the_code():
    header = shell_header("#!/bin/sh\n\n# NAME: x.sh\n# DESC:  one\n#        two\n\n"
                          "#        not a continuation\n# USAGE x\nset -e\n# RETURNS 0\n")
    assert header == {"NAME": "x.sh", "DESC": "one\ntwo", "USAGE": "x"}
