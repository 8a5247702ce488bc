"""Reports of a stored run as people open them: our HTML run report through an HTML parser,
the Markdown with its Mermaid DAG, the Word document through python-docx, a lab's own
templates, ``--orch-report`` at the end of a session, and one clear error for bad input."""

from __future__ import annotations

import base64
import re
import sqlite3
from html.parser import HTMLParser

import pytest

from conftest import orchestrator, step

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA"
                       "60e6kgAAAABJRU5ErkJggg==")
PLOT = '''
import sys
from pathlib import Path
from pytest_orchestrator import BaseScriptlet


class Plot(BaseScriptlet):
    """Draws plot.png, writes table.csv, reports a metric."""

    def run(self, ctx, params):
        out = Path(params["out"])
        (out / "plot.png").write_bytes(bytes.fromhex(params["png"]))
        (out / "table.csv").write_text("a,b\\n1,2\\n")
        ctx.set("plot.path_v1", str(out / "plot.png"))
        print("drew the plot with token", params["api_token"], file=sys.stderr)
        return self.emit_ok(["plot.path_v1"], artifacts=[str(out / "plot.png"),
                                                          str(out / "table.csv")],
                            metrics={"points": 42})
'''
#: produce -> (plot, refuse in parallel) -> double (skipped: refuse failed) -> cleanup (finally)
RECIPE = ("test_meta: {test_id: LAB-7, description: Lab pipeline}\nsteps:\n"
          + step("produce", args={"value": 21})
          + "  - {name: plot, module: steps.plot, function: Plot, parallel: true,\n"
            "     args: {out: '${ARTIFACTS}', png: '" + PNG.hex() + "', api_token: s3cr3t-771}}\n"
          + step("refuse", "Refuse", parallel=True)
          + step("double", "Double")
          + step("cleanup", "Seen", **{"finally": True, "args": {"key": "demo.clean_v1"}}))
STEPS = ["produce", "plot", "refuse", "double", "cleanup"]


class Checked(HTMLParser):
    """An HTML parser that also checks every element it opens is closed, in order."""

    VOID = frozenset({"meta", "br", "img", "input", "link", "hr", "path", "rect", "wbr"})

    def __init__(self) -> None:
        super().__init__()
        self.open: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if tag not in self.VOID:
            self.open.append(tag)

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_endtag(self, tag):
        assert self.open and self.open[-1] == tag, f"</{tag}> closes <{self.open[-1:]}>"
        self.open.pop()

    def handle_data(self, data):
        self.text.append(data)


def parsed(html: str) -> Checked:
    checker = Checked()
    checker.feed(html)
    checker.close()
    assert checker.open == [], checker.open
    return checker


@pytest.fixture
def lab(project):
    """A project whose store holds one run of LAB-7: 3 passed, 1 failed, 1 skipped."""
    project.write("steps/plot.py", PLOT)
    project.recipe("lab", RECIPE)
    project.run().assert_outcomes(passed=3, failed=1, skipped=1)
    return project


def test_the_html_report_is_well_formed_self_contained_and_shows_every_step(lab):
    orchestrator(lab.root, "report")
    html = (lab.root / "report.html").read_text()
    page = parsed(html)
    text = "".join(page.text)
    for name in STEPS:
        assert f'data-step="{name}"' in html and name in text
    assert "Statistics by recipe" in text and "LAB-7" in text
    assert sum(tag == "svg" for tag, _ in page.tags) == 1
    external = [a for tag, attrs in page.tags for k, a in attrs.items()
                if k in ("src", "href") and a and re.match(r"(https?:)?//", a)]
    assert external == [] and not any(tag == "link" for tag, _ in page.tags)
    assert ("body", {"class": "failing"}) in page.tags


