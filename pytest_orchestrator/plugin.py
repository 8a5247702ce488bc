"""The pytest11 entry point: options, ini keys, hooks and registration. Wiring only."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from .context import ContextBackend
    from .session import RunContext

DEFAULT_RECIPES = ["recipes/*.yaml", "recipes/*.yml", "*.recipe.yaml", "*.recipe.yml"]


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
    group.addoption("--dry-run", action="store_true", default=False,
                    help="print the plan of the selected steps (order, parallel levels, "
                         "executor, cache hit/miss) and run nothing")
    group.addoption("--orch-debug", action="store_true", default=False,
                    help="trace every step to stderr: params, context before/after of each key "
                         "written, subprocess argv and exit codes (secrets masked)")
    group.addoption("--only", dest="orch_only", nargs="+", metavar="STEP", default=None,
                    help="run only these steps; their dependencies are restored from the "
                         "results store (or pulled in with --with-deps)")
    group.addoption("--skip", dest="orch_skip", nargs="+", metavar="STEP", default=None,
                    help="do not run these steps; steps after them use their recorded state")
    group.addoption("--resume-from", dest="orch_resume_from", metavar="STEP", default=None,
                    help="deselect what comes before STEP in DAG order and restore it from "
                         "the results store")
    group.addoption("--with-deps", dest="orch_with_deps", action="store_true", default=False,
                    help="pull the dependencies of every selected step into the run instead "
                         "of restoring them")
    group.addoption("--no-dag-scheduler", dest="orch_no_dag", action="store_true",
                    default=False, help="under -n, let xdist schedule (steps of a recipe may "
                                        "then run before their dependencies)")
    group.addoption("--orch-db", metavar="PATH|off", default=None,
                    help="the results store (default: ini orchestrator_db, "
                         ".orchestrator/results.db); 'off' records nothing")
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
    parser.addini("orchestrator_secret_patterns", type="linelist",
                  default=["password", "passwd", "secret", "token", "api_key", "credential"],
                  help="arg and environment variable names matching these are shown as ***")


def pytest_configure(config: pytest.Config) -> None:
    from .session import SESSION_KEY, OrchestratorSession, ensure_importable

    config.addinivalue_line("markers", "requires_process: the step runs in a child process")
    ensure_importable(config.rootpath)
    backend = config.hook.pytest_orchestrator_context_backend(config=config,
                                                              url=context_url(config))
    session = OrchestratorSession(config, backend)
    config.stash[SESSION_KEY] = session
    config.pluginmanager.register(session, "orchestrator-session")
    from .selection import Selection

    config.pluginmanager.register(Selection(config), "orchestrator-selection")
    session.open_results()
    if config.pluginmanager.hasplugin("html") and not hasattr(config, "workerinput"):
        from .reporting.html_extras import WorkerColumn

        config.pluginmanager.register(WorkerColumn(), "orchestrator-html-worker")
    if getattr(config, "workerinput", {}).get("orch_dag"):
        from .parallel import WorkerSync

        config.pluginmanager.register(WorkerSync(), "orchestrator-worker-sync")


def context_url(config: pytest.Config) -> str:
    """The context backend's URL. Under xdist, ``memory://`` (the default) cannot be shared, so
    the controller picks a SQLite file for the run and hands it to the workers."""
    inherited = getattr(config, "workerinput", {}).get("orch_context_url")
    if inherited:
        return str(inherited)
    url = str(config.getoption("orch_context") or config.getini("orchestrator_context"))
    distributed = config.getoption("numprocesses", None) or config.getoption("tx", None)
    if url.startswith("memory:") and distributed:
        from .session import new_run_id

        folder = Path(config.rootpath, ".orchestrator", "context")
        folder.mkdir(parents=True, exist_ok=True)
        url = f"sqlite:///{folder}/{new_run_id()}.db"
    return url


@pytest.hookimpl(trylast=True)
def pytest_orchestrator_context_backend(config: pytest.Config, url: str) -> ContextBackend:
    from .context import open_backend
    from .errors import OrchestratorError

    try:
        return open_backend(url)
    except OrchestratorError as exc:
        raise pytest.UsageError(str(exc)) from None


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Under ``-n``, steps go to workers in DAG order (``--no-dag-scheduler``: xdist's own)."""
    if config.getoption("orch_no_dag"):
        return None
    from .parallel import DagScheduling

    return DagScheduling(config, log)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node: Any) -> None:
    """The workers share the controller's run id and know the DAG scheduler is on."""
    from .session import SESSION_KEY

    node.workerinput["orch_run_id"] = node.config.stash[SESSION_KEY].run_id
    node.workerinput["orch_context_url"] = node.config.stash[SESSION_KEY].backend.url
    node.workerinput["orch_dag"] = not node.config.getoption("orch_no_dag")


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if file_path.suffix not in (".yaml", ".yml"):
        return None
    config = parent.config
    if not parent.session.isinitpath(file_path):
        try:
            relative = PurePath(file_path.relative_to(config.rootpath))
        except ValueError:
            return None
        if not any(relative.match(p) for p in config.getini("orchestrator_recipes")):
            return None
    from .items import RecipeFile

    return RecipeFile.from_parent(parent, path=file_path)


@pytest.fixture(scope="session")
def orchestrator_context(pytestconfig: pytest.Config) -> Iterator[RunContext]:
    """This run's context store: ``orchestrator_context.recipe("NUM-001").get(key)``."""
    from .session import SESSION_KEY, RunContext

    yield RunContext(pytestconfig.stash[SESSION_KEY])


