#!/usr/bin/env python3
"""Other plugins' own test suites, run with and without pytest-orchestrator installed.

Each suite (pytest-xdist, pytest-html, pytest-rerunfailures, pytest-cov) comes from its sdist on
PyPI and runs twice, in two virtual environments holding the very same packages except ours.
A test that fails only where our plugin is installed shows the plugin is not invisible.
Exit code: 0 when no test fails only with our plugin, 1 when one does, 2 when the set-up broke.
See README.md beside this file. Standard library only.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.request
import venv
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parents[2]  # the repository this script belongs to
PLUGIN = "pytest-orchestrator"
VARIANTS = ("without", "with")
FAILING = ("failed", "error")
# Variables that would change how the inner pytest runs, whoever launches this script.
SCRUBBED_ENV = (
    "PYTEST_ADDOPTS",
    "PYTEST_PLUGINS",
    "PYTEST_DISABLE_PLUGIN_AUTOLOAD",
    "PYTEST_CURRENT_TEST",
    "PYTEST_XDIST_AUTO_NUM_WORKERS",
    "PYTHONPATH",
    "VIRTUAL_ENV",
    "PYTHONHOME",
    "COV_CORE_SOURCE",
    "COV_CORE_CONFIG",
    "COV_CORE_DATAFILE",
)
SELENIUM_PORT = 4444  # pytest-html's browser tests talk to a WebDriver server on this port


@dataclass(frozen=True)
class Suite:
    """One plugin's test suite, installed and run the way its tox.ini does."""

    name: str
    dist: str
    fallback_version: str  # used when the distribution is not installed beside this script
    test_deps: tuple[str, ...]
    args: tuple[str, ...]
    env: dict[str, str] = field(default_factory=dict)
    deselect: tuple[tuple[str, str], ...] = ()  # (node id prefix, why), in both runs
    browser_tests: tuple[str, ...] = ()  # files needing a WebDriver server on port 4444


SUITES = {
    "xdist": Suite("xdist", "pytest-xdist", "3.8.0", ("filelock",), ("testing",)),
    "html": Suite(
        "html",
        "pytest-html",
        "4.2.0",
        (
            "assertpy",
            "beautifulsoup4",
            "pytest-xdist",
            "pytest-rerunfailures",
            "pytest-mock",
            "selenium",
            "ansi2html",
        ),
        ("testing",),
        env={"PYTHONDONTWRITEBYTECODE": "1"},
        browser_tests=("testing/test_integration.py", "testing/test_e2e.py"),
    ),
    "rerunfailures": Suite(
        "rerunfailures", "pytest-rerunfailures", "16.7", ("pytest-xdist",), ("tests",)
    ),
    "cov": Suite(
        "cov",
        "pytest-cov",
        "7.1.0",
        ("process-tests", "pytest-xdist", "virtualenv", "coverage"),
        ("tests",),
        env={"PYTHONPATH": "tests", "PYTHONUNBUFFERED": "yes"},
        deselect=(
            (
                "tests/test_pytest_cov.py::test_celery",
                "starts a Redis container through Docker (testcontainers)",
            ),
        ),
    ),
}

# pytest-cov's suite starts a pytest subprocess per test: half an hour and more a run.
DEFAULT_SUITES = ("xdist", "html", "rerunfailures")


class SetupError(Exception):
    """A suite could not be downloaded, installed or started: no comparison is possible."""


# --- results of one pytest run ---------------------------------------------------------------


@dataclass
class RunResult:
    outcomes: dict[str, str]  # node id -> passed | failed | error | skipped
    exit_code: int | None  # None: killed at the timeout
    seconds: float
    log: Path
    messages: dict[str, str] = field(default_factory=dict)  # node id -> failure message

    def counts(self) -> Counter[str]:
        return Counter(self.outcomes.values())

    def failing(self) -> set[str]:
        return {node for node, outcome in self.outcomes.items() if outcome in FAILING}

    def broken(self) -> bool:
        """pytest itself did not finish normally (usage error, internal error, timeout)."""
        return self.exit_code not in (0, 1, 5)