def test_each_step_expands_to_its_envelope_context_diff_stderr_metrics_and_artifacts(lab):
    orchestrator(lab.root, "report", "-o", "out/report.html")
    html = (lab.root / "out" / "report.html").read_text()
    page = parsed(html)
    details = [attrs.get("id") for tag, attrs in page.tags if tag == "details"]
    assert len(details) == len(STEPS)
    opened = [attrs["id"] for tag, attrs in page.tags if tag == "details" and "open" in attrs]
    assert len(opened) == 1  # the failed step, opened for the reader
    assert "Too few numbers (min=5)" in html  # refuse's reason
    assert "&#34;status&#34;: &#34;ok&#34;" in html or "&quot;status&quot;: &quot;ok&quot;" in html
    assert "<code>demo.value_v1</code>" in html and "<pre>21</pre>" in html  # context diff
    assert "drew the plot with token ***" in html and "s3cr3t-771" not in html
    assert "<th>points</th><td>42.0</td>" in html
    images = [attrs["src"] for tag, attrs in page.tags if tag == "img"]
    assert images == ["data:image/png;base64," + base64.b64encode(PNG).decode()]
    links = [attrs["href"] for tag, attrs in page.tags if tag == "a"]
    assert any(link.endswith("/LAB-7/table.csv") for link in links)
    log = next(link for link in links if link.endswith("produce.log"))
    assert log.startswith("../.orchestrator/artifacts/")  # relative to the report
    assert "produced" in (lab.root / "out" / log).read_text()  # what produce printed


def test_orch_report_writes_the_run_report_at_the_end_of_the_session(project):
    project.recipe("lab", "test_meta: {test_id: END-1}\nsteps:\n" + step("produce"))
    result = project.run("--orch-report", "reports/run.html")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*orchestrator run report: *reports/run.html*"])
    html = (project.root / "reports" / "run.html").read_text()
    run_id = sqlite3.connect(project.root / ".orchestrator" / "results.db").execute(
        "SELECT run_id FROM runs").fetchone()[0]
    assert run_id in html and 'data-step="produce"' in html and "ALL STEPS PASSED" in html


def test_orch_report_with_the_store_off_says_it_needs_the_store(project):
    project.recipe("lab", "test_meta: {test_id: END-2}\nsteps:\n" + step("produce"))
    result = project.run("--orch-report", "run.html", "--orch-db", "off")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--orch-report writes the run report from the results store: "
                                 "it cannot be used with --orch-db off"])


def test_the_markdown_report_embeds_the_dag_as_mermaid_and_lists_the_failure(lab):
    orchestrator(lab.root, "report", "--format", "md", "-o", "report.md")
    markdown = (lab.root / "report.md").read_text()
    block = re.search(r"```mermaid\n(.*?)```", markdown, re.S)
    assert block is not None
    assert set(re.findall(r"s_(\w+) --> s_(\w+)", block.group(1))) == {
        ("produce", "plot"), ("produce", "refuse"), ("plot", "double"), ("refuse", "double"),
        ("double", "cleanup")}
    for name in STEPS:
        assert re.search(rf"^\| \d \| {name} \|", markdown, re.M)
    assert "### ❌ refuse\n\nToo few numbers (min=5)" in markdown
    assert "**1 STEP FAILED**" in markdown


def test_the_word_report_has_the_run_each_step_and_the_dag_picture(lab):
    import docx

    orchestrator(lab.root, "report", "--format", "docx", "-o", "report.docx")
    document = docx.Document(str(lab.root / "report.docx"))
    paragraphs = [p.text for p in document.paragraphs]
    assert "Run report" in paragraphs and "LAB-7: FAIL" in paragraphs
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    for name in STEPS:
        assert name in cells
    assert "1 FAILED · 5 steps in 1 recipe" in cells
    assert len(document.inline_shapes) == 1  # the recipe's DAG
    assert "refuse: failed" in paragraphs and "Too few numbers (min=5)" in paragraphs


def test_a_labs_own_markdown_template_is_used(lab):
    lab.write("templates/lab.md", """
        Lab report for {{ run.run_id }} ({{ run.status }})
        {% for step in steps %}
        - {{ step.name }}: {{ step.outcome }}{{ " %s" % step.metrics if step.metrics }}
        {% endfor %}
        keys: {{ context["LAB-7"]|list|sort|join(", ") }}
        """)
    orchestrator(lab.root, "report", "--format", "md", "--template", "templates/lab.md",
                 "-o", "lab.md")
    run_id = sqlite3.connect(lab.root / ".orchestrator" / "results.db").execute(
        "SELECT run_id FROM runs").fetchone()[0]
    assert (lab.root / "lab.md").read_text() == (
        f"Lab report for {run_id} (failed)\n- produce: passed\n- plot: passed {{'points': 42.0}}\n"
        "- refuse: failed\n- double: skipped\n- cleanup: passed\n"
        "keys: demo.clean_v1, demo.value_v1, plot.path_v1\n")


