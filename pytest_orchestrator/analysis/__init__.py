"""Reading the results store's history: metrics and baselines, regression flags, run diffs, flaky steps, summaries."""
