"""``orchestrator step``: one scriptlet run on its own, exactly as a recipe step runs it."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ..errors import ContextError, OrchestratorError


def add_commands(commands: Any) -> None:
    step = commands.add_parser(
        "step", help="run one scriptlet as a recipe step runs it: print its envelope, exit "
                     "with its code")
    step.add_argument("target", metavar="MODULE:CLASS|SCRIPT",
                      help="a scriptlet class of an allowed package, or a script inside the "
                           "project (its path from this folder)")
    step.add_argument("--params", "--args", dest="params", metavar="JSON", default="{}",
                      help="the step's args: a JSON object (a class's params, a script's "
                           "environment variables) or, for a script, a JSON list (its argv)")
    step.add_argument("--context", metavar="FILE", type=Path,
                      help="a JSON object of context keys the step starts from, as earlier "
                           "steps would have written them")
    step.add_argument("--step", dest="name", metavar="NAME",
                      help="the step's name (default: the class name, or the script's name)")
    step.set_defaults(handler=_step)


def _step(args: argparse.Namespace) -> int:
    from ..standalone import TEST_ID, project_session, run_scriptlet

    params = _json(args.params, "--params", (dict, list))
    seed = _json(_read(args.context), str(args.context), (dict,)) if args.context else {}
    session = project_session()
    try:
        result = run_scriptlet(args.target, params, seed, session=session, base=Path.cwd(),
                               artifacts=session.artifacts_root / TEST_ID, step=args.name)
    except ContextError as exc:  # a key of --context FILE
        raise OrchestratorError(exc.message, where=str(args.context), hint=exc.hint) from None
    redactor = session.redactor
    sys.stderr.write(redactor.text(result.stderr + result.traceback))
    for key, value in result.writes.items():
        print(f"wrote {key} = {json.dumps(redactor.value(value, key))}", file=sys.stderr)
    print(json.dumps(redactor.value(result.envelope)), flush=True)
    return result.exit_code


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise OrchestratorError(f"cannot read the context file: {exc}", where=str(path),
                                hint="give a JSON file of context keys") from None


def _json(text: str, where: str, kinds: tuple[type, ...]) -> Any:
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise OrchestratorError(f"not JSON: {exc}", where=where,
                                hint="""quote it for the shell: '{"src": "x.csv"}'""") from None
    if not isinstance(value, kinds):
        wanted = " or ".join("an object" if k is dict else "a list" for k in kinds)
        raise OrchestratorError(f"expected {wanted}, got {json.dumps(value)}", where=where)
    return value
