"""What the analysis shows at the end of a session: the terminal sections (regressions, flaky
steps, restarted baselines, the summary with ``--orch-summary``) and pytest-html's summary."""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .plugin import Analysis

Lines = list[tuple[str, dict[str, Any]]]


def analysis_lines(analysis: Analysis, show_summary: bool) -> list[tuple[str, Lines]]:
    """(section title, [(line, markup)]) for each section that has something to say."""
    sections: list[tuple[str, Lines]] = []
    if analysis.flags:
        fails = analysis.fail_on_regression()
        verdict = "the session fails (--orch-fail-on-regression)" if fails else \
            "a warning (--orch-fail-on-regression makes it fail the session)"
        sections.append((f"orchestrator: {len(analysis.flags)} regression(s), {verdict}",
                         [(f"REGRESSION {f.line()}", {"red": True, "bold": True})
                          for f in analysis.flags]))
    if analysis.flaky:
        sections.append(("orchestrator: flaky steps",
                         [(f"FLAKY {s.line()}", {"yellow": True}) for s in analysis.flaky]))
    if analysis.restarted:
        sections.append(("orchestrator: new baselines",
                         [(line, {}) for line in analysis.restarted]))
    if show_summary and analysis.summary is not None:
        summary = analysis.summary
        sections.append((f"orchestrator: summary ({summary.label})",
                         [(line, {}) for line in summary.text.splitlines()]))
    return sections


def html_summary(analysis: Analysis) -> list[str]:
    """pytest-html's summary lines: the written summary, labelled, and the regressions."""
    found = []
    if analysis.summary is not None:
        text = "<br>".join(escape(line) for line in analysis.summary.text.splitlines())
        found.append(f'<p class="orch-summary"><b>Summary ({escape(analysis.summary.label)})'
                     f"</b><br>{text}</p>")
    if analysis.flags:
        items = "".join(f"<li>{escape(f.line())}</li>" for f in analysis.flags)
        found.append(f'<p class="orch-regressions"><b>Regressions</b></p><ul>{items}</ul>')
    return found
