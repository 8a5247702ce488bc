"""The pytest11 entry point: options, ini keys, hooks and registration. Wiring only."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .context import ContextBackend
    from .session import RunContext
    from .standalone import ScriptletResult

DEFAULT_RECIPES = ["recipes/*.yaml", "recipes/*.yml", "*.recipe.yaml", "*.recipe.yml"]

#: Options spelled ``--orch-NAME`` (always) and ``--NAME`` (where no other plugin owns it).
SELECTION_OPTIONS: dict[str, dict[str, Any]] = {
    "only": dict(dest="orch_only", action="append", metavar="STEP", default=None,
                 help="run only this step (repeat it, or give a,b); its dependencies are "
                      "restored from the results store (or pulled in with --with-deps)"),
    "skip": dict(dest="orch_skip", action="append", metavar="STEP", default=None,
                 help="do not run this step (repeat it, or give a,b); steps after it use its "
                      "recorded state"),
    "resume-from": dict(dest="orch_resume_from", metavar="STEP", default=None,
                        help="deselect what comes before STEP in DAG order and restore it "
                             "from the results store"),
    "with-deps": dict(dest="orch_with_deps", action="store_true", default=False,
                      help="pull the dependencies of every selected step into the run "
                           "instead of restoring them"),
    "dry-run": dict(dest="orch_dry_run", action="store_true", default=False,
                    help="print the plan of the selected steps (order, parallel levels, "
                         "executor, cache hit/miss) and run nothing"),
}


def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from . import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("orchestrator", "pytest-orchestrator recipes")
    group.addoption("--orch-context", metavar="URL", default=None,
                    help="context backend URL (default: ini orchestrator_context, memory://)")
    group.addoption("--orch-artifacts", metavar="DIR", default=None,
                    help="folder for run artifacts, relative to the rootdir "
                         "(default: ini orchestrator_artifacts)")
    group.addoption("--orch-debug", action="store_true", default=False,
                    help="trace every step to stderr: params, context before/after of each key "
                         "written, subprocess argv and exit codes (secrets masked)")
    for name, attrs in SELECTION_OPTIONS.items():
        group.addoption(f"--orch-{name}", **attrs)
    group.addoption("--orch-param", dest="orch_param", action="append", type=_param_value,
                    metavar="NAME=VALUE", default=None,
                    help="replace the values of the recipes' parametrize axis NAME (repeat it "
                         "for several values); VALUE is JSON when it parses, else text")
    group.addoption("--no-dag-scheduler", dest="orch_no_dag", action="store_true",
                    default=False, help="under -n, let xdist schedule (steps of a recipe may "
                                        "then run before their dependencies)")
    group.addoption("--orch-db", metavar="PATH|off", default=None,
                    help="the results store (default: ini orchestrator_db, "
                         ".orchestrator/results.db); 'off' records nothing")
    group.addoption("--orch-report", metavar="PATH", default=None,
                    help="at the end of the session, write our HTML run report of this run "
                         "to PATH (read from the results store)")
    group.addoption("--orch-fail-on-regression", action="store_true", default=False,
                    help="fail the session (exit 1) when a metric is flagged as a regression "
                         "against its history (default: a warning)")
    group.addoption("--orch-summary", action="store_true", default=False,
                    help="show the run's written summary in the terminal (heuristic, or from "
                         "a pytest_orchestrator_summarize plugin)")
    parser.addini("orchestrator_baseline_runs", default="10",
                  help="passed runs of a step (same definition) its metrics' baseline is made "
                       "of; nothing is flagged before 5")
    parser.addini("orchestrator_regression_threshold", default="3.5",
                  help="robust z-score past which a metric may be flagged (default 3.5)")
    parser.addini("orchestrator_regression_tolerance", default="5%",
                  help="relative change past which a metric may be flagged (default 5%)")
    parser.addini("orchestrator_fail_on_regression", type="bool", default=False,
                  help="as --orch-fail-on-regression")
    parser.addini("orchestrator_db", default=".orchestrator/results.db",
                  help="the results store, relative to the rootdir, or 'off'")
    parser.addini("orchestrator_recipes", type="linelist", default=DEFAULT_RECIPES,
                  help="glob patterns (matched from the right, relative to the rootdir) of "
                       "YAML files collected as recipes; a YAML path on the command line is "
                       "always collected")
    parser.addini("orchestrator_scriptlet_packages", type="linelist", default=["scriptlets"],
                  help="packages whose modules recipes may name as scriptlets")
    parser.addini("orchestrator_context", default="memory://",
                  help="context backend URL")
    parser.addini("orchestrator_artifacts", default=".orchestrator/artifacts",
                  help="folder for run artifacts, relative to the rootdir")
    parser.addini("orchestrator_data", default="",
                  help="folder ${DATA} names, relative to the rootdir "
                       "(default: the recipe's folder + /data)")
    parser.addini("orchestrator_default_timeout", default="",
                  help="seconds a step without its own timeout may run before it is killed "
                       "(Python steps then run in a child process); 0 or empty: no limit")
    parser.addini("orchestrator_max_parametrize_rows", type="int", default=10_000,
                  help="the most rows a recipe's parametrize product may have (default 10000)")
    parser.addini("orchestrator_secret_patterns", type="linelist",
                  default=["password", "passwd", "secret", "token", "api_key", "credential"],
                  help="arg and environment variable names matching these are shown as ***")


def _param_value(text: str) -> tuple[str, Any]:
    """``--orch-param NAME=VALUE``, checked where it is given."""
    from .parametrize import param_value

    return param_value(text)


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser,
                                  args: list[str]) -> Iterator[None]:
    """The short spellings are added once every plugin and initial conftest has added its
    options: one that another plugin owns (pytest-only's ``--only``) stays theirs."""
    yield
    group = parser.getgroup("orchestrator")
    for name, attrs in SELECTION_OPTIONS.items():
        try:
            group.addoption(f"--{name}", **{**attrs, "help": f"same as --orch-{name}"})
        except (argparse.ArgumentError, ValueError):
            continue  # owned by another plugin: --orch-NAME still works


def pytest_configure(config: pytest.Config) -> None:
    from .session import SESSION_KEY, OrchestratorSession

    config.addinivalue_line("markers", "requires_process: the step runs in a child process")
    url = context_url(config)
    made = url != str(config.getoption("orch_context") or config.getini("orchestrator_context"))
    session = OrchestratorSession(config, url, shared_context_file=Path(url[len("sqlite:///"):])
                                  if made and not hasattr(config, "workerinput") else None)
    config.stash[SESSION_KEY] = session
    config.pluginmanager.register(session, "orchestrator-session")
    from .selection import Selection

    config.pluginmanager.register(Selection(config), "orchestrator-selection")
    if config.getoption("orch_param"):
        from .parametrize import ParamOverrides

        config.pluginmanager.register(ParamOverrides(config.getoption("orch_param")),
                                      "orchestrator-params")
    from .session import distributed, store_path

    if distributed(config) or hasattr(config, "workerinput"):
        session.open_results()
        _watch_history(config)
    elif config.getoption("orch_report") and store_path(config) is None:
        raise pytest.UsageError("--orch-report writes the run report from the results store: "
                                "it cannot be used with --orch-db off")
    if getattr(config, "workerinput", {}).get("orch_dag"):
        from .parallel import WorkerSync

        config.pluginmanager.register(WorkerSync(), "orchestrator-worker-sync")


def _watch_history(config: pytest.Config) -> None:
    """Once recipes are in play and a results store records them: the analysis of each
    step's metrics against its history (regression flags, flaky steps, the summary)."""
    from .analysis.plugin import ANALYSIS, Analysis
    from .session import SESSION_KEY

    session = config.stash[SESSION_KEY]
    if config.pluginmanager.has_plugin(ANALYSIS) or session.store_path is None \
            or config.getoption("orch_dry_run") or config.getoption("collectonly"):
        return
    config.pluginmanager.register(Analysis(config), ANALYSIS)


def default_timeout(config: pytest.Config) -> float | None:
    """The ini option ``orchestrator_default_timeout`` in seconds (None: off)."""
    raw = str(config.getini("orchestrator_default_timeout")).strip()
    try:
        seconds = float(raw or 0)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < float("inf"):
        raise pytest.UsageError(
            f"ini option orchestrator_default_timeout: {raw!r} is not a number of seconds; "
            "give a positive number, or 0 (or nothing) for no default timeout")
    return seconds or None


def context_url(config: pytest.Config) -> str:
    """The context backend's URL. Under xdist, ``memory://`` (the default) cannot be shared, so
    the controller picks a SQLite file for the run and hands it to the workers."""
    inherited = getattr(config, "workerinput", {}).get("orch_context_url")
    if inherited:
        return str(inherited)
    url = str(config.getoption("orch_context") or config.getini("orchestrator_context"))
    from .session import distributed, new_run_id

    if url.startswith("memory:") and distributed(config):
        # nothing is created until a step needs it
        folder = Path(config.rootpath, ".orchestrator", "context")
        url = f"sqlite:///{folder}/{new_run_id()}.db"
    return url


@pytest.hookimpl(trylast=True)
def pytest_orchestrator_context_backend(config: pytest.Config, url: str) -> ContextBackend:
    from .context import open_backend
    from .errors import OrchestratorError
    from .safety import hide_url_password

    try:
        return open_backend(url)
    except OrchestratorError as exc:
        raise pytest.UsageError(hide_url_password(str(exc))) from None


@pytest.hookimpl(optionalhook=True, wrapper=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under ``-n``, xdist's scheduler for the ``--dist`` mode, inside ours: it stays in
    charge unless recipe steps are collected (``--no-dag-scheduler``: always xdist's)."""
    chosen = yield
    if config.getoption("orch_no_dag") or chosen is None:
        return chosen
    from .parallel import DagScheduling

    return DagScheduling(config, log, chosen)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """The workers share the controller's run id, context and results store."""
    from .session import SESSION_KEY

    session = node.config.stash.get(SESSION_KEY, None)
    if session is None:  # not configured by us (another plugin's test harness)
        return
    node.workerinput["orch_run_id"] = session.run_id
    node.workerinput["orch_context_url"] = session.backend_url
    node.workerinput["orch_db"] = str(session.store_path or "")
    node.workerinput["orch_dag"] = not node.config.getoption("orch_no_dag", False)


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix not in (".yaml", ".yml"):
        return None
    config = parent.config
    from .project import is_recipe

    if not (parent.session.isinitpath(file_path) or is_recipe(
            file_path, config.rootpath, config.getini("orchestrator_recipes"))):
        return None
    from .items import RecipeFile
    from .session import SESSION_KEY

    config.stash[SESSION_KEY].open_results()
    _watch_history(config)
    if config.pluginmanager.hasplugin("timeout"):
        from .timeout_plugin import register

        register(config)
    return RecipeFile.from_parent(parent, path=file_path)


@pytest.fixture(scope="session")
def orchestrator_context(pytestconfig: pytest.Config) -> Iterator[RunContext]:
    """This run's context store: ``orchestrator_context.recipe("NUM-001").get(key)``."""
    from .session import SESSION_KEY, RunContext

    yield RunContext(pytestconfig.stash[SESSION_KEY])


@pytest.fixture
def run_scriptlet(pytestconfig: pytest.Config,
                  tmp_path: Path) -> Callable[..., ScriptletResult]:
    """Run a scriptlet as a recipe step runs it: ``run_scriptlet(LoadNumbers, {"src": path},
    context={"numbers.raw_v1": [1, 2]})``, or ``"pkg.module:Class"``, or a script path from
    the rootdir; returns its envelope, exit code, writes, stderr, traceback and context."""
    from functools import partial

    from .session import SESSION_KEY
    from .standalone import run_scriptlet as run

    return partial(run, session=pytestconfig.stash[SESSION_KEY], base=pytestconfig.rootpath,
                   artifacts=tmp_path / "artifacts")
