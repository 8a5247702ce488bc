"""Step caching: a fingerprint changes exactly when what the step depends on changes, and
recorded results live in pytest's cache, where --cache-clear empties them."""

from __future__ import annotations

import importlib
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import QUIET_PLUGINS
from pytest_orchestrator import cache as step_cache
from pytest_orchestrator.cache import CachedResult, StepCache, code_of, file_digest, fingerprint
from pytest_orchestrator.recipe import Step

RUN_1, RUN_2 = "20240501T120000-a1b2c3", "20240502T090000-d4e5f6"


def make_step(name: str = "load", **fields: Any) -> Step:
    fields.setdefault("type", "python")
    fields.setdefault("cache_key", "auto")
    return Step(name=name, line=1, end_line=3, deps=(), **fields)


@pytest.fixture
def fp(tmp_path: Path) -> Callable[..., str]:
    """fingerprint() of a step in tmp_path, with defaults for whatever a test leaves out."""

    def compute(**given: Any) -> str:
        given.setdefault("code", b"python steps.demo:Produce")
        given.setdefault("args", {})
        given.setdefault("upstream", {})
        return fingerprint(rootdir=tmp_path, **given)

    return compute


# --- fingerprints ---------------------------------------------------------------------------

def test_the_same_inputs_give_the_same_fingerprint(tmp_path: Path,
                                                   fp: Callable[..., str]) -> None:
    (tmp_path / "numbers.csv").write_text("1\n2\n")
    inputs = {"args": {"src": "numbers.csv", "n": [1, 2.5, None]},
              "upstream": {"numbers.raw_v1": [1, 2]}}
    first = fp(**inputs)
    assert first == fp(**inputs)
    assert len(first) == 64 and int(first, 16) >= 0


def test_changing_the_code_changes_the_fingerprint(fp: Callable[..., str]) -> None:
    assert fp(code=b"print(1)") != fp(code=b"print(2)")


@pytest.mark.parametrize("changed", [{"n": 6}, {"n": 5, "extra": True}, {"n": 5.0},
                                     {"n": "5"}, {"n": [5]}])
def test_changing_an_arg_changes_the_fingerprint(fp: Callable[..., str],
                                                 changed: dict[str, Any]) -> None:
    assert fp(args={"n": 5}) != fp(args=changed)


def test_a_list_of_args_is_fingerprinted_in_order(fp: Callable[..., str]) -> None:
    assert fp(args=["a", "b"]) != fp(args=["b", "a"])


def test_changing_an_input_files_content_changes_the_fingerprint(
        tmp_path: Path, fp: Callable[..., str]) -> None:
    data = tmp_path / "data" / "numbers.csv"
    data.parent.mkdir()
    data.write_text("1\n2\n")
    before = fp(args={"src": "data/numbers.csv"})
    data.write_text("1\n3\n")  # same size, same name
    assert fp(args={"src": "data/numbers.csv"}) != before


def test_an_input_file_named_by_an_absolute_path_counts_too(
        tmp_path_factory: pytest.TempPathFactory, fp: Callable[..., str]) -> None:
    outside = tmp_path_factory.mktemp("elsewhere") / "numbers.csv"
    outside.write_text("1\n")
    before = fp(args={"src": str(outside)})
    outside.write_text("2\n")
    assert fp(args={"src": str(outside)}) != before


def test_an_input_file_deep_inside_the_args_counts(tmp_path: Path,
                                                    fp: Callable[..., str]) -> None:
    (tmp_path / "a.csv").write_text("1\n")
    args = {"sources": [{"label": "first", "paths": ["missing.csv", "a.csv"]}]}
    before = fp(args=args)
    (tmp_path / "a.csv").write_text("2\n")
    assert fp(args=args) != before


def test_a_path_to_a_missing_file_does_not_crash_and_its_creation_counts(
        tmp_path: Path, fp: Callable[..., str]) -> None:
    missing = fp(args={"src": "not/there.csv"})
    assert missing == fp(args={"src": "not/there.csv"})
    (tmp_path / "not").mkdir()
    (tmp_path / "not" / "there.csv").write_text("1\n")
    assert fp(args={"src": "not/there.csv"}) != missing


def test_a_directory_named_in_the_args_is_ignored(tmp_path: Path,
                                                   fp: Callable[..., str]) -> None:
    (tmp_path / "out").mkdir()
    before = fp(args={"out_dir": "out", "root": str(tmp_path)})
    (tmp_path / "out" / "new.csv").write_text("1\n")
    assert fp(args={"out_dir": "out", "root": str(tmp_path)}) == before


@pytest.mark.parametrize("text", ["", ".", "a\0b", "line\nbreak", "x" * 10_000, "y" * 300,
                                  "/" + "d/" * 3000, "${DATA}/x.csv"])