def test_a_labs_own_word_template_is_used(lab):
    import docx

    template = docx.Document()
    template.add_paragraph("ACME lab · run {{ run.run_id }}")
    template.add_paragraph("{%p for step in steps %}")
    template.add_paragraph("{{ step.name }} => {{ step.outcome }}")
    template.add_paragraph("{%p endfor %}")
    template.save(str(lab.root / "acme.docx"))
    orchestrator(lab.root, "report", "--format", "docx", "--template", "acme.docx",
                 "-o", "acme-report.docx")
    paragraphs = [p.text for p in docx.Document(str(lab.root / "acme-report.docx")).paragraphs]
    assert paragraphs[0].startswith("ACME lab · run ")
    assert [p for p in paragraphs if "=>" in p] == [
        "produce => passed", "plot => passed", "refuse => failed", "double => skipped",
        "cleanup => passed"]


def test_a_variable_a_template_does_not_have_is_an_error_naming_template_line_and_name(lab):
    lab.write("bad.md", "# {{ run.run_id }}\n\n{{ run.operator }}\n")
    done = orchestrator(lab.root, "report", "--format", "md", "--template", "bad.md", code=2)
    assert done.stderr.startswith("orchestrator: template bad.md, line 3: 'dict object' has no "
                                  "attribute 'operator'")
    assert not (lab.root / "report.md").exists()
    lab.write("broken.md", "{% for step in steps %}\n")
    assert "template broken.md, line 1" in orchestrator(
        lab.root, "report", "--format", "md", "--template", "broken.md", code=2).stderr


def test_a_word_template_that_is_not_a_word_file_is_one_clear_error(lab):
    lab.write("fake.docx", "not a zip")
    done = orchestrator(lab.root, "report", "--format", "docx", "--template", "fake.docx",
                        code=2)
    assert done.stderr.startswith("orchestrator: fake.docx: not a Word document")


def test_no_store_no_run_or_an_unknown_run_is_one_message_and_exit_code_2(tmp_path, lab):
    assert "no results store at" in orchestrator(tmp_path, "report", code=2).stderr
    done = orchestrator(lab.root, "report", "--run", "zzz", code=2)
    assert done.stderr.startswith("orchestrator: no run 'zzz' in ")
    assert "no template at" in orchestrator(lab.root, "report", "--template", "none.j2",
                                            code=2).stderr


def test_any_stored_run_can_be_reported_by_its_id(lab):
    lab.run("-k", "produce").assert_outcomes(passed=1)
    db = sqlite3.connect(lab.root / ".orchestrator" / "results.db")
    first, second = [r[0] for r in db.execute("SELECT run_id FROM runs ORDER BY started")]
    orchestrator(lab.root, "report", "--run", first[:-2], "-o", "first.html")
    orchestrator(lab.root, "report", "-o", "latest.html")
    assert first in (lab.root / "first.html").read_text()
    latest = (lab.root / "latest.html").read_text()
    assert second in latest and 'data-step="refuse"' not in latest


def test_a_run_recorded_before_the_dag_columns_is_reported_with_its_steps(tmp_path):
    from pytest_orchestrator.store import ResultsStore, StepRecord

    with ResultsStore(tmp_path / ".orchestrator" / "results.db") as store:
        store.begin_run("old-run", args=[], host="h", git_rev="", started="2026-01-01T00:00:00Z")
        for name in ("load", "stats"):
            store.record_step(StepRecord("old-run", "OLD-1", "OLD-1", name, f"o::{name}",
                                         "passed", envelope={"status": "ok"}))
        store.finish_run("old-run", "passed", "2026-01-01T00:00:01Z")
    db = sqlite3.connect(tmp_path / ".orchestrator" / "results.db")
    with db:
        db.execute("UPDATE steps SET depends_on = NULL, rank = NULL")
    orchestrator(tmp_path, "report", "--format", "md")
    assert "| 2 | stats |" in (tmp_path / "report.md").read_text()


def test_a_parametrized_rows_log_file_is_linked_from_its_step(project):
    project.recipe("par", "test_meta: {test_id: PAR-2}\nparametrize: {dut: [leaf 1]}\n"
                          "steps:\n" + step("produce"))
    project.run().assert_outcomes(passed=1)
    [folder] = (project.root / ".orchestrator" / "artifacts").iterdir()
    assert (folder / "logs" / "PAR-2" / "produce[leaf_1].log").is_file()
    orchestrator(project.root, "report")
    page = parsed((project.root / "report.html").read_text())
    links = [attrs["href"] for tag, attrs in page.tags if tag == "a"]
    assert any(link.endswith("/logs/PAR-2/produce%5Bleaf_1%5D.log") for link in links)