def node_id(case: ET.Element, root: Path) -> str:
    """Undo junitxml's mangling (``a/b.py::C::t[x]`` -> classname ``a.b.C``, name ``t[x]``)."""
    classname, name = case.get("classname", ""), case.get("name", "")
    parts = classname.split(".") if classname else name.split(".")
    tail = [name] if classname else []
    for k in range(len(parts), 0, -1):
        if root.joinpath(*parts[:k]).with_suffix(".py").is_file():
            return "::".join(["/".join(parts[:k]) + ".py", *parts[k:], *tail])
    return "::".join(p for p in (classname, name) if p)


def outcome(case: ET.Element) -> str:
    if case.find("failure") is not None:
        return "failed"
    if case.find("error") is not None:
        return "error"
    return "skipped" if case.find("skipped") is not None else "passed"


def message(case: ET.Element) -> str:
    """The first line of a failure's or an error's message."""
    for tag in ("failure", "error"):
        found = case.find(tag)
        if found is not None:
            text = (found.get("message") or found.text or "").strip()
            return text.splitlines()[0][:200] if text else ""
    return ""


def read_junit(path: Path, root: Path) -> tuple[dict[str, str], dict[str, str]]:
    """Outcome per node id (a test counts once: failed > error > skipped > passed), and the
    message of each failing one."""
    outcomes: dict[str, str] = {}
    messages: dict[str, str] = {}
    if not path.is_file():
        return outcomes, messages
    rank = ("passed", "skipped", "error", "failed")
    for case in ET.parse(path).iter("testcase"):
        node, seen = node_id(case, root), outcome(case)
        if rank.index(seen) >= rank.index(outcomes.get(node, "passed")):
            outcomes[node] = seen
        if seen in FAILING:
            messages.setdefault(node, message(case))
    return outcomes, messages


# --- commands ---------------------------------------------------------------------------------


def call(
    argv: list[str],
    *,
    cwd: Path | None = None,
    log: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float | None = None,
) -> int | None:
    """Run argv in its own process group; output to log (or ours). None when timed out."""
    out = open(log, "w") if log else None  # noqa: SIM115  closed below
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            return None
    finally:
        if out:
            out.close()


def must(argv: list[str], log: Path) -> None:
    """Run a set-up command whose failure ends the check."""
    if call(argv, log=log) != 0:
        tail = "".join(log.read_text(errors="replace").splitlines(True)[-15:])
        raise SetupError(f"{' '.join(argv[:4])} ... failed; see {log}\n{tail}")


def pip(venv_dir: Path | None, *args: str) -> list[str]:
    """pip of a virtual environment (None: of the interpreter running this script)."""
    python = str(venv_dir / "bin" / "python") if venv_dir else sys.executable
    return [python, "-m", "pip", "--disable-pip-version-check", *args]


# --- one suite: sdist, two virtual environments, runs ----------------------------------------


def default_version(suite: Suite) -> str:
    try:
        return importlib.metadata.version(suite.dist)
    except importlib.metadata.PackageNotFoundError:
        return suite.fallback_version


def download_sdist(suite: Suite, version: str, workdir: Path) -> Path:
    folder = workdir / "sdists"
    prefix = f"{suite.dist.replace('-', '_')}-{version}.tar.gz".lower()
    found = [p for p in folder.glob("*.tar.gz") if p.name.lower() == prefix]
    if found:
        return found[0]
    folder.mkdir(parents=True, exist_ok=True)
    must(
        pip(
            None,
            "download",
            "--no-binary",
            ":all:",
            "--no-deps",
            "-d",
            str(folder),
            f"{suite.dist}=={version}",
        ),
        workdir / f"download-{suite.name}.log",
    )
    return download_sdist(suite, version, workdir)


def clean_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED_ENV}
    env.update(extra or {})
    return env


