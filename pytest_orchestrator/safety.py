"""Safety rules: allow-listed scriptlet packages (checked before any import), scripts only inside
the project, environment variables and marker names a recipe may not set, writes only inside the
project, JSON Schemas with local references only, and redaction of secrets in what we print."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

DEFAULT_PACKAGES = ("scriptlets",)
DEFAULT_SECRET_PATTERNS = ("password", "passwd", "secret", "token", "api_key", "credential")
MASK = "***"


def module_allowed(module: str, packages: Iterable[str]) -> bool:
    """True when ``module`` is one of the allowed packages or inside one."""
    return any(module == pkg or module.startswith(pkg + ".") for pkg in packages)


def inside(path: Path, root: Path) -> bool:
    """True when ``path`` (resolved, links followed) lies under ``root``."""
    try:
        path.resolve().relative_to(root.resolve())
    except ValueError:
        return False
    return True


#: Environment variables a shell/exec step's mapping args may not set, each with what it does:
#: every one makes a shell, the dynamic loader or an interpreter load or run code the recipe
#: names (or changes which program runs), around the rule that only scripts inside the project
#: run. A script that needs one sets it itself.
LOADER_ENV: dict[str, str] = {
    "BASH_ENV": "bash runs the file it names before the script",
    "ENV": "sh and ksh run the file it names at start-up",
    "SHELLOPTS": "sets shell options (xtrace, which runs PS4) in every bash started",
    "BASHOPTS": "sets bash options in every bash started",
    "PROMPT_COMMAND": "bash runs it as a command",
    "PS4": "bash expands it, command substitutions included, under xtrace",
    "IFS": "changes how the shell splits words",
    "CDPATH": "changes where cd goes",
    "GLOBIGNORE": "changes what the shell's globs match",
    "ZDOTDIR": "zsh runs the start-up files of the folder it names",
    "FPATH": "zsh and ksh load functions from the folders it names",
    "BASH_LOADABLES_PATH": "bash loads builtins from the folders it names",
    "PATH": "changes which programs run",
    "HOME": "changes which start-up and configuration files are read",
    "SHELL": "changes which shell programs start",
    "USER": "changes who programs think they run as",
    "PWD": "lies about the current directory",
    "GCONV_PATH": "glibc loads character-set modules from the folders it names",
    "LOCPATH": "glibc loads locale files from the folders it names",
    "PYTHONPATH": "Python imports modules from the folders it names first",
    "PYTHONHOME": "Python loads its standard library from the folder it names",
    "PYTHONSTARTUP": "Python runs the file it names (interactive sessions)",
    "PYTHONINSPECT": "Python stays interactive after the script",
    "PYTHONUSERBASE": "Python runs the .pth files of the site-packages it names",
    "PYTHONBREAKPOINT": "Python imports and calls what it names at breakpoint()",
    "PYTHONWARNINGS": "Python imports the warning categories it names",
    "PYTHONEXECUTABLE": "changes what Python takes for its own executable",
    "PYTHONPLATLIBDIR": "changes where Python loads its standard library from",
    "PERL5OPT": "perl takes it as command-line options (-M loads a module)",
    "PERL5LIB": "perl loads modules from the folders it names first",
    "PERLLIB": "perl loads modules from the folders it names first",
    "PERL5DB": "perl runs it as its debugger",
    "RUBYOPT": "ruby takes it as command-line options (-r loads a file)",
    "RUBYLIB": "ruby loads files from the folders it names first",
    "NODE_OPTIONS": "node takes it as command-line options (--require loads a file)",
    "NODE_PATH": "node loads modules from the folders it names",
    "JAVA_TOOL_OPTIONS": "the JVM takes it as options (-javaagent loads code)",
    "JDK_JAVA_OPTIONS": "the java launcher takes it as options",
    "_JAVA_OPTIONS": "the JVM takes it as options",
    "CLASSPATH": "Java loads classes from the places it names",
    "LUA_PATH": "lua loads modules from the places it names",
    "LUA_CPATH": "lua loads C modules from the places it names",
    "TCLLIBPATH": "tclsh loads packages from the folders it names",
    "PHPRC": "php reads the configuration it names (auto_prepend_file runs code)",
    "PHP_INI_SCAN_DIR": "php reads the configuration files of the folder it names",
    "GIT_EXEC_PATH": "git runs its sub-commands from the folder it names",
    "GIT_SSH": "git runs it to connect",
    "GIT_SSH_COMMAND": "git runs it to connect",
    "GIT_EXTERNAL_DIFF": "git runs it to show a diff",
    "GIT_PAGER": "git runs it to page",
    "GIT_EDITOR": "git runs it to edit",
    "GIT_ASKPASS": "git runs it to ask for a password",
    "GIT_CONFIG_PARAMETERS": "git takes it as configuration (core.pager, aliases... run code)",
    "GIT_TEMPLATE_DIR": "git copies its hooks from the folder it names",
}
#: Families of variables refused the same way, by prefix.
LOADER_ENV_PREFIXES: dict[str, str] = {
    "LD_": "the dynamic loader (LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT...) loads the "
           "libraries it names",
    "DYLD_": "the macOS dynamic loader loads the libraries it names",
    "BASH_FUNC_": "bash imports it as a shell function",
    "LUA_INIT": "lua runs it (or the file it names) at start-up",
    "GIT_CONFIG_": "git takes it as configuration (core.pager, aliases... run code)",
    "ORCH_": "the runner's own variables (ORCH_RUN_ID, ORCH_ARTIFACTS...) are set for every step",
}


def env_refusal(name: str) -> str:
    """Why a step may not set the environment variable ``name``; "" when it may."""
    upper = name.upper()
    if upper in LOADER_ENV:
        return LOADER_ENV[upper]
    return next((why for prefix, why in LOADER_ENV_PREFIXES.items()
                 if upper.startswith(prefix)), "")


def env_problem(name: str) -> tuple[str, str] | None:
    """(message, hint) when a shell/exec step's mapping arg ``name`` cannot become an
    environment variable; None when it can."""
    from .placeholders import NAME_RE

    if not NAME_RE.match(name):
        return (f"'{name}' cannot be an environment variable name",
                "shell args become variables: use letters, digits and '_'")
    why = env_refusal(name)
    if why:
        return (f"a step cannot set ${name.upper()}: {why}",
                "remove it from args; a script that needs it sets it itself (the list: "
                "docs/scriptlets.md, 'Environment variables')")
    return None


#: Marker names a recipe's tags and markers may not use: pytest's own marks and those of the
#: plugins we ship with or name (they would skip, xfail, parametrize, rerun or time out the
#: step behind the recipe's back), and ours.
RESERVED_MARKERS = frozenset({
    "skip", "skipif", "xfail", "parametrize", "usefixtures", "filterwarnings", "tryfirst",
    "trylast",  # pytest's own
    "requires_process",  # ours: set from requires_process
    "xdist_group",  # pytest-xdist
    "flaky",  # pytest-rerunfailures
    "timeout",  # pytest-timeout
    "hypothesis",  # hypothesis
})


def marker_problem(name: str) -> tuple[str, str] | None:
    """(message, hint) when ``name`` cannot be a recipe tag or step marker; None when it can."""
    hint = "choose another name; use the step fields xfail, timeout, retry... for what those " \
           "markers do"
    if name in RESERVED_MARKERS:
        return f"'{name}' is a marker pytest or a plugin acts on", hint
    if name.startswith("_"):
        return f"'{name}' starts with '_', which pytest refuses in a marker name", hint
    return None


def remote_reference(schema: Any) -> tuple[tuple[str | int, ...], str] | None:
    """The first ``$ref`` (``$dynamicRef``, ``$recursiveRef``) in a JSON Schema that is not a
    local ``#...`` reference, as (its path in the schema, its value); None when there is none.
    A recipe's schemas never reach the network or files."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), schema)]
    while stack:
        path, node = stack.pop()
        items = node.items() if isinstance(node, dict) else \
            enumerate(node) if isinstance(node, list) else ()
        for key, value in items:
            if key in ("$ref", "$dynamicRef", "$recursiveRef") and \
                    not (isinstance(value, str) and value.startswith("#")):
                return (*path, key), str(value)
            stack.append(((*path, key), value))
    return None


