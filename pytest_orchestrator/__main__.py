"""``python -m pytest_orchestrator`` is the ``orchestrator`` command."""

from .cli import main

raise SystemExit(main())
