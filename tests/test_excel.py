"""``orchestrator export --xlsx``, as a person gets it: pytest runs a few recipes, the console
command writes the workbook, and openpyxl (what a script or Excel would read) opens it; the
charts are checked in the workbook's own XML parts, since openpyxl does not load charts."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
import zipfile
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from xml.etree import ElementTree

import openpyxl
import pytest

from conftest import QUIET_PLUGINS, SCRIPTLETS, step
from pytest_orchestrator.store import ResultsStore, StepRecord

MEASURE = '''
from pytest_orchestrator import BaseScriptlet


class Measure(BaseScriptlet):
    """Emits the metrics it is given, and writes params['key'] = params['value']."""

    def run(self, ctx, params):
        ctx.set(params["key"], params["value"])
        return self.emit_ok([params["key"]], metrics=params["metrics"])
'''
TOKEN = "tok-s3cr3t-7731"


def measure_step(name: str, **args: object) -> str:
    return (f"  - name: {name}\n    module: steps.measure\n    function: Measure\n"
            f"    args: {json.dumps(args)}\n")


LINK = ("test_meta: {test_id: XL-1}\nsteps:\n"
        + step("login", "Produce", args={"key": "auth.api_token_v1", "value": TOKEN})
        + measure_step("measure", key="link.speed_v1", value={"mbps": 940, "site": "Zürich"},
                       metrics={"throughput_mbps": 940.5, "latency_ms": 1.25})
        + step("refuse", "Refuse")
        + step("after", "Seen")
        + step("seen", "Seen", depends_on=[], cache_key="auto")
        + step("odd", "Refuse", depends_on=[],
               args={"reason": "=HYPERLINK(\"http://x\") \x1b[31mred\x1b[0m \x07bell"}))
DUTS = ("test_meta: {test_id: XL-2}\nparametrize: {dut: [leaf1, leaf2]}\nsteps:\n"
        + measure_step("probe", key="dut.name_v1", value="${param:dut}",
                       metrics={"throughput_mbps": 512.0}))


def orchestrator(cwd: Path, *args: str, code: int = 0) -> str:
    done = subprocess.run([sys.executable, "-m", "pytest_orchestrator", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == code, done.stderr
    return done.stdout if code == 0 else done.stderr


def pytest_run(root: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly",
                           *QUIET_PLUGINS, "recipes"], cwd=root, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "PYTEST_ADDOPTS": ""})
    assert "2 failed, 5 passed, 1 skipped" in done.stdout, done.stdout + done.stderr


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """A project run twice by pytest (one recipe with a failure, one parametrized), and the
    workbook of its latest run."""
    root = tmp_path_factory.mktemp("lab")
    files = {"pytest.ini": "[pytest]\norchestrator_scriptlet_packages = steps\n",
             "steps/__init__.py": "", "steps/demo.py": SCRIPTLETS,
             "steps/measure.py": MEASURE, "recipes/link.yaml": LINK, "recipes/duts.yaml": DUTS}
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text), encoding="utf-8")
    for _ in range(2):
        pytest_run(root)
    runs = json.loads(orchestrator(root, "runs", "--json"))
    log = root / ".orchestrator/artifacts" / runs[0]["run_id"] / "logs/XL-1/refuse.log"
    log.parent.mkdir(parents=True, exist_ok=True)  # the run may have written it already
    log.write_text("refused: too few numbers\n", encoding="utf-8")
    (root / "out").mkdir()
    printed = orchestrator(root, "export", "--xlsx", "out/run.xlsx")
    return SimpleNamespace(root=root, xlsx=root / "out/run.xlsx", printed=printed,
                           runs=[r["run_id"] for r in runs])


@pytest.fixture(scope="module")
def book(lab: SimpleNamespace) -> openpyxl.Workbook:
    return openpyxl.load_workbook(lab.xlsx)


def table(ws) -> list[dict[str, object]]:
    """A sheet's table (header in row 1) as dicts, only its first block of columns."""
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[0][:rows[0].index(None)] if None in rows[0] else rows[0])
    return [dict(zip(header, row[:len(header)], strict=True)) for row in rows[1:]
            if row[0] is not None]


