"""generate_report: render a Jinja2 template from the recipe's context into report.md."""

from __future__ import annotations

import os
import sys
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pytest_orchestrator.context import Context
from pytest_orchestrator.safety import Redactor, inside
from pytest_orchestrator.scriptlet import BaseScriptlet
from scriptlets.numbers import check_params

DEFAULT_TEMPLATE = "templates/report_template.md"
METRICS_KEY = "_runner.step_metrics_v1"
MIB = 1024 * 1024

#: The curriculum scriptlet that writes each key (SPEC 13): a missing input names its step.
PRODUCERS = {
    "numbers.raw_v1": "load_numbers",
    "numbers.validated_v1": "validate_numbers",
    "numbers.normalized_v1": "normalize_numbers",
    "numbers.stats_v1": "compute_numbers (or normalize_numbers)",
    "numbers.prime_factors_v1": "prime_factor_analysis",
    "metrics.summary_v1": "compute_metrics_v1 (or compute_metrics_v2)",
    "metrics.columns_v1": "compute_metrics_v1",
    "metrics.summary_v2": "compute_metrics_v2",
    "metrics.mean_v1": "compute_mean",
    "metrics.median_v1": "compute_median",
    "metrics.std_v1": "compute_std",
    "metrics.aggregate_v1": "aggregate_metrics",
    "cache.numbers_hash_v1": "cache_numbers",
    "cache.numbers_hit_v1": "cache_numbers",
    "resource.audit_v1": "resource_audit",
    "report.path_v1": "generate_report",
    "cleanup.removed_v1": "cleanup_intermediate",
    "resilience.inject_ok_v1": "inject_failure",
    "publish_stats.ack_v1": "publish_stats",
    "files.sanitized_csv_v1": "sanitize_csv.sh",
    "files.enriched_csv_v1": "enrich_csv.sh",
}


class MissingInput(Exception):
    """The template used a context key that no step before this one wrote."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


class KeyTree(dict[str, Any]):
    """Context keys as nested mappings, so a template writes ``metrics.summary_v2.mean`` for
    the key ``metrics.summary_v2``; ``prefix`` names a key the template asks for in vain."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix


def key_tree(values: dict[str, Any]) -> dict[str, KeyTree]:
    """The top-level namespaces of ``values`` (and of every key in PRODUCERS, so that
    ``cache.numbers_hit_v1`` is a missing key, not a missing ``cache``)."""
    roots: dict[str, KeyTree] = {}
    for key in [*PRODUCERS, *values]:
        *path, entity = key.split(".")
        node: Any = roots.setdefault(path[0], KeyTree(path[0]))
        for depth, part in enumerate(path[1:], 2):
            node = node.setdefault(part, KeyTree(".".join(path[:depth])))
            if not isinstance(node, KeyTree):  # a key's value is in the way: `context` has it
                break
        else:
            if key in values:
                node[entity] = values[key]
    return roots


