"""The results store seen from a pytest session: the controller records every step's result,
and a dependency this run does not execute is restored from the latest recorded run of its
recipe, if its definition is unchanged."""

from __future__ import annotations

import math
import os
import socket
import subprocess
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .errors import OrchestratorError
from .session import SESSION_KEY as _SESSION
from .session import reran

if TYPE_CHECKING:
    from .items import StepItem
    from .safety import Redactor
    from .store import ResultsStore, StepRecord

STDERR_TAIL = 4000


def record_of(item: StepItem, report: pytest.TestReport, redactor: Redactor,
              full: bool = True) -> dict[str, Any] | None:
    """The JSON-safe result of a step, put on the report that decides its outcome; without
    ``full`` (no results store) just what the terminal summary needs."""
    outcome: str
    if report.when == "call":
        outcome = "xfailed" if hasattr(report, "wasxfail") else report.outcome
    elif report.when == "setup" and not report.passed:
        outcome = "skipped" if report.skipped else "error"
    else:
        return None
    done = item.outcome
    if not full:
        return {"test_id": item.recipe.test_id, "outcome": outcome, "duration": report.duration,
                "cache_hit": bool(done and done.cache_hit)}
    record: dict[str, Any] = {
        "run_id": item.config.stash[_SESSION].run_id, "test_id": item.recipe.test_id,
        "namespace": item.recipe.namespace(item.row_id), "step": item.name,
        "nodeid": item.nodeid, "outcome": outcome, "spec_hash": item.step.spec_hash,
        "duration": report.duration, "started": iso(report.start), "ended": iso(report.stop),
        "worker": os.environ.get("PYTEST_XDIST_WORKER", "main"),
        "log": str(item.log_file) if item.log_file else None, **_placement(item)}
    if done is not None:
        usage = done.usage
        record.update(
            attempts=done.attempts, cpu_user=usage.cpu_user, cpu_sys=usage.cpu_sys,
            peak_rss=usage.peak_rss, executor=done.executor, cache_hit=done.cache_hit,
            exit_code=done.exit_code, envelope=redactor.value(done.envelope_dict),
            stderr_tail=redactor.text(done.stderr[-STDERR_TAIL:]),
            # the runner's own records are in the step's columns already
            writes=redactor.value([w for w in done.writes if not w["key"].startswith("_runner.")])
            if outcome == "passed" else [],
            metrics=_numbers(done.envelope_dict.get("metrics") or {}) | {
                "duration": usage.wall, "cpu": usage.cpu_user + usage.cpu_sys,
                "peak_rss": float(usage.peak_rss)})
    return record


def _placement(item: StepItem) -> dict[str, Any]:
    """Where the step sits in its recipe's DAG: what a report needs to draw it."""
    step = item.step
    return {"depends_on": list(step.deps), "rank": item.rank, "parallel": step.parallel,
            "finally_": step.finally_, "exclusive": step.exclusive}


def nowiso() -> str:
    return iso(datetime.now(timezone.utc).timestamp())


def iso(timestamp: float) -> str:
    """A POSIX time as the store writes it: UTC, to the millisecond."""
    return datetime.fromtimestamp(timestamp, timezone.utc).isoformat(
        timespec="milliseconds").replace("+00:00", "Z")


def _numbers(metrics: dict[str, Any]) -> dict[str, float]:
    return {k: float(v) for k, v in metrics.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)}


