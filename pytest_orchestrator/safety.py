"""Safety rules: allow-listed scriptlet packages (checked before any import), scripts only inside
the project, environment variables and marker names a recipe may not set, writes only inside the
project, JSON Schemas with local references only, and redaction of secrets in what we print."""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .context import Context

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


#: ``scheme://user:password@host``: the password part of any URL.
_URL_PASSWORD = re.compile(r"(\b[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)([^@\s/]+)@")


def hide_url_password(text: str) -> str:
    """``text`` with the password of every URL in it shown as ***."""
    return _URL_PASSWORD.sub(lambda m: f"{m.group(1)}{MASK}@", text)


class Redactor:
    """Replaces secret values by ***: values of args, parametrize parameters, environment
    variables and context keys whose names look secret, argv values after a secret-named
    flag, URL passwords; and every later appearance of a value once known as a secret."""

    def __init__(self, patterns: Sequence[str] = DEFAULT_SECRET_PATTERNS,
                 environ: Mapping[str, str] | None = None) -> None:
        self._name_re = re.compile("|".join(re.escape(p) for p in patterns), re.IGNORECASE) \
            if patterns else None
        self._secrets: set[str] = set()
        self._ordered: list[str] | None = []
        self._positions: dict[tuple[str, str], int] = {}  # what learn_context has read
        self._names: dict[str, bool] = {}  # is_secret_name's answers, by name
        env = os.environ if environ is None else environ
        for name, value in env.items():
            if self.is_secret_name(name):
                self.add(value)
            self.add_url(value)

    def is_secret_name(self, name: str) -> bool:
        known = self._names.get(name)
        if known is None:  # the same few names come back for every step: asked once each
            known = bool(self._name_re and self._name_re.search(name))
            if len(name) <= 200 and len(self._names) < 100_000:
                self._names[name] = known
        return known

    @property
    def secrets(self) -> frozenset[str]:
        """The secret values known so far (to hand to another process)."""
        return frozenset(self._secrets)

    def add(self, value: str) -> None:
        if len(value) >= 3 and value not in self._secrets:
            self._secrets.add(value)
            self._ordered = None

    def add_url(self, text: str) -> None:
        """Remember the passwords of the URLs in ``text``."""
        if "://" in text:
            for match in _URL_PASSWORD.finditer(text):
                self.add(match.group(2))

    def add_args(self, args: Any, secret: bool = False) -> None:
        """Remember the secret values in ``args`` (any JSON value, any depth): every scalar
        under a secret-looking name, every argv item after a secret-looking flag
        (``--password x``, ``--password=x``), every URL password."""
        if isinstance(args, dict):
            for name, value in args.items():
                self.add_args(value, secret or self.is_secret_name(str(name)))
        elif isinstance(args, list):
            flagged = False
            for item in args:
                if isinstance(item, str) and item.startswith("-") and not secret:
                    flag, eq, value = item.partition("=")
                    flagged = self.is_secret_name(flag)
                    if flagged and eq:
                        self.add(value)
                        flagged = False
                    continue
                self.add_args(item, secret or flagged)
                flagged = False
        elif isinstance(args, (str, int, float)) and not isinstance(args, bool):
            if secret:
                self.add(str(args))
            elif isinstance(args, str):
                self.add_url(args)

    def learn_context(self, ctx: Context) -> None:
        """Remember the secrets of a shared context that other processes wrote to: only
        what was written since the last look at that namespace is read again."""
        where = (ctx.backend.url, ctx.namespace)
        position, written = ctx.written_since(self._positions.get(where, 0))
        self._positions[where] = position
        for key, value in written:
            self.add_args({key: value})

    def text(self, text: str) -> str:
        """``text`` with every known secret value and every URL password replaced by ***."""
        if self._ordered is None:
            self._ordered = sorted(self._secrets, key=len, reverse=True)
        for secret in self._ordered:
            if secret in text:
                text = text.replace(secret, MASK)
        return hide_url_password(text) if "://" in text else text

    def value(self, value: Any, name: str = "") -> Any:
        """A copy of a JSON value with secret values masked: everything under a secret-looking
        name, and in a context record (``{"key": ..., "value"/"before"/"after": ...}``) of a
        secret-looking key, its values."""
        if name and self.is_secret_name(name):
            return self._masked(value)
        if isinstance(value, str):
            return self.text(value) if self._secrets or "://" in value else value
        if isinstance(value, dict):
            key = value.get("key")
            hidden = isinstance(key, str) and self.is_secret_name(key)
            return {k: self._masked(v) if hidden and k in _RECORD_VALUES
                    else self.value(v, str(k)) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v) for v in value]
        return value

    def _masked(self, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: self._masked(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._masked(v) for v in value]
        return MASK if value is not None else None


#: The fields of a context record that hold the key's value.
_RECORD_VALUES = frozenset({"value", "before", "after"})


def holds_mask(value: Any) -> bool:
    """Whether a stored JSON value had a secret masked in it (it cannot be restored)."""
    if isinstance(value, dict):
        return any(holds_mask(v) for v in value.values())
    if isinstance(value, list):
        return any(holds_mask(v) for v in value)
    return isinstance(value, str) and MASK in value
