"""Python steps from the user's side: pytest runs on recipes of the conftest's demo scriptlets."""

from __future__ import annotations

import pytest

from conftest import step

HEAD = "test_meta: {test_id: R-1, tags: [smoke]}\nsteps:\n"
CHECK = """
def test_context_after_the_recipe(orchestrator_context):
    ctx = orchestrator_context.recipe("R-1")
    print("VALUES", {k: ctx.get(k) for k in sorted(ctx.to_dict()) if k[0] != "_"})
    print("PARTIAL", ctx.get("demo.partial_v1", "absent"), len(ctx.history("demo.partial_v1")))
"""


def test_a_chain_of_classic_and_short_steps_passes_and_shares_the_context(project):
    project.recipe("r", HEAD + step("produce", args={"value": 2}) + step("double", "Double"))
    project.write("test_zz_check.py", CHECK)
    result = project.run("-v", "-s")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines([
        "recipes/r.yaml::produce PASSED*",
        "recipes/r.yaml::double PASSED*",
        "*VALUES {'demo.double_v1': 4, 'demo.value_v1': 2}",
    ])


def test_an_error_envelope_fails_with_its_reason_details_and_yaml_and_skips_dependents(project):
    project.recipe("r", HEAD + step("produce") + step("refuse", "Refuse") + step("after", "Seen"))
    result = project.run("-rs")
    result.assert_outcomes(passed=1, failed=1, skipped=1)
    result.stdout.fnmatch_lines([
        "*R-1::refuse*",
        "step 'refuse' of R-1 failed (exit 1): Too few numbers (min=5)",
        'details: {"count": 3}',
        "recipe recipes/r.yaml:6:",
        "*6 |   - name: refuse",
        "SKIPPED [1] recipes/r.yaml:9: dependency 'refuse' failed",
    ])
    assert "pytest_orchestrator" not in result.stdout.str()
    assert "Traceback" not in result.stdout.str()


def test_a_failing_step_leaves_no_write_behind(project):
    project.recipe("r", HEAD + step("refuse", "Refuse"))
    project.write("test_zz_check.py", CHECK)
    result = project.run("-s")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*PARTIAL absent 0"])


def test_a_raising_scriptlet_shows_its_own_traceback_and_nothing_of_ours(project):
    project.recipe("r", HEAD + step("boom", "Explode"))
    project.write("test_zz_check.py", CHECK)
    result = project.run("-s")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "step 'boom' of R-1 failed (exit 1): RuntimeError: device did not answer",
        "scriptlet traceback:",
        '*steps/demo.py", line *, in run',
    ])
    result.stdout.fnmatch_lines(["*PARTIAL absent 0"])
    assert "pytest_orchestrator" not in result.stdout.str()


@pytest.mark.parametrize(("stdout", "message"), [
    ("", "*printed no envelope on stdout*"),
    ("\n  \n", "*printed no envelope on stdout*"),
    ('{"status": "ok"}\n{"status": "ok"}\n', "*printed 2 lines on stdout, expected exactly one*"),
    ("all good\n", "*stdout is not JSON*'all good'*"),
    ("[1, 2]\n", "*the envelope must be a JSON object, got list*"),
    ('{"outputs": []}\n', "*the envelope has no 'status'*"),
    ('{"status": "fine"}\n', "*status must be 'ok' or 'error', got 'fine'*"),
    ('{"status": "ok", "outputs": "a"}\n', "*'outputs' must be a list, got a string*"),
    ('{"status": "error", "exit_code": "1"}\n', "*'exit_code' must be an integer, got a string*"),
])
def test_a_bad_envelope_fails_the_step_saying_what_was_wrong(project, stdout, message):
    project.recipe("r", HEAD + step("echo", "Echo", args={"stdout": stdout}))
    result = project.run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([message])


def test_an_oversized_stdout_fails_the_step_and_points_to_artifacts(project):
    project.write("steps/big.py", """
        from pytest_orchestrator import BaseScriptlet

        class Big(BaseScriptlet):
            def run(self, ctx, params):
                print('{"status": "ok", "junk": "' + "x" * 30_000_000 + '"}')
                return 0
        """)
    project.recipe("r", HEAD + "  - {name: big, module: steps.big, function: Big}\n")
    result = project.run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*stdout was 30.0 MB, over the 1024 KiB envelope limit*"
                                 "ORCH_ARTIFACTS*"])


def test_an_ok_envelope_with_a_nonzero_exit_code_fails(project):
    project.recipe("r", HEAD + step("echo", "Echo", args={"stdout": '{"status": "ok"}\n',
                                                          "code": 3}))
    result = project.run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*failed (exit 3): exit code 3 with an 'ok' envelope"])


def test_a_context_rule_broken_inside_a_scriptlet_shows_only_the_scriptlets_frames(project):
    project.recipe("r", HEAD + step("bad_key", args={"key": "NoVersion"}))
    result = project.run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ContextError: bad context key 'NoVersion'*",
                                 '*steps/demo.py", line *, in run'])
    assert "pytest_orchestrator" not in result.stdout.str()


