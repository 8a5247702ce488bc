"""The context server: one namespace of a context backend over HTTP and JSON, for the agents
that are not pytest workers (a shell on a DUT, a vendor tool, curl). Needs the ``server`` extra."""
