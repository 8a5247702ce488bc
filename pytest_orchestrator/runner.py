"""One step from its recipe entry to a committed context: expand args, execute, check the
envelope and the success checks, then commit the step's writes or drop them."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import socket
import sys
import sysconfig
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .cache import CachedResult, StepCache, code_of, fingerprint
from .context import Context
from .envelope import Envelope, now_iso
from .errors import OrchestratorError
from .executors import StepOutcome
from .executors.inprocess import run_here
from .executors.resources import Usage
from .executors.shell import run_command
from .leftovers import drop_snapshot, write_snapshot
from .placeholders import Expansion
from .safety import Redactor, script_problem

METRICS_KEY = "_runner.step_metrics_v1"
#: Where this interpreter's console scripts are (``orchestrator``): first on a shell step's
#: PATH, so it finds them whether or not the virtual environment is activated.
SCRIPT_FOLDERS = [folder for folder in dict.fromkeys(
    [str(Path(sys.executable).parent), sysconfig.get_path("scripts")]) if folder]
HOST = socket.gethostname()
#: The longest wait between two attempts, however far ``backoff`` multiplies the delay.
MAX_RETRY_DELAY = 24 * 3600.0

if TYPE_CHECKING:
    from .recipe import Recipe, Step
    from .reporting.step_log import StepLog
    from .scriptlet import BaseScriptlet


@dataclass
class StepRun:
    """Everything needed to run one step of one recipe row."""

    recipe: Recipe
    step: Step
    ctx: Context
    expansion: Expansion
    redactor: Redactor
    scriptlet: type[BaseScriptlet] | None = None
    snapshot_dir: Path | None = None
    trace: Callable[[str], None] | None = None  # --orch-debug: one line at a time, redacted
    cache: StepCache = field(default_factory=lambda: StepCache(None))
    log: StepLog | None = None  # the step's log file: its attempts, output and trace
    default_timeout: float | None = None  # ini orchestrator_default_timeout

    @property
    def timeout(self) -> float | None:
        """The step's own timeout, else the session's default (None: no limit)."""
        return self.step.timeout or self.default_timeout

    def learn_secrets(self) -> None:
        """Before the step runs (or is restored from the cache): its secret args, and the
        secret-named keys other processes wrote to a shared context, are secrets here too."""
        with contextlib.suppress(OrchestratorError):  # the attempt reports it
            if self.step.args:
                self.redactor.add_args(self.expansion.expand(self.step.args))
            if not self.ctx.backend.url.startswith("memory:"):
                self.redactor.learn_context(self.ctx)

    def debug(self, message: str) -> None:
        if self.trace is not None:
            self.trace(self.redactor.text(f"{self.recipe.test_id}::{self.step.name}: {message}"))


def execute(run: StepRun) -> StepOutcome:
    """Run the step (again after a failure, as its ``retry`` allows), or restore it from the
    cache, and commit its writes with its ``_runner.step_metrics_v1`` entry if and only if it
    passed."""
    started = now_iso()
    run.learn_secrets()
    key = cache_key(run)
    hit = run.cache.get(key) if key else None
    outcome = _restore(run, hit) if hit else _run_with_retries(run)
    outcome.executor = executor_of(run)
    if outcome.passed:
        written = dict(run.ctx.pending)
        for name, value in written.items() if run.trace else ():
            before = run.ctx.get_committed(name)
            run.debug(f"context {name}: {json.dumps(run.redactor.value(before, name))} -> "
                      f"{json.dumps(run.redactor.value(value, name))}")
        run.ctx.set_runner(METRICS_KEY, {run.step.name: step_metrics(outcome, started)})
        try:
            run.ctx.commit()
        except OrchestratorError as exc:
            outcome.fail(f"context commit refused: {exc}")
        else:
            run.redactor.add_args(written)  # a secret-named key's value is a secret from now on
            outcome.writes = [record.as_dict() for record in run.ctx.committed]
            if key and not hit:
                _put(run, key, CachedResult(writes=written, envelope=outcome.envelope_dict,
                                            run_id=run.expansion.run_id), outcome)
    if not outcome.passed:
        run.ctx.rollback()
    return outcome


def _put(run: StepRun, key: str, result: CachedResult, outcome: StepOutcome) -> None:
    """Cache a passed step, unless what it wrote or printed holds a secret: a cache entry
    never holds one, and a masked entry could not be restored."""
    recorded = {"writes": result.writes, "envelope": result.envelope}
    if run.redactor.value(recorded) != recorded:
        outcome.notes.append("not cached: its context writes or envelope hold a secret, and "
                             "cache entries never do")
        run.debug(outcome.notes[-1])
        return
    run.cache.put(key, result)


def cache_key(run: StepRun) -> str | None:
    """The step's key in the cache (``cache_key: auto`` fingerprints it), or None."""
    step, exp = run.step, run.expansion
    if step.cache_key is None or not run.cache.enabled:
        return None
    if step.cache_key != "auto":
        return run.cache.key(run.recipe.test_id, step)
    try:
        args = exp.expand(step.args)
        script = exp.expand(step.script, "script") if step.script else None
    except OrchestratorError:
        return None  # the attempt reports it
    root = Path(exp.rootdir)
    fp = fingerprint(code=code_of(step, run.scriptlet, root, script=script), args=args,
                     rootdir=root, upstream=run.ctx.snapshot(), run_id=exp.run_id)
    return run.cache.key(run.recipe.test_id, step, fp)


