"""Shared fixtures: a pytester project with an ini, an allowed scriptlet package and recipes."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

# PyYAML is imported once here: pytester's in-process runs drop the modules first imported
# inside them, and PyYAML's C loader breaks when it is imported again.
import pytest
import yaml  # noqa: F401

if TYPE_CHECKING:
    from pytest_orchestrator.context import ContextBackend

SCRIPTLETS = '''
import sys
from pytest_orchestrator import BaseScriptlet


class Produce(BaseScriptlet):
    """Writes params['key'] = params['value'] (classic envelope)."""

    def run(self, ctx, params):
        ctx.set(params.get("key", "demo.value_v1"), params.get("value", 1))
        print("produced", file=sys.stderr)
        return self.emit_ok([params.get("key", "demo.value_v1")])


class Double(BaseScriptlet):
    """Short style: reads demo.value_v1, returns demo.double_v1."""

    def run(self, ctx, params):
        return {"demo.double_v1": ctx.get("demo.value_v1") * 2}


class Refuse(BaseScriptlet):
    """Stages a write, then reports a structured error."""

    def run(self, ctx, params):
        ctx.set("demo.partial_v1", "should never be committed")
        return self.emit_error(params.get("reason", "Too few numbers (min=5)"),
                               details={"count": 3}, exit_code=params.get("code", 1))


class Echo(BaseScriptlet):
    """Prints params['stdout'] verbatim and returns params['code']."""

    def run(self, ctx, params):
        sys.stdout.write(params["stdout"])
        return params.get("code", 0)


class Explode(BaseScriptlet):
    """Raises from its own code."""

    def run(self, ctx, params):
        ctx.set("demo.partial_v1", 1)
        raise RuntimeError("device did not answer")


class Seen(BaseScriptlet):
    """Records what it sees of the context under demo.seen_v1."""

    def run(self, ctx, params):
        return {params.get("key", "demo.seen_v1"):
                sorted(k for k in ctx.to_dict() if not k.startswith("_runner."))}


class NotAScriptlet:
    def run(self, ctx, params):
        return 0


def not_a_class(ctx, params):
    return 0
'''


#: The ``orchestrator`` console script of the interpreter running the tests (found with or
#: without its virtual environment activated), else the one on the PATH, else None.
ORCHESTRATOR = (shutil.which("orchestrator", path=str(Path(sys.executable).parent))
                or shutil.which("orchestrator"))


def orchestrator(cwd: Path, *args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    """The ``orchestrator`` console script run in ``cwd`` as a user types it (skipped where it
    is not installed); asserts its exit code."""
    if ORCHESTRATOR is None:
        pytest.skip("the console script is not installed")
    done = subprocess.run([ORCHESTRATOR, *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env=os.environ.copy())
    assert done.returncode == code, done.stdout + done.stderr
    return done


#: Unrelated plugins that may be installed beside ours: hypothesis re-imports itself on every
#: in-process run (seconds each), pytest-benchmark warns under xdist, dash's testing plugin (the
#: dashboard extra) warns at load. Blocking an absent plugin is harmless.
QUIET_PLUGINS = ("-p", "no:hypothesispytest", "-p", "no:benchmark", "-p", "no:dash")
#: The warning dash's testing plugin (the dashboard extra) gives when pytest loads it, which a
#: test project can only filter.
DASH_WARNING = "ignore:The hookimpl pytest_addhooks uses old-style:pytest.PytestRemovedIn10Warning"
#: Hypothesis (the dev extra) warns about trio's generator (selenium's dependency) when a
#: subprocess run loads its plugin: a warning of the environment, not of a test project.
TRIO_WARNING = "ignore:It looks like `register_random`:hypothesis.errors.HypothesisWarning"
#: The ini lines of a test project: warnings are errors, except those of the environment.
WARNINGS_ARE_ERRORS = f"filterwarnings =\n    error\n    {DASH_WARNING}\n    {TRIO_WARNING}\n"


class Project:
    """A throwaway project for pytester runs: ini, ``steps`` package, recipes, scripts."""

    def __init__(self, pytester: pytest.Pytester) -> None:
        self.pytester = pytester
        self.root = pytester.path
        pytester.makeini(
            "[pytest]\norchestrator_scriptlet_packages = steps\n" + WARNINGS_ARE_ERRORS)
        self.write("steps/__init__.py", "")
        self.write("steps/demo.py", SCRIPTLETS)

    def write(self, relpath: str, text: str) -> Path:
        path = self.root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    def recipe(self, name: str, text: str) -> Path:
        return self.write(f"recipes/{name}.yaml", text)

    def script(self, relpath: str, text: str) -> Path:
        path = self.write(relpath, text)
        path.chmod(0o755)
        return path

    def run(self, *args: str) -> pytest.RunResult:
        return self.pytester.runpytest(*QUIET_PLUGINS, *args)

    def run_subprocess(self, *args: str) -> pytest.RunResult:
        return self.pytester.runpytest_subprocess(*QUIET_PLUGINS, *args)


@pytest.fixture
def project(pytester: pytest.Pytester) -> Project:
    return Project(pytester)


@pytest.fixture
def cli(pytester: pytest.Pytester) -> Callable[..., subprocess.CompletedProcess[str]]:
    """``cli("lint", "recipes", code=1)``: the ``orchestrator`` command run in the project's
    folder in a process of its own, as a user types it; asserts its exit code."""

    def run(*args: str, code: int = 0) -> subprocess.CompletedProcess[str]:
        env = {k: v for k, v in os.environ.items() if k != "ORCH_CONTEXT_FILE"}
        done = subprocess.run([sys.executable, "-m", "pytest_orchestrator", *args],
                              cwd=pytester.path, env=env, capture_output=True, text=True,
                              timeout=600)
        assert done.returncode == code, done.stdout + done.stderr
        return done

    return run


def step(name: str, cls: str = "Produce", **fields: object) -> str:
    """One YAML step entry of the demo package, for compact recipes in tests."""
    import json

    lines = [f"  - name: {name}", "    module: steps.demo", f"    function: {cls}"]
    lines += [f"    {key}: {json.dumps(value)}" for key, value in fields.items()]
    return "\n".join(lines) + "\n"


# One line per backend. ``{tmp}`` is the test's tmp_path, ``{redis}`` the URL of the session's
# own redis-server (the redis params skip where it is not installed); a server-backed URL is
# safe to share, because every test works in namespaces of its own.
BACKEND_URLS = [
    pytest.param("memory://", id="memory"),
    pytest.param("sqlite:///{tmp}/context.db", id="sqlite"),
    pytest.param("{redis}", id="redis"),
]


@pytest.fixture(params=BACKEND_URLS)
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ContextBackend]:
    """Each context backend in turn (the suites that must hold on every one use it)."""
    from pytest_orchestrator.context import open_backend

    url: str = request.param
    redis = request.getfixturevalue("redis_url") if "{redis}" in url else ""
    store = open_backend(url.format(tmp=tmp_path, redis=redis))
    yield store
    store.close()


def stop(proc: subprocess.Popen[Any], grace: float = 10) -> None:
    """End a server a test started: SIGTERM, then SIGKILL if it is still there after
    ``grace`` seconds."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real ``redis-server`` of our own on a free loopback port, for the session: its URL.
    Skips when redis-server or redis-py is not installed (CI installs both)."""
    with redis_server(tmp_path_factory.mktemp("redis")) as (url, _):
        yield url


@contextlib.contextmanager
def redis_server(workdir: Path,
                 password: str = "") -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A real ``redis-server`` on a free loopback port, stopped afterwards: (its URL, its
    process). Skips when redis-server or redis-py is not installed (CI installs both)."""
    import shutil
    import socket
    import time

    server = shutil.which("redis-server")
    if server is None:
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    pytest.importorskip("redis", reason="redis-py is not installed "
                                        "(pip install pytest-orchestrator[redis])")
    hello, answer = (f"AUTH {password}\r\n".encode(), b"+OK") if password else \
        (b"PING\r\n", b"+PONG")
    for _attempt in range(5):
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        proc = subprocess.Popen(
            [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
             "no", "--dir", str(workdir), *(["--requirepass", password] if password else [])],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as conn:
                    conn.sendall(hello)
                    if conn.recv(64).startswith(answer):
                        break
            except OSError:
                time.sleep(0.05)
        else:
            proc.kill()
            proc.wait()
            continue  # the port was taken meanwhile, or the server did not come up: again
        try:
            yield f"redis://{f':{password}@' if password else ''}127.0.0.1:{port}/0", proc
        finally:
            stop(proc)
        return
    pytest.fail("redis-server did not answer on a free loopback port in 5 attempts")
