"""The Context from a step's side: JSON-safety, key names, the shape lock, conflicts, history,
transactions, namespaces and ancestry. One suite, run over every context backend."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from pytest_orchestrator.context import Context, ContextBackend, WriteRecord
from pytest_orchestrator.dag import Ancestry
from pytest_orchestrator.errors import ContextError


@pytest.fixture
def ns() -> str:
    """A recipe namespace no other test uses."""
    return f"R-{uuid.uuid4().hex[:8]}"


ContextFactory = Callable[..., Context]


@pytest.fixture
def context_for(backend: ContextBackend, ns: str) -> ContextFactory:
    """``context_for("step")``: that step's view of the recipe namespace, on run ``run-1``."""

    def make(step: str, **options: Any) -> Context:
        options.setdefault("run_id", "run-1")
        return Context(backend, options.pop("namespace", ns), step=step, **options)

    return make


def committed(context_for: ContextFactory, step: str, values: dict[str, Any],
              **options: Any) -> Context:
    """Run a step that writes ``values`` and passes."""
    ctx = context_for(step, **options)
    for key, value in values.items():
        ctx.set(key, value)
    ctx.commit()
    return ctx


class Thing:
    """A custom object, as a scriptlet might try to store."""


# --- JSON-safety ----------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "says", "hint"), [
    pytest.param(float("nan"), "nan is not JSON-safe", "None", id="nan"),
    pytest.param(float("inf"), "inf is not JSON-safe", "None", id="inf"),
    pytest.param(float("-inf"), "-inf is not JSON-safe", "None", id="minus-inf"),
    pytest.param(datetime(2024, 5, 1, 12, 0), "datetime.datetime", "isoformat()", id="datetime"),
    pytest.param(date(2024, 5, 1), "datetime.date", "isoformat()", id="date"),
    pytest.param(timedelta(seconds=3), "datetime.timedelta", "total_seconds()", id="timedelta"),
    pytest.param(Path("out/report.csv"), "Path", "str(value)", id="path"),
    pytest.param({1, 2}, "a set", "sorted(value)", id="set"),
    pytest.param((1, 2), "a tuple", "list(value)", id="tuple"),
    pytest.param(b"raw", "a bytes", "decode()", id="bytes"),
    pytest.param(Thing(), "Thing", "store only None, bool, int, float, str, list and dict",
                 id="custom-object"),
    pytest.param({1: "one"}, "dict key 1 is an int", "str(key)", id="int-dict-key"),
])
def test_a_value_that_is_not_json_is_refused_with_a_hint_on_converting_it(
        context_for: ContextFactory, value: Any, says: str, hint: str) -> None:
    ctx = context_for("a")
    with pytest.raises(ContextError, match=r"^demo\.x_v1: ") as excinfo:
        ctx.set("demo.x_v1", value)
    assert says in excinfo.value.message
    assert hint in excinfo.value.hint
    assert ctx.pending == {}


@pytest.mark.parametrize(("value", "where"), [
    pytest.param([1, 2, {"when": datetime(2024, 5, 1)}], "demo.x_v1[2].when", id="list-of-dicts"),
    pytest.param({"stats": {"values": [1.0, float("nan")]}}, "demo.x_v1.stats.values[1]",
                 id="dict-of-lists"),
    pytest.param({"by_id": {7: "seven"}}, "demo.x_v1.by_id", id="int-key-deep"),
])
def test_a_refusal_deep_inside_a_value_names_the_path_to_it(
        context_for: ContextFactory, value: Any, where: str) -> None:
    with pytest.raises(ContextError) as excinfo:
        context_for("a").set("demo.x_v1", value)
    assert excinfo.value.message.startswith(f"{where}: ")
    assert excinfo.value.hint


