"""``orchestrator lint``: the checks collection makes, run over recipe files without running
anything, keeping every problem instead of stopping at the first; and the problems as text,
JSON or GitHub Actions annotations."""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

from .errors import Problems, RecipeError
from .project import Project
from .recipe import claim_test_id, load_recipe, parse_yaml
from .safety import Redactor
from .scriptlet import resolve_steps

#: ``steps[2].depends_on[0]: message``: the field a message starts with (``schema.dotted``).
_FIELD = re.compile(r"((?:recipe|[A-Za-z_]\w*)(?:\[\d+\]|\.[^\s:\[]+)*): (.*)", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem of one recipe file: where, which field, what, and what to do."""

    file: str
    line: int
    field: str
    message: str
    hint: str = ""

    @classmethod
    def of(cls, error: RecipeError, redactor: Redactor) -> Problem:
        file, _, line = error.where.rpartition(":")
        if not line.isdigit():
            file, line = error.where, "1"
        found = _FIELD.fullmatch(error.message)
        field, message = found.groups() if found else ("", error.message)
        return cls(file, int(line), redactor.text(field), redactor.text(message),
                   redactor.text(error.hint))

    def text(self) -> str:
        """``path:line: field: message (hint)``"""
        field = f"{self.field}: " if self.field else ""
        hint = f" ({self.hint})" if self.hint else ""
        return f"{self.file}:{self.line}: {field}{self.message}{hint}"

    def github(self) -> str:
        """A GitHub Actions error annotation (workflow command), escaped as GitHub requires."""
        hint = f" ({self.hint})" if self.hint else ""
        return (f"::error file={_property(self.file)},line={self.line},"
                f"title={_property(self.field or 'recipe')}::{_data(self.message + hint)}")


def lint(recipes: Sequence[Path], project: Project) -> list[Problem]:
    """Every problem of every recipe file, by file and line."""
    from .session import ensure_importable

    ensure_importable(project.rootdir)  # scriptlet packages are imported from the rootdir
    owners: dict[str, Path] = {}  # test_id -> file, across the files linted together
    problems: list[Problem] = []
    for path in recipes:
        problems += lint_recipe(path, project, owners)
    return problems


def lint_recipe(path: Path, project: Project, owners: dict[str, Path]) -> list[Problem]:
    """Every problem of one recipe file, by line; one only when the file cannot be read as a
    YAML mapping, and only the schema's when it breaks the schema."""
    found = Problems(keep_all=True)
    try:
        recipe = load_recipe(path, project.rootdir, problems=found,
                             max_rows=project.max_parametrize_rows)
        resolve_steps(recipe, project.scriptlet_packages, project.rootdir, found)
        claim_test_id(recipe, owners, project.rootdir)
    except RecipeError as exc:  # what stops the checks of this file (kept already, or not)
        if exc not in found.found:
            found.found.append(exc)
    except OSError as exc:
        found.found.append(RecipeError(f"cannot read the recipe: {exc}", where=str(path)))
    redactor = _redactor(path, project)
    return sorted((Problem.of(error, redactor) for error in found.found),
                  key=lambda problem: problem.line)


def _redactor(path: Path, project: Project) -> Redactor:
    """Masks the recipe's secrets (values under secret-looking names) and the environment's."""
    redactor = Redactor(project.secret_patterns)
    with contextlib.suppress(RecipeError, OSError, UnicodeDecodeError):
        redactor.add_args(parse_yaml(path.read_text(encoding="utf-8"), str(path))[0])
    return redactor


def render(problems: Sequence[Problem], form: str, checked: int) -> str:
    """The problems as ``text`` (ending with a count of them), ``json`` or ``github``."""
    if form == "json":
        return json.dumps([asdict(problem) for problem in problems], indent=2)
    if form == "github":
        return "\n".join(problem.github() for problem in problems)
    files = len({problem.file for problem in problems})
    recipes = f"{checked} recipe{'s' * (checked != 1)} checked"
    if not problems:
        return f"{recipes}: no problems"
    count = f"{len(problems)} problem{'s' * (len(problems) != 1)}"
    return "\n".join([*(problem.text() for problem in problems),
                      f"{recipes}: {count} in {files} file{'s' * (files != 1)}"])


def _data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _property(text: str) -> str:
    return _data(text).replace(":", "%3A").replace(",", "%2C")
