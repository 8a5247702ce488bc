"""What a step's result looks like in the reports: JUnit properties, pytest-html extras and the
per-recipe terminal summary. Everything here is redacted and JSON-safe (it travels with the
report from an xdist worker)."""
