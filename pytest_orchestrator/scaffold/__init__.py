"""``orchestrator new``: a scriptlet (a Python class or a shell script) with its tests and a
recipe that runs it, or a recipe, from the templates beside this module. Nothing is ever
overwritten."""

from __future__ import annotations

import json
import keyword
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from ..errors import OrchestratorError

TESTS = PurePosixPath("tests")
RECIPES = PurePosixPath("recipes")


@dataclass(frozen=True)
class Planned:
    """A file to write: its path from the project's root, its text, whether it runs."""

    path: PurePosixPath
    text: str
    executable: bool = False


def scriptlet_files(name: str, package: str, *, shell: bool = False) -> list[Planned]:
    """A scriptlet ``package/name.py`` (or ``.sh``), its tests ``tests/test_name.py`` and the
    recipe ``tests/recipes/name.yaml`` they run; it writes the versioned key
    ``<package's last part>.<name>_v1``."""
    check_name(name, "scriptlet")
    folder = PurePosixPath(*package.split("."))
    cls = "".join(part.capitalize() for part in name.split("_")) or name
    test = TESTS / f"test_{name}.py"
    recipe = TESTS / "recipes" / f"{name}.yaml"
    values: dict[str, Any] = {
        "name": name, "cls": cls, "module": f"{package}.{name}", "recipe": recipe,
        "key": f"{package.rpartition('.')[2]}.{name}_v1", "depth": len(test.parents) - 1,
        "script": folder / f"{name}.sh"}
    step = {"name": name, "key": values["key"], "args": "{count: 3}"}
    step.update({"type": "shell", "script": values["script"]} if shell
                else {"module": values["module"], "function": cls})
    described = f"{values['script'] if shell else values['module'] + '.' + cls} as a step"
    return [
        Planned(folder / f"{name}.sh", render("scriptlet.sh.j2", values), executable=True)
        if shell else Planned(folder / f"{name}.py", render("scriptlet.py.j2", values)),
        Planned(test, render("test_shell_scriptlet.py.j2" if shell else "test_scriptlet.py.j2",
                             values)),
        recipe_file(recipe, f"{package}.{name}", described, [step]),
    ]


def recipe_files(name: str, steps: list[str], package: str) -> list[Planned]:
    """``recipes/name.yaml`` running these steps (``MODULE:CLASS`` or a script's path), or a
    step to fill in (a module of ``package``)."""
    check_name(name, "recipe")
    planned = [_step(step) for step in steps] or [
        {"name": "first_step", "module": f"{package}.your_module", "function": "YourScriptlet"}]
    return [recipe_file(RECIPES / f"{name}.yaml", name, "TODO: what this recipe tests",
                        planned)]


def recipe_file(path: PurePosixPath, test_id: str, description: str,
                steps: list[dict[str, Any]]) -> Planned:
    from ..schema import schema_path

    return Planned(path, render("recipe.yaml.j2", {
        "schema": schema_path(), "path": path, "test_id": test_id,
        "description": description, "steps": steps}))


def write(root: Path, planned: list[Planned]) -> list[Path]:
    """Write the files under ``root``, refusing before writing anything when one exists; a
    new folder on a scriptlet's path becomes a package (``__init__.py``)."""
    targets = [root / file.path for file in planned]
    existing = [str(file.path) for file, target in zip(planned, targets, strict=True)
                if target.exists()]
    if existing:
        raise OrchestratorError(f"{existing[0]} already exists",
                                hint="choose another name, or move that file away first")
    for file, target in zip(planned, targets, strict=True):
        _make_folders(root, target.parent, package=file.path.suffix == ".py"
                      and file.path.parts[0] != TESTS.name)
        target.write_text(file.text, encoding="utf-8")
        if file.executable:
            target.chmod(0o755)
    return targets


def check_name(name: str, what: str) -> None:
    if not name.isidentifier() or keyword.iskeyword(name):
        raise OrchestratorError(f"'{name}' cannot name a {what}",
                                hint="use letters, digits and '_', not starting with a digit "
                                     "(e.g. check_links)")


def render(template: str, values: dict[str, Any]) -> str:
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(Path(__file__).parent),
                             keep_trailing_newline=True, undefined=jinja2.StrictUndefined,
                             autoescape=False)
    env.filters["quoted"] = lambda value: json.dumps(str(value), ensure_ascii=False)  # YAML too
    return env.get_template(template).render(values)


def _step(given: str) -> dict[str, Any]:
    """``MODULE:CLASS`` → a python step; a path → a shell (``.sh``) or exec step."""
    module, colon, cls = given.partition(":")
    if colon:
        name = module.rpartition(".")[2]
        return {"name": name, "module": module, "function": cls}
    path = PurePosixPath(given)
    name = "".join(c if c.isalnum() else "_" for c in path.stem).strip("_") or "step"
    return {"name": name if name.isidentifier() else f"step_{name}", "script": path,
            "type": "shell" if path.suffix == ".sh" else "exec"}


def _make_folders(root: Path, folder: Path, package: bool) -> None:
    made = []
    while not folder.exists():
        made.append(folder)
        folder = folder.parent
    for new in reversed(made):
        new.mkdir()
        if package and new != root:
            (new / "__init__.py").write_text("", encoding="utf-8")
