"""The envelope: exactly one JSON line on stdout, or a message saying what was wrong with it;
and a scriptlet run standalone with ``python -m``, printing its envelope and exiting with it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_orchestrator.envelope import MAX_STDOUT_BYTES, parse_envelope
from pytest_orchestrator.errors import EnvelopeError


def line(**fields: Any) -> str:
    return json.dumps(fields) + "\n"


# --- valid envelopes ------------------------------------------------------------------------

def test_an_ok_envelope_is_parsed() -> None:
    env = parse_envelope(line(status="ok", outputs=["numbers.stats_v1"],
                              artifacts=["out/plot.png"], metrics={"n": 3}, warnings=[]))
    assert env.ok
    assert env.status == "ok"
    assert env.exit_code == 0
    assert env.artifacts == ["out/plot.png"]
    assert env.raw["outputs"] == ["numbers.stats_v1"]
    assert env.raw["metrics"] == {"n": 3}
    assert env.reason == ""


def test_an_error_envelope_carries_reason_details_and_exit_code() -> None:
    env = parse_envelope(line(status="error", reason="Too few numbers (min=5)",
                              details={"count": 3}, exit_code=3, step="validate",
                              ts="2024-05-01T12:00:00.000Z"))
    assert not env.ok
    assert (env.reason, env.details, env.exit_code) == ("Too few numbers (min=5)",
                                                       {"count": 3}, 3)


def test_an_error_envelope_without_exit_code_means_exit_code_1() -> None:
    assert parse_envelope(line(status="error", reason="no")).exit_code == 1


def test_a_bare_status_is_enough() -> None:
    assert parse_envelope('{"status": "ok"}').ok


def test_blank_lines_around_the_envelope_are_ignored() -> None:
    assert parse_envelope("\n  \n" + line(status="ok") + "\r\n\n").ok


def test_a_set_mapping_is_read_for_shell_steps() -> None:
    env = parse_envelope(line(status="ok", set={"numbers.count_v1": 3}))
    assert env.sets == {"numbers.count_v1": 3}


def test_a_line_separator_inside_a_json_string_does_not_split_the_envelope() -> None:
    text = json.dumps({"status": "ok", "warnings": ["a\u2028b", "c\x85d"]}, ensure_ascii=False)
    assert parse_envelope(text + "\n").raw["warnings"] == ["a\u2028b", "c\x85d"]


# --- what is wrong, exactly -----------------------------------------------------------------

def refusal(stdout: str) -> EnvelopeError:
    with pytest.raises(EnvelopeError) as excinfo:
        parse_envelope(stdout)
    return excinfo.value


@pytest.mark.parametrize("stdout", ["", "\n", "   \n\t\n", "\r\n\r\n"], ids=repr)
def test_no_line_or_only_blank_lines_is_no_envelope(stdout: str) -> None:
    error = refusal(stdout)
    assert error.message == "printed no envelope on stdout"
    assert "exactly one JSON line" in error.hint


def test_two_lines_are_refused_showing_both() -> None:
    error = refusal("loading numbers.csv\n" + line(status="ok"))
    assert error.message == (
        "printed 2 lines on stdout, expected exactly one JSON envelope line "
        "(first: 'loading numbers.csv', second: '{\"status\": \"ok\"}')")
    assert "stderr" in error.hint


def test_two_envelopes_are_refused_too() -> None:
    assert "printed 2 lines" in refusal(line(status="ok") + line(status="ok")).message


def test_non_json_is_refused_showing_the_text() -> None:
    error = refusal("median = 2.0\n")
    assert error.message.startswith("stdout is not JSON (")
    assert error.message.endswith(": 'median = 2.0'")
    assert "json.dumps" in error.hint


def test_a_very_long_non_json_line_is_shown_clipped() -> None:
    error = refusal("x" * 5000)
    assert "x" * 120 + "..." in error.message
    assert len(error.message) < 300


@pytest.mark.parametrize(("stdout", "kind"), [
    ('["ok"]', "list"), ('"ok"', "str"), ("0", "int"), ("null", "NoneType"),
])
def test_json_that_is_not_an_object_is_refused(stdout: str, kind: str) -> None:
    assert refusal(stdout).message == \
        f"the envelope must be a JSON object, got {kind}: {stdout!r}"


def test_a_missing_status_is_refused() -> None:
    error = refusal(line(outputs=["numbers.stats_v1"]))
    assert error.message.startswith("the envelope has no 'status': ")
    assert '"status": "ok"' in error.hint


@pytest.mark.parametrize("status", ["OK", "success", "", 0, True])
def test_a_status_other_than_ok_or_error_is_refused(status: object) -> None:
    assert refusal(line(status=status)).message == \
        f"the envelope's status must be 'ok' or 'error', got {status!r}"


@pytest.mark.parametrize(("fields", "message"), [
    pytest.param({"status": "ok", "outputs": "numbers.stats_v1"},
                 "the envelope's 'outputs' must be a list, got a string: \"numbers.stats_v1\"",
                 id="outputs-as-string"),
    pytest.param({"status": "error", "reason": "no", "exit_code": "3"},
                 "the envelope's 'exit_code' must be an integer, got a string: \"3\"",
                 id="exit_code-as-string"),
    pytest.param({"status": "error", "reason": "no", "exit_code": True},
                 "the envelope's 'exit_code' must be an integer, got a boolean: true",
                 id="exit_code-as-bool"),
    pytest.param({"status": "error", "reason": "no", "details": ["count", 3]},
                 "the envelope's 'details' must be an object, got a list: [\"count\", 3]",
                 id="details-as-list"),
    pytest.param({"status": "error", "reason": ["no"]},
                 "the envelope's 'reason' must be a string, got a list: [\"no\"]",
                 id="reason-as-list"),
    pytest.param({"status": "ok", "metrics": [1]},
                 "the envelope's 'metrics' must be an object, got a list: [1]",
                 id="metrics-as-list"),
])
def test_a_field_of_the_wrong_type_is_refused_naming_it(fields: dict[str, Any],
                                                        message: str) -> None:
    assert refusal(json.dumps(fields)).message == message


def test_oversized_output_is_refused_before_parsing_saying_its_size_and_the_limit(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import pytest_orchestrator.envelope as envelope

    def no_parsing(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("an oversized stdout was parsed")

    monkeypatch.setattr(envelope.json, "loads", no_parsing)
    stdout = '{"status": "ok", "outputs": ["' + "x" * 20_000_000 + '"]}\n'
    error = refusal(stdout)
    assert error.message == "stdout was 20.0 MB, over the 1024 KiB envelope limit"
    assert "artifacts" in error.hint


def test_oversized_output_is_measured_in_bytes_not_characters() -> None:
    chars = MAX_STDOUT_BYTES // 2 + 1  # well under the limit as characters, over it as UTF-8
    assert "over the 1024 KiB envelope limit" in refusal("é" * chars).message


def test_output_just_under_the_limit_is_judged_on_its_content() -> None:
    padding = " " * (MAX_STDOUT_BYTES - 100)
    assert parse_envelope(padding + line(status="ok")).ok


@pytest.mark.parametrize(("stdout", "message"), [
    ('{"status": "ok", "metrics": {"rate": NaN}}',
     "the envelope's 'metrics.rate' is NaN, not a finite number"),
    ('{"status": "ok", "metrics": {"rate": 1e999}}',
     "the envelope's 'metrics.rate' is Infinity, not a finite number"),
    ('{"status": "error", "reason": "x", "details": {"seen": [1, -Infinity]}}',
     "the envelope's 'details.seen[1]' is -Infinity, not a finite number"),
    ('{"status": "ok", "metrics": {"big": 1' + "0" * 400 + '}}',
     "the envelope's 'metrics.big' is an integer too large for a number (1,329 bits)"),
    ('{"status": "ok", "details": {"deep": ' + "[" * 100 + "]" * 100 + "}}",
     "the envelope nests lists or objects more than 64 deep (at 'details.deep[0]*"),
    ("[" * 100_000, "the envelope nests lists or objects too deeply: *"),
])
def test_what_no_json_store_can_hold_is_refused_naming_the_field(stdout: str,
                                                                  message: str) -> None:
    with pytest.raises(EnvelopeError) as excinfo:
        parse_envelope(stdout)
    assert str(excinfo.value).startswith(message.rstrip("*"))


# --- a scriptlet run standalone -------------------------------------------------------------

TINY_SCRIPTLETS = {
    "classic_ok": '''
        class ClassicOk(BaseScriptlet):
            """Adds two numbers the classic way."""

            def run(self, ctx, params):
                ctx.set("numbers.sum_v1", params["a"] + params["b"])
                print("adding", file=sys.stderr)
                return self.emit_ok(["numbers.sum_v1"], metrics={"sum": params["a"] + params["b"]})
    ''',
    "classic_error": '''
        class ClassicError(BaseScriptlet):
            """Refuses too few numbers."""

            def run(self, ctx, params):
                return self.emit_error("Too few numbers (min=5)", details={"count": 3},
                                       exit_code=3)
    ''',
    "short_style": '''
        class ShortStyle(BaseScriptlet):
            """Returns its outputs."""

            def run(self, ctx, params):
                return {"numbers.sum_v1": params["a"] + params["b"]}
    ''',
    "explodes": '''
        class Explodes(BaseScriptlet):
            """Raises from its own code."""

            def run(self, ctx, params):
                raise RuntimeError("device did not answer")
    ''',
}


Standalone = Callable[..., "subprocess.CompletedProcess[str]"]


@pytest.fixture
def run_standalone(tmp_path: Path) -> Standalone:
    """``run_standalone("classic_ok", {...})``: ``python -m tiny.classic_ok --params JSON``."""
    (tmp_path / "tiny").mkdir()
    (tmp_path / "tiny" / "__init__.py").write_text("")
    for module, body in TINY_SCRIPTLETS.items():
        cls = body.split("class ", 1)[1].split("(", 1)[0]
        source = "import sys\n\nfrom pytest_orchestrator import BaseScriptlet\n" \
            + textwrap.dedent(body) \
            + f'\n\nif __name__ == "__main__":\n    raise SystemExit({cls}.main())\n'
        (tmp_path / "tiny" / f"{module}.py").write_text(source)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(tmp_path), os.environ.get("PYTHONPATH", "")) if p)}

    def run(module: str, params: dict[str, Any] | str = "{}") -> subprocess.CompletedProcess[str]:
        text = params if isinstance(params, str) else json.dumps(params)
        return subprocess.run(
            [sys.executable, "-m", f"tiny.{module}", "--params", text],
            cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False)

    return run


def test_a_classic_scriptlet_prints_its_ok_envelope_and_exits_0(
        run_standalone: Standalone) -> None:
    result = run_standalone("classic_ok", {"a": 2, "b": 3})
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("\n") == 1
    env = parse_envelope(result.stdout)
    assert env.raw == {"status": "ok", "outputs": ["numbers.sum_v1"], "artifacts": [],
                       "metrics": {"sum": 5}, "warnings": []}
    assert "adding" in result.stderr


def test_a_classic_scriptlet_prints_its_error_envelope_and_exits_with_its_code(
        run_standalone: Standalone) -> None:
    result = run_standalone("classic_error")
    assert result.returncode == 3
    env = parse_envelope(result.stdout)
    assert (env.status, env.reason, env.details, env.exit_code, env.raw["step"]) == \
        ("error", "Too few numbers (min=5)", {"count": 3}, 3, "ClassicError")
    assert env.raw["ts"].endswith("Z")


def test_a_short_style_scriptlet_gets_an_ok_envelope_naming_its_outputs(
        run_standalone: Standalone) -> None:
    result = run_standalone("short_style", {"a": 2, "b": 3})
    assert result.returncode == 0, result.stderr
    env = parse_envelope(result.stdout)
    assert env.ok
    assert env.raw["outputs"] == ["numbers.sum_v1"]


def test_a_scriptlet_that_raises_exits_1_with_the_exception_as_reason(
        run_standalone: Standalone) -> None:
    result = run_standalone("explodes")
    assert result.returncode == 1
    env = parse_envelope(result.stdout)
    assert (env.status, env.reason, env.exit_code) == \
        ("error", "RuntimeError: device did not answer", 1)
    assert "Traceback" in result.stderr
    assert 'raise RuntimeError("device did not answer")' in result.stderr


@pytest.mark.parametrize("params", ["[1, 2]", "{not json"])
def test_params_that_are_not_a_json_object_are_a_usage_error(run_standalone: Standalone,
                                                            params: str) -> None:
    result = run_standalone("short_style", params)
    assert result.returncode == 2
    assert result.stdout == ""
    assert "--params" in result.stderr
