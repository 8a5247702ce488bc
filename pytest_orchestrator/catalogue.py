"""The scriptlet catalogue: every scriptlet class of the allowed packages and every shell
scriptlet in their folders, with what its docstring or header says, and what is missing there
(``orchestrator scriptlets [--check]``)."""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import re
import textwrap
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

#: The docstring sections a Python scriptlet's readers look for (the curriculum's).
SECTIONS = ("Params", "Input", "Outputs", "Metrics", "Artifacts", "Exit codes")
#: The fields of a shell scriptlet's header; the first four are required.
HEADER_FIELDS = ("NAME", "DESC", "USAGE", "RETURNS", "ENV", "LIMITATIONS", "EXAMPLES")
REQUIRED_FIELDS = HEADER_FIELDS[:4]

_SECTION = re.compile(rf"({'|'.join(SECTIONS)})\b[^:\n]*:[ \t]*(.*)")
_PARAM = re.compile(r"(\s*)([A-Za-z_]\w*)\s{2,}(\S.*)")
_KEY = re.compile(r"\b[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*\.[A-Za-z_]\w*_v\d+\b")
_HEADER = re.compile(r"#[ \t]?([A-Z]+)(?:[ \t]*:[ \t]*|[ \t]+|$)(.*)")


@dataclass(frozen=True)
class Scriptlet:
    """One entry of the catalogue."""

    name: str
    kind: str  # python | shell
    location: str  # module:Class, or the script's path from the rootdir
    summary: str
    params: dict[str, str]
    outputs: list[str]
    requires_process: bool = False
    details: dict[str, str] = field(default_factory=dict)  # docstring sections, header fields
    problems: list[str] = field(default_factory=list)

    def row(self) -> dict[str, Any]:
        """The entry as a row of the catalogue's table."""
        return {"name": self.name, "kind": self.kind, "location": self.location,
                "process": "yes" if self.requires_process else "",
                "params": ", ".join(self.params), "outputs": ", ".join(self.outputs),
                "summary": self.summary}


@dataclass(frozen=True)
class Catalogue:
    scriptlets: list[Scriptlet]
    unreadable: list[str]  # modules or packages that could not be imported, with why

    def problems(self) -> list[str]:
        """``location: problem`` for each thing ``--check`` fails on."""
        return [*self.unreadable, *(f"{s.location}: {problem}" for s in self.scriptlets
                                    for problem in s.problems)]


def catalogue(packages: Sequence[str], rootdir: Path) -> Catalogue:
    """Every scriptlet class (imported from ``rootdir``) and every shell script (``*.sh``,
    outside ``lib/`` folders, which hold what they source) in these packages."""
    from .session import ensure_importable

    ensure_importable(rootdir)
    found: dict[str, Scriptlet] = {}
    unreadable: list[str] = []
    for package in packages:
        for module in _modules(package, unreadable):
            for cls in _classes(module):
                entry = python_scriptlet(cls)
                found[entry.location] = entry
            for folder in getattr(module, "__path__", ()):
                for script in _scripts(Path(folder)):
                    entry = shell_scriptlet(script, rootdir)
                    found[entry.location] = entry
    return Catalogue(sorted(found.values(), key=lambda s: (s.kind, s.location)), unreadable)


def python_scriptlet(cls: type) -> Scriptlet:
    doc = cls.__dict__.get("__doc__") or ""
    summary, sections = docstring_sections(doc)
    problems = [] if doc.strip() else [
        "no docstring (say what it does, its params, outputs and exit codes)"]
    return Scriptlet(cls.__name__, "python", f"{cls.__module__}:{cls.__qualname__}", summary,
                     params(sections.get("Params", "")), keys(sections.get("Outputs", "")),
                     bool(getattr(cls, "requires_process", False)), sections, problems)