@pytest.mark.parametrize("value", [
    None, True, False, 0, -7, 2**63, 1.5, -0.0, "", "text with ünïcode",
    [], [1, "two", None, [3.0]], {}, {"mean": 2.5, "tags": ["a"], "nested": {"ok": True}},
], ids=repr)
def test_plain_json_values_are_accepted_and_read_back_unchanged(
        context_for: ContextFactory, value: Any) -> None:
    committed(context_for, "a", {"demo.x_v1": value})
    seen = context_for("b").get("demo.x_v1")
    assert seen == value
    assert type(seen) is type(value)


def test_ints_and_floats_keep_their_types_inside_containers(context_for: ContextFactory) -> None:
    committed(context_for, "a", {"demo.x_v1": {"count": 3, "mean": 3.0, "flags": [True, 1]}})
    seen = context_for("b").get("demo.x_v1")
    assert [type(v) for v in (seen["count"], seen["mean"], *seen["flags"])] == \
        [int, float, bool, int]


# --- key names ------------------------------------------------------------------------------

@pytest.mark.parametrize("key", ["numbers.stats_v1", "numbers.stats_v12", "a.b.c_v3",
                                 "_private.thing_v1", "metrics.std_v1"])
def test_keys_named_namespace_dot_entity_vN_are_accepted(
        context_for: ContextFactory, key: str) -> None:
    ctx = context_for("a")
    ctx.set(key, 1)
    assert ctx.get(key) == 1


@pytest.mark.parametrize("key", ["stats", "numbers.stats", "numbers.stats_vX", "1x.y_v1",
                                 "stats_v1", "numbers..stats_v1", "numbers.stats_v1 ",
                                 "numbers.stats_v1\n", "numbers.stäts_v1", "", 7, None])
def test_other_key_names_are_refused_with_an_example_of_a_good_one(
        context_for: ContextFactory, key: Any) -> None:
    with pytest.raises(ContextError, match="bad context key") as excinfo:
        context_for("a").set(key, 1)
    assert "numbers.stats_v1" in excinfo.value.hint


def test_the_runner_prefix_is_reserved_for_the_runner(context_for: ContextFactory) -> None:
    ctx = context_for("a")
    with pytest.raises(ContextError, match=re.escape("reserved prefix '_runner.'")) as excinfo:
        ctx.set("_runner.step_metrics_v1", {})
    assert "_runner.*" in excinfo.value.hint
    ctx.set_runner("_runner.step_metrics_v1", {"a": {"duration": 0.1}})
    ctx.commit()
    assert context_for("b").get("_runner.step_metrics_v1") == {"a": {"duration": 0.1}}
    assert context_for("b").history("_runner.step_metrics_v1")[0]["who"] == "runner"


def test_set_runner_still_checks_the_key_name_and_the_value(context_for: ContextFactory) -> None:
    ctx = context_for("a")
    with pytest.raises(ContextError, match="bad context key"):
        ctx.set_runner("_runner.metrics", {})
    with pytest.raises(ContextError, match="not JSON-safe"):
        ctx.set_runner("_runner.metrics_v1", {"when": datetime.now()})


# --- the shape lock -------------------------------------------------------------------------

def test_the_first_write_fixes_the_shape_and_a_later_step_must_use_v2(
        context_for: ContextFactory) -> None:
    committed(context_for, "a", {"numbers.stats_v1": {"mean": 2.0, "n": 3}})
    ctx = context_for("b", policy="last_write_wins")
    with pytest.raises(ContextError, match=re.escape("numbers.stats_v1 changes shape")) as excinfo:
        ctx.set("numbers.stats_v1", {"mean": "2.0", "n": 3})
    assert "create numbers.stats_v2 instead" in excinfo.value.hint
    assert "{mean: number, n: number}" in excinfo.value.message
    assert "{mean: string, n: number}" in excinfo.value.message


