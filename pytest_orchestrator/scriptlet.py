"""BaseScriptlet, the class every Python step derives from, and its standalone main
(``python -m package.module --params JSON``)."""

from __future__ import annotations

import abc
import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from .envelope import error_envelope, ok_envelope
from .errors import Problems, RecipeError
from .safety import module_allowed, script_problem

if TYPE_CHECKING:
    from pathlib import Path

    from .context import Context
    from .recipe import Recipe, Step


class BaseScriptlet(abc.ABC):
    """A reusable test step.

    Two ways to write ``run``:

    * classic: print exactly one JSON envelope line (``self.emit_ok(...)`` /
      ``self.emit_error(...)`` do it) and return the exit code;
    * short: return a mapping of context keys to values (the framework writes them and the
      envelope) and raise on error.

    ``validate`` runs first and must raise before anything is changed.
    """

    #: Run in a child process (CPU-bound work, crash or timeout isolation).
    requires_process: ClassVar[bool] = False
    #: May run beside other steps under pytest-xdist.
    parallelizable: ClassVar[bool] = True

    def __init__(self, step: str = "") -> None:
        self.step = step or type(self).__name__

    def validate(self, ctx: Context, params: dict[str, Any]) -> None:  # noqa: B027
        """Check params and inputs; raise ValueError (or any error) before any mutation."""

    @abc.abstractmethod
    def run(self, ctx: Context, params: dict[str, Any]) -> int | Mapping[str, Any] | None:
        """Do the work: return an exit code (classic) or a mapping of outputs (short)."""

    def emit_ok(self, outputs: Sequence[str] = (), *, artifacts: Sequence[str] = (),
                metrics: Mapping[str, Any] | None = None, warnings: Sequence[str] = ()) -> int:
        """Print the success envelope; return exit code 0."""
        env = ok_envelope(list(outputs), artifacts=[str(a) for a in artifacts],
                          metrics=dict(metrics or {}), warnings=list(warnings))
        print(json.dumps(env), flush=True)
        return 0

    def emit_error(self, reason: str, *, details: Mapping[str, Any] | None = None,
                   exit_code: int = 1) -> int:
        """Print the error envelope; return ``exit_code``."""
        env = error_envelope(reason, step=self.step, exit_code=exit_code,
                             details=dict(details or {}))
        print(json.dumps(env), flush=True)
        return exit_code

    @classmethod
    def main(cls, argv: Sequence[str] | None = None) -> int:
        """Run standalone: ``python -m package.module --params '{"src": "x.csv"}'``."""
        from .context import Context, open_backend
        from .executors.inprocess import invoke

        parser = argparse.ArgumentParser(prog=cls.__module__, description=cls.__doc__)
        parser.add_argument("--params", default="{}", help="step params as a JSON object")
        parser.add_argument("--context", metavar="FILE",
                            help="a JSON file of context keys to start from")
        parser.add_argument("--step", default=cls.__name__, help="the step name to report")
        args = parser.parse_args(argv)
        params = _json_arg(parser, args.params, "--params")
        ctx = Context(open_backend("memory://"), "standalone", run_id="standalone",
                      step=args.step)
        if args.context:
            with open(args.context, encoding="utf-8") as fh:
                for key, value in _json_arg(parser, fh.read(), args.context).items():
                    if key.startswith("_runner."):  # the runner's records, e.g. step metrics
                        ctx.set_runner(key, value)
                    else:
                        ctx.set(key, value, who="seed")
        outcome = invoke(cls, args.step, ctx, params)
        sys.stderr.write(outcome.stderr)
        sys.stderr.write(outcome.traceback)
        if outcome.stdout_logs:
            sys.stderr.write(outcome.stdout_logs)
        print(json.dumps(outcome.envelope_dict), flush=True)
        return outcome.exit_code


def _json_arg(parser: argparse.ArgumentParser, text: str, name: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        parser.error(f"{name} is not JSON: {exc}")
    if not isinstance(value, dict):
        parser.error(f"{name} must be a JSON object")
    return value


def load_class(module: str, function: str) -> type[BaseScriptlet]:
    """Import ``module`` and return its BaseScriptlet subclass ``function``.

    Raises LookupError(message, field) for the recipe's author, ``field`` being the recipe
    field at fault ("module" or "function"). The module must already have passed the
    allow-list check: this imports it.
    """
    import importlib

    try:
        mod = importlib.import_module(module)
    except ModuleNotFoundError as exc:
        raise LookupError(f"module '{module}' cannot be imported ({exc}); is its package "
                          "importable from the rootdir?", "module") from None
    except Exception as exc:
        raise LookupError(f"importing module '{module}' raised {type(exc).__name__}: {exc}",
                          "module") from None
    found = getattr(mod, function, None)
    if found is None:
        names = sorted(n for n, v in vars(mod).items()
                       if isinstance(v, type) and issubclass(v, BaseScriptlet)
                       and not getattr(v, "__abstractmethods__", None))
        raise LookupError(f"module '{module}' has no class '{function}' "
                          f"(scriptlets there: {', '.join(names) or 'none'})", "function")
    if not (isinstance(found, type) and issubclass(found, BaseScriptlet)):
        kind = "a class that does not derive from BaseScriptlet" if isinstance(found, type) \
            else f"a {type(found).__name__}, not a scriptlet class"
        raise LookupError(f"'{module}.{function}' is {kind}; derive it from "
                          "pytest_orchestrator.BaseScriptlet", "function")
    if getattr(found, "__abstractmethods__", None):
        missing = ", ".join(sorted(found.__abstractmethods__))
        raise LookupError(f"'{module}.{function}' does not implement {missing}()", "function")
    return found


def resolve_steps(recipe: Recipe, allowed: Sequence[str], rootdir: Path,
                  problems: Problems | None = None) -> dict[str, type[BaseScriptlet]]:
    """The scriptlet class of each python step, checking the allow-list before any import;
    and each shell/exec step's script: inside the project, there. Each problem goes to
    ``problems`` (raised by default), one a step."""
    problems = problems or Problems()
    found: dict[str, type[BaseScriptlet]] = {}
    for step in recipe.steps:
        if step.type == "python":
            assert step.module and step.function
            if not module_allowed(step.module, allowed):
                problems.add(_field_error(
                    recipe, step, "module", f"'{step.module}' is outside the allowed packages "
                    f"({', '.join(allowed)})", hint="add its package to the ini option "
                    "orchestrator_scriptlet_packages"))
                continue
            try:
                found[step.name] = load_class(step.module, step.function)
            except LookupError as exc:
                problems.add(_field_error(recipe, step, exc.args[1], exc.args[0]))
        elif step.script and "${" not in step.script:
            problem = script_problem(rootdir, step.script)
            if problem:
                problems.add(_field_error(recipe, step, "cmd" if "cmd" in step.field_lines
                                          else "script", *problem))
    return found


def _field_error(recipe: Recipe, step: Step, name: str, message: str,
                 hint: str = "") -> RecipeError:
    where, line = step.field_at(name)
    return RecipeError(f"{where}: {message}", where=f"{recipe.where}:{line}", hint=hint)