def charts(xlsx: Path) -> dict[str, list[tuple[str, str]]]:
    """Sheet name -> its charts as (kind, title), following the package's own relationships:
    workbook -> worksheet -> drawing -> chart part."""
    ns = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
          "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
          "p": "http://schemas.openxmlformats.org/package/2006/relationships",
          "c": "http://schemas.openxmlformats.org/drawingml/2006/chart",
          "a": "http://schemas.openxmlformats.org/drawingml/2006/main"}
    with zipfile.ZipFile(xlsx) as z:
        def rels(part: str) -> dict[str, str]:
            folder, name = part.rsplit("/", 1)
            tree = ElementTree.fromstring(z.read(f"{folder}/_rels/{name}.rels"))
            return {r.get("Id"): target[1:] if target.startswith("/")  # from the package root
                    else os.path.normpath(f"{folder}/{target}")
                    for r in tree.findall("p:Relationship", ns) if (target := r.get("Target"))}

        book_rels = rels("xl/workbook.xml")
        found: dict[str, list[tuple[str, str]]] = {}
        for sheet in ElementTree.fromstring(z.read("xl/workbook.xml")).iter(f"{{{ns['m']}}}sheet"):
            part = book_rels[sheet.get(f"{{{ns['r']}}}id")]
            drawing = ElementTree.fromstring(z.read(part)).find("m:drawing", ns)
            found[sheet.get("name")] = []
            if drawing is None:
                continue
            drawing_part = rels(part)[drawing.get(f"{{{ns['r']}}}id")]
            for chart_part in rels(drawing_part).values():
                chart = ElementTree.fromstring(z.read(chart_part))
                plot = chart.find("c:chart/c:plotArea", ns)
                kind = next(el.tag.split("}")[1] for el in plot if el.tag.endswith("Chart"))
                title = "".join(t.text or "" for t in chart.find("c:chart/c:title", ns)
                                .iter(f"{{{ns['a']}}}t"))
                found[sheet.get("name")].append((kind, title))
    return found


def test_the_workbook_has_a_summary_steps_metrics_context_runs_and_analysis_sheet(lab, book):
    assert book.sheetnames == ["Summary", "Steps", "Metrics", "Context", "Runs", "Analysis"]
    assert lab.printed.startswith(f"wrote out/run.xlsx: run {lab.runs[0]} (failed), 8 steps")


def test_each_sheet_carries_its_own_native_charts(lab):
    assert charts(lab.xlsx) == {
        "Summary": [("barChart", "Steps per recipe by outcome")],
        "Steps": [],
        "Metrics": [("barChart", "Slowest steps (wall time)"), ("barChart", "throughput_mbps")],
        "Context": [],
        "Runs": [("lineChart", "Run duration"), ("barChart", "Steps per run by outcome")],
        "Analysis": []}


def test_the_steps_sheet_has_every_step_with_its_outcome_and_reason(book):
    steps = {(s["recipe"], s["row"], s["step"]): s for s in table(book["Steps"])}
    assert {key: s["outcome"] for key, s in steps.items()} == {
        ("XL-1", None, "login"): "passed", ("XL-1", None, "measure"): "passed",
        ("XL-1", None, "refuse"): "failed", ("XL-1", None, "after"): "skipped",
        ("XL-1", None, "odd"): "failed", ("XL-1", None, "seen"): "passed",
        ("XL-2", "leaf1", "probe"): "passed", ("XL-2", "leaf2", "probe"): "passed"}
    refused = steps["XL-1", None, "refuse"]
    assert refused["reason"] == "Too few numbers (min=5)" and refused["exit code"] == 1
    measured = steps["XL-1", None, "measure"]
    assert measured["executor"] == "inprocess" and measured["attempts"] == 1
    assert 1 < measured["peak RSS"] < 10_000  # megabytes, not bytes
    assert isinstance(measured["started (UTC)"], datetime)
    assert (measured["cached"], steps["XL-1", None, "seen"]["cached"]) == (None, "yes")


def test_the_steps_table_is_filtered_frozen_and_coloured_by_outcome(book):
    ws = book["Steps"]
    assert ws.auto_filter.ref == "A1:P9"
    assert ws.freeze_panes == "A2"
    header = [c.value for c in ws[1]]
    assert ws.cell(1, 1).fill.fgColor.rgb.endswith("1F3864") and ws.cell(1, 1).font.bold
    assert ws.cell(2, header.index("duration") + 1).number_format == '0.000" s"_M'
    assert ws.cell(2, header.index("peak RSS") + 1).number_format == '#,##0.0" MB"_M'
    rules = {(str(cf.sqref), rule.type, tuple(rule.formula), rule.dxf.fill.bgColor.rgb[-6:])
             for cf in ws.conditional_formatting for rule in cf.rules}
    assert ("D2:D9", "cellIs", ('"failed"',), "FFC7CE") in rules
    assert ("D2:D9", "cellIs", ('"passed"',), "C6EFCE") in rules
    assert ("A2:P9", "expression", ('OR($D2="failed",$D2="error")',), "FDE9EC") in rules
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1