@pytest.mark.parametrize("policy", ["fail_on_conflict", "last_write_wins"])
def test_a_shape_change_is_refused_whatever_the_conflict_policy(
        context_for: ContextFactory, policy: str) -> None:
    committed(context_for, "a", {"numbers.stats_v1": {"mean": 2.0}}, policy=policy)
    for changed in ({"mean": 2.0, "extra": 1}, {}, [2.0], 2.0, None, {"mean": {"v": 2.0}}):
        with pytest.raises(ContextError, match=re.escape("create numbers.stats_v2 instead")):
            context_for("b", policy=policy).set("numbers.stats_v1", changed)


def test_the_shape_lock_holds_across_runs_and_commits(context_for: ContextFactory) -> None:
    committed(context_for, "a", {"numbers.count_v1": 3}, run_id="run-1")
    committed(context_for, "b", {"numbers.count_v1": 4}, run_id="run-2",
              policy="last_write_wins")
    with pytest.raises(ContextError, match=re.escape("create numbers.count_v2 instead")):
        context_for("c", run_id="run-3", policy="last_write_wins").set("numbers.count_v1", "4")


def test_the_shape_lock_holds_within_one_steps_pending_writes(
        context_for: ContextFactory) -> None:
    ctx = context_for("a")
    ctx.set("numbers.stats_v1", {"mean": 2.0})
    ctx.set("numbers.stats_v1", {"mean": 3})  # int and float are both numbers
    with pytest.raises(ContextError, match=re.escape("create numbers.stats_v2 instead")):
        ctx.set("numbers.stats_v1", {"mean": None})
    assert ctx.pending == {"numbers.stats_v1": {"mean": 3}}


def test_list_contents_are_not_part_of_the_shape(context_for: ContextFactory) -> None:
    committed(context_for, "a", {"numbers.raw_v1": [1, 2, 3]})
    committed(context_for, "a", {"numbers.raw_v1": ["x", None]})
    assert context_for("b").get("numbers.raw_v1") == ["x", None]


# --- conflicts ------------------------------------------------------------------------------

def test_fail_on_conflict_refuses_another_value_from_another_step(
        context_for: ContextFactory) -> None:
    committed(context_for, "a", {"numbers.median_v1": 2.0})
    with pytest.raises(ContextError) as excinfo:
        context_for("b").set("numbers.median_v1", 3.0)
    assert excinfo.value.message == (
        "numbers.median_v1 in '" + context_for("b").namespace + "' was set to 2.0 by step 'a'; "
        "step 'b' writes 3.0")
    assert "last_write_wins" in excinfo.value.hint


def test_fail_on_conflict_allows_another_step_to_write_the_same_value(
        context_for: ContextFactory) -> None:
    committed(context_for, "a", {"numbers.median_v1": 2.0})
    committed(context_for, "b", {"numbers.median_v1": 2.0})
    assert [r["step"] for r in context_for("c").history("numbers.median_v1")] == ["a", "b"]


def test_fail_on_conflict_allows_a_step_to_rewrite_its_own_key(
        context_for: ContextFactory) -> None:
    committed(context_for, "a", {"numbers.median_v1": 2.0})
    committed(context_for, "a", {"numbers.median_v1": 5.0})  # e.g. a retry
    assert context_for("b").get("numbers.median_v1") == 5.0


def test_fail_on_conflict_is_checked_again_at_commit(context_for: ContextFactory) -> None:
    late = context_for("b")
    late.set("numbers.median_v1", 3.0)  # nothing committed yet: accepted
    committed(context_for, "a", {"numbers.median_v1": 2.0})
    with pytest.raises(ContextError, match=re.escape("was set to 2.0 by step 'a'")):
        late.commit()
    assert context_for("c").get("numbers.median_v1") == 2.0


def test_last_write_wins_allows_it_and_history_keeps_both_writes(
        context_for: ContextFactory) -> None:
    committed(context_for, "a", {"numbers.median_v1": 2.0}, policy="last_write_wins")
    committed(context_for, "b", {"numbers.median_v1": 3.0}, policy="last_write_wins")
    assert context_for("c").get("numbers.median_v1") == 3.0
    history = context_for("c").history("numbers.median_v1")
    assert [(r["before"], r["after"], r["step"]) for r in history] == \
        [(None, 2.0, "a"), (2.0, 3.0, "b")]


