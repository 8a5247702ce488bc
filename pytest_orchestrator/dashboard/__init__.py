"""The live dashboard (``orchestrator dashboard``): a Dash app reading the results store, never
writing it. Dash, Plotly and waitress come with the ``dashboard`` extra."""
