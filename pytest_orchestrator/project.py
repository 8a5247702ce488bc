"""The project as pytest sees it, for the commands that run no test: its rootdir and our ini
options, read by pytest itself and nothing collected; and which YAML files are recipes."""

from __future__ import annotations

import fnmatch
import os
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePath

import pytest

from .errors import OrchestratorError, RecipeError

RECIPE_SUFFIXES = (".yaml", ".yml")


def is_recipe(path: Path, rootdir: Path, patterns: Iterable[str]) -> bool:
    """Whether pytest collects ``path``, met in a folder, as a recipe: a YAML file whose path
    from the rootdir matches one of ``patterns`` (ini ``orchestrator_recipes``), matched from
    the right. A YAML file named on the command line always is one."""
    if path.suffix not in RECIPE_SUFFIXES:
        return False
    try:
        relative = PurePath(path.relative_to(rootdir))
    except ValueError:
        return False
    return any(relative.match(pattern) for pattern in patterns)


@dataclass(frozen=True)
class Project:
    """What the commands beside pytest need of a project's configuration."""

    rootdir: Path
    scriptlet_packages: tuple[str, ...]
    recipe_patterns: tuple[str, ...]
    max_parametrize_rows: int
    norecursedirs: tuple[str, ...] = ()
    secret_patterns: tuple[str, ...] = ()
    #: A bad ini option of the recipes' (then max_parametrize_rows is 0), for the commands
    #: that check recipes to raise.
    problem: OrchestratorError | None = None

    def recipes(self, paths: Sequence[Path]) -> list[Path]:
        """The recipes ``pytest PATHS`` would collect: a YAML file named is one; a folder is
        searched as pytest searches it (``norecursedirs``, virtual environments skipped)."""
        found: list[Path] = []
        for path in paths:
            if path.is_dir():
                found += self._recipes_in(path.resolve())
            elif path.suffix not in RECIPE_SUFFIXES and path.is_file():
                raise OrchestratorError(f"{path} is not a recipe",
                                        hint="a recipe's file name ends in .yaml or .yml")
            elif path.is_file():
                found.append(path.resolve())
            else:
                raise OrchestratorError(f"no such file or folder: {path}")
        return list(dict.fromkeys(found))

    def _recipes_in(self, folder: Path) -> Iterator[Path]:
        for top, folders, files in os.walk(folder):
            folders[:] = sorted(name for name in folders if not self._skipped(Path(top, name)))
            for name in sorted(files):
                if is_recipe(Path(top, name), self.rootdir, self.recipe_patterns):
                    yield Path(top, name)

    def _skipped(self, folder: Path) -> bool:
        return (any(fnmatch.fnmatch(folder.name, pattern) for pattern in self.norecursedirs)
                or (folder / "pyvenv.cfg").is_file())


def max_parametrize_rows(config: pytest.Config) -> int:
    """The ini option ``orchestrator_max_parametrize_rows``, or one message saying it is not a
    whole number."""
    try:
        return int(config.getini("orchestrator_max_parametrize_rows"))
    except (pytest.UsageError, ValueError) as exc:
        raise RecipeError(f"the ini option orchestrator_max_parametrize_rows: {exc}",
                          hint="give a whole number of rows, e.g. 100000") from None


def read_project(args: Sequence[str] = ()) -> Project:
    """pytest's own reading of its configuration for ``pytest ARGS`` from the current folder
    (rootdir, ini file, addopts, conftests, plugins), stopped before anything is collected."""
    reader = _Reader()
    # plain asserts: nothing runs, and our modules, imported already, cannot be rewritten
    code = pytest.main(["--assert=plain", *args], plugins=[reader])
    if reader.project is None:
        raise OrchestratorError(f"pytest could not read the project's configuration (exit code "
                                f"{int(code)})", hint="`pytest --co` shows why")
    return reader.project


class _Reader:
    project: Project | None = None

    @pytest.hookimpl(tryfirst=True)
    def pytest_cmdline_main(self, config: pytest.Config) -> int:
        from .safety import DEFAULT_PACKAGES

        rows, problem = 0, None
        try:
            rows = max_parametrize_rows(config)
        except RecipeError as exc:  # raised by the commands that check recipes
            problem = exc
        self.project = Project(
            rootdir=config.rootpath,
            scriptlet_packages=tuple(config.getini("orchestrator_scriptlet_packages"))
            or DEFAULT_PACKAGES,
            recipe_patterns=tuple(config.getini("orchestrator_recipes")),
            norecursedirs=tuple(config.getini("norecursedirs")),
            secret_patterns=tuple(config.getini("orchestrator_secret_patterns")),
            max_parametrize_rows=rows, problem=problem)
        return 0  # pytest stops here: no session, no collection, nothing written