# --- history --------------------------------------------------------------------------------

def test_history_records_who_wrote_what_when_oldest_first(context_for: ContextFactory) -> None:
    started = datetime.now(timezone.utc).replace(microsecond=0)
    ctx = context_for("load", run_id="run-7")
    ctx.set("numbers.raw_v1", [3, 1, 2], who="loader")
    ctx.set("numbers.count_v1", 3)
    ctx.commit()
    committed(context_for, "load", {"numbers.raw_v1": [1, 2, 3]}, run_id="run-7")

    history = context_for("report").history()
    assert [sorted(r) for r in history] == \
        [["after", "before", "key", "run_id", "step", "ts", "who"]] * 3
    first, second, third = history
    assert (first["key"], first["before"], first["after"], first["who"], first["step"],
            first["run_id"]) == ("numbers.raw_v1", None, [3, 1, 2], "loader", "load", "run-7")
    assert (second["key"], second["who"]) == ("numbers.count_v1", "load")
    assert (third["key"], third["before"], third["after"]) == \
        ("numbers.raw_v1", [3, 1, 2], [1, 2, 3])
    for record in history:
        when = datetime.fromisoformat(record["ts"].replace("Z", "+00:00"))
        assert when.utcoffset() == timedelta(0)
        assert started <= when <= datetime.now(timezone.utc)


def test_history_can_be_filtered_by_key(context_for: ContextFactory) -> None:
    committed(context_for, "a", {"numbers.raw_v1": [1], "numbers.count_v1": 1})
    committed(context_for, "a", {"numbers.count_v1": 2})
    ctx = context_for("b")
    assert [r["after"] for r in ctx.history("numbers.count_v1")] == [1, 2]
    assert [r["after"] for r in ctx.history("numbers.raw_v1")] == [[1]]
    assert ctx.history("numbers.unknown_v1") == []


def test_history_is_a_copy(context_for: ContextFactory) -> None:
    committed(context_for, "a", {"numbers.raw_v1": [1]})
    context_for("b").history()[0]["after"].append(99)
    assert context_for("b").history()[0]["after"] == [1]


# --- transactions ---------------------------------------------------------------------------

def test_pending_writes_are_invisible_to_other_steps_until_commit(
        context_for: ContextFactory) -> None:
    writer, reader = context_for("a"), context_for("b")
    writer.set("numbers.count_v1", 3)
    assert writer.get("numbers.count_v1") == 3
    assert reader.get("numbers.count_v1") is None
    assert reader.to_dict() == {}
    assert reader.history() == []
    assert writer.commit() == ["numbers.count_v1"]
    assert reader.get("numbers.count_v1") == 3


def test_rollback_leaves_nothing_behind(context_for: ContextFactory) -> None:
    ctx = context_for("a")
    ctx.set("numbers.count_v1", 3)
    ctx.set("numbers.raw_v1", [1, 2, 3])
    ctx.rollback()
    assert ctx.pending == {}
    assert ctx.commit() == []
    assert context_for("b").to_dict() == {}
    assert context_for("b").history() == []


def test_a_retry_after_rollback_starts_clean(context_for: ContextFactory) -> None:
    ctx = context_for("a")
    ctx.set("numbers.stats_v1", {"mean": 1.0})
    ctx.rollback()
    ctx.set("numbers.stats_v1", ["a list this time"])  # no shape was ever fixed
    ctx.commit()
    assert context_for("b").get("numbers.stats_v1") == ["a list this time"]


def record(key: str, after: Any, step: str = "a", before: Any = None) -> WriteRecord:
    return WriteRecord(key, before, after, step, step, "run-1", "2024-05-01T12:00:00.000Z")


