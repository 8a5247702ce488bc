"""generate_report run standalone, as a user runs it: a Jinja2 template rendered from a context
into a Markdown report, and a clear error for every input it cannot use."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "templates" / "report_template.md"
SUMMARY_V2 = {"count": 12, "mean": 14.125, "median": 11.25, "min": 3, "max": 42, "sum": 169.5,
              "range": 39, "variance": 104.421875, "std": 10.218702}


def generate(project: Path, params: dict[str, Any],
             context: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """`python -m scriptlets.steps.generate_report` in ``project`` (a copy of the template in
    it), seeded with ``context``; returns (envelope, exit code)."""
    if not (project / "templates").exists():
        (project / "templates").mkdir()
        shutil.copy(TEMPLATE, project / "templates")
    seed = project / "context.json"
    seed.write_text(json.dumps(context))
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ORCH_")}
    environ["PYTHONPATH"] = os.pathsep.join([str(ROOT), environ.get("PYTHONPATH", "")])
    proc = subprocess.run([sys.executable, "-m", "scriptlets.steps.generate_report",
                           "--params", json.dumps(params), "--context", str(seed)],
                          cwd=project, env=environ, capture_output=True, text=True, timeout=60)
    lines = proc.stdout.splitlines()
    assert len(lines) == 1, proc.stdout + proc.stderr
    return json.loads(lines[0]), proc.returncode


def test_the_default_template_renders_the_numbers_of_the_context(tmp_path):
    context = {"metrics.summary_v2": SUMMARY_V2,
               "cache.numbers_hash_v1": "b527d6cb62c2" + "0" * 52, "cache.numbers_hit_v1": True,
               "_runner.step_metrics_v1": {
                   "load_numbers": {"duration": 0.25, "cpu_user": 0.125, "executor": "inprocess",
                                    "start": "2026-12-02T10:00:00.000Z"},
                   "compute_mean": {"cache_hit": True, "executor": "inprocess",
                                    "start": "2026-12-02T10:00:01.000Z"}}}
    env, code = generate(tmp_path, {"out_dir": "out", "title": "Lab 4 numbers"}, context)
    assert code == 0, env
    report = tmp_path / "out" / "report.md"
    assert env["outputs"] == ["report.path_v1"]
    assert env["artifacts"] == [str(report)]
    text = report.read_text()
    assert text.startswith("# Lab 4 numbers\n")
    assert "| 12 | 14.125 | 11.25 | 10.2187 | 3 | 42 | 39 | 169.5 |" in text
    assert "`b527d6cb62c2` was\nseen before: a cache hit." in text
    steps = text.split("## Steps", 1)[1]
    assert "| `load_numbers` | inprocess | 250.0 | 125.0 | 0.0 | 1 |\n" \
           "| `compute_mean` | inprocess | cached | \u2013 | \u2013 | \u2013 |\n" in steps


def test_an_optional_section_is_left_out_when_its_key_was_not_written(tmp_path):
    env, code = generate(tmp_path, {"out_dir": "out"}, {"metrics.summary_v2": SUMMARY_V2})
    assert code == 0, env
    text = (tmp_path / "out" / "report.md").read_text()
    assert "## Summary of the numbers" in text
    assert "## Prime factors" not in text and "## Cache" not in text


def test_a_missing_input_names_the_key_the_template_line_and_the_step_that_writes_it(tmp_path):
    env, code = generate(tmp_path, {"out_dir": "out"}, {"metrics.summary_v1": {"count": 3}})
    line = 1 + TEMPLATE.read_text().splitlines().index(
        next(x for x in TEMPLATE.read_text().splitlines() if "{{ summary.count }}" in x))
    assert code == 2
    assert env["reason"] == (f"missing input metrics.summary_v2 (templates/report_template.md:"
                             f"{line}): it is written by compute_metrics_v2; run that step "
                             "before this one (depends_on)")
    assert env["details"] == {"key": "metrics.summary_v2", "produced_by": "compute_metrics_v2",
                              "template": "templates/report_template.md", "line": line}
    assert not (tmp_path / "out").exists()


def test_a_key_no_curriculum_scriptlet_writes_is_named_as_such(tmp_path):
    (tmp_path / "lab.md").write_text("# Uptime\n\n{{ lab.device.uptime_v1 }} s\n")
    env, code = generate(tmp_path, {"out_dir": "out", "template": "lab.md"},
                         {"lab.device.name_v1": "leaf1"})
    assert code == 2
    assert env["reason"] == ("missing input lab.device.uptime_v1 (lab.md:3): no curriculum "
                             "scriptlet writes it; a step before this one must")


def test_a_users_template_gets_nested_keys_and_the_whole_context(tmp_path):
    (tmp_path / "lab.md").write_text(
        "{{ lab.device.uptime_v1 }} s on {{ recipe }}\n"
        "{% for key, value in context | dictsort %}{{ key }}={{ value }};{% endfor %}\n")
    env, code = generate(tmp_path, {"out_dir": "out", "template": "lab.md", "name": "up.md"},
                         {"lab.device.uptime_v1": 86400, "lab.name_v1": "leaf1"})
    assert code == 0, env
    assert (tmp_path / "out" / "up.md").read_text() == (
        "86400 s on standalone\nlab.device.uptime_v1=86400;lab.name_v1=leaf1;\n")


def test_a_template_syntax_error_names_the_template_and_its_line(tmp_path):
    (tmp_path / "bad.md").write_text("# Report\n\n{% if %}\n")
    env, code = generate(tmp_path, {"out_dir": "out", "template": "bad.md"}, {})
    assert code == 1
    assert env["reason"].startswith("template bad.md:3: TemplateSyntaxError: ")


def test_a_template_or_an_out_dir_outside_the_project_is_refused(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / "elsewhere.md").write_text("hello\n")
    env, code = generate(project, {"template": "../elsewhere.md", "out_dir": "out"}, {})
    assert code == 1 and "is outside the project" in env["reason"]
    assert env["reason"].startswith("ValueError: template ")
    env, code = generate(project, {"out_dir": str(tmp_path / "out")}, {})
    assert code == 1 and env["reason"].startswith("ValueError: out_dir ")
    assert not (tmp_path / "out").exists()


def test_secret_named_keys_are_masked_in_the_report_wherever_their_value_appears(tmp_path):
    (tmp_path / "lab.md").write_text("{{ dev.password_v1 }} / {{ dev.note_v1 }}\n")
    env, code = generate(tmp_path, {"out_dir": "out", "template": "lab.md"},
                         {"dev.password_v1": "hunter-2291", "dev.note_v1": "pw hunter-2291"})
    assert code == 0, env
    assert (tmp_path / "out" / "report.md").read_text() == "*** / pw ***\n"