def schema_problem(schema: dict[str, Any]) -> tuple[tuple[Any, ...], str, str] | None:
    """(place in the schema, message, hint) when a recipe's JSON Schema is invalid or refers
    to anything outside itself; None when it is a valid, self-contained schema."""
    remote = remote_reference(schema)
    if remote:
        return (remote[0], f"{remote[1]!r} is not a local reference",
                "a recipe's schemas resolve '#/...' references only, never the network or "
                "files: put the definition under $defs and write $ref: '#/$defs/NAME'")
    import jsonschema

    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as exc:
        return (tuple(exc.absolute_path), f"not a valid JSON Schema: {exc.message}",
                "see https://json-schema.org/understanding-json-schema")
    return None


def project_roots(environ: Mapping[str, str] | None = None) -> list[Path]:
    """Where a step may write or delete: the project (``$ORCH_ROOTDIR``, which the runner sets
    for every step; the current directory when a scriptlet runs on its own) and this run's
    artifact folder (``$ORCH_ARTIFACTS``, which ``--orch-artifacts`` may put elsewhere)."""
    env = os.environ if environ is None else environ
    roots = [Path(env.get("ORCH_ROOTDIR") or os.getcwd())]
    if env.get("ORCH_ARTIFACTS"):
        roots.append(Path(env["ORCH_ARTIFACTS"]))
    return [root.resolve() for root in roots]