def test_a_commit_whose_second_record_breaks_the_shape_lock_applies_none_of_them(
        backend: ContextBackend, ns: str) -> None:
    backend.commit(ns, [record("numbers.stats_v1", {"mean": 1.0})], "fail_on_conflict")
    batch = [record("numbers.count_v1", 3, step="b"),
             record("numbers.stats_v1", {"mean": "x"}, step="b")]
    with pytest.raises(ContextError, match=re.escape("create numbers.stats_v2 instead")):
        backend.commit(ns, batch, "last_write_wins")
    assert backend.state(ns, "numbers.count_v1") is None
    assert backend.state(ns, "numbers.stats_v1").value == {"mean": 1.0}
    assert sorted(backend.keys(ns)) == ["numbers.stats_v1"]
    assert [r.key for r in backend.history(ns)] == ["numbers.stats_v1"]


def test_a_commit_that_breaks_its_own_earlier_record_applies_none_of_them(
        backend: ContextBackend, ns: str) -> None:
    batch = [record("numbers.count_v1", 3), record("numbers.count_v1", "three")]
    with pytest.raises(ContextError, match=re.escape("create numbers.count_v2 instead")):
        backend.commit(ns, batch, "fail_on_conflict")
    assert backend.state(ns, "numbers.count_v1") is None
    assert backend.history(ns) == []


def test_a_commit_with_a_conflicting_record_applies_none_of_them(
        backend: ContextBackend, ns: str) -> None:
    backend.commit(ns, [record("numbers.median_v1", 2.0)], "fail_on_conflict")
    batch = [record("numbers.count_v1", 3, step="b"), record("numbers.median_v1", 3.0, step="b")]
    with pytest.raises(ContextError, match="by step 'a'"):
        backend.commit(ns, batch, "fail_on_conflict")
    assert backend.keys(ns) == ["numbers.median_v1"]
    assert len(backend.history(ns)) == 1


# --- namespaces -----------------------------------------------------------------------------

def test_each_recipe_namespace_is_isolated(context_for: ContextFactory, ns: str) -> None:
    other = f"{ns}-other"
    committed(context_for, "a", {"numbers.count_v1": 1})
    committed(context_for, "a", {"numbers.count_v1": "one", "numbers.raw_v1": []},
              namespace=other)  # same key, same step, another shape: no clash
    assert context_for("b").to_dict() == {"numbers.count_v1": 1}
    assert context_for("b", namespace=other).to_dict() == \
        {"numbers.count_v1": "one", "numbers.raw_v1": []}
    assert len(context_for("b").history()) == 1
    assert context_for("b", namespace=f"{ns}-unused").to_dict() == {}


# --- ancestry -------------------------------------------------------------------------------

# load -> (left, right in parallel) -> join
DIAMOND = Ancestry(["load", "left", "right", "join"],
                   {"load": (), "left": ("load",), "right": ("load",), "join": ("left", "right")})


@pytest.fixture
def step_context(context_for: ContextFactory) -> ContextFactory:
    """A step's Context in the DIAMOND recipe, seeing its ancestors' writes only."""

    def make(step: str, **options: Any) -> Context:
        return context_for(step, policy="last_write_wins",
                           sees=lambda writers: DIAMOND.visible_writers(step, writers),
                           **options)

    return make


def test_parallel_siblings_do_not_see_each_others_writes(step_context: ContextFactory) -> None:
    committed(step_context, "load", {"numbers.raw_v1": [1, 2, 3]})
    committed(step_context, "left", {"numbers.left_v1": 1})
    right = step_context("right")
    assert right.get("numbers.left_v1", "unseen") == "unseen"
    assert right.to_dict() == {"numbers.raw_v1": [1, 2, 3]}


def test_a_step_does_not_see_its_descendants_writes(step_context: ContextFactory) -> None:
    committed(step_context, "load", {"numbers.raw_v1": [1]})
    committed(step_context, "left", {"numbers.left_v1": 1})
    assert step_context("load").get("numbers.left_v1") is None
    assert step_context("right").get("numbers.left_v1") is None
    assert step_context("join").get("numbers.left_v1") == 1