def step_rows(metrics: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """The runner's entry of each step before this one, in the order they started."""
    rows = [{"name": name, "duration": entry.get("duration") or 0.0,
             "cpu": (entry.get("cpu_user") or 0.0) + (entry.get("cpu_sys") or 0.0),
             "peak_rss_mib": (entry.get("peak_rss") or 0) / MIB,
             "executor": entry.get("executor", ""), "cache_hit": bool(entry.get("cache_hit")),
             "attempts": entry.get("attempts", 1), "worker": entry.get("worker", ""),
             "start": entry.get("start", "")} for name, entry in metrics.items()]
    return sorted(rows, key=lambda row: (row["start"], row["name"]))


def _undefined_class() -> type:
    """jinja2's StrictUndefined, raising MissingInput for a context key that is not there."""
    import jinja2

    class MissingKey(jinja2.StrictUndefined):
        def __init__(self, hint: str | None = None, obj: Any = jinja2.utils.missing,
                     name: str | None = None, exc: Any = jinja2.UndefinedError) -> None:
            if isinstance(obj, KeyTree) and name is not None:
                key = f"{obj.prefix}.{name}"
                exc, hint = (lambda _message: MissingInput(key)), key
            super().__init__(hint, obj, name, exc)

    return MissingKey


def render(root: Path, template: Path, variables: dict[str, Any]) -> str:
    """The template (a path inside ``root``) rendered; its includes come from ``root`` too."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(root)),
                             undefined=_undefined_class(), keep_trailing_newline=True,
                             autoescape=jinja2.select_autoescape(["html", "htm", "xml"]))
    name = template.resolve().relative_to(root.resolve()).as_posix()
    return env.get_template(name).render(variables)


def template_line(exc: BaseException, template: Path) -> int | None:
    """The template line being rendered when ``exc`` was raised (jinja2 maps its frames)."""
    target = os.path.normpath(template.resolve())
    lines = [frame.lineno for frame in traceback.extract_tb(exc.__traceback__)
             if os.path.normpath(frame.filename) == target]
    return lines[-1] if lines else getattr(exc, "lineno", None)


class GenerateReport(BaseScriptlet):
    """Render a Jinja2 template from the recipe's context into a report file (Markdown).

    Params:
      rootdir   the project (recipes pass ``${ROOTDIR}``; default $ORCH_ROOTDIR, else the
                current directory); the template and out_dir must be inside it.
      template  the Jinja2 template, relative to rootdir (default
                templates/report_template.md); its includes are looked up in rootdir.
      out_dir   the folder of the report (recipes pass ``${ARTIFACTS}``; default
                $ORCH_ARTIFACTS, else ./artifacts; relative to rootdir); created if missing.
      name      the report's file name (default report.md).
      title     the report's title (default "Report of <recipe>").
    Input: every context key the template uses, e.g. ``metrics.summary_v2.mean`` for
    metrics.summary_v2 (``{% if key is defined %}`` makes a part optional); the template
    also gets ``recipe``, ``run_id``, ``generated`` (UTC), ``title``, ``context`` (every key:
    value) and ``steps`` (from _runner.step_metrics_v1: name, duration, cpu, peak_rss_mib,
    executor, cache_hit, attempts, worker, start). Values of secret-looking keys are masked.
    Outputs: report.path_v1 (the report's absolute path); the report is the envelope's
    artifact.
    Exit codes: 0 ok; 1 a template that cannot be read or rendered (its line is named);
    2 a context key the template needs is missing (the details name the key and the
    scriptlet that writes it).
    """

    def validate(self, ctx: Context, params: dict[str, Any]) -> None:
        check_params(params, ("rootdir", "template", "out_dir", "name", "title"))
        for name in ("rootdir", "template", "out_dir", "name", "title"):
            if not isinstance(params.get(name, ""), str):
                raise ValueError(f"{name} must be a string, got {params[name]!r}")
        root = project_root(params)
        if root == Path(root.anchor):
            raise ValueError(f"rootdir {str(root)!r} is a filesystem root")
        template = Path(root, params.get("template") or DEFAULT_TEMPLATE)
        if not inside(template, root):
            raise ValueError(f"template {str(template)!r} is outside the project ({root})")
        if not template.is_file():
            raise ValueError(f"template {str(template)!r} does not exist")
        if not inside(report_folder(params, root), root):
            raise ValueError(f"out_dir {str(report_folder(params, root))!r} is outside the "
                             f"project ({root})")
        report_name = params.get("name") or "report.md"
        if Path(report_name).name != report_name or report_name in (".", ".."):
            raise ValueError(f"name {report_name!r} must be a file name, not a path")

    def run(self, ctx: Context, params: dict[str, Any]) -> int:
        root = project_root(params)
        template = Path(root, params.get("template") or DEFAULT_TEMPLATE)
        shown = template.relative_to(root).as_posix() if inside(template, root) else template
        redactor = Redactor()
        try:
            text = render(root, template, self.variables(ctx, params, redactor))
        except MissingInput as exc:
            producer = PRODUCERS.get(exc.key)
            line = template_line(exc, template)
            return self.emit_error(
                f"missing input {exc.key} ({shown}:{line}): "
                + (f"it is written by {producer}; run that step before this one "
                   "(depends_on)" if producer else
                   "no curriculum scriptlet writes it; a step before this one must"),
                details={"key": exc.key, "produced_by": producer, "template": str(shown),
                         "line": line}, exit_code=2)
        except Exception as exc:  # jinja2's TemplateError, or a filter's own error
            line = template_line(exc, template)
            return self.emit_error(f"template {shown}:{line}: {type(exc).__name__}: {exc}",
                                   details={"template": str(shown), "line": line})
        folder = report_folder(params, root)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / (params.get("name") or "report.md")
        path.write_text(redactor.text(text), encoding="utf-8")
        ctx.set("report.path_v1", str(path))
        print(f"generate_report: {shown} -> {path} ({len(text)} characters)", file=sys.stderr)
        return self.emit_ok(["report.path_v1"], artifacts=[str(path)],
                            metrics={"characters": len(text)})

    @staticmethod
    def variables(ctx: Context, params: dict[str, Any], redactor: Redactor) -> dict[str, Any]:
        """What the template sees; secret-looking keys are masked, and their values wherever
        they appear."""
        values = {k: v for k, v in ctx.to_dict().items() if not k.startswith("_runner.")}
        redactor.add_args(values)
        values = redactor.value(values)
        recipe = ctx.namespace
        return {**key_tree(values), "context": values, "recipe": recipe, "run_id": ctx.run_id,
                "title": params.get("title") or f"Report of {recipe}",
                "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
                "steps": step_rows(ctx.get(METRICS_KEY) or {})}


def project_root(params: dict[str, Any]) -> Path:
    return Path(params.get("rootdir") or os.environ.get("ORCH_ROOTDIR") or os.getcwd()).resolve()


def report_folder(params: dict[str, Any], root: Path) -> Path:
    return Path(root, params.get("out_dir") or os.environ.get("ORCH_ARTIFACTS", "artifacts"))


if __name__ == "__main__":
    raise SystemExit(GenerateReport.main())
