"""The DAG picture: levels, parallel groups, finally and exclusive steps in every format
(text, dot, mermaid, svg, png), ``orchestrator graph`` as a user runs it, and the coloured
``step_sequence.svg`` each run leaves in its artifact folder."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from conftest import orchestrator, step
from pytest_orchestrator.recipe import load_recipe
from pytest_orchestrator.reporting.graph import from_recipe, render

SVG = "{http://www.w3.org/2000/svg}"

#: load fans out to three parallel steps, which fan in to aggregate; publish runs alone;
#: cleanup runs whatever happened before it.
FAN = """\
test_meta: {test_id: FAN-1}
steps:
  - {name: load, module: steps.demo, function: Produce}
  - {name: mean, module: steps.demo, function: Double, parallel: true}
  - {name: median, module: steps.demo, function: Double, parallel: true}
  - {name: std, module: steps.demo, function: Double, parallel: true}
  - {name: aggregate, module: steps.demo, function: Seen}
  - {name: publish, module: steps.demo, function: Seen, exclusive: true, args: {key: demo.p_v1}}
  - {name: cleanup, module: steps.demo, function: Seen, finally: true, args: {key: demo.c_v1}}
"""
EDGES = {("load", "mean"), ("load", "median"), ("load", "std"), ("mean", "aggregate"),
         ("median", "aggregate"), ("std", "aggregate"), ("aggregate", "publish"),
         ("publish", "cleanup")}
STEPS = ["load", "mean", "median", "std", "aggregate", "publish", "cleanup"]


@pytest.fixture
def fan(tmp_path: Path):
    path = tmp_path / "fan.yaml"
    path.write_text(FAN, encoding="utf-8")
    return from_recipe(load_recipe(path, tmp_path))


def test_steps_fall_into_levels_with_the_parallel_ones_side_by_side(fan):
    assert [[n.name for n in row] for row in fan.levels] == [
        ["load"], ["mean", "median", "std"], ["aggregate"], ["publish"], ["cleanup"]]
    assert set(fan.edges) == EDGES
    marks = {n.name: n.marks for n in fan.nodes}
    assert marks["publish"] == ["exclusive"] and marks["cleanup"] == ["finally"]


def test_the_text_picture_draws_each_level_its_steps_and_what_they_come_after(fan):
    text = render(fan, "text")
    assert text.startswith("FAN-1: 7 steps in 5 levels\n")
    assert "level 1 (parallel)" in text
    assert re.search(r"\| mean +\|  \| median +\|  \| std +\|", text)
    assert "mean, median, std <- load" in text
    assert "aggregate <- mean, median, std" in text
    assert ": cleanup" in text and "+=========" in text  # finally and exclusive borders
    assert "borders: : : finally, +==+ exclusive" in text


def test_the_dot_source_has_every_edge_a_rank_per_level_and_the_marks(fan):
    dot = render(fan, "dot")
    assert dot.startswith('digraph "FAN-1" {') and dot.rstrip().endswith("}")
    assert set(re.findall(r'"(\w+)" -> "(\w+)";', dot)) == EDGES
    assert 'subgraph level_1 { rank=same; "mean"; "median"; "std"; }' in dot
    assert re.search(r'"cleanup" \[.*style="rounded,filled,dashed"', dot)
    assert re.search(r'"publish" \[.*peripheries=2', dot)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")
def test_graphviz_accepts_the_dot_source(fan):
    done = subprocess.run(["dot", "-Tsvg"], input=render(fan, "dot"), capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_the_mermaid_flowchart_has_every_edge_and_a_subgraph_per_parallel_level(fan):
    mermaid = render(fan, "mermaid")
    assert mermaid.startswith("flowchart TD\n")
    assert set(re.findall(r"s_(\w+) --> s_(\w+)", mermaid)) == EDGES
    assert '  subgraph level_1 ["level 1 (parallel)"]' in mermaid
    assert 's_cleanup(["cleanup<br/>python<br/>(finally)"])' in mermaid
    assert 's_publish[["publish<br/>python<br/>(exclusive)"]]' in mermaid


def test_the_svg_is_valid_xml_with_one_box_per_step_an_arrow_per_edge_and_a_legend(fan):
    root = ET.fromstring(render(fan, "svg"))
    assert root.tag == f"{SVG}svg"
    boxes = [g.get("data-step") for g in root.iter(f"{SVG}g") if g.get("class") == "step"]
    assert boxes == ["load", "mean", "median", "std", "aggregate", "publish", "cleanup"]
    arrows = {(p.get("data-from"), p.get("data-to")) for p in root.iter(f"{SVG}path")
              if p.get("class") == "edge"}
    assert arrows == EDGES
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "finally: runs whatever came before" in texts and "exclusive: runs alone" in texts
    assert "parallel" in texts


def test_the_png_is_a_real_image_of_the_picture(fan):
    from PIL import Image

    png = render(fan, "png")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    import io

    with Image.open(io.BytesIO(png)) as image:
        assert image.width > 300 and image.height > 5 * 46  # five rows of boxes


def test_orchestrator_graph_prints_text_and_writes_each_format_to_a_file(tmp_path):
    (tmp_path / "fan.yaml").write_text(FAN, encoding="utf-8")
    assert "mean, median, std <- load" in orchestrator(tmp_path, "graph", "fan.yaml").stdout
    for fmt in ("dot", "mermaid", "svg", "png"):
        done = orchestrator(tmp_path, "graph", "fan.yaml", "--format", fmt, "-o", f"dag.{fmt}")
        assert done.stdout == f"wrote dag.{fmt}\n"
        assert (tmp_path / f"dag.{fmt}").stat().st_size > 100
    assert (tmp_path / "dag.png").read_bytes()[:4] == b"\x89PNG"


def test_a_bad_recipe_is_its_collection_error_and_exit_code_2(tmp_path):
    (tmp_path / "bad.yaml").write_text(FAN.replace("Seen}\n  - {name: publish",
                                                   "Seen, depends_on: [nope]}\n  - {name: publish"),
                                       encoding="utf-8")
    done = orchestrator(tmp_path, "graph", "bad.yaml", code=2)
    assert done.stderr.startswith("orchestrator: bad.yaml:7: steps[4].depends_on[0]: unknown "
                                  "step 'nope'")


def test_a_missing_recipe_or_a_png_without_a_file_is_one_clear_error(tmp_path):
    assert "cannot read the recipe" in orchestrator(tmp_path, "graph", "none.yaml",
                                                    code=2).stderr
    (tmp_path / "fan.yaml").write_text(FAN, encoding="utf-8")
    assert orchestrator(tmp_path, "graph", "fan.yaml", "--format", "png", code=2).stderr == \
        "orchestrator: a PNG is not printed: give -o FILE\n"


def run_artifacts(project) -> Path:
    [folder] = (project.root / ".orchestrator" / "artifacts").iterdir()
    return folder


def test_each_run_leaves_the_dag_of_each_recipe_coloured_by_outcome(project):
    project.recipe("fan", FAN.replace("function: Seen}", "function: Refuse}", 1))
    project.run().assert_outcomes(passed=5, failed=1, skipped=1)
    picture = run_artifacts(project) / "FAN-1" / "step_sequence.svg"
    root = ET.parse(picture).getroot()
    outcomes = {g.get("data-step"): g.get("data-outcome") for g in root.iter(f"{SVG}g")
                if g.get("class") == "step"}
    assert outcomes == {"load": "passed", "mean": "passed", "median": "passed", "std": "passed",
                        "aggregate": "failed", "publish": "skipped", "cleanup": "passed"}
    fills = {rect.get("fill") for rect in root.iter(f"{SVG}rect")}
    assert {"#d7f0d2", "#fbd3d0", "#eceff1"} <= fills  # green, red, grey


def test_a_parametrized_recipe_gets_one_picture_per_row(project):
    project.recipe("p", "test_meta: {test_id: PAR-1}\nparametrize: {dut: [leaf1, leaf2]}\n"
                        "steps:\n" + step("produce") + step("double", "Double"))
    project.run().assert_outcomes(passed=4)
    folder = run_artifacts(project)
    for row in ("PAR-1_leaf1_", "PAR-1_leaf2_"):
        assert "PAR-1[" in (folder / row / "step_sequence.svg").read_text()


def test_a_row_of_more_steps_than_a_picture_shows_gets_none(tmp_path, monkeypatch):
    from pytest_orchestrator.reporting import after_run
    from pytest_orchestrator.store import ResultsStore, StepRecord

    monkeypatch.setattr(after_run, "MAX_PICTURE_STEPS", 3)
    with ResultsStore(tmp_path / "results.db") as store:
        store.begin_run("run-1", args=[], host="h", git_rev="", started="2026-12-01T00:00:00Z",
                        artifacts=str(tmp_path / "artifacts"))
        store.record_steps([StepRecord("run-1", test_id, test_id, f"s{i}", f"{test_id}::s{i}",
                                       "passed")
                            for test_id, count in (("BIG-1", 4), ("SMALL-1", 3))
                            for i in range(count)])
        written = after_run.write_pictures(store, "run-1")
    assert written == [tmp_path / "artifacts" / "SMALL-1" / "step_sequence.svg"]
    assert written[0].is_file()
    assert not (tmp_path / "artifacts" / "BIG-1").exists()


def test_under_xdist_the_controller_draws_the_pictures(project):
    project.recipe("fan", FAN)
    project.run_subprocess("-n", "2").assert_outcomes(passed=7)
    assert (run_artifacts(project) / "FAN-1" / "step_sequence.svg").is_file()


def test_without_recipes_no_picture_and_no_folder_is_made(project):
    project.write("test_plain.py", "def test_one():\n    assert True\n")
    project.run("--orch-report", "report.html").assert_outcomes(passed=1)
    assert not (project.root / ".orchestrator").exists()
    assert not (project.root / "report.html").exists()