def _restore(run: StepRun, hit: CachedResult) -> StepOutcome:
    """A cache hit: the recorded writes, as the step, without running it."""
    outcome = StepOutcome(run.step.name, envelope=Envelope("ok", hit.envelope), cache_hit=True)
    run.debug(f"cache hit (recorded by run {hit.run_id} at {hit.recorded_at})")
    try:
        for name, value in hit.writes.items():
            run.ctx.set(name, value)
    except OrchestratorError as exc:
        outcome.fail(f"cached result refused: {exc}; clear it with --cache-clear")
    return outcome


def _run_with_retries(run: StepRun) -> StepOutcome:
    retry = run.step.retry
    tries = 1 + (retry.max if retry else 0)
    delay = retry.delay_sec if retry else 0.0
    usage, failures = Usage(), []
    for attempt in range(1, tries + 1):
        outcome = _attempt(run)
        usage.add(outcome.usage)
        if run.log is not None:
            run.log.attempt(attempt, tries, outcome,
                            None if outcome.passed or attempt == tries else delay)
        if outcome.passed:
            break
        run.ctx.rollback()  # each attempt starts from a clean transaction
        failures.append(outcome.failure or outcome.envelope_dict.get("reason", "failed"))
        if attempt < tries:
            time.sleep(delay)
            delay = min(delay * (retry.backoff if retry else 1.0), MAX_RETRY_DELAY)
    outcome.usage, outcome.attempts, outcome.failed_attempts = usage, attempt, failures
    return outcome


def executor_of(run: StepRun) -> str:
    return executor_for(run.step, run.scriptlet, run.default_timeout)


def executor_for(step: Step, scriptlet: type[BaseScriptlet] | None,
                 default_timeout: float | None = None) -> str:
    """``inprocess`` (Python default), ``child`` (requires_process or a timeout, its own or
    the session's default), ``subprocess`` (shell/exec)."""
    if scriptlet is None:
        return "subprocess"
    if step.requires_process or scriptlet.requires_process or step.timeout or default_timeout:
        return "child"
    return "inprocess"


def step_metrics(outcome: StepOutcome, started: str) -> dict[str, Any]:
    """The entry a step adds to ``_runner.step_metrics_v1``."""
    usage = outcome.usage
    return {"start": started, "end": now_iso(), "duration": round(usage.wall, 6),
            "cpu_user": round(usage.cpu_user, 6), "cpu_sys": round(usage.cpu_sys, 6),
            "peak_rss": usage.peak_rss, "exit_code": outcome.exit_code,
            "attempts": outcome.attempts, "cache_hit": outcome.cache_hit,
            "executor": outcome.executor, "host": HOST,
            "worker": os.environ.get("PYTEST_XDIST_WORKER", "main")}


def _attempt(run: StepRun) -> StepOutcome:
    """One execution of the step: expand args, run it, check the success conditions."""
    step = run.step
    try:
        args = run.expansion.expand(step.args)
    except OrchestratorError as exc:
        return StepOutcome(step.name).fail(str(exc))
    if run.trace:
        run.debug(f"params {json.dumps(run.redactor.value(args), sort_keys=True)}")
    if run.scriptlet is not None and executor_of(run) == "child":
        with step_environment(run):
            outcome = _run_in_child(run, dict(args))
    elif run.scriptlet is not None:
        with step_environment(run):
            outcome = run_here(run.scriptlet, step.name, run.ctx, dict(args))
    else:
        outcome = _run_script(run, args)
    if outcome.passed:
        _check_success(run, outcome)
    return outcome


def run_variables(run: StepRun) -> dict[str, str]:
    """The ``ORCH_*`` variables every step sees: where the project and this run's artifact
    folder are (scriptlets keep their writes inside them, whatever the current directory),
    the run, the recipe and the step."""
    exp = run.expansion
    return {"ORCH_RUN_ID": exp.run_id, "ORCH_RECIPE": run.recipe.test_id,
            "ORCH_STEP": run.step.name, "ORCH_ARTIFACTS": exp.artifacts,
            "ORCH_ROOTDIR": exp.rootdir}


@contextlib.contextmanager
def step_environment(run: StepRun) -> Iterator[None]:
    """A Python step runs with :func:`run_variables` in ``os.environ`` (a child process
    inherits them), as a shell step does; the variables are put back as they were after."""
    variables = run_variables(run)
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _run_in_child(run: StepRun, params: dict[str, Any]) -> StepOutcome:
    """A child process runs the step on what it sees; its writes come back to be checked and
    staged here, so a failed, killed or timed-out child writes nothing."""
    from .executors.child import run_in_child

    step = run.step
    assert step.module and step.function
    result = run_in_child(step.module, step.function, step.name, params,
                          visible=run.ctx, timeout=run.timeout)
    outcome = result.outcome
    if outcome.passed:
        try:
            for key, value in result.writes.items():
                run.ctx.set(key, value)
        except OrchestratorError as exc:
            outcome.fail(str(exc))
    return outcome