def test_a_string_that_cannot_name_a_file_is_just_an_arg(fp: Callable[..., str],
                                                          text: str) -> None:
    assert fp(args={"src": text}) == fp(args={"src": text})


def test_changing_an_upstream_value_changes_the_fingerprint(fp: Callable[..., str]) -> None:
    assert fp(upstream={"numbers.raw_v1": [1, 2]}) != fp(upstream={"numbers.raw_v1": [1, 3]})
    assert fp(upstream={}) != fp(upstream={"numbers.raw_v1": None})


def test_the_order_of_mapping_keys_is_irrelevant(fp: Callable[..., str]) -> None:
    one = fp(args={"a": 1, "b": {"x": 1, "y": 2}},
             upstream={"k.one_v1": {"p": 1, "q": 2}, "k.two_v1": 2})
    other = fp(args={"b": {"y": 2, "x": 1}, "a": 1},
               upstream={"k.two_v1": 2, "k.one_v1": {"q": 2, "p": 1}})
    assert one == other


def test_args_and_upstream_values_do_not_stand_in_for_each_other(
        fp: Callable[..., str]) -> None:
    assert fp(args={"k": 1}) != fp(upstream={"k": 1})
    assert fp(code=b"ab", extra="") != fp(code=b"a", extra="b")


def test_the_runners_own_keys_upstream_do_not_count(fp: Callable[..., str]) -> None:
    metrics = {"load": {"start": "2024-05-01T12:00:00.000Z", "duration": 0.12}}
    again = {"load": {"start": "2024-05-02T09:00:00.000Z", "duration": 0.31}}
    assert fp(upstream={"a.b_v1": 1, "_runner.step_metrics_v1": metrics}) == \
        fp(upstream={"a.b_v1": 1, "_runner.step_metrics_v1": again})


def test_the_run_id_inside_artifact_paths_does_not_change_the_fingerprint(
        tmp_path: Path, fp: Callable[..., str]) -> None:
    def run(run_id: str, content: str) -> str:
        artifacts = tmp_path / "artifacts" / run_id / "recipe"
        artifacts.mkdir(parents=True, exist_ok=True)
        (artifacts / "sanitized.csv").write_text(content)
        return fp(args={"out_dir": str(artifacts), "run": run_id}, run_id=run_id,
                  upstream={"files.sanitized_csv_v1": str(artifacts / "sanitized.csv")})

    assert run(RUN_1, "1\n2\n") == run(RUN_2, "1\n2\n")
    assert run(RUN_2, "1\n3\n") != run(RUN_1, "1\n2\n")


def test_a_file_named_by_an_upstream_value_counts(tmp_path: Path,
                                                   fp: Callable[..., str]) -> None:
    (tmp_path / "sanitized.csv").write_text("1\n")
    before = fp(upstream={"files.sanitized_csv_v1": "sanitized.csv"})
    (tmp_path / "sanitized.csv").write_text("2\n")
    assert fp(upstream={"files.sanitized_csv_v1": "sanitized.csv"}) != before


def test_a_file_over_the_size_limit_is_fingerprinted_by_size_and_mtime(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fp: Callable[..., str]) -> None:
    monkeypatch.setattr(step_cache, "MAX_HASHED_BYTES", 8)
    big = tmp_path / "big.bin"
    big.write_bytes(b"0123456789")
    info = big.stat()
    assert file_digest(big) == f"large:{info.st_size}:{info.st_mtime_ns}"
    before = fp(args={"src": "big.bin"})
    big.write_bytes(b"01234567890")
    assert fp(args={"src": "big.bin"}) != before


