"""Reports of a run: JUnit properties, pytest-html extras, the terminal summary per recipe,
and secrets masked in every one of them."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from conftest import step

HEAD = "test_meta: {test_id: RP-1}\nsteps:\n"


def test_junit_has_the_properties_of_every_step(project):
    project.recipe("r", HEAD + step("produce", args={"value": 4}) + step("double", "Double"))
    project.run("--junitxml=out.xml").assert_outcomes(passed=2)
    cases = {c.get("name"): c for c in ET.parse(project.root / "out.xml").iter("testcase")}
    props = {p.get("name"): p.get("value") for p in cases["double"].iter("property")}
    assert props["outputs"] == "demo.double_v1"
    assert props["attempts"] == "1" and props["cache"] == "miss"
    assert props["executor"] == "inprocess"
    assert float(props["duration"]) >= 0 and int(props["peak_rss"]) > 0
    assert {"cpu"} <= set(props)


def test_the_html_report_shows_the_envelope_context_diff_stderr_and_images(project):
    png = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")
    project.write("steps/picture.py", f"""
        import base64, sys
        from pathlib import Path
        from pytest_orchestrator import BaseScriptlet

        class Picture(BaseScriptlet):
            def run(self, ctx, params):
                out = Path(params["out"]) / "plot.png"
                out.write_bytes(base64.b64decode("{png}"))
                ctx.set("plot.path_v1", str(out))
                print("drew the plot", file=sys.stderr)
                return self.emit_ok(["plot.path_v1"], artifacts=[str(out)])
        """)
    project.recipe("r", HEAD + "  - {name: draw, module: steps.picture, function: Picture, "
                   "args: {out: '${ARTIFACTS}'}}\n")
    project.run("--html=report.html").assert_outcomes(passed=1)
    html = (project.root / "report.html").read_text()
    assets = {p.name: p.read_bytes() for p in (project.root / "assets").iterdir()}
    shown = html + "".join(a.decode("latin-1") for a in assets.values())
    for text in ("envelope", "context diff", "resources", "plot.path_v1", "drew the plot",
                 "peak rss", '"status": "ok"'):
        assert text in shown, text
    assert any(name.endswith(".png") for name in assets)


def test_the_terminal_summarises_each_recipe(project):
    project.recipe("r", HEAD + step("produce") + step("refuse", "Refuse") + step("after", "Seen"))
    result = project.run()
    result.stdout.fnmatch_lines(["*orchestrator: recipes*",
                                 "RP-1  3 step(s): 1 failed, 1 passed, 1 skipped  in *s"])


def test_a_secret_never_reaches_any_output(project, monkeypatch):
    monkeypatch.setenv("LAB_API_TOKEN", "envsecret-4471")
    project.write("steps/leaky.py", """
        import os, sys
        from pytest_orchestrator import BaseScriptlet

        class Leaky(BaseScriptlet):
            def run(self, ctx, params):
                token = os.environ["LAB_API_TOKEN"]
                print("login", params["password"], token, file=sys.stderr)
                ctx.set("dev.session_v1", {"password": params["password"], "note": token})
                return self.emit_ok(["dev.session_v1"], metrics={"ok": 1})

        class Fails(BaseScriptlet):
            def run(self, ctx, params):
                print("retrying with", params["password"], file=sys.stderr)
                return self.emit_error("denied for " + params["password"],
                                       details={"token": os.environ["LAB_API_TOKEN"]})
        """)
    project.recipe("r", HEAD
                   + "  - {name: login, module: steps.leaky, function: Leaky, "
                     "args: {password: argsecret-9932}}\n"
                   + "  - {name: again, module: steps.leaky, function: Fails, "
                     "args: {password: argsecret-9932}}\n")
    result = project.run("-rA", "--orch-debug", "--junitxml=out.xml", "--html=report.html",
                         "--self-contained-html")
    result.assert_outcomes(passed=1, failed=1)
    outputs = {"terminal": result.stdout.str() + result.stderr.str()}
    for path in project.root.rglob("*"):
        if path.is_file() and "recipes" not in path.parts:
            outputs[str(path.relative_to(project.root))] = path.read_bytes().decode("latin-1")
    assert any(name.endswith("results.db") for name in outputs)
    assert "out.xml" in outputs and "report.html" in outputs
    for name, text in outputs.items():
        for secret in ("argsecret-9932", "envsecret-4471"):
            assert secret not in text, f"{secret} leaked into {name}"
    assert "***" in outputs["terminal"]