def create_venvs(suite_dir: Path, sdist: Path, suite: Suite, baseline: str, repo: Path) -> None:
    """'with' gets the suite, its test deps and our plugin; 'without' gets exactly the same
    pinned packages minus ours ('pinned'), or only the suite and its test deps ('bare')."""
    with_dir, without_dir = suite_dir / "with" / "venv", suite_dir / "without" / "venv"
    for folder in (with_dir, without_dir):
        shutil.rmtree(folder, ignore_errors=True)
        venv.create(folder, with_pip=True)
    logs = suite_dir / "logs"
    must(
        pip(with_dir, "install", str(sdist), *suite.test_deps, str(repo)), logs / "install-with.log"
    )
    if baseline == "bare":
        must(
            pip(without_dir, "install", str(sdist), *suite.test_deps), logs / "install-without.log"
        )
        return
    frozen = suite_dir / "requirements-without.txt"
    must(pip(with_dir, "freeze", "--exclude", PLUGIN), frozen)
    must(pip(without_dir, "install", "--no-deps", "-r", str(frozen)), logs / "install-without.log")


def reinstall_plugin(suite_dir: Path, repo: Path) -> bool:
    """--reuse keeps the environments, but the run always checks the repository as it is now.
    False when the plugin now needs a package the environments lack: they are made anew."""
    with_dir, logs = suite_dir / "with" / "venv", suite_dir / "logs"
    must(
        pip(with_dir, "install", "--no-deps", "--force-reinstall", str(repo)),
        logs / "reinstall-plugin.log",
    )
    return call(pip(with_dir, "check"), log=logs / "pip-check.log", env=clean_env()) == 0


def package_diff(suite_dir: Path) -> tuple[set[str], set[str]]:
    """Packages (name==version) only in 'with', only in 'without'."""
    sets = []
    for variant in ("with", "without"):
        out = suite_dir / "logs" / f"freeze-{variant}.txt"
        must(pip(suite_dir / variant / "venv", "list", "--format=freeze"), out)
        sets.append({line.strip().lower() for line in out.read_text().splitlines() if line})
    return sets[0] - sets[1], sets[1] - sets[0]


def fresh_sources(sdist: Path, dest: Path) -> Path:
    """A pristine copy of the sdist per run: a suite may leave files in its tree."""
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    with tarfile.open(sdist) as tar:
        if hasattr(tarfile, "data_filter"):  # Python 3.10.12+, 3.11.4+
            tar.extractall(dest, filter="data")
        else:
            tar.extractall(dest)
    (root,) = dest.iterdir()
    return root


def use_local_browser(root: Path, suite: Suite) -> int:
    """pytest-html's browser tests open ``file:///reports/<path>``, the report folder as their
    Docker Selenium container mounts it; a browser on this machine opens ``file://<path>``."""
    patched = 0
    for name in suite.browser_tests:
        path = root / name
        text = path.read_text()
        patched += text.count("file:///reports")
        path.write_text(text.replace("file:///reports", "file://"))
    return patched


def pytest_argv(suite: Suite, root: Path, run_dir: Path, skip_files: bool) -> list[str]:
    argv = [
        str(run_dir.parent / "venv" / "bin" / "python"),
        "-m",
        "pytest",
        *suite.args,
        "-p",
        "no:randomly",
        "-p",
        "no:cacheprovider",
        f"--junitxml={run_dir / 'junit.xml'}",
        f"--basetemp={run_dir / 'tmp'}",
    ]
    for prefix, _why in suite.deselect:
        argv.append(f"--deselect={prefix}")
    for name in suite.browser_tests if skip_files else ():
        argv.append(f"--ignore={name}")
    return argv


def run_suite_once(
    suite: Suite, sdist: Path, run_dir: Path, *, browser: bool, timeout: float
) -> RunResult:
    venv_dir = run_dir.parent / "venv"
    root = fresh_sources(sdist, run_dir / "src")
    if browser:
        use_local_browser(root, suite)
    shutil.rmtree(run_dir / "tmp", ignore_errors=True)
    (run_dir / "junit.xml").unlink(missing_ok=True)
    env = {k: str(root / v) if k == "PYTHONPATH" else v for k, v in suite.env.items()}
    env.update(
        PATH=f"{venv_dir / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        VIRTUAL_ENV=str(venv_dir),
    )
    log = run_dir / "pytest.log"
    started = time.monotonic()
    code = call(
        pytest_argv(suite, root, run_dir, skip_files=not browser),
        cwd=root,
        log=log,
        env=clean_env(env),
        timeout=timeout,
    )
    outcomes, messages = read_junit(run_dir / "junit.xml", root)
    return RunResult(outcomes, code, time.monotonic() - started, log, messages)


