"""The run: one OrchestratorSession per pytest session holds the run id, the context store,
the outcomes that gate dependents, and turns a step into a StepRun and its result into text."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import secrets
import sys
import time
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from .errors import OrchestratorError

# Everything else is imported where a recipe needs it: a project without recipes pays for
# none of it at start-up.
if TYPE_CHECKING:
    from .cache import StepCache
    from .context import Context, ContextBackend
    from .dag import Ancestry
    from .executors import StepOutcome
    from .items import StepItem
    from .placeholders import Expansion
    from .recipe import Recipe
    from .reporting.terminal import RecipeSummary
    from .runner import StepRun
    from .safety import Redactor

SESSION_KEY = pytest.StashKey["OrchestratorSession"]()
FAILED, SKIPPED, PASSED = "failed", "skipped", "passed"


class _Frozen:
    """What collection made lives to the end of the session, so it is moved out of the garbage
    collector's way (``gc.freeze``): its full passes need not walk it again after every few
    hundred steps. At the end of the outermost session it is left frozen, since the process is
    about to exit: pytest's last full passes and the interpreter's need not walk it either.
    A session run inside another (pytester's in-process runs) thaws it at its end, and a later
    session in the same process (``pytest.main()`` called again) thaws it first."""

    sessions = 0
    left = False

    @classmethod
    def session_starts(cls) -> None:
        if cls.left:  # what the last session left (its garbage too) goes before we freeze
            gc.unfreeze()
            gc.collect()
            cls.left = False
        cls.sessions += 1

    @classmethod
    def session_ends(cls, froze: bool) -> None:
        cls.sessions -= 1
        if froze and cls.sessions > 0:
            gc.unfreeze()
        elif froze:
            cls.left = True


def reran(report: pytest.TestReport) -> bool:
    """A report pytest-rerunfailures turned into a rerun: another try of the step follows."""
    return str(report.outcome) == "rerun"


def new_run_id() -> str:
    return time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)


class OrchestratorSession:
    """State of one pytest session's recipe steps; registered as a plugin for its hooks."""

    def __init__(self, config: pytest.Config, backend_url: str,
                 shared_context_file: Path | None = None) -> None:
        self.config = config
        self.rootdir = config.rootpath
        self.run_id = getattr(config, "workerinput", {}).get("orch_run_id") or new_run_id()
        self.backend_url = backend_url
        #: the SQLite context the controller made for xdist workers, removed at the end
        self.shared_context_file = shared_context_file
        self._backend: ContextBackend | None = None
        artifacts = config.getoption("orch_artifacts") or config.getini("orchestrator_artifacts")
        self.artifacts_root = Path(self.rootdir, artifacts, self.run_id)
        data = config.getini("orchestrator_data")
        self.data_dir = Path(self.rootdir, data) if data else None
        self.outcomes: dict[str, str] = {}
        self.step_nodeids: set[str] = set()
        self.selected: set[str] = set()
        self.namespaces: dict[str, str] = {}
        self._ancestry: dict[Path, Ancestry] = {}
        self._markers: set[str] = set()
        self._test_ids: dict[str, Path] = {}
        self._rows: dict[tuple[Path, str], tuple[str, Expansion]] = {}
        self.dependency_skipped: set[str] = set()
        from .plugin import default_timeout

        self.default_timeout = default_timeout(config)
        self._frozen = False
        _Frozen.session_starts()
        # read once: each step's reports use them
        self._junit = bool(config.getoption("xmlpath", None))
        self._html = config.getoption("htmlpath", None)
        self._debug = bool(config.getoption("orch_debug", False))

    @cached_property
    def allowed_packages(self) -> tuple[str, ...]:
        from .safety import DEFAULT_PACKAGES

        return tuple(self.config.getini("orchestrator_scriptlet_packages")) or DEFAULT_PACKAGES

    @property
    def max_parametrize_rows(self) -> int:
        """The ini option ``orchestrator_max_parametrize_rows``; a bad value fails each recipe
        file's collection with one message."""
        from .project import max_parametrize_rows

        return max_parametrize_rows(self.config)

    @cached_property
    def redactor(self) -> Redactor:
        from .safety import Redactor

        redactor = Redactor(self.config.getini("orchestrator_secret_patterns"))
        redactor.add_url(self.backend_url)
        return redactor

    def learn_secrets(self, recipe: Recipe, row_id: str, params: dict[str, Any]) -> None:
        """At collection, on every process (each xdist worker collects every recipe): the
        secret parametrize values and secret args of a recipe row, so that a worker masks them
        before it runs any step of the row, whichever worker ran the step that used them."""
        redactor = self.redactor
        redactor.add_args(params)
        expansion = None
        for step in recipe.steps:
            if step.args and _mentions_secret(step.args, redactor):
                expansion = expansion or self._expansion(recipe, row_id, params)
                with contextlib.suppress(OrchestratorError):
                    redactor.add_args(expansion.expand(step.args))

    @cached_property
    def _where(self) -> str:
        from .reporting.junit import where

        return where()

    @cached_property
    def summary(self) -> RecipeSummary:
        from .reporting.terminal import RecipeSummary

        return RecipeSummary()

    @cached_property
    def cache(self) -> StepCache:
        from .cache import StepCache

        return StepCache.for_config(self.config)

    @property
    def backend(self) -> ContextBackend:
        """The context backend, opened on first use: a project without recipes opens none."""
        if self._backend is None:
            if self.backend_url.startswith("sqlite:"):  # the automatic one under xdist
                from .context.sqlite_backend import path_of
                from .folders import make_folder

                make_folder(path_of(self.backend_url).parent)
            self._backend = self.config.hook.pytest_orchestrator_context_backend(
                config=self.config, url=self.backend_url)
        return self._backend

    # -- collection ------------------------------------------------------------------------
    def claim_test_id(self, recipe: Recipe) -> None:
        """A test_id names one recipe file: a second file using it is a collection error."""
        from .recipe import claim_test_id

        ensure_importable(self.rootdir)
        claim_test_id(recipe, self._test_ids, self.rootdir)

    def register_recipe(self, recipe: Recipe, row_id: str, file_nodeid: str) -> None:
        self.namespaces.setdefault(recipe.test_id, recipe.namespace(row_id))
        if recipe.path not in self._ancestry:
            from .dag import Ancestry

            self._ancestry[recipe.path] = Ancestry([s.name for s in recipe.steps],
                                                   {s.name: s.deps for s in recipe.steps})
        for mark in recipe.tags:
            self.register_marker(mark)

    def register_marker(self, name: str) -> None:
        """Recipe tags and step markers are registered, so --strict-markers accepts them."""
        if name not in self._markers:
            self._markers.add(name)
            self.config.addinivalue_line("markers", f"{name}: recipe tag or step marker")

    def mark(self, item: StepItem) -> None:
        self.step_nodeids.add(item.nodeid)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        self.selected = {item.nodeid for item in session.items}
        if self.step_nodeids and not self.config.getoption("collectonly"):
            self.backend  # noqa: B018 -- a bad context URL is a usage error before any step
            gc.freeze()  # see _Frozen
            self._frozen = True

    @property
    def store_path(self) -> Path | None:
        self.open_results()
        return self._store_path

    # -- running ---------------------------------------------------------------------------
    def check_dependencies(self, item: StepItem) -> None:
        __tracebackhide__ = True
        missing = [dep for dep in item.step.deps if item.dep_nodeid(dep) not in self.outcomes]
        on_worker = hasattr(self.config, "workerinput")
        for dep in missing:
            if item.dep_nodeid(dep) in self.selected and not on_worker:
                pytest.fail(f"dependency '{dep}' has not run yet: the items were "
                            "reordered against the DAG", pytrace=False)
        if missing:
            self._restore(item)
        for dep in item.step.deps:
            if self.outcomes[item.dep_nodeid(dep)] != PASSED and not item.step.finally_:
                pytest.skip(f"dependency '{dep}' failed")

    def _restore(self, item: StepItem) -> None:
        """Dependencies that did not run here come from the results store: from this run when
        another xdist worker ran them, else from the latest recorded run; each one, and each of
        its ancestors that did not run here either, in DAG order."""
        __tracebackhide__ = True
        from .results import restore

        ancestry = self._ancestry[item.recipe.path]
        # a step with an outcome here has its ancestors' too: the walk stops at it
        names = ancestry.closure(item.step.name,
                                 known=lambda name: item.dep_nodeid(name) in self.outcomes)
        store = self.results_store()
        if store is None:
            pytest.fail(f"dependency '{names[-1]}' has no recorded state: run it first or "
                        "select it too" + ("; under -n, steps share results through the "
                                           "results store: do not turn it off"
                                           if hasattr(self.config, "workerinput") else ""),
                        pytrace=False)
        why, outcomes = restore(store, item, names, self.selected, self.run_id,
                                persist=not hasattr(self.config, "workerinput"))
        if why:
            pytest.fail(why, pytrace=False)
        for name, state in outcomes.items():
            self.outcomes[item.dep_nodeid(name)] = PASSED if state == "passed" else FAILED

    def open_results(self) -> None:
        """On the controller, register the store's writer (at the first recipe file, or at
        start under xdist); it opens the file only once a recipe step reports. With the store
        off under xdist, the steps' results still travel through the controller: into a
        private store in a temporary folder, removed at the end."""
        if hasattr(self, "_store_path"):
            return  # once per session
        worker = getattr(self.config, "workerinput", None)
        self._store_path = Path(worker["orch_db"]) if worker and worker.get("orch_db") \
            else store_path(self.config)
        if worker is not None or self.config.getoption("orch_dry_run") \
                or self.config.getoption("collectonly"):
            return
        self._temporary_store = self._store_path is None and distributed(self.config)
        if self._temporary_store:
            import tempfile

            self._store_path = Path(tempfile.mkdtemp(prefix="orchestrator-"), "results.db")
        if self._store_path is not None:
            from .progress import Progress
            from .results import Results

            results = Results(self.config, self.results_store)
            self.config.pluginmanager.register(results, "orchestrator-results")
            self.config.pluginmanager.register(Progress(results), "orchestrator-progress")

    def results_store(self) -> Any:
        """The results store (opened on first use), or None when it is off."""
        if getattr(self, "_store", None) is None and self._store_path is not None:
            from .store import ResultsStore

            self._store = ResultsStore(self._store_path)
        return getattr(self, "_store", None)

    def run_step(self, item: StepItem) -> StepOutcome:
        from .runner import execute

        run = self._step_run(item)
        step = item.step
        hook = self.config.hook
        hook.pytest_orchestrator_step_start(item=item, step=step)
        outcome = execute(run)
        hook.pytest_orchestrator_step_finish(item=item, step=step, outcome=outcome)
        if run.log is not None:
            item.log_file = run.log.write(outcome, self.redactor)
        if outcome.stderr.strip():
            item.add_report_section("call", "stderr", self.redactor.text(outcome.stderr))
        if outcome.stdout_logs.strip():
            item.add_report_section("call", "stdout", self.redactor.text(outcome.stdout_logs))
        if outcome.notes:
            item.add_report_section("call", "orchestrator", "\n".join(outcome.notes))
        return outcome

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item,
                                  call: pytest.CallInfo[None]) -> Any:
        report: pytest.TestReport = yield
        if item.nodeid not in self.step_nodeids:
            return report
        if report.sections:
            # what the step wrote to fd 1/2 itself, or a process it started, was captured
            # by pytest past our redaction
            report.sections = [(title, self.redactor.text(text))
                               for title, text in report.sections]
        if report.when == "call" or not report.passed:
            from .results import record_of

            report.orch_record = record_of(  # type: ignore[attr-defined]
                item, report, self.redactor,  # type: ignore[arg-type]
                full=self._store_path is not None)
        outcome: StepOutcome | None = getattr(item, "outcome", None)
        if report.when == "call" and outcome is not None:
            self._call_report(item, report, outcome)  # type: ignore[arg-type]
        if report.skipped and isinstance(report.longrepr, tuple):
            step = item.step  # type: ignore[attr-defined]
            report.longrepr = (item.recipe.where, step.line, report.longrepr[2])  # type: ignore[attr-defined]
        return report

    def _call_report(self, item: StepItem, report: pytest.TestReport,
                     outcome: StepOutcome) -> None:
        """What a step's call report carries for JUnit, pytest-html, the terminal and the
        controller."""
        if self._junit:
            from .reporting.junit import junit_properties

            item.user_properties.extend(junit_properties(outcome))
        if self._html:
            from .reporting.html_extras import html_extras

            report.extras = [*getattr(report, "extras", []),  # type: ignore[attr-defined]
                             *html_extras(outcome, self.redactor, self.rootdir,
                                          log=item.log_file, html_path=self._html)]
        log = item.log_file
        report.orch_log = str(log) if log else None  # type: ignore[attr-defined]
        report.orch_attempts = outcome.attempts  # type: ignore[attr-defined]
        report.orch_where = self._where  # type: ignore[attr-defined]
        report.orch_executor = outcome.executor  # type: ignore[attr-defined]
        report.orch_cache_hit = outcome.cache_hit  # type: ignore[attr-defined]

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> bool | None:
        """``--dry-run``: show the plan of the selected steps, run nothing."""
        if not self.config.getoption("orch_dry_run"):
            return None
        from .plan import plan_lines

        steps = [i for i in session.items if i.nodeid in self.step_nodeids]
        writer = self.config.get_terminal_writer()
        writer.sep("-", "orchestrator plan (dry run: nothing runs)")
        for line in plan_lines(steps, self._cache_state,  # type: ignore[arg-type]
                               self.default_timeout):
            writer.line(line)
        return True

    def _step_run(self, item: StepItem) -> StepRun:
        from .context import Context
        from .reporting.step_log import StepLog
        from .runner import StepRun

        recipe, step = item.recipe, item.step
        namespace, expansion = self._row(item)
        shared = recipe.context.startswith("shared:")
        ancestry = self._ancestry[recipe.path]
        ctx = Context(self.backend, namespace, run_id=self.run_id,
                      step=f"{recipe.test_id}::{item.name}" if shared else step.name,
                      policy=recipe.conflict,
                      sees=None if shared else
                      (lambda writers: ancestry.visible_writers(step.name, writers)))
        log = StepLog(self.artifacts_root, recipe.test_id, step.name, item.row_id,
                      f"{recipe.where}:{step.line}")
        return StepRun(recipe, step, ctx, expansion, self.redactor, item.scriptlet,
                       trace=log.traced(self._trace) if self._debug else None,
                       cache=self.cache, log=log, default_timeout=self.default_timeout)

    def _cache_state(self, item: StepItem) -> str:
        """For --dry-run: hit or miss where it can be known before anything runs."""
        step = item.step
        if step.cache_key is None:
            return "cache: off"
        if step.cache_key == "auto" and step.deps:
            return "cache: auto"  # depends on what the dependencies will write
        from .runner import cache_key

        key = cache_key(self._step_run(item))
        if key is None:
            return "cache: off"
        return "cache: hit" if self.cache.get(key) else "cache: miss"

    def _trace(self, line: str) -> None:
        """--orch-debug: straight to the real stderr, past pytest's capture."""
        capman = self.config.pluginmanager.getplugin("capturemanager")
        with capman.global_and_fixture_disabled():
            sys.stderr.write(f"[orch] {line}\n")
            sys.stderr.flush()

    def _row(self, item: StepItem) -> tuple[str, Expansion]:
        """The namespace and placeholder values of a recipe row, worked out once per row."""
        key = (item.recipe.path, item.row_id)
        if key not in self._rows:
            from .folders import make_folder

            expansion = self._expansion(item.recipe, item.row_id, item.params)
            make_folder(Path(expansion.artifacts))
            self._rows[key] = item.recipe.namespace(item.row_id), expansion
        return self._rows[key]

    def _expansion(self, recipe: Recipe, row_id: str, params: dict[str, Any]) -> Expansion:
        from .placeholders import Expansion

        data = self.data_dir or recipe.path.parent / "data"
        from .folders import folder_name

        artifacts = self.artifacts_root / folder_name(recipe.namespace(row_id))
        return Expansion(rootdir=str(self.rootdir), data=str(data), artifacts=str(artifacts),
                         run_id=self.run_id, environ=os.environ, params=params)

    def pytest_report_teststatus(self, report: pytest.TestReport) -> Any:
        """A step that passed on a retry, or from the cache, says so in the terminal."""
        if report.when != "call" or not report.passed:
            return None
        if getattr(report, "orch_cache_hit", False):
            return "passed", "c", ("PASSED (cached)", {"green": True})
        attempts = getattr(report, "orch_attempts", 1)
        if attempts > 1:
            # "a", not "R": pytest-rerunfailures prints R for its reruns
            return "passed", "a", (f"PASSED (attempt {attempts})", {"green": True})
        return None

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if "summary" not in self.__dict__:  # no recipe step reported
            return
        lines = self.summary.lines()
        if lines:
            terminalreporter.section("orchestrator: recipes")
            for line in lines:
                terminalreporter.line(line)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if reran(report):
            return
        record = getattr(report, "orch_record", None)
        if record:
            self.summary.add(record)
        if report.skipped and isinstance(report.longrepr, tuple) \
                and str(report.longrepr[2]).startswith("Skipped: dependency '"):
            self.dependency_skipped.add(report.nodeid)
        if report.nodeid not in self.step_nodeids:
            return
        current = self.outcomes.get(report.nodeid)
        if report.failed or hasattr(report, "wasxfail"):
            self.outcomes[report.nodeid] = FAILED
        elif report.skipped and current != FAILED:
            self.outcomes[report.nodeid] = SKIPPED
        elif report.when == "call" and current is None:
            self.outcomes[report.nodeid] = PASSED

    @pytest.hookimpl(trylast=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        """--lf forgets steps skipped because a dependency failed (pytest drops skips from
        lastfailed): keep them, so the next --lf runs them once their dependency passes."""
        cache = getattr(self.config, "cache", None)
        if cache is None or hasattr(self.config, "workerinput") or not self.dependency_skipped:
            return
        lastfailed = cache.get("cache/lastfailed", {})
        lastfailed.update(dict.fromkeys(self.dependency_skipped, True))
        cache.set("cache/lastfailed", lastfailed)

    def pytest_unconfigure(self) -> None:
        _Frozen.session_ends(self._frozen)
        inprocess = sys.modules.get(f"{__package__}.executors.inprocess")
        if inprocess is not None:  # the SIGINT handler from before the first in-process step
            inprocess.release_sigint()
        if self._rows:
            from .leftovers import drop_folders
            from .runner import SNAPSHOTS

            drop_folders(Path(expansion.artifacts, SNAPSHOTS) for _, expansion in
                         self._rows.values())
        if self._backend is not None:
            self._backend.close()
        if self.shared_context_file is not None and not hasattr(self.config, "workerinput"):
            from .leftovers import drop_context_file

            drop_context_file(self.shared_context_file, self.redactor,
                              keep=bool(self.config.getoption("orch_debug")))
        store = getattr(self, "_store", None)
        if store is not None and not self.config.pluginmanager.has_plugin("orchestrator-results"):
            store.close()
        if getattr(self, "_temporary_store", False) and self._store_path is not None:
            import shutil

            shutil.rmtree(self._store_path.parent, ignore_errors=True)

    # -- reporting -------------------------------------------------------------------------
    def failure_text(self, item: StepItem, error: BaseException) -> str:
        outcome: StepOutcome | None = getattr(error, "outcome", None)
        if outcome is None:
            return f"{item.recipe.test_id}::{item.name}: {error}"
        env = outcome.envelope_dict
        lines = [f"step '{item.name}' of {item.recipe.test_id} failed "
                 f"(exit {outcome.exit_code or env.get('exit_code', 1)}): "
                 f"{outcome.failure or env.get('reason', '')}"]
        if env.get("details"):
            lines.append(f"details: {json.dumps(env['details'], sort_keys=True)}")
        if outcome.attempts > 1:
            tried = "; ".join(f"{n}) {why}" for n, why in enumerate(outcome.failed_attempts, 1))
            lines.append(f"attempts: {outcome.attempts}, each failed: {tried}")
        lines.append(self._yaml_excerpt(item))
        if outcome.traceback:
            lines.append("scriptlet traceback:\n" + outcome.traceback.rstrip())
        return "\n".join(lines)

    def _yaml_excerpt(self, item: StepItem) -> str:
        step = item.step
        try:
            text = item.recipe.path.read_text(encoding="utf-8").splitlines()
        except OSError:
            return f"recipe: {item.recipe.where}:{step.line}"
        shown = text[step.line - 1:max(step.end_line, step.line)][:12]
        body = "\n".join(f"  {step.line + i:4d} | {line}" for i, line in enumerate(shown))
        return f"recipe {item.recipe.where}:{step.line}:\n{body}"


class RunContext:
    """The ``orchestrator_context`` fixture: this run's context store, by recipe."""

    def __init__(self, session: OrchestratorSession) -> None:
        self.backend = session.backend
        self.run_id = session.run_id
        self._namespaces = session.namespaces

    def recipe(self, test_id: str, row: str = "") -> Context:
        """The live Context of a recipe (by test_id; ``row`` for a parametrized one)."""
        from .context import Context

        namespace = f"{test_id}[{row}]" if row else self._namespaces.get(test_id, test_id)
        return Context(self.backend, namespace, run_id=self.run_id)


def store_path(config: pytest.Config) -> Path | None:
    """``--orch-db PATH|off`` or the ini option ``orchestrator_db``; None when off."""
    value = config.getoption("orch_db") or config.getini("orchestrator_db")
    if str(value).lower() == "off":
        return None
    return Path(config.rootpath, value)


def distributed(config: pytest.Config) -> bool:
    """Whether pytest-xdist will run this session on workers."""
    return bool(config.getoption("numprocesses", None) or config.getoption("tx", None))


def _mentions_secret(args: Any, redactor: Redactor) -> bool:
    """Whether args name a secret (a key, or a flag of an argv list) or hold a placeholder or
    URL that may: only those are expanded at collection."""
    text = json.dumps(args)
    return "${" in text or "://" in text or redactor.is_secret_name(text)


def ensure_importable(rootdir: Path) -> None:
    """Scriptlet packages are imported from the rootdir, like a conftest's neighbours."""
    root = str(rootdir)
    if root not in sys.path:
        sys.path.insert(0, root)