def test_a_value_that_is_not_json_safe_is_refused_with_a_hint(project):
    project.write("steps/dates.py", """
        import datetime
        from pytest_orchestrator import BaseScriptlet

        class When(BaseScriptlet):
            def run(self, ctx, params):
                return {"demo.when_v1": {"at": datetime.datetime(2026, 1, 1)}}
        """)
    project.recipe("r", HEAD + "  - {name: when, module: steps.dates, function: When}\n")
    result = project.run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*demo.when_v1.at: a datetime.datetime is not JSON-safe; "
                                 "store value.isoformat()*"])


def test_success_checks_fail_a_step_that_did_not_deliver(project):
    project.recipe("r", HEAD
                   + step("keys", success={"ctx_has_keys": ["demo.missing_v1"]})
                   + step("files", depends_on=[],
                          success={"files_exist": ["${ARTIFACTS}/nothing.json"]})
                   + step("schema", args={"key": "demo.obj_v1", "value": {"mean": "x"}},
                          depends_on=[], success={"ctx_schema": {"demo.obj_v1": {
                              "type": "object", "properties": {"mean": {"type": "number"}}}}}))
    result = project.run()
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines([
        "*success check ctx_has_keys: 'demo.missing_v1' was not written",
        "*success check files_exist: '*/R-1/nothing.json' does not exist",
        "*success check ctx_schema: demo.obj_v1[[]'mean'[]]: 'x' is not of type 'number'",
    ])


def test_placeholders_expand_in_args(project, monkeypatch):
    monkeypatch.setenv("DUT_NAME", "leaf7")
    project.recipe("r", HEAD + step("produce", args={
        "key": "demo.where_v1",
        "value": "${env:DUT_NAME} ${ROOTDIR} ${DATA} ${RUN_ID} ${ARTIFACTS}"}))
    project.write("test_zz_check.py", """
        def test_where(orchestrator_context):
            dut, root, data, run_id, artifacts = \\
                orchestrator_context.recipe("R-1").get("demo.where_v1").split()
            assert dut == "leaf7"
            assert data == root + "/recipes/data"
            assert run_id == orchestrator_context.run_id
            assert artifacts.startswith(root + "/.orchestrator/artifacts/" + run_id)
        """)
    project.run().assert_outcomes(passed=2)


def test_a_missing_environment_variable_fails_the_step_naming_it(project):
    project.recipe("r", HEAD + step("produce", args={"value": "${env:NO_SUCH_VAR_XYZ}"}))
    result = project.run()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*args.value: ${env:NO_SUCH_VAR_XYZ} is not set; "
                                 "export NO_SUCH_VAR_XYZ before running pytest"])


def test_an_xfail_step_is_an_expected_failure_and_a_passing_one_is_strict(project):
    project.recipe("r", HEAD + step("refuse", "Refuse", xfail="known bug")
                   + step("fine", depends_on=[], xfail="should fail"))
    result = project.run("-rxX")
    result.assert_outcomes(xfailed=1, failed=1)
    result.stdout.fnmatch_lines(["[[]XPASS(strict)[]] should fail", "XFAIL *::refuse - known bug"])


def test_secret_args_are_masked_in_failure_text_and_captured_output(project, monkeypatch):
    monkeypatch.setenv("LAB_API_TOKEN", "tok-9f8e7d")
    project.write("steps/leak.py", """
        import os, sys
        from pytest_orchestrator import BaseScriptlet

        class Leak(BaseScriptlet):
            def run(self, ctx, params):
                print("using", params["password"], os.environ["LAB_API_TOKEN"], file=sys.stderr)
                return self.emit_error("login refused for " + params["password"])
        """)
    project.recipe("r", HEAD + "  - name: login\n    module: steps.leak\n    function: Leak\n"
                   "    args: {password: hunter22-secret}\n")
    result = project.run("-rA")
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "login refused for ***" in text
    assert "using *** ***" in text
    assert "hunter22" not in text and "tok-9f8e7d" not in text


def test_steps_are_selected_by_name_test_id_and_tag(project):
    project.recipe("r", HEAD + step("alpha", depends_on=[]) + step("beta", depends_on=[]))
    project.recipe("s", "test_meta: {test_id: S-9}\nsteps:\n" + step("gamma"))
    project.run("-k", "beta").assert_outcomes(passed=1)
    project.run("-k", "S-9").assert_outcomes(passed=1)
    project.run("-m", "smoke").assert_outcomes(passed=2)


def test_a_selected_step_whose_dependency_is_not_selected_errors_clearly(project):
    project.recipe("r", HEAD + step("produce") + step("double", "Double"))
    result = project.run("-k", "double")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*dependency 'produce' has no recorded state: "
                                 "run it first or select it too*"])