# --- a WebDriver server for pytest-html's browser tests --------------------------------------


class Browser:
    """chromedriver on 127.0.0.1:4444 driving a headless Chromium, for as long as it is open.

    chromedriver starts the ``chromium`` that lies beside its own executable, so a copy of it
    sits next to a wrapper adding the flags a root, display-less machine needs."""

    def __init__(self, workdir: Path, driver: str, chrome: str) -> None:
        self.folder = workdir / "browser"
        self.driver, self.chrome = driver, chrome
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Browser:
        self.folder.mkdir(parents=True, exist_ok=True)
        driver = self.folder / "chromedriver"
        shutil.copy2(os.path.realpath(self.driver), driver)
        wrapper = self.folder / "chromium"
        wrapper.write_text(
            f'#!/bin/sh\nexec "{self.chrome}" --no-sandbox --headless=new '
            '--disable-gpu --disable-dev-shm-usage "$@"\n'
        )
        wrapper.chmod(0o755)
        log = open(self.folder / "chromedriver.log", "w")
        self.proc = subprocess.Popen(
            [str(driver), f"--port={SELENIUM_PORT}"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{SELENIUM_PORT}/status", timeout=2):
                    return
            except OSError:
                time.sleep(0.1)
        self.__exit__()
        raise SetupError(f"chromedriver did not answer; see {self.folder / 'chromedriver.log'}")

    def __exit__(self, *exc: object) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(timeout=30)


def port_free(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def find_browser(choice: str) -> tuple[str, str] | None:
    """(chromedriver, chromium) when the browser tests can run; None to leave them out."""
    if choice == "off":
        return None
    driver = shutil.which("chromedriver")
    chrome = next(
        filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None
    )
    if driver and chrome and port_free(SELENIUM_PORT):
        return driver, chrome
    if choice == "on":
        raise SetupError(
            f"--browser on needs chromedriver and chromium on PATH and port {SELENIUM_PORT} free"
        )
    return None


# --- comparing and reporting ------------------------------------------------------------------


@dataclass
class Comparison:
    suite: Suite
    version: str
    runs: dict[str, list[RunResult]]
    notes: list[str]

    def fail_counts(self, variant: str) -> Counter[str]:
        return Counter(node for run in self.runs[variant] for node in run.failing())

    def classify(self) -> dict[str, list[str]]:
        """A test fails 'only with' when it failed in every run with our plugin and in none
        without; one whose outcome changed between runs of the same variant is flaky."""
        n = {v: len(self.runs[v]) for v in VARIANTS}
        fails = {v: self.fail_counts(v) for v in VARIANTS}
        found: dict[str, list[str]] = {"only_with": [], "only_without": [], "flaky": []}
        for node in sorted(set(fails["with"]) | set(fails["without"])):
            w, wo = fails["with"][node], fails["without"][node]
            if w == n["with"] and wo == 0:
                found["only_with"].append(node)
            elif wo == n["without"] and w == 0:
                found["only_without"].append(node)
            elif not (w == n["with"] and wo == n["without"]):
                found["flaky"].append(
                    f"{node}  (failed {w}/{n['with']} with, {wo}/{n['without']} without)"
                )
        broken = [r for r in self.runs["with"] if r.broken()]
        if broken and not any(r.broken() for r in self.runs["without"]):
            found["only_with"].append(
                f"<pytest run itself: exit {broken[0].exit_code}, see {broken[0].log}>"
            )
        return found

    def message(self, node: str) -> str:
        return next((r.messages[node] for r in self.runs["with"] if r.messages.get(node)), "")

    def differs(self) -> bool:
        found = self.classify()
        return bool(found["only_with"] or found["only_without"] or found["flaky"])

    def collected_only(self, variant: str) -> list[str]:
        other = VARIANTS[1 - VARIANTS.index(variant)]
        return sorted(set(self.runs[variant][0].outcomes) - set(self.runs[other][0].outcomes))


def report(comp: Comparison) -> str:
    lines = [
        f"\n== {comp.suite.dist} {comp.version} " + "=" * 40,
        f"  {'':25}{'passed':>8}{'failed':>8}{'errors':>8}{'skipped':>8}{'total':>8}"
        f"{'exit':>6}{'time':>8}",
    ]
    for variant in VARIANTS:
        for i, run in enumerate(comp.runs[variant]):
            c = run.counts()
            label = f"{variant} orchestrator" + (f" #{i + 1}" if i else "")
            lines.append(
                f"  {label:25}{c['passed']:>8}{c['failed']:>8}{c['error']:>8}"
                f"{c['skipped']:>8}{sum(c.values()):>8}"
                f"{str(run.exit_code) if run.exit_code is not None else 'TIMEOUT':>6}"
                f"{run.seconds:>7.0f}s"
            )
    found = comp.classify()
    titles = {
        "only_with": "fail ONLY WITH orchestrator",
        "only_without": "fail only without orchestrator",
        "flaky": "flaky (outcome changed between runs)",
    }
    for key, title in titles.items():
        lines.append(f"  {title}: {len(found[key]) or 'none'}")
        for node in found[key]:
            lines.append(f"    {node}")
            if key == "only_with" and comp.message(node):
                lines.append(f"      {comp.message(node)}")
    for variant in VARIANTS:
        only = comp.collected_only(variant)
        if only:
            lines.append(f"  collected only {variant} orchestrator: {len(only)}")
            lines.extend(f"    {node}" for node in only[:20])
    lines.extend(f"  note: {note}" for note in comp.notes)
    return "\n".join(lines)


def summary(comp: Comparison) -> dict[str, object]:
    return {
        "dist": comp.suite.dist,
        "version": comp.version,
        "notes": comp.notes,
        "runs": {
            v: [
                {
                    "counts": dict(r.counts()),
                    "exit_code": r.exit_code,
                    "seconds": round(r.seconds, 1),
                    "log": str(r.log),
                }
                for r in comp.runs[v]
            ]
            for v in VARIANTS
        },
        **comp.classify(),
        "messages": {node: comp.message(node) for node in comp.classify()["only_with"]},
    }


# --- the command ------------------------------------------------------------------------------


def compare_suite(suite: Suite, version: str, args: argparse.Namespace) -> Comparison:
    workdir: Path = args.workdir
    suite_dir = workdir / suite.name
    sdist = download_sdist(suite, version, workdir)
    stamp = suite_dir / "installed.json"
    key = {"sdist": sdist.name, "deps": [*suite.test_deps], "baseline": args.baseline}
    reuse = args.reuse and stamp.is_file() and json.loads(stamp.read_text()) == key
    if not (reuse and reinstall_plugin(suite_dir, args.repo)):
        shutil.rmtree(suite_dir, ignore_errors=True)
        (suite_dir / "logs").mkdir(parents=True)
        create_venvs(suite_dir, sdist, suite, args.baseline, args.repo)
        stamp.write_text(json.dumps(key))
    notes = notes_for(suite, suite_dir, args)
    browser = bool(suite.browser_tests) and args.browser_found is not None
    comp = Comparison(suite, version, {v: [] for v in VARIANTS}, notes)
    for attempt in range(1 + args.confirm):
        if attempt and not comp.differs():
            break
        for variant in VARIANTS:
            run_dir = suite_dir / variant / f"run{attempt + 1}"
            print(f"  {suite.name}: run {attempt + 1}, {variant} orchestrator ...", flush=True)
            run = run_suite_once(suite, sdist, run_dir, browser=browser, timeout=args.timeout)
            comp.runs[variant].append(run)
            counts = ", ".join(f"{n} {what}" for what, n in sorted(run.counts().items()))
            print(
                f"    {counts or 'no test'}; exit {run.exit_code}; {run.seconds:.0f}s", flush=True
            )
    return comp


def notes_for(suite: Suite, suite_dir: Path, args: argparse.Namespace) -> list[str]:
    notes = [f"deselected in both runs: {prefix} ({why})" for prefix, why in suite.deselect]
    if suite.browser_tests and args.browser_found is None:
        notes.append(
            f"left out in both runs (no chromedriver/chromium, or port "
            f"{SELENIUM_PORT} busy): {', '.join(suite.browser_tests)}"
        )
    elif suite.browser_tests:
        notes.append(
            "browser tests ran against a local headless Chromium (chromedriver on "
            f"port {SELENIUM_PORT}); their 'file:///reports' URLs read 'file://'"
        )
    only_with, only_without = package_diff(suite_dir)
    notes.append(
        f"packages only in 'with': {', '.join(sorted(only_with)) or 'none'}; "
        f"only in 'without': {', '.join(sorted(only_without)) or 'none'}"
    )
    return notes


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--suite",
        action="append",
        choices=[*SUITES, "all"],
        help=f"suite to run (repeatable; default: {' '.join(DEFAULT_SUITES)}; 'all' adds cov, "
        "which takes 30-45 minutes a run on 2 cores)",
    )
    for suite in SUITES.values():
        parser.add_argument(
            f"--{suite.name}-version",
            metavar="VERSION",
            default=default_version(suite),
            help=f"{suite.dist} release to test (default: %(default)s)",
        )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="folder for sdists, environments and logs (default: a new temporary folder, kept)",
    )
    parser.add_argument(
        "--repo",
        type=Path,
        default=HERE,
        help="the pytest-orchestrator checkout to install (default: the one holding this script)",
    )
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="keep the environments already in --workdir (our plugin is "
        "reinstalled from the repository all the same)",
    )
    parser.add_argument(
        "--baseline",
        choices=("pinned", "bare"),
        default="pinned",
        help="'pinned': the environment without our plugin holds exactly the "
        "other one's packages minus ours (default); 'bare': only the "
        "suite and its test requirements, so our dependencies count too",
    )
    parser.add_argument(
        "--browser",
        choices=("auto", "on", "off"),
        default="auto",
        help="run pytest-html's browser tests on a local headless Chromium "
        "(auto: when chromedriver and chromium are on PATH)",
    )
    parser.add_argument(
        "--confirm",
        type=int,
        default=1,
        metavar="N",
        help="when a suite's failures differ, run it N more times in both "
        "environments to tell our failures from flaky tests (default: 1)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=3600,
        help="seconds allowed to one pytest run (default: %(default)s)",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=None,
        help="also write the figures here (default: WORKDIR/summary.json)",
    )
    args = parser.parse_args(argv)
    args.workdir = (args.workdir or Path(tempfile.mkdtemp(prefix="orch-compat-"))).resolve()
    args.workdir.mkdir(parents=True, exist_ok=True)
    args.repo = args.repo.resolve()
    return args