def project_path(value: str | os.PathLike[str], what: str,
                 environ: Mapping[str, str] | None = None) -> Path:
    """``value`` as an absolute path (a relative one is from the project root, whatever the
    current directory), links followed; ValueError naming ``what`` when it lies outside
    :func:`project_roots`. Scriptlets call it on every path they write or delete."""
    roots = project_roots(environ)
    path = Path(roots[0], value).resolve()
    if not any(path.is_relative_to(root) for root in roots):
        raise ValueError(f"{what} {str(value)!r} is outside the project "
                         f"({' or '.join(str(r) for r in roots)})")
    return path


def script_problem(root: Path, script: str) -> tuple[str, str] | None:
    """Why ``script`` cannot run as a step (outside the project, missing), or None."""
    path = Path(root, script)
    if not inside(path, root):
        return (f"'{script}' is outside the project ({root})",
                "copy the script into the project and name it by a path relative to the rootdir")
    if not path.is_file():
        return f"'{script}' does not exist", "paths are relative to the rootdir"
    return None


class Redactor:
    """Replaces secret values (args and environment variables whose names look secret) by ***."""

    def __init__(self, patterns: Sequence[str] = DEFAULT_SECRET_PATTERNS,
                 environ: Mapping[str, str] | None = None) -> None:
        self._name_re = re.compile("|".join(re.escape(p) for p in patterns), re.IGNORECASE) \
            if patterns else None
        self._secrets: set[str] = set()
        env = os.environ if environ is None else environ
        for name, value in env.items():
            if self.is_secret_name(name):
                self.add(value)

    def is_secret_name(self, name: str) -> bool:
        return bool(self._name_re and self._name_re.search(name))

    def add(self, value: str) -> None:
        if len(value) >= 3:
            self._secrets.add(value)

    def add_args(self, args: Any) -> None:
        """Remember the values of secret-looking args (in a mapping, at any depth)."""
        if isinstance(args, dict):
            for name, value in args.items():
                if self.is_secret_name(str(name)) and isinstance(value, (str, int, float)):
                    self.add(str(value))
                else:
                    self.add_args(value)
        elif isinstance(args, list):
            for item in args:
                self.add_args(item)

    def text(self, text: str) -> str:
        """``text`` with every known secret value replaced by ***."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def value(self, value: Any, name: str = "") -> Any:
        """A copy of a JSON value with secret-named fields and secret values masked."""
        if name and self.is_secret_name(name) and not isinstance(value, (dict, list)):
            return MASK
        if isinstance(value, dict):
            return {k: self.value(v, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value