def test_a_small_file_is_fingerprinted_by_its_bytes(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_bytes(b"abc")
    assert file_digest(path) == \
        "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert file_digest(tmp_path / "nope") == "missing"
    assert file_digest(tmp_path) == "unreadable"


# --- the code of a step ---------------------------------------------------------------------

@pytest.fixture
def scriptlet_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A ``cachedemo`` package: a base class in one module, a scriptlet in another."""
    package = tmp_path / "cachedemo"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "base.py").write_text(textwrap.dedent("""
        from pytest_orchestrator import BaseScriptlet

        class Base(BaseScriptlet):
            factor = 2
    """))
    (package / "steps.py").write_text(textwrap.dedent("""
        from cachedemo.base import Base

        class Twice(Base):
            def run(self, ctx, params):
                return {"demo.twice_v1": params["n"] * self.factor}

        class Thrice(Base):
            def run(self, ctx, params):
                return {"demo.thrice_v1": params["n"] * 3}
    """))
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("cachedemo", "cachedemo.base", "cachedemo.steps"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    return package


def test_a_python_steps_code_is_its_module_and_its_base_classes_modules(
        tmp_path: Path, scriptlet_package: Path) -> None:
    module = importlib.import_module("cachedemo.steps")
    step = make_step(module="cachedemo.steps", function="Twice")
    code = code_of(step, module.Twice, tmp_path)
    assert code.startswith(b"python cachedemo.steps:Twice\n")
    assert code == code_of(step, module.Twice, tmp_path)
    assert code != code_of(step, module.Thrice, tmp_path)
    assert code.splitlines()[1:] == [  # neither BaseScriptlet's module nor abc's
        f"cachedemo.steps {file_digest(scriptlet_package / 'steps.py')}".encode(),
        f"cachedemo.base {file_digest(scriptlet_package / 'base.py')}".encode()]

    with (scriptlet_package / "steps.py").open("a") as fh:
        fh.write("# a comment is a change\n")
    edited = code_of(step, module.Twice, tmp_path)
    assert edited != code
    (scriptlet_package / "base.py").write_text("# the base changed\n", encoding="utf-8")
    assert code_of(step, module.Twice, tmp_path) != edited


def test_a_shell_steps_code_is_its_type_and_its_scripts_bytes(tmp_path: Path) -> None:
    script = tmp_path / "scripts" / "clean.sh"
    script.parent.mkdir()
    script.write_text("echo '{\"status\": \"ok\"}'\n")
    shell = make_step(type="shell", script="scripts/clean.sh")
    code = code_of(shell, None, tmp_path)
    assert code == code_of(shell, None, tmp_path)
    assert code != code_of(make_step(type="exec", script="scripts/clean.sh"), None, tmp_path)
    script.write_text("echo '{\"status\": \"ok\"}'  \n")
    assert code_of(shell, None, tmp_path) != code


def test_a_script_path_with_placeholders_is_read_as_expanded(tmp_path: Path) -> None:
    (tmp_path / "run.sh").write_text("true\n")
    step = make_step(type="shell", script="${ROOTDIR}/run.sh")
    expanded = code_of(step, None, tmp_path, script=str(tmp_path / "run.sh"))
    assert file_digest(tmp_path / "run.sh").encode() in expanded
    assert b"missing" in code_of(step, None, tmp_path)


def test_a_missing_script_does_not_crash(tmp_path: Path) -> None:
    code = code_of(make_step(type="exec", script="gone.sh"), None, tmp_path)
    assert code == b"exec gone.sh\nmissing"


# --- the store ------------------------------------------------------------------------------

@pytest.fixture
def new_config(pytester: pytest.Pytester) -> Callable[..., pytest.Config]:
    """A fresh pytest config of one pytester project (as a new session would have)."""
    pytester.makeini("[pytest]\n")

    def configure(*args: str) -> pytest.Config:
        return pytester.parseconfigure(*QUIET_PLUGINS, *args)

    return configure


RESULT = CachedResult(writes={"numbers.raw_v1": [1, 2, 3], "numbers.meta_v1": {"n": 3}},
                      envelope={"status": "ok", "outputs": ["numbers.raw_v1"], "metrics": {}},
                      recorded_at="2024-05-01T12:00:00.000Z", run_id=RUN_1)


def test_a_recorded_result_is_found_by_its_key(new_config: Callable[..., pytest.Config]) -> None:
    store = StepCache.for_config(new_config())
    key = store.key("numbers_pipeline", make_step(), "ab" * 32)
    assert store.get(key) is None
    store.put(key, RESULT)
    assert store.get(key) == RESULT


def test_the_next_session_finds_the_entries_of_the_last(
        new_config: Callable[..., pytest.Config]) -> None:
    key = StepCache(None).key("numbers_pipeline", make_step(), "ab" * 32)
    StepCache.for_config(new_config()).put(key, RESULT)
    assert StepCache.for_config(new_config()).get(key) == RESULT


def test_cache_clear_empties_the_step_cache(new_config: Callable[..., pytest.Config]) -> None:
    key = StepCache(None).key("numbers_pipeline", make_step(), "ab" * 32)
    StepCache.for_config(new_config()).put(key, RESULT)
    assert StepCache.for_config(new_config("--cache-clear")).get(key) is None
    assert StepCache.for_config(new_config()).get(key) is None


def test_entries_live_in_pytests_cache_directory_and_nowhere_else(
        pytester: pytest.Pytester, new_config: Callable[..., pytest.Config]) -> None:
    config = new_config()
    before = {p for p in pytester.path.rglob("*") if ".pytest_cache" not in p.parts}
    store = StepCache.for_config(config)
    store.put(store.key("numbers_pipeline", make_step(), "ab" * 32), RESULT)
    after = {p for p in pytester.path.rglob("*") if ".pytest_cache" not in p.parts}
    assert after == before
    entry = Path(config.rootpath, ".pytest_cache", "v", "orchestrator", "steps",
                 "numbers_pipeline", "load", "fp-" + "ab" * 32)
    assert entry.is_file()


def test_an_auto_key_is_the_fingerprint_within_the_recipe_and_step() -> None:
    store, step = StepCache(None), make_step()
    assert store.key("pipe", step, "ab" * 32) == f"orchestrator/steps/pipe/load/fp-{'ab' * 32}"
    assert store.key("pipe", step, "cd" * 32) != store.key("pipe", step, "ab" * 32)
    assert store.key("other", step, "ab" * 32) != store.key("pipe", step, "ab" * 32)
    with pytest.raises(ValueError, match="give its fingerprint"):
        store.key("pipe", step)


def test_a_string_cache_key_is_used_as_given_within_the_recipe_and_step() -> None:
    store = StepCache(None)
    step = make_step(cache_key="numbers-v3")
    assert store.key("pipe", step, "ab" * 32) == store.key("pipe", step, "cd" * 32) == \
        "orchestrator/steps/pipe/load/key-numbers-v3"
    assert store.key("pipe", make_step("other", cache_key="numbers-v3")) != \
        store.key("pipe", step)
    with pytest.raises(ValueError, match="no cache_key"):
        store.key("pipe", make_step(cache_key=None))


@pytest.mark.parametrize("test_id", ["../../escape", "a/b", "..", ".hidden", "a b", "a_b",
                                     "x" * 300, "ünïcode"])
def test_any_recipe_id_makes_a_safe_key(new_config: Callable[..., pytest.Config],
                                        test_id: str) -> None:
    store = StepCache.for_config(new_config())
    key = store.key(test_id, make_step(cache_key="../../../etc/passwd"))
    segments = key.split("/")
    assert segments[:2] == ["orchestrator", "steps"] and len(segments) == 5
    assert all(s and not s.startswith(".") and len(s) < 100 for s in segments)
    store.put(key, RESULT)
    assert store.get(key) == RESULT


def test_ids_that_differ_only_in_unsafe_characters_stay_apart() -> None:
    store = StepCache(None)
    assert store.key("a b", make_step(), "ab" * 32) != store.key("a_b", make_step(), "ab" * 32)


def test_with_caching_off_every_lookup_misses_and_nothing_is_stored() -> None:
    store = StepCache(None)
    assert not store.enabled
    key = store.key("pipe", make_step(), "ab" * 32)
    store.put(key, RESULT)
    assert store.get(key) is None


def test_cacheprovider_disabled_means_caching_off(
        new_config: Callable[..., pytest.Config]) -> None:
    assert not StepCache.for_config(new_config("-p", "no:cacheprovider")).enabled


def test_the_runners_keys_are_not_recorded(new_config: Callable[..., pytest.Config]) -> None:
    store = StepCache.for_config(new_config())
    key = store.key("pipe", make_step(), "ab" * 32)
    store.put(key, CachedResult(writes={"a.b_v1": 1, "_runner.step_metrics_v1": {"load": {}}},
                                envelope={"status": "ok"}))
    found = store.get(key)
    assert found is not None and found.writes == {"a.b_v1": 1}


def test_a_failed_result_is_not_cached(new_config: Callable[..., pytest.Config]) -> None:
    store = StepCache.for_config(new_config())
    with pytest.raises(ValueError, match="only a passed step is cached"):
        store.put("orchestrator/steps/pipe/load/fp-0",
                  CachedResult(writes={}, envelope={"status": "error", "reason": "no"}))


@pytest.mark.parametrize("stored", [None, [1], {"format": 0, "writes": {}, "envelope": {}},
                                    {"format": 1, "writes": [], "envelope": {}}])
def test_an_entry_of_another_shape_or_format_is_a_miss(
        new_config: Callable[..., pytest.Config], stored: Any) -> None:
    config = new_config()
    assert config.cache is not None
    config.cache.set("orchestrator/steps/pipe/load/fp-0", stored)
    assert StepCache(config.cache).get("orchestrator/steps/pipe/load/fp-0") is None


def test_a_corrupt_entry_is_a_miss(new_config: Callable[..., pytest.Config]) -> None:
    config = new_config()
    store = StepCache.for_config(config)
    key = store.key("pipe", make_step(), "ab" * 32)
    store.put(key, RESULT)
    Path(config.rootpath, ".pytest_cache", "v", key).write_text("{not json", encoding="utf-8")
    assert store.get(key) is None