class Results:
    """The controller's writer of the results store (registered only there). The file, the
    run's row and the git revision are made on the first recipe result, so a session without
    recipes leaves nothing behind.

    Step results are written in batches (see :class:`~.batches.Batches`): one transaction
    for the steps of a time slice, so a trivial step costs the store little. Under xdist the
    DAG scheduler writes them before it sends a step whose dependency ran on another worker,
    since it reads it there; with xdist's own scheduler each is written at once."""

    def __init__(self, config: pytest.Config, open_store: Callable[[], ResultsStore]) -> None:
        from .batches import Batches
        from .session import distributed

        self.config, self.open_store = config, open_store
        self.run_id = config.stash[_SESSION].run_id
        self.started = nowiso()
        self.store: ResultsStore | None = None
        self.recipe_collection_failed = False
        self.report: Path | None = None  # --orch-report, once written
        self.batches = Batches(self._write, self.warn, at_once=distributed(config)
                               and bool(config.getoption("orch_no_dag")))

    def begun(self) -> ResultsStore:
        """The store, with this run's row, made on first use."""
        if self.store is None:
            self.store = self.open_store()
            redactor = self.config.stash[_SESSION].redactor
            redactor.add_args(list(self.config.invocation_params.args))  # --password x
            self.store.begin_run(self.run_id, host=socket.gethostname(), started=self.started,
                                 args=[redactor.text(str(a))
                                       for a in self.config.invocation_params.args],
                                 git_rev=_git_rev(self.config.rootpath),
                                 rootdir=str(self.config.rootpath),
                                 artifacts=str(self.config.stash[_SESSION].artifacts_root))
        return self.store

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed and report.nodeid.endswith((".yaml", ".yml")):
            self.recipe_collection_failed = True
            self.begun()

    @pytest.hookimpl(trylast=True)  # after every other reader of the report
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        record = getattr(report, "orch_record", None)
        if record and not reran(report):
            from .store import StepRecord

            self.record(StepRecord(**record))
            # the report lives on (pytest keeps every one), and every reader of the record
            # has had it (this hook runs last): the store has it now
            del report.orch_record

    def record(self, record: StepRecord) -> None:
        """Record a step result, in its turn after the ones before it."""
        self.begun()
        self.batches.add(record)

    def _write(self, records: list[StepRecord]) -> list[str]:
        """Write a batch; if it is refused, each step on its own, so one bad record loses
        only itself. The run goes on; what the store lost is returned, to be shown."""
        assert self.store is not None
        try:
            self.store.record_steps(records)
            return []
        except OrchestratorError as exc:
            if len(records) == 1:
                return [f"orchestrator: {records[0].nodeid} not recorded: {exc}"]
        lost = []
        for record in records:
            try:
                self.store.record_step(record)
            except OrchestratorError as exc:
                lost.append(f"orchestrator: {record.nodeid} not recorded: {exc}")
        return lost

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Any:
        """Every result is written when the steps stop (even on Ctrl+C), before any other
        plugin's end of session reads the store."""
        try:
            return (yield)
        finally:
            self.batches.close()

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, exitstatus: int) -> None:
        self.batches.close()
        if self.store is not None:
            self.store.finish_run(self.run_id, self._status(exitstatus), nowiso())
            self._write_reports(self.store)

    def _write_reports(self, store: ResultsStore) -> None:
        """The run's DAG pictures, and our run report with ``--orch-report``: from the
        store, now that the run is finished; a failure to write one costs no result."""
        from .reporting.after_run import write_pictures, write_run_report

        try:
            write_pictures(store, self.run_id)
            target = self.config.getoption("orch_report")
            if target:
                self.report = write_run_report(store, self.run_id,
                                               Path(self.config.invocation_params.dir, target))
        except (OrchestratorError, OSError) as exc:
            self.warn(f"orchestrator: the run's reports were not all written: {exc}")

    def warn(self, line: str) -> None:
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(line, yellow=True)

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.report is not None:
            terminalreporter.write_sep("-", f"orchestrator run report: {self.report}")

    def _status(self, exitstatus: int) -> str:
        if exitstatus == pytest.ExitCode.INTERRUPTED:
            return "collection_error" if self.recipe_collection_failed else "interrupted"
        statuses = {pytest.ExitCode.OK: "passed", pytest.ExitCode.NO_TESTS_COLLECTED: "no_tests"}
        return statuses.get(pytest.ExitCode(exitstatus), "failed")

    def pytest_unconfigure(self) -> None:
        self.batches.close()
        if self.store is not None:
            self.store.close()


def restore(store: ResultsStore, item: StepItem, names: list[str], selected: set[str],
            run_id: str, persist: bool) -> tuple[str | None, dict[str, str]]:
    """Bring the writes of ``names`` (in DAG order) into this process's context, as if those
    steps had run here. A step of this run (``selected``, it ran on another xdist worker) comes
    from this run's record; any other from the latest recorded run, if its definition is
    unchanged. Returns why one cannot be restored (or None), and each name's outcome."""
    recipe, namespace = item.recipe, item.recipe.namespace(item.row_id)
    steps = {s.name: s for s in recipe.steps}
    suffix = f"[{item.row_id}]" if item.row_id else ""
    outcomes: dict[str, str] = {}
    for name in names:
        this_run = item.dep_nodeid(name) in selected
        found = (store.in_run(run_id, item.dep_nodeid(name)) if this_run
                 else store.latest_passed(recipe.test_id, name + suffix, namespace))
        if found is None and this_run:  # it finished without a result: its worker crashed
            outcomes[name] = "failed"
            continue
        if found is None:
            return (f"dependency '{name}' has no recorded state: run it first or select it "
                    "too"), outcomes
        if not this_run and found.spec_hash != steps[name].spec_hash:
            return (f"dependency '{name}' changed since its recorded run {found.run_id}: "
                    "run it first or select it too"), outcomes
        outcomes[name] = "passed" if found.outcome in ("passed", "restored") else "failed"
        from .safety import holds_mask

        if not this_run and outcomes[name] == "passed" and holds_mask(found.writes):
            return (f"dependency '{name}' wrote a secret, which the results store holds only "
                    "masked: run it first or select it too"), outcomes
        from .context.records import WriteRecord

        records = [WriteRecord(**w) for w in found.writes]
        backend = item.config.stash[_SESSION].backend
        shared = this_run and not backend.url.startswith("memory:")  # already there
        if records and outcomes[name] == "passed" and not shared:
            backend.commit(namespace, records, "last_write_wins")
        if persist and not this_run:
            from dataclasses import replace

            restored = replace(found, run_id=run_id, outcome="restored", started=nowiso(),
                               ended=nowiso())
            writer = item.config.pluginmanager.get_plugin("orchestrator-results")
            # in its turn after the results still being batched
            (writer.record if writer is not None else store.record_step)(restored)
    return None, outcomes


def _git_rev(root: Path) -> str:
    try:
        done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, timeout=5,
                              capture_output=True, text=True)
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""

