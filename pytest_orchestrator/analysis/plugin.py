"""The analysis in a pytest session: each step's metrics judged against its history where the
step ran (JUnit properties, pytest-html extras), flags stored and shown by the controller, and
at the end the flaky steps and the run's summary."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

import pytest

from ..errors import OrchestratorError
from .baseline import Flag, StepHistory, flag, judge
from .metrics import RESOURCE_FLOORS, Rule, Settings, declared_values, rule_for, rules
from .summary import Summary, heuristic

if TYPE_CHECKING:
    from ..items import StepItem
    from ..store import ResultsStore
    from .flaky import Flaky
    from .summary import RunFacts

ANALYSIS = "orchestrator-analysis"


class Analysis:
    """Registered on every process of a session with a results store; only the controller
    (no ``workerinput``) writes to the store and the terminal."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.settings = Settings.from_config(config)
        self.controller = not hasattr(config, "workerinput")
        self.flags: list[Flag] = []
        self.flaky: list[Flaky] = []
        self.restarted: list[str] = []
        self.summary: Summary | None = None

    @property
    def _session(self) -> Any:
        from ..session import SESSION_KEY

        return self.config.stash[SESSION_KEY]

    # -- where the step ran ----------------------------------------------------------------
    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item,
                                  call: pytest.CallInfo[None]) -> Any:
        report: pytest.TestReport = yield
        record = getattr(report, "orch_record", None)
        if record and record.get("outcome") == "passed" and "spec_hash" in record \
                and not record.get("cache_hit"):
            step_item: StepItem = item  # type: ignore[assignment]
            record["metrics"].update(declared_values(step_item.step.metrics,
                                                     record.get("writes") or []))
            try:
                flags, charts = self._judge(step_item, record)
            except (OrchestratorError, sqlite3.Error) as exc:  # the step's result comes first
                self._warn(f"orchestrator: {item.nodeid} was not compared with its history: "
                           f"{exc}")
                flags, charts = [], []
            if flags:
                report.orch_flags = [asdict(f) for f in flags]  # type: ignore[attr-defined]
                item.user_properties.extend(("regression", f.line()) for f in flags)
                if self.config.getoption("htmlpath", None):
                    report.extras = [*getattr(report, "extras", []),  # type: ignore[attr-defined]
                                     *_html_extras(flags, charts)]
        return report

    def _judge(self, item: StepItem, record: dict[str, Any]
               ) -> tuple[list[Flag], list[str]]:
        """The step's flags against its recipe's history, and a trend chart of each."""
        judged = self._judged(item, record["metrics"], record.get("executor"))
        if not judged:
            return [], []  # nothing any history could flag: it is not read
        from ..reporting.stored_run import split_row
        from .chart import trend_svg

        history = StepHistory.read(self._session.results_store(), record["test_id"],
                                   record["namespace"], record["step"], record["spec_hash"],
                                   self.settings.runs)
        if history.runs == 0:
            return [], []
        name, row = split_row(record["step"])
        flags, charts = [], []
        for metric, value, rule in judged:
            past = history.values.get(metric, [])
            verdict = judge(value, past, rule, self.settings.threshold)
            if verdict is not None:
                flags.append(flag(record["test_id"], name, row, metric, value, verdict, rule))
                points: list[dict[str, Any]] = [{"value": v} for v in reversed(past)]
                points.append({"value": value, "flagged": True, "baseline": verdict[0].median,
                               "mad": verdict[0].mad, "run_id": "this run"})
                charts.append(trend_svg(points, f"{metric}: {flags[-1].line()}",
                                        self.settings.threshold))
        return flags, charts

    def _judged(self, item: StepItem, metrics: dict[str, float], executor: str | None
                ) -> list[tuple[str, float, Rule]]:
        """The step's metrics to compare with its history, with their rules: not an
        in-process step's peak RSS (the session's high-water mark, not the step's) unless the
        recipe declares it, nor a resource too small to be flagged whatever the history."""
        declared = item.step.metrics
        found = rules(declared, self.settings)
        judged = []
        for metric, value in sorted(metrics.items()):
            if metric == "peak_rss" and executor == "inprocess" and metric not in declared:
                continue
            rule = rule_for(metric, found, self.settings)
            if rule.may_flag(value, metric in RESOURCE_FLOORS):
                judged.append((metric, value, rule))
        return judged

    # -- the controller -----------------------------------------------------------------------
    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> Iterator[None]:
        yield
        found = getattr(report, "orch_flags", None)
        if found and self.controller:
            flags = [Flag(**f) for f in found]
            self.flags.extend(flags)
            self._store_flags(report.nodeid, flags)

    def _store_flags(self, nodeid: str, flags: list[Flag]) -> None:
        """After the step's own row (another plugin recorded it): its flags, tied to it."""
        results = self.config.pluginmanager.get_plugin("orchestrator-results")
        if results is not None:
            results.batches.flush()  # the step's row is written in a batch: write it now
        store: ResultsStore = self._session.results_store()
        run_id = self._session.run_id
        step_id = store.last_step_id(run_id, nodeid)
        try:
            store.add_rows("flags", [f.as_row(run_id, step_id) for f in flags])
        except OrchestratorError as exc:
            self._warn(f"orchestrator: the regression flags of {nodeid} were not stored: {exc}")

    @pytest.hookimpl(wrapper=True)
    def pytest_runtestloop(self, session: pytest.Session) -> Iterator[None]:
        """``--orch-fail-on-regression``: a flagged session fails (exit 1)."""
        result = yield
        if self.flags and self.controller and self.fail_on_regression():
            session.testsfailed += 1
        return result

    def fail_on_regression(self) -> bool:
        return bool(self.config.getoption("orch_fail_on_regression")
                    or self.config.getini("orchestrator_fail_on_regression"))

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        """Before the reports are written: the flaky steps and the summary, into the store."""
        results = self.config.pluginmanager.get_plugin("orchestrator-results")
        store = getattr(results, "store", None)
        if not self.controller or store is None:
            return
        from . import summary
        from .baseline import restarts
        from .flaky import flaky_steps

        run_id = self._session.run_id
        try:
            self.flaky = flaky_steps(store, run_id, self.settings.runs)
            self.restarted = restarts(store, run_id)
            status = "passed" if exitstatus == 0 else "failed"
            facts = summary.run_facts(store, run_id, status, self.flags, self.flaky)
            self.summary = self._summarize(facts)
            summary.save(store, facts, self.summary)
        except (OrchestratorError, sqlite3.Error) as exc:
            self._warn(f"orchestrator: the run's analysis was not all stored: {exc}")

    def _summarize(self, facts: RunFacts) -> Summary:
        """The first summarizer's summary; the heuristic one when a plugin's fails."""
        try:
            found = self.config.hook.pytest_orchestrator_summarize(run=facts)
        except Exception as exc:  # a plugin's model or network: never the run's results
            why = self._session.redactor.text(f"{type(exc).__name__}: {exc}")
            self._warn(f"orchestrator: the summarizer failed ({why}): the heuristic summary "
                       "instead")
            found = None
        if not isinstance(found, Summary):
            return heuristic(facts)
        # the facts were masked; what a model made of them is masked again
        return Summary(self._session.redactor.text(found.text), found.producer)

    @pytest.hookimpl(trylast=True)
    def pytest_orchestrator_summarize(self, run: RunFacts) -> Summary:
        return heuristic(run)

    @pytest.hookimpl(trylast=True)  # after the summary per recipe
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.controller:
            return
        from .terminal import analysis_lines

        for title, lines in analysis_lines(self, self.config.getoption("orch_summary")):
            terminalreporter.section(title)
            for line, markup in lines:
                terminalreporter.line(line, **markup)

    @pytest.hookimpl(optionalhook=True)
    def pytest_html_results_summary(self, prefix: list[str], summary: list[str],
                                    postfix: list[str]) -> None:
        """pytest-html's summary: the run's written summary and its regressions."""
        from .terminal import html_summary

        if self.controller:
            prefix.extend(html_summary(self))

    def _warn(self, line: str) -> None:
        """A line in the terminal (on the controller; a worker's terminal is not shown)."""
        reporter = self.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(line, yellow=True)


def _html_extras(flags: list[Flag], charts: list[str]) -> list[dict[str, Any]]:
    from pytest_html import extras

    found = []
    for item, chart in zip(flags, charts, strict=True):
        found.append(extras.text(item.line(), name=f"regression {item.metric}"))
        found.append(extras.html(f'<div class="orch-trend">{chart}</div>'))
    return found