def compare_all(suites: list[Suite], args: argparse.Namespace) -> Iterator[Comparison]:
    """Each suite's comparison as soon as it is done; pytest-html's with a browser running."""
    args.browser_found = (
        find_browser(args.browser) if any(s.browser_tests for s in suites) else None
    )
    for suite in suites:
        version = getattr(args, f"{suite.name}_version")
        if suite.browser_tests and args.browser_found:
            with Browser(args.workdir, *args.browser_found):
                yield compare_suite(suite, version, args)
        else:
            yield compare_suite(suite, version, args)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.monotonic()
    print(f"pytest-orchestrator compatibility check; work folder {args.workdir}", flush=True)
    names = SUITES if "all" in (args.suite or ()) else dict.fromkeys(args.suite or DEFAULT_SUITES)
    suites = [SUITES[name] for name in names]
    out = args.json or args.workdir / "summary.json"
    comparisons: list[Comparison] = []
    try:
        for comp in compare_all(suites, args):
            comparisons.append(comp)
            print(report(comp), flush=True)
            figures = {"seconds": round(time.monotonic() - started), "suites": comparisons}
            out.write_text(json.dumps(figures, default=summary, indent=2))
    except SetupError as exc:
        print(f"set-up failed: {exc}", file=sys.stderr)
        return 2
    failed = [c.suite.dist for c in comparisons if c.classify()["only_with"]]
    verdict = (
        f"tests fail only with pytest-orchestrator in: {', '.join(failed)}"
        if failed
        else "no test fails only with pytest-orchestrator"
    )
    elapsed = time.monotonic() - started
    print(f"\n{verdict}\nwall time {elapsed / 60:.1f} min; figures in {out}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