def test_a_finally_step_runs_even_when_its_dependency_failed(project):
    project.recipe("r", HEAD + step("refuse", "Refuse")
                   + step("restore", args={"key": "demo.restored_v1"}, **{"finally": True}))
    project.run().assert_outcomes(passed=1, failed=1)


def test_a_parametrized_recipe_runs_once_per_row_in_its_own_namespace(project):
    project.recipe("r", """
        test_meta: {test_id: P-1}
        parametrize: {dut: [leaf1, leaf2]}
        steps:
          - {name: ping, module: steps.demo, function: Produce,
             args: {key: demo.dut_v1, value: "${param:dut}"}}
          - {name: double, module: steps.demo, function: Seen}
        """)
    project.write("test_zz_check.py", """
        def test_rows(orchestrator_context):
            assert orchestrator_context.recipe("P-1", "leaf1").get("demo.dut_v1") == "leaf1"
            assert orchestrator_context.recipe("P-1", "leaf2").get("demo.dut_v1") == "leaf2"
        """)
    result = project.run("-v")
    result.assert_outcomes(passed=5)
    for line in ("recipes/r.yaml::ping[[]leaf1[]] PASSED*", "recipes/r.yaml::double[[]leaf2[]] PASSED*"):
        result.stdout.fnmatch_lines([line])  # one at a time: rows may run in any order


def test_two_steps_writing_one_key_conflict_unless_last_write_wins(project):
    body = "steps:\n" + step("a", args={"value": 1}) + step("b", args={"value": 2})
    project.recipe("strict", "test_meta: {test_id: C-1}\n" + body)
    project.recipe("loose", "test_meta: {test_id: C-2}\nconflict: last_write_wins\n" + body)
    result = project.run()
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*demo.value_v1 in 'C-1' was set to 1 by step 'a'; step 'b' "
                                 "writes 2; write a new key, or declare*last_write_wins*"])


def test_parallel_siblings_do_not_see_each_other_and_the_fan_in_sees_all(project):
    project.recipe("r", HEAD
                   + step("root", args={"key": "demo.root_v1"})
                   + step("left", args={"key": "demo.left_v1"}, parallel=True)
                   + step("right", "Seen", args={"key": "demo.right_v1"}, parallel=True)
                   + step("join", "Seen", args={"key": "demo.join_v1"}))
    project.write("test_zz_check.py", """
        def test_views(orchestrator_context):
            ctx = orchestrator_context.recipe("R-1")
            assert ctx.get("demo.right_v1") == ["demo.root_v1"]
            assert ctx.get("demo.join_v1") == ["demo.left_v1", "demo.right_v1", "demo.root_v1"]
        """)
    project.run().assert_outcomes(passed=5)


def test_collect_only_lists_steps_as_recipe_node_ids(project):
    project.recipe("r", HEAD + step("produce") + step("double", "Double"))
    result = project.run("--co", "-q")
    result.stdout.fnmatch_lines(["recipes/r.yaml::produce", "recipes/r.yaml::double"])


def test_the_plugin_can_be_disabled(project):
    project.recipe("r", HEAD + step("produce"))
    project.pytester.makeini("[pytest]\n")
    result = project.run("-p", "no:orchestrator")
    assert result.ret == pytest.ExitCode.NO_TESTS_COLLECTED


def test_a_classic_scriptlet_ending_with_sys_exit_is_judged_by_its_code(project):
    project.write("steps/exits.py", """
        import sys
        from pytest_orchestrator import BaseScriptlet

        class Quit(BaseScriptlet):
            def run(self, ctx, params):
                ctx.set(params["key"], params["code"])
                self.emit_error("gave up") if params["code"] else self.emit_ok(["demo.quit_v1"])
                sys.exit(params["code"])
        """)
    project.recipe("r", HEAD + "  - {name: ok, module: steps.exits, function: Quit, "
                   "args: {code: 0, key: demo.ok_v1}}\n  - {name: bad, module: steps.exits, "
                   "function: Quit, args: {code: 4, key: demo.bad_v1}, depends_on: []}\n")
    project.write("test_zz_check.py", """
        def test_only_the_passing_write(orchestrator_context):
            history = orchestrator_context.recipe("R-1").history()
            assert [r["after"] for r in history if r["key"].startswith("demo.")] == [0]
        """)
    result = project.run()
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["step 'bad' of R-1 failed (exit 4): gave up"])


def test_under_xdist_each_recipe_runs_whole_on_one_worker_in_order(project):
    for name in ("a", "b", "c"):
        project.recipe(name, f"test_meta: {{test_id: X-{name}}}\nsteps:\n"
                       + step("produce", args={"value": 3}) + step("double", "Double")
                       + step("seen", "Seen"))
    result = project.run("-n", "2", "-v", "-p", "no:benchmark")
    result.assert_outcomes(passed=9)


def test_tags_and_markers_pass_strict_markers(project):
    project.recipe("r", HEAD + step("produce", markers=["network"]))
    result = project.run("--strict-markers", "-m", "smoke and network")
    result.assert_outcomes(passed=1)