def shell_scriptlet(path: Path, rootdir: Path) -> Scriptlet:
    header = shell_header(path.read_text(encoding="utf-8", errors="replace"))
    problems = []
    missing = [name for name in REQUIRED_FIELDS if not header.get(name)]
    if missing:
        problems.append(f"the header has no {', '.join(missing)} (start the script with "
                        f"comment lines '# NAME ...', '# DESC ...', '# USAGE ...', "
                        f"'# RETURNS ...')")
    if not os.access(path, os.X_OK):
        problems.append(f"no run bit (chmod +x {_relative(path, rootdir)})")
    description = " ".join(header.get("DESC", "").split())
    names = [line.split()[0] for line in header.get("ENV", "").splitlines()
             if re.match(r"[A-Z_][A-Z0-9_]*\s", line) and not line.startswith("ORCH_")]
    return Scriptlet(header.get("NAME") or path.name, "shell", _relative(path, rootdir),
                     re.split(r"(?<=\.)\s", description, maxsplit=1)[0],
                     dict.fromkeys(names, ""), keys(header.get("RETURNS", "")), False, header,
                     problems)


def docstring_sections(doc: str) -> tuple[str, dict[str, str]]:
    """The summary line and the sections (``Params:``, ``Outputs:``...) of a docstring; a
    section runs to the next one or to a blank line."""
    lines = inspect.cleandoc(doc).splitlines()
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in lines[1:]:
        found = _SECTION.fullmatch(line)
        if found:
            current = sections.setdefault(found.group(1), [found.group(2)])
        elif not line.strip():
            current = None
        elif current is not None:
            current.append(line)
    summary = lines[0].strip() if lines else ""
    return summary, {name: textwrap.dedent("\n".join(text)).strip()
                     for name, text in sections.items()}


def params(text: str) -> dict[str, str]:
    """``name  what it is`` lines (at one indentation; deeper lines continue the one before)."""
    found: dict[str, str] = {}
    indent, name = None, ""
    for line in text.splitlines():
        match = _PARAM.fullmatch(line)
        if match and indent in (None, len(match.group(1))):
            indent, name = len(match.group(1)), match.group(2)
            found[name] = match.group(3).strip()
        elif name and line.strip():
            found[name] += " " + line.strip()
    return found


def keys(text: str) -> list[str]:
    """The versioned context keys named in ``text``, in order."""
    return list(dict.fromkeys(_KEY.findall(text)))


def shell_header(text: str) -> dict[str, str]:
    """The fields of a shell scriptlet's header: the comment lines at its top, ``# NAME value``
    (or ``# NAME: value``), deeper-indented lines continuing the field before."""
    fields: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line.startswith("#!") or not line.strip():
            current = None
            continue
        if not line.startswith("#"):
            break
        found = _HEADER.fullmatch(line)
        if found and found.group(1) in HEADER_FIELDS:
            current = fields.setdefault(found.group(1), [found.group(2).strip()])
        elif current is not None:
            current.append(line[1:].strip())
    return {name: "\n".join(text).strip() for name, text in fields.items()}


def _modules(package: str, unreadable: list[str]) -> Iterator[ModuleType]:
    """The package and every module under it, imported; what fails goes to ``unreadable``."""
    top = _imported(package, unreadable)
    if top is None:
        return
    yield top
    for info in pkgutil.walk_packages(getattr(top, "__path__", ()), f"{package}.",
                                      onerror=lambda name: None):
        module = _imported(info.name, unreadable)
        if module is not None:
            yield module


def _imported(name: str, unreadable: list[str]) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except Exception as exc:  # the module's own code raised: say so and go on
        unreadable.append(f"{name}: cannot be imported: {type(exc).__name__}: {exc}")
        return None


def _classes(module: ModuleType) -> Iterator[type]:
    from .scriptlet import BaseScriptlet

    for value in vars(module).values():
        if (isinstance(value, type) and issubclass(value, BaseScriptlet)
                and value.__module__ == module.__name__ and not inspect.isabstract(value)):
            yield value


def _scripts(folder: Path) -> Iterator[Path]:
    for top, folders, files in os.walk(folder):
        folders[:] = sorted(name for name in folders
                            if name not in ("lib", "__pycache__") and not name.startswith("."))
        yield from (Path(top, name) for name in sorted(files) if name.endswith(".sh"))


def _relative(path: Path, rootdir: Path) -> str:
    try:
        return path.resolve().relative_to(rootdir.resolve()).as_posix()
    except ValueError:
        return path.as_posix()
