"""Reports from templates: our HTML run report and Markdown (Jinja2), Word (docxtpl: a .docx
with Jinja2 tags). The shipped templates are in ``templates/``; a user's own works the same
way, with the variables of run_report.report_data (docs/reports.md)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from ..errors import OrchestratorError
from .run_report import report_data

if TYPE_CHECKING:
    import jinja2

    from ..store import ResultsStore

TEMPLATES = Path(__file__).parent / "templates"
DEFAULTS = {"html": "run_report.html.j2", "md": "report.md.j2", "docx": "report.docx"}
EXTRA = "pip install pytest-orchestrator[report]"
HINT = "docs/reports.md lists the variables a template can use"


def write_report(store: ResultsStore, output: Path, *, fmt: str, run_id: str | None = None,
                 template: Path | None = None) -> Path:
    """Render a stored run (the latest one without ``run_id``) to ``output`` as ``fmt``
    (html, md or docx), with the shipped template or the user's own."""
    if template is not None and not template.is_file():
        raise OrchestratorError(f"no template at {template}")
    data = report_data(store, run_id, output)
    content = render_docx(data, template) if fmt == "docx" else \
        render_text(data, fmt, template)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            output.write_bytes(content)
        else:
            output.write_text(content, encoding="utf-8")
    except OSError as exc:
        raise OrchestratorError(f"cannot write the report: {exc.strerror}",
                                where=str(output)) from None
    return output


def environment(folder: Path | None, *, html: bool) -> jinja2.Environment:
    """Jinja2 as every report uses it: a variable the data does not have is an error, never
    an empty string; HTML is escaped. A user's template may extend the shipped ones."""
    import jinja2

    folders = [str(folder)] if folder is not None else []
    env = jinja2.Environment(loader=jinja2.FileSystemLoader([*folders, str(TEMPLATES)]),
                             autoescape=html, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(seconds=seconds, megabytes=megabytes, cell=markdown_cell)
    return env


def render_text(data: dict[str, Any], fmt: str, template: Path | None) -> str:
    env = environment(template.parent if template else None, html=fmt == "html"
                      or (template is not None and template.suffix in (".html", ".htm")))
    name = template.name if template else DEFAULTS[fmt]
    with _template_errors(name):
        return env.get_template(name).render(**data)


def render_docx(data: dict[str, Any], template: Path | None) -> bytes:
    """A Word document from a .docx whose text holds Jinja2 tags (docxtpl); each recipe's
    ``dag`` is its DAG picture, ready to place with ``{{ recipe.dag }}``."""
    try:
        from docx.shared import Mm
        from docxtpl import DocxTemplate, InlineImage
    except ImportError:
        raise OrchestratorError(f"a DOCX report needs docxtpl: {EXTRA}") from None
    from .graph_png import to_png

    path = template or TEMPLATES / DEFAULTS["docx"]
    document = DocxTemplate(str(path))
    try:
        document.init_docx()
    except Exception as exc:  # zipfile, lxml and python-docx each raise their own
        raise OrchestratorError(f"{path}: not a Word document ({type(exc).__name__})",
                                hint="give a .docx file saved by Word or LibreOffice") from None
    for recipe in data["recipes"]:
        width, height = _picture_size(recipe["graph"])
        recipe["dag"] = InlineImage(document, io.BytesIO(to_png(recipe["graph"])),
                                    width=Mm(width), height=Mm(height))
    with _template_errors(path.name):
        document.render(data, jinja_env=environment(None, html=False), autoescape=True)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _picture_size(graph: Any) -> tuple[float, float]:
    """The DAG's size on an A4 page in mm: its natural size (96 dpi), shrunk to fit."""
    from .graph_svg import layout

    plan = layout(graph)
    width, height = plan.width * 0.2646, (plan.height + 38) * 0.2646
    scale = min(1.0, 165 / width, 150 / height)  # leaves room for the steps below it
    return width * scale, height * scale


@contextmanager
def _template_errors(name: str) -> Iterator[None]:
    """A template's mistake as one OrchestratorError naming the template, the line and the
    variable or tag."""
    import jinja2

    try:
        yield
    except jinja2.UndefinedError as exc:
        line = _template_line(exc.__traceback__, name)
        raise OrchestratorError(f"template {name}{line}: {exc.message}", hint=HINT) from None
    except jinja2.TemplateSyntaxError as exc:
        line = f", line {exc.lineno}" if exc.lineno else ""
        raise OrchestratorError(f"template {exc.name or name}{line}: {exc.message}",
                                hint="fix the Jinja2 syntax") from None
    except jinja2.TemplateError as exc:
        raise OrchestratorError(f"template {name}: {exc}", hint=HINT) from None


def _template_line(tb: TracebackType | None, name: str) -> str:
    """``, line N``: where in the template it failed (Jinja2 puts template lines in the
    traceback), or nothing."""
    line = ""
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(name):
            line = f", line {tb.tb_lineno}"
        tb = tb.tb_next
    return line


def seconds(value: float) -> str:
    """``0.12 s``, ``3.4 s``, ``2 min 05 s``, ``1 h 02 min``."""
    value = float(value or 0)
    if value < 60:
        return f"{value:.2f} s" if value < 10 else f"{value:.1f} s"
    minutes, secs = divmod(round(value), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def megabytes(value: float) -> str:
    return f"{float(value or 0) / 1e6:.1f} MB"


def markdown_cell(value: Any) -> str:
    """Text that stays in one Markdown table cell."""
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