def test_a_fan_in_step_sees_every_branch(step_context: ContextFactory) -> None:
    committed(step_context, "load", {"numbers.raw_v1": [1, 2, 3]})
    committed(step_context, "right", {"numbers.right_v1": 2})
    committed(step_context, "left", {"numbers.left_v1": 1})
    assert step_context("join").to_dict() == \
        {"numbers.left_v1": 1, "numbers.raw_v1": [1, 2, 3], "numbers.right_v1": 2}


def test_a_step_sees_the_value_latest_in_dag_order_not_in_commit_order(
        step_context: ContextFactory) -> None:
    committed(step_context, "load", {"numbers.best_v1": 0})
    committed(step_context, "right", {"numbers.best_v1": 2})
    committed(step_context, "left", {"numbers.best_v1": 1})  # committed last, earlier in order
    assert step_context("join").get("numbers.best_v1") == 2
    assert step_context("join").to_dict() == {"numbers.best_v1": 2}


def test_a_sibling_still_sees_the_common_ancestors_value(step_context: ContextFactory) -> None:
    committed(step_context, "load", {"numbers.best_v1": 0})
    committed(step_context, "left", {"numbers.best_v1": 1})
    assert step_context("right").get("numbers.best_v1") == 0
    assert step_context("join").get("numbers.best_v1") == 1


def test_a_steps_own_pending_write_wins_over_what_it_sees(step_context: ContextFactory) -> None:
    committed(step_context, "load", {"numbers.best_v1": 0})
    ctx = step_context("left")
    ctx.set("numbers.best_v1", 5)
    assert ctx.get("numbers.best_v1") == 5
    assert ctx.to_dict() == {"numbers.best_v1": 5}


# --- copies and to_dict ---------------------------------------------------------------------

def test_get_returns_a_copy_the_store_is_unchanged_by_mutating_it(
        context_for: ContextFactory) -> None:
    committed(context_for, "a", {"numbers.stats_v1": {"mean": 2.0, "values": [1, 2, 3]}})
    seen = context_for("b").get("numbers.stats_v1")
    seen["mean"] = 99.0
    seen["values"].append(4)
    assert context_for("b").get("numbers.stats_v1") == {"mean": 2.0, "values": [1, 2, 3]}


def test_set_stores_a_copy_the_pending_write_is_unchanged_by_mutating_the_original(
        context_for: ContextFactory) -> None:
    value = {"values": [1, 2]}
    ctx = context_for("a")
    ctx.set("numbers.stats_v1", value)
    value["values"].append(3)
    ctx.get("numbers.stats_v1")["values"].append(4)
    ctx.commit()
    value["values"].append(5)
    assert context_for("b").get("numbers.stats_v1") == {"values": [1, 2]}


def test_get_returns_the_default_for_an_unknown_key(context_for: ContextFactory) -> None:
    ctx = context_for("a")
    assert ctx.get("numbers.count_v1") is None
    assert ctx.get("numbers.count_v1", 0) == 0


def test_to_dict_is_every_visible_key_with_pending_writes_over_committed_ones(
        context_for: ContextFactory) -> None:
    committed(context_for, "a", {"numbers.count_v1": 3, "numbers.raw_v1": [1, 2, 3]})
    ctx = context_for("a")
    ctx.set("numbers.count_v1", 4)
    ctx.set("numbers.mean_v1", 2.0)
    snapshot = ctx.to_dict()
    assert snapshot == {"numbers.count_v1": 4, "numbers.mean_v1": 2.0,
                        "numbers.raw_v1": [1, 2, 3]}
    assert list(snapshot) == sorted(snapshot)
    snapshot["numbers.raw_v1"].append(4)
    assert ctx.get("numbers.raw_v1") == [1, 2, 3]
