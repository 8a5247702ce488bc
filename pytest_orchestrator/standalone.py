"""One scriptlet run outside a recipe, exactly as a recipe step runs: a one-step recipe, built
and checked as a recipe file is, run by the runner on a fresh context. What ``orchestrator
step`` and the ``run_scriptlet`` fixture do."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import OrchestratorError, RecipeError

if TYPE_CHECKING:
    from .context import Context
    from .executors import StepOutcome
    from .recipe import Recipe
    from .scriptlet import BaseScriptlet
    from .session import OrchestratorSession

    #: What runs: a scriptlet class, ``"package.module:Class"``, or the path of a script.
    Target = str | Path | type[BaseScriptlet]

#: The recipe a standalone step belongs to (``$ORCH_RECIPE``, the context's namespace).
TEST_ID = "standalone"
SHELL_SUFFIXES = (".sh", ".bash")


@dataclass(frozen=True)
class ScriptletResult:
    """What the step did: its envelope (the one it printed, or the error envelope of its
    failure), exit code, the context keys it wrote (none when it failed: a failed step writes
    nothing), its stderr and traceback, and the context afterwards."""

    envelope: dict[str, Any]
    exit_code: int
    writes: dict[str, Any]
    stderr: str
    traceback: str
    context: Context

    @property
    def passed(self) -> bool:
        return self.exit_code == 0 and self.envelope.get("status") == "ok"


def run_scriptlet(target: Target, params: Mapping[str, Any] | list[Any] | None = None,
                  context: Mapping[str, Any] | None = None, *,
                  session: OrchestratorSession, base: Path, artifacts: Path,
                  step: str | None = None) -> ScriptletResult:
    """Run ``target`` as the only step of a recipe: its params as the step's ``args``, the
    ``context`` keys already committed by an earlier step (``_runner.*`` ones as the runner's
    records). A script path is relative to ``base``; it must lie inside the project."""
    from .context import Context, open_backend
    from .folders import make_folder
    from .placeholders import Expansion
    from .runner import StepRun, execute
    from .session import ensure_importable

    rootdir = session.rootdir
    ensure_importable(rootdir)
    entry = _entry(target, params, base, rootdir, step)
    where = f"{entry['module']}:{entry['function']}" if "module" in entry else str(target)
    recipe, scriptlet = one_step_recipe(entry, where, session)
    backend = open_backend("memory://")
    namespace, name = recipe.namespace(), recipe.steps[0].name
    seed(Context(backend, namespace, run_id=session.run_id, step="seed"), context or {})
    expansion = Expansion(rootdir=str(rootdir), artifacts=str(make_folder(artifacts)),
                          data=str(session.data_dir or rootdir / "recipes" / "data"),
                          run_id=session.run_id, environ=os.environ)
    ctx = Context(backend, namespace, run_id=session.run_id, step=name, policy=recipe.conflict)
    outcome = execute(StepRun(recipe, recipe.steps[0], ctx, expansion, session.redactor,
                              scriptlet))
    return _result(outcome, Context(backend, namespace, run_id=session.run_id))


def one_step_recipe(entry: dict[str, Any], where: str, session: OrchestratorSession
                    ) -> tuple[Recipe, type[BaseScriptlet] | None]:
    """The recipe ``{test_meta: {test_id: standalone}, steps: [entry]}`` through every check
    a recipe file gets (schema, args, placeholders, allow-list, class, script path)."""
    from .recipe import build
    from .schema import check_schema
    from .scriptlet import resolve_steps

    doc = {"test_meta": {"test_id": TEST_ID}, "steps": [entry]}
    lines = {(): 1, ("steps", 0): 1, ("steps", 0, "<end>"): 1}
    try:
        check_schema(doc, lines, where)
        recipe = build(doc, lines, Path(session.rootdir, where), where)
        found = resolve_steps(recipe, session.allowed_packages, session.rootdir)
    except RecipeError as exc:  # "steps[0].args.x: ..." of a recipe reads "args.x: ..." here
        message = re.sub(r"^steps\[0\]\.?", "", exc.message).lstrip(": ") or exc.message
        raise OrchestratorError(message, where=where, hint=exc.hint) from None
    return recipe, found.get(entry["name"])


def seed(ctx: Context, values: Mapping[str, Any]) -> None:
    """Commit ``values`` as the writes of earlier steps (``_runner.*`` as the runner's)."""
    from .context.rules import RESERVED_PREFIX

    for key, value in values.items():
        if str(key).startswith(RESERVED_PREFIX):
            ctx.set_runner(key, value)
        else:
            ctx.set(key, value)
    ctx.commit()


def _entry(target: Target, params: Mapping[str, Any] | list[Any] | None, base: Path,
           rootdir: Path, step: str | None) -> dict[str, Any]:
    """The recipe step entry that runs ``target``."""
    args = list(params) if isinstance(params, list) else dict(params or {})
    text = str(target)
    if isinstance(target, type) or re.fullmatch(r"[\w.]+:\w+", text):
        module, function = (target.__module__, target.__name__) if isinstance(target, type) \
            else text.split(":")
        return {"name": step or function, "module": module, "function": function, "args": args}
    path = Path(base, text)
    kind = "shell" if path.suffix in SHELL_SUFFIXES else "exec"
    name = step or re.sub(r"\W", "_", path.stem).lstrip("0123456789") or "script"
    script = os.path.relpath(path, rootdir)  # as a recipe names it; one outside as given
    return {"name": name, "type": kind, "args": args,
            "script": str(path) if script.startswith("..") else script}


def _result(outcome: StepOutcome, context: Context) -> ScriptletResult:
    from .context.rules import RESERVED_PREFIX

    writes = {w["key"]: w["after"] for w in outcome.writes
              if not w["key"].startswith(RESERVED_PREFIX)}
    stderr = outcome.stderr + outcome.stdout_logs  # logs printed beside a returned mapping
    return ScriptletResult(envelope=outcome.envelope_dict, exit_code=outcome.exit_code,
                           writes=writes, stderr=stderr, traceback=outcome.traceback,
                           context=context)


def project_session() -> OrchestratorSession:
    """What a pytest run in the current folder would use (rootdir, ini file, plugins), in a
    session that runs nothing: for ``orchestrator step``."""
    import pytest

    from .session import OrchestratorSession

    try:  # no capturing, no import hook: nothing to undo, as no test runs
        config = pytest.Config.fromdictargs({}, ["--capture=no", "--assert=plain"])
    except pytest.UsageError as exc:
        raise OrchestratorError(f"pytest's configuration here: {exc}") from None
    return OrchestratorSession(config, "memory://")