def test_columns_are_wide_enough_for_their_header_and_values(book):
    ws = book["Steps"]
    for cell in ws[1]:
        width = ws.column_dimensions[cell.column_letter].width
        assert width >= len(cell.value), cell.value
    step_width = ws.column_dimensions["C"].width
    assert step_width >= len("measure")


def test_a_step_with_a_log_file_links_to_it_relative_to_the_workbook(lab, book):
    ws = book["Steps"]
    links = {ws.cell(row, 3).value: ws.cell(row, 16).hyperlink
             for row in range(2, ws.max_row + 1)}
    assert links["refuse"].target == f"../.orchestrator/artifacts/{lab.runs[0]}/logs/XL-1/refuse.log"
    assert (lab.xlsx.parent / links["refuse"].target).is_file()
    assert links["measure"] is None


def test_text_that_looks_like_a_formula_or_holds_control_characters_stays_plain_text(book):
    ws = book["Steps"]
    [odd] = [row for row in ws.iter_rows(min_row=2) if row[2].value == "odd"]
    reason = odd[14]
    assert reason.data_type == "s"
    assert reason.value == '=HYPERLINK("http://x") red bell'


def test_the_metrics_sheet_has_one_row_per_declared_metric_value(book):
    rows = {(m["recipe"], m["step"], m["metric"]): m["value"] for m in table(book["Metrics"])}
    assert rows == {("XL-1", "measure", "latency_ms"): 1.25,
                    ("XL-1", "measure", "throughput_mbps"): 940.5,
                    ("XL-2[leaf1]", "probe", "throughput_mbps"): 512.0,
                    ("XL-2[leaf2]", "probe", "throughput_mbps"): 512.0}
    assert book["Metrics"].auto_filter.ref == "A1:D5"


def test_the_context_sheet_lists_the_writes_of_the_run_with_secrets_masked(lab, book):
    writes = {(w["recipe"], w["key"]): w for w in table(book["Context"])}
    assert set(writes) == {("XL-1", "auth.api_token_v1"), ("XL-1", "link.speed_v1"),
                           ("XL-1", "demo.seen_v1"),  # restored by a cache hit, recorded too
                           ("XL-2[leaf1]", "dut.name_v1"), ("XL-2[leaf2]", "dut.name_v1")}
    assert writes["XL-1", "auth.api_token_v1"]["value"] == '"***"'
    assert writes["XL-2[leaf2]", "dut.name_v1"]["value"] == '"leaf2"'
    assert writes["XL-1", "link.speed_v1"]["step"] == "measure"
    assert writes["XL-1", "link.speed_v1"]["value"] == '{"mbps": 940, "site": "Zürich"}'
    with zipfile.ZipFile(lab.xlsx) as z:
        for name in z.namelist():
            assert TOKEN.encode() not in z.read(name), name


def test_the_summary_sheet_tells_the_run_and_counts_its_outcomes(lab, book):
    ws = book["Summary"]
    assert ws["A1"].value == f"Run {lab.runs[0]}"
    facts = {ws.cell(row, 1).value: ws.cell(row, 2).value for row in range(4, 12)}
    assert facts["Status"] == "failed" and facts["pytest args"].endswith("recipes")
    counts = dict(zip([c.value for c in ws[14]], [c.value for c in ws[15]], strict=True))
    assert {k: v for k, v in counts.items() if k} == {
        "steps": 8, "passed": 5, "failed": 2, "error": 0, "skipped": 1, "xfailed": 0,
        "cached": 1}
    recipes = {ws.cell(row, 1).value: (ws.cell(row, 2).value, ws.cell(row, 4).value)
               for row in range(19, 22)}
    assert recipes == {"XL-1": (6, 2), "XL-2[leaf1]": (1, 0), "XL-2[leaf2]": (1, 0)}
    assert ws.page_setup.orientation == "landscape"


