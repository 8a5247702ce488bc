"""``orchestrator graph|report``: a recipe's DAG as a picture, and a stored run as a report
(our HTML run report, or Markdown, HTML and DOCX from templates)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ..errors import OrchestratorError
from .output import DEFAULT_DB, open_store

REPORT_FORMATS = ("html", "md", "docx")


def add_commands(commands: Any) -> None:
    from ..reporting.graph import FORMATS

    graph = commands.add_parser("graph", help="draw a recipe's DAG: levels, parallel groups, "
                                              "finally and exclusive steps")
    graph.add_argument("recipe", type=Path, metavar="RECIPE", help="a recipe file")
    graph.add_argument("--format", choices=FORMATS, default="text",
                       help="text (default), dot (Graphviz), mermaid, svg or png")
    graph.add_argument("-o", "--output", type=Path, metavar="FILE",
                       help="write it to FILE (default: print it; png needs a file)")
    graph.set_defaults(handler=_graph)
    report = commands.add_parser("report", help="write a report of a stored run: html (our run "
                                                "report), md or docx, from templates")
    report.add_argument("--format", choices=REPORT_FORMATS, default="html",
                        help="html (default), md or docx")
    report.add_argument("--run", metavar="RUN", help="a run id or a unique prefix of one "
                                                     "(default: the latest run)")
    report.add_argument("--template", type=Path, metavar="FILE",
                        help="your own template: Jinja2 for html and md, a Word file with "
                             "Jinja2 tags for docx (default: the one shipped)")
    report.add_argument("-o", "--output", type=Path, metavar="FILE",
                        help="where to write it (default: report.html, report.md or "
                             "report.docx in the current folder)")
    report.add_argument("--db", type=Path, default=DEFAULT_DB, metavar="PATH",
                        help=f"the results store (default: {DEFAULT_DB})")
    report.set_defaults(handler=_report)


def _graph(args: argparse.Namespace) -> int:
    from ..recipe import load_recipe
    from ..reporting.graph import from_recipe, render

    try:
        recipe = load_recipe(args.recipe, Path.cwd())
    except OSError as exc:
        raise OrchestratorError(f"cannot read the recipe: {exc.strerror}",
                                where=str(args.recipe)) from None
    picture = render(from_recipe(recipe), args.format)
    if args.output is not None:
        _write(args.output, picture)
        print(f"wrote {args.output}")
    elif isinstance(picture, bytes):
        raise OrchestratorError("a PNG is not printed: give -o FILE")
    else:
        sys.stdout.write(picture)
    return 0


def _report(args: argparse.Namespace) -> int:
    from ..reporting.documents import write_report

    output = args.output or Path(f"report.{args.format}")
    with open_store(args.db) as store:
        written = write_report(store, output, fmt=args.format, run_id=args.run,
                               template=args.template)
    print(f"wrote {written}")
    return 0


def _write(path: Path, content: str | bytes) -> None:
    try:
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    except OSError as exc:
        raise OrchestratorError(f"cannot write {path}: {exc.strerror}") from None