def _run_script(run: StepRun, args: dict[str, Any] | list[Any]) -> StepOutcome:
    from .executors.inprocess import apply_sets

    step, exp = run.step, run.expansion
    relative = exp.expand(step.script or "", "script")
    # a plain path was checked at collection; one built from placeholders is checked here
    problem = script_problem(Path(exp.rootdir), relative) if relative != step.script else None
    if problem:
        return StepOutcome(step.name).fail(f"script {problem[0]}; {problem[1]}", 126)
    script = str(Path(exp.rootdir, relative))
    extra = [str(a) if isinstance(a, str) else json.dumps(a) for a in args] \
        if isinstance(args, list) else []
    argv = ["bash", script, *extra] if step.type == "shell" else [script, *extra]
    env = dict(os.environ)
    if isinstance(args, dict):
        env.update({str(k).upper(): v if isinstance(v, str) else json.dumps(v)
                    for k, v in args.items()})
    env["PATH"] = _step_path(env.get("PATH", ""))
    snapshot = _write_snapshot(run) if reads_context(script) else None
    env.update(run_variables(run), ORCH_PYTHON=sys.executable)
    env.pop("ORCH_CONTEXT_FILE", None)
    if snapshot is not None:
        env["ORCH_CONTEXT_FILE"] = str(snapshot)
    if run.trace:
        run.debug(f"argv {json.dumps(argv)}")
    try:
        outcome = run_command(step.name, argv, env, exp.rootdir, run.timeout)
    finally:
        if snapshot is not None:
            drop_snapshot(snapshot, run.redactor, keep=run.trace is not None)
    if run.trace:
        run.debug(f"exit code {outcome.exit_code}"
                  + (f" ({outcome.failure})" if outcome.failure else ""))
    if not outcome.failure and outcome.envelope is not None:
        apply_sets(outcome, run.ctx)
    return outcome


@functools.lru_cache(maxsize=16)
def _step_path(path: str) -> str:
    """``PATH`` with this interpreter's script folders first (once each)."""
    return os.pathsep.join(dict.fromkeys(
        [*SCRIPT_FOLDERS, *filter(None, path.split(os.pathsep))]))


def reads_context(script: str) -> bool:
    """Whether a script may read its context snapshot: unless its scriptlet header declares
    the variables it reads (``# ENV``) and ``ORCH_CONTEXT_FILE`` is not among them, nor does
    it call ``orchestrator ctx``. Then no snapshot is written for it."""
    try:
        stat = os.stat(script)
    except OSError:
        return True  # it will not run: run_command says why
    return _reads_context(script, stat.st_mtime_ns, stat.st_size)


@functools.lru_cache(maxsize=256)
def _reads_context(script: str, mtime_ns: int, size: int) -> bool:
    from .catalogue import shell_header

    try:
        with open(script, encoding="utf-8", errors="replace") as fh:
            text = fh.read(1 << 20)
    except OSError:
        return True
    declared = shell_header(text).get("ENV")
    return declared is None or "ORCH_CONTEXT_FILE" in declared or "orchestrator ctx" in text


#: Where a row's shell steps get their snapshots, under its artifact folder: made at the
#: first one, left for the next ones, removed (once empty) at the end of the session.
SNAPSHOTS = "_context"


def _write_snapshot(run: StepRun) -> Path:
    folder = run.snapshot_dir or Path(run.expansion.artifacts, SNAPSHOTS)
    name, reuse = f"{run.step.name}.json", run.trace is None  # --orch-debug keeps each
    # without the runner's records, which grow with every step: a shell step's cost stays
    # flat along a chain
    text = json.dumps(run.ctx.snapshot(runner=False))
    try:
        return write_snapshot(folder, name, text, reuse)
    except FileNotFoundError:
        if run.snapshot_dir is not None:
            raise
        folder.mkdir(exist_ok=True)
        return write_snapshot(folder, name, text, reuse)


def _check_success(run: StepRun, outcome: StepOutcome) -> None:
    checks, ctx = run.step.success, run.ctx
    if not checks:
        return
    missing = object()
    for key in checks.get("ctx_has_keys", []):
        if ctx.get(key, missing) is missing:
            outcome.fail(f"success check ctx_has_keys: '{key}' was not written")
            return
    for pattern in checks.get("files_exist", []):
        path = Path(run.expansion.rootdir, run.expansion.expand(pattern, "files_exist"))
        if not path.exists():
            outcome.fail(f"success check files_exist: '{path}' does not exist")
            return
    from .success import check_schema

    for key, schema in checks.get("ctx_schema", {}).items():
        value = ctx.get(key, missing)
        if value is missing:
            outcome.fail(f"success check ctx_schema: '{key}' was not written")
            return
        failure = check_schema(key, schema, value, run.timeout)
        if failure:
            outcome.fail(failure)
            return