def test_the_runs_sheet_shows_the_last_runs_oldest_first(lab, book):
    runs = table(book["Runs"])
    assert [r["run"] for r in runs] == lab.runs[::-1]
    assert [(r["status"], r["steps"], r["failed"], r["cached"]) for r in runs] == [
        ("failed", 8, 2, 0), ("failed", 8, 2, 1)]
    assert all(r["duration"] > 0 for r in runs)


def test_run_takes_a_prefix_and_last_limits_the_runs_sheet(lab, tmp_path):
    older = lab.runs[1]
    out = tmp_path / "older.xlsx"
    orchestrator(lab.root, "export", "--xlsx", str(out), "--run", older[:-2], "--last", "1")
    book = openpyxl.load_workbook(out)
    assert book["Summary"]["A1"].value == f"Run {older}"
    assert [r["run"] for r in table(book["Runs"])] == [older]


def test_errors_are_a_message_and_a_hint_with_exit_code_2(lab, tmp_path):
    assert orchestrator(tmp_path, "export", "--xlsx", "x.xlsx", code=2) == (
        "orchestrator: no results store at .orchestrator/results.db\n"
        "hint: run pytest first, or pass --db PATH\n")
    assert orchestrator(lab.root, "export", "--xlsx", "x.xlsx", "--run", "nope", code=2) == (
        "orchestrator: no run 'nope' in .orchestrator/results.db\n"
        "hint: `orchestrator runs` lists them\n")
    message = orchestrator(lab.root, "export", "--xlsx", "no/such/x.xlsx", code=2)
    assert message.startswith("orchestrator: cannot write no/such/x.xlsx: no folder no/such")
    assert len(message.splitlines()) <= 2
    assert not (lab.root / "x.xlsx").exists()


def test_an_empty_store_is_an_error_and_a_hint(tmp_path):
    ResultsStore(tmp_path / "results.db").close()
    assert orchestrator(tmp_path, "export", "--xlsx", "x.xlsx", "--db", "results.db",
                        code=2) == ("orchestrator: no run in results.db\n"
                                    "hint: run pytest on a recipe first\n")


def test_a_secret_in_a_stored_command_line_is_masked_in_the_summary(tmp_path):
    with ResultsStore(tmp_path / "results.db") as store:
        store.begin_run("r1", args=["--device-password", "pw-99871", "recipes/"], host="h",
                        git_rev="", started="2026-11-23T10:00:00.000Z")
        store.record_step(StepRecord("r1", "A-1", "A-1", "s", "a::s", "passed", duration=0.5))
    orchestrator(tmp_path, "export", "--xlsx", "x.xlsx", "--db", "results.db")
    ws = openpyxl.load_workbook(tmp_path / "x.xlsx")["Summary"]
    args = next(ws.cell(r, 2).value for r in range(4, 12) if ws.cell(r, 1).value == "pytest args")
    assert args == "--device-password *** recipes/"


def test_the_row_and_log_columns_hide_when_no_step_has_one(lab, book, tmp_path):
    shown = book["Steps"].column_dimensions
    assert not shown["B"].hidden and not shown["P"].hidden
    with ResultsStore(tmp_path / "results.db") as store:
        store.begin_run("r1", args=[], host="h", git_rev="", started="2026-11-23T10:00:00.000Z")
        store.record_step(StepRecord("r1", "A-1", "A-1", "s", "a::s", "passed", duration=0.5))
    orchestrator(tmp_path, "export", "--xlsx", "x.xlsx", "--db", "results.db")
    hidden = openpyxl.load_workbook(tmp_path / "x.xlsx")["Steps"].column_dimensions
    assert hidden["B"].hidden and hidden["P"].hidden


def test_a_run_still_going_exports_with_what_it_has_so_far(tmp_path):
    with ResultsStore(tmp_path / "results.db") as store:
        store.begin_run("r1", args=[], host="h", git_rev="abc1234",
                        started="2026-11-23T10:00:00.000Z")
    out = orchestrator(tmp_path, "export", "--xlsx", "x.xlsx", "--db", "results.db", "--json")
    assert json.loads(out) == {"xlsx": "x.xlsx", "run_id": "r1", "steps": 0, "metrics": 0,
                               "context_writes": 0, "runs": 1}
    book = openpyxl.load_workbook(tmp_path / "x.xlsx")
    assert re.match(r"running: 0 steps", book["Summary"]["A2"].value)
    assert book["Steps"].max_row == 1
